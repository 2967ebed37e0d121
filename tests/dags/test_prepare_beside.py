"""`airflow_setup.prepare(home, beside=...)`: the first `zfjd run` simulates the province while Airflow's
metadata database is migrated in its own process. Each case runs in a fresh process (Airflow's settings
are read once per process, from the instance's variables)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, os, sys, time
from pathlib import Path
from zfjd import airflow_setup
from zfjd.home import Home

home = Home.at(Path(sys.argv[1]))
fail = sys.argv[2] == "fail"
calls = []

def beside():
    calls.append(time.time())
    (home.root / "beside-ran").write_text("yes")
    if fail:
        raise ValueError("模拟省份失败")

try:
    airflow_setup.prepare(home, beside=beside)
    outcome = "prepared"
except ValueError as exc:
    outcome = str(exc)
stamps = sorted(p.name for p in home.airflow.glob(".migrated-*"))
print(json.dumps({"outcome": outcome, "calls": len(calls), "stamps": stamps}))
"""


def _prepare(root: Path, mode: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root), mode], capture_output=True, text=True,
                          timeout=300, env=environment)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _tables(root: Path) -> set[str]:
    with sqlite3.connect(root / "airflow" / "airflow.db") as con:
        return {name for (name,) in con.execute("select name from sqlite_master where type = 'table'")}


def test_the_work_beside_runs_once_and_the_database_is_migrated(tmp_path):
    first = _prepare(tmp_path / "home", "ok")
    assert first["outcome"] == "prepared" and first["calls"] == 1 and len(first["stamps"]) == 1
    assert (tmp_path / "home" / "beside-ran").read_text() == "yes"
    assert {"dag_run", "task_instance", "slot_pool"} <= _tables(tmp_path / "home")
    # Migrated once: the second run only does its own work.
    again = _prepare(tmp_path / "home", "ok")
    assert again == first


def test_work_beside_that_fails_stops_the_migration_and_is_reported(tmp_path):
    outcome = _prepare(tmp_path / "home", "fail")
    assert outcome == {"outcome": "模拟省份失败", "calls": 1, "stamps": []}
    # Not marked as migrated: the next run migrates (and simulates) again.
    assert _prepare(tmp_path / "home", "ok")["stamps"]
