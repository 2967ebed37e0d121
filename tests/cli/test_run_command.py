"""`zfjd run` end to end through Airflow on a tiny simulated province (embedded default: SQLite metadata,
DuckDB, the simulator), each run in its own process as a user runs it.

- an uninterrupted run: the summary, the layout (`DIR/published/warehouse.duckdb`, `DIR/reports/`);
- a run killed while dbt builds the warehouse, then run again: it finishes, and its warehouse holds what
  the uninterrupted run's holds (only the arrival times of the batches differ between two instances);
- the same day run once more: every table of the warehouse and of the published copy is unchanged, the
  published file is not even replaced, and the feedback files keep their bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from warehouse_compare import contents_digest

ROOT = Path(__file__).resolve().parents[2]
ZFJD = str(Path(sys.executable).parent / "zfjd")
PROVINCE = ["--units", "6", "--days", "4", "--seed", "11"]
# Wall-clock times of arrival: the only values that differ between two instances fed the same province
# (taken_in_at: when the 三库 version was received, as the data service's taken_since reads it).
ARRIVAL_COLUMNS = {"received_at", "published_at", "taken_in_at"}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_"))}
    return env | {"COLUMNS": "200", "NO_COLOR": "1"}


def zfjd_run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ZFJD, "run", "--home", str(home), *args], env=_env(), cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )


digests = contents_digest


def file_bytes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    home = tmp_path_factory.mktemp("run") / "home"
    return home, zfjd_run(home, *PROVINCE)


def test_run_prints_the_summary_and_lays_out_the_instance(uninterrupted):
    home, done = uninterrupted
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = done.stdout
    # the roster: the 6 simulated units and the 政务服务网, the source of the 行政许可
    for words in ("每日流程完成情况", "名册 7 个", "通过", "拒收", "监督发现", "全部通过", "分析副本（只读）",
                  "单位反馈"):
        assert words in summary, summary
    assert "[warning" not in done.stdout + done.stderr and "Traceback" not in done.stdout + done.stderr
    published = home / "published" / "warehouse.duckdb"
    assert published.exists() and published.stat().st_mode & 0o222 == 0  # read-only on disk
    assert (home / "reports" / "data-docs" / "index.html").exists()
    assert list((home / "reports" / "feedback").rglob("*.xlsx"))
    with duckdb.connect(str(published), read_only=True) as con:
        schemas = {row[0] for row in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        received, accepted, rejected = con.execute(
            "select sum(received), sum(accepted), sum(rejected) from ops.ops_batch where unit <> 'province'"
        ).fetchone()
    assert not schemas & {"raw", "staging", "snapshots"}, schemas
    assert received == accepted + rejected and received > 0
    assert f"收到 {received:,} 条" in summary
    # dbt parsed the project while the province was simulated (zfjd.warehouse.parsed_ahead): the first
    # build took that parse instead of parsing the whole project again
    log = (home / "airflow" / "logs" / "zfjd_daily-last-run.log").read_text(encoding="utf-8")
    assert "Running with dbt=" in log and "Starting full parse" not in log


def _task_state(airflow_db: Path, task_id: str) -> str | None:
    try:
        with sqlite3.connect(f"file:{airflow_db}?mode=ro", uri=True, timeout=1) as con:
            row = con.execute("select state from task_instance where task_id = ? order by start_date desc limit 1",
                              [task_id]).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def test_a_killed_run_run_again_converges_and_the_same_day_twice_changes_nothing(tmp_path, uninterrupted):
    reference_home, reference = uninterrupted
    assert reference.returncode == 0, reference.stderr[-3000:]
    home = tmp_path / "home"
    runner = subprocess.Popen(
        [ZFJD, "run", "--home", str(home), *PROVINCE], env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while _task_state(home / "airflow" / "airflow.db", "dbt_build") != "running":
            assert runner.poll() is None, "the run ended before dbt started"
            assert time.monotonic() < deadline, "dbt never started"
            time.sleep(0.5)
        time.sleep(4)  # dbt is writing the warehouse now
    finally:
        os.killpg(runner.pid, signal.SIGKILL)
        runner.wait()

    again = zfjd_run(home)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    warehouse = home / "warehouse" / "warehouse.duckdb"
    assert digests(warehouse, without=ARRIVAL_COLUMNS) == digests(
        reference_home / "warehouse" / "warehouse.duckdb", without=ARRIVAL_COLUMNS
    )

    published = home / "published" / "warehouse.duckdb"
    before = (digests(warehouse), digests(published), published.stat().st_ino, published.stat().st_mtime_ns,
              file_bytes(home / "reports" / "feedback"), file_bytes(home / "lake"))
    twice = zfjd_run(home)
    assert twice.returncode == 0, twice.stdout[-3000:] + twice.stderr[-3000:]
    after = (digests(warehouse), digests(published), published.stat().st_ino, published.stat().st_mtime_ns,
             file_bytes(home / "reports" / "feedback"), file_bytes(home / "lake"))
    assert after == before
    assert "本次新收批次 0 个" in twice.stdout and "内容未变，原文件保留" in twice.stdout
    runs = pl.read_database("select state from dag_run", sqlite3.connect(home / "airflow" / "airflow.db"))
    assert runs["state"].to_list() == ["failed", "success", "success"]  # the killed run is recorded as failed


def test_report_monthly_writes_the_month_from_the_published_copy(uninterrupted, tmp_path):
    home, done = uninterrupted
    assert done.returncode == 0
    out = tmp_path / "out"
    written = subprocess.run(
        [ZFJD, "report", "monthly", "--home", str(home), "--month", "2025-03", "--out", str(out)],
        env=_env(), cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert (out / "通报-2025-03.html").exists(), written.stdout[-2000:] + written.stderr[-2000:]
    if shutil.which("chromium"):  # the PDF is the HTML printed by headless Chromium (.ci/install-browser.sh)
        assert written.returncode == 0, written.stdout[-2000:] + written.stderr[-2000:]
        assert (out / "通报-2025-03.pdf").exists()
        assert "已生成" in written.stdout
    else:
        assert written.returncode == 2 and "Chromium" in written.stderr, written.stderr


MONTHLY = """
import json
from zfjd import airflow_setup
from zfjd.home import Home
airflow_setup.prepare(Home.at())
run_id, state, progress = airflow_setup.run_dag("zfjd_monthly", {"month": "2025-03"})
print(json.dumps({"state": state, "states": progress.states,
                  "report": airflow_setup.task_results("zfjd_monthly", run_id, "monthly_report"),
                  "draw": airflow_setup.task_results("zfjd_monthly", run_id, "export_draw")}))
"""


def test_the_monthly_dag_draws_publishes_and_writes_the_report(uninterrupted):
    home, done = uninterrupted
    assert done.returncode == 0
    monthly = subprocess.run([sys.executable, "-c", MONTHLY], env=_env() | {"ZFJD_HOME": str(home)}, cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
    assert monthly.returncode == 0, monthly.stderr[-3000:]
    outcome = __import__("json").loads(monthly.stdout.strip().splitlines()[-1])
    assert outcome["state"] == "success", outcome
    written = [Path(p) for paths in outcome["report"] + outcome["draw"] for p in paths]
    assert {p.name for p in written} >= {"通报-2025-03.html", "随机抽查-2025-03.csv", "随机抽查-2025-03.xlsx"}
    assert all(p.exists() and p.parent == home / "reports" / "monthly" / "2025-03" for p in written)
