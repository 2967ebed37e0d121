"""A city instance's upward step: its accepted records to the province, exactly once, and the province's
rejections of them back to the units that sent them (docs/two-levels.md).

Each cycle, `push_upward`:

1. **acknowledges**: asks the province (`ProvinceLink`) which of the batches sent so far it has taken
   and judged; for each, stores the province's rejections of its rows — mapped back to the originating
   unit, batch and row at the city — and marks it acknowledged, in one transaction;
2. **prepares**: every batch of the city's lake that has accepted rows and is not in the outbox yet
   gets one upward batch: the accepted rows exactly as the unit sent them (the landed text, field
   codes as headers), in row order, in a JSON envelope naming the originating batch. The content is a
   function of the lake batch alone, so the province's batch id (content-addressed,
   connectors/landing.py `batch_id_of`) is known before sending: that id is the acknowledgement's key;
3. **sends** every unacknowledged batch not yet sent for this cycle's day into the province's
   platform-push store, as `<name>.part` renamed when whole (the province takes it at once).

Why this is exactly once: the province lands by content, so the same batch sent twice (a crash after
the write and before it was recorded, a re-send while the province had not run yet) is the same
batch there and adds no row; a batch counts as delivered (the outbox's watermark) only once the
province reports it judged, and the outbox is written before anything is sent, so a batch is never
forgotten. Only lake batches' *accepted* rows go up: what the city rejected (越权报送 included) never
leaves it. The province re-validates everything with its own 三库 (trust nothing).

State: `DIR/state/upward.sqlite` (one writer: the push_upward task).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl

from connectors.landing import RECORD, Landing, batch_id_of
from quality.headers import map_headers
from standards.loader import standard
from standards.model import REFERENCE_UNIT
from zfjd.home import Home, owner_only
from zfjd.instance import CityRole, city_role, province_token

CHANNEL = "platform_push"
# Tests only (tests/two_levels/test_push_killed.py): "<point>:<n>" makes the process SIGKILL itself the n-th
# time it passes <point> — a real kill at the places where a record could be lost or doubled.
KILL_AT = "ZFJD_TEST_KILL_PUSH_AT"
KILL_POINTS = ("prepared", "part_written", "renamed", "marked_sent", "acknowledging", "acknowledged")
_passed: dict[str, int] = {}


def _kill_point(point: str) -> None:
    wanted = os.environ.get(KILL_AT)
    if not wanted:
        return
    name, _, times = wanted.partition(":")
    if name != point:
        return
    _passed[point] = _passed.get(point, 0) + 1
    if _passed[point] >= int(times or 1):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
PROVINCE_CHECK = "省级复核退回"  # how the feedback names a rejection made by the province


@dataclass(frozen=True)
class Judged:
    """What the province made of one upward batch."""

    batch_id: str
    received: int
    accepted: int
    rejected: int


@dataclass(frozen=True)
class ProvinceRejection:
    batch_id: str  # the province's (= the upward batch's) id
    row_number: int  # 1-based row of the upward batch
    rule: str
    field: str | None
    message: str
    hint: str
    value: str | None


class ProvinceLink(Protocol):
    """How a city learns what the province made of what it sent."""

    def judged(self, unit: str, batch_ids: set[str]) -> dict[str, Judged]: ...

    def rejections(self, unit: str, batch_ids: set[str]) -> list[ProvinceRejection]: ...


@dataclass
class PushReport:
    prepared: int = 0  # new upward batches (lake batches not sent before)
    sent: int = 0  # batch files written to the province this run
    rows_sent: int = 0
    acknowledged: int = 0  # batches the province reported judged this run
    province_rejected: int = 0  # rows of those the province rejected
    waiting: int = 0  # sent, not judged yet
    problems: list[str] = field(default_factory=list)


class Outbox:
    """The city's record of what went up: one row per lake batch with accepted rows."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        with self.connection:
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS upward_batch (origin_batch_id TEXT PRIMARY KEY, origin_unit TEXT NOT NULL, "
                "entity TEXT NOT NULL, upward_batch_id TEXT NOT NULL UNIQUE, file_name TEXT NOT NULL, "
                "rows INTEGER NOT NULL, origin_rows TEXT NOT NULL, sent_for TEXT, acknowledged_for TEXT, "
                "province_received INTEGER, province_accepted INTEGER, province_rejected INTEGER)"
            )
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS province_rejection (upward_batch_id TEXT NOT NULL, "
                "row_number INTEGER NOT NULL, rule TEXT NOT NULL, field TEXT NOT NULL, message TEXT, hint TEXT, "
                "value TEXT, origin_batch_id TEXT NOT NULL, origin_unit TEXT NOT NULL, origin_row INTEGER NOT NULL, "
                "entity TEXT NOT NULL, cycle TEXT NOT NULL, "
                "PRIMARY KEY (upward_batch_id, row_number, rule, field))"
            )

    def close(self) -> None:
        self.connection.close()

    def known(self) -> set[str]:
        return {row[0] for row in self.connection.execute("SELECT origin_batch_id FROM upward_batch")}

    def add(self, origin_batch_id: str, origin_unit: str, entity: str, upward_batch_id: str, file_name: str,
            origin_rows: list[int]) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT OR IGNORE INTO upward_batch (origin_batch_id, origin_unit, entity, upward_batch_id, file_name, "
                "rows, origin_rows) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (origin_batch_id, origin_unit, entity, upward_batch_id, file_name, len(origin_rows),
                 json.dumps(origin_rows)),
            )

    def unacknowledged(self) -> list[sqlite3.Row]:
        self.connection.row_factory = sqlite3.Row
        try:
            return list(self.connection.execute(
                "SELECT * FROM upward_batch WHERE acknowledged_for IS NULL ORDER BY origin_batch_id"
            ))
        finally:
            self.connection.row_factory = None

    def mark_sent(self, upward_batch_id: str, day: dt.date) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE upward_batch SET sent_for = ? WHERE upward_batch_id = ?", (day.isoformat(), upward_batch_id)
            )

    def acknowledge(self, batch: sqlite3.Row, judged: Judged, rejections: list[ProvinceRejection],
                    day: dt.date) -> None:
        """The province's verdict on one batch and its rejections, stored together (the watermark moves
        only with them: a crash in between asks again next time)."""
        origin_rows = json.loads(batch["origin_rows"])
        with self.connection:
            for rejection in rejections:
                if not 1 <= rejection.row_number <= len(origin_rows):
                    raise ValueError(f"省级退回的行号 {rejection.row_number} 不在批次 {rejection.batch_id} 的范围内")
                self.connection.execute(
                    "INSERT OR IGNORE INTO province_rejection VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rejection.batch_id, rejection.row_number, rejection.rule, rejection.field or "",
                     rejection.message, rejection.hint, rejection.value, batch["origin_batch_id"],
                     batch["origin_unit"], origin_rows[rejection.row_number - 1], batch["entity"], day.isoformat()),
                )
                _kill_point("acknowledging")  # inside the transaction: a rejection stored, the batch not marked
            self.connection.execute(
                "UPDATE upward_batch SET acknowledged_for = ?, province_received = ?, province_accepted = ?, "
                "province_rejected = ? WHERE upward_batch_id = ?",
                (day.isoformat(), judged.received, judged.accepted, judged.rejected, judged.batch_id),
            )

    def totals(self) -> dict[str, int]:
        row = self.connection.execute(
            "SELECT count(*), coalesce(sum(rows), 0), count(acknowledged_for), coalesce(sum(province_received), 0), "
            "coalesce(sum(province_accepted), 0), coalesce(sum(province_rejected), 0) FROM upward_batch"
        ).fetchone()
        names = ("batches", "rows", "acknowledged", "province_received", "province_accepted", "province_rejected")
        return dict(zip(names, row, strict=True))


