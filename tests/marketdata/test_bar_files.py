"""Bar files that cannot hold bars are refused for good (no retry), naming the file, the line and the fix."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from marketjobs.errors import BadBarFile, NonRetryableError
from marketjobs.marketdata import bar_files
from marketjobs.marketdata.bar_files import read_chunks
from marketjobs.marketdata.importer import import_bars
from marketjobs.store.engine import create_store_engine

HEADER = "Date,Open,High,Low,Close,Volume\n"
ROW = "2024-01-{day:02d},1,2,0.5,1.5,100\n"


@pytest.fixture
def store(sqlite_url: str) -> Engine:
    return create_store_engine(sqlite_url)


def rows(count: int) -> str:
    return "".join(ROW.format(day=1 + n % 28) for n in range(count))


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("EMPTY.csv", b"", "EMPTY.csv is empty"),
        ("BLANK.csv", b"\n\n", "has no header on line 1"),
        ("HEADER.csv", HEADER.encode(), "has a header but no rows"),
        ("BINARY.csv", b"\x7fELF\x02\x01\x01\x00\x00\x00\n\x00\x01", r"binary data \(a NUL byte on line 1\)"),
        ("LATE.csv", (HEADER + rows(3)).encode() + b"\x00\x01\n", "NUL byte on line 5"),
        ("QUOTE.csv", (HEADER + rows(2) + '2024-02-01,"1,2,0.5,1.5,100\n' + rows(2)).encode(),
         r"QUOTE.csv line 4: a quote is not closed \(2024-02-01,\"1,2"),
        ("NOTGZ.csv.gz", b"Date,Open\n1,2\n", "not a readable gzip file"),
        ("CUT.csv.gz", gzip.compress((HEADER + rows(50)).encode())[:40], "not a readable gzip file"),
        ("BAD.parquet", b"PAR1 not really", "not a readable Parquet file"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_hold_bars_is_refused_without_retry(
    store: Engine, tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(BadBarFile, match=match) as raised:
        import_bars(tmp_path / name, store)
    assert isinstance(raised.value, NonRetryableError)


def test_an_open_quote_is_found_on_its_line_in_a_later_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bar_files, "CSV_BLOCK_BYTES", 200)  # the bad line lies several blocks in
    path = tmp_path / "AAPL.csv"
    path.write_text(HEADER + rows(40) + '2024-03-01,1,"2,0.5,1.5,100\n' + rows(5))
    with pytest.raises(BadBarFile, match=r"AAPL\.csv line 42: a quote is not closed"):
        list(read_chunks(path, 10))


def test_an_empty_parquet_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "AAPL.parquet"
    pl.DataFrame({"ts": [], "close": []}).write_parquet(path)
    with pytest.raises(BadBarFile, match=r"AAPL\.parquet has no rows"):
        list(read_chunks(path, 10))


def test_quoted_fields_that_close_on_their_line_are_read(tmp_path: Path) -> None:
    path = tmp_path / "AAPL.csv"
    path.write_text('"Date","Open","High","Low","Close"\n"2024-01-02","1","2","0.5","1.5"\n')
    [(names, frame, fraction)] = list(read_chunks(path, 10))
    assert names == ["Date", "Open", "High", "Low", "Close"]
    assert frame.row(0) == ("2024-01-02", "1", "2", "0.5", "1.5")
    assert fraction == 1.0
