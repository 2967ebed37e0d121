"""The file-drop channel: CSV (UTF-8 / GB18030) and XLSX files that units upload to an inbox; and the
platform-push channel, the same mechanism with JSON batches the provincial platform delivers.

Layout (one folder per reporting unit and entity, created by the registry, never named by a file):
    inbox/<unit>/<entity>/<any file name>      where units' uploads arrive
    processing/<unit>/<entity>/<taken name>    a file taken for landing (moved atomically)
    archive/<unit>/<entity>/<batch_id>-<name>  landed files, kept (never deleted)

A file is taken only when it is complete (docs/intake.md, "Uploading a file"): names an upload tool uses
while writing (`.part`, `.tmp`, `.uploading`, dot-files) are skipped, and so is a file changed within
the last `settle_seconds`; a file whose size or modification time changes while it is being taken is put
back for the next pass. It is moved into processing/ before it is read, so two pullers never take the
same file, and a crash leaves it there to be landed again (same content → same batch, no new rows).

The file's name is only ever a label: never joined into a path as given, never used to choose how the
bytes are read (XLSX, CSV and JSON are told apart by their content), shown only with control characters
made visible. The inbox is opened without following symbolic links, folder by folder: a unit that
replaces its inbox (or a file in it) with a link is refused with the reason, and cannot take another
unit's files. A file that cannot be read is landed as received with its reason (the lake quarantines
it and the unit's feedback says why) and archived: it never stays in processing/ to block the next one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from connectors.landing import Landing, Manifest, RawBatch
from connectors.limits import (
    MAX_INPUT_BYTES,
    MAX_RECORDS,
    check_json_size_and_depth,
    check_names,
    check_xlsx,
    records_problem,
    shown,
)
from quality.read import ROW, UnusableFile, open_table, with_malformed_lines

CHANNEL = "file_drop"
INCOMPLETE_SUFFIXES = (".part", ".tmp", ".uploading", ".crdownload", "~")
_UNSAFE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._-]+")
_SAFE_PART = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_LABEL_CHARS = 120
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOM = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# A file whose reading was started this many times without finishing (the process died: a reader
# aborting on a crafted workbook, memory exhausted) is quarantined unread instead of killing every run.
MAX_READ_ATTEMPTS = 2


@dataclass(frozen=True)
class TakenFile:
    unit: str
    entity: str
    path: Path  # inside processing/
    original_name: str
    seen: tuple[int, int] | None = None  # (size, mtime_ns) when it was judged complete; None: a leftover


@dataclass(frozen=True)
class Refusal:
    """Something in a unit's inbox that is not taken, and why (a Chinese sentence)."""

    name: str
    reason: str


@dataclass(frozen=True)
class DropOutcome:
    original_name: str
    manifest: Manifest | None
    new: bool
    problem: str | None = None  # a Chinese sentence when the file could not be read or was refused


def safe_label(name: str) -> str:
    """A file name reduced to characters that cannot form a path (for archive names and logs); long
    names keep their end, so the label still shows the suffix the unit gave."""
    label = _UNSAFE.sub("_", Path(name).name).strip("._") or "file"
    if len(label) <= _LABEL_CHARS:
        return label
    stem, dot, suffix = label.rpartition(".")
    if dot and 0 < len(suffix) <= 16:
        return f"{stem[: _LABEL_CHARS - len(suffix) - 1]}.{suffix}"
    return label[:_LABEL_CHARS]


def display_name(name: str, limit: int = 200) -> str:
    """A file name as recorded in a manifest and shown to people: as given, but with control
    characters and undecodable bytes made visible, and cut to `limit` characters."""
    return shown(name, limit)


class InboxRefused(Exception):
    pass


