"""A city instance is one 报送单位 of the province whose scope is every body of its city (standard.md §5):
the province validates what it forwards with that scope, and trusts nothing else about it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from connectors.registry import Registry, RegistryError
from quality.read import ROW
from quality.reference import IN_SCOPE, SUBMITTER_MATCHES, Reference, enrich, enrich_as_sent

AS_OF = dt.date(2025, 3, 1)
RELAY = "R440100"


def _entities() -> pl.DataFrame:
    # U1 (天河) answers for B1, U2 (越秀) for B2, U3 (深圳 南山) for B3; B4 moved from 广州 to 深圳.
    rows = [
        ("U1", "U1", "440106", dt.datetime(2024, 1, 1)),
        ("B1", "U1", "440106", dt.datetime(2024, 1, 1)),
        ("U2", "U2", "440104", dt.datetime(2024, 1, 1)),
        ("B2", "U2", "440104", dt.datetime(2024, 1, 1)),
        ("U3", "U3", "440305", dt.datetime(2024, 1, 1)),
        ("B3", "U3", "440305", dt.datetime(2024, 1, 1)),
        ("B4", "U1", "440106", dt.datetime(2024, 1, 1)),
        ("B4", "U3", "440305", dt.datetime(2024, 6, 1)),
    ]
    return pl.DataFrame({
        "TYSHXYDM": [r[0] for r in rows], "BSDWDM": [r[1] for r in rows], "XZQHDM": [r[2] for r in rows],
        "GXSJ": [r[3] for r in rows], "SXRQ": [dt.date(2020, 1, 1)] * len(rows),
        "SHXRQ": pl.Series([None] * len(rows), dtype=pl.Date), "ZT": ["1"] * len(rows),
        "ZFLY": ["市场监管"] * len(rows),
    })


def _rows() -> tuple[pl.DataFrame, list[str]]:
    senders = [RELAY, RELAY, RELAY, RELAY, RELAY, "U1", "U1"]
    frame = pl.DataFrame(
        {
            ROW: list(range(1, 8)),
            "ZTDM": ["B1", "B2", "B3", "B1", "B4", "B1", "B2"],
            "BSDWDM": ["U1", "U2", "U3", "U3", "U1", "U1", "U1"],
            "JCRQ": [dt.date(2025, 2, 1)] * 7,
        },
        schema_overrides={ROW: pl.Int64},
    )
    return frame, senders


def test_a_relay_answers_for_its_city_and_forwards_its_citys_units_only():
    reference = Reference(entities=_entities()).with_relays({RELAY: "440100"})
    assert reference.scope_of(RELAY) == {RELAY, "U1", "B1", "U2", "B2"}
    frame, senders = _rows()
    together = enrich_as_sent(frame, "inspection", reference, pl.Series(senders), AS_OF)
    # 广州 bodies from 广州 units: in; a 深圳 body (and B4, 深圳's now): 越权; a 深圳 unit's record: not the
    # relay's to forward. A unit's own rows are judged as without relays.
    assert together[IN_SCOPE].to_list() == [True, True, False, True, False, True, False]
    assert together[SUBMITTER_MATCHES].to_list() == [True, True, False, False, True, True, True]
    per_unit = pl.concat(
        enrich(frame.filter(pl.Series(senders) == unit), "inspection", reference, unit, AS_OF) for unit in (RELAY, "U1")
    ).sort(ROW)
    assert together.equals(per_unit)


def test_without_relays_nothing_changes():
    reference = Reference(entities=_entities())
    assert reference.with_relays({}) is reference
    frame, senders = _rows()
    plain = enrich_as_sent(frame, "inspection", reference, pl.Series(senders), AS_OF)
    assert plain[IN_SCOPE].to_list()[:5] == [False] * 5  # the relay is nobody's 报送单位 without its city


def test_the_registry_routes_a_citys_units_to_the_city():
    bodies = _entities()
    config = {"default_channel": "api", "units": {RELAY: {"channel": "platform_push", "city": "440100"}}}
    province = Registry.build(bodies, config)
    assert province.relays() == {RELAY: "440100"}
    assert province.units[RELAY].bodies >= {"B1", "B2", "U1", "U2"}
    # B4's versions: a unit with any body outside the city stays with the province.
    assert set(province.relayed(bodies).units) == {RELAY, "U2", "U3", "U1"} - {"U2"}
    assert set(Registry.build(bodies, {}).of_city("440100", bodies).units) == {"U2"}
    with pytest.raises(RegistryError, match="地市"):
        Registry.build(bodies, {"units": {RELAY: {"channel": "platform_push", "city": "4401"}}})
