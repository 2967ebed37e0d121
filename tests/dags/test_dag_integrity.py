"""Every DAG file imports cleanly, with tags, an owner, retries, a timeout and a doc on every task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_dag_imports_with_owner_retries_and_docs(tmp_path):
    env = {
        **os.environ,
        "ZFJD_HOME": str(tmp_path / "home"),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
    }
    script = """
import os
from zfjd import airflow_setup
from zfjd.home import Home
airflow_setup.prepare(Home.at())
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=str(airflow_setup.DAGS_FOLDER))
assert not bag.import_errors, bag.import_errors
assert {"zfjd_daily", "zfjd_monthly"} <= set(bag.dags), bag.dags
for dag in bag.dags.values():
    assert dag.tags and dag.doc_md, dag.dag_id
    for task in dag.tasks:
        assert task.owner == "zfjd-data-engineering", task.task_id
        assert task.retries >= 1 and task.execution_timeout is not None, task.task_id
daily = bag.dags["zfjd_daily"]
pools = {t.task_id: t.pool for t in daily.tasks}
assert pools["intake_api"] == "zfjd_exchange_api" and pools["intake_sql"] == "zfjd_front_db", pools
assert pools["intake_files"] == "zfjd_file_store" and pools["dbt_build"] == "zfjd_warehouse", pools
assert all(daily.get_task(f"intake_{k}").is_mapped for k in ("api", "sql", "files"))
# the daily build leaves dbt's unit tests (fixtures, not data) to CI; no data test is left out
assert daily.get_task("dbt_build").exclude == "resource_type:unit_test", daily.get_task("dbt_build").exclude
assert not daily.get_task("dbt_build").select
os.environ["ZFJD_TASK_RETRIES"] = "0"  # what the embedded `zfjd run` sets: fail fast
eager = DagBag(dag_folder=str(airflow_setup.DAGS_FOLDER))
assert all(task.retries == 0 for dag in eager.dags.values() for task in dag.tasks)
del os.environ["ZFJD_TASK_RETRIES"]
outlets = {a.name for t in daily.tasks for a in t.outlets}
assert {"zfjd_lake", "zfjd_warehouse", "zfjd_published", "zfjd_unit_feedback"} <= outlets, outlets
assert daily.max_active_runs == 1 and daily.on_failure_callback
upward = daily.get_task("push_upward")
assert upward.upstream_task_ids == {"publish", "plan"}, upward.upstream_task_ids
assert upward.downstream_task_ids == {"feedback"}, upward.downstream_task_ids
taken = daily.get_task("take_reference")  # a city's 三库 from the province, before anything reads them
assert taken.downstream_task_ids == {"land_reference", "discover_api", "discover_sql", "discover_files"}
print("ok", sorted(bag.dags))
"""
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ok" in done.stdout


def test_the_embedded_runner_parses_the_dag_without_retries_and_restores_the_environment(tmp_path, monkeypatch):
    from zfjd import airflow_setup

    seen = {}

    def load_dag(dag_id):
        seen[dag_id] = os.environ.get("ZFJD_TASK_RETRIES")
        raise RuntimeError("stop before running")

    monkeypatch.delenv("ZFJD_TASK_RETRIES", raising=False)
    monkeypatch.setattr(airflow_setup, "load_dag", load_dag)
    monkeypatch.setattr(airflow_setup, "latest_run_key", lambda dag_id: 0)
    with pytest.raises(RuntimeError, match="stop before running"):
        airflow_setup.run_dag("zfjd_daily", {}, log=tmp_path / "run.log")
    assert seen == {"zfjd_daily": "0"}
    assert "ZFJD_TASK_RETRIES" not in os.environ
