use migrate_runtime::prelude::*;

static A: Chain = embed_migrations!(42);
static B: Chain = embed_migrations!("m", relative_to = somewhere);
static C: Chain = embed_migrations!("m", colour = file);

fn main() {
    let _ = (&A, &B, &C);
}
