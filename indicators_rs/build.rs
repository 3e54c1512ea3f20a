//! Where the unit-test binary finds libpython: the folder `MARKETJOBS_PYTHON_LIBDIR` names (the Makefile
//! sets it for every cargo run, maturin's included, so the build script's inputs never differ).
//!
//! `make rust-test` builds with the environment maturin gives the extension (PYO3_BUILD_EXTENSION_MODULE
//! and its config file), so cargo reuses the polars tree `make build` compiled instead of building it a
//! second time. An extension module does not link libpython (the interpreter provides it); the test binary
//! does (`#[cfg(test)]` in lib.rs), and a search path is harmless to the extension.

fn main() {
    println!("cargo::rerun-if-env-changed=MARKETJOBS_PYTHON_LIBDIR");
    if let Ok(dir) = std::env::var("MARKETJOBS_PYTHON_LIBDIR") {
        println!("cargo::rustc-link-search=native={dir}");
    }
}
