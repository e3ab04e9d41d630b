use migrate_runtime::prelude::*;

#[migration(revision = "a1", down_revision = None, message = "long names")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("customer_subscription_invoice_line_item_adjustments_history_archive")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("the_reason_this_adjustment_was_made_as_written_by_the_support_agent"));
    op.create_index("ix_short", "t", ["a_column_name_that_goes_on_and_on_well_past_what_postgres_keeps_x"]);
    // SQL is not a name: no error.
    op.execute("UPDATE t SET a = 1 WHERE b = 'a long string that is certainly more than sixty-three bytes'");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("customer_subscription_invoice_line_item_adjustments_history_archive_x");
    Ok(())
}
