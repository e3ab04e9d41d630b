//! Reading a migrations directory: which files there are, what each declares, and
//! whether the crate's build script will notice files being added or removed.

use std::path::{Component, Path, PathBuf};

use crate::attr::{self, MigrationArgs};

/// What the collector knows about the crate being compiled.
pub struct Env {
    /// `CARGO_MANIFEST_DIR` of the crate that calls the macro.
    pub manifest_dir: Option<PathBuf>,
    /// The source file that calls the macro, for `relative_to = file`.
    pub caller_file: Option<PathBuf>,
}

/// One `*.rs` file of the directory.
pub struct MigrationFile {
    /// Its file name, e.g. `a1b2c3d4e5f6_add_email.rs`.
    pub file_name: String,
    /// How error messages name it: the directory as the user wrote it, then the name.
    pub display: String,
    /// Its absolute path, for `#[path = ...]`.
    pub path: PathBuf,
    /// What it declares, when that could be read.
    pub decl: Option<Declared>,
    /// Left out of the build: the collector already reported why, and including
    /// it would only add follow-up errors.
    pub excluded: bool,
}

/// What a migration file declares.
pub struct Declared {
    pub args: MigrationArgs,
    pub message: String,
    pub has_downgrade: bool,
    /// The downgrade function is marked `#[downgrade]`: that attribute
    /// reports the errors at its literals, where the collector can only name
    /// their places.
    pub downgrade_marked: bool,
    /// What the file does, for the ledger (see [`crate::checksum`]).
    pub checksum: String,
    /// The upgrade and downgrade functions, for the schema fold
    /// ([`crate::schema`]).
    pub upgrade: syn::ItemFn,
    pub downgrade: Option<syn::ItemFn>,
    /// The file's text, to place errors the collector reports itself.
    pub text: String,
}

/// Lists and reads the migration files of `dir`, sorted by file name.
///
/// `Err` holds a problem with the directory itself; per-file problems that the
/// compiler cannot report by itself go to `problems`.
pub fn read_dir(
    dir: &Path,
    display_dir: &str,
    problems: &mut Vec<String>,
) -> Result<Vec<MigrationFile>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "migrations directory `{display_dir}` not found (looked for {}); create it or give the right path",
                dir.display()
            )
        } else {
            format!("cannot read migrations directory {}: {e}", dir.display())
        }
    })?;

    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            problems.push(format!(
                "migration file name {:?} in `{display_dir}` is not valid UTF-8; rename it",
                path.file_name().unwrap_or_default()
            ));
            continue;
        };
        if !name.ends_with(".rs") || name.starts_with('.') || !path.is_file() {
            continue;
        }
        files.push((name, path));
    }
    files.sort();

    let sep = if display_dir.ends_with('/') || display_dir.is_empty() {
        ""
    } else {
        "/"
    };
    let mut out = Vec::with_capacity(files.len());
    for (file_name, path) in files {
        let display = format!("{display_dir}{sep}{file_name}");
        let problems_before = problems.len();
        let mut long_names = Vec::new();
        let decl = match std::fs::read(&path) {
            Err(e) => {
                problems.push(format!("cannot read migration file `{display}`: {e}"));
                continue;
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => {
                    problems.push(format!(
                        "migration file `{display}` is not valid UTF-8; Rust source must be UTF-8"
                    ));
                    continue;
                }
                Ok(text) => declared(&text, &display, problems, &mut long_names),
            },
        };
        let excluded = problems.len() > problems_before;
        // A long name is reported, but the file stays in the build, so that
        // the attribute can report its upgrade function's names too.
        problems.append(&mut long_names);
        out.push(MigrationFile {
            file_name,
            display,
            path,
            decl,
            excluded,
        });
    }
    Ok(out)
}

