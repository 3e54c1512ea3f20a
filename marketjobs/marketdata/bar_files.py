"""Bar files read in chunks (CSV, CSV.gz and Parquet), and files that cannot hold bars refused up front.

CSV is read in blocks of :data:`CSV_BLOCK_BYTES` cut at line ends (decompressed on the fly), Parquet by record
batches, so memory stays bounded whatever the file size. A file that cannot be parsed is not worth a retry:
an empty file, one with a header but no rows, binary data, a line whose quotes do not close (CSV fields must
not span lines), broken gzip or Parquet each raise :class:`~marketjobs.errors.BadBarFile`, a
:class:`~marketjobs.errors.NonRetryableError` that names the file, the line and what to do. With caps (the
settings' ``max_import_bytes`` and ``max_line_bytes``), a file larger than ``max_bytes`` (a ``.gz`` counted
decompressed) or a line longer than ``max_line_bytes`` raises :class:`~marketjobs.errors.InputTooLargeError`
before it is held in memory.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NoReturn

import polars as pl

from marketjobs.errors import BadBarFile, InputTooLargeError
from marketjobs.guards.reads import NO_CAP, CappedStream, too_large

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


def _line_too_long(path: Path, line: int, cap: int) -> InputTooLargeError:
    return InputTooLargeError(
        f"line {line} of {path.name} is longer than max_line_bytes ({cap} bytes); a CSV line holds one bar: "
        "fix the file, or raise max_line_bytes in the settings"
    )


def _long_line_at(data: bytes, cap: int) -> int | None:
    """Where in ``data`` a line longer than ``cap`` bytes starts, or None; O(len(data)), in C-speed steps."""
    start = 0
    while len(data) - start > cap:
        last = data.rfind(b"\n", start, start + cap + 1)
        if last < 0:
            return start
        start = last + 1
    return None


def _csv_chunks(path: Path, chunk_rows: int, max_bytes: int, max_line: int) -> Iterator[Chunk]:
    size = max(path.stat().st_size, 1)
    with path.open("rb") as raw:
        file: IO[bytes] | gzip.GzipFile = raw
        gz = path.name.lower().endswith(".gz")
        if gz:
            file = gzip.GzipFile(fileobj=raw)
        note = " once decompressed" if gz else ""
        stream = CappedStream(file, max_bytes, what=path.name, setting="max_import_bytes", note=note)
        header_line = stream.readline(max_line + 1)
        if len(header_line.rstrip(b"\r\n")) > max_line:
            raise _line_too_long(path, 1, max_line)
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
            if len(carry) > max_line:
                raise _line_too_long(path, line + data.count(b"\n"), max_line)
            if len(data) > max_line and (at_byte := _long_line_at(data, max_line)) is not None:
                raise _line_too_long(path, line + data[:at_byte].count(b"\n"), max_line)
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


def _parquet_chunks(path: Path, chunk_rows: int, max_bytes: int) -> Iterator[Chunk]:
    if path.stat().st_size > max_bytes:
        raise too_large(path.name, max_bytes, "max_import_bytes")
    scan = pl.scan_parquet(path)
    total = scan.select(pl.len()).collect().item()
    if not total:
        raise BadBarFile(f"{path.name} has no rows; write bars into it or remove the file")
    names = scan.collect_schema().names()
    done = 0
    for batch in scan.collect_batches(chunk_size=chunk_rows):
        done += batch.height
        yield names, batch, done / total


def read_chunks(
    path: Path, chunk_rows: int, *, max_bytes: int | None = None, max_line_bytes: int | None = None
) -> Iterator[Chunk]:
    """The chunks of bar file ``path``, ``chunk_rows`` rows at most; BadBarFile when it cannot hold bars,
    InputTooLargeError past ``max_bytes`` (decompressed) or a line past ``max_line_bytes`` (None: no cap)."""
    parquet = path.name.lower().endswith((".parquet", ".pq"))
    cap, line_cap = max_bytes or NO_CAP, max_line_bytes or NO_CAP
    try:
        if parquet:
            yield from _parquet_chunks(path, chunk_rows, cap)
        else:
            yield from _csv_chunks(path, chunk_rows, cap, line_cap)
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
