"""Engines per database; a SQLite file's directory is made only for the default ``var/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketjobs.errors import ConfigError
from marketjobs.store.engine import create_store_engine


def test_the_default_var_directory_is_created_for_a_new_sqlite_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = create_store_engine("sqlite:///var/marketjobs.db", shared=False)
    with engine.connect():
        pass
    engine.dispose()
    assert (tmp_path / "var" / "marketjobs.db").is_file()


@pytest.mark.parametrize("path", ["vra/marketjobs.db", "var/nested/marketjobs.db", "{tmp}/typo/store.db"])
def test_any_other_missing_directory_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.chdir(tmp_path)
    database = path.replace("{tmp}", str(tmp_path))
    with pytest.raises(ConfigError, match="does not exist; create it") as refused:
        create_store_engine(f"sqlite:///{database}", shared=False)
    assert f"mkdir -p {Path(database).parent}" in str(refused.value)
    assert not Path(database).parent.exists()
