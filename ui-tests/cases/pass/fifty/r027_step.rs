use migrate_runtime::prelude::*;

#[migration(revision = "r027", down_revision = "r026", message = "step 27")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r027").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r027");
    Ok(())
}
