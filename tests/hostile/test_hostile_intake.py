"""Hostile inputs at the four intake doors and the lake (issue 11, causes 1, 2, 3 and 9).

Every case sends what a careless or hostile unit (or a broken exchange) would, plus the unit's next good
batch, and checks: nothing lost (each input kept byte for byte; received = accepted + rejected +
quarantined), a clear Chinese reason recorded for the unit this cycle, the good batch landed the same
cycle, nothing left in processing/, and bounded time (and memory where the attack is about size).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import polars as pl
import pytest
from hostile.intake_support import (
    ENTITY,
    OTHER_UNIT,
    SETTLED,
    UNIT,
    ScriptedApi,
    account,
    api_page,
    as_codes,
    assert_nothing_lost,
    bounded,
    csv_bytes,
    cursor,
    good_rows,
    inbox,
    make_home,
    put,
    run_cycle,
    validate,
    xlsx_bytes,
)

import connectors.file_drop as file_drop_module
from connectors.api import ApiError, ApiSource
from connectors.api import pull_and_land as api_pull_and_land
from connectors.file_drop import FileDrop, TakenFile, platform_push
from connectors.landing import Landing, RawBatch
from connectors.sql import FrontDbSource
from connectors.sql import pull_and_land as sql_pull_and_land
from connectors.watermarks import WatermarkKey, WatermarkStore
from zfjd import cycle

GOOD = good_rows(1, 2)


@pytest.fixture
def home(tmp_path):
    return make_home(tmp_path / "home")


@pytest.fixture
def push_home(tmp_path):
    return make_home(tmp_path / "home", {UNIT: "platform_push"})


def _drop_then_good(home, hostile_name, hostile: bytes, *, reason: str | None, channel: str = "drop"):
    """The hostile file, then the unit's good one, in one cycle: the good one lands whatever the first
    (`reason`: what the hostile one is quarantined for; None, when it is no problem at all)."""
    folder = inbox(home, channel=channel)
    put(folder, hostile_name, hostile)
    pushed = channel == "push"
    good = json.dumps([as_codes(r) for r in GOOD], ensure_ascii=False).encode() if pushed else csv_bytes(GOOD)
    good_name = "good.json" if pushed else "good.csv"
    put(folder, good_name, good)
    os.utime(os.path.join(folder, good_name), (SETTLED + 60,) * 2)  # uploaded after the hostile one
    with bounded(20):
        outcome = run_cycle(home, [UNIT])
    books = assert_nothing_lost(home, [hostile, good], accepted=len(GOOD), reason=reason, channel=channel)
    if reason is not None:
        assert any(reason in problem for problem in outcome.problems), outcome.problems
    return books


# --- the file drop: names never decide how bytes are read (cause 1) ---------------------------------


def test_xlsx_dropped_as_xls_lands_and_the_same_bytes_renamed_xlsx_are_not_blocked(home):
    data = xlsx_bytes(GOOD)
    folder = inbox(home)
    put(folder, "处罚案件.xls", data)
    run_cycle(home, [UNIT])
    put(folder, "处罚案件.xlsx", data)
    run_cycle(home, [UNIT])
    books = assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)
    assert len(books.entries) == 1  # the same bytes read the same way: one batch, landed once


def test_xlsx_with_an_ascii_name_over_120_characters_lands_its_rows(home):
    data = xlsx_bytes(GOOD)
    put(inbox(home), "inspection-report-" + "x" * 130 + ".xlsx", data)
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)


def test_bytes_first_quarantined_then_readable_land_as_a_new_batch(tmp_path):
    landing = Landing(tmp_path / "landing")
    records = pl.DataFrame({f: [v] for f, v in GOOD[0].items()})
    quarantined, first = landing.land(RawBatch(UNIT, ENTITY, "file_drop", b"same bytes", pl.DataFrame(),
                                               problem="旧版读取程序无法读取"))
    readable, second = landing.land(RawBatch(UNIT, ENTITY, "file_drop", b"same bytes", records))
    assert first and second and quarantined.batch_id != readable.batch_id
    assert (quarantined.rows, readable.rows) == (0, 1)
    assert quarantined.problem == "旧版读取程序无法读取" and readable.problem is None
    validate(tmp_path / "landing", tmp_path / "lake")
    books = account(tmp_path / "lake")
    assert books.reasons == ["旧版读取程序无法读取"] and books.received == books.accepted + books.rejected


def test_csv_bytes_named_xlsx_are_read_as_csv(home):
    data = csv_bytes(GOOD, "gb18030")
    put(inbox(home), "检查.xlsx", data)
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)


def test_xlsx_with_no_suffix_at_all_is_read_as_xlsx(home):
    data = xlsx_bytes(GOOD)
    put(inbox(home), "检查数据", data)
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)


def test_glob_characters_in_a_name_never_pick_another_file(home):
    folder = inbox(home)
    one, two = csv_bytes(good_rows(1, 1)), csv_bytes(good_rows(5, 2))
    put(folder, "x1.csv", one)
    put(folder, "x[12].csv", two)
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [one, two], accepted=3, reason=None)
    names = sorted(m.source_name for m in Landing(home.landing).manifests())
    assert names == ["x1.csv", "x[12].csv"]


def test_a_name_with_path_parts_newlines_and_markup_is_only_a_label(home):
    data = csv_bytes(GOOD)
    name = "x..\\..\\[bold red]警告[link=file:x]\n$(rm -rf ~);<script>*?.csv"  # no "/": a name cannot hold one
    put(inbox(home), name, data)
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)
    (manifest,) = Landing(home.landing).manifests()
    assert "\n" not in manifest.source_name and "\\x0a" in manifest.source_name
    archived = list((home.province / "drop" / "archive").rglob("*"))
    assert all("/" not in p.name and not p.name.startswith(".") for p in archived)
    assert not [p for p in home.root.rglob("*") if "警告" in p.name and "archive" not in p.parts]


def test_a_name_that_is_not_utf8_lands_and_is_shown_escaped(home):
    data = csv_bytes(GOOD)
    put(inbox(home), b"\xff\xfe\xb2\xe2\xca\xd4.csv", data)  # GBK bytes under a UTF-8 locale
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)
    (manifest,) = Landing(home.landing).manifests()
    manifest.source_name.encode("utf-8")  # storable and showable
    assert "\\u" in manifest.source_name or "\\x" in manifest.source_name


# --- the file drop: unreadable files quarantined with the real reason, never blocking (cause 2) ------


def test_a_gbk_row_after_the_first_mib_of_a_utf8_csv_is_quarantined_not_stuck(home):
    rows = good_rows(100, 5000)
    data = csv_bytes(rows) + ",".join(good_rows(9000, 1)[0].values()).encode("gbk") + b"\n"
    assert len(data) > 1 << 20
    _drop_then_good(home, "big.csv", data, reason="编码")


def test_a_column_named___record_is_quarantined_not_crashing_the_landing(home):
    data = csv_bytes([dict(row, __record="7") for row in GOOD])
    _drop_then_good(home, "a.csv", data, reason="__record")


def test_a_column_named___row_is_quarantined_not_silently_replaced(home):
    data = csv_bytes([dict(row, __row="单位自己的行号") for row in GOOD])
    _drop_then_good(home, "a.csv", data, reason="__row")


def test_a_column_named___malformed_text_cannot_pass_as_a_malformed_line(home):
    data = csv_bytes([dict(row, __malformed_text="x") for row in GOOD])
    _drop_then_good(home, "a.csv", data, reason="__malformed_text")


def test_a_legacy_ole2_xls_is_quarantined_with_the_xls_reason(home):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048
    _drop_then_good(home, "检查.xlsx", data, reason=".xls")


def test_a_truncated_xlsx_is_quarantined_with_the_xlsx_reason(home):
    data = xlsx_bytes(GOOD)[:700]
    _drop_then_good(home, "检查.xlsx", data, reason="XLSX")


def test_binary_garbage_is_quarantined_as_not_a_table(home):
    data = bytes(range(256)) * 8
    _drop_then_good(home, "检查.csv", data, reason="二进制")


def test_an_empty_file_is_quarantined_as_empty(home):
    _drop_then_good(home, "空.csv", b"", reason="空")


def test_duplicate_headers_are_quarantined_with_the_duplicated_name(home):
    data = "检查编号,检查编号\nA,B\n".encode()
    _drop_then_good(home, "dup.csv", data, reason="检查编号")


def test_six_hundred_columns_are_refused_before_reading_the_rows(home):
    header = ",".join(f"列{i}" for i in range(600))
    data = (header + "\n" + ",".join("x" for _ in range(600)) + "\n").encode()
    _drop_then_good(home, "wide.csv", data, reason="600")


def test_a_header_name_of_ten_thousand_characters_is_refused(home):
    data = ("检" * 10_000 + ",检查编号\nA,B\n").encode()
    _drop_then_good(home, "long.csv", data, reason="列名")


def test_a_cell_of_two_hundred_thousand_characters_is_quarantined_and_not_echoed(home):
    rows = [dict(GOOD[0], 检查结果="长" * 200_000)]
    data = csv_bytes(rows)
    books = _drop_then_good(home, "huge.csv", data, reason="检查结果")
    assert "长长长长长" not in books.reason()
    rejected = list((home.lake / "rejected").rglob("*.parquet"))
    assert sum(os.path.getsize(p) for p in rejected) < 100_000  # the value is kept in the raw bytes only


def test_a_file_over_the_size_limit_is_kept_unread_and_quarantined(home, monkeypatch):
    monkeypatch.setattr(file_drop_module, "MAX_INPUT_BYTES", 10_000)
    data = csv_bytes(good_rows(1, 200))
    assert len(data) > 10_000
    _drop_then_good(home, "big.csv", data, reason="上限")


def test_a_reader_crash_of_any_kind_quarantines_the_file(home, monkeypatch):
    real = file_drop_module.open_table

    def exploding(path, *args, **kwargs):
        if b"boom" in Path(path).read_bytes():
            raise KeyError("内部错误")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(file_drop_module, "open_table", exploding)
    data = csv_bytes([dict(GOOD[0], 检查结果="boom")])
    _drop_then_good(home, "a.csv", data, reason="KeyError")


def test_the_same_unreadable_file_uploaded_every_day_is_one_quarantined_batch(home):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 100
    for day in range(3):
        put(inbox(home), f"day{day}.xls", data)
        run_cycle(home, [UNIT])
    books = assert_nothing_lost(home, [data], accepted=0, reason=".xls")
    assert len(books.entries) == 1
    assert len(list((home.province / "drop" / "archive").rglob("*.xls"))) == 3  # every upload kept


# --- partial uploads (cause 3) ----------------------------------------------------------------------


def test_a_file_still_being_written_is_not_landed_by_the_daily_cycle(home):
    rows = good_rows(1, 3)
    whole = csv_bytes(rows)
    first_two = whole[: whole.index(rows[2]["检查编号"].encode()) - 1]
    folder = inbox(home)
    put(folder, "检查.csv", first_two, settled=False)  # the upload is under way: written just now
    outcome = run_cycle(home, [UNIT], settle=None)  # the cycle's own setting
    assert outcome.new_batches == 0 and Landing(home.landing).manifests() == []
    with open(folder / "检查.csv", "ab") as handle:
        handle.write(whole[len(first_two):])
    os.utime(folder / "检查.csv", (time.time() - 3600,) * 2)  # finished, and unchanged for an hour
    run_cycle(home, [UNIT], settle=None)
    assert_nothing_lost(home, [whole], accepted=3, reason=None, records=3)


def test_the_settle_time_is_measured_by_the_injected_clock(home):
    put(inbox(home), "检查.csv", csv_bytes(GOOD), settled=False)
    assert run_cycle(home, [UNIT], settle=60).new_batches == 0
    later = time.time() + 61
    run_cycle(home, [UNIT], settle=60, clock=lambda: later)
    assert_nothing_lost(home, [csv_bytes(GOOD)], accepted=len(GOOD), reason=None)


def test_the_settle_time_is_a_setting_of_the_instance(monkeypatch):
    monkeypatch.setenv(cycle.DROP_SETTLE_ENV, "7.5")
    assert cycle.drop_settle_seconds() == 7.5
    monkeypatch.setenv(cycle.DROP_SETTLE_ENV, "-1")
    with pytest.raises(ValueError, match="非负"):
        cycle.drop_settle_seconds()
    monkeypatch.delenv(cycle.DROP_SETTLE_ENV)
    assert cycle.drop_settle_seconds() == cycle.DEFAULT_DROP_SETTLE_SECONDS > 0


def test_an_upload_under_a_part_name_is_left_alone_until_renamed(home):
    folder = inbox(home)
    data = csv_bytes(GOOD)
    put(folder, "检查.csv.part", data)
    assert run_cycle(home, [UNIT]).new_batches == 0
    os.rename(folder / "检查.csv.part", folder / "检查.csv")
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)


def test_a_file_that_grows_while_being_taken_is_put_back_whole(tmp_path):
    drop, landing = FileDrop(tmp_path / "drop", settle_seconds=0), Landing(tmp_path / "landing")
    folder = drop.open_inbox(UNIT, ENTITY)
    put(folder, "a.csv", csv_bytes(good_rows(1, 2)))
    (taken,) = [t for t in drop.take(UNIT, ENTITY) if isinstance(t, TakenFile)]
    with open(taken.path, "ab") as handle:  # the writer still holds the file open
        handle.write(csv_bytes(good_rows(3, 1)).split(b"\n", 1)[1])
    assert drop._land_one(taken, landing) is None
    assert landing.manifests() == [] and [p.name for p in folder.iterdir()] == ["a.csv"]
    (outcome,) = drop.land_all(UNIT, ENTITY, landing)
    assert outcome.manifest.rows == 3


# --- symlinks: no unit takes another's files (cause 9) ----------------------------------------------


def _nothing_taken(home, victim_content: bytes, thief: str, *, own: int = 0) -> None:
    """The thief landed none of the victim's bytes and no records but its `own`; its refusal is
    recorded (a batch with no records whose content is the refusal) so that its feedback says why."""
    landed = [m for m in Landing(home.landing).manifests() if m.unit == thief]
    assert hashlib.sha256(victim_content).hexdigest() not in {m.sha256 for m in landed}
    assert sum(m.rows for m in landed) == own
    assert any("符号链接" in reason for reason in account(home.lake, thief).reasons)


def test_an_inbox_folder_replaced_by_a_symlink_cannot_take_another_units_files(home):
    victim = inbox(home, UNIT)
    data = csv_bytes(GOOD)
    put(victim, "天河.csv", data)
    thief = home.province / "drop" / "inbox" / OTHER_UNIT / ENTITY
    thief.parent.mkdir(parents=True)
    thief.symlink_to(victim, target_is_directory=True)
    outcome = run_cycle(home, [OTHER_UNIT])
    assert not [m for m in Landing(home.landing).manifests() if m.sha256 == hashlib.sha256(data).hexdigest()]
    assert (victim / "天河.csv").exists()
    assert any("符号链接" in p and OTHER_UNIT in p for p in outcome.problems), outcome.problems
    _nothing_taken(home, data, OTHER_UNIT)
    run_cycle(home, [UNIT])
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)
    assert {m.unit for m in Landing(home.landing).manifests() if m.rows} == {UNIT}


def test_a_unit_folder_replaced_by_a_symlink_cannot_take_another_units_files(home):
    victim = inbox(home, UNIT)
    data = csv_bytes(GOOD)
    put(victim, "天河.csv", data)
    (home.province / "drop" / "inbox" / OTHER_UNIT).symlink_to(victim.parent, target_is_directory=True)
    outcome = run_cycle(home, [OTHER_UNIT])
    assert (victim / "天河.csv").exists()
    assert any("符号链接" in p for p in outcome.problems)
    _nothing_taken(home, data, OTHER_UNIT)


def test_a_file_symlinked_to_another_units_file_is_refused_and_the_original_kept(home):
    victim = inbox(home, UNIT)
    data = csv_bytes(GOOD)
    put(victim, "天河.csv", data)
    own = inbox(home, OTHER_UNIT)
    (own / "借用.csv").symlink_to(victim / "天河.csv")
    mine = csv_bytes([dict(row, 报送单位代码=OTHER_UNIT) for row in good_rows(7, 1)])
    put(own, "mine.csv", mine)
    outcome = run_cycle(home, [OTHER_UNIT])
    landed = [m for m in Landing(home.landing).manifests() if m.rows]
    assert [m.sha256 for m in landed] == [hashlib.sha256(mine).hexdigest()]  # its own file only
    assert (victim / "天河.csv").read_bytes() == data
    assert any("符号链接" in p for p in outcome.problems)
    _nothing_taken(home, data, OTHER_UNIT, own=1)


def test_a_symlink_to_a_system_file_is_never_read(home):
    (inbox(home) / "passwd.csv").symlink_to("/etc/passwd")
    outcome = run_cycle(home, [UNIT])
    assert all(m.rows == 0 for m in Landing(home.landing).manifests())
    assert b"root:" not in b"".join(p.read_bytes() for p in home.landing.rglob("*") if p.is_file())
    assert any("符号链接" in p for p in outcome.problems)
    assert "符号链接" in account(home.lake).reason()


def test_a_refused_link_is_recorded_once_however_many_runs_see_it(home):
    (inbox(home) / "x.csv").symlink_to("/etc/hostname")
    for _ in range(3):
        outcome = run_cycle(home, [UNIT])
        assert any("符号链接" in p for p in outcome.problems)  # reported every run while it is there
    assert len(account(home.lake).entries) == 1


def test_a_file_without_read_permission_is_set_aside_not_stuck(home, monkeypatch):
    data = csv_bytes(GOOD)
    put(inbox(home), "locked.csv", data)
    real_open = os.open

    def denying(path, flags, *args, **kwargs):
        if "locked" in os.fsdecode(path) and "processing" in os.fsdecode(path):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(file_drop_module.os, "open", denying)
    outcome = run_cycle(home, [UNIT])
    monkeypatch.undo()
    assert any("读取权限" in p for p in outcome.problems)
    kept = list((home.province / "drop" / "archive").rglob("unreadable-*locked.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == data  # the file itself is kept
    assert not list((home.province / "drop" / "processing").rglob("*.csv"))
    assert "读取权限" in account(home.lake).reason()


# --- platform push (JSON) ---------------------------------------------------------------------------


def test_a_push_nested_100000_deep_is_quarantined_in_bounded_time(push_home):
    with bounded(5, 200):
        _drop_then_good(push_home, "deep.json", b"[" * 100_000, reason="嵌套", channel="push")


def test_a_push_with_deep_nesting_inside_a_value_is_quarantined(push_home):
    record = as_codes(GOOD[0])
    data = json.dumps([record]).replace('"JCJG": "', '"JCJG": ' + "[" * 50 + '"').encode()
    data = data.replace(b'"}]', b'"' + b"]" * 50 + b"}]")
    _drop_then_good(push_home, "deep.json", data, reason="嵌套", channel="push")


def test_a_push_with_a___record_key_is_quarantined(push_home):
    data = json.dumps([dict(as_codes(GOOD[0]), __record="1")]).encode()
    _drop_then_good(push_home, "a.json", data, reason="__record", channel="push")


def test_a_push_with_a___row_key_is_quarantined(push_home):
    data = json.dumps({"records": [dict(as_codes(GOOD[0]), __row="1")]}).encode()
    _drop_then_good(push_home, "a.json", data, reason="__row", channel="push")


def test_a_push_with_the_same_key_twice_in_a_record_is_quarantined_not_half_kept(push_home):
    data = b'[{"JCBH": "A-1", "JCBH": "A-2"}]'
    _drop_then_good(push_home, "dup.json", data, reason="JCBH", channel="push")


def test_a_push_with_nan_or_infinity_is_quarantined(push_home):
    data = b'[{"JCBH": "A-1", "JCJG": NaN, "GXSJ": Infinity}]'
    _drop_then_good(push_home, "nan.json", data, reason="NaN", channel="push")


def test_a_push_whose_record_is_not_an_object_is_quarantined(push_home):
    _drop_then_good(push_home, "a.json", b'[{"JCBH": "A"}, "just text"]', reason="第 2 条", channel="push")


def test_an_empty_push_is_quarantined_as_empty(push_home):
    _drop_then_good(push_home, "a.json", b"[]", reason="没有记录", channel="push")


def test_a_push_that_is_not_utf8_is_quarantined_with_the_encoding_reason(push_home):
    data = json.dumps([as_codes(GOOD[0])], ensure_ascii=False).encode("gbk")
    _drop_then_good(push_home, "gbk.json", data, reason="UTF-8", channel="push")


def test_a_truncated_push_gets_the_json_reason_not_missing_columns(push_home):
    data = json.dumps([as_codes(GOOD[0])], ensure_ascii=False).encode()[:-10]
    books = _drop_then_good(push_home, "cut.json", data, reason="JSON", channel="push")
    assert "必填列" not in books.reason()


def test_a_csv_pushed_by_mistake_is_quarantined_as_not_json(push_home):
    _drop_then_good(push_home, "a.json", csv_bytes(GOOD), reason="JSON", channel="push")


def test_a_push_with_a_value_of_a_million_characters_is_quarantined(push_home):
    data = json.dumps([dict(as_codes(GOOD[0]), JCJG="长" * 1_000_000)], ensure_ascii=False).encode()
    with bounded(20, 400):
        _drop_then_good(push_home, "big.json", data, reason="JCJG", channel="push")


def test_a_400_digit_amount_is_kept_as_written_not_as_inf(push_home):
    digits = "9" * 400
    data = f'[{{"JCBH": "TH-JC-2024-00009", "JCJG": {digits}, "BZ": 0.50}}]'.encode()
    folder = inbox(push_home, channel="push")
    put(folder, "n.json", data)
    run_cycle(push_home, [UNIT])
    (manifest,) = Landing(push_home.landing).manifests()
    landed = Landing(push_home.landing).records(manifest)
    assert landed["JCJG"].to_list() == [digits] and landed["BZ"].to_list() == ["0.50"]
    books = account(push_home.lake)
    assert books.received == 1 == books.accepted + books.rejected + books.quarantined


def test_a_5000_digit_number_does_not_trip_the_integer_conversion_limit(push_home):
    digits = "1" * 5000
    data = f'[{{"JCBH": "A", "JCJG": {digits}}}]'.encode()
    put(inbox(push_home, channel="push"), "n.json", data)
    run_cycle(push_home, [UNIT])
    (manifest,) = Landing(push_home.landing).manifests()
    assert manifest.problem is None and Landing(push_home.landing).records(manifest)["JCJG"][0] == digits


# --- the exchange API --------------------------------------------------------------------------------


def _api_pull(tmp_path, pages):
    landing = Landing(tmp_path / "landing")
    watermarks = WatermarkStore(tmp_path / "landing" / "watermarks.sqlite")
    with ScriptedApi(pages) as api:
        source = ApiSource(api.url, "token-abc", timeout=(1, 2), retries=1, backoff=0.01, page_size=2)
        report = api_pull_and_land(source, landing, watermarks, UNIT, ENTITY)
    validate(tmp_path / "landing", tmp_path / "lake")
    return report, watermarks.get(WatermarkKey(UNIT, ENTITY, "api"))


GOOD_CODES = [as_codes(row) for row in GOOD]


@pytest.mark.parametrize(
    ("attack", "records", "reason"),
    [
        ("record_not_an_object", [GOOD_CODES[0], ["A", "B"]], "第 2 条"),
        ("reserved_key___record", [dict(GOOD_CODES[0], __record="9")], "__record"),
        ("reserved_key___row", [dict(GOOD_CODES[0], __row="9")], "__row"),
        ("value_of_a_million_characters", [dict(GOOD_CODES[0], JCJG="x" * 1_000_000)], "JCJG"),
        ("six_hundred_keys", [{**GOOD_CODES[0], **{f"K{i}": "v" for i in range(600)}}], "上限 500 列"),
    ],
)
def test_an_api_page_that_cannot_be_landed_is_quarantined_and_the_watermark_moves_past(tmp_path, attack, records,
                                                                                        reason):
    pages = {None: api_page(records, cursor(1, 1), "p2"), "p2": api_page(GOOD_CODES, cursor(1, 2))}
    with bounded(20, 400):
        report, watermark = _api_pull(tmp_path, pages)
    assert watermark == cursor(1, 2) and report.quarantined == 1 and report.problems
    books = account(tmp_path / "lake")
    assert reason in books.reason() and books.accepted == len(GOOD)
    raw = {m.sha256 for m in Landing(tmp_path / "landing").manifests()}
    assert {hashlib.sha256(body).hexdigest() for body in pages.values()} <= raw


def test_api_numbers_and_nested_values_arrive_as_text(tmp_path):
    record = dict(GOOD_CODES[0], JCJG=12.5, GLAJBH=None, JGSXBM={"a": [1, 2]})
    _, watermark = _api_pull(tmp_path, {None: api_page([record], cursor(1, 1))})
    assert watermark == cursor(1, 1)
    (manifest,) = Landing(tmp_path / "landing").manifests()
    row = Landing(tmp_path / "landing").records(manifest).row(0, named=True)
    assert (row["JCJG"], row["GLAJBH"], row["JGSXBM"]) == ("12.5", None, '{"a": [1, 2]}')
    books = account(tmp_path / "lake")
    assert books.received == 1 == books.accepted + books.rejected + books.quarantined


@pytest.mark.parametrize(
    ("attack", "body"),
    [("nested_100000_deep", b"[" * 100_000), ("not_json", b"<html>502 Bad Gateway</html>"),
     ("records_not_a_list", b'{"records": "all of them", "watermark": "x"}')],
)
def test_an_api_body_that_is_not_the_agreed_json_is_kept_and_the_pull_fails_loudly(tmp_path, attack, body):
    landing = Landing(tmp_path / "landing")
    watermarks = WatermarkStore(tmp_path / "landing" / "watermarks.sqlite")
    with ScriptedApi({None: body}) as api, bounded(10, 200):
        source = ApiSource(api.url, "token-abc", timeout=(1, 2), retries=1, backoff=0.01)
        with pytest.raises(ApiError, match="约定的 JSON") as failure:
            api_pull_and_land(source, landing, watermarks, UNIT, ENTITY)
    assert "token-abc" not in str(failure.value)
    (manifest,) = landing.manifests()
    assert (landing.root / manifest.raw_path).read_bytes() == body and manifest.problem
    assert watermarks.get(WatermarkKey(UNIT, ENTITY, "api")) is None  # its end cannot be known
    validate(tmp_path / "landing", tmp_path / "lake")
    assert "交换接口" in account(tmp_path / "lake").reason()


# --- the 前置库 --------------------------------------------------------------------------------------


@pytest.fixture
def front(tmp_path):
    url = f"sqlite:///{tmp_path / 'front.sqlite'}"
    source = FrontDbSource(url, batch_rows=3)
    table = source.table(ENTITY)
    table.metadata.create_all(source.engine)
    yield source, table
    source.dispose()


def _insert(source, table, rows):
    with source.engine.begin() as connection:
        connection.execute(table.insert(), rows)


def _front_row(number: int, cursor_value: str | None, **changes) -> dict:
    return {**as_codes(clean_row(number)), "sync_cursor": cursor_value, "unit_code": UNIT, **changes}


def clean_row(number: int) -> dict[str, str]:
    return good_rows(number, 1)[0]


def _sql_pull(tmp_path, source):
    landing = Landing(tmp_path / "landing")
    watermarks = WatermarkStore(tmp_path / "landing" / "watermarks.sqlite")
    with bounded(20, 300):
        report = sql_pull_and_land(source, landing, watermarks, UNIT, ENTITY)
    validate(tmp_path / "landing", tmp_path / "lake")
    return report, watermarks.get(WatermarkKey(UNIT, ENTITY, "sql")), landing


def test_a_non_utf8_blob_in_the_front_db_is_quarantined_and_the_rest_of_its_page_lands(tmp_path, front):
    source, table = front
    blob = "违法事实".encode("gbk") + b"\xff\x00"
    _insert(source, table, [_front_row(1, "c001"), _front_row(2, "c002", JCJG=blob), _front_row(3, "c003"),
                            _front_row(4, "c004")])
    report, watermark, landing = _sql_pull(tmp_path, source)
    assert watermark == "c004" and report.quarantined == 1
    books = account(tmp_path / "lake")
    assert books.received == 4 == books.accepted + books.rejected + books.quarantined
    assert books.quarantined == 1 and books.accepted == 3 and "UTF-8" in books.reason()
    quarantined = next(m for m in landing.manifests() if m.problem)
    raw = json.loads((landing.root / quarantined.raw_path).read_bytes())
    assert {"base64": __import__("base64").b64encode(blob).decode()} in raw["rows"][0]  # the bytes kept
    again, _, _ = _sql_pull(tmp_path, source)
    assert again.new_batches == 0  # not stuck, not repeated


def test_rows_with_a_null_sync_cursor_are_quarantined_once_and_never_loop(tmp_path, front):
    source, table = front
    _insert(source, table, [_front_row(n, None) for n in range(1, 5)] + [_front_row(9, "c009")])
    _, watermark, _ = _sql_pull(tmp_path, source)
    assert watermark == "c009"
    books = account(tmp_path / "lake")
    assert books.quarantined == 4 and books.accepted == 1 and "sync_cursor" in books.reason()
    again, _, _ = _sql_pull(tmp_path, source)
    assert again.new_batches == 0 and len(account(tmp_path / "lake").entries) == 2


def test_a_null_key_and_odd_types_in_the_front_db_are_rejected_rows_not_lost(tmp_path, front):
    source, table = front
    _insert(source, table, [_front_row(1, "c001", JCBH=None), _front_row(2, "c002", JCRQ=20240520),
                            _front_row(3, "c003", JCJG="未发现问题".encode())])
    report, watermark, _ = _sql_pull(tmp_path, source)
    assert watermark == "c003" and report.quarantined == 0
    books = account(tmp_path / "lake")
    assert books.received == 3 == books.accepted + books.rejected and books.rejected >= 1
    assert not books.reasons


def test_a_huge_blob_in_the_front_db_is_quarantined_by_the_value_limit(tmp_path, front):
    source, table = front
    _insert(source, table, [_front_row(1, "c001", JCJG="长" * 200_000), _front_row(2, "c002")])
    _, watermark, _ = _sql_pull(tmp_path, source)
    assert watermark == "c002"
    books = account(tmp_path / "lake")
    assert "JCJG" in books.reason() and books.accepted == 0  # one page of 3: both rows, kept in the raw


# --- the lake ---------------------------------------------------------------------------------------


def test_the_lake_records_the_channels_reason_not_missing_columns(tmp_path):
    landing = Landing(tmp_path / "landing")
    decoded = platform_push(tmp_path / "push", settle_seconds=0)
    put(decoded.open_inbox(UNIT, ENTITY), "x.json", b"{not json")
    (outcome,) = decoded.land_all(UNIT, ENTITY, landing)
    validate(tmp_path / "landing", tmp_path / "lake")
    reason = account(tmp_path / "lake").reason()
    assert reason == outcome.problem and "JSON" in reason and "必填列" not in reason


def test_a_batch_the_validator_crashes_on_is_quarantined_and_the_next_validates(tmp_path, monkeypatch):
    import zfjd.lake as lake_module

    landing = Landing(tmp_path / "landing")
    frame = pl.DataFrame({f: [v] for f, v in GOOD[0].items()})
    bad, _ = landing.land(RawBatch(UNIT, ENTITY, "file_drop", b"crash me", frame))
    landing.land(RawBatch(UNIT, ENTITY, "file_drop", b"fine", frame))
    real = lake_module.validate_file

    def crashing(path, *args, **kwargs):
        if bad.batch_id in str(path):
            raise ZeroDivisionError("校验器内部错误")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(lake_module, "validate_file", crashing)
    monkeypatch.setattr(lake_module, "validate_batches", lambda *a, **k: (_ for _ in ()).throw(ZeroDivisionError()))
    validate(tmp_path / "landing", tmp_path / "lake")
    books = account(tmp_path / "lake")
    assert len(books.entries) == 2 and books.accepted == 1 and "校验程序" in books.reason()


def test_lake_outputs_leave_no_temporary_files(tmp_path):
    landing = Landing(tmp_path / "landing")
    frame = pl.DataFrame({f: [v] for f, v in GOOD[0].items()})
    landing.land(RawBatch(UNIT, ENTITY, "file_drop", b"x", frame))
    validate(tmp_path / "landing", tmp_path / "lake")
    assert not [p for p in (tmp_path).rglob("*") if p.name.startswith(".") and p.is_file()]


def test_the_json_depth_check_ignores_brackets_inside_strings_and_is_linear():
    import connectors.limits as limits

    assert limits.json_depth(b'{"a": "[[[[[[[[[[", "b": [1, [2]]}') == 3
    assert limits.json_depth(b'["\\"[[[[", []]') == 2
    started = time.perf_counter()
    assert limits.json_depth(b"[" * 5_000_000) == 5_000_000
    assert time.perf_counter() - started < 2


# --- workbooks built to exhaust a reader, and readers that die --------------------------------------


def _workbook_with_cell(reference: str) -> bytes:
    """A valid XLSX with the good rows and one more value at `reference` (e.g. XFD1048576)."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(GOOD)))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                cell = f'<row r="{reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{reference}" t="inlineStr">'
                data = data.replace(b"</sheetData>", cell.encode() + b"<is><t>x</t></is></c></row></sheetData>")
            out.writestr(item, data)
    return target.getvalue()


def test_an_xlsx_with_one_value_in_xfd1048576_is_refused_before_reading(home):
    data = _workbook_with_cell("XFD1048576")
    assert len(data) < 10_000
    with bounded(10, 200):
        _drop_then_good(home, "tiny.xlsx", data, reason="16,384")


def test_an_xlsx_zip_bomb_is_refused_before_inflating(home):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 50_000_000 + b">")
    data = buffer.getvalue()
    with bounded(10, 200):
        _drop_then_good(home, "bomb.xlsx", data, reason="解压后")


