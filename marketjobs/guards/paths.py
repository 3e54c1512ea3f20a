"""Paths jobs touch: under roots from the settings, named by plain ids, and never overwriting a file.

:func:`inside` resolves a path (``..`` and every symlink followed, as the OS would when opening it) and
refuses it unless it lies under one of the roots (resolved too). :func:`safe_id` admits an id as a file
name only when it is plain (letters, digits, ``-`` and ``_``). :func:`create_new` and
:func:`move_without_overwrite` pick the first free name (``r.csv``, ``r.1.csv``, ``r.2.csv``, ...) and claim
it atomically (``O_EXCL``, a hard link), so two writers never clobber each other or an existing file.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from marketjobs.errors import ParameterError

__all__ = ["MAX_FREE_NAMES", "create_new", "inside", "move_without_overwrite", "safe_id", "under"]

#: Names tried (``name``, ``stem.1.rest``, ...) before giving up on a free one.
MAX_FREE_NAMES = 1000
_PLAIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def under(path: Path, roots: Sequence[Path]) -> bool:
    """True when resolved ``path`` is one of the resolved ``roots`` or below one."""
    return any(path == root or path.is_relative_to(root) for root in roots)


def inside(path: str | Path, roots: Sequence[str | Path], *, setting: str, what: str = "") -> Path:
    """``path`` resolved, when it lies under one of ``roots``; ParameterError naming ``setting`` otherwise.

    Relative paths (and roots) are taken from the working directory. ``what`` ("drop folder") starts the
    message.
    """
    if "\x00" in str(path):
        raise ParameterError(f"{what or 'path'} {path!r} holds a NUL byte; pass a plain path")
    resolved = Path(path).resolve()
    bases = [Path(root).resolve() for root in roots]
    if not under(resolved, bases):
        shown = ", ".join(str(b) for b in bases) or "none"
        raise ParameterError(
            f"{(what + ' ') if what else ''}{path} is outside {setting} ({shown}); move it under one of them "
            f"or add its folder to {setting} in the settings"
        )
    return resolved


def safe_id(text: str, what: str) -> str:
    """``text`` when it can name a file (a plain id such as a UUID); ParameterError otherwise."""
    if not _PLAIN_ID.match(text):
        raise ParameterError(
            f"{what} {text[:140]!r} cannot name a file: use letters, digits, '-' and '_' only (up to 128)"
        )
    return text


def _names(name: str) -> Iterator[str]:
    stem, dot, rest = name.partition(".")
    yield name
    for n in range(1, MAX_FREE_NAMES):
        yield f"{stem}.{n}{dot}{rest}"


def _no_free_name(folder: Path, name: str) -> ParameterError:
    return ParameterError(
        f"{folder} already holds {name} and {MAX_FREE_NAMES - 1} numbered copies of it; clean it up"
    )


def create_new(folder: Path, name: str) -> tuple[Path, IO[bytes]]:
    """A new file in ``folder`` named ``name`` or, when that exists, the first free numbered name; the file
    is open for writing and was created by this call (``O_EXCL``), so no existing file is touched."""
    for candidate in _names(name):
        path = folder / candidate
        try:
            return path, path.open("xb")
        except FileExistsError:
            continue
    raise _no_free_name(folder, name)


def move_without_overwrite(source: Path, folder: Path, name: str | None = None) -> Path:
    """Moves file ``source`` into ``folder`` as ``name`` (default its own) or the first free numbered name;
    returns where it went."""
    name = name or source.name
    for candidate in _names(name):
        target = folder / candidate
        try:
            os.link(source, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:  # no hard links here (another file system, FAT, ...): copy to a new file
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                raise
            path, out = create_new(folder, name)
            with out, source.open("rb") as data:
                shutil.copyfileobj(data, out)
            source.unlink()
            return path
        source.unlink()
        return target
    raise _no_free_name(folder, name)
