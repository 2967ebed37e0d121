"""The file-drop channel: complete files only, taken atomically, archived never deleted, names not paths."""

from __future__ import annotations

import os

import polars as pl
from support import clean_inspection, write_rows

from connectors.file_drop import FileDrop, safe_label
from connectors.landing import RECORD, Landing

UNIT = "11440106MB2C3D4E5D"


def _drop(tmp_path, **options):
    return FileDrop(tmp_path / "drop", settle_seconds=0, **options), Landing(tmp_path / "landing")


def test_a_dropped_file_is_landed_as_received_and_archived(tmp_path):
    drop, landing = _drop(tmp_path)
    inbox = drop.open_inbox(UNIT, "inspection")
    rows = [clean_inspection(1), clean_inspection(2)]
    write_rows(inbox / "检查 2024-05.csv", rows, encoding="gb18030")
    (outcome,) = drop.land_all(UNIT, "inspection", landing)
    assert outcome.new and outcome.problem is None
    landed = landing.records(outcome.manifest)
    assert landed.columns[1:4] == ["检查编号", "执法主体代码", "报送单位代码"]  # headers as received
    assert landed["检查编号"].to_list() == ["TH-JC-2024-00001", "TH-JC-2024-00002"]
    assert landed[RECORD].to_list() == [1, 2]
    assert outcome.manifest.channel == "file_drop" and outcome.manifest.source_name == "检查 2024-05.csv"
    assert list(inbox.iterdir()) == []
    archived = list((tmp_path / "drop" / "archive" / UNIT / "inspection").iterdir())
    raw = (tmp_path / "landing" / outcome.manifest.raw_path).read_bytes()
    assert len(archived) == 1 and archived[0].read_bytes() == raw


def test_files_still_being_written_are_left_alone(tmp_path):
    drop, landing = _drop(tmp_path)
    inbox = drop.open_inbox(UNIT, "inspection")
    for name in ("a.csv.part", ".hidden.csv", "b.csv.uploading"):
        write_rows(inbox / name, [clean_inspection(1)])
    assert drop.land_all(UNIT, "inspection", landing) == []
    settling = FileDrop(tmp_path / "drop", settle_seconds=60)
    write_rows(inbox / "fresh.csv", [clean_inspection(1)])
    assert settling.land_all(UNIT, "inspection", landing) == []
    assert (inbox / "fresh.csv").exists()


def test_the_same_file_uploaded_twice_lands_once_and_both_uploads_are_archived(tmp_path):
    drop, landing = _drop(tmp_path)
    inbox = drop.open_inbox(UNIT, "inspection")
    write_rows(inbox / "one.csv", [clean_inspection(1)])
    first = drop.land_all(UNIT, "inspection", landing)
    write_rows(inbox / "one (1).csv", [clean_inspection(1)])
    second = drop.land_all(UNIT, "inspection", landing)
    assert [o.new for o in first + second] == [True, False]
    assert len(landing.manifests()) == 1
    assert len(list((tmp_path / "drop" / "archive" / UNIT / "inspection").iterdir())) == 2


def test_a_file_left_in_processing_by_a_crash_is_landed_on_the_next_run(tmp_path):
    drop, landing = _drop(tmp_path)
    inbox = drop.open_inbox(UNIT, "inspection")
    write_rows(inbox / "x.csv", [clean_inspection(1)])
    taken = next(drop.take(UNIT, "inspection"))  # taken, then the process died before landing
    assert taken.path.exists() and not (inbox / "x.csv").exists()
    (outcome,) = drop.land_all(UNIT, "inspection", landing)
    assert outcome.new and landing.records(outcome.manifest).height == 1


def test_file_names_are_labels_never_paths(tmp_path):
    assert "/" not in safe_label("../../etc/passwd") and not safe_label("../x").startswith(".")
    drop, landing = _drop(tmp_path)
    inbox = drop.open_inbox(UNIT, "inspection")
    evil = inbox / "a..%2F..%2Fevil;rm -rf.csv"
    write_rows(evil, [clean_inspection(1)])
    (outcome,) = drop.land_all(UNIT, "inspection", landing)
    assert outcome.new
    outside = [p for p in tmp_path.rglob("*") if "evil" in p.name and "archive" not in p.parts]
    assert outside == []


def test_an_unreadable_file_is_still_kept_and_landed_with_its_reason(tmp_path):
    drop, landing = _drop(tmp_path)
    inbox = drop.open_inbox(UNIT, "inspection")
    (inbox / "broken.xlsx").write_bytes(b"PK\x03\x04not really")
    (outcome,) = drop.land_all(UNIT, "inspection", landing)
    assert "XLSX" in outcome.problem
    assert (tmp_path / "landing" / outcome.manifest.raw_path).read_bytes() == b"PK\x03\x04not really"
    assert outcome.manifest.rows == 0


def test_a_malformed_line_is_landed_as_its_text(tmp_path):
    drop, landing = _drop(tmp_path)
    inbox = drop.open_inbox(UNIT, "inspection")
    path = write_rows(inbox / "ragged.csv", [clean_inspection(1), clean_inspection(2)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",多余"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, (0, 0))
    (outcome,) = drop.land_all(UNIT, "inspection", landing)
    landed = landing.records(outcome.manifest)
    assert landed.height == 2
    assert landed["__malformed_text"].to_list()[0].endswith(",多余")
    assert landed.filter(pl.col("__malformed_text").is_null())["检查编号"].to_list() == ["TH-JC-2024-00002"]
