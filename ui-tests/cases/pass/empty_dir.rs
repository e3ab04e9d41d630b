//! A new service: an empty migrations directory is an empty chain, so the
//! crate builds and its `migrate revision -m "initial"` can write the first.
use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;

static MIGRATIONS: Chain = embed_migrations!("empty_dir", relative_to = file);

fn main() -> Result<()> {
    assert!(MIGRATIONS.is_empty());
    assert!(MIGRATIONS.head().is_none());
    // Nothing to run, and nothing wrong: the database stays at base.
    let mut conn = AnyConnection::establish("sqlite://")?;
    assert!(Migrator::new(&MIGRATIONS).upgrade(&mut conn, "head")?.is_empty());
    assert!(Migrator::new(&MIGRATIONS).is_at_head(&mut conn)?);
    assert_eq!(Migrator::new(&MIGRATIONS).current(&mut conn)?, None);
    Ok(())
}
