"""Bars from the store into Polars: SQLAlchemy rows, pandas.read_sql, load_bars and ADBC, per database.

Stores SYMBOLS x BARS synthetic bars in each database it can reach (SQLite file always; a database of its
own on the PostgreSQL and MariaDB servers of benchmarks/services.py, skipped when down), then times each
way of reading them all back as a Polars frame sorted by (symbol, ts), best of 3. ADBC is timed where its
driver is installed (``adbc-driver-sqlite``, ``adbc-driver-postgresql``; MariaDB has none), for reference
only: load_bars does not use ADBC on SQLite, since its driver links a second SQLite library into the
process (see marketjobs/marketdata/bars_io.py).
Prints a table, then the ratio of ``load_bars`` against SQLAlchemy rows per database last.

    .venv/bin/python benchmarks/bar_loading.py [--symbols 100 --bars 2520 --json var/bench/bar_loading.json]
    .venv/bin/python benchmarks/bar_loading.py --smoke      # 10 x 250 bars: seconds; CI runs this
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.services import MARIADB_SERVER, POSTGRES_SERVER, private_database
from benchmarks.summary import Metrics, add_json_argument, metric_name, write
from marketjobs.store.bars_io import load_bars, upsert_bars
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import upgrade

QUERY = "SELECT symbol, ts, open, high, low, close, volume FROM bars ORDER BY symbol, ts"


def synthetic_bars(symbols: int, bars: int, seed: int = 1) -> pl.DataFrame:
    """Random-walk daily bars, ``symbols`` x ``bars``, sorted by (symbol, ts)."""
    rng = np.random.default_rng(seed)
    n = symbols * bars
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.015, (symbols, bars)), axis=1)).ravel()
    spread = np.abs(rng.normal(0, 0.01, n))
    start = datetime(2016, 1, 4, tzinfo=UTC)
    return pl.DataFrame(
        {
            "symbol": np.repeat([f"S{i:05d}" for i in range(symbols)], bars),
            "ts": np.tile(np.arange(bars), symbols),
            "open": close * (1 + rng.normal(0, 0.004, n)),
            "close": close,
            "volume": rng.integers(10_000, 1_000_000, n).astype(float),
        }
    ).with_columns(
        ts=pl.lit(start) + pl.duration(days=pl.col("ts")),
        high=pl.max_horizontal("open", "close") * (1 + pl.Series(spread)),
        low=pl.min_horizontal("open", "close") * (1 - pl.Series(spread)),
    )


def _sqlalchemy_rows(engine: Engine) -> pl.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(text(QUERY)).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema=["symbol", "ts", "open", "high", "low", "close", "volume"],
        orient="row",
    )


def _pandas(engine: Engine) -> Any:
    """A pandas frame (converting it to Polars would need pyarrow for pandas 3's string column)."""
    import pandas as pd

    with engine.connect() as connection:
        return pd.read_sql(text(QUERY), connection)


def _adbc(url: str) -> Callable[[Engine], pl.DataFrame] | None:
    try:
        if url.startswith("sqlite"):
            import adbc_driver_sqlite.dbapi as driver

            target = url.removeprefix("sqlite:///")
        elif url.startswith("postgresql"):
            import adbc_driver_postgresql.dbapi as driver  # type: ignore[no-redef]

            target = url
        else:
            return None
    except ImportError:
        return None

    def read(_: Engine) -> pl.DataFrame:
        with driver.connect(target) as connection, connection.cursor() as cursor:
            cursor.execute(QUERY)
            return cursor.fetch_polars()

    return read


def _best(read: Callable[[Engine], Any], engine: Engine, rounds: int = 3) -> tuple[float, int]:
    times, height = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        frame = read(engine)
        times.append(time.perf_counter() - started)
        height = len(frame)
    return min(times), height


@contextmanager
def _stores(directory: str) -> Iterator[list[tuple[str, str]]]:
    """(name, URL) of a SQLite file and of a database of its own on each server that is up."""
    stores = [("SQLite", f"sqlite:///{directory}/bars.db")]
    with ExitStack() as stack:
        for name, server in (("PostgreSQL", POSTGRES_SERVER), ("MariaDB", MARIADB_SERVER)):
            url = stack.enter_context(private_database(server, "bar_loading"))
            if url is not None:
                stores.append((name, url))
        yield stores


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--bars", type=int, default=2520)
    parser.add_argument("--smoke", action="store_true", help="10 symbols x 250 bars: seconds")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.symbols, args.bars = 10, 250
    bars = synthetic_bars(args.symbols, args.bars)
    ratios = []
    metrics = Metrics()
    with tempfile.TemporaryDirectory() as directory, _stores(directory) as stores:
        print(f"{bars.height:,} bars ({args.symbols} symbols x {args.bars}); seconds, best of 3")
        print(
            f"{'database':<11} {'SQLAlchemy rows':>16} {'pandas.read_sql':>16} {'load_bars':>10} {'ADBC':>8}"
        )
        for name, url in stores:
            upgrade(url)
            engine = create_store_engine(url)
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM bars"))
            upsert_bars(engine, bars)
            timed = {
                "rows": _best(_sqlalchemy_rows, engine),
                "pandas": _best(_pandas, engine),
                "load_bars": _best(lambda e: load_bars(e), engine),
            }
            adbc = _adbc(url)
            if adbc is not None:
                timed["adbc"] = _best(adbc, engine)
            assert all(h == bars.height for _, h in timed.values()), timed
            cells = [f"{timed[k][0]:>16.3f}" for k in ("rows", "pandas")] + [
                f"{timed['load_bars'][0]:>10.3f}"
            ]
            cells.append(f"{timed['adbc'][0]:>8.3f}" if "adbc" in timed else f"{'-':>8}")
            print(f"{name:<11} {' '.join(cells)}")
            ratios.append(f"{name} {timed['rows'][0] / timed['load_bars'][0]:.2f}x")
            for key, (seconds, _) in timed.items():
                metrics.lower(metric_name(name, key, "s"), seconds)
            metrics.higher(metric_name(name, "load_bars_vs_rows_x"), timed["rows"][0] / timed["load_bars"][0])
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM bars"))
            engine.dispose()
    print("ratios: load_bars vs SQLAlchemy rows: " + ", ".join(ratios))
    write(args.json, __file__, args, metrics)


if __name__ == "__main__":
    main()
