"""One 行政许可 from what the 政务服务网 sent, through the exchange API, intake, validation, the lake and
dbt, to its `XK_*` 双公示 row; one inspection to the 互联网+监管 feed; one unmapped 检查 事项 to the gaps
listed for its body. Reads the session's shared build (conftest.py), so it costs no build of its own."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from warehouse_compare import table

from connectors.simulator.exchange import EXPECTED
from connectors.simulator.province import GOV_SERVICE_UNIT
from zfjd.lake import Lake


@pytest.fixture(scope="module")
def sent(duckdb_build):
    _, spec = duckdb_build
    return spec.exchange().records


def _clean_single_version(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Records sent once and without a defect: their one version is what the warehouse must hold."""
    versions = frame.group_by(key).agg(pl.len().alias("versions"), pl.col(EXPECTED).is_not_null().any().alias("bad"))
    once = versions.filter((pl.col("versions") == 1) & ~pl.col("bad"))[key]
    return frame.filter(pl.col(key).is_in(once.implode())).sort(key)


@pytest.mark.slow
def test_a_license_travels_from_the_government_service_portal_to_its_xk_row(duckdb_build, sent):
    home, _ = duckdb_build
    licenses = _clean_single_version(sent["license"], "XK_WSH")
    person = licenses.filter((pl.col("XK_XDR_LB") == "自然人") & (pl.col("XK_ZT") == "1")).row(0, named=True)

    entries = [e for e in Lake(home.lake).entries() if e.entity == "license"]
    assert entries and {(e.unit, e.channel) for e in entries} == {(GOV_SERVICE_UNIT, "api")}

    feed = table(home.warehouse, "feeds.feed_credit_dual_license").filter(pl.col("xk_wsh") == person["XK_WSH"])
    assert feed.height == 1
    row = feed.row(0, named=True)
    name, id_number = person["XK_XDR_MC"], person["XK_XDR_ZJHM"]
    assert row["feed_action"] == "publish" and not row["is_withdrawn"]
    assert row["xk_xdr_mc"] == name[0] + "*" * (len(name) - 1)
    assert row["xk_xdr_zjhm"] == id_number[:6] + "*" * 8 + id_number[-4:]
    assert row["xk_xdr_lb"] == "自然人" and row["xk_xdr_zjlx"] == person["XK_XDR_ZJLX"]
    assert row["xk_jdrq"] == dt.date.fromisoformat(person["XK_JDRQ"])
    assert row["xk_yxqzi"] == dt.date.fromisoformat(person["XK_YXQZI"])
    assert (row["xk_xkjgdm"], row["xk_xklb"], row["xk_xkzs"], row["xk_zt"]) == (
        person["XK_XKJGDM"], person["XK_XKLB"], person["XK_XKZS"], "1")
    assert name not in row["xk_nr"] and name[0] + "*" in row["xk_nr"]
    assert row["publicity_deadline"] > row["xk_jdrq"]
    assert not any(isinstance(value, str) and id_number in value for value in row.values())


@pytest.mark.slow
def test_a_license_that_became_invalid_is_withdrawn_from_the_dual_publicity(duckdb_build, sent):
    home, _ = duckdb_build
    versions = sent["license"].group_by("XK_WSH").agg(
        pl.col("XK_ZT").sort_by("GXSJ").alias("states"), pl.col(EXPECTED).is_not_null().any().alias("bad"))
    revoked = versions.filter(~pl.col("bad") & (pl.col("states") == pl.lit(["1", "2"])))["XK_WSH"]
    # One pull that catches up several days lands both versions in one batch, where batch.key_conflict
    # rejects them both (docs/intake.md, Limits): follow one whose 无效 version was accepted.
    landed = table(home.warehouse, "raw.license").filter(pl.col("XK_ZT") == "2")["XK_WSH"]
    followed = revoked.filter(revoked.is_in(landed.implode()))
    assert followed.len() > 0, "the simulated province revokes a few licenses"
    feed = table(home.warehouse, "feeds.feed_credit_dual_license").filter(pl.col("xk_wsh") == followed.sort()[0])
    assert feed["feed_action"].to_list() == ["remove"]
    assert feed["withdrawal_reason"].to_list() == ["无效"] and feed["withdrawal_deadline"].is_not_null().all()


@pytest.mark.slow
def test_an_inspection_reaches_the_internet_supervision_feed_by_its_supervision_item(duckdb_build, sent):
    home, _ = duckdb_build
    inspections = _clean_single_version(sent["inspection"], "JCBH")
    mapped = inspections.filter(pl.col("JGSXBM").is_not_null()).row(0, named=True)
    feed = table(home.warehouse, "feeds.feed_internet_supervision")
    row = feed.filter(pl.col("inspection_id") == f"{mapped['ZTDM']}|{mapped['JCBH']}").row(0, named=True)
    assert (row["jgsxbm"], row["sxbm"], row["jczt_dm"]) == (mapped["JGSXBM"], mapped["SXBM"], mapped["ZTDM"])
    assert row["jcrq"] == dt.date.fromisoformat(mapped["JCRQ"]) and row["jczt_mc"]

    unmapped = inspections.filter(pl.col("JGSXBM").is_null()).row(0, named=True)
    assert feed.filter(pl.col("inspection_id") == f"{unmapped['ZTDM']}|{unmapped['JCBH']}").is_empty()
    gaps = table(home.warehouse, "marts.mart_supervision_item_gaps")
    gap = gaps.filter(pl.col("gap_id") == f"{unmapped['ZTDM']}|{unmapped['SXBM']}")
    assert gap.height == 1 and gap["inspection_count"][0] >= 1
