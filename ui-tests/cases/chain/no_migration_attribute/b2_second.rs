use migrate_runtime::prelude::*;

pub fn upgrade(_op: &mut Op) -> Result<()> {
    Ok(())
}
