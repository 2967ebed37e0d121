"""Past one machine: the daily DAG on PostgreSQL metadata with the LocalExecutor, then with the
CeleryExecutor (Redis broker) and two Celery workers, all on loopback.

Needs the local PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379) that CI
starts (.ci/run): these tests fail, not skip, when they are missing. Airflow 3 workers run tasks through
the Task Execution API, so an `airflow api-server` runs beside them (docs/daily-cycle.md).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATABASE = "zfjd_airflow_ci"
POSTGRES = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_DB = 7  # this test's own Redis database: emptied first, so no message of an earlier run is picked up
REDIS = f"redis://127.0.0.1:6379/{REDIS_DB}"
PROVINCE = {"units": 6, "days": 4, "seed": 11, "start": "2025-03-01"}

PREPARE = """
import json
from zfjd import airflow_setup, cycle
from zfjd.home import Home
home = Home.at()
cycle.prepare_province(home, cycle.ProvinceSpec(**json.loads(__import__("sys").argv[1])))
print(json.dumps(airflow_setup.prepare(home)))
"""
RUN = """
import json, sys
from zfjd import airflow_setup
from zfjd.home import Home
airflow_setup.configure(Home.at())
run_id, state, progress = airflow_setup.run_dag("zfjd_daily", {"as_of": sys.argv[1]}, use_executor=True)
print(json.dumps({"run_id": run_id, "state": state, "states": progress.states}))
"""


def fresh_database() -> None:
    """The metadata database emptied for this run: CI runs on a machine as the last session left it, and a
    process killed there may still hold a connection, a lock or a `running` task in the old one (a run once
    waited out its 900 s here). FORCE ends those connections."""
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as con:
        con.execute(f"drop database if exists {DATABASE} with (force)")
        con.execute(f"create database {DATABASE}")


def activity() -> str:
    """What the metadata database's connections are doing: the first thing to read when a run hangs."""
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres") as con:
        rows = con.execute(
            "select pid, state, wait_event_type, wait_event, left(query, 120) from pg_stat_activity "
            "where datname = %s", [DATABASE]).fetchall()
    return "\n".join(" | ".join(str(value) for value in row) for row in rows)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the process ended while starting"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on {port}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """One instance on PostgreSQL metadata with the task API server running; yields (home, environment)."""
    fresh_database()
    home = tmp_path_factory.mktemp("executors") / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ZFJD_"))} | {
        "ZFJD_HOME": str(home),
        "ZFJD_AIRFLOW_SQL": POSTGRES,
        "ZFJD_AIRFLOW_API": f"http://127.0.0.1:{port}",
        "ZFJD_CELERY_BROKER": REDIS,
        "ZFJD_GROUP_SIZE": "1",  # one group per unit here, so several intake tasks run side by side
    }
    prepared = subprocess.run([sys.executable, "-c", PREPARE, json.dumps(PROVINCE)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    env |= json.loads(prepared.stdout.strip().splitlines()[-1])
    logs = home / "test-logs"
    logs.mkdir()
    api = subprocess.Popen(
        [str(BIN / "airflow"), "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--apps", "execution"],
        env=env, cwd=ROOT, stdout=(logs / "api.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for_port(port, api)
        yield home, env
    finally:
        stop(api)


def run_daily(env: dict[str, str], executor: str) -> dict:
    try:
        done = subprocess.run([sys.executable, "-c", RUN, "2025-03-04"],
                              env=env | {"ZFJD_AIRFLOW_EXECUTOR": executor},
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        log = Path(env["ZFJD_HOME"]) / "airflow" / "logs" / "zfjd_daily-last-run.log"
        tail = log.read_text(errors="replace")[-6000:] if log.exists() else f"(no {log})"
        pytest.fail(f"the {executor} run took over 900 s\n-- its log:\n{tail}\n-- database activity:\n{activity()}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_daily_dag_on_postgres_with_the_local_executor(instance):
    home, env = instance
    outcome = run_daily(env | {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"}, "LocalExecutor")
    assert outcome["state"] == "success", outcome
    assert all(state == "success" for state in outcome["states"].values()), outcome["states"]
    assert sum(key.startswith("intake_") for key in outcome["states"]) >= 4  # mapped over groups of units
    assert (home / "published" / "warehouse.duckdb").exists()


def test_daily_dag_with_celery_and_two_workers(instance):
    home, env = instance
    env = env | {"ZFJD_AIRFLOW_EXECUTOR": "CeleryExecutor", "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor"}
    logs = home / "test-logs"
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    workers = [
        subprocess.Popen(
            [str(BIN / "airflow"), "celery", "worker", "--concurrency", "1", "--skip-serve-logs",
             "--celery-hostname", f"zfjd-{name}@%h", "--without-gossip", "--without-mingle"],
            env=env, cwd=ROOT, stdout=(logs / f"{name}.log").open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name in ("w1", "w2")
    ]
    try:
        outcome = run_daily(env, "CeleryExecutor")
    finally:
        for worker in workers:
            stop(worker)
    assert outcome["state"] == "success", outcome
    assert all(state == "success" for state in outcome["states"].values()), outcome["states"]
    received = {name: (logs / f"{name}.log").read_text(encoding="utf-8").count("received") for name in
                ("w1", "w2")}
    assert all(count > 0 for count in received.values()), received  # both workers ran tasks
