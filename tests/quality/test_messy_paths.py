"""The quick paths for messy files give exactly what the careful ones give.

- `normalise` types a column of few distinct values through a lookup table and a column of mostly
  distinct values row by row; dates and datetimes row by row try the ISO layout, then `2024/3/5`
  spellings by the same layout, and only then the full parser.
- A UTF-8 file is checked by arrow's validator with lines measured in bytes; only when that is not sure
  does Python decode it (which words the refusal).
"""

from __future__ import annotations

import random

import polars as pl
import pytest

from quality import normalise as normalising
from quality import read as reading
from quality.read import ROW, UnusableFile
from standards.loader import standard as load_standard

STANDARD = load_standard()
PENALTY = STANDARD.entity("penalty_case")
DATETIME = next(f for f in PENALTY.fields if f.type == "datetime")
DATE = next(f for f in PENALTY.fields if f.type == "date")


def _spellings() -> list[str]:
    """Valid and invalid dates and times, padded and not, with `-` and `/`, and spellings of other shapes."""
    values = []
    for year in ("2024", "1899", "2200", "0000", "2100", "2023"):
        for month in ("0", "1", "01", "2", "02", "12", "13", "001"):
            for day in ("0", "1", "01", "29", "30", "31", "32", "9", "09"):
                for separator in ("-", "/"):
                    date = f"{year}{separator}{month}{separator}{day}"
                    values.append(date)
                    for hour, minute, second in [
                        ("0", "0", "0"), ("7", "5", "9"), ("07", "05", "09"), ("23", "59", "59"), ("24", "00", "00"),
                        ("12", "60", "00"), ("12", "00", "60"), ("12", "00", "61"), ("001", "00", "00"),
                    ]:
                        values.append(f"{date} {hour}:{minute}:{second}")
    return [
        *values,
        "2024/3/1 ", " 2024/3/1", "2024/3/1 10:00", "2024年3月1日 10:00:00", "2024年3月1日", "2024-3-1T10:00:00",
        "20240301", "20240301103000", "45000", "45000.5", "2024/٣/1", "２０２４/３/１ １０:００:００", "2024/3/1 1:2:3",
        "2024/3-1", "2024.3.1", "+2024-03-01", "2024/3/1 10:00:00.5", "", "  ", None,
    ]


@pytest.mark.parametrize("spec_field", [DATETIME, DATE], ids=lambda f: f.type)
def test_the_quick_date_paths_give_what_the_full_parser_gives(spec_field):
    values = _spellings()
    frame = pl.DataFrame({spec_field.code: values}, schema={spec_field.code: pl.String})
    cleaned = normalising._clean_mostly_ascii(frame[spec_field.code], spec_field).to_frame(spec_field.code)
    quick = normalising._parse_with_fast_path(cleaned, spec_field, STANDARD)
    full = cleaned.select(normalising._typed(spec_field, STANDARD).alias(spec_field.code))[spec_field.code]
    assert quick.to_list() == full.to_list()
    # The grid is not vacuous: the `/` path and the full parser both had values to give and to refuse.
    slashed = [v for v, typed in zip(values, quick.to_list(), strict=True) if typed is not None and "/" in v]
    assert slashed and quick.null_count() > 100


def _messy_frame(rows: int, seed: int) -> pl.DataFrame:
    """Every field of the penalty case, each value a spelling drawn from the grid or a code of its type."""
    rng = random.Random(seed)
    spellings = _spellings()
    codes = [
        "91440101MA5CXXXX1X", "９１４４０１０６ＭＢ１Ａ２Ｂ３Ｃ４１", "11440106MB1A2B3C41", "00000000000000000X", "bad",
    ]
    pools = {
        "date": spellings, "datetime": spellings, "uscc": codes, "uscc_list": [";".join(codes[:2]), "x;y"],
        "decimal": ["0.5", "０.５", ".5", "1e3", "12", "-1"], "integer": ["1", "０", "22"], "yn": ["Y", "否", "n", "x"],
    }
    columns = {}
    for spec_field in PENALTY.fields:
        pool = pools.get(spec_field.type, ["1", "2", "罚款", "警告;罚款", "Ｙ", " 甲 ", ""])
        columns[spec_field.code] = [rng.choice(pool) for _ in range(rows)]
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String)).with_row_index(ROW, offset=1).with_columns(
        pl.col(ROW).cast(pl.Int64)
    )