def test_a_file_whose_reading_killed_the_process_twice_is_quarantined_unread(home, monkeypatch):
    data = csv_bytes([dict(GOOD[0], 检查结果="kills the reader")])
    put(inbox(home), "killer.csv", data)
    real, calls = file_drop_module.open_table, []

    def dying(path, *args, **kwargs):
        calls.append(path)
        raise SystemExit("the reader aborted the process")  # what SIGABRT looks like to the next run

    monkeypatch.setattr(file_drop_module, "open_table", dying)
    for _ in range(2):
        with pytest.raises(SystemExit):
            run_cycle(home, [UNIT])
    assert len(calls) == 2 and Landing(home.landing).manifests() == []

    def counting(path, *args, **kwargs):
        calls.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(file_drop_module, "open_table", counting)
    good = csv_bytes(GOOD)
    put(inbox(home), "good.csv", good)
    run_cycle(home, [UNIT])
    assert len(calls) == 3  # the third run read only the good file
    assert_nothing_lost(home, [data, good], accepted=len(GOOD), reason="异常终止")


def test_a_malformed_line_of_two_hundred_thousand_characters_is_not_carried_to_the_lake(home):
    data = csv_bytes(GOOD) + ("多," * 100_000).encode() + b"\n"
    books = _drop_then_good(home, "ragged.csv", data, reason="格式错误的内容")
    assert "多多多多" not in books.reason()


