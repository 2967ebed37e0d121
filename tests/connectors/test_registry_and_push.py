"""The unit registry, the platform-push channel and the simulator's outbox."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from connectors.file_drop import decode_json, platform_push
from connectors.landing import RECORD, Landing
from connectors.registry import Registry, RegistryError
from connectors.simulator.exchange import CASE_ENTITIES, Exchange
from connectors.simulator.outbox import assign_channels, write_file_drops, write_pushes, write_reference
from quality.read import UnusableFile

BODIES = pl.DataFrame({"TYSHXYDM": ["A", "B", "C", "U2"], "BSDWDM": ["U1", "U1", "U2", "U2"]})


def test_units_answer_for_the_bodies_that_name_them():
    registry = Registry.build(BODIES, {"default_channel": "file_drop", "units": {"U2": {"channel": "api"}}})
    assert registry.units["U1"].bodies == {"U1", "A", "B"}
    assert registry.units["U2"].bodies == {"U2", "C"}
    assert (registry.units["U1"].channel, registry.units["U2"].channel) == ("file_drop", "api")
    assert registry.unit_of("C") == "U2" and registry.unit_of("nobody") is None
    assert [u.code for u in registry.by_channel("api")] == ["U2"]


def test_an_unknown_channel_is_refused_in_chinese():
    with pytest.raises(RegistryError, match="报送渠道"):
        Registry.build(BODIES, {"units": {"U1": {"channel": "fax"}}})


def test_a_pushed_json_batch_keeps_every_value_as_text():
    frame = decode_json(b'{"records": [{"AJBH": "A-1", "CF_NR_FK": 0.5, "BZ": null}, {"AJBH": "A-2"}]}')
    assert frame.to_dicts() == [{"AJBH": "A-1", "CF_NR_FK": "0.5", "BZ": None}, {"AJBH": "A-2", "CF_NR_FK": None,
                                                                                   "BZ": None}]
    with pytest.raises(UnusableFile):
        decode_json(b"not json")


@pytest.fixture(scope="module")
def exchange():
    return Exchange.simulate(units=12, days=2, seed=5, start=dt.date(2025, 3, 1))


def test_every_channel_carries_units(exchange):
    assert set(assign_channels(exchange).values()) == {"api", "sql", "file_drop", "platform_push"}


def test_drops_and_pushes_land_exactly_what_the_units_sent(tmp_path, exchange):
    from connectors.file_drop import FileDrop

    channels = assign_channels(exchange)
    drop, push = FileDrop(tmp_path / "drop", settle_seconds=0), platform_push(tmp_path / "push", settle_seconds=0)
    landing = Landing(tmp_path / "landing")
    for channel, mailbox, write in (("file_drop", drop, write_file_drops), ("platform_push", push, write_pushes)):
        units = [u for u, c in channels.items() if c == channel]
        sent = sum(write(exchange, mailbox, units, day) for day in exchange.days)
        landed = 0
        for unit in units:
            for entity in CASE_ENTITIES:
                for outcome in mailbox.land_all(unit, entity, landing):
                    assert outcome.problem is None
                    assert outcome.manifest.channel == channel
                    landed += landing.records(outcome.manifest).height
        assert landed == sent > 0
    # the landed values are the ones sent, whatever the format (UTF-8, GB18030, XLSX, JSON)
    unit = next(u for u, c in channels.items() if c == "file_drop")
    manifest = next(m for m in landing.manifests() if m.unit == unit and m.entity == "inspection")
    landed = landing.records(manifest).drop(RECORD)
    day = dt.datetime.strptime(re.search(r"(\d{8})", manifest.source_name).group(1), "%Y%m%d").date()
    sent = exchange.of_unit(unit, "inspection", day)
    assert landed.to_numpy().tolist() == sent.to_numpy().tolist()


def test_the_reference_extract_validates_as_the_standard_says(tmp_path, exchange):
    from quality.engine import validate_file

    write_reference(exchange, tmp_path)
    for entity in ("enforcement_entity", "officer", "matter"):
        result = validate_file(tmp_path / f"{entity}.csv", entity, reference=tmp_path, as_of=dt.date(2025, 3, 1))
        assert result.rejected == 0, (entity, result.errors.head())


def test_a_source_reports_only_the_entities_it_is_registered_for():
    bodies = pl.DataFrame({"TYSHXYDM": ["11440106MB2C3D4E5D"], "BSDWDM": ["11440106MB2C3D4E5D"]})
    portal = "11440000MB0GDXK01T"
    registry = Registry.build(bodies, {"units": {portal: {"channel": "api", "entities": ["license"]}}})
    assert registry.units[portal].entities == ("license",) and registry.units[portal].channel == "api"
    assert registry.units["11440106MB2C3D4E5D"].entities is None  # the case entities (connectors/intake.py)
    with pytest.raises(RegistryError, match="报送数据类型"):
        Registry.build(bodies, {"units": {portal: {"channel": "api", "entities": ["officer"]}}})
