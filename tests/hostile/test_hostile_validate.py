"""Hostile inputs at `zfjd validate` and the file reader (issue 11, causes 6, 7, 8 and the reader's part
of 1 and 2). Each case is named by what it attacks and asserts the exit code, a clear Chinese message,
nothing lost (received = accepted + rejected, or exit 2 with nothing written) and bounded time and
memory (every in-process run is timed and the process peak checked in `validate_support.validate`)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from build_samples import clean_case
from hostile.validate_support import (
    column_letters,
    raw_xlsx,
    sheet_xml,
    validate,
    validate_in_child,
)
from openpyxl import load_workbook
from support import REFERENCE, UNIT, clean_inspection, write_rows

from quality.read import UnusableFile, open_table

HEADERS = list(clean_inspection(1))


def csv_bytes(rows: list[dict[str, str]], encoding: str = "utf-8", newline: str = "\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def inspections(count: int, **changes: str) -> list[dict[str, str]]:
    rows = [clean_inspection(i) for i in range(1, count + 1)]
    for key, value in changes.items():
        rows[-1][key] = value
    return rows


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def xlsx_of(path, rows: list[list], sheet: str = "行政检查"):
    return _workbook(path, [(sheet, rows, False)])


def _workbook(path, sheets: list[tuple[str, list[list[str]], bool]]):
    """sheets: (name, rows, hidden)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    active = None
    for name, rows, hidden in sheets:
        page = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                page.write_string(r, c, value)
        if hidden:
            page.hide()
        elif active is None:  # the active sheet cannot be hidden: the first visible one is active
            active = page
    active.activate()
    book.close()
    return path



# --- cause 6: the path given is the file read -----------------------------------------------------


def test_glob_brackets_in_the_path_read_that_file_not_a_neighbour(tmp_path):
    """x[12].csv beside x1.csv: the two rows of x1 were reported as x[12].csv's, accepted, exit 0."""
    write_rows(tmp_path / "x1.csv", inspections(2))
    bracketed = write(tmp_path / "x[12].csv", csv_bytes(inspections(3, 检查日期="2024-13-45")))
    outcome = validate(bracketed, tmp_path)
    document = outcome.assert_conserved(received=3, rejected=1)
    assert document["source"] == "x[12].csv"


@pytest.mark.parametrize("name", ["*.csv", "?.csv", "a{b,c}.csv", "**.csv", "[!x].csv"])
def test_wildcards_in_the_name_are_plain_characters(tmp_path, name):
    write_rows(tmp_path / "a.csv", inspections(5))
    target = write(tmp_path / name, csv_bytes(inspections(1)))
    outcome = validate(target, tmp_path)
    outcome.assert_conserved(received=1, rejected=0)


def test_a_missing_file_whose_name_is_a_glob_of_existing_ones_is_missing(tmp_path):
    write_rows(tmp_path / "x1.csv", inspections(2))
    outcome = validate(tmp_path / "x[1].csv", tmp_path)
    outcome.assert_unusable("找不到文件")


def test_rich_markup_in_the_file_name_is_printed_as_text(tmp_path):
    target = write(tmp_path / "[bold red]报送[blink].csv", csv_bytes(inspections(2)))
    outcome = validate(target, tmp_path)
    outcome.assert_conserved(received=2)
    assert "[bold red]报送[blink].csv" in outcome.stdout


def test_a_markup_closing_tag_as_a_header_is_an_unknown_column_not_a_crash(tmp_path):
    rows = [dict(r, **{"[/]": "x"}) for r in inspections(2)]
    outcome = validate(write(tmp_path / "h.csv", csv_bytes(rows)), tmp_path, outputs=("json", "xlsx", "html"))
    line = outcome.assert_unusable("标准以外的列")
    assert "[/]" in line


def test_markup_in_a_rejected_value_is_shown_as_sent(tmp_path):
    rows = inspections(2, 检查日期="[/][link=file:///etc/passwd]x[/link]")
    outcome = validate(write(tmp_path / "m.csv", csv_bytes(rows)), tmp_path)
    document = outcome.assert_conserved(received=2, rejected=1)
    assert document["errors"][0]["value"] == "[/][link=file:///etc/passwd]x[/link]"


