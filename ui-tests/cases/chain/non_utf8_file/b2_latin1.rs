// café
fn upgrade() {}
