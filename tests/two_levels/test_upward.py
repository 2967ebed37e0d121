"""Two levels on one machine, without a scheduler: a province, 广州 (440100) and 深圳 (440300) as city
instances whose units report to them, and the other units reporting to the province directly.

The cycle's steps are called as the daily DAG calls them (zfjd/cycle.py, zfjd/upward.py); the
province's verdicts are read from its lake (`ProvinceLedger`, the shared-storage link). What is checked
(issue 12, "Done when"): every record a city accepted reaches the province exactly once; a record the
city accepted on a stale 三库 and the province rejected reaches its originating unit's feedback at the
city on the next cycle; a city-side 越权 record never reaches the province; killing the push half-way
and running again loses and doubles nothing; running a day again changes nothing at either level.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from connectors.file_drop import platform_push
from connectors.simulator.outbox import write_pushes
from zfjd import cycle
from zfjd.home import Home
from zfjd.instance import CityRole, configure_city
from zfjd.lake import Lake
from zfjd.reports.feedback import UnitFeedback, with_province_rejections
from zfjd.upward import Outbox, PushStore, outbox_path, province_rejections, push_upward

SPEC = cycle.ProvinceSpec(units=32, days=3, seed=6, start="2025-03-03")  # two units in each city
CITIES = {"440100": "11440100MB0CITY01X", "440300": "11440300MB0CITY02X"}
CASE_KEYS = {"penalty_case": "AJBH", "coercion_case": "QZBH", "inspection": "JCBH"}


class Killed(RuntimeError):
    pass


class KilledAfter(PushStore):
    """The province's push store, the process 'killed' right after the n-th file is written (before the
    city could record that it was sent)."""

    def __init__(self, root: Path, after: int) -> None:
        super().__init__(root)
        self.left = after

    def send(self, unit, entity, name, content) -> None:
        super().send(unit, entity, name, content)
        self.left -= 1
        if self.left <= 0:
            raise Killed("killed half-way")


def _days() -> list[dt.date]:
    return [dt.date.fromisoformat(SPEC.start) + dt.timedelta(days=i) for i in range(SPEC.days)]


def _city_units(exchange, city: str) -> list[str]:
    bodies = exchange.province.bodies
    units = {}
    for body in bodies:
        units.setdefault(body.unit, set()).add(body.division[:4])
    return sorted(unit for unit, places in units.items() if places == {city[:4]})


class TwoLevels:
    def __init__(self, root: Path) -> None:
        self.province = Home.at(root / "province")
        cycle.prepare_province(self.province, SPEC)
        self.exchange = cycle._simulated_exchange(SPEC)
        config = json.loads((self.province.province / "units.yaml").read_text(encoding="utf-8"))
        for city, unit in CITIES.items():
            config["units"][unit] = {"channel": "platform_push", "city": city}
        (self.province.province / "units.yaml").write_text(json.dumps(config), encoding="utf-8")
        self.cities: dict[str, Home] = {}
        self.units: dict[str, list[str]] = {}
        for city, unit in CITIES.items():
            home = Home.at(root / city).create()
            shutil.copytree(self.province.reference, home.reference)  # the 三库 the city took from the province
            (home.province / "units.yaml").write_text(json.dumps({"default_channel": "platform_push"}))
            configure_city(home, CityRole(city=city, unit=unit, province_push=str(self.province.province / "push"),
                                          province_home=str(self.province.root)))
            self.cities[city] = home
            self.units[city] = _city_units(self.exchange, city)

    def city_cycle(self, city: str, day: dt.date, *, store: PushStore | None = None):
        home = self.cities[city]
        push = platform_push(home.province / "push")
        write_pushes(self.exchange, push, self.units[city], day)
        cycle.land_reference(home, as_of=day)
        outcome = cycle.intake_and_validate(home, cycle.discover_units(home), as_of=day, settle_seconds=0)
        return outcome, push_upward(home, day, store=store)

    def province_cycle(self, day: dt.date):
        cycle.land_reference(self.province, as_of=day)
        return cycle.intake_and_validate(self.province, cycle.discover_units(self.province), as_of=day,
                                         settle_seconds=0)


def _accepted(home: Home, unit: str | None = None, exclude_reference: bool = True) -> int:
    from standards.model import REFERENCE_UNIT

    return sum(e.accepted for e in Lake(home.lake).entries()
               if (unit is None or e.unit == unit) and not (exclude_reference and e.unit == REFERENCE_UNIT))


def _entries_of(home: Home, unit: str):
    return [e for e in Lake(home.lake).entries() if e.unit == unit]


def _state(levels: TwoLevels) -> dict:
    """Everything both levels hold, to compare before and after running a day again."""
    state = {}
    for name, home in [("province", levels.province), *levels.cities.items()]:
        state[name] = sorted((e.batch_id, e.received, e.accepted, e.rejected) for e in Lake(home.lake).entries())
        state[f"{name}-landed"] = sorted(p.name for p in (home.landing / "manifests").glob("*.json"))
        if outbox_path(home).exists():
            outbox = Outbox(outbox_path(home))
            state[f"{name}-outbox"] = sorted(outbox.connection.execute("select * from upward_batch"))
            state[f"{name}-rejections"] = sorted(outbox.connection.execute("select * from province_rejection"))
            outbox.close()
    return state


@pytest.fixture(scope="module")
def levels(tmp_path_factory) -> dict:
    """Three days at both levels, with, on purpose: a 广州 unit's 越权 record (a 深圳 body's case) on day 1;
    the province dropping a 执法事项 广州 used (the city's 三库 is stale) before its day-2 run; 深圳's push
    killed half-way on day 2."""
    levels = TwoLevels(tmp_path_factory.mktemp("two-levels"))
    days = _days()
    guangzhou, shenzhen = "440100", "440300"
    assert levels.units[guangzhou] and levels.units[shenzhen], "the simulated province must have units in both cities"
    facts: dict = {"levels": levels, "days": days}

    # Day 1: a 广州 unit also sends a case of a 深圳 body (越权 at the city).
    foreign = levels.exchange.of_unit(levels.units[shenzhen][0], "penalty_case", days[0]).head(1)
    intruder = levels.units[guangzhou][0]
    foreign = foreign.with_columns(pl.lit(intruder).alias("BSDWDM"), (pl.col("AJBH") + "-YQ").alias("AJBH"))
    facts["foreign_case"] = foreign["AJBH"][0]
    inbox = platform_push(levels.cities[guangzhou].province / "push").open_inbox(intruder, "penalty_case")
    (inbox / "extra.json").write_text(json.dumps({"records": foreign.to_dicts()}, ensure_ascii=False))
    for city in (guangzhou, shenzhen):
        levels.city_cycle(city, days[0])
    levels.province_cycle(days[0])

    # Before the province's day 2: a 执法事项 that 广州's day-2 cases use is withdrawn at the province.
    cases = levels.exchange.records["penalty_case"].filter(pl.col("__unit").is_in(levels.units[guangzhou]))
    day2 = cases.filter(pl.col("__day") == days[1])
    matter = day2["SXBM"].drop_nulls().mode().sort()[0]
    facts["withdrawn_matter"] = matter
    facts["withdrawn_cases"] = set(day2.filter(pl.col("SXBM") == matter)["AJBH"])
    matters = levels.province.reference / "matter.csv"
    frame = pl.read_csv(matters, infer_schema=False)
    frame.filter(pl.col(frame.columns[0]) != matter).write_csv(matters)

    levels.city_cycle(guangzhou, days[1])
    with pytest.raises(Killed):
        levels.city_cycle(shenzhen, days[1], store=KilledAfter(levels.province.province / "push", after=2))
    facts["after_kill"] = Outbox(outbox_path(levels.cities[shenzhen])).totals()
    facts["rerun"] = push_upward(levels.cities[shenzhen], days[1])
    levels.province_cycle(days[1])

    for city in (guangzhou, shenzhen):
        levels.city_cycle(city, days[2])
    facts["rejections_day3"] = province_rejections(levels.cities[guangzhou], days[2])
    levels.province_cycle(days[2])
    # A last push so that every batch sent is acknowledged (the province ran after the cities).
    for city in (guangzhou, shenzhen):
        push_upward(levels.cities[city], days[2])
    facts["state"] = _state(levels)

    # The last day again, at both levels.
    for city in (guangzhou, shenzhen):
        levels.city_cycle(city, days[2])
    levels.province_cycle(days[2])
    for city in (guangzhou, shenzhen):
        push_upward(levels.cities[city], days[2])
    facts["state_again"] = _state(levels)
    return facts


def test_each_city_takes_in_its_own_units_and_the_province_the_others(levels):
    two = levels["levels"]
    province_units = set(cycle.discover_units(two.province))
    for city, home in two.cities.items():
        assert set(cycle.discover_units(home)) == set(two.units[city])
        assert not province_units & set(two.units[city]), "a city's units report to the city, not also to the province"
        assert CITIES[city] in province_units
    assert len(province_units) == SPEC.units - sum(len(u) for u in two.units.values()) + len(CITIES)


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