/// Reads what a file declares. `None` when the compiler will report the problem
/// itself once the file is included (a syntax error, a malformed attribute), so
/// the collector adds no second error on top.
fn declared(
    text: &str,
    display: &str,
    problems: &mut Vec<String>,
    long_names: &mut Vec<String>,
) -> Option<Declared> {
    let file = syn::parse_file(text).ok()?;
    let mut found = Vec::new();
    let mut has_downgrade = false;
    let mut downgrade = None;
    for item in &file.items {
        // On anything but a function the attribute macro itself explains the mistake.
        if !matches!(item, syn::Item::Fn(_)) && item_attrs(item).iter().any(attr::is_migration_attr)
        {
            return None;
        }
        if let syn::Item::Fn(f) = item {
            if f.sig.ident == "downgrade" {
                has_downgrade = true;
                downgrade = Some(f.clone());
            }
            if let Some(a) = f.attrs.iter().find(|a| attr::is_migration_attr(a)) {
                found.push((f, a));
            } else if !attr::is_marked_downgrade(f) {
                // The attribute reports the upgrade function's own names at
                // their literals; the downgrade and helpers are reported here.
                let from = text.find(&format!("fn {}", f.sig.ident)).unwrap_or(0);
                for lit in crate::names::too_long(f) {
                    let at = crate::names::locate(text, from, &lit)
                        .map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
                    long_names.push(format!(
                        "{display}{at}: in fn {}: {}",
                        f.sig.ident,
                        crate::names::message(&lit)
                    ));
                }
            }
        }
    }
    match found.as_slice() {
        [] => {
            problems.push(format!(
                "migration file `{display}` has no #[migration(...)] function; every file in the migrations directory must hold exactly one"
            ));
            None
        }
        [(f, a)] => {
            let tokens = match &a.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => proc_macro2::TokenStream::new(),
            };
            let args = attr::parse_args(tokens, proc_macro2::Span::call_site()).ok()?;
            let message = args
                .message
                .clone()
                .or_else(|| attr::doc_message(&f.attrs))
                .or_else(|| attr::doc_message(&file.attrs))
                .unwrap_or_default();
            Some(Declared {
                args,
                message,
                has_downgrade,
                downgrade_marked: downgrade.as_ref().is_some_and(attr::is_marked_downgrade),
                checksum: crate::checksum::of_file(text)?,
                upgrade: (*f).clone(),
                downgrade,
                text: text.to_owned(),
            })
        }
        _ => {
            problems.push(format!(
                "migration file `{display}` has {} #[migration(...)] functions; put each migration in its own file",
                found.len()
            ));
            None
        }
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        ExternCrate(i) => &i.attrs,
        ForeignMod(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Macro(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        TraitAlias(i) => &i.attrs,
        Type(i) => &i.attrs,
        Union(i) => &i.attrs,
        Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Removes `.` and resolves `..` lexically, so that paths compare and print cleanly.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// When `dir` lies inside the crate, the crate's build script must tell cargo to
/// watch it: stable Rust gives a proc macro no way to watch a directory, and
/// without it a newly added migration file would not trigger a rebuild.
/// Returns the error to show when the line is missing.
pub fn check_tracking(manifest_dir: &Path, dir: &Path) -> Option<String> {
    let rel = normalize(dir)
        .strip_prefix(normalize(manifest_dir))
        .ok()?
        .to_path_buf();
    let rel = rel.to_string_lossy().replace('\\', "/");
    let line = format!("println!(\"cargo:rerun-if-changed={rel}\");");
    let build_rs = manifest_dir.join("build.rs");
    let Ok(text) = std::fs::read_to_string(&build_rs) else {
        return Some(format!(
            "this crate needs a build.rs so that cargo rebuilds the chain when a migration file is added or removed; create {} with:\n\n    fn main() {{\n        {line}\n    }}\n",
            build_rs.display()
        ));
    };
    let tracked = text.lines().any(|l| {
        let Some(pos) = l.find("rerun-if-changed=") else {
            return false;
        };
        let rest = &l[pos + "rerun-if-changed=".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| *c != '"' && *c != ')' && !c.is_whitespace())
            .collect();
        let path = path.trim_start_matches("./").trim_end_matches('/');
        path == rel
    });
    if tracked {
        None
    } else {
        Some(format!(
            "build.rs must tell cargo to watch the migrations directory, so that adding or removing a migration file rebuilds the chain; add this line to main() in {}:\n\n    {line}\n",
            build_rs.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_check() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path();
        let dir = m.join("migrations");
        let missing = check_tracking(m, &dir).unwrap();
        assert!(
            missing.contains("println!(\"cargo:rerun-if-changed=migrations\");"),
            "{missing}"
        );
        std::fs::write(m.join("build.rs"), "fn main() {}").unwrap();
        assert!(check_tracking(m, &dir).unwrap().contains("add this line"));
        std::fs::write(
            m.join("build.rs"),
            "fn main() { println!(\"cargo::rerun-if-changed=./migrations/\"); }",
        )
        .unwrap();
        assert_eq!(check_tracking(m, &dir), None);
        // A directory outside the crate cannot be checked this way.
        assert_eq!(check_tracking(&m.join("sub"), &dir), None);
    }

    #[test]
    fn reads_files_and_reports_bad_ones() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(
            p.join("a_first.rs"),
            "/// the first\n#[migration(revision = \"a\", down_revision = None)]\nfn upgrade(op: &mut Op) -> Result<()> { Ok(()) }\nfn downgrade(op: &mut Op) -> Result<()> { Ok(()) }\n",
        )
        .unwrap();
        std::fs::write(p.join("b_bad.rs"), [0xff, 0xfe, 0x00]).unwrap();
        std::fs::write(p.join("c_none.rs"), "fn upgrade() {}").unwrap();
        std::fs::write(p.join("d_syntax.rs"), "fn (").unwrap();
        std::fs::write(p.join("README.md"), "not a migration").unwrap();
        let mut problems = Vec::new();
        let files = read_dir(p, "m", &mut problems).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.file_name.as_str()).collect();
        assert_eq!(names, ["a_first.rs", "c_none.rs", "d_syntax.rs"]);
        let a = files[0].decl.as_ref().unwrap();
        assert_eq!(a.message, "the first");
        assert!(a.has_downgrade);
        assert!(files[2].decl.is_none());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("`m/b_bad.rs` is not valid UTF-8"));
        assert!(problems[1].contains("`m/c_none.rs` has no #[migration(...)] function"));
    }

    #[test]
    fn missing_dir() {
        let d = tempfile::tempdir().unwrap();
        let mut problems = Vec::new();
        let Err(e) = read_dir(&d.path().join("nope"), "nope", &mut problems) else {
            panic!("expected an error")
        };
        assert!(e.contains("migrations directory `nope` not found"), "{e}");
    }
}
