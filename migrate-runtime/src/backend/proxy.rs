//! Whether a server connection goes through a proxy or pooler: the server
//! sees the client at a TCP port that is not one of this process's sockets.
//!
//! A transaction-mode pooler (pgbouncer's `pool_mode = transaction`) runs each
//! transaction on whichever server session is free, so a session advisory lock
//! taken through it is held by a pooled session, not by this run, and two runs
//! can both "hold" it. A connection through any proxy therefore uses a lock row
//! instead, which holds whatever runs the statements.

use std::collections::HashSet;

/// `Some(true)` when `port` (as the server sees this client) is the local
/// port of one of this process's TCP sockets, `Some(false)` when it is not (a
/// proxy in between), `None` when it cannot be told (not Linux, no /proc).
pub(crate) fn client_port_is_ours(port: u16) -> Option<bool> {
    let inodes = own_socket_inodes()?;
    let mut seen_any = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        seen_any = true;
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(inode)) = (cols.get(1), cols.get(9)) else {
                continue;
            };
            let local_port = local
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port) && inodes.contains(*inode) {
                return Some(true);
            }
        }
    }
    seen_any.then_some(false)
}

/// The inodes of this process's sockets (`/proc/self/fd/N -> socket:[inode]`).
fn own_socket_inodes() -> Option<HashSet<String>> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut out = HashSet::new();
    for entry in dir.flatten() {
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let t = target.to_string_lossy();
            if let Some(inode) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                out.insert(inode.to_owned());
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_socket_of_ours_is_found_and_another_port_is_not() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        if std::path::Path::new("/proc/self/fd").exists() {
            assert_eq!(client_port_is_ours(port), Some(true));
            drop(l);
            assert_eq!(client_port_is_ours(port), Some(false));
        }
    }
}