def test_a_directory_given_as_the_input_is_refused(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    validate(folder, tmp_path).assert_unusable("文件夹")


def test_a_fifo_given_as_the_input_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    validate(fifo, tmp_path, seconds=10).assert_unusable("不是普通文件")


def test_a_device_given_as_the_input_is_refused(tmp_path):
    validate(Path("/dev/zero"), tmp_path, seconds=10).assert_unusable("不是普通文件")


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    validate(link, tmp_path, seconds=10).assert_unusable("不是普通文件")


def test_a_name_of_two_hundred_characters_loses_nothing(tmp_path):
    name = "处罚案件" * 10 + "a" * 110 + ".csv"
    assert len(name.encode()) < 255
    target = write(tmp_path / name, csv_bytes(inspections(2)))
    document = validate(target, tmp_path).assert_conserved(received=2)
    assert document["source"] == name


# --- cause 7: bounded work for spreadsheets ----------------------------------------------------------


def test_one_value_in_the_last_cell_of_the_sheet_is_refused_without_crashing(tmp_path):
    """1.4 KB: one value in XFD1048576 made calamine allocate the whole grid (SIGABRT)."""
    rows = [[(f"{column_letters(i)}1", header) for i, header in enumerate(HEADERS)], [("XFD1048576", "x")]]
    path = raw_xlsx(tmp_path / "far.xlsx", sheet_xml(rows))
    assert path.stat().st_size < 3000
    child = validate_in_child(path, tmp_path, "--json", str(tmp_path / "far.json"))
    assert child.exit_code == 2, (child.exit_code, child.stderr[-2000:])
    assert "Traceback" not in child.stderr and "单元格" in child.stderr
    assert child.peak_mb < 600, child.peak_mb
    assert not (tmp_path / "far.json").exists()


def test_a_far_cell_on_row_four_thousand_is_refused_within_limits(tmp_path):
    """XFD4000: 16,384 × 4,000 cells = 65 M (2.25 GB when read whole)."""
    rows = [[(f"{column_letters(i)}1", header) for i, header in enumerate(HEADERS)], [("XFD4000", "x")]]
    path = raw_xlsx(tmp_path / "wide.xlsx", sheet_xml(rows))
    outcome = validate(path, tmp_path)
    outcome.assert_unusable("单元格")


def test_a_dimension_that_lies_small_does_not_let_a_far_cell_through(tmp_path):
    rows = [[(f"{column_letters(i)}1", header) for i, header in enumerate(HEADERS)], [("XFD1048576", "x")]]
    path = raw_xlsx(tmp_path / "liar.xlsx", sheet_xml(rows, dimension="A1:M2"))
    # In-process: the test above proves the far cell is refused in a child; here only the lie is new.
    validate(path, tmp_path).assert_unusable("单元格")


def test_a_compressed_bomb_is_refused_before_it_is_inflated(tmp_path):
    """A 100 MB worksheet that deflates to ~100 KB: refused by its declared size, nothing read."""
    filler = "<!--" + "0" * (100 << 20) + "-->"
    rows = [[(f"{column_letters(i)}1", header) for i, header in enumerate(HEADERS)]]
    xml = sheet_xml(rows).replace("<sheetData>", filler + "<sheetData>")
    path = raw_xlsx(tmp_path / "bomb.xlsx", xml)
    assert path.stat().st_size < 1 << 20
    outcome = validate(path, tmp_path, outputs=("json", "xlsx", "html"))
    outcome.assert_unusable("解压")


def test_a_huge_shared_value_gives_small_reports(tmp_path):
    """One 2 MB value in a 检查日期 cell: rejected, and the reports echo at most 200 characters of it."""
    record = clean_inspection(1)
    huge = "9" * (2 << 20)
    rows = [[(f"{column_letters(i)}1", header) for i, header in enumerate(record)]]
    rows.append(
        [
            (f"{column_letters(i)}2", huge if key == "检查日期" else value)
            for i, (key, value) in enumerate(record.items())
            if value
        ]
    )
    path = raw_xlsx(tmp_path / "big.xlsx", sheet_xml(rows))
    assert path.stat().st_size < 200_000
    outcome = validate(path, tmp_path, outputs=("json", "xlsx", "html"))
    document = outcome.assert_conserved(received=1, rejected=1)
    value = document["errors"][0]["value"]
    assert value.endswith("…（已截断）") and len(value) <= 210
    for target in outcome.outputs.values():
        assert target.stat().st_size < 200_000, (target, target.stat().st_size)


def test_too_many_columns_are_refused(tmp_path):
    header = ",".join(f"列{i}" for i in range(20_000))
    outcome = validate(write(tmp_path / "cols.csv", (header + "\n" + "," * 19_999 + "\n").encode()), tmp_path)
    outcome.assert_unusable("列")


# --- cause 8: numbers, exit codes and one-line errors -------------------------------------------------


@pytest.mark.parametrize("amount", ["9" * 400, "1" + "0" * 308, "1e400", "inf", "NaN", "0." + "0" * 400 + "1"])
def test_an_absurd_fine_is_a_reject_never_inf(tmp_path, amount):
    row = clean_case(1)
    row["罚款金额（万元）"] = amount
    outcome = validate(write(tmp_path / "fine.csv", csv_bytes([clean_case(2), row])), tmp_path, entity="penalty_case")
    document = outcome.assert_conserved(received=2, rejected=1)
    fine_errors = [e for e in document["errors"] if e["field"] == "CF_NR_FK"]
    assert fine_errors and fine_errors[0]["row"] == 2
    assert fine_errors[0]["value"] == amount[:200] + ("…（已截断）" if len(amount) > 200 else "")


def test_a_long_fine_that_is_a_plain_number_is_still_read(tmp_path):
    row = clean_case(1)
    row["罚款金额（万元）"] = "0.500000000000"
    document = validate(
        write(tmp_path / "fine.csv", csv_bytes([row])), tmp_path, entity="penalty_case"
    ).assert_conserved(received=1)
    assert not [e for e in document["errors"] if e["field"] == "CF_NR_FK"]


def test_cr_only_line_endings_are_read_as_lines(tmp_path):
    path = write(tmp_path / "mac.csv", csv_bytes(inspections(3, 检查日期="2024-13-45"), newline="\r"))
    validate(path, tmp_path).assert_conserved(received=3, rejected=1)


def test_crlf_line_endings_are_read_as_lines(tmp_path):
    path = write(tmp_path / "dos.csv", csv_bytes(inspections(3), newline="\r\n"))
    validate(path, tmp_path).assert_conserved(received=3, rejected=0)


def test_mixed_cr_and_lf_line_endings_are_refused_with_a_reason(tmp_path):
    data = csv_bytes(inspections(2), newline="\r") + csv_bytes(inspections(2), newline="\n").split(b"\n", 1)[1]
    validate(write(tmp_path / "mixed.csv", data), tmp_path).assert_unusable("换行")


def test_an_undecodable_row_after_the_first_mib_is_a_clear_error(tmp_path):
    rows = inspections(6000)
    data = csv_bytes(rows)
    assert len(data) > 1 << 20
    data += "TH-JC-2024-99999,乱码行\n".encode("gbk")
    outcome = validate(write(tmp_path / "late-gbk.csv", data), tmp_path, outputs=("json", "xlsx", "html"))
    outcome.assert_unusable("编码", "第 6,002 行")  # the header is line 1


def test_an_output_in_a_missing_folder_is_refused_before_anything_is_written(tmp_path):
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(2)))
    json_out = tmp_path / "out.json"
    outcome = validate(
        path, tmp_path, "--json", str(json_out), "--html", str(tmp_path / "missing" / "r.html"), outputs=()
    )
    outcome.outputs = {"json": json_out, "html": tmp_path / "missing" / "r.html"}
    outcome.assert_unusable("文件夹")


