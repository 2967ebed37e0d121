"""Reading units' files: encodings, spreadsheets, header mapping, malformed rows, unusable files."""

from __future__ import annotations

import codecs
import datetime as dt

import polars as pl
import pytest
import xlsxwriter
from support import AS_OF, REFERENCE, UNIT, clean_inspection, rules_by_row, write_rows

from quality.engine import validate_file
from quality.read import UnusableFile, detect_encoding, open_table


def read_all(path, **options) -> pl.DataFrame:
    source = open_table(path, **options)
    return pl.concat(list(source.chunks()))


@pytest.mark.parametrize(
    ("prefix", "codec", "expected"),
    [
        (b"", "utf-8", "utf-8"),
        (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
        (b"", "gb18030", "gb18030"),
        (b"", "gbk", "gb18030"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    ],
)
def test_encoding_is_detected_not_asked_for(prefix, codec, expected):
    assert detect_encoding(prefix + "案件编号,执法主体代码\n穗天-1,X\n".encode(codec)) == expected


def test_a_cut_multibyte_character_at_the_sample_end_is_not_mistaken_for_gbk():
    text = "行政处罚".encode()
    assert detect_encoding(text[:-1]) == "utf-8"


def test_bytes_that_are_neither_utf8_nor_gb18030_make_the_file_unusable(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n\xff\xfe\x80\x81\x30\xff\n")
    with pytest.raises(UnusableFile, match="编码"):
        read_all(path)


def test_utf8_bom_and_gb18030_read_the_same_values(tmp_path):
    rows = [clean_inspection(1), clean_inspection(2)]
    frames = []
    for name, encoding in (("plain", "utf-8"), ("bom", "utf-8-sig"), ("gbk", "gb18030")):
        frames.append(read_all(write_rows(tmp_path / f"{name}.csv", rows, encoding=encoding)))
    assert frames[0].equals(frames[1])
    assert frames[0].equals(frames[2])
    assert frames[0]["检查编号"].to_list() == ["TH-JC-2024-00001", "TH-JC-2024-00002"]
    assert frames[0]["__row"].to_list() == [1, 2]


def test_values_are_kept_exactly_as_sent(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text('a,b,c\n" 007 ",0440106,=1+2\n,"",NA\n', encoding="utf-8")
    frame = read_all(path)
    assert frame.row(0) == (" 007 ", "0440106", "=1+2", 1)
    assert frame.row(1) == (None, "", "NA", 2)  # unquoted empty → null; a quoted "" stays an empty text


def test_a_row_with_too_many_values_is_reported_not_lost(tmp_path):
    rows = [clean_inspection(i) for i in range(1, 5)]
    path = write_rows(tmp_path / "ragged.csv", rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + ",多出来的一列"  # data row 2
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF)
    assert (result.received, result.accepted, result.rejected) == (4, 3, 1)
    assert rules_by_row(result) == {2: {"record.malformed"}}


def test_quoted_newlines_and_commas_survive_chunking(tmp_path):
    path = tmp_path / "quoted.csv"
    body = "".join(f'{i},"第{i}行,含逗号\n和换行",x\n' for i in range(1, 2001))
    path.write_text("n,text,y\n" + body, encoding="utf-8")
    frame = read_all(path, chunk_rows=7)  # tiny pieces: many cuts, some next to quoted newlines
    assert frame.height == 2000
    assert frame["__row"].to_list() == list(range(1, 2001))
    assert frame["text"][1999] == "第2000行,含逗号\n和换行"


def test_chunks_are_bounded_and_numbered_across_pieces(tmp_path):
    rows = [clean_inspection(i) for i in range(1, 1001)]
    path = write_rows(tmp_path / "many.csv", rows)
    source = open_table(path, chunk_rows=100)
    sizes = [chunk.height for chunk in source.chunks()]
    assert sum(sizes) == 1000
    assert max(sizes) < 1000


def _xlsx(path, header, rows, sheet="行政检查"):
    book = xlsxwriter.Workbook(str(path))
    notes = book.add_worksheet("填报说明")
    notes.write(0, 0, "说明")
    sheet_ = book.add_worksheet(sheet)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet_.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet_.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, str):
                sheet_.write_string(r, c, value)
            elif value is not None:
                sheet_.write(r, c, value)
    book.close()
    return path


def test_xlsx_cells_read_as_a_person_sees_them(tmp_path):
    path = _xlsx(
        tmp_path / "cells.xlsx",
        ["a", "b", "c", "d", "e"],
        [[dt.date(2024, 3, 5), 2000, 0.2, "0440106", None], [45356, 1.5, "=SUM(A1)", "x", None]],
    )
    frame = read_all(path)
    assert frame.row(0) == ("2024-03-05", "2000", "0.2", "0440106", None, 1)
    assert frame.row(1)[:4] == ("45356", "1.5", "=SUM(A1)", "x")


def test_xlsx_picks_the_entity_sheet_and_skips_the_instructions(tmp_path):
    record = clean_inspection(1)
    path = _xlsx(tmp_path / "inspection.xlsx", list(record), [list(record.values())])
    result = validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF)
    assert (result.received, result.rejected) == (1, 0)


def test_headers_may_be_codes_or_names_in_any_order(tmp_path):
    record = clean_inspection(1)
    codes = {"检查编号": "JCBH", "执法主体代码": "ztdm", "检查日期": "JCRQ"}
    renamed = {codes.get(name, name): value for name, value in reversed(list(record.items()))}
    path = write_rows(tmp_path / "codes.csv", [renamed])
    result = validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF)
    assert (result.received, result.rejected) == (1, 0)


def test_header_brackets_and_width_do_not_matter(tmp_path):
    from build_samples import clean_case
    from support import clean_coercion

    record = clean_case(1)
    record["罚款金额(万元)"] = record.pop("罚款金额（万元）")
    path = write_rows(tmp_path / "brackets.csv", [record])
    assert validate_file(path, "penalty_case", unit=UNIT, reference=REFERENCE, as_of=AS_OF).rejected == 0
    assert clean_coercion  # the coercion builder is importable for other tests


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("检查编号"), "缺少行政检查的必填列：检查编号（JCBH）"),
        (lambda r: r.update({"备注说明": "x"}), "标准以外的列"),
    ],
)
def test_missing_required_or_unknown_column_makes_the_file_unusable(tmp_path, change, message):
    record = clean_inspection(1)
    change(record)
    path = write_rows(tmp_path / "bad.csv", [record])
    with pytest.raises(UnusableFile, match=message):
        validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF)


