"""Landing: every value as received, content-addressed, idempotent; watermarks only move forward."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from connectors.landing import RECORD, Landing, RawBatch, batch_id_of
from connectors.watermarks import WatermarkKey, WatermarkStore

UNIT = "11440106MB2C3D4E5D"


def _batch(content: bytes = b'[{"AJBH": "A-1", "LARQ": "2024/3/5"}]', **changes) -> RawBatch:
    records = pl.DataFrame({"AJBH": ["A-1", "A-2"], "LARQ": ["2024/3/5", " ０１ "], "BZ": [None, "=1+1"]})
    fields = dict(unit=UNIT, entity="penalty_case", channel="api", content=content, records=records,
                  window_start="2024-03-01T00:00:00", window_end="2024-03-02T00:00:00", source_name="page-1")
    fields.update(changes)
    return RawBatch(**fields)


def test_a_batch_lands_with_every_value_exactly_as_received(tmp_path):
    landing = Landing(tmp_path)
    manifest, new = landing.land(_batch(), received_at=dt.datetime(2024, 3, 2, 1, tzinfo=dt.UTC))
    assert new
    landed = landing.records(manifest)
    assert landed.drop(RECORD).equals(_batch().records)
    assert landed[RECORD].to_list() == [1, 2]
    assert (tmp_path / manifest.raw_path).read_bytes() == _batch().content
    saved = json.loads(landing.manifest_path(manifest.batch_id).read_text(encoding="utf-8"))
    assert saved["rows"] == 2 and saved["unit"] == UNIT and saved["channel"] == "api"
    assert saved["received_at"] == "2024-03-02T01:00:00+00:00"
    assert saved["window_start"] == "2024-03-01T00:00:00"


def test_the_same_content_twice_is_the_same_batch_and_adds_nothing(tmp_path):
    landing = Landing(tmp_path)
    first, new_first = landing.land(_batch())
    again, new_again = landing.land(_batch(source_name="page-1 (repeated)"))
    assert (new_first, new_again) == (True, False)
    assert again == first
    assert len(landing.manifests()) == 1
    assert len(list((tmp_path / "batches").rglob("*.parquet"))) == 1


def test_different_content_is_a_different_batch(tmp_path):
    landing = Landing(tmp_path)
    one, _ = landing.land(_batch())
    two, new = landing.land(_batch(content=b"other"))
    assert new and one.batch_id != two.batch_id
    assert one.batch_id == batch_id_of(UNIT, "penalty_case", one.sha256)


def test_a_crash_before_the_manifest_leaves_no_batch_and_a_rerun_lands_it(tmp_path, monkeypatch):
    import connectors.landing as landing_module

    landing = Landing(tmp_path)
    real = landing_module._write_atomically

    def crash_on_manifest(path, data, **options):
        if path.parent.name == "manifests":
            raise OSError("disk full")
        real(path, data, **options)

    monkeypatch.setattr(landing_module, "_write_atomically", crash_on_manifest)
    with pytest.raises(OSError):
        landing.land(_batch())
    assert landing.manifests() == []
    monkeypatch.setattr(landing_module, "_write_atomically", real)
    manifest, new = landing.land(_batch())
    assert new and landing.records(manifest).height == 2
    assert len(list((tmp_path / "batches").rglob("*.parquet"))) == 1
    assert not list(tmp_path.rglob(".tmp-*")) and not list(tmp_path.rglob(".*.json.*"))


@pytest.mark.parametrize("unit", ["../etc", "a/b", "", "单位"])
def test_names_that_could_leave_the_landing_folder_are_refused(tmp_path, unit):
    with pytest.raises(ValueError):
        Landing(tmp_path).land(_batch(unit=unit))


def test_watermarks_start_empty_and_only_move_forward(tmp_path):
    store = WatermarkStore(tmp_path / "watermarks.sqlite")
    key = WatermarkKey(UNIT, "penalty_case", "api")
    assert store.get(key) is None
    store.advance(key, "2024-03-02T00:00:00", "b1")
    store.advance(key, "2024-03-01T00:00:00", "late")
    assert store.get(key) == "2024-03-02T00:00:00"
    store.advance(key, "2024-03-03T00:00:00", "b2")
    assert WatermarkStore(tmp_path / "watermarks.sqlite").get(key) == "2024-03-03T00:00:00"
    assert store.get(WatermarkKey(UNIT, "inspection", "api")) is None


def test_crash_between_landing_and_watermark_then_rerun_gives_no_loss_and_no_duplicate(tmp_path):
    landing = Landing(tmp_path / "landing")
    store = WatermarkStore(tmp_path / "landing" / "watermarks.sqlite")
    key = WatermarkKey(UNIT, "penalty_case", "api")

    def pull_and_land(crash: bool) -> None:
        since = store.get(key) or "2024-03-01T00:00:00"
        batch = _batch(window_start=since)  # the source returns the same records for the same window
        manifest, _ = landing.land(batch)
        if crash:
            raise RuntimeError("killed before the watermark moved")
        store.advance(key, batch.window_end, manifest.batch_id)

    with pytest.raises(RuntimeError):
        pull_and_land(crash=True)
    assert store.get(key) is None
    pull_and_land(crash=False)
    assert store.get(key) == "2024-03-02T00:00:00"
    assert sum(m.rows for m in landing.manifests()) == 2


def test_the_manifests_of_some_units_are_read_without_reading_the_others(tmp_path):
    landing = Landing(tmp_path)
    for unit in ("A", "A-B", "B"):  # a unit's code may hold `-`, as batch ids do
        landing.land(_batch(unit=unit, content=unit.encode()))
    others = [m for m in landing.manifests() if m.unit == "B"]
    landing.manifest_path(others[0].batch_id).write_text("not json", encoding="utf-8")  # never read below
    assert [m.unit for m in landing.manifests({"A"})] == ["A"]
    assert sorted(m.unit for m in landing.manifests({"A-B", "A"})) == ["A", "A-B"]
    assert landing.manifests({"C"}) == []