def test_an_output_path_that_is_a_folder_is_refused_before_anything_is_written(tmp_path):
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(2)))
    folder = tmp_path / "r.xlsx"
    folder.mkdir()
    json_out = tmp_path / "out.json"
    outcome = validate(path, tmp_path, "--json", str(json_out), "--xlsx", str(folder), outputs=())
    outcome.outputs = {"json": json_out}
    outcome.assert_unusable("文件夹")
    assert folder.is_dir() and not any(folder.iterdir())


def test_the_same_output_named_twice_is_refused(tmp_path):
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(2)))
    same = tmp_path / "same.out"
    outcome = validate(path, tmp_path, "--json", str(same), "--html", str(same), outputs=())
    outcome.outputs = {"json": same}
    outcome.assert_unusable("同一个")


def test_an_output_that_is_the_input_is_refused(tmp_path):
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(2)))
    before = path.read_bytes()
    outcome = validate(path, tmp_path, "--json", str(path), outputs=())
    assert outcome.exit_code == 2 and "输入" in outcome.one_chinese_line()
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.csv", b"", ("空",)),
        ("bom.csv", codecs.BOM_UTF8, ("空",)),
        ("bom16.csv", codecs.BOM_UTF16_LE, ("空",)),
        ("blank.csv", b" \r\n\t\n", ("空",)),
        ("nul.csv", b"\x00" * 4096, ("二进制",)),
        ("header-only.csv", ",".join(HEADERS).encode() + b"\n", ()),
    ],
)
def test_empty_and_almost_empty_files(tmp_path, name, data, words):
    outcome = validate(write(tmp_path / name, data), tmp_path)
    if name == "header-only.csv":  # a header and no records: a file with nothing to reject
        outcome.assert_conserved(received=0)
    else:
        outcome.assert_unusable(*words)


def test_a_huge_single_line_is_refused_quickly(tmp_path):
    path = write(tmp_path / "line.csv", b"a" * (24 << 20))
    validate(path, tmp_path).assert_unusable("表头")


# --- the recorded reason is the real one (not 缺少…必填列) --------------------------------------------


def test_an_old_xls_says_so(tmp_path):
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000
    line = validate(write(tmp_path / "处罚.xls", cfb), tmp_path).assert_unusable()
    assert "不支持 .xls（Excel 97-2003）格式，请另存为 .xlsx 或 CSV" in line


def test_an_old_xls_named_csv_is_still_an_old_xls(tmp_path):
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000
    validate(write(tmp_path / "处罚.csv", cfb), tmp_path).assert_unusable(".xls")


def test_an_xlsx_named_xls_is_read_as_xlsx(tmp_path):
    record = clean_inspection(1)
    path = xlsx_of(tmp_path / "处罚案件.xls", [list(record), list(record.values())])
    validate(path, tmp_path).assert_conserved(received=1, rejected=0)


def test_an_xlsx_named_csv_or_without_suffix_is_read_as_xlsx(tmp_path):
    record = clean_inspection(1)
    for name in ("data.csv", "data", "a" * 150 + ".xlsx"[:3]):
        path = xlsx_of(tmp_path / name, [list(record), list(record.values())])
        validate(path, tmp_path).assert_conserved(received=1, rejected=0)


