fn main() {
    // Adding or removing a migration file must rebuild the embedded chain.
    println!("cargo:rerun-if-changed=migrations");
}
