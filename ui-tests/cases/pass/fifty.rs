use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;

static MIGRATIONS: Chain = embed_migrations!("fifty", relative_to = file);

fn main() -> Result<()> {
    assert_eq!(MIGRATIONS.len(), 50);
    let revs: Vec<&str> = MIGRATIONS.migrations().iter().map(|m| m.revision()).collect();
    assert_eq!(revs[0], "r000");
    assert_eq!(revs[49], "r049");
    let doc = &MIGRATIONS.migrations()[3];
    assert_eq!(doc.message(), "message from the doc comment");
    assert!(!doc.transactional());
    let mut conn = AnyConnection::establish("sqlite://")?;
    let steps = Migrator::new(&MIGRATIONS).upgrade(&mut conn, "head")?;
    assert_eq!(steps.len(), 50);
    let steps = Migrator::new(&MIGRATIONS).downgrade(&mut conn, "base")?;
    assert_eq!(steps.len(), 50);
    Ok(())
}
