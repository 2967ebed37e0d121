"""Lands a batch exactly as received: raw bytes kept content-addressed, records as Parquet, a manifest.

A batch is identified by what it contains and how it could be read, not by when it came: `batch_id` is
derived from the unit, the entity and the sha256 of the raw content, so the same content landed twice
is the same batch and adds no rows (idempotent re-runs, repeated pages, a re-pull after a crash). An
input that could not be read (`RawBatch.problem`) lands under its own id — the content's id plus a
digest of the reason — with the reason in its manifest: the lake quarantines it whole with that reason,
and the same bytes read successfully later (renamed, or a fixed reader) land as a new batch instead of
being taken for the quarantined one. Decoders read by content, never by the file's name. Files are
written to a temporary name, flushed and renamed; the manifest is written last, so a batch whose manifest exists is
durably landed and one without a manifest was never landed (a re-run lands it again from scratch).

Inside `Landing.durable_together()` (a group of units' intake) nothing is flushed file by file: the whole
group is made durable at once when it ends, and only then does what points at its batches move (a taken
file archived, a watermark advanced: `after_durable`). A crash inside the group leaves every watermark and
taken file where it was, so the next run takes the same data again and lands it as the same batches; a
batch whose manifest, raw bytes or records a power loss left empty or cut short is landed again then.

Layout under the landing root:
    raw/<sha256[:2]>/<sha256>                       the bytes as received
    batches/<entity>/<unit>/<batch_id>.parquet      every value as text, as received (+ __record)
    manifests/<batch_id>.json                       unit, entity, channel, window, rows, sha256, problem, …

Limits (connectors/limits.py) are checked here for every channel: a batch with a column name the
pipeline reserves (`__record`, `__row`, …), too many rows or columns, or a value too long lands with
no records and the reason as its problem, its raw bytes kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from connectors.durability import read_whole, sync_filesystem
from connectors.limits import records_problem
from quality.read import MALFORMED_TEXT

RECORD = "__record"
_SAFE = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-")


@dataclass(frozen=True)
class RawBatch:
    """What a connector pulled: who, what, through which channel, for which window, and the content."""

    unit: str
    entity: str
    channel: str
    content: bytes
    records: pl.DataFrame  # one string column per field as received, in the order received
    window_start: str | None = None
    window_end: str | None = None
    source_name: str = ""
    problem: str | None = None  # why the content could not be read (Chinese); None when it was read
    raw_file: Path | None = None  # the content as a file instead of `content` (an input too big to read)


@dataclass(frozen=True)
class Manifest:
    batch_id: str
    unit: str
    entity: str
    channel: str
    window_start: str | None
    window_end: str | None
    received_at: str
    rows: int
    sha256: str
    source_name: str
    records_path: str
    raw_path: str
    problem: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)


def batch_id_of(unit: str, entity: str, sha256: str, problem: str | None = None) -> str:
    """The content's id; an unreadable input's id also carries a digest of why it could not be read."""
    base = f"{entity}-{unit}-{sha256[:20]}"
    if problem is None:
        return base
    return f"{base}-q{hashlib.sha256(problem.encode('utf-8')).hexdigest()[:8]}"


def _may_name_unit(batch_id: str, units: set[str]) -> bool:
    """Whether `batch_id` (entity-unit-digest[-qreason]) may be a batch of one of `units`. Names may
    themselves hold `-`, so every run of `-`-separated parts is tried; the manifest read decides."""
    parts = batch_id.split("-")
    runs = ("-".join(parts[start:end]) for start in range(1, len(parts)) for end in range(start + 1, len(parts)))
    return any(run in units for run in runs)


def _checked_name(value: str, what: str) -> str:
    """Unit codes and entity names become path parts: refuse anything that could leave the folder."""
    if not value or not set(value) <= _SAFE:
        raise ValueError(f"{what} {value!r} cannot name a landing folder")
    return value


def _write_atomically(path: Path, data: bytes, *, flush: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(data)
        if flush:
            handle.flush()
            os.fsync(handle.fileno())
        temporary = Path(handle.name)
    os.replace(temporary, path)
    if flush:
        _fsync_dir(path.parent)


def _copy_atomically(source: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as reader, tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        shutil.copyfileobj(reader, handle, 1 << 20)
        handle.flush()
        os.fsync(handle.fileno())
        temporary = Path(handle.name)
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _intact(raw_path: Path, size: int, records_path: Path) -> bool:
    """Whether a batch's files are whole (cheaply: sizes and the Parquet footer's magic), not left empty
    or cut short by a power loss before a group's durable point; a batch that is not is landed again."""
    try:
        if raw_path.stat().st_size != size:
            return False
        with open(records_path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() < 12:
                return False
            handle.seek(-4, os.SEEK_END)
            return handle.read(4) == b"PAR1"
    except FileNotFoundError:
        return False


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Landing:
    """The landing zone of one instance (a local folder here; the same layout on shared storage)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._waiting: list[Callable[[], None]] | None = None  # inside durable_together: its after_durable

    @contextmanager
    def durable_together(self) -> Iterator[None]:
        """Lands everything inside without a flush per file, makes it all durable at the end with one
        flush of the file system, and only then runs what waited for that (`after_durable`, in order).
        When the block raises, nothing that waited runs: it is done again by the next run. Nested
        blocks join the outermost one."""
        if self._waiting is not None:
            yield
            return
        self._waiting = []
        try:
            yield
            waiting = self._waiting
        finally:
            self._waiting = None
        if waiting:
            sync_filesystem(self.root)
        for action in waiting:
            action()

    def after_durable(self, action: Callable[[], None]) -> None:
        """Runs `action` once what was landed so far is durable: now, or at the end of durable_together."""
        if self._waiting is None:
            action()
        else:
            self._waiting.append(action)

    def manifest_path(self, batch_id: str) -> Path:
        return self.root / "manifests" / f"{batch_id}.json"

    def find(self, batch_id: str) -> Manifest | None:
        # None for a manifest cut short by a power loss: the batch never landed; it is landed again (the
        # manifest rewritten) from the data its channel still holds, since nothing moved past it.
        return read_whole(self.manifest_path(batch_id), Manifest)

    def land(self, batch: RawBatch, *, received_at: dt.datetime | None = None) -> tuple[Manifest, bool]:
        """Lands `batch`; returns its manifest and whether it was new (False: landed before, unchanged)."""
        unit = _checked_name(batch.unit, "unit")
        entity = _checked_name(batch.entity, "entity")
        if batch.raw_file is not None:
            with open(batch.raw_file, "rb") as handle:
                sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
        else:
            sha256 = hashlib.sha256(batch.content).hexdigest()
        size = os.stat(batch.raw_file).st_size if batch.raw_file is not None else len(batch.content)
        flush = self._waiting is None
        records, problem = batch.records, batch.problem
        over_limit = records_problem(records, internal=(MALFORMED_TEXT,))
        if over_limit is not None:
            # Never store what breaks a limit (it would travel on to the lake, the warehouse and the
            # unit's feedback): the raw bytes are the record of it.
            records, problem = pl.DataFrame(), problem or over_limit
        batch_id = batch_id_of(unit, entity, sha256, problem)
        existing = self.find(batch_id)
        raw_path = self.root / "raw" / sha256[:2] / sha256
        if existing is not None and _intact(raw_path, size, self.root / existing.records_path):
            return existing, False
        if not raw_path.exists() or raw_path.stat().st_size != size:  # cut short by a lost group: again
            if batch.raw_file is not None:
                _copy_atomically(Path(batch.raw_file), raw_path)
            else:
                _write_atomically(raw_path, batch.content, flush=flush)
        records_path = self.root / "batches" / entity / unit / f"{batch_id}.parquet"
        # Numbered without a polars pass (a day lands thousands of batches of a few rows each).
        records = records.clone()
        records.insert_column(0, pl.Series(RECORD, np.arange(1, records.height + 1, dtype=np.int64)))
        records_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=records_path.parent, prefix=".tmp-", suffix=".parquet", delete=False) as h:
            temporary = Path(h.name)
        records.write_parquet(temporary, row_group_size=100_000)
        if flush:
            with temporary.open("rb") as handle:
                os.fsync(handle.fileno())
        os.replace(temporary, records_path)
        if flush:
            _fsync_dir(records_path.parent)
        manifest = Manifest(
            batch_id=batch_id,
            unit=unit,
            entity=entity,
            channel=batch.channel,
            window_start=batch.window_start,
            window_end=batch.window_end,
            received_at=(received_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
            rows=records.height,
            sha256=sha256,
            source_name=batch.source_name,
            records_path=str(records_path.relative_to(self.root)),
            raw_path=str(raw_path.relative_to(self.root)),
            problem=problem,
        )
        _write_atomically(self.manifest_path(batch_id), manifest.to_json().encode("utf-8"), flush=flush)
        return manifest, True

    def manifests(self, units: set[str] | None = None) -> list[Manifest]:
        """Every landed batch's manifest (of `units`, when given), in batch id order.

        With `units`, only the manifests whose name can hold one of them are read: a group of units
        must not read the whole landing zone, which grows with every unit of the province."""
        folder = self.root / "manifests"
        if not folder.exists():
            return []
        paths = sorted(folder.glob("*.json"))
        if units is not None:
            paths = [path for path in paths if _may_name_unit(path.stem, units)]
        found = [Manifest(**json.loads(p.read_text(encoding="utf-8"))) for p in paths]
        return found if units is None else [manifest for manifest in found if manifest.unit in units]

    def records(self, manifest: Manifest) -> pl.DataFrame:
        return pl.read_parquet(self.root / manifest.records_path)


@dataclass(frozen=True)
class PullReport:
    batches: int  # pages pulled (landed before or not)
    new_batches: int  # pages that were new to the landing zone
    rows_landed: int  # rows in the new batches
    watermark: str | None = None  # the position after the pull
    quarantined: int = 0  # new batches landed unreadable (with their reason, for the lake to quarantine)
    problems: list[str] = field(default_factory=list)  # Chinese lines for the run's summary


def land_pages(pages, landing: Landing, watermarks, key) -> PullReport:
    """Lands each page and only then moves the watermark to the page's end (once the page is durable:
    at once, or at the end of the landing's durable_together): a crash in between repeats the page on
    the next run, which lands as the same batch (nothing new).

    A page is a RawBatch, or a tuple of them when part of it could not be read (its readable rows and
    its quarantined ones): the watermark moves past the page once all its parts are landed, so a page
    that cannot be read is kept and reported, and never holds up the pages after it."""
    batches = new_batches = rows_landed = quarantined = 0
    position = None
    for page in pages:
        parts = (page,) if isinstance(page, RawBatch) else tuple(page)
        manifest = None
        for batch in parts:
            manifest, new = landing.land(batch)
            batches += 1
            if new:
                new_batches += 1
                rows_landed += manifest.rows
                quarantined += manifest.problem is not None
        if manifest is None:
            continue
        end = parts[-1].window_end
        if end is not None:
            landing.after_durable(lambda end=end, batch_id=manifest.batch_id: watermarks.advance(key, end, batch_id))
            position = end
    return PullReport(batches, new_batches, rows_landed, position, quarantined)
