use migrate_runtime::prelude::*;

#[migration(revision = "c16", down_revision = "c15", message = "drop index after rename")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("drafts")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("title"));
    op.create_index("ix_drafts_title", "drafts", ["title"]);
    op.rename_table("drafts", "Drafts");
    op.drop_index("ix_drafts_title", "drafts");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("Drafts");
    Ok(())
}