def test_a_push_with_a_lone_surrogate_escape_is_quarantined(push_home):
    _drop_then_good(push_home, "s.json", b'[{"JCBH": "\\ud800", "JCJG": "x"}]', reason="代理项", channel="push")


def test_an_api_record_with_a_lone_surrogate_is_quarantined_and_the_watermark_moves_past(tmp_path):
    bad = b'{"records": [{"JCBH": "\\udc00"}], "next_page_token": "p2", "watermark": "' + cursor(1, 1).encode() + b'"}'
    pages = {None: bad, "p2": api_page(GOOD_CODES, cursor(1, 2))}
    report, watermark = _api_pull(tmp_path, pages)
    assert watermark == cursor(1, 2) and report.quarantined == 1
    books = account(tmp_path / "lake")
    assert "文本" in books.reason() and books.accepted == len(GOOD)


def test_invalid_utf8_stored_as_text_in_a_sqlite_front_db_quarantines_only_its_row(tmp_path, front):
    source, table = front
    _insert(source, table, [_front_row(1, "c001"), _front_row(2, "c002"), _front_row(3, "c003")])
    with source.engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE {table.name} SET JCJG = CAST(x'b2e2cad4ff' AS TEXT) WHERE sync_cursor = 'c002'"
        )
    report, watermark, _ = _sql_pull(tmp_path, source)
    assert watermark == "c003" and report.quarantined == 1
    books = account(tmp_path / "lake")
    assert books.received == 3 == books.accepted + books.rejected + books.quarantined and books.quarantined == 1


