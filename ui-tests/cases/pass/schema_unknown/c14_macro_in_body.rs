use migrate_runtime::prelude::*;

#[migration(revision = "c14", down_revision = "c13", message = "macro in body")]
fn upgrade(op: &mut Op) -> Result<()> {
    macro_rules! scratch {
        () => {
            op.create_table("scratch").column(col::<Integer>("id"))
        };
    }
    scratch!();
    op.drop_table("scratch");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.execute("SELECT 1");
    Ok(())
}
