"""Reads a unit's file as text, exactly as sent, in bounded chunks.

The format is decided from the bytes, never from the file's name: XLSX (a zip holding a workbook), a
landed batch (Parquet), JSON records, else CSV — in UTF-8 (with or without BOM), UTF-16 with BOM, or
GB18030/GBK (detected, never asked for). Every value comes out as a string (or null when the cell is
empty); nothing is interpreted here. Each chunk carries `__row`, the 1-based data row of the file
(the first row under the header is 1). A CSV row whose number of values differs from the header is not
dropped: it is reported as a malformed row, so that received = accepted + rejected still holds.

Anything that makes the file as a whole unreadable raises `UnusableFile`, and only that, with one
Chinese sentence a unit can act on; limits (size, columns, cells, the XLSX's inflated size) are checked
before the work they bound.
"""

from __future__ import annotations

import codecs
import datetime as dt
import errno
import io
import json
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

ROW = "__row"
MALFORMED_TEXT = "__malformed_text"
LANDED_RECORD = "__record"
# Columns the reader (and the landing) add beside a unit's own: a unit's header may never be one of them.
RESERVED_COLUMNS = frozenset({ROW, MALFORMED_TEXT, LANDED_RECORD})
DEFAULT_CHUNK_ROWS = 100_000
# What a person sees as nothing: whitespace as Unicode defines it (full-width U+3000 included), and the
# invisible characters that editors and web forms leave in cells (zero-width spaces and joiners, word
# joiner, byte-order marks, Hangul fillers). A cell of only these is empty; values are trimmed of them.
BLANK_CHARACTERS = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\u180e\u200b\u200c\u200d\u2060\ufeff\u115f\u1160\u3164\uffa0"
)
_SAMPLE_BYTES = 1 << 20
_INSTRUCTION_SHEETS = {"填报说明", "代码表"}

# Limits, checked before the work they bound. A unit file of the standard has about 50 columns; the
# largest measured province file is 684 MB of CSV.
MAX_FILE_BYTES = 4 << 30
MAX_COLUMNS = 1000
MAX_HEADER_CHARS = 200
MAX_JSON_BYTES = 64 << 20  # parsed whole: Python objects take ~10× the text
MAX_LINE_CHARS = 8 << 20
MAX_XLSX_CELLS = 10_000_000  # calamine holds a sheet as a dense grid: ~32 bytes a cell
MAX_XLSX_PART_BYTES = 1 << 30  # one part of the workbook, inflated
MAX_XLSX_TEXT_BYTES = 256 << 20  # the sheet's text once shared strings are copied into their cells
MAX_XLSX_RATIO = 100  # inflated / compressed, for a part of more than _BOMB_FLOOR bytes
_BOMB_FLOOR = 32 << 20


