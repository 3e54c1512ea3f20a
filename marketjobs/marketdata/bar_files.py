"""Bar files read in chunks (CSV, CSV.gz and Parquet), and files that cannot hold bars refused up front.

CSV is read in blocks of :data:`CSV_BLOCK_BYTES` cut at line ends (decompressed on the fly), Parquet by record
batches, so memory stays bounded whatever the file size. A file that cannot be parsed is not worth a retry:
an empty file, one with a header but no rows, binary data, a line whose quotes do not close (CSV fields must
not span lines), broken gzip or Parquet each raise :class:`~marketjobs.errors.BadBarFile`, a
:class:`~marketjobs.errors.NonRetryableError` that names the file, the line and what to do.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NoReturn

import polars as pl

from marketjobs.errors import BadBarFile

__all__ = ["CSV_BLOCK_BYTES", "BadBarFile", "read_chunks"]

#: Bytes read from a CSV per block.
CSV_BLOCK_BYTES = 8 * 1024 * 1024

#: (header, chunk of text columns, fraction of the file's bytes read).
Chunk = tuple[list[str], pl.DataFrame, float]


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), text)


def _check_text(path: Path, data: bytes, first_line: int) -> None:
    """BadBarFile when ``data`` (lines from ``first_line`` on) is binary or has a line with an open quote."""
    if b"\x00" in data:
        line = first_line + data[: data.index(b"\x00")].count(b"\n")
        raise BadBarFile(
            f"{path.name} holds binary data (a NUL byte on line {line}), not CSV text; export the bars as "
            "CSV or Parquet"
        )
    if data.count(b'"') % 2:
        _open_quote(path, data, first_line, None)


def _open_quote(path: Path, data: bytes, first_line: int, error: Exception | None) -> NoReturn:
    """Raises BadBarFile naming the first line of ``data`` whose quotes do not close (else ``error``)."""
    for offset, line in enumerate(data.split(b"\n")):
        if line.count(b'"') % 2:
            text = line.decode("utf-8", "replace").strip()[:80]
            raise BadBarFile(
                f"{path.name} line {first_line + offset}: a quote is not closed ({text}); close it or remove "
                "it (CSV fields cannot span lines), then import again"
            )
    problem = _first_line(str(error)) if error is not None else "unbalanced quotes"
    raise BadBarFile(
        f"{path.name} cannot be parsed after line {first_line - 1}: {problem}; fix the file and import again"
    )


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    size = max(path.stat().st_size, 1)
    with path.open("rb") as raw:
        stream: IO[bytes] | gzip.GzipFile = raw
        if path.name.lower().endswith(".gz"):
            stream = gzip.GzipFile(fileobj=raw)
        header_line = stream.readline()
        if not header_line.strip():
            what = "is empty" if not header_line else "has no header on line 1"
            raise BadBarFile(f"{path.name} {what}; give it a header such as Date,Open,High,Low,Close,Volume")
        _check_text(path, header_line, 1)
        try:
            names = pl.read_csv(header_line, infer_schema=False).columns
        except pl.exceptions.PolarsError as exc:
            _open_quote(path, header_line, 1, exc)
        pending: list[pl.DataFrame] = []
        held, carry, line = 0, b"", 2
        # Progress: the raw (compressed) position, interpolated by rows over the latest block.
        parsed = emitted = parsed_before = 0
        at = at_before = raw.tell()
        while True:
            block = stream.read(CSV_BLOCK_BYTES)
            data = carry + block
            cut = len(data) if not block else data.rfind(b"\n") + 1
            data, carry = data[:cut], data[cut:]
            if data.strip(b"\r\n"):
                _check_text(path, data, line)
                try:
                    part = pl.read_csv(
                        data,
                        has_header=False,
                        new_columns=names,
                        infer_schema=False,
                        truncate_ragged_lines=True,
                    )
                except pl.exceptions.PolarsError as exc:
                    _open_quote(path, data, line, exc)
                pending.append(part)
                held += part.height
                parsed_before, at_before = parsed, at
                parsed, at = parsed + part.height, raw.tell()
            line += data.count(b"\n")
            while held >= chunk_rows or (not block and held):
                frame = pl.concat(pending) if len(pending) > 1 else pending[0]
                out, rest = frame.head(chunk_rows), frame.slice(chunk_rows)
                pending, held = ([rest] if rest.height else []), rest.height
                emitted += out.height
                share = (emitted - parsed_before) / max(parsed - parsed_before, 1)
                yield names, out, max(0.0, at_before + (at - at_before) * share) / size
            if not block:
                break
    if not emitted:
        raise BadBarFile(
            f"{path.name} has a header but no rows; add bars below the header or remove the file"
        )


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    scan = pl.scan_parquet(path)
    total = scan.select(pl.len()).collect().item()
    if not total:
        raise BadBarFile(f"{path.name} has no rows; write bars into it or remove the file")
    names = scan.collect_schema().names()
    done = 0
    for batch in scan.collect_batches(chunk_size=chunk_rows):
        done += batch.height
        yield names, batch, done / total


def read_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    """The chunks of bar file ``path``, ``chunk_rows`` rows at most; BadBarFile when it cannot hold bars."""
    parquet = path.name.lower().endswith((".parquet", ".pq"))
    try:
        yield from (_parquet_chunks if parquet else _csv_chunks)(path, chunk_rows)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise BadBarFile(
            f"{path.name} is not a readable gzip file ({exc}); compress it again or unzip it"
        ) from None
    except pl.exceptions.PolarsError as exc:
        if not parquet:
            raise
        raise BadBarFile(
            f"{path.name} is not a readable Parquet file ({_first_line(str(exc))}); write it again"
        ) from None
