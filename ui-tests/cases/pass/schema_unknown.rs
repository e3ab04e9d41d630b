//! Every form the schema fold does not read (raw SQL, a computed name, a
//! loop, a helper, a data step, a batch, a variable, the if-exists forms, an
//! index the database names, SQL per dialect): none may be an error. And a
//! round trip it reads whole.
use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("schema_unknown", relative_to = file);

fn main() {
    assert_eq!(MIGRATIONS.len(), 12);
}
