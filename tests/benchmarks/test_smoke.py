"""Every benchmark script runs in its smoke mode, so none can rot unnoticed (the numbers are not checked).

A benchmark script is a ``benchmarks/*.py`` with an ``if __name__ == "__main__":`` block; the helper modules
they import or start workers on (``faults_*.py``, ``*_actors.py``, ``api_http.py``, ``services.py``, ...)
have none. A new script without ``--smoke`` fails here; only the tools in ``TOOLS`` measure nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Scripts in benchmarks/ that measure nothing, so have no smoke mode (unit tests cover them).
TOOLS = {"compare.py"}


def benchmark_scripts() -> list[str]:
    """The file names of the benchmark scripts: every benchmarks/*.py runnable as a script, tools aside."""
    return sorted(
        path.name
        for path in (ROOT / "benchmarks").glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text() and path.name not in TOOLS
    )


def test_the_benchmark_scripts_are_found_and_helper_modules_are_not() -> None:
    found = set(benchmark_scripts())
    assert {"throughput.py", "sql_broker.py", "indicators.py", "bar_loading.py", "universe.py"} <= found
    assert {"autoscale.py", "soak.py", "api.py", "faults.py"} <= found
    assert not {name for name in found if name.endswith("_actors.py") or name.startswith("faults_")}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("script", benchmark_scripts())
def test_benchmark_smoke_mode_runs_prints_its_ratios_last_and_writes_its_summary(
    script: str, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke", "--json", str(summary)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("ratios:"), result.stdout
    written = json.loads(summary.read_text())
    assert (written["script"], written["smoke"]) == (Path(script).stem, True)
    assert written["metrics"] or "skipped" in result.stdout, result.stdout
    assert all(isinstance(value, float) for value in written["metrics"].values())
    assert written["better"].keys() == written["metrics"].keys()
