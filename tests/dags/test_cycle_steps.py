"""The daily cycle's steps without a scheduler: the day a run checks, the groups the DAG maps over, and
one unit's failure not blocking the others."""

from __future__ import annotations

import datetime as dt

import pytest

from zfjd import cycle
from zfjd.home import Home

SPEC = cycle.ProvinceSpec(units=6, days=2, seed=4, start="2025-03-01")


def test_the_day_checked(tmp_path):
    home = Home.at(tmp_path)
    assert cycle.resolve_as_of(home, "2025-05-06") == dt.date(2025, 5, 6)
    # A scheduled run at 02:00 Beijing time (18:00 UTC the evening before) checks the whole previous day.
    logical = dt.datetime(2025, 5, 6, 18, 0, tzinfo=dt.UTC)
    assert cycle.resolve_as_of(home, None, logical) == dt.date(2025, 5, 6)
    cycle.prepare_province(home, SPEC)
    assert cycle.resolve_as_of(home) == SPEC.last_day  # a simulated province: its last day, not today


def test_groups_stay_far_below_max_map_length():
    units = [f"u{i:04d}" for i in range(5000)]
    groups = cycle.unit_groups(units, 100)
    assert len(groups) == 50 and sum(map(len, groups)) == 5000 and groups[0][0] == "u0000"
    total = cycle.add_outcomes([{"units": 2, "received": 5, "problems": ["a"]}, None, {"units": 1, "problems": []}])
    assert total["units"] == 3 and total["received"] == 5 and total["problems"] == ["a"]


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Home:
    home = Home.at(tmp_path_factory.mktemp("steps"))
    cycle.prepare_province(home, SPEC)
    cycle.land_reference(home, as_of=SPEC.last_day)
    return home


def lake_units(home: Home) -> set[str]:
    from zfjd.lake import Lake

    return {entry.unit for entry in Lake(home.lake).entries()} - {cycle.REFERENCE_UNIT}


def test_one_units_failure_never_blocks_the_others(province, monkeypatch):
    import connectors.intake

    units = cycle.discover_units(province)
    sending = sorted({u for frame in SPEC.exchange().records.values() for u in frame["__unit"].to_list()})
    broken = sending[1]
    real = connectors.intake.run_intake

    def failing(registry, *args, **kwargs):
        if broken in registry.units:
            raise ConnectionError("前置库连接超时")
        return real(registry, *args, **kwargs)

    monkeypatch.setattr(connectors.intake, "run_intake", failing)
    # The others are landed and validated, and then the step fails: a stuck unit must not look like a
    # complete run (zfjd run exits non-zero), with every problem in the message.
    with pytest.raises(cycle.IntakeIncomplete) as failure:
        cycle.intake_and_validate(province, [*units, "NOT-A-UNIT"], as_of=SPEC.last_day)
    lines = str(failure.value).splitlines()
    assert any(broken in line and "ConnectionError" in line for line in lines), lines
    assert any("NOT-A-UNIT" in line for line in lines)
    totals = cycle.lake_totals(province)
    assert totals.received > 0 and totals.received == totals.accepted + totals.rejected
    assert lake_units(province) == set(sending) - {broken}  # everyone who sent something but the broken unit

    monkeypatch.setattr(connectors.intake, "run_intake", real)  # the unit's channel is back: it catches up
    again = cycle.intake_and_validate(province, units, as_of=SPEC.last_day)
    assert not again.problems and lake_units(province) == set(sending)
    assert again.received > 0  # only the broken unit's records were new


def test_the_registry_and_the_reference_are_kept_until_their_files_change(province, tmp_path):
    import json
    import shutil

    from standards.loader import standard
    from zfjd.lake import reference_of

    home = Home.at(tmp_path / "home")
    shutil.copytree(province.reference, home.reference)
    shutil.copy(province.province / "units.yaml", home.province / "units.yaml")
    first = cycle.registry(home)
    assert cycle.registry(home) is first and reference_of(home.reference, standard()) is reference_of(
        home.reference, standard()
    )

    config_path = home.province / "units.yaml"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    moved = next(code for code, unit in first.units.items() if unit.channel == "api")
    config["units"][moved] = {"channel": "file_drop"}
    config_path.write_text(json.dumps(config), encoding="utf-8")
    assert cycle.registry(home).units[moved].channel == "file_drop"

    # A body now answered for by another unit (a new version of it in the 三库): the extract and the
    # registry both show it.
    bodies = home.reference / "enforcement_entity.csv"
    lines = bodies.read_text(encoding="utf-8").splitlines()
    body, other = lines[1].split(","), lines[2].split(",")
    assert body[1] not in first.units[other[7]].bodies
    body[7], body[-1] = other[7], "2025-03-01 09:00:00"
    bodies.write_text("\n".join([*lines, ",".join(body)]) + "\n", encoding="utf-8")
    assert reference_of(home.reference, standard()).entities.height == len(lines)
    assert body[1] in cycle.registry(home).units[other[7]].bodies