def trimmed(text: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """`text` (an expression or a series) without the blank characters around it."""
    return text.str.strip_chars(BLANK_CHARACTERS)


def without_blank_rows(frame: pl.DataFrame, headers: list[str]) -> pl.DataFrame:
    """A line with no value in any column (an empty line, or only separators, as spreadsheets save their
    unused rows) is no record: skipped as a blank row of a sheet is. The rows after it keep their numbers."""
    if not frame.height or not headers:
        return frame
    # A blank row has an empty first column: only such rows are looked at whole, so a file without blank
    # rows pays one column's check (a day's thousands of small batches pay per expression, a million-row
    # file per value).
    first = pl.col(headers[0])
    maybe = frame.filter(first.is_null() | (trimmed(first).str.len_bytes() == 0))
    if not maybe.height:
        return frame
    blank = maybe.filter(trimmed(pl.concat_str(headers, ignore_nulls=True)).str.len_bytes() == 0)[ROW]
    return frame.filter(~pl.col(ROW).is_in(blank.implode())) if blank.len() else frame


class UnusableFile(ValueError):
    """The file as a whole cannot be read; the message is one Chinese sentence for the unit.

    The only exception the reader raises for a bad input (a caller quarantines the input with its
    message): wrong format, unreadable encoding, broken or oversized workbook, bad JSON, a header that
    cannot be used, a path that is not a regular file.
    """


@dataclass
class MalformedRow:
    row: int
    text: str
    expected_columns: int
    actual_columns: int


@dataclass
class TableSource:
    """A readable table: its headers, how it was decoded, and its rows in chunks."""

    path: Path
    format: str
    encoding: str | None
    headers: list[str]
    sheet: str | None = None
    malformed: list[MalformedRow] = field(default_factory=list)
    may_hold_nul: bool = True  # False when the bytes were seen to hold none: no row needs the check
    _chunks: Iterator[pl.DataFrame] | None = None

    def chunks(self) -> Iterator[pl.DataFrame]:
        assert self._chunks is not None, "chunks() can be iterated once"
        chunks, self._chunks = self._chunks, None
        return chunks


def detect_encoding(sample: bytes) -> str:
    """The codec to read `sample`'s file with: a BOM decides; else strict UTF-8; else GB18030."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # A chunk boundary may cut a multi-byte character: decode incrementally without the final flush.
    for codec in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(codec)(errors="strict").decode(sample, final=False)
            return codec
        except UnicodeDecodeError:
            continue
    raise UnusableFile("文件编码无法识别：请保存为 UTF-8 或 GBK/GB18030 编码的 CSV，或 XLSX 文件")


# What other files look like, so that a unit is told what it sent rather than "缺少…必填列".
_OLD_XLS = "不支持 .xls（Excel 97-2003）格式，请另存为 .xlsx 或 CSV"
_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "cfb"),  # OLE compound file (the full magic goes on \xa1\xb1\x1a\xe1)
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PAR1", "parquet"),
    (b"%PDF", "PDF 文档"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"Rar!", "RAR 压缩包"),
    (b"{\\rtf", "RTF 文档"),
)
_JSON_START = re.compile(rb"^\s*(?:\{|\[\s*(?:[\[\{\"\]]|$))")


def sniff_format(head: bytes) -> str:
    """'zip' (an XLSX, or not) | 'cfb' | 'parquet' | 'json' | 'csv', or the name of a format that is not
    data (said back to the unit as it is)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    text = head
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if text.startswith(bom):
            text = text[len(bom):] if bom == codecs.BOM_UTF8 else b""
            break
    if _JSON_START.match(text[:4096]):
        return "json"
    return "csv"


def open_table(path: Path, *, sheet_hint: tuple[str, ...] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS) -> TableSource:
    """Opens exactly `path` (no glob, nothing read into its name) as the format its bytes say."""
    path = Path(path)
    head = _regular_file_head(path)
    kind = sniff_format(head)
    if kind == "cfb":
        raise UnusableFile(_cfb_reason(path))
    if kind == "zip":
        source = _open_xlsx(path, sheet_hint, chunk_rows)
    elif kind == "parquet":
        source = _open_landed(path, chunk_rows)
    elif kind == "json":
        source = _open_json(path, chunk_rows)
    elif kind == "csv":
        source = _open_csv(path, chunk_rows)
    else:
        raise UnusableFile(f"不支持的文件类型：{kind}。请提交报送模板格式的 CSV 或 XLSX 文件")
    return _nul_rows_malformed(_nothing_under_unnamed_columns(source))


_OPEN_ERRORS = {
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.ELOOP: "符号链接循环",
    errno.ENAMETOOLONG: "路径或文件名过长",
    errno.ENXIO: "不是普通文件",
}


def _regular_file_head(path: Path) -> bytes:
    """The first bytes of `path`, once it is known to be a regular file of a bounded size (opened
    without blocking, so a FIFO named like a CSV cannot hang the reader)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise UnusableFile(f"找不到文件：{path.name}") from None
    except IsADirectoryError:
        raise UnusableFile(f"{path.name} 是文件夹，不是文件：请指定要校验的文件") from None
    except OSError as exc:
        reason = _OPEN_ERRORS.get(exc.errno, exc.strerror)
        raise UnusableFile(f"文件无法打开：{path.name}（{reason}）") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise UnusableFile(f"{path.name} 是文件夹，不是文件：请指定要校验的文件")
        if not stat.S_ISREG(info.st_mode):
            raise UnusableFile(f"{path.name} 不是普通文件（是管道、设备或套接字）：请指定要校验的文件")
        if info.st_size > MAX_FILE_BYTES:
            raise UnusableFile(f"文件超过 {MAX_FILE_BYTES >> 30} GiB 上限：请拆分为多个文件分批报送")
        return os.read(descriptor, 8192)
    finally:
        os.close(descriptor)


def _cfb_reason(path: Path) -> str:
    """An OLE compound file is an old .xls — or an XLSX saved with a password (Office wraps those)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if "EncryptedPackage".encode("utf-16-le") in head:
        return "XLSX 文件设置了打开密码：请取消密码后另存为 .xlsx 再提交"
    return _OLD_XLS


def _reserved_headers(headers: list[str]) -> None:
    reserved = [h for h in headers if h in RESERVED_COLUMNS]
    if reserved:
        listed = "、".join(f"「{h}」" for h in reserved)
        raise UnusableFile(f"表头中有标准以外的列 {listed}（系统内部使用的列名）：请删除或改用报送模板中的列名")


def _checked_headers(headers: list[str]) -> list[str]:
    """Header limits every format shares: count, length, duplicates, reserved names."""
    if len(headers) > MAX_COLUMNS:
        raise UnusableFile(f"表头有 {len(headers):,} 列，超过 {MAX_COLUMNS} 列的上限：请使用报送模板的列")
    long = next((h for h in headers if len(h) > MAX_HEADER_CHARS), None)
    if long is not None:
        raise UnusableFile(f"表头中有超过 {MAX_HEADER_CHARS} 个字符的列名（「{long[:20]}…」）：第一行应为列名")
    if len(set(headers)) != len(headers):
        duplicated = sorted({h or "（空列名）" for h in headers if headers.count(h) > 1})
        raise UnusableFile(f"表头有重复的列：{'、'.join(duplicated)}")
    _reserved_headers(headers)
    return headers


def _nothing_under_unnamed_columns(source: TableSource) -> TableSource:
    """A column without a name is ignored by the header mapping; data under it would be lost silently,
    so the first value found there makes the file unusable (a trailing empty column is fine)."""
    unnamed = [h for h in source.headers if not h.strip()]
    if not unnamed:
        return source

    def checked(chunk: pl.DataFrame) -> pl.DataFrame:
        for header in unnamed:
            values = chunk.filter(trimmed(pl.col(header)).str.len_bytes() > 0)
            if values.height:
                column = source.headers.index(header) + 1
                raise UnusableFile(
                    f"第 {column} 列没有列名，但第 {values[ROW][0]} 行在该列填了数据：请补上列名或删除该列"
                )
        return chunk

    return _each_chunk(source, checked)


def _nul_rows_malformed(source: TableSource) -> TableSource:
    """A NUL character is no text anyone types, and PostgreSQL cannot store one: a row holding one (a
    damaged or binary line) is kept whole as a malformed row, rejected with its text, not read as values."""
    if not source.may_hold_nul:
        return source
    headers = source.headers

    def checked(chunk: pl.DataFrame) -> pl.DataFrame:
        schema = chunk.schema
        text = [h for h in headers if schema.get(h) == pl.String]
        damaged = pl.concat_str(text, ignore_nulls=True).str.contains("\x00", literal=True).fill_null(False)
        if not (text and chunk.height and chunk.select(damaged.any()).item()):
            return chunk
        for row in chunk.filter(damaged).iter_rows(named=True):
            line = ",".join("" if row[h] is None else str(row[h]) for h in headers)
            source.malformed.append(MalformedRow(row[ROW], line, len(headers), len(headers)))
        return chunk.filter(~damaged)

    return _each_chunk(source, checked)


def _each_chunk(source: TableSource, check: Callable[[pl.DataFrame], pl.DataFrame]) -> TableSource:
    """`source`, each of its chunks passed through `check` as it is read."""
    if source._chunks is not None:
        chunks = source._chunks
        source._chunks = (check(chunk) for chunk in chunks)
    return source


# --- JSON records ----------------------------------------------------------------------------------


def read_json_records(content: bytes) -> pl.DataFrame:
    """`[{field: value}, …]` or `{"records": [...]}` as a table, every value kept as text (a number or a
    nested value as its JSON), keys as sent; no `__row`. Bad JSON, nesting too deep for the parser, a
    key given twice in one record, a reserved key: UnusableFile, with that reason."""
    if len(content) > MAX_JSON_BYTES:
        raise UnusableFile(f"JSON 数据超过 {MAX_JSON_BYTES >> 20} MiB 上限：请分批推送")

    def no_repeats(pairs):
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            repeated = sorted({k for k in keys if keys.count(k) > 1})
            raise UnusableFile(f"JSON 记录中同一个键出现了多次：{'、'.join(repeated[:5])}")
        return dict(pairs)

    try:
        document = json.loads(content.decode("utf-8-sig"), object_pairs_hook=no_repeats)
    except UnicodeDecodeError:
        raise UnusableFile("JSON 数据不是有效的 UTF-8 编码：请以 UTF-8 编码推送") from None
    except json.JSONDecodeError as exc:
        raise UnusableFile(f"JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列）：{_json_problem(exc.msg)}") from None
    except RecursionError:
        raise UnusableFile("JSON 嵌套层数过深，不是记录的列表：请推送 [{字段: 值}, …] 形式的数据") from None
    records = document.get("records") if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UnusableFile("JSON 数据应为记录的列表（或含 records 列表的对象）：[{字段: 值}, …]")
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    if not columns:  # like an empty file: nothing to check, and not a file "missing required columns"
        raise UnusableFile("JSON 数据中没有任何记录" if not records else "JSON 记录中没有任何字段")
    _checked_headers(list(columns))
    try:
        as_text = [
            {k: (None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
             for k, v in record.items()}
            for record in records
        ]
    except RecursionError:
        raise UnusableFile("JSON 嵌套层数过深：记录的值应为文字或数字") from None
    return pl.DataFrame(as_text, schema={name: pl.String for name in columns})


def _json_problem(message: str) -> str:
    known = {
        "Expecting value": "缺少值或数据不完整",
        "Expecting ',' delimiter": "缺少逗号或数据不完整",
        "Expecting property name enclosed in double quotes": "键应使用英文双引号，或数据不完整",
        "Extra data": "数据末尾有多余内容",
        "Unterminated string starting at": "字符串缺少结尾的引号",
        "Invalid control character at": "字符串中有未转义的控制字符",
    }
    return next((text for prefix, text in known.items() if message.startswith(prefix)), "无法解析")


def _open_json(path: Path, chunk_rows: int) -> TableSource:
    with path.open("rb") as handle:
        content = handle.read(MAX_JSON_BYTES + 1)
    frame = read_json_records(content)
    frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW))
    source = TableSource(path=path, format="json", encoding="utf-8", headers=[c for c in frame.columns if c != ROW])
    source._chunks = iter([frame.slice(start, chunk_rows) for start in range(0, max(frame.height, 1), chunk_rows)])
    return source


