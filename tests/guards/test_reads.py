"""Reads with a cap: a stream, a whole answer or file, never more than the setting allows."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from marketjobs.errors import InputTooLargeError, NonRetryableError
from marketjobs.guards.reads import CappedStream, read_capped, read_file_capped


def test_read_capped_returns_what_fits() -> None:
    assert (
        read_capped(io.BytesIO(b"x" * 100), 100, what="the answer", setting="max_response_bytes")
        == b"x" * 100
    )


def test_read_capped_refuses_more_and_names_the_setting() -> None:
    with pytest.raises(
        InputTooLargeError, match=r"the answer is larger than max_response_bytes \(100 bytes\); raise"
    ):
        read_capped(io.BytesIO(b"x" * 101), 100, what="the answer", setting="max_response_bytes")
    assert issubclass(InputTooLargeError, NonRetryableError)


def test_a_capped_stream_stops_at_its_cap_whatever_the_read_sizes() -> None:
    stream = CappedStream(io.BytesIO(b"y" * 1000), 300, what="AAPL.csv", setting="max_import_bytes")
    assert len(stream.read(200)) == 200
    assert stream.readline(50) == b"y" * 50
    with pytest.raises(InputTooLargeError, match=r"AAPL\.csv is larger than max_import_bytes"):
        stream.read(1000)


def test_a_gzip_bomb_is_refused_once_the_decompressed_size_passes_the_cap(tmp_path: Path) -> None:
    bomb = tmp_path / "AAPL.csv.gz"
    with gzip.open(bomb, "wb") as out:
        for _ in range(64):
            out.write(b"\n" * 1_000_000)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(
        InputTooLargeError,
        match=r"AAPL.csv.gz is larger than drop_max_file_bytes \(1000000 bytes\) once decompressed",
    ):
        read_file_capped(bomb, 1_000_000, setting="drop_max_file_bytes")


def test_read_file_capped_reads_plain_and_gzip_files(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"ts\n1\n")
    with gzip.open(tmp_path / "b.csv.gz", "wb") as out:
        out.write(b"ts\n2\n")
    assert read_file_capped(tmp_path / "a.csv", 10, setting="drop_max_file_bytes") == b"ts\n1\n"
    assert read_file_capped(tmp_path / "b.csv.gz", 10, setting="drop_max_file_bytes") == b"ts\n2\n"
