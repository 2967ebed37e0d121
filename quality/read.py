"""Reads a unit's file as text, exactly as sent, in bounded chunks.

CSV in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK (detected, never asked for), and
XLSX. Every value comes out as a string (or null when the cell is empty); nothing is interpreted
here. Each chunk carries `__row`, the 1-based data row of the file (the first row under the header
is 1). A CSV row whose number of values differs from the header is not dropped: it is reported as a
malformed row, so that received = accepted + rejected still holds.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

ROW = "__row"
MALFORMED_TEXT = "__malformed_text"
DEFAULT_CHUNK_ROWS = 100_000
_SAMPLE_BYTES = 1 << 20
_INSTRUCTION_SHEETS = {"填报说明", "代码表"}


class UnusableFile(ValueError):
    """The file as a whole cannot be read; the message is one Chinese sentence for the unit."""


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


def open_table(path: Path, *, sheet_hint: tuple[str, ...] = (), chunk_rows: int = DEFAULT_CHUNK_ROWS) -> TableSource:
    path = Path(path)
    if not path.is_file():
        raise UnusableFile(f"找不到文件：{path.name}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path, sheet_hint, chunk_rows)
    if suffix in (".csv", ".txt", ""):
        return _open_csv(path, chunk_rows)
    if suffix == ".parquet":
        return _open_landed(path, chunk_rows)
    if suffix == ".xls":
        raise UnusableFile("不支持旧版 .xls 文件：请另存为 .xlsx 或 CSV 后再提交")
    raise UnusableFile(f"不支持的文件类型 {suffix}：请提交 CSV 或 XLSX 文件")


# --- a landed batch (connectors/landing.py) ----------------------------------------------------------

LANDED_RECORD = "__record"


def _open_landed(path: Path, chunk_rows: int) -> TableSource:
    """A batch as the landing zone keeps it: every value text, headers as received, `__record` the
    record's place in the batch, and a malformed line kept whole in `__malformed_text`."""
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UnusableFile(f"落地批次文件无法读取：{exc}") from None
    if LANDED_RECORD not in frame.columns:
        raise UnusableFile("落地批次文件缺少记录序号列 __record")
    headers = [c for c in frame.columns if c not in (LANDED_RECORD, MALFORMED_TEXT)]
    source = TableSource(path=path, format="landed", encoding=None, headers=headers)
    frame = frame.rename({LANDED_RECORD: ROW})
    if MALFORMED_TEXT in frame.columns:
        broken = frame.filter(pl.col(MALFORMED_TEXT).is_not_null())
        source.malformed.extend(
            MalformedRow(row, text, len(headers), -1) for row, text in broken.select(ROW, MALFORMED_TEXT).iter_rows()
        )
        frame = frame.filter(pl.col(MALFORMED_TEXT).is_null()).drop(MALFORMED_TEXT)
    frame = frame.select(*headers, ROW)
    source._chunks = iter([frame.slice(start, chunk_rows) for start in range(0, frame.height, chunk_rows)])
    return source


# --- CSV -------------------------------------------------------------------------------------------


def _open_csv(path: Path, chunk_rows: int) -> TableSource:
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if not sample.strip():
        raise UnusableFile("文件是空的")
    encoding = detect_encoding(sample)
    headers = _csv_headers(sample, encoding)
    if len(set(headers)) != len(headers):
        duplicated = sorted({h for h in headers if headers.count(h) > 1})
        raise UnusableFile(f"表头有重复的列：{'、'.join(duplicated)}")
    source = TableSource(path=path, format="csv", encoding=encoding, headers=headers)
    source._chunks = _csv_chunks_fast_or_careful(path, encoding, headers, chunk_rows, source.malformed)
    return source