def outbox_path(home: Home) -> Path:
    return home.state / "upward.sqlite"


@dataclass(frozen=True)
class UpwardBatch:
    origin_batch_id: str
    origin_unit: str
    entity: str
    origin_rows: list[int]
    content: bytes

    def batch_id(self, city_unit: str) -> str:
        """The id the province's landing gives this content from the city's unit."""
        return batch_id_of(city_unit, self.entity, hashlib.sha256(self.content).hexdigest())

    @property
    def file_name(self) -> str:
        return f"{self.origin_unit}-{hashlib.sha256(self.content).hexdigest()[:16]}.json"


def upward_batch(landing: Landing, lake_root: Path, origin_batch_id: str) -> UpwardBatch | None:
    """The upward batch of one lake batch: its accepted rows as the unit sent them; None without any."""
    manifest = landing.find(origin_batch_id)
    accepted_path = lake_root / "accepted" / (manifest.entity if manifest else "") / f"{origin_batch_id}.parquet"
    if manifest is None or not accepted_path.exists():
        return None
    rows = sorted(pl.read_parquet(accepted_path, columns=["row_number"])["row_number"].to_list())
    if not rows:
        return None
    raw = landing.records(manifest)
    entity = standard().entity(manifest.entity)
    names = map_headers([c for c in raw.columns if c != RECORD], entity, standard()).columns
    kept = raw.filter(pl.col(RECORD).is_in(rows)).sort(RECORD)
    if kept.height != len(rows):
        raise RuntimeError(f"批次 {origin_batch_id} 的通过记录与落地记录对不上（{len(rows)} 条 / {kept.height} 条）")
    records = kept.select([pl.col(raw_name).alias(code) for raw_name, code in names.items()]).to_dicts()
    envelope = {"origin_unit": manifest.unit, "origin_batch": origin_batch_id, "records": records}
    content = json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return UpwardBatch(origin_batch_id, manifest.unit, manifest.entity, rows, content)


