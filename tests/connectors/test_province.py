"""The simulated province (connectors/simulator/province.py): deterministic, valid, and agreed with by the validator."""

from __future__ import annotations

import datetime as dt
import time
from functools import cache

import polars as pl
import pytest
from build_samples import ric
from stdnum.cn import ric as stdnum_ric

from connectors.simulator.province import (
    BIRTH_PLACES,
    BIRTH_YEARS,
    EXPECTED,
    UNIT_COLUMN,
    build_province,
    daily_records,
)
from quality.codes import uscc_is_valid
from quality.engine import validate_file
from standards.loader import standard

START = dt.date(2024, 1, 1)
DAY = dt.date(2024, 5, 6)
LEVEL = {"province": "1", "city": "2", "county": "3", "township": "4"}


@cache
def province(units: int = 100, seed: int = 7):
    return build_province(units, seed, START)


@cache
def reference(units: int = 100, seed: int = 7) -> dict[str, pl.DataFrame]:
    return province(units, seed).reference_frames()


def test_same_inputs_give_identical_frames():
    again = build_province(100, 7, START)
    for name, frame in again.reference_frames().items():
        assert frame.equals(reference()[name]), name
    first = daily_records(province(), DAY, seed=3)
    second = daily_records(again, DAY, seed=3)
    for name, frame in first.items():
        assert frame.write_csv() == second[name].write_csv(), name
    other = daily_records(province(), DAY, seed=4)
    assert other["inspection"].write_csv() != first["inspection"].write_csv()


def test_columns_are_the_standards_codes_as_strings():
    std = standard()
    for name, frame in {**reference(), **daily_records(province(), DAY)}.items():
        codes = std.entity(name).field_codes
        assert tuple(frame.columns[: len(codes)]) == codes
        assert all(dtype == pl.String for dtype in frame.dtypes)


def test_counts_and_proportions():
    records = daily_records(province(), DAY)
    counts = {name: frame.height for name, frame in records.items()}
    total = sum(counts.values())
    assert 600 <= total <= 1500  # about 10 records per unit
    assert counts["inspection"] > 3 * counts["penalty_case"] > 3 * 2 * counts["coercion_case"] > 0
    penalties = records["penalty_case"]
    assert set(penalties["AJZT"].unique().drop_nulls()) >= {"1", "3", "6"}
    open_rows = penalties.filter(pl.col("AJZT").is_in(["1", "2"]))
    assert open_rows["CF_JDRQ"].null_count() == open_rows.height
    fines = penalties["CF_NR_FK"].drop_nulls().cast(pl.Float64) * 10_000
    assert (fines <= 10_000).mean() > 0.6  # most fines are small
    assert penalties.filter(pl.col("SFZD") == "Y").height < penalties.height * 0.1
    rate = records["inspection"][EXPECTED].is_not_null().mean()
    assert 0.005 < rate < 0.08


def test_cases_evolve_across_days():
    """A case filed one day is re-sent, same key, with a later 更新时间, when decided and when closed."""
    days = [DAY + dt.timedelta(days=i) for i in range(0, 100)]
    filed = daily_records(province(30), DAY, defect_rate=0)["penalty_case"].filter(pl.col("AJZT").is_in(["1", "2"]))
    assert filed.height > 0
    key = filed.row(0, named=True)
    seen = []
    for day in days[1:]:
        rows = daily_records(province(30), day, defect_rate=0)["penalty_case"]
        hit = rows.filter((pl.col("ZTDM") == key["ZTDM"]) & (pl.col("AJBH") == key["AJBH"]))
        seen.extend(hit.iter_rows(named=True))
        if any(r["AJZT"] in ("6", "9") for r in seen):
            break
    assert seen, "the case was never re-sent"
    assert all(r["GXSJ"] > key["GXSJ"] for r in seen)
    assert seen[-1]["AJZT"] in ("6", "9")


def test_codes_are_valid_and_unique():
    frames = reference()
    entities, officers = frames["enforcement_entity"], frames["officer"]
    assert entities["TYSHXYDM"].is_unique().all()
    assert entities.select(uscc_is_valid(pl.col("TYSHXYDM")).all()).item()
    assert officers["ZFZH"].is_unique().all()
    assert all(stdnum_ric.is_valid(number) for number in officers["SFZH"])
    records = daily_records(province(), DAY, defect_rate=0)
    parties = pl.concat(
        [
            records["penalty_case"].select("CF_XDR_SHXYM", "CF_XDR_ZJHM"),
            records["coercion_case"].select("CF_XDR_SHXYM", "CF_XDR_ZJHM"),
        ]
    )
    codes = parties.filter(pl.col("CF_XDR_SHXYM") != "00000000000000000X")["CF_XDR_SHXYM"].drop_nulls()
    assert pl.select(uscc_is_valid(pl.lit(codes)).all()).item()
    assert all(stdnum_ric.is_valid(number) for number in parties["CF_XDR_ZJHM"].drop_nulls())


def test_birth_places_are_known_to_stdnum():
    for place in BIRTH_PLACES:
        for year in range(BIRTH_YEARS[0], BIRTH_YEARS[1] + 1):
            assert stdnum_ric.is_valid(ric(f"{place}{year}0615123")), (place, year)


