"""Helpers of the hostile-intake suite: a small instance on the sample 三库 extract, the daily cycle's
intake step run on it, a scripted exchange API on loopback, a 前置库 in SQLite, and the accounting every
case checks: nothing lost, a clear Chinese reason, the unit's next good batch landed the same cycle."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psutil
import yaml
from build_samples import OTHER_UNIT, UNIT
from support import AS_OF, REFERENCE, clean_inspection

from connectors.landing import Landing
from standards.loader import standard
from zfjd import cycle
from zfjd.home import Home
from zfjd.lake import Lake, LedgerEntry, validate_landed

ENTITY = "inspection"
SETTLE_ENV = "ZFJD_DROP_SETTLE_SECONDS"
SETTLED = 946_684_800  # 2000-01-01: an upload finished long ago
CJK = tuple(chr(c) for c in range(0x4E00, 0xA000))

__all__ = ["AS_OF", "ENTITY", "OTHER_UNIT", "UNIT", "clean_inspection"]


def make_home(root: Path, channels: dict[str, str] | None = None) -> Home:
    """An instance whose registry is the sample extract's (UNIT and OTHER_UNIT report), every unit on
    the file drop unless `channels` says otherwise."""
    home = Home.at(root)
    shutil.copytree(REFERENCE, home.reference)
    config = {"default_channel": "file_drop", "units": {code: {"channel": c} for code, c in (channels or {}).items()}}
    (home.province / "units.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return home


def inbox(home: Home, unit: str = UNIT, entity: str = ENTITY, channel: str = "drop") -> Path:
    folder = home.province / channel / "inbox" / unit / entity
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def put(folder: Path, name: str | bytes, content: bytes, *, settled: bool = True) -> bytes:
    """A finished upload (its modification time long past, unless `settled` is False); `name` may be
    bytes that are not UTF-8, as a unit's upload tool may write them. Returns the path as bytes."""
    path = os.fsencode(folder) + b"/" + (name if isinstance(name, bytes) else os.fsencode(name))
    with open(path, "wb") as handle:
        handle.write(content)
    if settled:
        os.utime(path, (SETTLED, SETTLED))
    return path


def csv_bytes(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    import csv

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict[str, str]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet("检查")
    for column, header in enumerate(rows[0]):
        sheet.write_string(0, column, header)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row.values()):
            sheet.write_string(number, column, value)
    workbook.close()
    return buffer.getvalue()


def good_rows(first: int = 1, count: int = 2) -> list[dict[str, str]]:
    return [clean_inspection(number) for number in range(first, first + count)]


def as_codes(row: dict[str, str], entity: str = ENTITY) -> dict[str, str | None]:
    """A record keyed by field codes (what the API, the 前置库 and pushes carry)."""
    names = {f.name: f.code for f in standard().entity(entity).fields}
    return {names[name]: (value or None) for name, value in row.items()}


def run_cycle(home: Home, units: list[str] | None = None, *, settle: float | None = 0, **options) -> cycle.GroupOutcome:
    """The daily cycle's intake and validation step for `units` (both sample units by default), with
    the instance's drop settle time set to `settle` (None: the default)."""
    saved = os.environ.pop(SETTLE_ENV, None)
    if settle is not None:
        os.environ[SETTLE_ENV] = str(settle)
    try:
        return cycle.intake_and_validate(home, units or [UNIT, OTHER_UNIT], as_of=AS_OF, **options)
    finally:
        os.environ.pop(SETTLE_ENV, None)
        if saved is not None:
            os.environ[SETTLE_ENV] = saved


@dataclass
class Account:
    """What the lake made of one unit's batches: records received = accepted + rejected + quarantined
    (a quarantined batch's records are in the lake's rejected/, under rule batch.unusable)."""

    entries: list[LedgerEntry]
    received: int
    accepted: int
    rejected: int
    quarantined: int

    @property
    def reasons(self) -> list[str]:
        return [entry.unusable_reason for entry in self.entries if entry.unusable_reason]

    def reason(self) -> str:
        (reason,) = self.reasons
        return reason


