"""``file``: a drop folder of CSV / CSV.gz / Parquet bar files, each read once.

Every file in ``folder`` with an importable suffix is pending. Columns map as in ``data_import`` (``columns``
or the common names Date, Open, ..., Ticker); a file without a symbol column holds the bars of the symbol
its name starts with (``AAPL.csv`` → ``AAPL``). A pending file moves to ``folder/done/`` (or ``done_dir``)
once every symbol in it was stored successfully; a file with a failed symbol stays and is read again on the
next run (upserts are idempotent). A file that cannot be read or mapped fails the symbol it is named after,
not the run. Drop files are read whole: they are meant for increments, not history
(use ``data_import`` for that).

The folder must lie under one of the settings' ``import_roots`` (symlinks followed), ``done_dir`` is a plain
subfolder of it, a file that links out of the import roots is never read (it fails its symbol and stays),
and a file moved to the done folder never overwrites one there (``AAPL.csv`` becomes ``AAPL.1.csv``).
A run loads at most ``drop_max_files`` files (the first by name; the rest wait for the next runs), and a
file larger than ``drop_max_file_bytes`` (a ``.gz`` counted decompressed) fails its symbol and stays.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

import polars as pl
from pydantic import Field, field_validator

from marketjobs.config import Settings
from marketjobs.errors import InputTooLargeError, ParameterError
from marketjobs.guards.paths import inside, move_without_overwrite, under
from marketjobs.guards.reads import read_file_capped, too_large
from marketjobs.marketdata.importer import DEFAULT_NAMES, SUFFIXES
from marketjobs.marketdata.sources.base import BarSource, SourceError, SourceOptions

__all__ = ["FileOptions", "FileSource"]

logger = logging.getLogger("marketjobs.sources")


class FileOptions(SourceOptions):
    """Options of the ``file`` source."""

    #: The drop folder, as seen by the worker; under one of the settings' import_roots.
    folder: str = Field(min_length=1)
    #: Where fully stored files go: a folder inside ``folder``.
    done_dir: str = "done"
    #: File column -> bar column, e.g. {"Date": "ts"}; common names map themselves.
    columns: dict[str, str] | None = None

    @field_validator("done_dir")
    @classmethod
    def _inside_the_folder(cls, value: str) -> str:
        parts = PurePath(value).parts
        if not parts or PurePath(value).is_absolute() or ".." in parts or "\x00" in value:
            raise ValueError("must be a relative folder inside the drop folder, such as 'done' (no '..')")
        return value


def _stem(path: Path) -> str:
    return path.name.split(".", 1)[0]


def _read(path: Path, cap: int) -> pl.DataFrame:
    """The whole file, refused past ``cap`` bytes (a CSV.gz counted decompressed)."""
    if path.name.lower().endswith((".parquet", ".pq")):
        if path.stat().st_size > cap:
            raise too_large(path.name, cap, "drop_max_file_bytes")
        return pl.read_parquet(path)
    data = read_file_capped(path, cap, setting="drop_max_file_bytes")
    return pl.read_csv(data, infer_schema=False)  # text: validate_bars() parses and reports bad values


class FileSource(BarSource):
    """Bars from the files of a drop folder (see the module docstring)."""

    name = "file"
    options_model = FileOptions
    options: FileOptions

    def __init__(self, *, settings: Settings | None = None, **options: Any) -> None:
        super().__init__(settings=settings, **options)
        roots = self.settings.import_roots
        self._roots = [Path(root).resolve() for root in roots]
        self._folder = inside(self.options.folder, roots, setting="import_roots", what="drop folder")
        self._check_done_folder()
        self._pending: dict[Path, pl.DataFrame] | None = None
        #: Symbol -> why the file named after it could not be read.
        self._broken: dict[str, str] = {}

    @property
    def folder(self) -> Path:
        """The drop folder, resolved."""
        return self._folder

    @property
    def done_folder(self) -> Path:
        """Where stored files are moved."""
        return self._folder / self.options.done_dir

    def _check_done_folder(self) -> Path:
        """The done folder resolved; ParameterError when a symlink takes it out of the drop folder."""
        done = self.done_folder.resolve()
        if done == self._folder or not under(done, [self._folder]):
            raise ParameterError(
                f"done folder {self.options.done_dir!r} resolves to {done}, which is outside the drop folder "
                f"{self._folder}; make done_dir a plain subfolder of it"
            )
        return done

    def _frame(self, path: Path, raw: pl.DataFrame) -> pl.DataFrame:
        mapping = dict(self.options.columns or {})
        unknown = [c for c in mapping if c not in raw.columns]
        if unknown:
            raise SourceError(f"{path.name} has no columns {unknown}; its columns are {raw.columns}")
        for column in raw.columns:
            target = DEFAULT_NAMES.get(column.strip().lower())
            if column not in mapping and target and target not in mapping.values():
                mapping[column] = target
        frame = raw.select([pl.col(k).alias(v) for k, v in mapping.items()])
        if "symbol" not in frame.columns:
            frame = frame.with_columns(symbol=pl.lit(_stem(path)))
        absent = [c for c in ("ts", "open", "high", "low", "close") if c not in frame.columns]
        if absent:
            raise SourceError(
                f"{path.name} has no columns for {absent} (its columns: {', '.join(raw.columns)}); map them "
                'with the source option columns: `-o \'columns={"Date": "ts"}\'` on the command line'
            )
        return frame.with_columns(pl.col("symbol").cast(pl.String).str.strip_chars())

    def _load(self) -> dict[Path, pl.DataFrame]:
        if self._pending is None:
            if not self.folder.is_dir():
                raise SourceError(
                    f"drop folder {self.folder} does not exist; create it or fix the folder option"
                )
            self._pending, self._broken = {}, {}
            for path in self._this_run():
                self._load_one(path)
        return self._pending

    def _this_run(self) -> list[Path]:
        """The pending files this run loads: the first ``drop_max_files`` by name (logged when some wait)."""
        files = sorted(p for p in self.folder.iterdir() if p.is_file() and p.name.lower().endswith(SUFFIXES))
        most = self.settings.drop_max_files
        if len(files) > most:
            logger.warning(
                "drop folder %s holds %d files; this run loads the first %d (drop_max_files), the rest wait "
                "for the next runs",
                self.folder,
                len(files),
                most,
            )
        return files[:most]

    def _load_one(self, path: Path) -> None:
        """Reads ``path`` into the pending files, or records why it fails the symbol named after it."""
        assert self._pending is not None
        real = path.resolve()
        if not under(real, self._roots):
            self._broken[_stem(path)] = (
                f"{path.name} links to {real}, outside import_roots; put the file itself in the drop folder"
            )
            return
        try:
            self._pending[path] = self._frame(path, _read(real, self.settings.drop_max_file_bytes))
        except InputTooLargeError as exc:
            self._broken[_stem(path)] = f"{exc}, or import the file with data_import"
        except Exception as exc:  # fails only the symbol named by the file; the file stays
            self._broken[_stem(path)] = f"{exc}" if isinstance(exc, SourceError) else f"{path}: {exc}"

    def offered_symbols(self) -> list[str]:
        """Symbols of the pending files; an unreadable file offers the symbol it is named after."""
        symbols = {s for frame in self._load().values() for s in frame["symbol"].to_list() if s}
        return sorted(symbols | set(self._broken))

    def _fetch(
        self, symbols: list[str], since: datetime | None, history: pl.DataFrame | None
    ) -> pl.DataFrame:
        pending = self._load()
        broken = [s for s in symbols if s in self._broken]
        if broken:
            raise SourceError(self._broken[broken[0]])
        frames = [frame.filter(pl.col("symbol").is_in(symbols)) for frame in pending.values()]
        frames = [f.select(pl.all().cast(pl.String)) for f in frames if f.height]
        return pl.concat(frames, how="diagonal") if frames else pl.DataFrame()

    def close(self, succeeded: Sequence[str]) -> None:
        """Moves the files whose symbols were all stored to the done folder."""
        done = set(succeeded)
        for path, frame in (self._pending or {}).items():
            if set(frame["symbol"].to_list()) <= done:
                self.done_folder.mkdir(parents=True, exist_ok=True)
                move_without_overwrite(path, self._check_done_folder())
        self._pending = None
