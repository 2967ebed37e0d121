"""
### 月度 zfjd_monthly — the 随机抽查 draw and the monthly 通报

On the 2nd of each month (Beijing time) for the month before: draw the month's 随机抽查 sample in the
warehouse (dbt model `mart_review_sample`, reproducible from its seed; pool `zfjd_warehouse`: one
writer), publish the analysts' copy again (atomic swap), export the draw for the supervisors, and write
the month's 通报 from the published copy alone (`zfjd report monthly` writes the same report by hand).

- Instance: `ZFJD_HOME`; output under `DIR/reports/monthly/YYYY-MM/`.
- Param `month` (YYYY-MM) regenerates another month; connected to the daily cycle through the
  `zfjd_published` asset (read) and `zfjd_monthly_report` (written).
"""

from __future__ import annotations

import datetime as dt
import os
from datetime import timedelta

from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from zfjd.airflow_setup import alert_failure
from zfjd.home import Home, keep_private

HOME = Home.at()
# Every task process parses this file first: what its tasks create (dbt's WAL and target included) is owner-only.
keep_private()
PUBLISHED = Asset(name="zfjd_published", uri="file:///zfjd/published/warehouse.duckdb")
MONTHLY_REPORT = Asset(name="zfjd_monthly_report", uri="file:///zfjd/reports/monthly")

default_args = {
    "owner": "zfjd-data-engineering",
    "retries": int(os.environ.get("ZFJD_TASK_RETRIES", "2")),  # 0 under the embedded `zfjd run`
    "retry_delay": timedelta(minutes=5),
    "execution_timeout": timedelta(hours=2),
    "on_failure_callback": alert_failure,
}


@dag(
    dag_id="zfjd_monthly",
    schedule=CronTriggerTimetable("0 6 2 * *", timezone="Asia/Shanghai"),
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    on_failure_callback=alert_failure,
    tags=["zfjd", "monthly", "report", "review"],
    doc_md=__doc__,
    params={"month": Param(None, type=["null", "string"], description="通报月份 YYYY-MM（默认：上个月）")},
)
def zfjd_monthly():
    @task
    def plan() -> str:
        context = get_current_context()
        if context["params"].get("month"):
            return str(context["params"]["month"])
        logical = context.get("logical_date") or dt.datetime.now(dt.UTC)
        first = logical.astimezone(dt.timezone(dt.timedelta(hours=8))).date().replace(day=1)
        return (first - dt.timedelta(days=1)).strftime("%Y-%m")

    @task(pool="zfjd_warehouse")
    def draw_review_sample(month: str) -> dict:
        from zfjd.cycle import draw_review_sample

        return draw_review_sample(HOME, month)

    @task(pool="zfjd_warehouse", inlets=[PUBLISHED], outlets=[PUBLISHED])
    def publish(month: str) -> dict:
        from dataclasses import asdict

        from zfjd.publish import publish

        return asdict(publish(HOME))

    @task(inlets=[PUBLISHED])
    def export_draw(month: str) -> list[str]:
        from zfjd.publish import export_review_sample

        return [str(p) for p in export_review_sample(HOME.published, month, HOME.reports / "monthly" / month)]

    @task(inlets=[PUBLISHED], outlets=[MONTHLY_REPORT])
    def monthly_report(month: str) -> list[str]:
        from zfjd.cycle import write_monthly

        return write_monthly(HOME, month)

    month = plan()
    published = publish(month)
    draw_review_sample(month) >> published >> [export_draw(month), monthly_report(month)]


zfjd_monthly()
