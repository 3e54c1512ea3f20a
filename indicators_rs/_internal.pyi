"""Type stub for the compiled extension (the Rust crate in `src/`)."""

import polars as pl

__version__: str

#: The SQLite C functions read_sqlite_bars needs, in the order of its ``api`` argument.
SQLITE_FUNCTIONS: list[str]

def read_sqlite_bars(api: list[int], path: str, sql: str, params: list[int | str]) -> pl.DataFrame:
    """Runs ``sql`` (symbol, ts, open, high, low, close, volume) read-only on the SQLite file ``path`` with
    the SQLite library whose C functions are at ``api`` (the one Python's sqlite3 loaded)."""

def allocated_bytes(reset: bool = False) -> tuple[int, int]:
    """Bytes the plugin holds now and the most it has held since the last ``reset=True``."""