# --- a landed batch (connectors/landing.py) ----------------------------------------------------------


def _open_landed(path: Path, chunk_rows: int) -> TableSource:
    """A batch as the landing zone keeps it: every value text, headers as received, `__record` the
    record's place in the batch, and a malformed line kept whole in `__malformed_text`."""
    try:
        frame = pl.read_parquet(path, glob=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UnusableFile(f"落地批次文件无法读取：{exc}") from None
    if LANDED_RECORD not in frame.columns:  # a Parquet file a unit made itself, not a landed batch
        raise UnusableFile("不支持的文件类型：Parquet。请提交报送模板格式的 CSV 或 XLSX 文件")
    if frame.width == 1 and frame.height == 0:
        # What a landing keeps of an input it could not decode: not a file "missing required columns".
        raise UnusableFile("批次中没有任何列和记录：原文件为空或在接收时无法读取（原因见接收记录）")
    headers = _checked_headers([c for c in frame.columns if c not in (LANDED_RECORD, MALFORMED_TEXT)])
    source = TableSource(path=path, format="landed", encoding=None, headers=headers)
    # Renamed and reordered without polars passes: a day validates thousands of batches of a few rows.
    frame.columns = [ROW if name == LANDED_RECORD else name for name in frame.columns]
    if MALFORMED_TEXT in frame.columns:
        broken = frame.filter(pl.col(MALFORMED_TEXT).is_not_null())
        source.malformed.extend(
            MalformedRow(row, text, len(headers), -1) for row, text in broken.select(ROW, MALFORMED_TEXT).iter_rows()
        )
        frame = frame.filter(pl.col(MALFORMED_TEXT).is_null()).drop(MALFORMED_TEXT)
    frame = pl.DataFrame([frame.get_column(name) for name in (*headers, ROW)])
    source._chunks = iter([frame.slice(start, chunk_rows) for start in range(0, frame.height, chunk_rows)])
    return source


# --- CSV -------------------------------------------------------------------------------------------


def _open_csv(path: Path, chunk_rows: int) -> TableSource:
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    complete = len(sample) < _SAMPLE_BYTES
    if not sample.strip():
        raise UnusableFile("文件是空的")
    if not sample.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _refuse_utf16_without_bom(sample)
        _refuse_binary(sample)
        _refuse_utf8_turning_into_gbk(sample)
    encoding = detect_encoding(sample)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=complete)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise UnusableFile("文件是空的（只有字节顺序标记 BOM 或空白）")
    newline = _line_mode(text, complete)
    headers = _checked_headers(_csv_headers(text))
    encoding = _whole_file_encoding(path, encoding, newline, sample.isascii())
    source = TableSource(path=path, format="csv", encoding=encoding, headers=headers,
                         may_hold_nul=b"\x00" in sample if complete else _holds_nul(path))
    source._chunks = _csv_chunks_fast_or_careful(path, encoding, newline, headers, chunk_rows, source.malformed)
    return source