class FileDrop:
    def __init__(self, root: Path, *, channel: str = CHANNEL, settle_seconds: float = 5.0, clock=time.time,
                 content: str | None = None) -> None:
        self.root = Path(root)
        self.channel = channel
        self.settle_seconds = settle_seconds
        self.clock = clock
        self.content = content  # "json": every file is a JSON batch (the platform's pushes)

    def inbox(self, unit: str, entity: str) -> Path:
        return self.root / "inbox" / unit / entity

    def open_inbox(self, unit: str, entity: str) -> Path:
        folder = self.inbox(unit, entity)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _open_folder(self, *parts: str) -> int:
        """A descriptor of root/parts…, each part opened without following a link (no part may be one)."""
        for part in parts:
            if not _SAFE_PART.fullmatch(part):
                raise InboxRefused(f"目录名 {shown(part)} 不能作为收件目录")
        descriptor = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts:
                try:
                    following = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=descriptor)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        where = "/".join(parts[: parts.index(part) + 1])
                        raise InboxRefused(
                            f"收件目录 {where} 是符号链接或不是目录，已拒绝读取：请勿用链接替换收件目录"
                        ) from None
                    raise
                os.close(descriptor)
                descriptor = following
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor

    def _settled(self, status: os.stat_result) -> bool:
        return self.clock() - status.st_mtime >= self.settle_seconds

    def take(self, unit: str, entity: str) -> Iterator[TakenFile | Refusal]:
        """Files left in processing/ by an interrupted run first, then complete files from the inbox;
        what is refused (links, a linked inbox) as a Refusal."""
        processing = self.root / "processing" / unit / entity
        try:
            processing.mkdir(parents=True, exist_ok=True)
            waiting = self._open_folder("processing", unit, entity)
        except InboxRefused as refused:
            yield Refusal("processing", str(refused))
            return
        try:
            for name in sorted(os.listdir(waiting)):
                status = os.stat(name, dir_fd=waiting, follow_symlinks=False)
                if not name.startswith(".") and stat.S_ISREG(status.st_mode):
                    yield TakenFile(unit, entity, processing / name, name.split("-", 1)[-1])
            try:
                inbox = self._open_folder("inbox", unit, entity)
            except FileNotFoundError:
                return
            except InboxRefused as refused:
                yield Refusal(f"inbox/{unit}/{entity}", str(refused))
                return
            try:
                yield from self._take_from(inbox, waiting, processing, unit, entity)
            finally:
                os.close(inbox)
        finally:
            os.close(waiting)

    def _take_from(self, inbox: int, waiting: int, processing: Path, unit: str, entity: str):
        candidates = []
        for name in os.listdir(inbox):
            try:
                status = os.stat(name, dir_fd=inbox, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(status.st_mode):
                yield Refusal(name, f"文件 {display_name(name, 80)} 是符号链接，已拒绝读取：请上传文件本身")
                continue
            if name.startswith(".") or name.endswith(INCOMPLETE_SUFFIXES):
                continue
            if not stat.S_ISREG(status.st_mode):  # told once (the same refusal is the same batch), left in place
                kind = "文件夹" if stat.S_ISDIR(status.st_mode) else "管道、设备等特殊文件"
                reason = f"{display_name(name, 80)} 是{kind}，不是普通文件，未读取：请把要报送的文件直接放在收件目录中"
                yield Refusal(name, reason)
                continue
            if self._settled(status):
                candidates.append((status.st_mtime, name, status))
        for _, name, status in sorted(candidates):
            taken_name = f"{time.time_ns()}-{safe_label(name)}"
            try:
                # atomic on one file system; a second puller gets FileNotFoundError
                os.rename(name, taken_name, src_dir_fd=inbox, dst_dir_fd=waiting)
            except FileNotFoundError:
                continue
            moved = os.stat(taken_name, dir_fd=waiting, follow_symlinks=False)
            if (moved.st_dev, moved.st_ino) != (status.st_dev, status.st_ino) or not stat.S_ISREG(moved.st_mode):
                # replaced between the look and the move: put back whatever it is, untouched
                os.rename(taken_name, _free_name(inbox, name), src_dir_fd=waiting, dst_dir_fd=inbox)
                continue
            yield TakenFile(unit, entity, processing / taken_name, name, (status.st_size, status.st_mtime_ns))

    def land_all(self, unit: str, entity: str, landing: Landing) -> list[DropOutcome]:
        outcomes = []
        for taken in self.take(unit, entity):
            if isinstance(taken, Refusal):
                outcomes.append(self._record_refusal(unit, entity, taken, landing))
                continue
            outcome = self._land_one(taken, landing)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _record_refusal(self, unit: str, entity: str, refusal: Refusal, landing: Landing) -> DropOutcome:
        """A refusal is landed as a batch with no records whose content is the refusal itself: the lake
        records its reason for the unit's feedback (once: the same refusal again is the same batch)."""
        note = json.dumps({"refused": refusal.name, "reason": refusal.reason}, ensure_ascii=False).encode("utf-8")
        manifest, new = landing.land(RawBatch(unit=unit, entity=entity, channel=self.channel, content=note,
                                              records=pl.DataFrame(), source_name=display_name(refusal.name),
                                              problem=refusal.reason))
        return DropOutcome(refusal.name, manifest, new, refusal.reason)

    def _land_one(self, taken: TakenFile, landing: Landing) -> DropOutcome | None:
        size = os.stat(taken.path, follow_symlinks=False).st_size
        source_name = display_name(taken.original_name)
        try:
            descriptor = os.open(taken.path, os.O_RDONLY | os.O_NOFOLLOW)
        except PermissionError:
            # Its bytes cannot be kept in the landing zone: the file itself is kept, set aside unread.
            kept = self._set_aside(taken)
            name = display_name(taken.original_name, 80)
            reason = f"文件 {name} 没有读取权限，无法接收：已另存为 {kept.name}，请重新上传"
            return self._record_refusal(taken.unit, taken.entity, Refusal(taken.original_name, reason), landing)
        os.close(descriptor)
        if size > MAX_INPUT_BYTES:
            # not read at all: the file is copied to the landing zone as it is, and quarantined
            problem = f"文件大小 {size:,} 字节，超过上限 {MAX_INPUT_BYTES:,} 字节：请拆分为多个文件后提交"
            batch = RawBatch(unit=taken.unit, entity=taken.entity, channel=self.channel, content=b"",
                             records=pl.DataFrame(), source_name=source_name, problem=problem, raw_file=taken.path)
        else:
            content, now = _read_own_file(taken.path)
            if taken.seen is not None and (now != taken.seen or len(content) != taken.seen[0]):
                self._put_back(taken)  # still being written: the next pass takes it whole
                return None
            attempts = _attempts(taken.path)
            if attempts >= MAX_READ_ATTEMPTS:
                records, problem = pl.DataFrame(), (
                    f"读取此文件时程序已 {attempts} 次异常终止（可能是构造的超大或畸形文件），已隔离未读："
                    "请检查文件后重新提交"
                )
            else:
                _attempts(taken.path, attempts + 1)
                try:
                    records, problem = decode_content(taken.path, content, expect=self.content), None
                except UnusableFile as exc:
                    records, problem = pl.DataFrame(), str(exc)
                except Exception as exc:  # whatever a reader raises, the file is quarantined, never stuck
                    records, problem = pl.DataFrame(), unreadable_reason(exc)
            batch = RawBatch(unit=taken.unit, entity=taken.entity, channel=self.channel, content=content,
                             records=records, source_name=source_name, problem=problem)
        manifest, new = landing.land(batch)

        def taken_for_good() -> None:  # only once the batch is durable: until then a re-run takes it again
            if not taken.path.exists():  # taken twice in one group (a second pass): archived by the first
                return
            self._archive(taken, manifest.batch_id)
            _attempts_file(taken.path).unlink(missing_ok=True)

        landing.after_durable(taken_for_good)
        return DropOutcome(taken.original_name, manifest, new, manifest.problem)

    def _put_back(self, taken: TakenFile) -> None:
        inbox = self._open_folder("inbox", taken.unit, taken.entity)
        try:
            os.rename(taken.path, _free_name(inbox, taken.original_name), dst_dir_fd=inbox)
        finally:
            os.close(inbox)

    def _set_aside(self, taken: TakenFile) -> Path:
        folder = self.root / "archive" / taken.unit / taken.entity
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"unreadable-{time.time_ns()}-{safe_label(taken.original_name)}"
        taken.path.rename(target)
        _attempts_file(taken.path).unlink(missing_ok=True)
        return target

    def _archive(self, taken: TakenFile, batch_id: str) -> None:
        archive = self.root / "archive" / taken.unit / taken.entity
        archive.mkdir(parents=True, exist_ok=True)
        target = archive / f"{batch_id}-{safe_label(taken.original_name)}"
        if target.exists():  # the same content arrived again: keep both copies
            target = archive / f"{batch_id}-{time.time_ns()}-{safe_label(taken.original_name)}"
        taken.path.rename(target)


def _free_name(folder: int, name: str) -> str:
    """`name`, or a new label for it when the unit has since written another file of that name."""
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return name
    return f"{time.time_ns()}-{safe_label(name)}"


def _attempts_file(path: Path) -> Path:
    return path.with_name(f".{path.name}.attempts")


def _attempts(path: Path, count: int | None = None) -> int:
    """How many times reading the taken file was started (or, with `count`, records it)."""
    marker = _attempts_file(path)
    if count is None:
        try:
            return int(marker.read_text(encoding="ascii") or 0)
        except (FileNotFoundError, ValueError):
            return 0
    # Not flushed to disk: what it counts is the process dying while reading, and the page cache
    # outlives a process; a power loss in between costs the file one more attempt at most.
    marker.write_text(str(count), encoding="ascii")
    return count


def _read_own_file(path: Path) -> tuple[bytes, tuple[int, int]]:
    """The bytes of a taken file (never through a link), and its (size, mtime_ns) after reading."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        content = handle.read()
        status = os.fstat(handle.fileno())
    return content, (status.st_size, status.st_mtime_ns)


def unreadable_reason(exc: BaseException) -> str:
    """A reader's unexpected failure as the Chinese reason recorded for the unit."""
    detail = shown(f"{type(exc).__name__}: {exc}", 160)
    if isinstance(exc, UnicodeDecodeError) or "utf8" in str(exc).lower().replace("-", ""):
        return f"文件中混有无法按同一种编码解码的内容（可能混用了 UTF-8 与 GBK），请统一编码后重新提交（{detail}）"
    if isinstance(exc, MemoryError | RecursionError):
        return f"文件结构过于复杂或过大，无法读取（{detail}）"
    return f"文件无法读取（可能已损坏）：{detail}"


def decode(path: Path, *, expect: str | None = None) -> pl.DataFrame:
    """The file's records as text, headers as received; a malformed line is kept as its text."""
    path = Path(path)
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise UnusableFile(f"文件大小超过上限 {MAX_INPUT_BYTES:,} 字节：请拆分为多个文件后提交")
    return decode_content(path, path.read_bytes(), expect=expect)


def decode_content(path: Path, content: bytes, *, expect: str | None = None) -> pl.DataFrame:
    """`content` (the bytes of `path`) decoded by what it is, whatever the file is called: XLSX by
    its ZIP signature, JSON by its first character (or always, with expect="json"), else CSV."""
    if expect == "json":
        return decode_json(content)
    if content.startswith(_ZIP):
        check_xlsx(content)
        return _decode_table(path, ".xlsx")
    if content.startswith(_OLE2):
        raise UnusableFile("文件是旧版 Excel（.xls）或加密的工作簿，无法读取：请另存为不加密的 .xlsx 或 CSV 后再提交")
    start = content[:1024]
    for bom in _BOM:
        start = start.removeprefix(bom)
    if start.lstrip()[:1] in (b"[", b"{"):
        with contextlib.suppress(UnusableFile):  # a CSV whose first header starts with a bracket
            return decode_json(content)
    return _decode_table(path, ".csv")  # the reader says when it is binary, for every channel alike


@contextlib.contextmanager
def _named(path: Path, suffix: str):
    """`path` under a name ending in `suffix` (the reader's own convention), without copying when
    it already has one: a hard link in a private scratch folder beside it."""
    if path.suffix.lower() == suffix:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=".zfjd-read-", dir=path.parent) as scratch:
        alias = Path(scratch) / f"input{suffix}"
        try:
            os.link(path, alias)
        except OSError:
            shutil.copyfile(path, alias)
        yield alias


