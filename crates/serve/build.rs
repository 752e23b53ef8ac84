//! With the `web-app` feature the web app is read into the binary at compile time; a new
//! build of it (`scripts/build-web.sh --served`) must rebuild the crate.
fn main() {
    if std::env::var_os("CARGO_FEATURE_WEB_APP").is_some() {
        println!("cargo:rerun-if-changed=../../web/dist-served");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
