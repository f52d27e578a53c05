//! Links the `neurice` executable position-dependent (`-no-pie`) on x86-64 Linux with glibc:
//! a PIE of this size (19 MB) carries about 23 000 dynamic relocations that the loader applies
//! at every start, copying about 90 pages of relocated read-only data; a per-file compress is
//! a few milliseconds, and that start was a quarter of it (issue 29: `neurice compress` of one
//! recording 4.50 → 4.12 ms of CPU, the output byte-identical). The cost: the executable's own
//! code and data are not address-randomised (shared libraries and the stack still are).
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && env == "gnu" && arch == "x86_64" {
        println!("cargo:rustc-link-arg-bin=neurice=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
