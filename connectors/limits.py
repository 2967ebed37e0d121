"""Limits every intake door checks before it does work, and the names units' data may not use.

An input over a limit is not read further: it is landed as received (raw bytes kept) and quarantined
whole with a Chinese reason, so nothing is lost and the unit's next batch is not held up behind it.
The limits are far above what a unit's daily batch needs (a day is a few hundred records) and low
enough that one input cannot exhaust the intake's memory or time.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from quality.read import MALFORMED_TEXT, UnusableFile

MAX_INPUT_BYTES = 256 * 1024 * 1024  # one file, push or page
MAX_JSON_DEPTH = 32  # a pushed record is flat; a value may itself be a small JSON structure
MAX_RECORDS = 1_000_000
MAX_COLUMNS = 500  # the widest entity has under 60 fields
MAX_NAME_CHARS = 200  # a column name or key
MAX_VALUE_CHARS = 65_536  # 违法事实 and other free text stay far below this
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024  # all parts of a workbook, inflated
MAX_XLSX_RATIO = 200  # inflated / compressed, over the whole workbook (real workbooks: under 20)
# Names the pipeline uses for its own columns (`__record`, `__row`, `__malformed_text`, `__key`, …):
# a unit's column may not take one, or it would replace, or be replaced by, the pipeline's.
RESERVED_PREFIX = "__"

def json_depth(content: bytes) -> int:
    """How deeply arrays and objects nest in `content`, without parsing it (brackets inside strings
    do not count): vectorised and without recursion, so `[` × 100 000 or a 256 MiB push costs
    milliseconds to a second."""
    data = np.frombuffer(content, dtype=np.uint8)
    if data.size == 0:
        return 0
    positions = np.arange(data.size)
    # A quote is escaped when an odd number of backslashes runs up to it.
    last_plain = np.maximum.accumulate(np.where(data != ord("\\"), positions, -1))
    quotes = np.flatnonzero(data == ord('"'))
    before = quotes - 1
    run = np.where(before >= 0, before - last_plain[np.maximum(before, 0)], 0)
    real = np.zeros(data.size, dtype=np.int8)
    real[quotes[run % 2 == 0]] = 1
    outside = np.cumsum(real, dtype=np.int64) % 2 == 0
    steps = np.zeros(data.size, dtype=np.int32)
    steps[((data == ord("[")) | (data == ord("{"))) & outside] = 1
    steps[((data == ord("]")) | (data == ord("}"))) & outside] = -1
    return int(np.cumsum(steps).max(initial=0))


def check_json_size_and_depth(content: bytes, what: str) -> None:
    if len(content) > MAX_INPUT_BYTES:
        raise UnusableFile(f"{what}大小 {len(content):,} 字节，超过上限 {MAX_INPUT_BYTES:,} 字节")
    depth = json_depth(content)
    if depth > MAX_JSON_DEPTH:
        raise UnusableFile(f"{what}的 JSON 嵌套层数为 {depth}，超过上限 {MAX_JSON_DEPTH} 层")


def names_problem(names: list[str]) -> str | None:
    """Why a unit's column names (or record keys) cannot be landed, or None."""
    if len(names) > MAX_COLUMNS:
        return f"共有 {len(names):,} 列，超过上限 {MAX_COLUMNS} 列"
    for name in names:
        if not isinstance(name, str):
            return "列名必须是文本"
        if len(name) > MAX_NAME_CHARS:
            return f"列名「{shown(name)}」长 {len(name):,} 个字符，超过上限 {MAX_NAME_CHARS} 个字符"
        if name.startswith(RESERVED_PREFIX):
            return f"列名「{shown(name)}」以 {RESERVED_PREFIX} 开头，这是系统保留的列名：请删除或改名该列后重新提交"
    return None


def check_names(names: list[str]) -> None:
    problem = names_problem(names)
    if problem:
        raise UnusableFile(problem)


def records_problem(records: pl.DataFrame, internal: tuple[str, ...] = ()) -> str | None:
    """Why a decoded batch cannot be landed (too many rows or columns, a reserved column name, a value
    too long), or None. `internal` are the pipeline's own columns the decoder added (their names are
    allowed; their values are held to the same limits)."""
    names = [name for name in records.columns if name not in internal]
    problem = names_problem(names)
    if problem:
        return problem
    if records.height > MAX_RECORDS:
        return f"共有 {records.height:,} 条记录，超过上限 {MAX_RECORDS:,} 条"
    text = [name for name, dtype in records.schema.items() if dtype == pl.String]  # a malformed line too
    if not text or records.height == 0:
        return None
    longest = records.select(pl.col(text).str.len_chars().max())
    for name, length in longest.row(0, named=True).items():
        if length is not None and length > MAX_VALUE_CHARS:
            what = "有一行格式错误的内容" if name == MALFORMED_TEXT else f"字段「{shown(name)}」有一个值"
            return f"{what}长 {length:,} 个字符，超过上限 {MAX_VALUE_CHARS:,} 个字符"
    return None


def shown(text: str, limit: int = 40) -> str:
    """A name as it may appear in a message: control characters and unpaired surrogates made visible,
    and cut short (a message never echoes a whole hostile value)."""
    cleaned = "".join(
        ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else f"\\x{ord(ch):02x}" if ord(ch) < 256
        else f"\\u{ord(ch):04x}" for ch in text[: limit + 1]
    )
    return cleaned[:limit] + "…" if len(text) > limit or len(cleaned) > limit else cleaned


_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_xlsx(content: bytes) -> None:
    """An XLSX refused before any spreadsheet reader opens it: a ZIP that inflates too far (a zip
    bomb), or a worksheet addressing cells beyond the row or column limits (one value in XFD1048576
    makes a reader allocate the whole range)."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnusableFile(f"XLSX 文件无法打开（不是完整的 ZIP 压缩包，可能已损坏）：{shown(str(exc), 80)}") from None
    inflated = sum(member.file_size for member in members)
    if inflated > MAX_XLSX_UNCOMPRESSED or inflated > MAX_XLSX_RATIO * max(len(content), 1):
        raise UnusableFile(
            f"XLSX 文件解压后达 {inflated:,} 字节（压缩包 {len(content):,} 字节），超过上限：请删除多余内容后重新保存"
        )
    for member in members:
        if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
            continue
        try:
            xml = archive.read(member)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            # the library's own words (English) stay out of what the unit reads
            raise UnusableFile("XLSX 文件已损坏（工作表无法解压）：请重新另存为 .xlsx 后提交") from None
        rows = columns = 0
        for letters, digits in _CELL.findall(xml):
            rows, columns = max(rows, int(digits)), max(columns, _column_number(letters))
        if columns > MAX_COLUMNS or rows > MAX_RECORDS + 1:
            raise UnusableFile(
                f"XLSX 工作表用到了第 {rows:,} 行、第 {columns:,} 列的单元格，超过上限（{MAX_RECORDS:,} 行、"
                f"{MAX_COLUMNS} 列）：请删除表格外的内容后重新保存"
            )