class PushStore:
    """The province's platform-push store (connectors/file_drop.py layout): inbox/<unit>/<entity>/."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def send(self, unit: str, entity: str, name: str, content: bytes) -> None:
        folder = self.root / "inbox" / unit / entity
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f"{name}.part"  # never taken while it is being written
        with open(partial, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        _kill_point("part_written")
        os.replace(partial, folder / name)


class ProvinceLedger:
    """The province's verdicts read from its lake (the province's instance folder on this machine or on
    shared storage: the one-machine demonstration)."""

    def __init__(self, province_home: Path | str) -> None:
        from zfjd.lake import Lake

        self.lake = Lake(Home.at(province_home).lake)

    def judged(self, unit: str, batch_ids: set[str]) -> dict[str, Judged]:
        found = {}
        for batch_id in sorted(batch_ids):
            entry = self.lake.entry(batch_id)
            if entry is not None and entry.unit == unit:
                found[batch_id] = Judged(batch_id, entry.received, entry.accepted, entry.rejected)
        return found

    def rejections(self, unit: str, batch_ids: set[str]) -> list[ProvinceRejection]:
        from standards.messages import rule_hint, rule_message

        spec = standard()
        found = []
        for batch_id in sorted(batch_ids):
            entry = self.lake.entry(batch_id)
            path = self.lake.root / "issues" / f"{batch_id}.parquet"
            if entry is None or entry.unit != unit or not path.exists():
                continue
            entity = spec.entity(entry.entity)
            issues = pl.read_parquet(path).filter(pl.col("severity") == "reject").sort("row_number", "rule", "field")
            for row in issues.iter_rows(named=True):
                rule = spec.rules.get(row["rule"])
                message = row["detail"] or (rule_message(rule, entity, row["field"]) if rule else row["rule"])
                personal = bool(row["field"]) and entity.has_field(row["field"]) and entity.field(row["field"]).personal
                found.append(ProvinceRejection(
                    batch_id, row["row_number"], row["rule"], row["field"], message,
                    rule_hint(rule, entity, row["field"]) if rule else "", None if personal else row["value"],
                ))
        return found


class ProvinceService:
    """The province's verdicts read from its data service (docs/data-service.md) with the city's token:
    `/v1/units/{unit}/batches` and `/rejections`, every page."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, session=None) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.session = session or requests.Session()

    def __repr__(self) -> str:  # never the token
        return f"ProvinceService({self.base_url!r})"

    def _all(self, unit: str, table: str) -> Iterable[dict]:
        from urllib.parse import quote

        cursor = None
        for _ in range(100_000):
            params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
            response = self.session.get(f"{self.base_url}/v1/units/{quote(unit, safe='')}/{table}", params=params,
                                        headers={"Authorization": f"Bearer {self._token}"}, timeout=self.timeout)
            if response.status_code == 409:  # the province published a new copy meanwhile: start again
                cursor = None
                continue
            if response.status_code == 503:
                return  # nothing published yet: nothing judged yet
            if response.status_code != 200:
                raise RuntimeError(f"省级数据服务拒绝请求 HTTP {response.status_code}（{table}，报送单位 {unit}）"
                                   + ("：请检查令牌" if response.status_code in (401, 403) else ""))
            body = response.json()
            yield from body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return
        raise RuntimeError(f"省级数据服务分页未结束（{table}，报送单位 {unit}）")

    def judged(self, unit: str, batch_ids: set[str]) -> dict[str, Judged]:
        return {
            item["batch_id"]: Judged(item["batch_id"], item["received"], item["accepted"], item["rejected"])
            for item in self._all(unit, "batches") if item["batch_id"] in batch_ids
        }

    def rejections(self, unit: str, batch_ids: set[str]) -> list[ProvinceRejection]:
        return [
            ProvinceRejection(item["batch_id"], item["row_number"], item["rule"], item.get("field"),
                              item.get("message") or item["rule"], item.get("hint") or "", item.get("value"))
            for item in self._all(unit, "rejections") if item["batch_id"] in batch_ids
        ]