def test_bodies_sit_at_their_divisions_level_and_under_a_registered_unit():
    divisions = standard().divisions
    entities = reference()["enforcement_entity"]
    units = {u.code for u in province().units}
    assert len(units) == 100
    for row in entities.iter_rows(named=True):
        assert row["CJ"] == LEVEL[divisions[row["XZQHDM"]].level], row["ZTMC"]
        assert row["BSDWDM"] in units, row["ZTMC"]
    assert set(entities["CJ"]) == {"1", "2", "3", "4"}


def test_dongguan_and_zhongshan_townships_hang_under_the_city():
    big = province(300)
    divisions = standard().divisions
    city_unit = {u.division: u.code for u in big.units if u.kind == "司法局"}
    found = 0
    for body in big.bodies:
        if body.division[:4] in ("4419", "4420") and body.level == "4":
            found += 1
            assert divisions[body.division].parent_code == body.division[:4] + "00"
            assert body.unit in (city_unit[body.division[:4] + "00"], body.code)
    assert found > 50


def test_fast_enough():
    began = time.perf_counter()
    small = build_province(200, 11, START)
    daily_records(small, DAY)
    assert time.perf_counter() - began < 2.0  # about 0.6 s here; generous for a loaded CI machine


# --- the validator agrees --------------------------------------------------------------------------


def _validate(tmp_path, records: dict[str, pl.DataFrame], unit: str | None):
    ref_dir = tmp_path / "reference"
    ref_dir.mkdir(exist_ok=True)
    for name, frame in reference().items():
        frame.write_csv(ref_dir / f"{name}.csv")
    results = {}
    for entity, frame in records.items():
        if unit is not None:
            frame = frame.filter(pl.col(UNIT_COLUMN) == unit)
        path = tmp_path / f"{entity}-{unit}.csv"
        frame.drop(EXPECTED, UNIT_COLUMN).write_csv(path)
        results[entity] = (
            frame[EXPECTED].to_list(),
            validate_file(path, entity, unit=unit, reference=ref_dir, as_of=DAY),
        )
    return results


def _disagreements(expected: list[str | None], result, *, skip_scope: bool = False) -> list[str]:
    errors: dict[int, set[str]] = {}
    for row, rule in result.errors.select("row", "rule").iter_rows():
        errors.setdefault(row, set()).add(rule)
    findings: dict[int, set[str]] = {}
    for row, rule in result.findings.select("row", "rule").iter_rows():
        findings.setdefault(row, set()).add(rule)
    wrong = []
    for row, rule in enumerate(expected, start=1):
        got_errors, got_findings = errors.get(row, set()), findings.get(row, set())
        if skip_scope and rule and rule.startswith("scope."):
            continue
        if rule is None:
            ok = not got_errors and not got_findings
        elif rule.startswith("finding."):
            ok = not got_errors and got_findings == {rule}
        else:
            ok = rule in got_errors
        if not ok:
            wrong.append(f"row {row}: expected {rule}, got errors {sorted(got_errors)} findings {sorted(got_findings)}")
    return wrong


def test_validator_accepts_a_clean_day(tmp_path):
    records = daily_records(province(), DAY, defect_rate=0)
    for entity, (expected, result) in _validate(tmp_path, records, None).items():
        assert result.rejected == 0 and result.findings.height == 0, (entity, _disagreements(expected, result)[:5])


def test_validator_catches_every_injected_defect(tmp_path):
    """The whole day in one file per entity (no submitting unit, so the scope rules are left out there)."""
    records = daily_records(province(), DAY, defect_rate=0.8, seed=5)
    seen: set[str] = set()
    problems = []
    for entity, (expected, result) in _validate(tmp_path, records, None).items():
        seen.update(r for r in expected if r)
        problems += [f"{entity} {p}" for p in _disagreements(expected, result, skip_scope=True)]
    assert not problems, "\n".join(problems[:20])
    assert len(seen) >= 45, sorted(seen)  # of the 61 kinds of defect; the rest show on other days


def test_validator_catches_scope_defects_in_a_units_file(tmp_path):
    records = daily_records(province(), DAY, defect_rate=0.3, seed=5)
    scoped = pl.concat(
        [f.filter(pl.col(EXPECTED).str.starts_with("scope.")).select(UNIT_COLUMN, EXPECTED) for f in records.values()]
    )
    units = scoped[UNIT_COLUMN].unique(maintain_order=True).head(3).to_list()
    assert set(scoped.filter(pl.col(UNIT_COLUMN).is_in(units))[EXPECTED]) == {"scope.submitter", "scope.out_of_scope"}
    problems = []
    for unit in units:
        for entity, (expected, result) in _validate(tmp_path, records, unit).items():
            problems += [f"{entity} {unit} {p}" for p in _disagreements(expected, result)]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("rule", ["scope.out_of_scope", "scope.submitter", "reference.entity_inactive"])
def test_scope_defects_exist(rule):
    records = daily_records(province(), DAY, defect_rate=0.35, seed=5)
    assert any((frame[EXPECTED] == rule).any() for frame in records.values())
