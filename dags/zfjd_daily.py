"""
### 每日归集 zfjd_daily — the daily cycle of the 执法监督数据主题库

At a city instance, take the 三库 from the province's data service (a no-op at the province;
`zfjd.province_reference`) → discover units → land the 三库 extract → pull + land + validate, one mapped
task per group of units and per kind of channel (api / sql / files; each kind's pool caps its
connections; a unit that fails is reported and the others go on) → load the lake into `raw` → dbt build
through astronomer-cosmos (one writer: pool `zfjd_warehouse`) → great-expectations checks on the marts
(Data Docs under `DIR/reports/data-docs/`) → publish the analysts' read-only copy (atomic swap) → at a
city instance, push the accepted records upward to the province and take back its rejections (a no-op at
the province; `zfjd.upward`, docs/two-levels.md) → per-unit feedback files.

- Instance: `ZFJD_HOME` (the `--home DIR` of `zfjd run`); the steps are plain functions in `zfjd.cycle`,
  `zfjd.warehouse`, `zfjd.publish` and `quality.expectations`.
- The day checked: param `as_of` (YYYY-MM-DD); else the day before the logical date (Beijing time) for
  scheduled and backfill runs; else the simulated province's last day.
- Backfill a date range: `airflow backfill create --dag-id zfjd_daily --from-date 2025-03-01
  --to-date 2025-03-10` (runs one after another: `max_active_runs=1`).
- Dropped and pushed files are taken once unchanged for `ZFJD_DROP_SETTLE_SECONDS` (default 120; files
  uploaded under a `.part` name and renamed when done are complete by convention; docs/intake.md).
- Every step is idempotent: a failed or killed run is simply run again.
"""

from __future__ import annotations

import datetime as dt
import os
from datetime import timedelta

from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode
from cosmos.operators.local import DbtBuildLocalOperator

from zfjd.airflow_setup import CHANNEL_POOLS, DEFAULT_GROUP_SIZE, GROUP_SIZE_ENV, alert_failure
from zfjd.home import Home, keep_private
from zfjd.warehouse import PROJECT_DIR, daily_build_environment, daily_build_parse_cache

HOME = Home.at()
# Every task process parses this file first: what its tasks create (dbt's WAL and target included) is owner-only.
keep_private()
LAKE = Asset(name="zfjd_lake", uri="file:///zfjd/lake")
WAREHOUSE = Asset(name="zfjd_warehouse", uri="file:///zfjd/warehouse/warehouse.duckdb")
PUBLISHED = Asset(name="zfjd_published", uri="file:///zfjd/published/warehouse.duckdb")
FEEDBACK = Asset(name="zfjd_unit_feedback", uri="file:///zfjd/reports/feedback")
UPWARD = Asset(name="zfjd_upward", uri="file:///zfjd/state/upward")  # a city's records sent to the province
# How dbt runs inside Airflow, chosen on measurement (docs/daily-cycle.md): "build" (default) = one
# `dbt build` task (every model's result in its log and run_results.json); "local" = one Cosmos task per
# model and test (one DuckDB writer at a time: ~15x slower here); "watcher" = one build plus a sensor per
# model (needs a real executor: under the embedded runner the sensors block the serial loop).
DBT_EXECUTION = os.environ.get("ZFJD_DBT_EXECUTION", "build")

# Retries wait for a passing fault (a busy exchange, a locked file) under a scheduler; the embedded
# `zfjd run` sets ZFJD_TASK_RETRIES=0 so a person at the terminal hears of a failure at once.
TASK_RETRIES = int(os.environ.get("ZFJD_TASK_RETRIES", "2"))

default_args = {
    "owner": "zfjd-data-engineering",
    "retries": TASK_RETRIES,
    "retry_delay": timedelta(minutes=2),
    "execution_timeout": timedelta(hours=2),
    "on_failure_callback": alert_failure,
}


WAREHOUSE_ENV = daily_build_environment(HOME)
PROFILE = ProfileConfig(profile_name="zfjd", target_name="duckdb", profiles_yml_filepath=PROJECT_DIR / "profiles.yml")
AS_OF_VARS = {"as_of": "{{ ti.xcom_pull(task_ids='plan', key='as_of') }}"}


class DbtBuildReleasing(DbtBuildLocalOperator):
    """Cosmos's `dbt build` (dbt in-process), then dbt-duckdb's in-process database closed, so that the
    following tasks can open the warehouse read-only when they run in this same process (embedded runner).
    In the embedded runner's first run, it first waits for the parse `zfjd run` started ahead of it."""

    def execute(self, context, **kwargs):
        from zfjd.warehouse import release_duckdb, wait_for_parse_ahead

        wait_for_parse_ahead()
        try:
            return super().execute(context, **kwargs)
        finally:
            release_duckdb()


def _dbt_build():
    """The whole project in one `dbt build` (Cosmos operator, dbt in-process)."""
    return DbtBuildReleasing(
        task_id="dbt_build",
        project_dir=str(PROJECT_DIR),
        profile_config=PROFILE,
        invocation_mode=InvocationMode.DBT_RUNNER,
        env=WAREHOUSE_ENV,
        vars=AS_OF_VARS,
        # dbt's unit tests check the SQL against hand-made fixtures, not the day's data: they cannot
        # change between runs of the same code, and run where the code changes (tests/warehouse's
        # `dbt build`, CI), as dbt advises. Every data test still runs on every build.
        exclude="resource_type:unit_test",
        install_deps=False,
        emit_datasets=False,  # the warehouse is one asset (below), not one per table
        cache_dir=daily_build_parse_cache(HOME),  # dbt's partial parse kept between runs (and parsed ahead)
        pool="zfjd_warehouse",
        outlets=[WAREHOUSE],
        retries=min(1, TASK_RETRIES),
        execution_timeout=timedelta(hours=1),
    )