def test_a_csv_named_xlsx_is_read_as_csv(tmp_path):
    validate(write(tmp_path / "data.xlsx", csv_bytes(inspections(2))), tmp_path).assert_conserved(received=2)


def test_bad_json_says_it_is_bad_json(tmp_path):
    line = validate(write(tmp_path / "push.json", b'[{"JCBH": "1",'), tmp_path).assert_unusable("JSON")
    assert "必填列" not in line


def test_deeply_nested_json_is_refused_without_recursion(tmp_path):
    line = validate(write(tmp_path / "deep.json", b"[" * 100_000 + b"]" * 100_000), tmp_path).assert_unusable("JSON")
    assert "必填列" not in line


def test_json_records_are_read_as_a_table(tmp_path):
    records = [dict(clean_inspection(i)) for i in (1, 2)]
    records[1]["检查日期"] = "2024-13-45"
    path = write(tmp_path / "push.txt", json.dumps({"records": records}, ensure_ascii=False).encode())
    validate(path, tmp_path).assert_conserved(received=2, rejected=1)


def test_an_unreadable_encoding_says_so(tmp_path):
    data = ",".join(HEADERS).encode() + b"\n" + b"\xff\xfe\x80\x81\x30\xff" * 10 + b"\n"
    line = validate(write(tmp_path / "enc.csv", data), tmp_path).assert_unusable("编码")
    assert "必填列" not in line


@pytest.mark.parametrize("data", [b"%PDF-1.7\n%\xe2\xe3", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"PK\x03\x04junk"])
def test_other_binary_formats_are_named_not_read_as_csv(tmp_path, data):
    line = validate(write(tmp_path / "x.csv", data), tmp_path).assert_unusable()
    assert "必填列" not in line


def test_a_zip_that_is_not_a_workbook_is_named(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", ",".join(HEADERS))
    validate(path, tmp_path).assert_unusable("压缩包")


def test_reader_errors_are_one_exception_type_with_a_chinese_reason(tmp_path):
    cases = {
        "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "bad.json": b"{",
        "empty.csv": b"",
        "enc.csv": b"a\n\xff\xfe\x80\x81\x30\xff\n",
    }
    for name, data in cases.items():
        with pytest.raises(UnusableFile) as caught:
            open_table(write(tmp_path / name, data))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(caught.value)), name


# --- internal column names never collide with a unit's ------------------------------------------------


@pytest.mark.parametrize("name", ["__row", "__record", "__malformed_text"])
def test_a_column_named_like_an_internal_one_is_an_unknown_column_not_an_overwrite(tmp_path, name):
    """A unit's `__row` used to be overwritten by the reader's row numbers (and dropped on landing)."""
    rows = [dict(r, **{name: "999"}) for r in inspections(2)]
    path = write(tmp_path / "internal.csv", csv_bytes(rows))
    with pytest.raises(UnusableFile, match=f"标准以外的列.*{name}"):
        open_table(path)
    line = validate(path, tmp_path).assert_unusable("标准以外的列")
    assert name in line


@pytest.mark.parametrize("name", ["__row", "__record"])
def test_a_json_key_named_like_an_internal_one_is_refused_by_the_reader(tmp_path, name):
    records = [dict(clean_inspection(1), **{name: "7"})]
    path = write(tmp_path / "push.json", json.dumps(records, ensure_ascii=False).encode())
    validate(path, tmp_path).assert_unusable("标准以外的列", name)


def test_a_landed_batch_with_a_unit_column_named_row_is_refused_not_renamed_over(tmp_path):
    import polars as pl

    frame = pl.DataFrame({"检查编号": ["a"], "__row": ["甲"], "__record": [1]})
    frame.write_parquet(tmp_path / "batch.parquet")
    with pytest.raises(UnusableFile, match="__row"):
        open_table(tmp_path / "batch.parquet")


# --- the text itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")'],
)
def test_formula_shaped_values_are_inert_text_in_the_xlsx_report(tmp_path, value):
    rows = inspections(2, 检查日期=value)
    outcome = validate(write(tmp_path / "f.csv", csv_bytes(rows)), tmp_path, outputs=("json", "xlsx"))
    outcome.assert_conserved(received=2, rejected=1)
    sheet = load_workbook(outcome.outputs["xlsx"])["拒收明细"]
    shown = value.replace("\r", "_x000D_")  # how xlsxwriter stores a carriage return (openpyxl keeps it)
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value == shown]
    assert cells and all(cell.data_type == "s" and cell.quotePrefix for cell in cells)


