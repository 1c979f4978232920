//! Links the `plateau` binary as a position-dependent executable on Linux (glibc).
//!
//! With DataFusion linked in, a position-independent `plateau` carries about 257,000 relative
//! relocations that the dynamic loader applies at every start: 2.7 ms of a 4.7 ms
//! `plateau --version`, and 15 MB of dirtied pages, measured with `perf stat` on 2 cores.
//! A CLI started once per query pays that on every call, so the binary is linked with
//! `-no-pie`, which resolves them at link time. The price is a fixed load address for the
//! executable's own code (shared libraries keep ASLR). `PLATEAU_CLI_PIE=1` at build time
//! keeps the platform's default.

fn main() {
    println!("cargo:rerun-if-env-changed=PLATEAU_CLI_PIE");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let keep_pie = std::env::var_os("PLATEAU_CLI_PIE").is_some_and(|v| v == "1");
    if linux_gnu && !keep_pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