def _decode_table(path: Path, suffix: str) -> pl.DataFrame:
    with _named(path, suffix) as readable:
        source = open_table(readable)
        check_names(source.headers)
        chunks, rows = [], 0
        for chunk in source.chunks():  # stop at the first chunk over a limit, not after the whole file
            rows += chunk.height
            if rows > MAX_RECORDS:
                raise UnusableFile(f"文件超过 {MAX_RECORDS:,} 条记录的上限：请拆分为多个文件后提交")
            problem = records_problem(chunk, internal=(ROW,))
            if problem:
                raise UnusableFile(problem)
            chunks.append(chunk)
    if chunks:
        frame = pl.concat(chunks, how="vertical")
    else:  # a header and no rows is a batch of no records, not an unreadable one: its columns are kept
        frame = pl.DataFrame(schema={header: pl.String for header in source.headers})
    frame = with_malformed_lines(frame, source.malformed)
    if ROW in frame.columns:
        frame.drop_in_place(ROW)  # a frame only this function holds: no polars pass needed
    return frame


class _Refused(ValueError):
    pass


def _refuse_constant(name: str):
    raise _Refused(f"含有 JSON 标准之外的值 {name}")


def _distinct_keys(pairs: list[tuple[str, object]]) -> dict:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _Refused(f"同一条记录中字段「{shown(twice)}」出现了不止一次")
    return record