def test_a_unit_stuck_behind_an_unreadable_exchange_body_fails_the_step_after_the_others_land(tmp_path, monkeypatch):
    home = make_home(tmp_path / "home", {OTHER_UNIT: "api"})
    data = csv_bytes(GOOD)
    put(inbox(home), "good.csv", data)
    with ScriptedApi({None: b"\x00\x01 not json"}) as api:
        monkeypatch.setenv("ZFJD_EXCHANGE_URL", api.url)
        monkeypatch.setenv("ZFJD_EXCHANGE_TOKEN", "token-abc")
        with pytest.raises(cycle.IntakeIncomplete, match=OTHER_UNIT) as failure:
            run_cycle(home)
    assert "约定的 JSON" in str(failure.value) and "token-abc" not in str(failure.value)
    assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None)  # the other unit landed all the same
    assert any("交换接口" in reason for reason in account(home.lake, OTHER_UNIT).reasons)  # and is told


def test_a_stray_nul_in_one_row_rejects_that_row_and_lands_the_others(home):
    # As `zfjd validate` judges the same file: the row is record.malformed, the file is not binary.
    lines = csv_bytes(GOOD + good_rows(3, 1)).split(b"\n")
    lines[2] += b"\x00"  # inside the second record's last value
    data = b"\n".join(lines)
    put(inbox(home), "nul.csv", data)
    run_cycle(home, [UNIT])
    books = assert_nothing_lost(home, [data], accepted=len(GOOD), reason=None, records=len(GOOD) + 1)
    assert books.rejected == 1


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_header_only_file_is_a_batch_of_no_records_not_an_unreadable_one(home, newline):
    # As `zfjd validate` judges it: nothing to reject, nothing to tell the unit beyond 0 records.
    header_only = csv_bytes(GOOD).decode("utf-8").split("\n", 1)[0].encode("utf-8") + newline.encode()
    books = _drop_then_good(home, "表头.csv", header_only, reason=None)
    assert len(books.entries) == 2


@pytest.mark.parametrize("make", ["folder", "fifo"])
def test_a_folder_or_fifo_in_the_inbox_is_told_to_the_unit_once_and_left_in_place(home, make):
    folder = inbox(home)
    entry = folder / "子目录" if make == "folder" else folder / "pipe.csv"
    if make == "folder":
        entry.mkdir()
        (entry / "inner.csv").write_bytes(csv_bytes(GOOD))
    else:
        os.mkfifo(entry)
    outcome = run_cycle(home, [UNIT])
    assert any("不是普通文件" in p for p in outcome.problems), outcome.problems
    assert entry.exists()
    again = run_cycle(home, [UNIT])  # the same refusal again: no new batch
    refusals = [m for m in Landing(home.landing).manifests() if m.problem and "不是普通文件" in m.problem]
    assert len(refusals) == 1, (refusals, again.problems)
