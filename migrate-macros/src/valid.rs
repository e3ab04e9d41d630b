//! Rules across files: whether the migrations form one chain (no duplicate,
//! no unknown parent, no fork, one root, no cycle), file names that match their
//! revisions, a downgrade or `irreversible` for each. Every error is filed under
//! the attribute it is about, so that it is reported there.

use std::collections::BTreeMap;

use crate::collect::{self, MigrationFile};

/// Validates the chain and files every error under the attribute it belongs to.
/// Returns the base-to-head order when there is none.
pub fn chain_errors(
    files: &[MigrationFile],
    decls: &[&collect::Declared],
    arms: &mut BTreeMap<(&'static str, String), Vec<String>>,
) -> Option<Vec<usize>> {
    struct Node<'a>(&'a collect::Declared);
    impl migrate_core::ChainNode for Node<'_> {
        fn revision(&self) -> &str {
            &self.0.args.revision.value
        }
        fn down_revision(&self) -> Option<&str> {
            self.0.args.down_revision.value.as_deref()
        }
    }
    let rev = |i: usize| decls[i].args.revision.value.clone();
    let name = |i: usize| format!("`{}` ({})", decls[i].args.revision.value, files[i].display);
    let mut add = |kind: &'static str, rev: String, msg: String| {
        let v = arms.entry((kind, rev)).or_default();
        if !v.contains(&msg) {
            v.push(msg);
        }
    };

    for (i, d) in decls.iter().enumerate() {
        if let Err(e) = migrate_core::check_file_name(&files[i].file_name, &d.args.revision.value) {
            add("revision", rev(i), e.to_string());
        }
        if !d.has_downgrade && !d.args.irreversible {
            add(
                "downgrade",
                rev(i),
                format!(
                    "migration {} has no downgrade: add `fn downgrade(op: &mut Op) -> Result<()>` to the file, or mark it `#[migration(..., irreversible)]` if it cannot be undone",
                    name(i)
                ),
            );
        }
    }

    let nodes: Vec<Node> = decls.iter().map(|d| Node(d)).collect();
    let result = migrate_core::order_chain(&nodes);
    let errors = match result {
        Ok(order) => {
            return if arms.is_empty() { Some(order) } else { None };
        }
        Err(errors) => errors,
    };
    for e in errors {
        file_chain_error(e, files, decls, &mut add);
    }
    None
}

/// Files one chain error under the attributes it is about.
fn file_chain_error(
    e: migrate_core::ChainError,
    files: &[MigrationFile],
    decls: &[&collect::Declared],
    add: &mut impl FnMut(&'static str, String, String),
) {
    let rev = |i: usize| decls[i].args.revision.value.clone();
    let name = |i: usize| format!("`{}` ({})", decls[i].args.revision.value, files[i].display);
    match e {
        migrate_core::ChainError::Empty => {}
        migrate_core::ChainError::Duplicate { revision, nodes } => {
            let names: Vec<String> = nodes.iter().map(|&i| files[i].display.clone()).collect();
            add(
                "revision",
                revision.clone(),
                format!(
                    "duplicate revision `{revision}`: declared by {}; give one of them a new id (`migrate revision` generates one)",
                    names.join(" and ")
                ),
            );
        }
        migrate_core::ChainError::UnknownParent { node, parent } => {
            let mut known: Vec<&str> = decls
                .iter()
                .map(|d| d.args.revision.value.as_str())
                .collect();
            known.sort();
            let shown = if known.len() > 8 {
                format!("{}, ... ({} in all)", known[..8].join(", "), known.len())
            } else {
                known.join(", ")
            };
            add(
                "down_revision",
                rev(node),
                format!(
                    "down_revision `{parent}` of migration {} names no known revision (known: {shown}); fix the id or add the missing migration",
                    name(node)
                ),
            );
        }
        migrate_core::ChainError::Fork { parent, children } => {
            // Two copies of one revision are reported as a duplicate, not also as a fork.
            let mut distinct: Vec<String> = children.iter().map(|&i| rev(i)).collect();
            distinct.sort();
            distinct.dedup();
            if distinct.len() < 2 {
                return;
            }
            let names: Vec<String> = children.iter().map(|&i| name(i)).collect();
            let (first, later) = (children[0], &children[1..]);
            for &c in later {
                add(
                    "down_revision",
                    rev(c),
                    format!(
                        "multiple heads: {} all revise `{parent}`; a chain must be linear: set the down_revision of `{}` to `{}` so that it follows it (or the other way round)",
                        names.join(" and "),
                        rev(c),
                        rev(first)
                    ),
                );
            }
        }
        migrate_core::ChainError::MultipleRoots { roots } => {
            let names: Vec<String> = roots.iter().map(|&i| name(i)).collect();
            for &r in roots.iter().skip(1) {
                add(
                    "down_revision",
                    rev(r),
                    format!(
                        "more than one first migration: {} all have down_revision = None; only the first migration may, set this one's down_revision to the revision it follows",
                        names.join(" and ")
                    ),
                );
            }
        }
        migrate_core::ChainError::Cycle { members } => {
            let mut path: Vec<String> = members.iter().map(|&i| format!("`{}`", rev(i))).collect();
            path.push(format!("`{}`", rev(members[0])));
            let files_involved: Vec<String> =
                members.iter().map(|&i| files[i].display.clone()).collect();
            for &m in &members {
                add(
                    "down_revision",
                    rev(m),
                    format!(
                        "the down_revision links form a cycle: {} ({}); one of these must follow a revision outside the loop, or be the first (down_revision = None)",
                        path.join(" -> "),
                        files_involved.join(", ")
                    ),
                );
            }
        }
    }
}