def test_looked_up_and_row_by_row_columns_are_typed_alike(monkeypatch):
    raw = _messy_frame(3000, seed=14)
    by_lookup = normalising.normalise(raw, PENALTY, STANDARD)
    monkeypatch.setattr(normalising, "_LOOKUP_LIMIT", 0)  # every structured column row by row
    row_by_row = normalising.normalise(raw, PENALTY, STANDARD)
    assert by_lookup.columns == row_by_row.columns
    assert by_lookup.schema == row_by_row.schema
    assert by_lookup.to_dicts() == row_by_row.to_dicts()
    assert by_lookup[normalising.bad_column(DATETIME.code)].any()


def test_a_cache_carried_between_chunks_gives_what_a_fresh_one_gives():
    first, second = _messy_frame(500, seed=1), _messy_frame(500, seed=2)
    cache: dict = {}
    normalising.normalise(first, PENALTY, STANDARD, cache)
    assert normalising.normalise(second, PENALTY, STANDARD, cache).to_dicts() == (
        normalising.normalise(second, PENALTY, STANDARD).to_dicts()
    )


def test_a_column_with_nothing_sent_is_missing_not_bad():
    raw = _messy_frame(10, seed=3).with_columns(pl.lit(None, dtype=pl.String).alias(DATE.code))
    typed = normalising.normalise(raw, PENALTY, STANDARD)
    assert typed[DATE.code].null_count() == 10
    assert not typed[normalising.bad_column(DATE.code)].any()


def _careful_verdict(path, newline: str) -> bool:
    try:
        reading._check_decodes(path, "utf-8", newline)
    except UnusableFile:
        return False
    return True


def test_the_quick_utf8_check_is_never_surer_than_the_careful_one(tmp_path, monkeypatch):
    """Small blocks, so that characters are cut at block ends; some bytes broken, some lines too long."""
    monkeypatch.setattr(reading, "_SAMPLE_BYTES", 4)  # blocks of 32 bytes
    rng = random.Random(7)
    alphabet = ["a", "\n", "\r\n", "\r", "é", "中", "𝄞", "２"]
    path = tmp_path / "f.csv"
    agreed_valid = refused = 0
    for _ in range(1500):
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))).encode()
        if data and rng.random() < 0.3:
            at = rng.randrange(len(data))
            data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
        path.write_bytes(data)
        for newline in ("\n", "\r\n"):
            for longest_allowed in (8 << 20, 12):
                monkeypatch.setattr(reading, "MAX_LINE_CHARS", longest_allowed)
                quick, careful = reading._plainly_utf8(path, newline), _careful_verdict(path, newline)
                assert careful or not quick, (data, newline, longest_allowed)
                agreed_valid += quick and careful
                refused += not careful
    assert agreed_valid > 1000 and refused > 1000  # both verdicts were exercised


def test_a_file_turning_into_gbk_is_still_refused_with_its_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("案件编号,执法主体代码\n".encode() + "穗天-1,甲\n".encode() * 3 + "穗天-2,乙\n".encode("gbk"))
    assert not reading._plainly_utf8(path, "\n")
    with pytest.raises(UnusableFile, match="第 5 行"):
        reading._whole_file_encoding(path, "utf-8", "\n", ascii_head=False)


def test_a_line_too_long_is_still_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_LINE_CHARS", 50)
    path = tmp_path / "long.csv"
    path.write_text("案件编号,执法主体代码\n" + "穗天-1," + "甲" * 60 + "\n", encoding="utf-8")
    with pytest.raises(UnusableFile, match="超过 50 个字符"):
        reading._whole_file_encoding(path, "utf-8", "\n", ascii_head=False)