@pytest.mark.parametrize(
    "value",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</td></tr></table><h1>x", "{{ 7*7 }}"],
)
def test_hostile_text_is_escaped_in_the_html_report(tmp_path, value):
    rows = inspections(2, 检查日期=value)
    outcome = validate(write(tmp_path / "h.csv", csv_bytes(rows)), tmp_path, outputs=("json", "html"))
    outcome.assert_conserved(received=2, rejected=1)
    html = outcome.outputs["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html and "<h1>x" not in html
    assert "49" not in html.split("{{ 7*7 }}")[0][-20:]


def test_hostile_file_names_are_escaped_in_the_html_report(tmp_path):
    target = write(tmp_path / "<img src=x onerror=alert(1)>.csv", csv_bytes(inspections(1)))
    outcome = validate(target, tmp_path, outputs=("json", "html"))
    outcome.assert_conserved(received=1)
    assert "<img src=x" not in outcome.outputs["html"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text",
    ["\u202e检查编号", "\u200b", "\x07\x1b[31m", "\ufeff", "Ｔ Ｈ－ＪＣ", "\U0001f600" * 3, "a\x00b"],
)
def test_bidi_control_zero_width_and_full_width_text_is_kept_as_sent(tmp_path, text):
    rows = inspections(2, 检查结果=text)
    outcome = validate(write(tmp_path / "t.csv", csv_bytes(rows)), tmp_path)
    outcome.assert_conserved(received=2)


def test_control_characters_in_a_rejected_value_do_not_reach_the_terminal(tmp_path):
    rows = inspections(2, 检查日期="\x1b]0;owned\x07\x1b[2J")
    outcome = validate(write(tmp_path / "esc.csv", csv_bytes(rows)), tmp_path)
    outcome.assert_conserved(received=2, rejected=1)
    assert "\x1b" not in outcome.stdout and "\x1b" not in outcome.stderr


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("gb18030", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_every_supported_encoding_reads_the_same_records(tmp_path, encoding, bom):
    path = write(tmp_path / "e.csv", bom + csv_bytes(inspections(3, 检查日期="2024-13-45"), encoding=encoding))
    validate(path, tmp_path).assert_conserved(received=3, rejected=1)


def test_a_double_bom_is_a_header_problem_not_a_crash(tmp_path):
    path = write(tmp_path / "bb.csv", codecs.BOM_UTF8 * 2 + csv_bytes(inspections(2)))
    outcome = validate(path, tmp_path)
    assert outcome.exit_code in (0, 2)
    if outcome.exit_code == 0:
        outcome.assert_conserved(received=2)
    else:
        outcome.assert_unusable()


def test_an_unclosed_quote_loses_no_record(tmp_path):
    data = csv_bytes(inspections(3)).replace(b"TH-JC-2024-00002", b'"TH-JC-2024-00002', 1)
    outcome = validate(write(tmp_path / "q.csv", data), tmp_path)
    if outcome.exit_code == 2:
        outcome.assert_unusable()
    else:
        document = outcome.assert_conserved()
        assert document["received"] >= 1


def test_a_row_with_extra_values_is_a_reject_not_a_loss(tmp_path):
    data = csv_bytes(inspections(3)).replace(b"\n", b",extra\n", 2).replace(b",extra\n", b"\n", 1)
    validate(write(tmp_path / "r.csv", data), tmp_path).assert_conserved(received=3, rejected=1)


def test_duplicate_headers_are_named(tmp_path):
    data = (",".join([*HEADERS, "检查编号"]) + "\n").encode() + b"x\n"
    validate(write(tmp_path / "d.csv", data), tmp_path).assert_unusable("重复", "检查编号")


def test_headers_that_fold_to_the_same_field_are_named(tmp_path):
    rows = [dict(r, **{"ＪＣＢＨ": "x"}) for r in inspections(1)]
    validate(write(tmp_path / "d.csv", csv_bytes(rows)), tmp_path).assert_unusable("检查编号")


def test_an_empty_header_cell_with_data_under_it_is_not_silently_dropped(tmp_path):
    rows = [dict(r, **{"": "藏起来的数据"}) for r in inspections(2)]
    outcome = validate(write(tmp_path / "e.csv", csv_bytes(rows)), tmp_path)
    outcome.assert_unusable("没有列名", "第 14 列")


def test_semicolon_separated_file_is_named_as_a_header_problem(tmp_path):
    data = csv_bytes(inspections(2)).replace(b",", b";")
    line = validate(write(tmp_path / "s.csv", data), tmp_path).assert_unusable()
    assert "表头" in line or "列" in line


# --- more encodings, containers and limits --------------------------------------------------------


def test_utf8_chinese_then_a_gbk_row_in_the_first_mib_is_not_read_as_mojibake(tmp_path):
    data = csv_bytes(inspections(3)) + "TH-JC-2024-99999,乱码行\n".encode("gbk") + csv_bytes(inspections(2))[400:]
    validate(write(tmp_path / "mixed.csv", data), tmp_path).assert_unusable("UTF-8", "第 5 行")


def test_a_gbk_file_whose_first_mib_is_plain_ascii_is_read_as_gbk(tmp_path):
    from standards.loader import standard

    codes = {f.name: f.code for f in standard().entity("inspection").fields}
    rows = [
        {codes[k]: v for k, v in dict(r, 检查对象名称="Guangzhou Trading Co", 检查方式="1", 检查结果="OK").items()}
        for r in inspections(9000)
    ]
    rows[-1][codes["检查对象名称"]] = "广州市某某贸易有限公司"
    data = csv_bytes(rows, encoding="gb18030")
    assert data[: 1 << 20].isascii()
    document = validate(write(tmp_path / "late-chinese.csv", data), tmp_path, seconds=60).assert_conserved()
    assert document["received"] == 9000 and document["encoding"] == "gb18030"


def test_a_password_protected_xlsx_says_so(tmp_path):
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 500
    validate(write(tmp_path / "locked.xlsx", cfb), tmp_path).assert_unusable("密码")


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ({"[Content_Types].xml": "<x/>", "xl/workbook.bin": "x"}, ".xlsb"),
        ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}, "OpenDocument"),
    ],
)
def test_other_spreadsheet_containers_are_named(tmp_path, members, words):
    path = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    validate(path, tmp_path).assert_unusable(words)