def test_a_file_of_another_entity_is_named(tmp_path):
    from build_samples import clean_case

    path = write_rows(tmp_path / "penalty.csv", [clean_case(1)])
    with pytest.raises(UnusableFile, match="像是「行政处罚案件」"):
        validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "空"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "xls"),
        ("notes.pdf", b"%PDF", "不支持"),
        ("broken.xlsx", b"PK\x03\x04garbage", "XLSX"),
    ],
)
def test_unusable_files_say_why_in_chinese(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnusableFile, match=message):
        validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF)


def test_duplicate_headers_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("检查编号,检查编号\n1,2\n", encoding="utf-8")
    with pytest.raises(UnusableFile, match="重复"):
        read_all(path)


@pytest.mark.parametrize("spelling", ["+2024-05-20", "2024-5-20 ", "２０２４-05-20", "2024-05-20 00:00:00"])
def test_a_date_spelling_gets_the_same_answer_however_many_distinct_dates_the_file_has(tmp_path, spelling):
    """Columns of few distinct values and columns of mostly distinct values are typed on two paths."""
    few = [clean_inspection(i) for i in range(1, 11)]
    many = [dict(clean_inspection(i), 检查日期=f"2024-03-{i:02d}") for i in range(1, 11)]
    answers = []
    for name, rows in (("few", few), ("many", many)):
        rows[-1]["检查日期"] = spelling
        result = validate_file(write_rows(tmp_path / f"{name}.csv", rows), "inspection", unit=UNIT,
                               reference=REFERENCE, as_of=AS_OF)
        answers.append(rules_by_row(result).get(10, set()))
    assert answers[0] == answers[1]
    assert ("field.date" in answers[0]) == (spelling == "+2024-05-20")


def test_a_malformed_row_after_many_good_chunks_is_reported_and_nothing_is_read_twice(tmp_path):
    rows = [clean_inspection(i) for i in range(1, 2501)]
    path = write_rows(tmp_path / "late-ragged.csv", rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2400] = lines[2400] + ",多出来的一列"  # data row 2400, long after the first chunks went out
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = open_table(path, chunk_rows=300)
    frame = pl.concat(list(source.chunks()))
    assert frame["__row"].to_list() == [n for n in range(1, 2501) if n != 2400]
    assert [m.row for m in source.malformed] == [2400]


def test_a_malformed_first_row_is_reported_too(tmp_path):
    path = write_rows(tmp_path / "first-ragged.csv", [clean_inspection(1), clean_inspection(2)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",多余"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_file(path, "inspection", unit=UNIT, reference=REFERENCE, as_of=AS_OF)
    assert (result.received, result.accepted) == (2, 1)
    assert rules_by_row(result) == {1: {"record.malformed"}}