def _holds_nul(path: Path) -> bool:
    with path.open("rb") as handle:
        while block := handle.read(_SAMPLE_BYTES * 8):
            if b"\x00" in block:
                return True
    return False


def _refuse_utf16_without_bom(sample: bytes) -> None:
    """UTF-16 without a BOM is valid UTF-8 full of NULs: say what it is rather than "binary"."""
    head = sample[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    # ASCII in UTF-16 puts a NUL in every other byte (Chinese puts none): NULs, all on one side.
    if len(head) >= 8 and even + odd >= len(head) * 0.05 and max(even, odd) >= 0.9 * (even + odd):
        raise UnusableFile("文件像是没有字节顺序标记（BOM）的 UTF-16 编码：请另存为 UTF-8 编码的 CSV 后再提交")


def _refuse_binary(sample: bytes) -> None:
    """A NUL in the header line, or NULs throughout, is binary data. A text file with a stray NUL in one
    row is read, and that row rejected whole (`_nul_rows_malformed`)."""
    head = sample[:8192]
    if b"\x00" in head.split(b"\n", 1)[0] or head.count(b"\x00") * 100 > len(head):
        raise UnusableFile("文件内容是二进制数据，不是 CSV 或 XLSX 文件：请提交报送模板格式的 CSV 或 XLSX 文件")


def _refuse_utf8_turning_into_gbk(sample: bytes) -> None:
    """UTF-8 Chinese text also decodes as GB18030 (into nonsense): a file whose first MiB holds Chinese
    in UTF-8 and then a GBK row would be read whole as GB18030 mojibake. GBK text itself fails UTF-8 at
    its first Chinese character, so Chinese read as UTF-8 before the first failure means mixed."""
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(sample, final=False)
    except UnicodeDecodeError as exc:
        before = sample[: exc.start].decode("utf-8")
        if sum(1 for ch in before if "\u4e00" <= ch <= "\u9fff") >= 2:
            line = before.count("\n") + 1
            raise UnusableFile(
                f"文件第 {line:,} 行（第 {exc.start:,} 字节附近）无法按 UTF-8 解码：文件混用了编码"
                "（前面的内容是 UTF-8，这里可能是 GBK）。请将整个文件另存为 UTF-8 编码后重新提交"
            ) from None


def _line_mode(text: str, complete: bool) -> str:
    """"\n" (LF or CRLF) or "\r" (old Mac files: CR only), from how the header line ends."""
    first_lf, first_cr = text.find("\n"), text.find("\r")
    if first_lf == -1 and first_cr == -1:
        if complete:
            return "\n"  # one line: a header and nothing else
        raise UnusableFile(f"文件第一行（表头）超过 {_SAMPLE_BYTES >> 20} MiB 或没有换行：第一行应为列名")
    if first_cr != -1 and (first_lf == -1 or first_cr < first_lf) and text[first_cr + 1 : first_cr + 2] != "\n":
        if first_lf != -1:
            raise UnusableFile("文件的换行符混用（有的行只用 CR 分隔，有的用 LF）：请用表格软件另存为 CSV 后再提交")
        return "\r"
    return "\n"


def _whole_file_encoding(path: Path, encoding: str, newline: str, ascii_head: bool) -> str:
    """The encoding holds for the whole file, not only the first MiB it was guessed from: a file that
    starts as UTF-8 and turns into GBK later is refused with the line where it turns (it would
    otherwise be read as GB18030 mojibake or fail half way). A file whose first MiB is plain ASCII
    carries no evidence of UTF-8, so GB18030 is tried for the whole file too."""
    try:
        if not (encoding in ("utf-8", "utf-8-sig") and _plainly_utf8(path, newline)):
            _check_decodes(path, encoding, newline)
        return encoding
    except UnusableFile:
        if encoding != "utf-8" or not ascii_head:
            raise
        try:
            _check_decodes(path, "gb18030", newline)
        except UnusableFile:
            pass
        else:
            return "gb18030"
        raise


_CODEC_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "gb18030": "GBK/GB18030"}