def _csv_chunks_fast_or_careful(
    path: Path, encoding: str, headers: list[str], chunk_rows: int, malformed: list[MalformedRow]
) -> Iterator[pl.DataFrame]:
    """polars' streaming, multi-threaded CSV reader; a careful reader once a row does not fit.

    polars refuses a row with more values than the header. pyarrow (slower) can report such a row and
    go on, so the file is then read again by pyarrow, skipping the rows already handed out (they were
    all well-formed), and each malformed row is kept as a rejected row instead of being lost.
    """
    with tempfile.TemporaryDirectory(prefix="zfjd-read-") as scratch:
        utf8 = path if encoding in ("utf-8", "utf-8-sig") else _transcode(path, encoding, Path(scratch))
        names = [f"c{i}" for i in range(len(headers))]
        scan = pl.scan_csv(
            utf8, has_header=False, skip_rows=1, new_columns=names, schema={name: pl.String for name in names},
            raise_if_empty=False,
        )
        handed_out = 0
        try:
            for batch in scan.collect_batches(chunk_size=max(chunk_rows, 1)):
                rows = pl.int_range(handed_out + 1, handed_out + 1 + batch.height, eager=True, dtype=pl.Int64)
                handed_out += batch.height
                yield batch.rename(dict(zip(names, headers, strict=True))).with_columns(rows.alias(ROW))
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


def _transcode(path: Path, encoding: str, scratch: Path) -> Path:
    """A streaming pass to UTF-8 (GB18030 is read by Python's own codec, a superset of GBK)."""
    target = scratch / "utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as sink:
            while block := source.read(_SAMPLE_BYTES * 8):
                sink.write(decoder.decode(block))
            sink.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise UnusableFile(f"文件无法按 {encoding} 解码（第 {exc.start} 字节附近混入了其他编码的内容）") from None
    return target


def _csv_headers(sample: bytes, encoding: str) -> list[str]:
    import csv

    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    first = next(csv.reader(io.StringIO(text)), None)
    if not first or not any(cell.strip() for cell in first):
        raise UnusableFile("文件第一行没有表头")
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

    first_row = numbering.next

    def on_invalid_row(row) -> str:
        # pyarrow numbers the lines it reads from 1; rows before `start` were numbered already.
        number = first_row + row.number - 1 if row.number is not None else -1
        pending.append(MalformedRow(number, row.text, row.expected_columns, row.actual_columns))
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
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
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
        numbering.skip(row.row for row in pending)
        # A short row among those already handed out was read (padded) by the fast reader: not lost.
        malformed.extend(row for row in pending if row.row > skip)
        pending.clear()

    def fresh(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(pl.col(ROW) > skip) if skip else frame

    try:
        for batch in reader:
            take_pending()
            buffered.append(batch)
            buffered_rows += batch.num_rows
            if buffered_rows >= chunk_rows:
                yield fresh(_to_frame(buffered, headers, numbering))
                buffered, buffered_rows = [], 0
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UnusableFile(f"文件无法读取（可能混用了编码或已损坏）：{exc}") from None
    finally:
        handle.close()
    take_pending()
    if buffered or not malformed:
        yield fresh(_to_frame(buffered, headers, numbering))



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
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken archives
        raise UnusableFile(f"XLSX 文件无法打开（可能已损坏或受密码保护）：{exc}") from None
    names = list(workbook.sheet_names)
    chosen = next((name for name in names if name in sheet_hint), None)
    if chosen is None:
        data_sheets = [name for name in names if name not in _INSTRUCTION_SHEETS]
        if not data_sheets:
            raise UnusableFile("XLSX 文件中没有数据工作表")
        chosen = data_sheets[0]
    rows = workbook.get_sheet_by_name(chosen).iter_rows()
    header_row = next(rows, None)
    if header_row is None or not any(_cell_text(cell) for cell in header_row):
        raise UnusableFile(f"工作表「{chosen}」第一行没有表头")
    headers = [_cell_text(cell) or "" for cell in header_row]
    while headers and headers[-1] == "":
        headers.pop()
    source = TableSource(path=path, format="xlsx", encoding=None, headers=headers, sheet=chosen)
    source._chunks = _xlsx_chunks(rows, headers, chunk_rows, source.malformed)
    return source


def _xlsx_chunks(rows, headers: list[str], chunk_rows: int, malformed: list[MalformedRow]) -> Iterator[pl.DataFrame]:
    width = len(headers)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell_text(cell) for cell in row]
        if not any(cells):
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