def link_of(home: Home, role: CityRole) -> ProvinceLink:
    if role.province_home:
        return ProvinceLedger(role.province_home)
    token = province_token(home)
    if not token:
        raise RuntimeError("城市实例缺少省级数据服务的令牌：请设置环境变量 ZFJD_PROVINCE_TOKEN，"
                           "或用 zfjd city configure --token 保存")
    return ProvinceService(role.province_service, token)


@owner_only
def push_upward(home: Home, as_of: dt.date, *, link: ProvinceLink | None = None, store: PushStore | None = None,
                progress=None) -> PushReport | None:
    """The upward step of one cycle (see the module's docstring); None for the province (nothing to do)."""
    from connectors.intake import CASE_ENTITIES  # what the province's intake takes from a push inbox
    from zfjd.lake import Lake

    role = city_role(home)
    if role is None:
        return None
    link = link or link_of(home, role)
    store = store or PushStore(role.province_push)
    report = PushReport()
    outbox = Outbox(outbox_path(home))
    try:
        waiting = {row["upward_batch_id"]: row for row in outbox.unacknowledged() if row["sent_for"]}
        if waiting:
            verdicts = link.judged(role.unit, set(waiting))
            rejections: dict[str, list[ProvinceRejection]] = {}
            if verdicts:
                for rejection in link.rejections(role.unit, set(verdicts)):
                    rejections.setdefault(rejection.batch_id, []).append(rejection)
            for batch_id, judged in sorted(verdicts.items()):
                found = rejections.get(batch_id, [])
                if judged.rejected and len({r.row_number for r in found}) != judged.rejected:
                    report.problems.append(f"省级批次 {batch_id} 退回 {judged.rejected} 条，但只取到 "
                                           f"{len({r.row_number for r in found})} 条的原因：下次再取")
                    continue
                outbox.acknowledge(waiting[batch_id], judged, found, as_of)
                _kill_point("acknowledged")
                report.acknowledged += 1
                report.province_rejected += judged.rejected

        landing, lake = Landing(home.landing), Lake(home.lake)
        known = outbox.known()
        for entry in lake.entries():
            if (entry.batch_id in known or entry.unit == REFERENCE_UNIT or entry.accepted == 0
                    or entry.entity not in CASE_ENTITIES or entry.unusable_reason is not None):
                continue
            batch = upward_batch(landing, lake.root, entry.batch_id)
            if batch is None:
                continue
            outbox.add(batch.origin_batch_id, batch.origin_unit, batch.entity, batch.batch_id(role.unit),
                       batch.file_name, batch.origin_rows)
            _kill_point("prepared")
            report.prepared += 1

        pending = outbox.unacknowledged()
        for number, row in enumerate(pending, start=1):
            if row["sent_for"] is not None and row["sent_for"] >= as_of.isoformat():
                report.waiting += 1
                continue
            batch = upward_batch(landing, lake.root, row["origin_batch_id"])
            if batch is None or batch.batch_id(role.unit) != row["upward_batch_id"]:
                raise RuntimeError(f"批次 {row['origin_batch_id']} 的上报内容与已登记的不一致：城市数据湖被改动过")
            store.send(role.unit, batch.entity, row["file_name"], batch.content)
            _kill_point("renamed")
            outbox.mark_sent(row["upward_batch_id"], as_of)
            _kill_point("marked_sent")
            report.sent += 1
            report.rows_sent += row["rows"]
            report.waiting += 1
            if progress is not None and (number % 100 == 0 or number == len(pending)):
                progress(f"向省级报送：{number}/{len(pending)} 个批次")
    finally:
        outbox.close()
    return report


def province_rejections(home: Home, as_of: dt.date) -> list[dict]:
    """The province's rejections the city learnt of in the cycle of `as_of`, as feedback rows of the
    originating unit (zfjd/reports/feedback.py): its batch, its row, the province's reason."""
    path = outbox_path(home)
    if not path.exists():
        return []
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.row_factory = sqlite3.Row
        rows = list(connection.execute(
            "SELECT * FROM province_rejection WHERE cycle = ? "
            "ORDER BY origin_unit, origin_batch_id, origin_row, rule, field", (as_of.isoformat(),)
        ))
    finally:
        connection.close()
    spec = standard()
    result = []
    for row in rows:
        entity = spec.entity(row["entity"])
        field_code = row["field"] or None
        result.append({
            "batch_id": row["origin_batch_id"], "unit": row["origin_unit"], "entity": row["entity"],
            "row_number": row["origin_row"], "rule": row["rule"], "field": field_code,
            "field_name": entity.field(field_code).name if field_code and entity.has_field(field_code) else None,
            "message": f"{PROVINCE_CHECK}：{row['message']}", "hint": row["hint"], "value": row["value"],
            "detail": None, "source_name": None, "channel": CHANNEL,
        })
    return result