def _plainly_utf8(path: Path, newline: str) -> bool:
    """True when the file certainly passes `_check_decodes` as UTF-8, found without decoding it into
    Python text (which costs ~2 s of CPU per 700 MB of Chinese): arrow's UTF-8 validation on each block,
    and line lengths measured in bytes — never fewer than the line's characters. False means "not
    sure": `_check_decodes` then decides, and words the refusal."""
    if newline not in ("\n", "\r\n"):  # old Mac line ends are rare: the careful check does them
        return False
    longest, last_end, offset, carry = 0, -1, 0, b""
    with path.open("rb") as handle:
        while block := handle.read(_SAMPLE_BYTES * 8):
            # A character cut at the block's end is checked with the next block: carry its first bytes.
            cut = len(block)
            while cut > 0 and len(block) - cut < 4 and 0x80 <= block[cut - 1] < 0xC0:
                cut -= 1
            cut = cut - 1 if cut > 0 and block[cut - 1] >= 0xC0 else len(block)
            head = 0
            while head < min(len(block), 3) and 0x80 <= block[head] < 0xC0:
                head += 1
            view = memoryview(block)
            if not (_valid_utf8(carry + bytes(view[:head])) and _valid_utf8(view[head:cut])):
                return False
            carry = bytes(view[cut:])
            data = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(data == 0x0A)
            if newline == "\r\n":  # a bare LF inside a CRLF file ends no line (one cut at the block's start
                ends = ends[ends > 0]  # is missed: a longer line measured, never a shorter one)
                ends = ends[data[ends - 1] == 0x0D]
            if ends.size:
                gaps = np.diff(ends)
                longest = max(longest, int(ends[0]) + offset - last_end, int(gaps.max()) if gaps.size else 0)
                last_end = offset + int(ends[-1])
            offset += len(block)
    longest = max(longest, offset - last_end)
    return _valid_utf8(carry) and longest <= MAX_LINE_CHARS


