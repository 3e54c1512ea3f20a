"""The operator page's templates and static assets ship inside the package and load from it."""

from __future__ import annotations

import hashlib
import tomllib
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
#: The vendored htmx file, as NOTICE records it.
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def _package_files(folder: str) -> list[str]:
    base = ROOT / "interfaces" / "api" / folder
    return sorted(p.relative_to(ROOT).as_posix() for p in base.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "name",
    ["templates/base.html", "templates/jobs.html", "static/htmx.min.js", "static/page.css", "static/page.js"],
)
def test_asset_is_readable_through_importlib_resources(name: str) -> None:
    resource = resources.files("interfaces.api").joinpath(name)
    assert resource.is_file()
    assert resource.read_bytes()


def test_every_template_loads_from_the_package() -> None:
    from interfaces.api.pages.render import templates

    names = templates.env.list_templates()
    assert "base.html" in names
    for name in names:
        templates.env.get_template(name)


@pytest.mark.parametrize("folder", ["templates", "static"])
def test_maturin_includes_every_asset_in_the_wheel(folder: str) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["maturin"]
    globs = [entry["path"] for entry in config["include"] if entry.get("format") == "wheel"]
    included = {p.relative_to(ROOT).as_posix() for pattern in globs for p in ROOT.glob(pattern)}
    files = _package_files(folder)
    assert files
    missing = [f for f in files if f not in included]
    assert not missing, f"add a [tool.maturin] include glob for {missing}"


def test_vendored_htmx_is_the_recorded_release() -> None:
    data = resources.files("interfaces.api").joinpath("static/htmx.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == HTMX_SHA256
    notice = resources.files("interfaces.api").joinpath("static/NOTICE").read_text()
    assert "htmx 2.0.11" in notice
    assert HTMX_SHA256 in notice


def test_page_loads_nothing_from_another_host() -> None:
    for name in _package_files("templates") + _package_files("static"):
        if name.endswith(("htmx.min.js", "NOTICE")) or "/swagger/" in name:  # vendored, listed in NOTICE
            continue
        text = (ROOT / name).read_text()
        assert "://" not in text, f"{name} refers to another host"