def account(lake_root: Path, unit: str = UNIT) -> Account:
    entries = [entry for entry in Lake(lake_root).entries() if entry.unit == unit]
    for entry in entries:
        assert entry.received == entry.accepted + entry.rejected, entry
        assert entry.unusable_reason is None or entry.accepted == 0, entry
    quarantined = sum(entry.received for entry in entries if entry.unusable_reason)
    return Account(
        entries=entries,
        received=sum(entry.received for entry in entries),
        accepted=sum(entry.accepted for entry in entries),
        rejected=sum(entry.rejected for entry in entries if not entry.unusable_reason),
        quarantined=quarantined,
    )


def assert_nothing_lost(home: Home, sent: list[bytes], *, unit: str = UNIT, accepted: int,
                        reason: str | None, channel: str = "drop", records: int | None = None) -> Account:
    """Every input sent is kept byte for byte in the landing zone (and its file archived), each is one
    batch of the unit validated this cycle, received = accepted + rejected + quarantined, the unreadable
    one is quarantined with a Chinese reason containing `reason`, the good ones accepted, and nothing is
    left behind in processing/ or the inbox."""
    landing = Landing(home.landing)
    manifests = [m for m in landing.manifests() if m.unit == unit]
    kept = {m.sha256 for m in manifests}
    for content in sent:
        digest = hashlib.sha256(content).hexdigest()
        assert digest in kept, "an input was not landed"
        manifest = next(m for m in manifests if m.sha256 == digest)
        assert (landing.root / manifest.raw_path).read_bytes() == content
    books = account(home.lake, unit)
    assert books.received == books.accepted + books.rejected + books.quarantined
    assert all(entry.validated_as_of == AS_OF.isoformat() for entry in books.entries)  # told this cycle
    assert books.accepted == accepted, books
    if records is not None:
        assert books.received == records, books
    if reason is None:
        assert not books.reasons, books.reasons
    else:
        found = books.reason()
        assert reason in found, found
        assert any(ch in found for ch in CJK), found
        assert len(found) < 400, "a reason never echoes the whole input"
    root = home.province / channel
    for folder in ("processing", "inbox"):
        left = [p for p in (root / folder / unit).rglob("*") if p.is_file()] if (root / folder / unit).exists() else []
        assert left == [], f"left in {folder}: {left}"
    return books


def validate(landing_root: Path, lake_root: Path) -> None:
    validate_landed(Landing(landing_root), Lake(lake_root), REFERENCE, as_of=AS_OF)


@contextlib.contextmanager
def bounded(seconds: float = 10.0, megabytes: float = 300.0):
    """The block finishes within `seconds` and grows the process by less than `megabytes` of memory."""
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    yield
    took = time.perf_counter() - started
    grown = (process.memory_info().rss - before) / 1e6
    assert took < seconds, f"took {took:.1f} s"
    assert grown < megabytes, f"grew by {grown:.0f} MB"


# --- a scripted exchange API on loopback -----------------------------------------------------------


class ScriptedApi:
    """Answers `GET /api/v1/records/<entity>` with the bodies given, by page token (None: first page)."""

    def __init__(self, pages: dict[str | None, bytes]) -> None:
        self.pages = pages
        self.requests: list[str] = []
        script = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                script.requests.append(self.path)
                token = parse_qs(urlparse(self.path).query).get("page_token", [None])[0]
                body = script.pages.get(token, b'{"records": [], "next_page_token": null, "watermark": null}')
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ScriptedApi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def api_page(records: list, watermark: str | None, next_token: str | None = None) -> bytes:
    return json.dumps({"records": records, "next_page_token": next_token, "watermark": watermark},
                      ensure_ascii=False).encode("utf-8")


def cursor(day: int, second: int) -> str:
    return (dt.datetime(2025, 3, day) + dt.timedelta(seconds=second)).isoformat()