def _valid_utf8(data) -> bool:
    buffers = [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)), pa.py_buffer(data)]
    try:
        pa.Array.from_buffers(pa.large_string(), 1, buffers).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _check_decodes(path: Path, encoding: str, newline: str) -> None:
    """The whole file decodes with `encoding`, keeps to one kind of line end and has no line longer than
    MAX_LINE_CHARS (one record of the standard is a few KB: a longer line is not a record)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = offset = run = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(_SAMPLE_BYTES * 8)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                start = max(exc.start, 0)
                line = lines + block[:start].count(newline.encode()) + 1
                raise UnusableFile(
                    f"文件第 {line:,} 行（第 {offset + start:,} 字节附近）无法按 {_CODEC_LABELS[encoding]} 解码："
                    "文件混用了编码。请将整个文件另存为 UTF-8（或 GBK）编码后重新提交"
                ) from None
            if newline == "\r" and "\n" in text:
                raise UnusableFile("文件的换行符混用（有的行只用 CR 分隔，有的用 LF）：请用表格软件另存为 CSV 后再提交")
            pieces = text.split(newline)
            longest = run + len(pieces[0]) if len(pieces) > 1 or not block else 0
            if len(pieces) > 2:
                longest = max(longest, *map(len, pieces[1:-1]))
            run = run + len(pieces[0]) if len(pieces) == 1 else len(pieces[-1])
            if max(longest, run) > MAX_LINE_CHARS:
                where = lines + (1 if longest > MAX_LINE_CHARS else len(pieces))
                raise UnusableFile(
                    f"文件第 {where:,} 行超过 {MAX_LINE_CHARS:,} 个字符：一行应是一条记录，请检查换行符或拆分内容"
                )
            if not block:
                return
            lines += len(pieces) - 1
            offset += len(block)


def _csv_chunks_fast_or_careful(
    path: Path, encoding: str, newline: str, headers: list[str], chunk_rows: int, malformed: list[MalformedRow]
) -> Iterator[pl.DataFrame]:
    """polars' streaming, multi-threaded CSV reader; a careful reader once a row does not fit.

    polars refuses a row with more values than the header. pyarrow (slower) can report such a row and
    go on, so the file is then read again by pyarrow, skipping the rows already handed out (they were
    all well-formed), and each malformed row is kept as a rejected row instead of being lost.
    """
    with tempfile.TemporaryDirectory(prefix="zfjd-read-") as scratch:
        plain = encoding in ("utf-8", "utf-8-sig") and newline == "\n"
        utf8 = path if plain else _transcode(path, encoding, newline, Path(scratch))
        names = [f"c{i}" for i in range(len(headers))]
        scan = pl.scan_csv(
            utf8, has_header=False, skip_rows=1, new_columns=names, schema={name: pl.String for name in names},
            raise_if_empty=False, glob=False,
        )
        handed_out = 0
        try:
            for batch in scan.collect_batches(chunk_size=max(chunk_rows, 1)):
                rows = pl.int_range(handed_out + 1, handed_out + 1 + batch.height, eager=True, dtype=pl.Int64)
                handed_out += batch.height
                named = batch.rename(dict(zip(names, headers, strict=True))).with_columns(rows.alias(ROW))
                yield without_blank_rows(named, headers)
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
            # ComputeError: a later row has too many values; SchemaError: the first one has.
            with utf8.open("rb") as handle:
                start = _header_end(handle)
            numbering = _RowNumbering()
            yield from _csv_chunks(utf8, headers, chunk_rows, malformed, start, numbering, skip=handed_out)


def _header_end(handle) -> int:
    """Byte offset just past the header record (the first newline outside quotes)."""
    handle.seek(0)
    head = handle.read(_SAMPLE_BYTES)
    position = -1
    while (position := head.find(b"\n", position + 1)) != -1:
        if head.count(b'"', 0, position) % 2 == 0:
            return position + 1
    raise UnusableFile("文件只有表头或表头不完整")


def _transcode(path: Path, encoding: str, newline: str, scratch: Path) -> Path:
    """A streaming pass to UTF-8 with LF line ends (GB18030 is read by Python's own codec, a superset
    of GBK). The whole file was checked to decode before, so this pass does not fail half way."""
    target = scratch / "utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as sink:
        while block := source.read(_SAMPLE_BYTES * 8):
            text = decoder.decode(block)
            sink.write(text.replace("\r", "\n") if newline == "\r" else text)
        sink.write(decoder.decode(b"", final=True))
    return target


def _csv_headers(text: str) -> list[str]:
    import csv

    try:
        first = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error as exc:
        raise UnusableFile(f"文件第一行（表头）无法读取：{exc}") from None
    if not first or not any(cell.strip() for cell in first):
        raise UnusableFile("文件第一行没有表头")
    if any("\x00" in cell for cell in first):
        raise UnusableFile("文件含有二进制内容（NUL 字符），不是文本 CSV：请提交报送模板格式的 CSV 或 XLSX 文件")
    return first


def _csv_chunks(
    path: Path,
    headers: list[str],
    chunk_rows: int,
    malformed: list[MalformedRow],
    start: int,
    numbering: _RowNumbering,
    skip: int = 0,
) -> Iterator[pl.DataFrame]:
    """pyarrow's reader of the UTF-8 file from byte `start` (the first data record): slower, but it
    reports malformed rows. The first `skip` well-formed rows were handed out already and are dropped."""
    names = [f"c{i}" for i in range(len(headers))]
    pending: list[MalformedRow] = []
    blank_lines: list[int] = []

    first_row = numbering.next

    def on_invalid_row(row) -> str:
        # pyarrow numbers the lines it reads from 1; rows before `start` were numbered already.
        number = first_row + row.number - 1 if row.number is not None else -1
        if row.text.strip(BLANK_CHARACTERS + ","):
            pending.append(MalformedRow(number, row.text, row.expected_columns, row.actual_columns))
        else:  # a blank line, or fewer separators than columns and nothing else: no record, but a number
            blank_lines.append(number)
        return "skip"

    handle = path.open("rb")
    handle.seek(start)
    reader = pacsv.open_csv(
        handle,
        read_options=pacsv.ReadOptions(
            encoding="utf8",
            column_names=names,
            skip_rows=0,
            block_size=8 << 20,
            use_threads=False,
        ),
        # Empty lines reach the handler (they have one column) so that the rows after them keep their numbers.
        parse_options=pacsv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid_row
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        ),
    )
    buffered: list[pa.RecordBatch] = []
    buffered_rows = 0

    def take_pending() -> None:
        numbering.skip([*(row.row for row in pending), *blank_lines])
        blank_lines.clear()
        # A short row among those already handed out was read (padded) by the fast reader: not lost.
        malformed.extend(row for row in pending if row.row > skip)
        pending.clear()

    def fresh(frame: pl.DataFrame) -> pl.DataFrame:
        return without_blank_rows(frame.filter(pl.col(ROW) > skip) if skip else frame, headers)

    try:
        for batch in reader:
            take_pending()
            buffered.append(batch)
            buffered_rows += batch.num_rows
            if buffered_rows >= chunk_rows:
                yield fresh(_to_frame(buffered, headers, numbering))
                buffered, buffered_rows = [], 0
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UnusableFile(f"文件无法按 CSV 读取（可能引号未闭合或已损坏）：{str(exc)[:200]}") from None
    finally:
        handle.close()
    take_pending()
    _refuse_an_unclosed_quote(malformed)
    if buffered or not malformed:
        yield fresh(_to_frame(buffered, headers, numbering))



def _refuse_an_unclosed_quote(malformed: list[MalformedRow]) -> None:
    """A quote opened and never closed makes every line after it one value, read to the end of the file:
    not one bad record but a file that cannot be read past that line."""
    last = malformed[-1] if malformed else None
    if last is not None and "\n" in last.text and last.text.count('"') % 2:
        lines = last.text.count("\n")
        raise UnusableFile(
            f"第 {last.row} 行有未闭合的英文双引号：其后 {lines} 行都被读成了同一个值，文件无法读取。"
            "请检查该行的双引号是否成对（内容中的双引号须写成两个）"
        )


def with_malformed_lines(frame, malformed: list[MalformedRow]):
    """`frame` (a DataFrame or LazyFrame with `__row`) plus one row per malformed line, its text in
    `__malformed_text`, in file order: a quarantine or a landing that keeps everything received."""
    if not malformed:
        return frame
    lines = pl.DataFrame(
        {ROW: [m.row for m in malformed], MALFORMED_TEXT: [m.text for m in malformed]},
        schema={ROW: pl.Int64, MALFORMED_TEXT: pl.String},
    )
    if isinstance(frame, pl.LazyFrame):
        lines = lines.lazy()
    return pl.concat([frame, lines], how="diagonal").sort(ROW)


class _RowNumbering:
    """Hands out data-row numbers to good rows, stepping over the numbers of malformed rows."""

    def __init__(self) -> None:
        self.next = 1
        self.skipped: set[int] = set()

    def skip(self, rows) -> None:
        self.skipped.update(rows)

    def take(self, count: int) -> list[int]:
        numbers = []
        while len(numbers) < count:
            if self.next not in self.skipped:
                numbers.append(self.next)
            self.next += 1
        return numbers


def _to_frame(batches: list[pa.RecordBatch], headers: list[str], numbering: _RowNumbering) -> pl.DataFrame:
    names = [f"c{i}" for i in range(len(headers))]
    if batches:
        frame = pl.from_arrow(pa.Table.from_batches(batches)).rename(dict(zip(names, headers, strict=True)))
    else:
        frame = pl.DataFrame({header: pl.Series([], dtype=pl.String) for header in headers})
    if numbering.skipped:
        rows = pl.Series(ROW, numbering.take(frame.height), dtype=pl.Int64)
    else:
        rows = pl.int_range(numbering.next, numbering.next + frame.height, eager=True, dtype=pl.Int64).alias(ROW)
        numbering.next += frame.height
    return frame.with_columns(rows)


# --- XLSX ------------------------------------------------------------------------------------------


def _open_xlsx(path: Path, sheet_hint: tuple[str, ...], chunk_rows: int) -> TableSource:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    parts = _checked_workbook(path)
    try:
        # From the open file, not the path: calamine would choose its reader by the name's suffix.
        with path.open("rb") as handle:
            workbook = CalamineWorkbook.from_filelike(handle)
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise UnusableFile(f"XLSX 文件无法打开（可能已损坏或受密码保护）：{str(exc)[:200]}") from None
    # A hidden sheet is what its author put away (an old version, a lookup list): never the data.
    visible = [sheet.name for sheet in workbook.sheets_metadata
               if sheet.visible == SheetVisibleEnum.Visible and sheet.typ == SheetTypeEnum.WorkSheet]
    named = [name for name in visible if name in sheet_hint]
    # The sheet named after the entity; else the visible sheets in order, the first whose first row is a
    # header (two or more cells: an instructions sheet's first row is one line of text, an empty one none).
    candidates = named[:1] or [name for name in visible if name not in _INSTRUCTION_SHEETS]
    if not candidates:
        raise UnusableFile("XLSX 文件中没有可见的数据工作表")
    for chosen in candidates:
        rows, header_row = _sheet_rows(workbook, path, parts, chosen)
        filled = [cell for cell in header_row or () if _cell_text(cell)]
        if len(filled) >= 2 or chosen == candidates[-1]:
            break
    if header_row is None or not filled:
        raise UnusableFile(f"工作表「{chosen}」第一行没有表头")
    if len(filled) == 1:
        raise UnusableFile(
            f"工作表「{chosen}」第一行只有一个单元格（「{_cell_text(filled[0])[:50]}」），不是表头："
            "表头须在第一行，请删除表头上方的标题或说明行"
        )
    headers = [_cell_text(cell) or "" for cell in header_row]
    while headers and headers[-1] == "":
        headers.pop()
    source = TableSource(path=path, format="xlsx", encoding=None, headers=_checked_headers(headers), sheet=chosen,
                         may_hold_nul=False)  # XML cannot hold a NUL
    source._chunks = _xlsx_chunks(rows, headers, chunk_rows, source.malformed)
    return source


def _sheet_rows(workbook, path: Path, parts: dict[str, str], sheet: str):
    """The rows of `sheet` (its extent checked before calamine loads it) and its first row."""
    _check_sheet_extent(path, _parts_to_check(path, parts.get(sheet)), sheet)
    try:
        rows = workbook.get_sheet_by_name(sheet).iter_rows()
        return rows, next(rows, None)
    except Exception as exc:  # a sheet calamine cannot parse
        raise UnusableFile(f"工作表「{sheet}」无法读取（文件可能已损坏）：{str(exc)[:200]}") from None


_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SMALL_PART = 4 << 20  # workbook.xml and its relationships: read whole, and parsed


def _checked_workbook(path: Path) -> dict[str, str]:
    """Checks the zip before anything inflates it: a workbook (not another zip), no part bigger than the
    limits once inflated or inflating out of proportion (a bomb). Returns sheet name → worksheet part."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnusableFile("XLSX 文件无法打开（压缩包已损坏或不完整）：请重新另存为 .xlsx 后提交") from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        if "xl/workbook.xml" not in members:
            if "xl/workbook.bin" in members:
                raise UnusableFile("不支持 .xlsb（Excel 二进制工作簿）格式，请另存为 .xlsx 或 CSV")
            if "content.xml" in members and "mimetype" in members:
                raise UnusableFile("不支持 OpenDocument（.ods 等）格式，请另存为 .xlsx 或 CSV")
            raise UnusableFile("文件是 ZIP 压缩包而不是 XLSX 工作簿：请解压后提交其中的 CSV 或 XLSX 文件")
        for info in members.values():
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_XLSX_PART_BYTES or (info.file_size > _BOMB_FLOOR and ratio > MAX_XLSX_RATIO):
                raise UnusableFile(
                    f"XLSX 文件解压后过大（{info.filename} 解压后 {info.file_size >> 20:,} MiB，压缩比 {ratio:,.0f}）："
                    "请删除多余内容后另存，或改用 CSV"
                )
        return _sheet_parts(archive, members)


