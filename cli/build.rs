//! Links the `neurice` executable position-dependent (`-no-pie`) on x86-64 Linux with glibc:
//! a PIE of this size (19 MB) carries about 23 000 dynamic relocations that the loader applies
//! at every start, copying about 90 pages of relocated read-only data; a per-file compress is
//! a few milliseconds, and that start was a quarter of it (issue 29: `neurice compress` of one
//! recording 4.50 → 4.12 ms of CPU, the output byte-identical). The cost: the executable's own
//! code and data are not address-randomised (shared libraries and the stack still are).
//!
//! It also links GCC's unwinder statically (`libgcc_eh.a`, the code of `libgcc_s.so.1`) in
//! place of the shared `libgcc_s.so.1`: that library's constructor probes the processor with
//! about a dozen `cpuid` instructions, each a trap to the hypervisor on a virtual machine
//! (7–9 µs each here), and loading it is one more library to map and relocate; a Rust
//! "hello" started 0.09 ms faster without it (issue 29). Rust asks the linker for `-lgcc_s`;
//! a folder holding only `libgcc_s.a` (a copy of `libgcc_eh.a`), searched first, answers it.
//! Panics still unwind (`catch_unwind`, exit status 101). Skipped when the C compiler does
//! not know `libgcc_eh.a`.
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && env == "gnu" && arch == "x86_64" {
        println!("cargo:rustc-link-arg-bin=neurice=-no-pie");
        if let Some(dir) = static_unwinder_dir() {
            println!("cargo:rustc-link-arg-bin=neurice=-L{}", dir.display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// A folder in `OUT_DIR` whose `libgcc_s.a` is a copy of the C compiler's `libgcc_eh.a`, or
/// `None`.
fn static_unwinder_dir() -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(cc)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let eh = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // an unknown file is printed back as its bare name
    if !out.status.success() || !eh.is_absolute() || !eh.is_file() {
        return None;
    }
    let dir = PathBuf::from(std::env::var_os("OUT_DIR")?).join("static-unwinder");
    std::fs::create_dir_all(&dir).ok()?;
    let lib = dir.join("libgcc_s.a");
    std::fs::copy(&eh, &lib).ok()?;
    Some(dir)
}
