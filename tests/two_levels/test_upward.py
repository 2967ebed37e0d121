"""Two levels on one machine (issue 12, "Done when"): every record a city accepted reaches the province
exactly once; a record the city accepted on a stale 三库 and the province rejected reaches its
originating unit's feedback at the city on the next cycle; a city-side 越权 record never reaches the
province; killing the push half-way and running again loses and doubles nothing; running a day again
changes nothing at either level. The setting: tests/two_level_support.py.
"""

from __future__ import annotations

import polars as pl
from two_level_support import CITIES, SPEC, _accepted, _entries_of

from connectors.simulator.province import GOV_SERVICE_UNIT
from zfjd import cycle
from zfjd.reports.feedback import UnitFeedback, with_province_rejections
from zfjd.upward import Outbox, outbox_path, province_rejections, push_upward


def test_each_city_takes_in_its_own_units_and_the_province_the_others(levels):
    two = levels["levels"]
    province_units = set(cycle.discover_units(two.province))
    for city, home in two.cities.items():
        assert set(cycle.discover_units(home)) == set(two.units[city])
        assert not province_units & set(two.units[city]), "a city's units report to the city, not also to the province"
        assert CITIES[city] in province_units
    # … and the 政务服务网, the source of the 行政许可, reports to the province only
    assert GOV_SERVICE_UNIT in province_units and all(GOV_SERVICE_UNIT not in units for units in two.units.values())
    assert len(province_units) == SPEC.units - sum(len(u) for u in two.units.values()) + len(CITIES) + 1


def test_every_record_a_city_accepted_reaches_the_province_exactly_once(levels):
    two = levels["levels"]
    for city, home in two.cities.items():
        upward = _entries_of(two.province, CITIES[city])
        outbox = Outbox(outbox_path(home))
        totals = outbox.totals()
        sent = {row[0] for row in outbox.connection.execute("select upward_batch_id from upward_batch")}
        outbox.close()
        assert upward, f"{city}: nothing reached the province"
        assert {e.batch_id for e in upward} == sent
        assert sum(e.received for e in upward) == _accepted(home) == totals["rows"]
        assert sum(e.accepted + e.rejected for e in upward) == _accepted(home)
        assert totals["acknowledged"] == totals["batches"]
        assert totals["province_received"] == _accepted(home)


def test_a_record_rejected_by_the_province_reaches_its_unit_at_the_city_the_next_cycle(levels):
    two = levels["levels"]
    home = two.cities["440100"]
    rows = levels["rejections_day3"]
    assert rows, "the province's rejections of day 2 did not come back on day 3"
    assert {row["rule"] for row in rows} >= {"reference.matter_unknown"} or any(
        "matter" in row["rule"] for row in rows)
    landing_cases = set()
    from connectors.landing import Landing

    landing = Landing(home.landing)
    for row in rows:
        assert row["unit"] in two.units["440100"]
        assert row["message"].startswith("省级复核退回：")
        manifest = landing.find(row["batch_id"])
        assert manifest is not None and manifest.unit == row["unit"], "mapped back to the originating batch"
        record = landing.records(manifest).filter(pl.col("__record") == row["row_number"])
        key = [c for c in record.columns if c in ("AJBH", "案件编号")]
        landing_cases.add(record[key[0]][0])
    assert landing_cases == levels["withdrawn_cases"]
    # …and into that unit's feedback, counted apart from the city's own rejections.
    unit = rows[0]["unit"]
    feedbacks = with_province_rejections([], rows, levels["days"][2])
    mine = next(f for f in feedbacks if f.unit == unit)
    assert isinstance(mine, UnitFeedback) and mine.province_rejected == len(
        {(r["batch_id"], r["row_number"]) for r in rows if r["unit"] == unit})
    # The day they were learnt, not another.
    assert province_rejections(home, levels["days"][1]) == []


def test_a_city_side_out_of_scope_record_never_reaches_the_province(levels):
    two = levels["levels"]
    home = two.cities["440100"]
    issues = pl.concat([pl.read_parquet(p) for p in (home.lake / "issues").glob("*.parquet")])
    assert issues.filter(pl.col("rule") == "scope.out_of_scope").height >= 1
    case = levels["foreign_case"]
    for path in (two.province.landing / "batches" / "penalty_case").rglob("*.parquet"):
        frame = pl.read_parquet(path)
        for column in ("AJBH", "案件编号"):
            if column in frame.columns:
                assert case not in frame[column].to_list(), f"the 越权 record reached the province ({path.name})"


def test_killing_the_push_half_way_loses_and_doubles_nothing(levels):
    after_kill, rerun = levels["after_kill"], levels["rerun"]
    assert after_kill["batches"] > 2, "the kill must come with batches still to send"
    assert rerun.sent >= 1
    two = levels["levels"]
    upward = _entries_of(two.province, CITIES["440300"])
    assert len({e.batch_id for e in upward}) == len(upward)
    assert sum(e.received for e in upward) == _accepted(two.cities["440300"])


def test_running_a_day_again_changes_nothing_at_either_level(levels):
    assert levels["state_again"] == levels["state"]


def test_the_province_is_a_no_op(levels):
    assert push_upward(levels["levels"].province, levels["days"][0]) is None