def test_a_truncated_xlsx_is_named_broken(tmp_path):
    record = clean_inspection(1)
    path = xlsx_of(tmp_path / "cut.xlsx", [list(record), list(record.values())])
    path.write_bytes(path.read_bytes()[:-200])
    validate(path, tmp_path).assert_unusable("XLSX")


def test_a_shared_strings_bomb_is_refused_before_it_is_inflated(tmp_path):
    rows = [[(f"{column_letters(i)}1", header) for i, header in enumerate(HEADERS)]]
    path = raw_xlsx(tmp_path / "sst.xlsx", sheet_xml(rows), shared_strings=["0" * (64 << 20)])
    assert path.stat().st_size < 1 << 20
    validate(path, tmp_path).assert_unusable("解压", "sharedStrings")


def test_a_sheet_wider_than_the_column_limit_is_refused(tmp_path):
    rows = [[(f"{column_letters(i)}1", f"列{i}") for i in range(1200)]]
    validate(raw_xlsx(tmp_path / "wide.xlsx", sheet_xml(rows)), tmp_path).assert_unusable("单元格")


def test_a_header_cell_of_a_whole_paragraph_is_refused(tmp_path):
    data = ("说明" * 500 + "," + ",".join(HEADERS) + "\n").encode()
    validate(write(tmp_path / "para.csv", data), tmp_path).assert_unusable("列名")


def test_a_line_longer_than_the_limit_is_refused_naming_it(tmp_path):
    rows = inspections(3, 检查结果="长" * (9 << 20))
    validate(write(tmp_path / "long.csv", csv_bytes(rows)), tmp_path, seconds=60).assert_unusable("第 4 行", "字符")


def test_a_four_million_character_value_is_a_reject_with_small_reports(tmp_path):
    rows = inspections(2, 检查结果="长" * (4 << 20))
    outcome = validate(
        write(tmp_path / "big.csv", csv_bytes(rows)), tmp_path, outputs=("json", "xlsx", "html"), seconds=60
    )
    document = outcome.assert_conserved(received=2, rejected=1)
    assert all(len(e["value"]) <= 210 for e in document["errors"])
    for target in outcome.outputs.values():
        assert target.stat().st_size < 200_000, (target, target.stat().st_size)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'[{"JCBH": "1", "JCBH": "2"}]', ("多次", "JCBH")),
        ('[{"检查编号": "甲"}]'.encode("gbk"), ("UTF-8",)),
        (b"[[1, 2], [3]]", ("记录的列表",)),
        (b'{"records": {"a": 1}}', ("记录的列表",)),
        (b'[{"a": 1}] trailing', ("多余",)),
        (b"[]", ("没有任何记录",)),
        (b'{"records": []}', ("没有任何记录",)),
        (b"[{}, {}]", ("没有任何字段",)),
    ],
)
def test_json_that_is_not_a_list_of_records_says_why(tmp_path, data, words):
    line = validate(write(tmp_path / "push.json", data), tmp_path).assert_unusable("JSON", *words)
    assert "必填列" not in line


def test_an_empty_landed_batch_gives_the_landing_reason_not_missing_columns(tmp_path):
    import polars as pl

    pl.DataFrame({"__record": []}, schema={"__record": pl.Int64}).write_parquet(tmp_path / "b.parquet")
    with pytest.raises(UnusableFile, match="接收时无法读取"):
        open_table(tmp_path / "b.parquet")


def test_a_report_that_fails_half_way_leaves_no_report_at_all(tmp_path, monkeypatch):
    import quality.report

    def broken(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(quality.report, "_write_html", broken)
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(2)))
    outcome = validate(path, tmp_path, outputs=("json", "xlsx", "html"))
    outcome.assert_unusable("报告无法写出")
    assert not list((tmp_path / "out").iterdir())


def test_a_report_replaces_an_old_one_whole(tmp_path):
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(2)))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "result.json").write_text("old", encoding="utf-8")
    document = validate(path, tmp_path).assert_conserved(received=2)
    assert document["received"] == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["result.json"]


