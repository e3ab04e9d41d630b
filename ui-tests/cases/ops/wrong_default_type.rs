use migrate_runtime::prelude::*;

fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Integer>("age").default("forty-two"));
    op.add_column("users", col::<Bool>("active").default(1));
    op.add_column("users", col::<Nullable<Text>>("nick").default(Some(3)));
    Ok(())
}

fn main() {
    let _ = upgrade;
}
