"""The 法律法规库 and the 行刑衔接 in the warehouse built from a simulated province: the library is
landed with the 三库 and fills dim_law / dim_law_article; the 事项 the simulator spoils on purpose (a
repealed law, an article the library does not list) carry their findings and no other 事项 does; the
criminal-transfer feed's three-day deadline agrees with the finding validation recorded."""

from __future__ import annotations

import polars as pl
import pytest
from warehouse_compare import table

from connectors.simulator.laws import LAWS, defective_matters


@pytest.mark.slow
def test_the_law_library_is_landed_and_each_spoiled_matter_has_its_finding(duckdb_build):
    home, spec = duckdb_build
    laws = table(home.warehouse, "marts.dim_law")
    articles = table(home.warehouse, "marts.dim_law_article")
    assert laws.height == len(LAWS)
    repealed = {law.code for law in LAWS if law.repealed is not None}
    assert set(laws.filter(~laws["is_in_force"])["law_id"]) == repealed
    assert articles.height > 0 and set(articles["law_id"]) <= set(laws["law_id"])
    assert articles["citing_matter_count"].sum() > 0

    matters = spec.exchange().province.matters
    expected = {(f"{code}|1", rule) for code, (_, rule) in defective_matters(matters).items()}
    findings = table(home.warehouse, "marts.fct_finding").filter(pl.col("record_kind") == "matter")
    assert set(zip(findings["record_id"], findings["rule_id"], strict=True)) == expected


@pytest.mark.slow
def test_the_transfer_feed_and_the_late_police_decision_finding_agree(duckdb_build):
    home, _ = duckdb_build
    feed = table(home.warehouse, "feeds.feed_criminal_transfer")
    assert feed.height > 0
    assert feed["transfer_date"].null_count() == 0
    decided = feed.filter(feed["police_filing_result_date"].is_not_null())
    assert (decided["police_filing_result_date"] >= decided["transfer_date"]).all()
    late = set(feed.filter(feed["is_police_decision_late"])["case_id"])
    findings = table(home.warehouse, "marts.fct_finding")
    found = set(findings.filter(findings["rule_id"] == "finding.late_police_filing_decision")["record_id"])
    assert late == found