def _dbt_group() -> DbtTaskGroup:
    warehouse_env = WAREHOUSE_ENV
    mode = ExecutionMode.WATCHER if DBT_EXECUTION == "watcher" else ExecutionMode.LOCAL
    return DbtTaskGroup(
        group_id="warehouse",
        project_config=ProjectConfig(PROJECT_DIR, env_vars=warehouse_env, install_dbt_deps=False),
        profile_config=PROFILE,
        execution_config=ExecutionConfig(execution_mode=mode, invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            emit_datasets=False,
            dbt_deps=False,
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={
            "pool": "zfjd_warehouse",
            "vars": AS_OF_VARS,
            "retries": min(1, TASK_RETRIES),
            "execution_timeout": timedelta(hours=1),
        },
        default_args=default_args,
    )


@dag(
    dag_id="zfjd_daily",
    schedule=CronTriggerTimetable("0 2 * * *", timezone="Asia/Shanghai"),
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    on_failure_callback=alert_failure,
    dagrun_timeout=timedelta(hours=6),
    tags=["zfjd", "daily", "intake", "warehouse"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], description="按哪一天校验，YYYY-MM-DD（默认见说明）")},
)
def zfjd_daily():
    @task(multiple_outputs=True)
    def plan() -> dict:
        from zfjd.cycle import resolve_as_of

        context = get_current_context()
        as_of = resolve_as_of(HOME, context["params"].get("as_of"), context.get("logical_date"))
        return {"as_of": as_of.isoformat(), "home": str(HOME.root)}

    @task
    def discover(kind: str) -> list[list[str]]:
        """The units reporting through one kind of channel, in groups: one mapped intake task per group."""
        from zfjd.cycle import channel_groups

        return channel_groups(HOME, int(os.environ.get(GROUP_SIZE_ENV, DEFAULT_GROUP_SIZE)))[kind]

    @task
    def take_reference(as_of: str) -> dict:
        """城市实例：从省级数据服务增量取得三库写入三库目录；服务不可用时沿用上次成功取得的三库并说明。省级实例不做任何事。"""
        from dataclasses import asdict

        from zfjd.province_reference import take_reference

        report = take_reference(HOME, dt.date.fromisoformat(as_of))
        if report is None:
            return {"role": "province"}
        print(report.message)
        return {"role": "city", **asdict(report)}

    @task(pool="zfjd_file_store")
    def land_reference(as_of: str) -> int:
        from zfjd.cycle import land_reference

        return land_reference(HOME, as_of=dt.date.fromisoformat(as_of))

    @task(execution_timeout=timedelta(hours=2), outlets=[LAKE])
    def intake(units: list[str], as_of: str, local: bool = False) -> dict:
        """`local`: the units' files are on this machine, thousands of small batches of local work, so the
        embedded runner may spread them over its cores (ZFJD_INTAKE_WORKERS). A group of API or 前置库 units
        brings a few large pages: measured at 50 前置库 units × 30 days, two workers took 7.2 s and one 4.8 s
        (a worker's start-up outweighs its share)."""
        from dataclasses import asdict

        from zfjd.cycle import drop_settle_seconds, file_intake_workers, intake_spread

        workers = file_intake_workers(HOME, units) if local else 1
        return asdict(intake_spread(HOME, units, as_of=dt.date.fromisoformat(as_of),
                                    settle_seconds=drop_settle_seconds(), workers=workers))

    @task(pool="zfjd_warehouse", trigger_rule="all_done")
    def load_raw() -> dict:
        from zfjd.warehouse import load_lake_duckdb

        return load_lake_duckdb(HOME.lake, HOME.warehouse).rows

    @task(pool="zfjd_warehouse")
    def check_warehouse() -> dict:
        from zfjd.cycle import check_warehouse

        return check_warehouse(HOME)

    @task(pool="zfjd_warehouse", outlets=[PUBLISHED])
    def publish(as_of: str) -> dict:
        from dataclasses import asdict

        from zfjd.publish import publish

        return asdict(publish(HOME, as_of=dt.date.fromisoformat(as_of)))

    @task(pool="zfjd_file_store", outlets=[UPWARD])
    def push_upward(as_of: str) -> dict:
        """城市实例：将本市已通过的记录报送省级（恰好一次），并取回省级的退回；省级实例不做任何事。"""
        from dataclasses import asdict

        from zfjd.upward import push_upward

        report = push_upward(HOME, dt.date.fromisoformat(as_of), progress=print)
        return {"role": "province"} if report is None else {"role": "city", **asdict(report)}

    @task(outlets=[FEEDBACK])
    def feedback(as_of: str) -> list[str]:
        from zfjd.cycle import write_feedback

        return write_feedback(HOME, dt.date.fromisoformat(as_of))

    planned = plan()
    taken = take_reference(planned["as_of"])  # the units and the extract below read the 三库 it writes
    reference = land_reference(planned["as_of"])
    taken >> reference
    pulls = []
    for kind, channel in (("api", "api"), ("sql", "sql"), ("files", "file_drop")):
        groups = discover.override(task_id=f"discover_{kind}")(kind)
        planned >> taken >> groups
        pulls.append(
            intake.override(task_id=f"intake_{kind}", pool=CHANNEL_POOLS[channel])
            .partial(as_of=planned["as_of"], local=kind == "files")
            .expand(units=groups)
        )
    raw = load_raw()
    warehouse = _dbt_build() if DBT_EXECUTION == "build" else _dbt_group()
    checked = check_warehouse()
    published = publish(planned["as_of"])
    reference >> pulls
    pulls >> raw >> warehouse >> checked >> published >> push_upward(planned["as_of"]) >> feedback(planned["as_of"])


zfjd_daily()
