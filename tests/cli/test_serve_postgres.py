"""`zfjd serve` with Airflow's metadata on PostgreSQL (issue 12: "on the embedded default or PostgreSQL").

The local PostgreSQL that CI starts (.ci/run; 127.0.0.1:5432, user postgres, trust) and a database of this
test's own, `zfjd_serve_ci`, dropped WITH (FORCE) and created for each run (a process killed in an earlier
session may still hold the old one). `ZFJD_AIRFLOW_SQL` points the instance there, as on a real machine
(docs/daily-cycle.md). Fails, not skips, without PostgreSQL. Started with `serve`: the metadata database
migrated there, the API server's health reports the metadatabase, scheduler and DAG processor healthy, the
daily DAG is known (through Airflow's REST API, logged in, and in PostgreSQL's own `dag` table), then
Ctrl-C stops every process it started, the exit code 0, and no connection of theirs is left on the database.
"""

from __future__ import annotations

import json
import signal
import time

import duckdb
import httpx
import psycopg
from serve_support import DIMS, Served, _env, gone

from zfjd.home import Home

DATABASE = "zfjd_serve_ci"
POSTGRES = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def fresh_database() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as con:
        con.execute(f"drop database if exists {DATABASE} with (force)")
        con.execute(f"create database {DATABASE}")


def connections() -> int:
    with psycopg.connect(ADMIN) as con:
        return con.execute("select count(*) from pg_stat_activity where datname = %s", [DATABASE]).fetchone()[0]


def test_serve_on_postgresql_metadata_runs_and_ctrl_c_stops_everything(tmp_path):
    fresh_database()
    root = tmp_path / "home"
    place = Home.at(root).create()
    place.published.parent.mkdir()
    with duckdb.connect(str(place.published)) as con:
        con.execute(DIMS)
    started_at = time.monotonic()
    served = Served(root, tmp_path, _env() | {"ZFJD_AIRFLOW_SQL": POSTGRES})
    try:
        served.wait_ready(timeout=100)
        said = served.said()
        assert POSTGRES in said, said
        assert not (root / "airflow" / "airflow.db").exists(), "the embedded SQLite database was used"
        ui = f"http://127.0.0.1:{served.airflow_port}"
        health = httpx.get(f"{ui}/api/v2/monitor/health", timeout=10).json()
        assert {part: health[part]["status"] for part in ("metadatabase", "scheduler", "dag_processor")} == {
            "metadatabase": "healthy", "scheduler": "healthy", "dag_processor": "healthy"}
        password = json.loads((root / "airflow" / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        login = httpx.post(f"{ui}/auth/token", json={"username": "admin", "password": password}, timeout=10)
        assert login.status_code == 201, login.text
        dag = httpx.get(f"{ui}/api/v2/dags/zfjd_daily", timeout=10,
                        headers={"Authorization": f"Bearer {login.json()['access_token']}"})
        assert dag.status_code == 200 and dag.json()["dag_id"] == "zfjd_daily", dag.text
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DATABASE}") as con:
            known = {row[0] for row in con.execute("select dag_id from dag")}
        assert "zfjd_daily" in known
        assert connections() > 0

        started = served.descendants()
        assert len(served.children()) == 4
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(timeout=60) == 0, served.said()
    finally:
        served.end()
    assert "全部服务已停止" in served.said() and "Traceback" not in served.said()
    assert gone(started) == []
    for _ in range(20):  # a closed connection leaves pg_stat_activity a moment later
        if connections() == 0:
            break
        time.sleep(0.25)
    assert connections() == 0, "a process of serve still holds a connection to the metadata database"
    assert time.monotonic() - started_at < 120
