"""Type stub for the compiled extension (the Rust crate in `src/`)."""

import polars as pl

__version__: str

def read_sqlite_bars(path: str, sql: str, params: list[int | str]) -> pl.DataFrame:
    """Runs ``sql`` (symbol, ts, open, high, low, close, volume) read-only on the SQLite file ``path`` with
    the SQLite library Python's sqlite3 loaded (the plugin looks its functions up itself)."""

def sqlite_native_available() -> bool:
    """True when the SQLite library of Python's sqlite3 was found (``read_sqlite_bars`` can run)."""

def allocated_bytes(reset: bool = False) -> tuple[int, int]:
    """Bytes the plugin holds now and the most it has held since the last ``reset=True``."""
