use migrate_runtime::prelude::*;

#[migration(revision = "a1", down_revision = None)]
struct Upgrade;
