"""Streaming import of CSV, CSV.gz and Parquet bar files: chunks, mapping, rejected rows, idempotency."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from marketjobs.errors import ParameterError
from marketjobs.marketdata import bar_files
from marketjobs.marketdata.importer import import_bars
from marketjobs.store.bars_io import load_bars
from marketjobs.store.engine import create_store_engine

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def csv_rows(days: int, close: float = 10.5) -> str:
    return "".join(f"2024-{1 + d // 28:02d}-{1 + d % 28:02d},10,11,9,{close},1,100\n" for d in range(days))


@pytest.fixture
def store(sqlite_url: str) -> Engine:
    return create_store_engine(sqlite_url)


def test_csv_with_bad_rows_imports_the_good_ones_and_reports_the_rest(store: Engine, tmp_path: Path) -> None:
    source = tmp_path / "AAPL.csv"
    source.write_text(HEADER + csv_rows(2) + "2024-01-05,10,11,12,10.5,1,100\nnot a date,10,11,9,10,1,5\n")
    report = tmp_path / "reports" / "job.csv"
    summary = import_bars(source, store, report_path=report)
    assert (summary.files, summary.rows_read, summary.rows_upserted, summary.rows_rejected) == (1, 4, 2, 2)
    assert summary.report == str(report)
    rejected = pl.read_csv(report, infer_schema=False)
    assert rejected.select("file", "row", "reason").rows() == [
        ("AAPL.csv", "3", "low > high"),
        ("AAPL.csv", "4", "unparseable ts 'not a date'"),
    ]
    assert [r["row"] for r in summary.rejected_sample] == [3, 4]
    assert load_bars(store)["symbol"].unique().to_list() == ["AAPL"]


def test_reimporting_changed_rows_updates_them_without_duplicates(engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "IBM.csv"
    source.write_text(HEADER + csv_rows(3))
    import_bars(source, engine)
    source.write_text(HEADER + csv_rows(3, close=10.75))
    summary = import_bars(source, engine)
    loaded = load_bars(engine)
    assert summary.rows_upserted == 3
    assert loaded.height == 3
    assert loaded["close"].to_list() == [10.75] * 3


def test_gzip_csv_with_a_mapping_and_a_symbol_column(store: Engine, tmp_path: Path) -> None:
    source = tmp_path / "export.csv.gz"
    with gzip.open(source, "wt") as out:
        out.write(
            "when;tick;o;h;l;c\n2024-01-02T15:30:00Z;MSFT;10;11;9;10\n2024-01-02T15:30:00Z;IBM;5;6;4;5\n"
        )
    mapping = {"when": "ts", "tick": "symbol", "o": "open", "h": "high", "l": "low", "c": "close"}
    with pytest.raises(ParameterError, match="its columns are"):
        import_bars(source, store, columns=mapping)  # ';' not read as a separator: one column
    source.write_bytes(gzip.compress(gzip.decompress(source.read_bytes()).replace(b";", b",")))
    summary = import_bars(source, store, columns=mapping)
    loaded = load_bars(store)
    assert summary.rows_upserted == 2
    assert loaded.select("symbol", "ts").rows() == [
        ("IBM", datetime(2024, 1, 2, 15, 30, tzinfo=UTC)),
        ("MSFT", datetime(2024, 1, 2, 15, 30, tzinfo=UTC)),
    ]
    assert loaded["volume"].to_list() == [None, None]


def test_parquet_is_read_in_chunks_with_progress(store: Engine, tmp_path: Path) -> None:
    ts = pl.datetime_range(datetime(2020, 1, 1), datetime(2020, 1, 1, 2, 29), "1m", eager=True)
    frame = pl.DataFrame({"timestamp": ts, "open": 2.0, "high": 3.0, "low": 1.0, "close": 2.5, "volume": 7})
    frame = frame.with_columns(
        close=pl.when(pl.int_range(pl.len()) == 99).then(9.0).otherwise(pl.col("close"))
    )
    frame.write_parquet(tmp_path / "SPY.parquet", row_group_size=40)
    seen: list[float] = []
    summary = import_bars(
        tmp_path / "SPY.parquet", store, chunk_rows=60, progress=lambda p, _: seen.append(p)
    )
    assert seen == [40.0, 80.0, 100.0]
    assert (summary.rows_read, summary.rows_upserted, summary.rows_rejected) == (150, 149, 1)
    assert summary.rejected_sample[0]["row"] == 100
    assert summary.report is None


def test_directory_import_reads_every_bar_file_with_symbols_from_names(store: Engine, tmp_path: Path) -> None:
    (tmp_path / "AAPL.csv").write_text(HEADER + csv_rows(3))
    with gzip.open(tmp_path / "MSFT.csv.gz", "wt") as out:
        out.write(HEADER + csv_rows(2))
    pl.read_csv((HEADER + csv_rows(4)).encode()).write_parquet(tmp_path / "IBM.parquet")
    (tmp_path / "notes.txt").write_text("not bars")
    summary = import_bars(tmp_path, store)
    assert summary.files == 3
    counts = load_bars(store).group_by("symbol").len().sort("symbol").rows()
    assert counts == [("AAPL", 3), ("IBM", 4), ("MSFT", 2)]


def test_large_csv_streams_in_chunks_and_flags_repeats_across_chunks(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bar_files, "CSV_BLOCK_BYTES", 1000)  # many blocks, rows cut across block ends
    source = tmp_path / "AAPL.csv"
    source.write_text(HEADER + csv_rows(250) + csv_rows(1, close=10.25))
    percents: list[float] = []
    report = tmp_path / "rejected.parquet"
    summary = import_bars(
        source, store, chunk_rows=64, progress=lambda p, _: percents.append(p), report_path=report
    )
    assert (summary.rows_read, summary.rows_upserted, summary.rows_rejected) == (251, 250, 1)
    assert len(percents) == 4
    assert percents == sorted(percents)
    assert percents[-1] == 100.0
    assert pl.read_parquet(report).select("row", "reason").rows() == [
        ("251", "duplicate (symbol, ts) of row 1")
    ]
    assert load_bars(store)["close"].to_list() == [10.5] * 250


def test_progress_callback_can_stop_the_import_between_chunks(store: Engine, tmp_path: Path) -> None:
    source = tmp_path / "AAPL.csv"
    source.write_text(HEADER + csv_rows(100))

    def stop_after_first_chunk(percent: float, message: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_bars(source, store, chunk_rows=30, progress=stop_after_first_chunk)
    assert load_bars(store).height == 30


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("AAPL.csv", "Day,Open,High,Low,Close\n", r"no columns for \['ts'\]"),
        ("bars.json", "{}", "is not one of"),
        ("missing.csv", None, "does not exist"),
    ],
)
def test_bad_files_fail_with_the_fix(
    store: Engine, tmp_path: Path, name: str, content: str | None, match: str
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content + "2024-01-02,1,1,1,1\n")
    with pytest.raises(ParameterError, match=match):
        import_bars(tmp_path / name, store)


def test_empty_directory_says_what_it_wants(store: Engine, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="holds no"):
        import_bars(tmp_path, store)


def test_should_stop_ends_the_import_between_chunks_with_a_partial_summary(
    store: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "AAPL.csv"
    source.write_text(HEADER + csv_rows(100))
    asked: list[int] = []

    def stop_on_third_ask() -> bool:
        asked.append(1)
        return len(asked) == 3

    summary = import_bars(source, store, chunk_rows=30, should_stop=stop_on_third_ask)
    assert summary.stopped
    assert (summary.rows_read, summary.rows_upserted) == (60, 60)
    assert load_bars(store).height == 60