def _sheet_parts(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict[str, str]:
    def small_xml(name: str):
        if name not in members or members[name].file_size > _SMALL_PART:
            return None
        try:
            return ElementTree.fromstring(archive.read(name))
        except (ElementTree.ParseError, zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError):
            raise UnusableFile(f"XLSX 文件已损坏（{name} 无法解析）：请重新另存为 .xlsx 后提交") from None

    workbook, relations = small_xml("xl/workbook.xml"), small_xml("xl/_rels/workbook.xml.rels")
    if workbook is None or relations is None:
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in relations.iter(_RELATIONSHIPS)}
    parts = {}
    for sheet in workbook.iter():
        if sheet.tag.endswith("}sheet") and sheet.get(_OFFICE_REL_ID) in targets:
            target = targets[sheet.get(_OFFICE_REL_ID)]
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
            parts[sheet.get("name", "")] = os.path.normpath(part)
    return parts


# `r="…"` in sheet XML is a cell's reference (letters and digits) or a row's number (digits only); other
# elements name ranges with `ref`/`sqref`. One pattern with a literal start keeps the scan near XML
# speed (measured: 21 MB of sheet XML, 650,000 references, 0.5 s).
_REFERENCE = re.compile(rb' r="\$?([A-Za-z]{0,4})\$?(\d{1,9})"')


_SHARED_CELL = re.compile(rb't="s"[^>]{0,200}>\s*<(?:\w+:)?v>(\d{1,9})<')
_SHARED_ITEM = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>", re.DOTALL)


