"""What `zfjd --help` and `zfjd validate` load: a unit's first command starts at once only if it leaves
the scheduler, the warehouse tools and pandera (which brings pandas) unimported. Behaviour, not time:
each command runs in a fresh interpreter that then reports which of these modules it holds."""

from __future__ import annotations

import json
import subprocess
import sys

from support import REFERENCE, SAMPLES, UNIT

HEAVY = ("airflow", "dbt", "great_expectations", "matplotlib", "pandera", "pandas")

# Runs the CLI in-process (as the console script does) and prints the heavy modules it imported.
_PROBE = """
import json, sys
from zfjd.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(HEAVY)))
print("IMPORTED=" + json.dumps(heavy))
"""


def imported_after(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.replace("HEAVY", repr(json.dumps(HEAVY))), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("IMPORTED=")), None)
    assert line is not None, done.stdout + done.stderr
    return json.loads(line.removeprefix("IMPORTED="))


def test_help_imports_none_of_the_heavy_packages():
    assert imported_after("--help") == []


def test_validating_a_small_file_imports_none_of_the_heavy_packages(tmp_path):
    report = tmp_path / "result.json"
    imported = imported_after(
        "validate", str(SAMPLES / "penalty_case.csv"), "--entity", "penalty_case", "--unit", UNIT,
        "--reference", str(REFERENCE), "--as-of", "2025-06-30", "--json", str(report),
    )
    assert json.loads(report.read_text(encoding="utf-8"))["received"] == 38  # it did validate
    assert imported == []