def decode_json(content: bytes) -> pl.DataFrame:
    """A pushed batch: `[{field: value}, …]` or `{"records": [...]}`; every value kept as text (numbers
    exactly as written). Size and nesting are checked before parsing."""
    check_json_size_and_depth(content, "推送的数据")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableFile(f"推送的数据不是 UTF-8 编码（第 {exc.start} 字节附近）") from None
    try:
        document = json.loads(text, parse_int=str, parse_float=str, parse_constant=_refuse_constant,
                              object_pairs_hook=_distinct_keys)
    except json.JSONDecodeError as exc:
        raise UnusableFile(f"推送的数据不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}") from None
    except _Refused as exc:
        raise UnusableFile(f"推送的数据无法接收：{exc}") from None
    except (ValueError, RecursionError) as exc:
        raise UnusableFile(f"推送的数据无法解析：{shown(str(exc), 120)}") from None
    records = document.get("records") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise UnusableFile("推送的数据应为记录的列表（或含 records 列表的对象）")
    if not records:
        raise UnusableFile("推送的数据中没有记录")
    if len(records) > MAX_RECORDS:
        raise UnusableFile(f"推送的数据有 {len(records):,} 条记录，超过上限 {MAX_RECORDS:,} 条")
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise UnusableFile(f"推送的第 {number} 条记录不是对象（应为 {{字段: 值}}）")
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    check_names(list(columns))
    as_text = [{k: (None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                for k, v in record.items()} for record in records]
    try:
        return pl.DataFrame(as_text, schema={name: pl.String for name in columns})
    except UnicodeEncodeError:
        # JSON may escape a lone surrogate (\ud800); it is not a character and no text column holds it
        raise UnusableFile("推送的数据含有无效的 Unicode 转义（单独的代理项，如 \\ud800）") from None


def platform_push(root: Path, **options) -> FileDrop:
    """The provincial platform's pushes: JSON batches delivered to `inbox/<unit>/<entity>/`."""
    return FileDrop(root, channel="platform_push", content="json", **options)
