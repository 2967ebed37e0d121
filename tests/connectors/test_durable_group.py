"""A group of units' intake made durable at once: until its durable point nothing moves past its batches
(taken files stay in processing/, watermarks stay), so a crash takes the same data again and every
record lands exactly once; after it, nothing is taken twice."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from support import clean_inspection, write_rows

from connectors.file_drop import FileDrop
from connectors.landing import Landing, RawBatch, land_pages
from connectors.watermarks import WatermarkKey, WatermarkStore

UNIT = "11440106MB2C3D4E5D"
FILES = 5
ROOT = Path(__file__).resolve().parents[2]


def _inbox_with_files(tmp_path: Path) -> tuple[FileDrop, Landing, list[str]]:
    drop, landing = FileDrop(tmp_path / "drop", settle_seconds=0), Landing(tmp_path / "landing")
    inbox = drop.open_inbox(UNIT, "inspection")
    numbers = []
    for index in range(FILES):
        rows = [clean_inspection(10 * index + 1), clean_inspection(10 * index + 2)]
        write_rows(inbox / f"检查-{index}.csv", rows)
        numbers += [row["检查编号"] for row in rows]
    return drop, landing, numbers


def _landed_numbers(landing: Landing) -> Counter:
    inspections = [m for m in landing.manifests() if m.entity == "inspection"]
    return Counter(n for m in inspections for n in landing.records(m)["检查编号"].to_list())


def _folder(drop: FileDrop, kind: str) -> list[Path]:
    folder = drop.root / kind / UNIT / "inspection"
    return [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.exists() else []


def test_a_process_killed_before_the_durable_point_archives_nothing_and_a_rerun_lands_each_record_once(tmp_path):
    drop, landing, numbers = _inbox_with_files(tmp_path)
    # Another process lands the files in one group and is killed (no clean-up at all) while landing
    # the fourth, after three batches were written but before the group's durable point.
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from connectors.file_drop import FileDrop
        from connectors.landing import Landing
        landed = []
        original = Landing.land
        def land(self, batch, **options):
            if len(landed) == 3:
                os._exit(9)
            landed.append(batch.source_name)
            return original(self, batch, **options)
        Landing.land = land
        landing = Landing({str(landing.root)!r})
        with landing.durable_together():
            FileDrop({str(drop.root)!r}, settle_seconds=0).land_all({UNIT!r}, "inspection", landing)
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == 9, killed.stderr
    assert len(landing.manifests()) == 3  # written, not yet durable
    assert _folder(drop, "archive") == []  # nothing moved past them
    assert len(_folder(drop, "processing")) == 4 and len(_folder(drop, "inbox")) == 1

    with landing.durable_together():
        outcomes = drop.land_all(UNIT, "inspection", landing)
        assert _folder(drop, "archive") == []  # still inside the group: not yet
    assert sorted(o.new for o in outcomes) == [False, False, False, True, True]
    assert _landed_numbers(landing) == Counter(numbers)  # every record once
    assert len(_folder(drop, "archive")) == FILES
    assert _folder(drop, "processing") == [] and _folder(drop, "inbox") == []
    assert drop.land_all(UNIT, "inspection", landing) == []  # after the durable point: nothing taken again


def test_an_error_inside_the_group_moves_no_file_and_no_watermark(tmp_path):
    drop, landing, numbers = _inbox_with_files(tmp_path)
    watermarks = WatermarkStore(tmp_path / "watermarks.sqlite")
    key = WatermarkKey(UNIT, "penalty_case", "api")
    pages = [
        RawBatch(UNIT, "penalty_case", "api", f"page {n}".encode(), pl.DataFrame({"AJBH": [f"A-{n}"]}),
                 window_start=f"2024-03-0{n}T00:00:00", window_end=f"2024-03-0{n + 1}T00:00:00")
        for n in (1, 2, 3)
    ]

    def failing_after(count: int):
        yield from pages[:count]
        raise ConnectionError("the exchange went away")

    with pytest.raises(ConnectionError), landing.durable_together():
        drop.land_all(UNIT, "inspection", landing)
        land_pages(failing_after(2), landing, watermarks, key)
    assert watermarks.get(key) is None
    assert _folder(drop, "archive") == [] and len(_folder(drop, "processing")) == FILES

    with landing.durable_together():
        drop.land_all(UNIT, "inspection", landing)
        report = land_pages(iter(pages), landing, watermarks, key)
        assert watermarks.get(key) is None  # moves at the durable point, not before
    assert (report.batches, report.new_batches) == (3, 1)
    assert watermarks.get(key) == "2024-03-04T00:00:00"
    assert _landed_numbers(landing) == Counter(numbers)
    ajbh = [n for m in landing.manifests() if m.entity == "penalty_case" for n in landing.records(m)["AJBH"]]
    assert sorted(ajbh) == ["A-1", "A-2", "A-3"]
    assert len(_folder(drop, "archive")) == FILES and _folder(drop, "processing") == []
    watermarks.close()


def test_a_manifest_or_raw_file_a_power_loss_cut_short_is_landed_again(tmp_path):
    drop, landing, numbers = _inbox_with_files(tmp_path)
    with pytest.raises(RuntimeError), landing.durable_together():
        drop.land_all(UNIT, "inspection", landing)
        raise RuntimeError("power lost before the durable point")
    # What a power loss can leave of files never flushed: a manifest empty, raw bytes or records cut short.
    first, second, third = landing.manifests()[:3]
    landing.manifest_path(first.batch_id).write_bytes(b"")
    (landing.root / second.raw_path).write_bytes(b"cut")
    records = (landing.root / third.records_path).read_bytes()
    (landing.root / third.records_path).write_bytes(records[: len(records) // 2])
    with landing.durable_together():
        outcomes = drop.land_all(UNIT, "inspection", landing)
    assert sum(o.new for o in outcomes) == 3  # the two untouched batches were whole: not landed again
    assert _landed_numbers(landing) == Counter(numbers)
    assert replace(landing.find(first.batch_id), received_at=first.received_at) == first
    archived = {p.name.split("-检查-")[0]: p.read_bytes() for p in _folder(drop, "archive")}
    assert (landing.root / second.raw_path).read_bytes() == archived[second.batch_id]
    assert (landing.root / third.records_path).read_bytes() == records


def test_outside_a_group_each_batch_is_durable_and_taken_at_once(tmp_path):
    drop, landing, numbers = _inbox_with_files(tmp_path)
    outcomes = drop.land_all(UNIT, "inspection", landing)
    assert all(o.new for o in outcomes) and len(_folder(drop, "archive")) == FILES
    assert _landed_numbers(landing) == Counter(numbers)
