//! `revision`: writing a new migration file after the head, and what
//! `--autogenerate` puts in it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::chain::Chain;
use crate::error::{Error, Result};

fn new_revision_id() -> Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| Error::Io {
        context: "cannot read random bytes for a revision id".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `<id>_<slug>.rs` into the chain's migrations directory, following the head.
pub(super) fn write_revision(
    chain: &Chain,
    message: &str,
    rev_id: Option<&str>,
    body: Option<&crate::autogen::Changes>,
) -> Result<PathBuf> {
    if chain.directory().is_empty() {
        return Err(Error::Usage(
            "this chain was not compiled from a migrations directory".into(),
        ));
    }
    if let Some(d) = chain.directory_drift() {
        return Err(Error::DirectoryDrift(format!(
            "{d}; a new revision must follow the real head"
        )));
    }
    let id = match rev_id {
        Some(id) => id.to_owned(),
        None => new_revision_id()?,
    };
    migrate_core::validate_revision_id(&id)
        .map_err(|e| Error::Usage(format!("invalid --rev-id `{id}`: {e}")))?;
    if chain.position_of(&id).is_some() {
        return Err(Error::Usage(format!("revision {id} already exists")));
    }
    let slug = migrate_core::slugify(message);
    let file = if slug.is_empty() {
        format!("{id}.rs")
    } else {
        format!("{id}_{slug}.rs")
    };
    let path = Path::new(chain.directory()).join(&file);
    let down = chain.head().map(|m| m.revision());
    let date = crate::clock::date_time();
    let down_attr = down.map_or("None".to_owned(), |d| format!("{d:?}"));
    let (up, down_body) = match body {
        Some(ch) => (
            ch.upgrade.iter().map(|s| format!("    {s}\n")).collect::<String>(),
            ch.downgrade.iter().map(|s| format!("    {s}\n")).collect::<String>(),
        ),
        None => (
            "    // e.g. op.add_column(\"users\", col::<Nullable<Text>>(\"email\"));\n    let _ = op;\n".to_owned(),
            "    // e.g. op.drop_column(\"users\", \"email\");\n    let _ = op;\n".to_owned(),
        ),
    };
    let text = format!(
        "//! {message}\n//!\n//! Revision ID: {id}\n//! Revises: {revises}\n//! Create Date: {date}\n\nuse migrate_runtime::prelude::*;\n\n#[migration(\n    revision = {id:?},\n    down_revision = {down_attr},\n    message = {msg:?},\n    create_date = {date:?}\n)]\nfn upgrade(op: &mut Op) -> Result<()> {{\n{up}    Ok(())\n}}\n\nfn downgrade(op: &mut Op) -> Result<()> {{\n{down_body}    Ok(())\n}}\n",
        message = message.replace('\n', " "),
        revises = down.unwrap_or(""),
        msg = message,
    );
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::Io {
            context: format!("cannot create {}", path.display()),
            source: e,
        })?;
    f.write_all(text.as_bytes()).map_err(|e| Error::Io {
        context: format!("cannot write {}", path.display()),
        source: e,
    })?;
    Ok(path)
}
