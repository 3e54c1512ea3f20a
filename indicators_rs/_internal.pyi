"""Type stub for the compiled extension (the Rust crate in `src/`)."""

__version__: str
