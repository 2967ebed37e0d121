"""The file-drop channel: CSV (UTF-8 / GB18030) and XLSX files that units upload to an inbox; and the
platform-push channel, the same mechanism with JSON batches the provincial platform delivers.

Layout (one folder per reporting unit and entity, created by the registry, never named by a file):
    inbox/<unit>/<entity>/<any file name>      where units' uploads arrive
    processing/<unit>/<entity>/<taken name>    a file taken for landing (moved atomically)
    archive/<unit>/<entity>/<batch_id>-<name>  landed files, kept (never deleted)

A file is taken only when it is complete: names an upload tool uses while writing (`.part`, `.tmp`,
`.uploading`, dot-files) are skipped, and so is a file changed within the last `settle_seconds`. It is
moved into processing/ before it is read, so two pullers never take the same file, and a crash leaves it
there to be landed again (same content → same batch, no new rows). The file's name is only ever a label:
it is never joined into a path as given.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from connectors.landing import Landing, Manifest, RawBatch
from quality.read import ROW, UnusableFile, open_table, with_malformed_lines

CHANNEL = "file_drop"
INCOMPLETE_SUFFIXES = (".part", ".tmp", ".uploading", ".crdownload", "~")
_UNSAFE = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._-]+")


@dataclass(frozen=True)
class TakenFile:
    unit: str
    entity: str
    path: Path  # inside processing/
    original_name: str


@dataclass(frozen=True)
class DropOutcome:
    original_name: str
    manifest: Manifest | None
    new: bool
    problem: str | None = None  # a Chinese sentence when the file could not be decoded


def safe_label(name: str) -> str:
    """A file name reduced to characters that cannot form a path (for archive names and logs)."""
    label = _UNSAFE.sub("_", Path(name).name).strip("._") or "file"
    return label[:120]


class FileDrop:
    def __init__(self, root: Path, *, channel: str = CHANNEL, settle_seconds: float = 5.0, clock=time.time) -> None:
        self.root = Path(root)
        self.channel = channel
        self.settle_seconds = settle_seconds
        self.clock = clock

    def inbox(self, unit: str, entity: str) -> Path:
        return self.root / "inbox" / unit / entity

    def open_inbox(self, unit: str, entity: str) -> Path:
        folder = self.inbox(unit, entity)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _is_ready(self, path: Path) -> bool:
        name = path.name
        if name.startswith(".") or name.endswith(INCOMPLETE_SUFFIXES) or not path.is_file() or path.is_symlink():
            return False
        return self.clock() - path.stat().st_mtime >= self.settle_seconds

    def take(self, unit: str, entity: str) -> Iterator[TakenFile]:
        """Files left in processing/ by an interrupted run first, then complete files from the inbox."""
        processing = self.root / "processing" / unit / entity
        processing.mkdir(parents=True, exist_ok=True)
        for leftover in sorted(processing.iterdir()):
            if leftover.is_file():
                yield TakenFile(unit, entity, leftover, leftover.name.split("-", 1)[-1])
        inbox = self.inbox(unit, entity)
        if not inbox.is_dir():
            return
        for candidate in sorted(inbox.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)):
            if not self._is_ready(candidate):
                continue
            taken = processing / f"{time.time_ns()}-{safe_label(candidate.name)}"
            try:
                candidate.rename(taken)  # atomic on one file system; a second puller gets FileNotFoundError
            except FileNotFoundError:
                continue
            yield TakenFile(unit, entity, taken, candidate.name)

    def land_all(self, unit: str, entity: str, landing: Landing) -> list[DropOutcome]:
        outcomes = []
        for taken in self.take(unit, entity):
            content = taken.path.read_bytes()
            try:
                records = decode(taken.path)
                problem = None
            except UnusableFile as exc:
                records, problem = pl.DataFrame(), str(exc)
            batch = RawBatch(unit=unit, entity=entity, channel=self.channel, content=content, records=records,
                             source_name=taken.original_name)
            manifest, new = landing.land(batch)
            self._archive(taken, manifest.batch_id)
            outcomes.append(DropOutcome(taken.original_name, manifest, new, problem))
        return outcomes

    def _archive(self, taken: TakenFile, batch_id: str) -> None:
        archive = self.root / "archive" / taken.unit / taken.entity
        archive.mkdir(parents=True, exist_ok=True)
        target = archive / f"{batch_id}-{safe_label(taken.original_name)}"
        if target.exists():  # the same content arrived again: keep both copies
            target = archive / f"{batch_id}-{time.time_ns()}-{safe_label(taken.original_name)}"
        taken.path.rename(target)


def decode(path: Path) -> pl.DataFrame:
    """The file's records as text, headers as received; a malformed line is kept as its text."""
    if path.suffix.lower() == ".json":
        return decode_json(path.read_bytes())
    source = open_table(path)
    chunks = list(source.chunks())
    frame = with_malformed_lines(pl.concat(chunks, how="vertical") if chunks else pl.DataFrame(), source.malformed)
    return frame.drop(ROW) if ROW in frame.columns else frame


def decode_json(content: bytes) -> pl.DataFrame:
    """A pushed batch: `[{field: value}, …]` or `{"records": [...]}`; every value kept as text."""
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnusableFile(f"推送的数据不是有效的 UTF-8 JSON：{exc}") from None
    records = document.get("records") if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UnusableFile("推送的数据应为记录的列表（或含 records 列表的对象）")
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    as_text = [{k: (None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                for k, v in record.items()} for record in records]
    return pl.DataFrame(as_text, schema={name: pl.String for name in columns})


def platform_push(root: Path, **options) -> FileDrop:
    """The provincial platform's pushes: JSON batches delivered to `inbox/<unit>/<entity>/`."""
    return FileDrop(root, channel="platform_push", **options)