def test_a_flood_of_nearly_empty_records_is_counted_in_full_and_listed_within_bounds(tmp_path):
    """1.2 MB of `,,,,` lines once gave 1.2 M listed errors: 51 s, 63 MB of JSON, 670 MB of memory. (Lines
    of separators only are no records now, as blank sheet rows are: one value each makes them records.)"""
    data = (",".join(HEADERS) + "\n").encode() + b"x,,,,\n" * 30_000
    outcome = validate(write(tmp_path / "flood.csv", data), tmp_path, outputs=("json", "xlsx", "html"), seconds=90)
    document = outcome.assert_conserved(received=30_000, rejected=30_000)
    assert document["errors_total"] >= 30_000 and len(document["errors"]) == 20_000
    assert sum(count for _rule, _message, count in document["error_summary"]) == document["errors_total"]
    assert "逐条列出前 20000 条" in outcome.outputs["html"].read_text(encoding="utf-8")
    assert "30000" in outcome.stdout.replace(",", "")


def test_utf16_without_a_bom_is_named(tmp_path):
    data = csv_bytes(inspections(2), encoding="utf-16-le")
    validate(write(tmp_path / "u16.csv", data), tmp_path).assert_unusable("UTF-16")


def test_a_newline_in_the_file_name_keeps_the_error_on_one_line(tmp_path):
    validate(tmp_path / "a\nb\x1b[2J.csv", tmp_path).assert_unusable("找不到文件", "\\u000a")


def test_a_path_through_a_file_is_named_in_chinese(tmp_path):
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(1)))
    validate(path / "x.csv", tmp_path).assert_unusable("不是文件夹")


def test_an_output_named_through_a_symlink_replaces_the_link_not_its_target(tmp_path):
    path = write(tmp_path / "ok.csv", csv_bytes(inspections(1)))
    precious = write(tmp_path / "precious.txt", b"keep me")
    link = tmp_path / "report.json"
    link.symlink_to(precious)
    outcome = validate(path, tmp_path, "--json", str(link), outputs=())
    assert outcome.exit_code == 0, outcome.stderr
    assert precious.read_bytes() == b"keep me"
    assert not link.is_symlink() and json.loads(link.read_text(encoding="utf-8"))["received"] == 1


def _shared_string_sheet(path, long: str, rows: int):
    record = clean_inspection(1)
    book = xlsxwriter.Workbook(str(path))
    page = book.add_worksheet("行政检查")
    page.write_row(0, 0, list(record))
    date_column = list(record).index("检查日期")
    for r in range(1, rows + 1):
        values = list(clean_inspection(r).values())
        values[date_column] = long
        page.write_row(r, 0, values)
    book.close()
    return path


def test_one_long_shared_string_in_every_row_is_refused_before_it_is_copied(tmp_path):
    """The 156 KB bomb: one long shared string named by every row gave 157 MB of reports (and the
    copies cost about 2 GB of memory before any check)."""
    path = _shared_string_sheet(tmp_path / "sst.xlsx", "二" * 20_000, 10_000)
    assert path.stat().st_size < 1 << 20
    validate(path, tmp_path, outputs=("json", "xlsx", "html")).assert_unusable("展开后超过", "单元格引用")


def test_a_shared_string_named_by_many_rows_within_the_limit_gives_bounded_reports(tmp_path):
    path = _shared_string_sheet(tmp_path / "sst.xlsx", "二" * 1000, 20_000)
    outcome = validate(path, tmp_path, outputs=("json", "xlsx", "html"), seconds=120)
    document = outcome.assert_conserved(received=20_000, rejected=20_000)
    assert document["errors_total"] >= 20_000
    sizes = {kind: target.stat().st_size for kind, target in outcome.outputs.items()}
    assert max(sizes.values()) < 20 << 20, sizes  # 20,000 listed errors of about 1 KB each, at most


def test_a_sheet_the_relationships_do_not_name_is_checked_anyway(tmp_path):
    from quality.read import _check_sheet_extent, _parts_to_check

    rows = [[(f"{column_letters(i)}1", header) for i, header in enumerate(HEADERS)], [("XFD1048576", "x")]]
    path = raw_xlsx(tmp_path / "far.xlsx", sheet_xml(rows))
    assert _parts_to_check(path, "xl/worksheets/elsewhere.xml") == ["xl/worksheets/sheet1.xml"]
    with pytest.raises(UnusableFile, match="单元格"):
        _check_sheet_extent(path, _parts_to_check(path, None), "行政检查")


def test_blank_lines_are_no_records_and_the_rows_after_them_keep_their_numbers(tmp_path):
    # An empty line, a line of separators only (as spreadsheets save unused rows), one of spaces.
    header, *lines = csv_bytes(inspections(3, 检查日期="2024-13-45")).decode("utf-8").splitlines()
    blank = ["", "," * (len(HEADERS) - 1), " \t\u3000"]
    data = "\n".join([header, lines[0], *blank, lines[1], lines[2], *blank, ""]).encode("utf-8")
    document = validate(write(tmp_path / "blank.csv", data), tmp_path).assert_conserved(received=3, rejected=1)
    assert {error["row"] for error in document["errors"]} == {6}  # the third record, after three blank lines


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u2060", "\u3164", " \u200b\u3000"])
def test_a_required_value_of_only_invisible_characters_is_missing(tmp_path, invisible):
    rows = inspections(2, 检查对象名称=invisible)
    document = validate(write(tmp_path / "t.csv", csv_bytes(rows)), tmp_path).assert_conserved(received=2, rejected=1)
    assert [(e["row"], e["rule"], e["field"]) for e in document["errors"]] == [(2, "field.required", "JCDXMC")]


