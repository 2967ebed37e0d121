"""A 事项's 设定依据 is judged the same by validation (quality/reference.py, polars) and by the warehouse
(dbt_project/models/intermediate/int_matter_bases_assessed.sql, rendered and run in DuckDB).

Matters are drawn around every boundary of the check: a law taking effect the day before, on and after
the 事项's 生效日期; repealed the day before, on and after the judging day (today, or the 事项's own
失效日期 when earlier); articles listed or not; several items per 设定依据, malformed ones among them.
"""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import jinja2
import polars as pl

from quality.read import ROW
from quality.reference import MATTER_BASIS_NOT_IN_FORCE, MATTER_BASIS_UNKNOWN, Reference, enrich
from zfjd.warehouse import PROJECT_DIR

MODEL = PROJECT_DIR / "models" / "intermediate" / "int_matter_bases_assessed.sql"
# The project's portable macros, as the model calls them (list_items)
PORTABLE = jinja2.Template((PROJECT_DIR / "macros" / "portable.sql").read_text(encoding="utf-8")).module
AS_OF = dt.date(2025, 6, 30)
MATTER_START = dt.date(2020, 1, 1)
MATTER_END = dt.date(2023, 3, 1)
ARTICLES = ("第一条", "第二条", "第三条")
DAY = dt.timedelta(days=1)


def _laws() -> pl.DataFrame:
    """One law per (effective, repealed) pair around each boundary."""
    starts = (MATTER_START - DAY, MATTER_START, MATTER_START + DAY)
    ends = (None, MATTER_END - DAY, MATTER_END, MATTER_END + DAY, AS_OF - DAY, AS_OF, AS_OF + DAY)
    rows = [
        {"FGBH": f"L{i:02d}", "SSRQ": start, "SXRQ": end, "GXSJ": dt.datetime(2024, 1, 1)}
        for i, (start, end) in enumerate((s, e) for s in starts for e in ends)
    ]
    return pl.DataFrame(rows, schema={"FGBH": pl.String, "SSRQ": pl.Date, "SXRQ": pl.Date, "GXSJ": pl.Datetime})


def _articles(laws: pl.DataFrame) -> pl.DataFrame:
    # Every law lists 第一条 and 第二条, never 第三条.
    rows = [{"FGBH": law, "TKH": article} for law in laws["FGBH"] for article in ARTICLES[:2]]
    return pl.DataFrame(rows, schema={"FGBH": pl.String, "TKH": pl.String})


def _matters(laws: pl.DataFrame, count: int = 400) -> pl.DataFrame:
    rng = random.Random(13)
    codes = [*laws["FGBH"], "UNKNOWN"]
    rows = []
    for number in range(1, count + 1):
        items = [f"{rng.choice(codes)}:{rng.choice(ARTICLES)}" for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.1:
            items.append(rng.choice(["无冒号", "A:B:C", ":第一条"]))
        rows.append(
            {
                ROW: number,
                "SXRQ": MATTER_START,
                "SHXRQ": rng.choice([None, None, MATTER_END - DAY, MATTER_END, AS_OF + DAY]),
                "SDYJ": items,
            }
        )
    schema = {ROW: pl.Int64, "SXRQ": pl.Date, "SHXRQ": pl.Date, "SDYJ": pl.List(pl.String)}
    return pl.DataFrame(rows, schema=schema)


def _warehouse_answer(matters: pl.DataFrame, laws: pl.DataFrame, articles: pl.DataFrame) -> pl.DataFrame:
    con = duckdb.connect()
    staged_matters = matters.select(
        pl.col(ROW).cast(pl.String).alias("matter_version_id"),
        pl.col(ROW).cast(pl.String).alias("matter_code"),
        pl.col("SXRQ").alias("effective_date"),
        pl.col("SHXRQ").alias("expiry_date"),
        pl.col("SDYJ").list.join(";").alias("legal_basis"),
    )
    staged_laws = laws.select(
        pl.col("FGBH").alias("law_id"), pl.col("SSRQ").alias("effective_date"), pl.col("SXRQ").alias("expiry_date")
    )
    staged_articles = articles.select(
        (pl.col("FGBH") + ":" + pl.col("TKH")).alias("law_article_id"),
        pl.col("FGBH").alias("law_id"),
        pl.col("TKH").alias("article_number"),
    )
    con.register("stg_lake__matters", staged_matters.to_arrow())
    con.register("stg_lake__laws", staged_laws.to_arrow())
    con.register("stg_lake__law_articles", staged_articles.to_arrow())
    sql = jinja2.Template(MODEL.read_text(encoding="utf-8")).render(
        ref=lambda name: name, as_of_date=lambda: f"cast('{AS_OF.isoformat()}' as date)",
        list_items=PORTABLE.list_items,
    )
    answer = pl.from_arrow(con.sql(sql).arrow())
    return answer.select(
        pl.col("matter_version_id").cast(pl.Int64).alias(ROW),
        pl.col("has_unknown_basis").alias(MATTER_BASIS_UNKNOWN),
        pl.col("has_basis_not_in_force").alias(MATTER_BASIS_NOT_IN_FORCE),
    )


def test_validation_and_warehouse_judge_every_matter_alike():
    laws = _laws()
    articles = _articles(laws)
    matters = _matters(laws)
    validation = enrich(matters, "matter", Reference(laws=laws, law_articles=articles), None, AS_OF).select(
        ROW, MATTER_BASIS_UNKNOWN, MATTER_BASIS_NOT_IN_FORCE
    )
    warehouse = _warehouse_answer(matters, laws, articles)
    compared = validation.join(warehouse, on=ROW, suffix="_sql")
    assert compared.height == matters.height
    for flag in (MATTER_BASIS_UNKNOWN, MATTER_BASIS_NOT_IN_FORCE):
        differing = compared.filter(pl.col(flag) != pl.col(f"{flag}_sql"))
        assert differing.is_empty(), (flag, differing.join(matters, on=ROW))
        # both answers occur: the draw reaches each side of the check
        assert compared[flag].any() and not compared[flag].all(), flag