def _shared_string_sizes(path: Path) -> list[int]:
    """The size in bytes of each shared string (its XML, an upper bound of its text), streamed."""
    sizes: list[int] = []
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith("sharedstrings.xml")]
            if not names:
                return sizes
            with archive.open(names[0]) as stream:
                tail = b""
                while block := stream.read(8 << 20):
                    text = tail + block
                    # Cut after the last whole item: positions in this list are the strings' indexes.
                    end = text.rfind(b"</si>")
                    text, tail = (text[: end + 5], text[end + 5 :]) if end != -1 else (b"", text)
                    sizes.extend(map(len, _SHARED_ITEM.findall(text)))
                    if len(tail) > MAX_XLSX_PART_BYTES:
                        break
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError):
        raise UnusableFile("XLSX 文件已损坏（共享字符串表无法解压）：请重新另存为 .xlsx 后提交") from None
    return sizes


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _parts_to_check(path: Path, part: str | None) -> list[str]:
    """The chosen sheet's part; every worksheet part when the workbook's relationships do not say
    which one it is (calamine may resolve them differently: no sheet goes unchecked)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if part in names:
        return [part]
    return [name for name in names if name.startswith("xl/worksheets/") and name.endswith(".xml")]


def _check_sheet_extent(path: Path, parts: list[str], sheet: str) -> None:
    """calamine holds a sheet as a dense grid from A1 to its farthest cell: one value in XFD1048576 is
    17 billion cells. The farthest cell is read from the sheet's XML itself (its `<dimension>` may lie),
    streamed through zipfile, which inflates no more than the part's declared size and checks its CRC."""
    for part in parts:
        _check_part_extent(path, part, sheet)


def _check_part_extent(path: Path, part: str, sheet: str) -> None:
    rows = columns = cells = row_tags = expanded = 0
    shared = _shared_string_sizes(path)
    tail = b""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
            while block := stream.read(8 << 20):
                text = tail + block
                cut = text.rfind(b"<")
                text, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
                references = _REFERENCE.findall(text)
                if references:
                    # Distinct values first: a block has few columns and at most a few thousand rows.
                    letters = {letter for letter, _ in references} - {b""}
                    if letters:
                        columns = max(columns, max(map(_column_number, letters)))
                    rows = max(rows, max(map(int, {number for _, number in references})))
                cells += text.count(b"<c ") + text.count(b"<c>")
                # A shared string is stored once and copied into every cell that names it (one long
                # text named by every row was 157 MB of reports from 156 KB): count the copies.
                for index, times in Counter(_SHARED_CELL.findall(text)).items():
                    position = int(index)
                    expanded += times * (shared[position] if position < len(shared) else 0)
                if expanded > MAX_XLSX_TEXT_BYTES:
                    raise UnusableFile(
                        f"工作表「{sheet}」的文字展开后超过 {MAX_XLSX_TEXT_BYTES >> 20} MiB"
                        "（同一段长文字被大量单元格引用）：请删除多余内容后另存，或改用 CSV 报送"
                    )
                row_tags += text.count(b"<row")
                _refuse_extent(sheet, max(rows, row_tags), columns, cells)
    except KeyError:
        return  # calamine names the part missing in its own words
    except UnusableFile:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError):
        raise UnusableFile(f"XLSX 文件已损坏（工作表「{sheet}」无法解压）：请重新另存为 .xlsx 后提交") from None


def _refuse_extent(sheet: str, rows: int, columns: int, cells: int) -> None:
    if columns > MAX_COLUMNS or rows * columns > MAX_XLSX_CELLS or cells > MAX_XLSX_CELLS:
        raise UnusableFile(
            f"工作表「{sheet}」的数据范围过大（{rows:,} 行 × {columns:,} 列，远处的单元格也有内容），"
            f"超过 {MAX_XLSX_CELLS:,} 个单元格的上限：请删除表格远处的内容后另存，或改用 CSV 报送"
        )


def _xlsx_chunks(rows, headers: list[str], chunk_rows: int, malformed: list[MalformedRow]) -> Iterator[pl.DataFrame]:
    width = len(headers)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell_text(cell) for cell in row]
        if not any(cell and cell.strip(BLANK_CHARACTERS) for cell in cells):
            continue  # blank spreadsheet rows are not records; numbering still follows the sheet
        if any(cells[width:]):
            malformed.append(MalformedRow(number, "\t".join(c or "" for c in cells), width, len(cells)))
            continue
        cells = (cells + [None] * width)[:width]
        for column, cell in zip(columns, cells, strict=True):
            column.append(cell)
        numbers.append(number)
        if len(numbers) >= chunk_rows:
            yield _xlsx_frame(headers, columns, numbers)
            columns, numbers = [[] for _ in range(width)], []
    if numbers or not malformed:
        yield _xlsx_frame(headers, columns, numbers)


def _xlsx_frame(headers: list[str], columns: list[list[str | None]], numbers: list[int]) -> pl.DataFrame:
    data = {header: pl.Series(header, column, dtype=pl.String) for header, column in zip(headers, columns, strict=True)}
    return pl.DataFrame(data).with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))


def _cell_text(cell) -> str | None:
    """A spreadsheet cell as the text a person sees: dates as ISO, whole numbers without `.0`."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, bool):
        return "Y" if cell else "N"
    if isinstance(cell, float):
        if cell.is_integer() and abs(cell) < 1e15:
            return str(int(cell))
        return format(cell, ".15g")
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, dt.datetime):
        if cell.time() == dt.time(0):
            return cell.date().isoformat()
        return cell.isoformat(sep=" ", timespec="seconds")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, dt.time):
        return cell.isoformat(timespec="seconds")
    if isinstance(cell, dt.timedelta):
        return str(cell)
    text = str(cell)
    return text if text.strip() else None
