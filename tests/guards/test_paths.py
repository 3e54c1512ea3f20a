"""Paths under roots (symlinks followed), ids that name files, and files that are never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketjobs.errors import ParameterError
from marketjobs.guards.paths import create_new, inside, move_without_overwrite, safe_id


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "root" / "sub" / "AAPL.csv").write_text("a")
    (tmp_path / "outside.csv").write_text("secret")
    return tmp_path / "root"


def test_a_path_under_a_root_is_resolved(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root.parent)
    assert inside("root/sub/../sub/AAPL.csv", ["root"], setting="import_roots") == root / "sub" / "AAPL.csv"
    assert inside(root, [root], setting="import_roots") == root


@pytest.mark.parametrize("target", ["../outside.csv", "sub/../../outside.csv", "/etc/passwd", "link.csv"])
def test_a_path_outside_the_roots_is_refused(root: Path, target: str) -> None:
    (root / "link.csv").symlink_to(root.parent / "outside.csv")
    with pytest.raises(
        ParameterError, match=r"is outside import_roots \(.*root\); .*add its folder to import_roots"
    ):
        inside(root / target if not target.startswith("/") else target, [root], setting="import_roots")


def test_a_root_that_is_a_symlink_is_resolved_too(root: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(root)
    assert inside(tmp_path / "alias" / "sub", [tmp_path / "alias"], setting="import_roots") == root / "sub"


@pytest.mark.parametrize("text", ["../x", "a/b", "", ".", "x" * 129, "a\x00b", "-rf"])
def test_only_plain_ids_name_files(text: str) -> None:
    with pytest.raises(ParameterError, match="cannot name a file"):
        safe_id(text, "job id")


def test_a_uuid_is_a_plain_id() -> None:
    assert safe_id("0f8fad5b-d9cb-469f-a165-70867728950e", "job id") == "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_create_new_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("kept")
    path, file = create_new(tmp_path, "r.csv")
    with file:
        file.write(b"new")
    assert path == tmp_path / "r.1.csv"
    assert (tmp_path / "r.csv").read_text() == "kept"
    assert path.read_text() == "new"


def test_move_without_overwrite_picks_a_free_name(tmp_path: Path) -> None:
    done = tmp_path / "done"
    done.mkdir()
    (done / "AAPL.csv.gz").write_text("first")
    (tmp_path / "AAPL.csv.gz").write_text("second")
    moved = move_without_overwrite(tmp_path / "AAPL.csv.gz", done)
    assert moved == done / "AAPL.1.csv.gz"
    assert (done / "AAPL.csv.gz").read_text() == "first"
    assert moved.read_text() == "second"
    assert not (tmp_path / "AAPL.csv.gz").exists()
