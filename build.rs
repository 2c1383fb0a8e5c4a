fn main() {
    // Migrations are embedded at compile time: a new one must rebuild.
    println!("cargo:rerun-if-changed=migrations");
}
