"""A 30-day province of 200 units lands through all four channels, each record version exactly once."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import polars as pl
import pytest

from connectors.file_drop import FileDrop, platform_push
from connectors.intake import run_intake
from connectors.landing import RECORD, Landing
from connectors.registry import Registry
from connectors.simulator.exchange import Exchange
from connectors.simulator.outbox import write_file_drops, write_pushes, write_units_config
from connectors.watermarks import WatermarkStore

UNITS, DAYS = 200, 30


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    return Exchange.simulate(UNITS, DAYS, seed=7, start=dt.date(2025, 3, 1)), tmp_path_factory.mktemp("intake")


@pytest.mark.slow
def test_a_month_of_a_province_lands_once_through_every_channel(province):
    from connectors.api import ApiSource
    from connectors.simulator.api_server import start_api
    from connectors.simulator.front_db import write_front_tables
    from connectors.sql import FrontDbSource

    exchange, root = province
    channels = write_units_config(exchange, root / "units.yaml")
    bodies = exchange.province.reference_frames()["enforcement_entity"]
    registry = Registry.load(bodies, root / "units.yaml")
    assert {u.channel for u in registry.units.values() if u.code in channels} == set(channels.values())
    drop = FileDrop(root / "drop", settle_seconds=0)
    push = platform_push(root / "push", settle_seconds=0)

    def hand_over_files() -> None:
        for day in exchange.days:
            write_file_drops(exchange, drop, [u.code for u in registry.by_channel("file_drop")], day)
            write_pushes(exchange, push, [u.code for u in registry.by_channel("platform_push")], day)

    hand_over_files()
    front = f"sqlite:///{root / 'front.sqlite'}"
    write_front_tables(exchange, front)
    landing, watermarks = Landing(root / "landing"), WatermarkStore(root / "landing" / "watermarks.sqlite")
    token = secrets.token_urlsafe(16)
    with start_api(exchange, token=token) as api:
        source = ApiSource(api.url, token)
        first = run_intake(registry, landing, watermarks, api=source, sql=FrontDbSource(front), drop=drop, push=push)
        hand_over_files()  # units upload the same files again
        second = run_intake(registry, landing, watermarks, api=source, sql=FrontDbSource(front), drop=drop, push=push)

    for channel, tally in first.channels.items():
        assert not tally.problems, tally.problems
        members = [u for u, c in channels.items() if c == channel]
        # every entity each source sends: the case entities, and the 政务服务网's licenses on the API
        expected = sum(frame.filter(pl.col("__unit").is_in(members)).height for frame in exchange.records.values())
        assert tally.rows_landed == expected > 0, channel
    assert second.rows_landed == 0 and second.new_batches == 0

    # received = landed for every batch: the manifest, the Parquet and the raw content agree
    for manifest in landing.manifests():
        records = landing.records(manifest)
        assert manifest.rows == records.height
        assert records[RECORD].to_list() == list(range(1, records.height + 1))
        if manifest.channel in ("api", "platform_push"):
            content = json.loads((landing.root / manifest.raw_path).read_bytes())
            assert len(content["records"]) == manifest.rows
