"""Two levels on one machine, without a scheduler, shared by tests/two_levels: a province, 广州 (440100)
and 深圳 (440300) as city instances whose units report to them, and the other units reporting to the
province directly; the cycle's steps called as the daily DAG calls them (zfjd/cycle.py, zfjd/upward.py),
the province's verdicts read from its lake (`ProvinceLedger`, the shared-storage link). Beside them, the
same records taken in by one single instance (`build_single_instance`), to compare the warehouses.
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
from zfjd import cycle, warehouse
from zfjd.home import Home
from zfjd.instance import CityRole, configure_city
from zfjd.lake import Lake
from zfjd.upward import Outbox, PushStore, outbox_path, province_rejections, push_upward

SPEC = cycle.ProvinceSpec(units=32, days=3, seed=6, start="2025-03-03")  # two units in each city
CITIES = {"440100": "11440100MB0CITY01X", "440300": "11440300MB0CITY02X"}


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


def build_two_levels(root: Path) -> dict:
    """Three days at both levels, with, on purpose: a 广州 unit's 越权 record (a 深圳 body's case) on day 1;
    the province dropping a 执法事项 广州 used (the city's 三库 is stale) before its day-2 run; 深圳's push
    killed half-way on day 2."""
    levels = TwoLevels(root)
    days = _days()
    guangzhou, shenzhen = "440100", "440300"
    assert levels.units[guangzhou] and levels.units[shenzhen], "the simulated province must have units in both cities"
    facts: dict = {"levels": levels, "days": days}

    # Day 1: a 广州 unit also sends a case of a 深圳 body (越权 at the city).
    foreign = _foreign_case(levels)
    facts["foreign_case"] = foreign["AJBH"][0]
    _send_foreign_case(levels.cities[guangzhou], foreign)
    for city in (guangzhou, shenzhen):
        levels.city_cycle(city, days[0])
    levels.province_cycle(days[0])

    # Before the province's day 2: a 执法事项 that 广州's day-2 cases use is withdrawn at the province.
    matter = _withdrawn_matter(levels)
    day2 = _guangzhou_cases(levels).filter(pl.col("__day") == days[1])
    facts["withdrawn_matter"] = matter
    facts["withdrawn_cases"] = set(day2.filter(pl.col("SXBM") == matter)["AJBH"])
    _withdraw(levels.province, matter)

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


def _guangzhou_cases(levels: TwoLevels) -> pl.DataFrame:
    return levels.exchange.records["penalty_case"].filter(pl.col("__unit").is_in(levels.units["440100"]))


def _withdrawn_matter(levels: TwoLevels) -> str:
    """The 执法事项 most of 广州's day-2 cases use."""
    day2 = _guangzhou_cases(levels).filter(pl.col("__day") == _days()[1])
    return day2["SXBM"].drop_nulls().mode().sort()[0]


def _withdraw(home: Home, matter: str) -> None:
    matters = home.reference / "matter.csv"
    frame = pl.read_csv(matters, infer_schema=False)
    frame.filter(pl.col(frame.columns[0]) != matter).write_csv(matters)


def _foreign_case(levels: TwoLevels) -> pl.DataFrame:
    """A 深圳 body's case, sent by a 广州 unit."""
    foreign = levels.exchange.of_unit(levels.units["440300"][0], "penalty_case", _days()[0]).head(1)
    intruder = levels.units["440100"][0]
    return foreign.with_columns(pl.lit(intruder).alias("BSDWDM"), (pl.col("AJBH") + "-YQ").alias("AJBH"))


def _send_foreign_case(home: Home, foreign: pl.DataFrame) -> None:
    inbox = platform_push(home.province / "push").open_inbox(foreign["BSDWDM"][0], "penalty_case")
    (inbox / "extra.json").write_text(json.dumps({"records": foreign.to_dicts()}, ensure_ascii=False))


def build_warehouse(home: Home, day: dt.date) -> None:
    """The warehouse as the daily cycle builds it, then published, without dbt's unit tests of the
    indicator formulas (they read fixed rows, not these: tests/warehouse runs them) — a third of the
    build's time here."""
    from zfjd.publish import publish

    warehouse.load_lake_duckdb(home.lake, home.warehouse)
    result = warehouse.run_dbt(["build", "--exclude", "test_type:unit"], home, as_of=day)
    assert result.success, "\n".join(result.failures)
    publish(home, as_of=day)


def build_single_instance(root: Path, levels: TwoLevels) -> Home:
    """The records of `build_two_levels`, taken in by one instance, on the same days and with the same
    三库 at each step: the cities' units push to it day by day as they pushed to their city (the other
    units as at the province), the same 越权 case on day 1, the same 执法事项 withdrawn before day 2."""
    single = Home.at(root / "single")
    cycle.prepare_province(single, SPEC)
    city_units = [unit for units in levels.units.values() for unit in units]
    config = json.loads((single.province / "units.yaml").read_text(encoding="utf-8"))
    for unit in city_units:
        config["units"][unit] = {"channel": "platform_push"}
        shutil.rmtree(single.province / "push" / "inbox" / unit, ignore_errors=True)  # all days, written at once
    (single.province / "units.yaml").write_text(json.dumps(config), encoding="utf-8")
    push = platform_push(single.province / "push")
    days = _days()
    for number, day in enumerate(days):
        if number == 0:
            _send_foreign_case(single, _foreign_case(levels))
        if number == 1:
            _withdraw(single, _withdrawn_matter(levels))
        write_pushes(levels.exchange, push, city_units, day)
        cycle.land_reference(single, as_of=day)
        cycle.intake_and_validate(single, cycle.discover_units(single), as_of=day, settle_seconds=0)
    return single


class Loopback:
    """A service app in-process (Starlette's TestClient), asked as `requests` is: the timeout is the network's."""

    def __init__(self, client) -> None:
        self.client = client
        self.asked: list[tuple[str, dict]] = []

    def get(self, url, *, timeout=None, params=None, **options):
        self.asked.append((url, dict(params or {})))
        return self.client.get(url, params=params, **options)
