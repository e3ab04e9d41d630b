//! Every form the schema fold does not read (raw SQL, a computed name, a
//! loop, a helper, a data step, a batch, a variable, the if-exists forms, an
//! index the database names, SQL per dialect, statements under #[cfg], a
//! macro defined in the body): none may be an error. And what it reads whole:
//! a round trip, an index dropped with its column, names in another case, a
//! foreign key to a table made after it, a named unique constraint.
use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("schema_unknown", relative_to = file);

fn main() {
    assert_eq!(MIGRATIONS.len(), 18);
}