def test_invisible_characters_around_a_value_are_trimmed(tmp_path):
    rows = inspections(2, 检查对象名称="\u200b广州市某某商行\ufeff", 检查结果="\u2060未发现问题")
    validate(write(tmp_path / "t.csv", csv_bytes(rows)), tmp_path).assert_conserved(received=2, rejected=0)


def test_a_nul_in_a_value_rejects_that_row_whole_and_keeps_the_others(tmp_path):
    rows = inspections(3)
    rows[1]["检查对象名称"] = "广州市\x00某某商行"
    document = validate(write(tmp_path / "t.csv", csv_bytes(rows)), tmp_path).assert_conserved(received=3, rejected=1)
    [error] = document["errors"]
    assert (error["row"], error["rule"]) == (2, "record.malformed")
    assert "NUL" in error["message"]


def test_a_file_that_cannot_be_used_leaves_no_earlier_report_at_the_output_paths(tmp_path):
    good = write(tmp_path / "good.csv", csv_bytes(inspections(2)))
    validate(good, tmp_path, outputs=("json", "xlsx", "html")).assert_conserved(received=2)
    empty = write(tmp_path / "empty.csv", b"")
    # Exit 2 with no outputs: the reports of the run before are gone, not passed off as this run's.
    validate(empty, tmp_path, outputs=("json", "xlsx", "html")).assert_unusable("空")


def test_sigterm_ends_the_command_like_ctrl_c_with_no_temporary_report_left(tmp_path):
    rows = [dict(row, 检查日期="2024-13-45", 检查结果="坏") for row in inspections(20_000)]
    source = write(tmp_path / "bad.csv", csv_bytes(rows))
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, "-m", "zfjd.cli", "validate", str(source), "--entity", "inspection", "--unit", UNIT,
               "--reference", str(REFERENCE), "--as-of", "2025-06-30", "--json", str(out / "r.json"),
               "--xlsx", str(out / "r.xlsx"), "--html", str(out / "r.html")]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(out.glob(".r.*")):  # the reports are being written under their temporary names
        assert child.poll() is None, "finished before its reports were being written"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 128 + signal.SIGTERM, child.stderr.read().decode()
    child.stderr.close()
    assert not list(out.iterdir())


def _table(rows: list[dict[str, str]]) -> list[list[str]]:
    return [list(rows[0]), *[list(row.values()) for row in rows]]


@pytest.mark.parametrize(
    "before",
    [
        [("旧数据", _table(inspections(1)), True)],  # a hidden sheet holding an old version
        [("Sheet1", [], False)],  # an empty first sheet
        [("说明", [["请按模板填写，每行一条检查记录"], ["日期写作 2024-05-20"]], False)],  # instructions first
    ],
    ids=["hidden-sheet-first", "empty-sheet-first", "instructions-first"],
)
def test_the_data_sheet_is_found_behind_hidden_empty_or_instruction_sheets(tmp_path, before):
    path = _workbook(tmp_path / "t.xlsx", [*before, ("检查", _table(inspections(3)), False)])
    document = validate(path, tmp_path).assert_conserved(received=3, rejected=0)
    assert document["received"] == 3


def test_a_title_row_above_the_header_is_named(tmp_path):
    path = _workbook(tmp_path / "t.xlsx", [("检查", [["行政检查报送表"], *_table(inspections(2))], False)])
    validate(path, tmp_path).assert_unusable("第一行", "标题")


def test_an_unclosed_quote_that_swallows_the_rest_of_the_file_is_named_by_its_line(tmp_path):
    header, *lines = csv_bytes(inspections(5)).decode("utf-8").splitlines()
    lines[1] = lines[1].replace("广州市", '"广州市', 1)  # a quote opened in the second record, never closed
    data = "\n".join([header, *lines, ""]).encode("utf-8")
    validate(write(tmp_path / "quote.csv", data), tmp_path).assert_unusable("第 2 行", "引号", "3 行")


def test_a_quoted_value_over_several_lines_is_still_one_value(tmp_path):
    rows = inspections(3, 检查对象名称='广州市"某某"商行\n（二号店）, 天河')
    validate(write(tmp_path / "t.csv", csv_bytes(rows)), tmp_path).assert_conserved(received=3, rejected=0)


def test_blank_lines_around_a_row_with_too_many_values_are_no_records_and_keep_the_numbers(tmp_path):
    # A row with too many values hands the file to the careful reader, which sees blank lines itself.
    header, *lines = csv_bytes(inspections(3, 检查日期="2024-13-45")).decode("utf-8").splitlines()
    rows = [lines[0], "", ",,,", lines[0] + ",多出来的值", lines[1], "", lines[2]]
    data = "\n".join([header, *rows, ""]).encode("utf-8")
    document = validate(write(tmp_path / "long.csv", data), tmp_path).assert_conserved(received=4, rejected=2)
    assert sorted((e["row"], e["rule"]) for e in document["errors"]) == [(4, "record.malformed"), (7, "field.date")]
