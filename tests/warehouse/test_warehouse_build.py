"""A simulated province through the lake into the warehouse, on DuckDB and on PostgreSQL.

The province is landed and validated with the cycle's own steps, then `dbt build` (models, snapshots,
seeds, data tests, unit tests) must pass on both engines; the indicators are recomputed independently
from the lake's rows and must agree; no analyst-facing table may hold an unmasked 身份证号; building
again must change nothing; the 随机抽查 draw must be reproducible and never draw a case twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import duckdb
import polars as pl
import psycopg
import pytest
from personal_data_scan import leaks, people
from stdnum.cn import ric
from warehouse_compare import analyst_tables, contents_digest, raw_frames, table
from warehouse_recompute import COUNTS, RATES, STOCKS, indicators, yearly

from zfjd import publish, warehouse
from zfjd.home import Home

PG_DATABASE = "zfjd_warehouse_test"
ID_SHAPE = re.compile(r"\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")


@pytest.fixture(scope="module")
def postgres_dsn():
    admin = warehouse.postgres_dsn().replace("dbname=zfjd", "dbname=postgres")
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"drop database if exists {PG_DATABASE} with (force)")
        con.execute(f"create database {PG_DATABASE}")
    os.environ["ZFJD_PG_DATABASE"] = PG_DATABASE
    yield warehouse.postgres_dsn()
    os.environ.pop("ZFJD_PG_DATABASE", None)


@pytest.mark.slow
def test_build_passes_on_duckdb_and_the_marts_are_filled(duckdb_build):
    home, _ = duckdb_build
    for name in (
        "marts.fct_penalty_case",
        "marts.fct_finding",
        "marts.mart_supervision_indicators",
        "feeds.feed_credit_dual",
        "marts.fct_license",
        "feeds.feed_credit_dual_license",
        "feeds.feed_internet_supervision",
        "marts.mart_supervision_item_gaps",
        "ops.ops_batch",
        "ops.ops_rejection",
        "marts.dim_officer",
    ):
        assert table(home.warehouse, name).height > 0, name
    batches = table(home.warehouse, "ops.ops_batch")
    assert (batches["received"] == batches["accepted"] + batches["rejected"]).all()


@pytest.mark.slow
def test_rejections_are_worded_as_zfjd_validate_words_them(duckdb_build):
    from standards.loader import standard
    from standards.messages import rule_hint, rule_message

    home, _ = duckdb_build
    spec = standard()
    rejections = table(home.warehouse, "ops.ops_rejection").select("entity", "rule", "field", "message", "hint")
    assert rejections.height > 0
    assert rejections["field"].null_count() < rejections.height  # some rejections name a field
    for entity, rule_id, field, message, hint in rejections.unique().iter_rows():
        rule, spec_entity = spec.rules[rule_id], spec.entity(entity)
        assert (message, hint) == (rule_message(rule, spec_entity, field), rule_hint(rule, spec_entity, field)), (
            rule_id,
            field,
        )


@pytest.mark.slow
def test_every_indicator_agrees_with_an_independent_recomputation(duckdb_build):
    home, spec = duckdb_build
    mart = table(home.warehouse, "marts.mart_supervision_indicators").with_columns(
        pl.col("forfeiture_amount_wan").cast(pl.Float64)
    )
    recomputed = indicators(raw_frames(home.warehouse), spec.last_day)
    assert mart.select(pl.col("penalty_case_count").sum()).item() > 100
    joined = mart.join(recomputed, on=["entity_id", "month_start"], how="left", suffix="_independent")
    for column in (*COUNTS, "forfeiture_amount_wan"):
        mismatched = joined.filter((pl.col(column) - pl.col(f"{column}_independent").fill_null(0)).abs() > 1e-6)
        assert mismatched.is_empty(), (column, mismatched.select("entity_id", "month_start", column).head(3).rows())
    for rate in RATES:
        theirs, ours = pl.col(rate), pl.col(f"{rate}_independent")
        mismatched = joined.filter(
            (theirs.is_null() != ours.is_null()) | ((theirs - ours).abs() > 1e-9).fill_null(False)
        )
        assert mismatched.is_empty(), (rate, mismatched.select("entity_id", "month_start", rate).head(3).rows())
    # nothing the recomputation counted is missing from the mart
    assert recomputed.join(mart, on=["entity_id", "month_start"], how="anti").is_empty()


def test_the_year_grain_sums_the_months_and_takes_stocks_at_the_year_end(duckdb_build):
    home, spec = duckdb_build
    mart = table(home.warehouse, "marts.mart_supervision_indicators_yearly").with_columns(
        pl.col("forfeiture_amount_wan").cast(pl.Float64), pl.col("report_year").cast(pl.Int32)
    )
    monthly = table(home.warehouse, "marts.mart_supervision_indicators").with_columns(
        pl.col("forfeiture_amount_wan").cast(pl.Float64)
    )
    # against the mart's own months: flows are their sums, stocks are never summed over months
    from_months = yearly(monthly, spec.last_day).with_columns(pl.col("report_year").cast(pl.Int32))
    # and against the independent recomputation from the lake
    independent = yearly(indicators(raw_frames(home.warehouse), spec.last_day), spec.last_day).with_columns(
        pl.col("report_year").cast(pl.Int32)
    )
    assert mart.height > 0 and mart.select(pl.col("officer_count").sum()).item() > 0
    for expected in (from_months, independent):
        joined = mart.join(expected, on=["entity_id", "report_year"], how="left", suffix="_expected")
        for column in (*COUNTS, "forfeiture_amount_wan"):
            mismatched = joined.filter((pl.col(column) - pl.col(f"{column}_expected").fill_null(0)).abs() > 1e-6)
            assert mismatched.is_empty(), (column, mismatched.select("entity_id", "report_year", column).head(3).rows())
    # the stock really is the year-end month's, not the sum: some body has officers in several months
    summed_officers = monthly.group_by("entity_id").agg(pl.col(STOCKS[0]).sum()).select(pl.col(STOCKS[0]).sum()).item()
    assert summed_officers > mart.select(pl.col(STOCKS[0]).sum()).item()
    province = table(home.warehouse, "marts.mart_indicators_province_yearly")
    assert province["penalty_case_count"].sum() == mart["penalty_case_count"].sum()
    assert province.filter(pl.col("report_year") == spec.last_day.year)["is_year_complete"].to_list() == [False]


def _valid_id_numbers(text: str | None) -> list[str]:
    if not text:
        return []
    return [m for m in ID_SHAPE.findall(text) if ric.is_valid(m)]


@pytest.mark.slow
def test_no_analyst_facing_table_holds_an_unmasked_id_number(duckdb_build):
    home, _ = duckdb_build
    # the scan finds them where they are allowed: the restricted raw schema has plenty
    raw_ids = table(home.warehouse, 'raw."officer"')["SFZH"].drop_nulls().to_list()
    assert raw_ids and all(_valid_id_numbers(v) for v in raw_ids[:50])
    tables = analyst_tables(home.warehouse)
    assert {"marts.dim_officer", "marts.fct_penalty_case", "feeds.feed_credit_dual", "ops.ops_rejection"} <= set(tables)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        for name in tables:
            schema, relation = name.split(".")
            text_columns = [
                column
                for (column,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
                    " and data_type = 'VARCHAR'",
                    [schema, relation],
                ).fetchall()
            ]
            for column in text_columns:
                values = con.execute(f'select distinct "{column}" from {name}').fetchall()
                leaked = [v for (v,) in values if _valid_id_numbers(v)]
                assert not leaked, f"{name}.{column} holds an unmasked 身份证号"
        masked = con.execute("select id_number_masked from marts.dim_officer limit 1").fetchone()[0]
    assert re.fullmatch(r"\d{6}\*{8}[\dXx]{4}", masked), masked


@pytest.mark.slow
def test_no_analyst_facing_table_nor_the_published_copy_holds_a_mobile_number_or_a_persons_name(duckdb_build):
    home, spec = duckdb_build
    who = people(home.warehouse)
    # what the scan looks for is there to find: the simulated 违法事实 name the natural person
    assert len(who.names) > 100 and len(who.id_numbers) > 100
    staged = table(home.warehouse, "staging.stg_lake__penalty_cases").filter(pl.col("counterparty_type") == "自然人")
    assert staged.filter(pl.col("violation_facts").str.contains(pl.col("counterparty_name"), literal=True)).height > 10
    assert leaks(home.warehouse, who) == []
    copy = publish.publish(home, as_of=spec.last_day)
    assert leaks(home.published, who) == []
    with duckdb.connect(copy.path, read_only=True) as con:
        schemas = {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
    assert not schemas & {"raw", "staging", "snapshots"}, schemas
    # the masking is counted: every natural person's name in a 违法事实 is one value masked
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        counted = con.execute(
            "select values_masked from ops.ops_masking where model_name = 'fct_penalty_case' "
            "and column_name = 'violation_facts' and data_kind = 'name'"
        ).fetchone()[0]
    assert (
        counted
        >= staged.filter(
            pl.col("violation_facts").str.contains(pl.col("counterparty_name"), literal=True)
            & (pl.col("counterparty_name").str.len_chars() >= 2)
        ).height
    )


@pytest.mark.slow
def test_building_the_same_day_again_changes_nothing(duckdb_build):
    home, spec = duckdb_build
    before = contents_digest(home.warehouse)
    again = warehouse.build(home, as_of=spec.last_day, unit_tests=False)  # as the daily cycle runs it again
    assert again.success, again.failures
    assert contents_digest(home.warehouse) == before


def test_a_negative_count_or_a_rate_above_one_fails_the_build_naming_the_column(duckdb_build, tmp_path):
    """The indicator marts' counts and rates are checked per table (counts_and_rates_in_range): a bad
    value in any listed column still fails dbt, and the failure says which check and how many rows."""
    home, spec = duckdb_build
    copy = Home.at(tmp_path / "copy")
    copy.warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(home.warehouse, copy.warehouse)
    with duckdb.connect(str(copy.warehouse)) as con:
        con.execute("update marts.mart_indicators_province set inspection_count = -1")
        bad = con.execute("select count(*) from marts.mart_indicators_province").fetchone()[0]
        con.execute("update marts.mart_indicators_by_city set legal_review_rate = 1.5")
    selection = "mart_indicators_province mart_indicators_by_city mart_indicators_by_county"
    result = warehouse.run_dbt(["test", "--select", selection, "--exclude", "resource_type:unit_test"], copy,
                               as_of=spec.last_day)
    assert not result.success
    failed = sorted(line for line in result.failures if "counts_and_rates_in_range" in line)
    assert len(failed) == 2 and "mart_indicators_by_city" in failed[0] and "mart_indicators_province" in failed[1]
    assert f"Got {bad} result" in failed[1]
    with duckdb.connect(str(copy.warehouse), read_only=True) as con:
        compiled = [
            path.read_text(encoding="utf-8")
            for path in (warehouse.dbt_target_path(copy) / "compiled").rglob("counts_and_rates_in_range*.sql")
        ]
        province_check = next(sql for sql in compiled if "mart_indicators_province" in sql)
        named = con.execute(f"select failed_check, count(*) from ({province_check}) group by all").fetchall()
    assert named == [("inspection_count >= 0", bad)]


@pytest.mark.slow
def test_the_review_draw_is_reproducible_stratified_and_never_repeats_a_case(duckdb_build):
    home, spec = duckdb_build
    first_month = spec.last_day.strftime("%Y-%m")

    def draw(month: str, *extra: str):
        result = warehouse.run_dbt(
            [
                "build",
                "--select",
                "mart_review_sample",
                "--vars",
                json.dumps({"as_of": spec.last_day.isoformat(), "review_month": month}),
                *extra,
            ],
            home,
        )
        assert result.success, result.failures
        return table(home.warehouse, "marts.mart_review_sample")

    first = draw(first_month)
    drawn = first.filter(pl.col("draw_month") == first_month)
    assert drawn.height > 0 and drawn["draw_seed"].n_unique() == 1
    strata = drawn.group_by("city_code", "enforcement_domain").agg(pl.len(), pl.col("stratum_size").first())
    assert (strata["len"] >= 1).all() and (strata["len"] <= strata["stratum_size"]).all()
    assert draw(first_month).equals(first)  # the same month again adds nothing
    second = draw("2099-12").filter(pl.col("draw_month") == "2099-12")
    assert second.height > 0
    assert set(second["case_id"]).isdisjoint(set(drawn["case_id"]))
    redrawn = draw(first_month, "--full-refresh")  # from scratch, the recorded seed gives the same draw
    assert set(redrawn["sample_id"]) == set(drawn["sample_id"])


@pytest.mark.slow
def test_the_same_project_builds_on_postgresql_with_the_same_results(duckdb_build, postgres_dsn):
    home, spec = duckdb_build
    result = warehouse.build(home, as_of=spec.last_day, target="postgres", dsn=postgres_dsn)
    assert result.success, "\n".join(result.failures)
    checked = (
        "marts.fct_penalty_case",
        "marts.fct_finding",
        "marts.mart_supervision_indicators",
        "marts.mart_supervision_indicators_yearly",
        "marts.mart_zero_enforcement",
        "feeds.feed_credit_dual",
        "feeds.feed_publicity",
        "feeds.feed_fine_reconciliation",
        "feeds.feed_criminal_transfer",
        "marts.dim_law",
        "marts.dim_law_article",
        "ops.ops_rejection",
        "marts.mart_unit_data_quality",
    )
    sums = [f"sum({c})" for c in COUNTS]
    with psycopg.connect(postgres_dsn) as con:
        for name in checked:
            pg_rows = con.execute(f"select count(*) from {name}").fetchone()[0]
            assert pg_rows == table(home.warehouse, name).height, name
        pg_sums = con.execute(f"select {', '.join(sums)} from marts.mart_supervision_indicators").fetchone()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        duck_sums = con.execute(f"select {', '.join(sums)} from marts.mart_supervision_indicators").fetchone()
    assert [int(v) for v in pg_sums] == [int(v) for v in duck_sums]