SPREAD = cycle.ProvinceSpec(units=44, days=2, seed=4, start="2025-03-01")


@pytest.fixture(scope="module")
def spread_province(tmp_path_factory) -> Home:
    home = Home.at(tmp_path_factory.mktemp("spread-template"))
    cycle.prepare_province(home, SPREAD)
    return home


def _copy(template: Home, target) -> Home:
    import shutil

    shutil.copytree(template.root, target)
    home = Home.at(target)
    cycle.land_reference(home, as_of=SPREAD.last_day)
    return home


def _lake(home: Home) -> dict[str, tuple]:
    from zfjd.lake import Lake

    return {e.batch_id: (e.unit, e.entity, e.received, e.accepted, e.rejected, e.findings)
            for e in Lake(home.lake).entries()}


def test_an_intake_spread_over_processes_lands_what_one_process_lands(spread_province, tmp_path):
    file_units = cycle.channel_groups(spread_province, 1000)["files"][0]
    assert len(file_units) >= 2 * cycle.MIN_UNITS_PER_WORKER, "the province should give two workers a share"
    alone, spread = _copy(spread_province, tmp_path / "alone"), _copy(spread_province, tmp_path / "spread")
    one = cycle.intake_and_validate(alone, file_units, as_of=SPREAD.last_day, settle_seconds=0)
    two = cycle.intake_spread(spread, file_units, as_of=SPREAD.last_day, settle_seconds=0, workers=2)
    assert one.new_batches > 0 and one.rejected > 0
    assert (two.units, two.landed_rows, two.new_batches, two.received, two.accepted, two.rejected, two.findings) == (
        one.units, one.landed_rows, one.new_batches, one.received, one.accepted, one.rejected, one.findings)
    assert sorted(two.problems) == sorted(one.problems)
    assert _lake(spread) == _lake(alone)
    again = cycle.intake_spread(spread, file_units, as_of=SPREAD.last_day, settle_seconds=0, workers=2)
    assert again.new_batches == 0 and _lake(spread) == _lake(alone)  # a re-run lands nothing twice


def test_a_share_that_fails_lets_the_other_finish_and_names_its_unit(spread_province, tmp_path):
    import functools

    from support import intake_share_with_a_broken_unit

    home = _copy(spread_province, tmp_path / "home")
    file_units = cycle.channel_groups(home, 1000)["files"][0]
    sending = {unit for unit, *_ in _lake(_intake_alone(spread_province, tmp_path / "alone", file_units)).values()}
    broken = sorted(sending & set(file_units))[0]
    with pytest.raises(cycle.IntakeIncomplete) as failed:
        cycle.intake_spread(home, file_units, as_of=SPREAD.last_day, settle_seconds=0, workers=2,
                            share=functools.partial(intake_share_with_a_broken_unit, broken))
    assert f"{broken}（" in str(failed.value) and "前置库连接超时" in str(failed.value)
    landed = {unit for unit, *_ in _lake(home).values()}
    assert broken not in landed
    assert sending - {broken} <= landed  # both shares went on: every other sending unit was taken in


def _intake_alone(template: Home, target, units: list[str]) -> Home:
    home = _copy(template, target)
    cycle.intake_and_validate(home, units, as_of=SPREAD.last_day, settle_seconds=0)
    return home


def test_intake_workers_come_from_the_environment(monkeypatch):
    monkeypatch.delenv(cycle.INTAKE_WORKERS_ENV, raising=False)
    assert cycle.intake_workers() == 1
    monkeypatch.setenv(cycle.INTAKE_WORKERS_ENV, "64")
    assert cycle.intake_workers() == cycle.MAX_INTAKE_WORKERS
    monkeypatch.setenv(cycle.INTAKE_WORKERS_ENV, "两个")
    with pytest.raises(ValueError, match=cycle.INTAKE_WORKERS_ENV):
        cycle.intake_workers()


def test_a_file_group_is_spread_only_when_enough_files_wait(tmp_path):
    home = Home.at(tmp_path)
    units = ["11440000MB0000001A", "11440000MB0000002B"]
    assert cycle.file_intake_workers(home, units, 2) == 1  # no inbox at all
    for index in range(2 * cycle.MIN_FILES_PER_WORKER):
        channel, unit = ("drop", units[0]) if index % 2 else ("push", units[1])
        folder = home.province / channel / "inbox" / unit / "penalty_case"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index}.csv").write_text("")
    assert cycle.file_intake_workers(home, units, 4) == 2  # files of both channels and units counted
    assert cycle.file_intake_workers(home, units[:1], 4) == 1  # half of them: one process
    assert cycle.file_intake_workers(home, units, 1) == 1
