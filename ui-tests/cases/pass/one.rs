use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;

static MIGRATIONS: Chain = embed_migrations!("one", relative_to = file);

fn main() -> Result<()> {
    assert_eq!(MIGRATIONS.len(), 1);
    let head = MIGRATIONS.head().expect("one migration");
    assert_eq!(head.revision(), "7f71d8f421e3");
    assert_eq!(head.message(), "initial");
    assert!(head.is_reversible());
    let mut conn = AnyConnection::establish("sqlite://")?;
    Migrator::new(&MIGRATIONS).upgrade(&mut conn, "head")?;
    assert!(Migrator::new(&MIGRATIONS).is_at_head(&mut conn)?);
    Migrator::new(&MIGRATIONS).downgrade(&mut conn, "base")?;
    assert_eq!(Migrator::new(&MIGRATIONS).current(&mut conn)?, None);
    Ok(())
}
