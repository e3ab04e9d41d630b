//! `history`, `show` and `heads`: the chain as text, JSON or a Graphviz graph.

use std::path::Path;

use super::Format;
use crate::chain::{Chain, Position};

pub(super) fn show_text(chain: &Chain, i: usize) -> String {
    let m = &chain.migrations()[i];
    let head = if Some(i) == chain.head_position() {
        " (head)"
    } else {
        ""
    };
    let mut s = format!(
        "Rev: {}{head}\nParent: {}\n",
        m.revision(),
        m.down_revision().unwrap_or("<base>")
    );
    if !m.file().is_empty() {
        s.push_str(&format!(
            "Path: {}\n",
            Path::new(chain.directory()).join(m.file()).display()
        ));
    }
    if !m.is_reversible() {
        s.push_str("Irreversible: yes\n");
    }
    if !m.transactional() {
        s.push_str("Transaction: no\n");
    }
    s.push_str(&format!(
        "\n    {}\n\n    Revision ID: {}\n    Revises: {}\n",
        m.message(),
        m.revision(),
        m.down_revision().unwrap_or("")
    ));
    if let Some(d) = m.create_date() {
        s.push_str(&format!("    Create Date: {d}\n"));
    }
    s.push('\n');
    s
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(super) fn history(
    chain: &Chain,
    lo: usize,
    hi: usize,
    verbose: bool,
    current: Option<Position>,
    format: Format,
) -> String {
    let ms = chain.migrations();
    let head = chain.head_position();
    let cur = current.flatten();
    let mut s = String::new();
    match format {
        Format::Text => {
            for i in (lo..hi).rev() {
                let m = &ms[i];
                let mut marks = Vec::new();
                if Some(i) == head {
                    marks.push("head");
                }
                if current.is_some() && Some(i) == cur {
                    marks.push("current");
                }
                let marks = if marks.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", marks.join(", "))
                };
                if verbose {
                    s.push_str(&show_text(chain, i).replacen(
                        &format!(
                            "Rev: {}{}",
                            m.revision(),
                            if Some(i) == head { " (head)" } else { "" }
                        ),
                        &format!("Rev: {}{marks}", m.revision()),
                        1,
                    ));
                } else {
                    s.push_str(&format!(
                        "{} -> {}{marks}, {}\n",
                        m.down_revision().unwrap_or("<base>"),
                        m.revision(),
                        m.message()
                    ));
                }
            }
        }
        Format::Json => {
            s.push_str("[\n");
            let items: Vec<String> = (lo..hi)
                .rev()
                .map(|i| {
                    let m = &ms[i];
                    format!(
                        "  {{\"revision\": {}, \"down_revision\": {}, \"message\": {}, \"create_date\": {}, \"file\": {}, \"is_head\": {}, \"is_current\": {}, \"reversible\": {}, \"transactional\": {}}}",
                        json_str(m.revision()),
                        m.down_revision().map_or("null".into(), json_str),
                        json_str(m.message()),
                        m.create_date().map_or("null".into(), json_str),
                        json_str(m.file()),
                        Some(i) == head,
                        current.is_some() && Some(i) == cur,
                        m.is_reversible(),
                        m.transactional()
                    )
                })
                .collect();
            s.push_str(&items.join(",\n"));
            s.push_str("\n]\n");
        }
        Format::Dot => {
            s.push_str("digraph revisions {\n    rankdir=BT;\n    node [shape=box];\n    \"<base>\" [shape=ellipse];\n");
            for (i, m) in ms.iter().enumerate().take(hi).skip(lo) {
                let mut label = format!(
                    "{}\\n{}",
                    m.revision(),
                    m.message().replace('\\', "\\\\").replace('"', "\\\"")
                );
                if Some(i) == head {
                    label.push_str("\\n(head)");
                }
                let style = if current.is_some() && Some(i) == cur {
                    ", style=bold"
                } else {
                    ""
                };
                s.push_str(&format!(
                    "    \"{}\" [label=\"{label}\"{style}];\n",
                    m.revision()
                ));
                s.push_str(&format!(
                    "    \"{}\" -> \"{}\";\n",
                    m.revision(),
                    m.down_revision().unwrap_or("<base>")
                ));
            }
            s.push_str("}\n");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escaping() {
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
