//! Links `conlab` as a position-dependent executable. Process scenarios start conlab again for
//! every child, and a position-independent executable of this size spends most of its start
//! applying ~22,000 relocations (touching ~110 pages); linked at a fixed address it has none
//! to apply, which makes starting a worker about a third cheaper.

fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
