"""The §6 indicators recomputed from the lake's rows with polars, independently of the dbt models.

Nothing here reads a dbt model: latest versions are chosen again from the raw rows, working days come
from quality.workdays (the dbt project uses a generated seed and SQL window sums), and every formula is
written again from standard.md §6. The test compares the result with mart_supervision_indicators.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from quality.workdays import WorkdayCalendar
from standards.loader import standard

COUNTS = (
    "penalty_case_count",
    "summary_procedure_count",
    "ordinary_procedure_count",
    "filed_case_count",
    "closed_case_count",
    "coercion_measure_count",
    "coercion_execution_count",
    "inspection_count",
    "judicial_transfer_count",
    "officer_count",
    "certified_officer_count",
    "legal_review_required_count",
    "legal_review_done_count",
    "overdue_case_count",
    "publicity_due_count",
    "publicity_on_time_count",
    "publicity_provisional_due_count",
    "publicity_provisional_on_time_count",
    "reconsidered_count",
    "reconsideration_corrected_count",
)
RATES = {
    "certification_rate": ("certified_officer_count", "officer_count"),
    "legal_review_rate": ("legal_review_done_count", "legal_review_required_count"),
    "overdue_rate": ("overdue_case_count", "ordinary_procedure_count"),
    "publicity_timeliness_rate": ("publicity_on_time_count", "publicity_due_count"),
    "reconsideration_correction_rate": ("reconsideration_corrected_count", "reconsidered_count"),
}


STOCKS = ("officer_count", "certified_officer_count")


def next_workday(calendar: WorkdayCalendar, day: dt.date | None) -> dt.date | None:
    """The first working day on or after `day` (顺延); a year the calendar does not know: weekends only."""
    if day is None:
        return None
    while not (calendar.is_workday(day) if calendar.is_covered(day.year) else day.weekday() < 5):
        day += dt.timedelta(days=1)
    return day


def latest(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    ordered = frame.sort(["GXSJ", "received_at", "batch_id", "row_number"], descending=True, nulls_last=True)
    return ordered.unique(subset=keys, keep="first", maintain_order=True)


def month(column: str | pl.Expr) -> pl.Expr:
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.dt.truncate("1mo")


def _count(frame: pl.DataFrame, when: pl.Expr, month_expr: pl.Expr, name: str) -> pl.DataFrame:
    return (
        frame.filter(when)
        .group_by(pl.col("ZTDM").alias("entity_id"), month_expr.alias("month_start"))
        .agg(pl.len().alias(name))
    )


def indicators(raw: dict[str, pl.DataFrame], as_of: dt.date) -> pl.DataFrame:
    """entity_id × month_start with every count of COUNTS and forfeiture_amount_wan, non-zero rows only."""
    limits = standard().rules
    max_days = limits["finding.overdue_handling"].params["max_days"]
    working_days = limits["finding.late_publicity"].params["working_days"]

    bodies = latest(raw["enforcement_entity"], ["TYSHXYDM"]).select(
        pl.col("TYSHXYDM").alias("ZTDM"), pl.col("ZFLY").alias("domain")
    )
    cases = latest(raw["penalty_case"], ["ZTDM", "AJBH"]).join(bodies, on="ZTDM", how="left")
    withdrawn = pl.col("AJZT") == "9"
    decided = pl.col("CF_JDRQ").is_not_null() & ~withdrawn
    calendar = WorkdayCalendar(standard().holidays)
    deadlines = calendar.deadline_table(working_days)
    cases = cases.join(deadlines.select(pl.col("date").alias("CF_JDRQ"), pl.col("deadline")), on="CF_JDRQ", how="left")
    cases = cases.with_columns(
        calendar.guessed_expr("CF_JDRQ", working_days).fill_null(False).alias("provisional"),
        # 超期办案: 90 calendar days after 立案, moved to the next working day (顺延), or the approved extension
        pl.coalesce(
            pl.col("YCQXZ"),
            (pl.col("LARQ") + pl.duration(days=max_days)).map_elements(
                lambda day: next_workday(calendar, day), return_dtype=pl.Date
            ),
        ).alias("handling_deadline"),
    )
    needs_review = decided & ((pl.col("SFZD") == "Y") | (pl.col("SFTZ") == "Y"))
    exempt = (pl.col("domain") == "市场监管") & (pl.col("CF_CFLB") == "警告")
    due = decided & ~exempt & (pl.col("GSRQ").is_not_null() | (pl.col("deadline") < as_of))
    on_time = pl.col("GSRQ").is_not_null() & (pl.col("GSRQ") <= pl.col("deadline"))
    firm = ~pl.col("provisional")
    decided_month = month("CF_JDRQ")
    parts = [
        _count(cases, decided, decided_month, "penalty_case_count"),
        _count(cases, decided & (pl.col("CXLX") == "1"), decided_month, "summary_procedure_count"),
        _count(cases, decided & (pl.col("CXLX") == "2"), decided_month, "ordinary_procedure_count"),
        _count(cases, pl.col("LARQ").is_not_null() & ~withdrawn, month("LARQ"), "filed_case_count"),
        _count(cases, pl.col("JARQ").is_not_null() & ~withdrawn, month("JARQ"), "closed_case_count"),
        _count(
            cases,
            (pl.col("SFYS") == "Y") & ~withdrawn & pl.coalesce("CF_JDRQ", "LARQ").is_not_null(),
            month(pl.coalesce("CF_JDRQ", "LARQ")),
            "judicial_transfer_count",
        ),
        _count(cases, needs_review, decided_month, "legal_review_required_count"),
        _count(
            cases,
            needs_review & pl.col("FZSHRQ").is_not_null() & (pl.col("FZSHRQ") <= pl.col("CF_JDRQ")),
            decided_month,
            "legal_review_done_count",
        ),
        _count(
            cases,
            decided
            & (pl.col("CXLX") == "2")
            & pl.col("LARQ").is_not_null()
            & (pl.col("CF_JDRQ") > pl.col("handling_deadline")),
            decided_month,
            "overdue_case_count",
        ),
        _count(cases, due & firm, decided_month, "publicity_due_count"),
        _count(cases, due & firm & on_time, decided_month, "publicity_on_time_count"),
        _count(cases, due & ~firm, decided_month, "publicity_provisional_due_count"),
        _count(cases, due & ~firm & on_time, decided_month, "publicity_provisional_on_time_count"),
        _count(cases, decided & pl.col("FYSS").is_in(["1", "2", "3", "4"]), decided_month, "reconsidered_count"),
        _count(
            cases, decided & pl.col("FYSS").is_in(["2", "3", "4"]), decided_month, "reconsideration_corrected_count"
        ),
        cases.filter(decided)
        .group_by(pl.col("ZTDM").alias("entity_id"), decided_month.alias("month_start"))
        .agg(
            (pl.col("CF_NR_FK").fill_null(0) + pl.col("CF_NR_WFFF").fill_null(0)).sum().alias("forfeiture_amount_wan")
        ),
    ]
    coercions = latest(raw["coercion_case"], ["ZTDM", "QZBH"])
    parts += [
        _count(coercions, pl.col("QZLX") == "1", month("JDRQ"), "coercion_measure_count"),
        _count(coercions, pl.col("QZLX") == "2", month("JDRQ"), "coercion_execution_count"),
        _count(latest(raw["inspection"], ["ZTDM", "JCBH"]), pl.lit(True), month("JCRQ"), "inspection_count"),
    ]
    first = min(
        d
        for d in (cases["LARQ"].min(), cases["CF_JDRQ"].min(), coercions["JDRQ"].min(), raw["inspection"]["JCRQ"].min())
        if d is not None
    )
    months = pl.date_range(first.replace(day=1), as_of.replace(day=1), "1mo", eager=True).alias("month_start")
    officers = (
        latest(raw["officer"], ["ZFZH"])
        .join(pl.DataFrame(months), how="cross")
        .with_columns((pl.col("month_start").dt.offset_by("1mo") - pl.duration(days=1)).alias("month_end"))
    )
    # in service at the month end: issued by then, not 注销, not expired more than a year before
    officers = officers.filter(
        (pl.col("YXQQ") <= pl.col("month_end"))
        & (pl.col("ZJZT") != "3")
        & (pl.col("YXQZ").dt.offset_by("1y") >= pl.col("month_end"))
    )
    certified = (
        (pl.col("ZJZT") == "1") & (pl.col("YXQQ") <= pl.col("month_end")) & (pl.col("YXQZ") >= pl.col("month_end"))
    )
    parts.append(
        officers.group_by(pl.col("SSZTDM").alias("entity_id"), "month_start").agg(
            pl.len().alias("officer_count"), certified.sum().alias("certified_officer_count")
        )
    )
    combined = None
    for part in parts:
        part = part.with_columns(pl.col("month_start").cast(pl.Date))
        combined = (
            part
            if combined is None
            else combined.join(part, on=["entity_id", "month_start"], how="full", coalesce=True)
        )
    return combined.with_columns(pl.col(c).fill_null(0) for c in (*COUNTS, "forfeiture_amount_wan")).with_columns(
        [pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).alias(rate) for rate, (num, den) in RATES.items()]
    )


def yearly(monthly: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """entity_id × report_year from the monthly recomputation: flows summed over the months, stocks taken
    at the year's last month (December, or the as-of month for the year in progress), 0 when absent."""
    flows = [c for c in (*COUNTS, "forfeiture_amount_wan") if c not in STOCKS]
    frame = monthly.with_columns(pl.col("month_start").dt.year().alias("report_year"))
    year_end = pl.when(pl.col("report_year") == as_of.year).then(as_of.month).otherwise(12)
    summed = frame.group_by("entity_id", "report_year").agg(pl.col(c).sum() for c in flows)
    stocks = frame.filter(pl.col("month_start").dt.month() == year_end).select("entity_id", "report_year", *STOCKS)
    return (
        summed.join(stocks, on=["entity_id", "report_year"], how="full", coalesce=True)
        .with_columns(pl.col(c).fill_null(0) for c in (*flows, *STOCKS))
        .with_columns(
            [pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).alias(rate) for rate, (num, den) in RATES.items()]
        )
    )
