"""The embedded `zfjd run` reports a failed task at once: under a scheduler every task has retries
(2, two minutes apart), but a person waiting at the terminal should not wait out that delay to hear of
a failure that will not pass (issue 12, item 3). The task made to fail: `load_raw`, whose warehouse file
is not a DuckDB database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from zfjd.home import Home

ROOT = Path(__file__).resolve().parents[2]
ZFJD = str(Path(sys.executable).parent / "zfjd")
RETRY_DELAY = dt.timedelta(minutes=2)  # dags/zfjd_daily.py default_args


def test_a_failing_task_ends_zfjd_run_without_retries(tmp_path):
    home = Home.at(tmp_path / "home").create()
    home.warehouse.parent.mkdir(exist_ok=True)
    home.warehouse.write_bytes(b"not a duckdb database\n" * 100)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_"))} | {"COLUMNS": "200",
                                                                                          "NO_COLOR": "1"}
    done = subprocess.run([ZFJD, "run", "--home", str(home.root), "--units", "3", "--days", "2", "--seed", "5"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "运行未成功" in done.stderr and "湖数据入库" in done.stderr, done.stderr
    with sqlite3.connect(home.airflow / "airflow.db") as con:
        load_raw = con.execute(
            "select state, try_number, max_tries, end_date from task_instance where task_id = 'load_raw'"
        ).fetchall()
        run_end = con.execute("select end_date from dag_run where dag_id = 'zfjd_daily'").fetchone()[0]
        history = con.execute("select count(*) from task_instance_history where task_id = 'load_raw'").fetchone()[0]
    assert [(state, tries, max_tries) for state, tries, max_tries, _ in load_raw] == [("failed", 1, 0)], load_raw
    assert history == 0  # no earlier try was archived: it was not retried
    failed_at = dt.datetime.fromisoformat(load_raw[0][3])
    # Everything after load_raw is upstream_failed at once; a retry would have waited RETRY_DELAY first.
    assert dt.datetime.fromisoformat(run_end) - failed_at < RETRY_DELAY / 2, (failed_at, run_end)
