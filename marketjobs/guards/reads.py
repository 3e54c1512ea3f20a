"""Reads with a cap from the settings: an input larger than its cap fails with
:class:`~marketjobs.errors.InputTooLargeError` naming the setting to raise, never with an out-of-memory kill.

:class:`CappedStream` wraps a binary stream (a file, a gzip stream, an HTTP answer) and counts what is read
through it; :func:`read_capped` reads a whole stream that way and :func:`read_file_capped` a whole file
(``.gz`` files decompressed, their decompressed size counted). At most ``cap + 1`` bytes are ever read.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Protocol

from marketjobs.errors import InputTooLargeError

__all__ = [
    "NO_CAP",
    "READ_BLOCK_BYTES",
    "CappedStream",
    "Readable",
    "read_capped",
    "read_file_capped",
    "too_large",
]

#: A cap that never applies (the largest size a read may ask for).
NO_CAP = 2**62
#: Bytes asked for per read when a whole stream is read.
READ_BLOCK_BYTES = 1024 * 1024


class Readable(Protocol):
    """A binary stream: a file, a gzip stream, an HTTP answer."""

    def read(self, size: int, /) -> bytes:
        """Up to ``size`` bytes."""
        ...

    def readline(self, size: int, /) -> bytes:
        """One line of up to ``size`` bytes."""
        ...


def too_large(what: str, cap: int, setting: str, note: str = "") -> InputTooLargeError:
    """The error for ``what`` over ``cap`` bytes: it names the setting to raise."""
    return InputTooLargeError(
        f"{what} is larger than {setting} ({cap} bytes){note}; raise {setting} in the settings"
    )


class CappedStream:
    """A binary stream that raises InputTooLargeError once more than ``cap`` bytes were read through it."""

    def __init__(self, stream: Readable, cap: int, *, what: str, setting: str, note: str = "") -> None:
        self._stream, self.cap = stream, cap
        self.what, self.setting, self.note = what, setting, note
        #: Bytes read so far.
        self.total = 0

    def _count(self, data: bytes) -> bytes:
        self.total += len(data)
        if self.total > self.cap:
            raise too_large(self.what, self.cap, self.setting, self.note)
        return data

    def _room(self, size: int) -> int:
        room = min(self.cap + 1 - self.total, NO_CAP)  # one byte past the cap tells "larger" from "equal"
        return room if size is None or size < 0 else min(size, room)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all when negative, in blocks), counted against the cap."""
        if size is not None and size >= 0:
            return self._count(self._stream.read(self._room(size)))
        parts = []
        while block := self._stream.read(self._room(READ_BLOCK_BYTES)):
            parts.append(self._count(block))
        return b"".join(parts)

    def readline(self, size: int = -1) -> bytes:
        """One line of at most ``size`` bytes, counted against the cap."""
        return self._count(self._stream.readline(self._room(size)))


def read_capped(stream: Readable, cap: int, *, what: str, setting: str, note: str = "") -> bytes:
    """All of ``stream``; InputTooLargeError when it holds more than ``cap`` bytes."""
    return CappedStream(stream, cap, what=what, setting=setting, note=note).read()


def read_file_capped(path: Path, cap: int, *, setting: str) -> bytes:
    """The bytes of ``path`` (a ``.gz`` decompressed); InputTooLargeError past ``cap`` bytes."""
    if not path.name.lower().endswith(".gz"):
        if path.stat().st_size > cap:
            raise too_large(path.name, cap, setting)
        with path.open("rb") as file:
            return read_capped(file, cap, what=path.name, setting=setting)
    with gzip.open(path, "rb") as unzipped:
        return read_capped(unzipped, cap, what=path.name, setting=setting, note=" once decompressed")
