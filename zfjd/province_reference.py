"""A city instance takes its 三库 from the province's data service (数据服务向下延伸; docs/two-levels.md).

Each cycle, before its intake, `take_reference`:

1. asks the service for the versions of 执法主体, 执法人员 and 执法事项 the province took in since the
   last watermark (`/v1/entities`, `/v1/officers`, `/v1/matters` with `taken_since`, every page, the
   city's token; the first time from the beginning);
2. merges them, in one transaction, into the city's copy of the libraries' versions
   (`DIR/state/province-reference.sqlite`, keyed by the province's version id) and moves the watermarks;
3. writes, from that copy, the versions in force on the cycle's day into `DIR/province/reference/` in
   the extract's format (`<entity>.csv`, Chinese headers, one file replaced whole at a time), which the
   cycle's `land_reference` and validation read as before.

The watermark is the province's intake time (`taken_in_at`), not the versions' 更新时间: a version that
reaches the province late, with an 更新时间 before a watermark already handed out, is in the next
increment all the same. An increment does not bring again the version a new one replaced (its intake
did not change): the version in force on a day is therefore worked out here, per code, as the latest
one begun by then — as the province's snapshots date them (a version ends when the next one begins).

Nothing is changed unless all three libraries were read whole: when the service cannot be reached or
refuses, the cycle keeps the last good 三库 and the report says so in Chinese.

The service masks personal data (执法人员's 姓名 and 身份证号). The extract needs them (the standard
requires them), so an officer's are kept from the extract the city already holds (same 执法证号); an
officer the city never held unmasked is written without them and counted in the report — its card still
serves validation, and the city's lake rejects its row of the extract (field.required), as it says.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl

from standards.loader import standard
from zfjd.home import Home, owner_only
from zfjd.instance import city_role, province_token

log = logging.getLogger(__name__)

FIRST_WATERMARK = "1900-01-01T00:00:00"
PERSONAL = ("XM", "SFZH")  # masked by the service: kept from the extract the city holds

# The service's library, its version key, the code its versions follow one another under (the snapshot's
# unique key), and each extract field's column in the served dim (dbt_project/models/staging/
# stg_lake__*.sql read backwards); 更新时间 is the version's valid_from.
LIBRARIES = {
    "entities": ("enforcement_entity", "entity_version_id", "entity_id", {
        "ZTMC": "entity_name", "TYSHXYDM": "entity_id", "ZTXZ": "entity_nature", "XZQHDM": "division_code",
        "CJ": "admin_level", "ZFLY": "enforcement_domain", "SJDWDM": "parent_entity_id",
        "BSDWDM": "reporting_unit_id", "ZT": "entity_status", "SXRQ": "effective_date", "SHXRQ": "expiry_date",
    }),
    "officers": ("officer", "officer_version_id", "card_number", {
        "ZFZH": "card_number", "SSZTDM": "entity_id", "ZFLY": "enforcement_domain", "YXQQ": "card_valid_from",
        "YXQZ": "card_valid_to", "ZJZT": "card_status",
    }),
    "matters": ("matter", "matter_history_id", "matter_version_id", {
        "SXBM": "matter_code", "BBH": "matter_version", "SXMC": "matter_name", "SXLB": "matter_kind",
        "ZFLY": "enforcement_domain", "SSZTDM": "implementing_entity_ids", "SDYJ": "legal_basis",
        "FKXX": "fine_min_yuan", "FKSX": "fine_max_yuan", "JGSXBM": "supervision_item_code", "ZT": "matter_status",
        "SXRQ": "effective_date", "SHXRQ": "expiry_date",
    }),
}
LIBRARY_NAMES = {"entities": "执法主体", "officers": "执法人员", "matters": "执法事项"}


class ServiceUnavailable(RuntimeError):
    """The province's data service could not give a whole answer (the message is safe to show)."""


class ReferenceSource(Protocol):
    def changed(self, library: str, since: str) -> tuple[list[dict], str]:
        """Every version of `library` (in the token's scope) the province took in after `since`, and the
        next watermark."""
        ...


class ServiceReference:
    """The three libraries read from the province's data service with the city's token, every page."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, session=None) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.session = session or requests.Session()

    def __repr__(self) -> str:  # never the token
        return f"ServiceReference({self.base_url!r})"

    def _get(self, library: str, params: dict):
        try:
            return self.session.get(f"{self.base_url}/v1/{library}", params=params,
                                    headers={"Authorization": f"Bearer {self._token}"}, timeout=self.timeout)
        except Exception as exc:  # the library's own message may hold the URL, never the header
            raise ServiceUnavailable(f"无法连接省级数据服务（{type(exc).__name__}）") from None

    def changed(self, library: str, since: str) -> tuple[list[dict], str]:
        items: list[dict] = []
        cursor, watermark = None, since
        for _ in range(100_000):
            params = {"taken_since": since, "limit": "1000", **({"cursor": cursor} if cursor else {})}
            response = self._get(library, params)
            if response.status_code == 409:  # a new copy was published meanwhile: read it from the start
                items, cursor = [], None
                continue
            if response.status_code != 200:
                reason = {401: "令牌无效或已吊销", 403: "令牌无权访问", 503: "省级尚未发布分析副本"}
                raise ServiceUnavailable(f"省级数据服务拒绝请求 HTTP {response.status_code}"
                                         f"（{reason.get(response.status_code, '服务异常')}）")
            body = response.json()
            items.extend(body["items"])
            watermark = body.get("next_watermark") or watermark
            cursor = body.get("next_cursor")
            if not cursor:
                return items, watermark
        raise ServiceUnavailable(f"省级数据服务分页未结束（{LIBRARY_NAMES[library]}）")


class PublishedReference:
    """The same answers read from the province's published copy directly, with the city's scope (the
    province's instance folder on this machine or on shared storage: the one-machine demonstration)."""

    def __init__(self, province_home: Path | str, city: str, unit: str) -> None:
        from zfjd.service.published import PublishedCopy
        from zfjd.service.tokens import Scope

        self.copy = PublishedCopy(Home.at(province_home).published)
        self.scope = Scope(unit, city=city)

    def changed(self, library: str, since: str) -> tuple[list[dict], str]:
        from zfjd.service import queries
        from zfjd.service.published import NotPublished

        try:
            cursor, snapshot = self.copy.cursor()
        except NotPublished:
            raise ServiceUnavailable("省级尚未发布分析副本") from None
        items: list[dict] = []
        with cursor:
            page_cursor = None
            while True:
                page = queries.reference_page(cursor, snapshot, self.scope, library,
                                              taken_since=dt.datetime.fromisoformat(since),
                                              limit=queries.MAX_LIMIT, cursor_text=page_cursor)
                # as the service's JSON has them: dates and amounts as text
                items.extend(json.loads(json.dumps(page.items, default=str)))
                page_cursor = page.next_cursor
                if not page_cursor:
                    return items, page.next_watermark or since


@dataclass
class ReferenceReport:
    taken: bool  # False: the last good 三库 was kept
    versions_received: dict[str, int] = field(default_factory=dict)
    in_force: dict[str, int] = field(default_factory=dict)  # rows written per extract file
    watermarks: dict[str, str] = field(default_factory=dict)
    full_reading: bool = False  # from the beginning (the first time)
    officers_without_personal_data: int = 0
    message: str = ""


class ReferenceStore:
    """The city's copy of the province's library versions and the watermark of each library."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path, timeout=30)
        self.connection.execute("PRAGMA journal_mode=WAL")
        with self.connection:
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS version (library TEXT NOT NULL, version_id TEXT NOT NULL, "
                "code TEXT NOT NULL, valid_from TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (library, version_id))"
            )
            self.connection.execute(
                "CREATE TABLE IF NOT EXISTS watermark (library TEXT PRIMARY KEY, since TEXT NOT NULL, "
                "taken_on TEXT NOT NULL)"
            )

    def close(self) -> None:
        self.connection.close()

    def watermark(self, library: str) -> str:
        row = self.connection.execute("SELECT since FROM watermark WHERE library = ?", (library,)).fetchone()
        return row[0] if row else FIRST_WATERMARK

    def taken_on(self) -> str | None:
        row = self.connection.execute("SELECT min(taken_on) FROM watermark").fetchone()
        return row[0] if row else None

    def merge(self, answers: dict[str, tuple[list[dict], str]], day: dt.date) -> None:
        """Every library's new versions and watermark, together: a crash leaves the previous state whole."""
        with self.connection:
            for library, (items, watermark) in answers.items():
                _, key, code, _ = LIBRARIES[library]
                self.connection.executemany(
                    "INSERT OR REPLACE INTO version VALUES (?, ?, ?, ?, ?)",
                    [(library, item[key], item[code], item["valid_from"],
                      json.dumps(item, ensure_ascii=False, sort_keys=True)) for item in items],
                )
                self.connection.execute(
                    "INSERT OR REPLACE INTO watermark VALUES (?, ?, ?)", (library, watermark, day.isoformat())
                )

    def in_force(self, library: str, day: dt.date) -> list[dict]:
        """Per code, the version begun last on or before `day` (the service's `as_of`: a version is in force
        from its valid_from until the next one's)."""
        rows = self.connection.execute(
            "SELECT row FROM (SELECT row, version_id, row_number() OVER (PARTITION BY code ORDER BY valid_from DESC, "
            "version_id DESC) AS latest FROM version WHERE library = ? AND valid_from <= ?) WHERE latest = 1 "
            "ORDER BY version_id", (library, day.isoformat()),
        )
        return [json.loads(row[0]) for row in rows]


def store_path(home: Home) -> Path:
    return home.state / "province-reference.sqlite"


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _kept_personal(folder: Path) -> dict[str, tuple[str | None, str | None]]:
    """执法证号 → (姓名, 身份证号) from the officer extract the city holds (the latest 更新时间 per card)."""
    path = folder / "officer.csv"
    if not path.exists():
        return {}
    names = {f.code: f.name for f in standard().entity("officer").fields}
    frame = pl.read_csv(path, infer_schema=False)
    wanted = [names["ZFZH"], names["XM"], names["SFZH"], names["GXSJ"]]
    if not set(wanted) <= set(frame.columns):
        return {}
    frame = frame.select(wanted).sort(names["GXSJ"], nulls_last=False).unique(names["ZFZH"], keep="last")
    return {row[0]: (row[1], row[2]) for row in frame.iter_rows()}


def _extract(library: str, versions: Iterable[dict], kept: dict) -> tuple[pl.DataFrame, int]:
    """The versions as the extract's rows (field order and Chinese headers of the standard); for officers,
    the number written without personal data."""
    entity_code, _, _, columns = LIBRARIES[library]
    entity = standard().entity(entity_code)
    rows, missing = [], 0
    for version in versions:
        row = {code: _as_text(version.get(column)) for code, column in columns.items()}
        row["GXSJ"] = f"{version['valid_from']} 00:00:00"
        if library == "officers":
            name, id_number = kept.get(row["ZFZH"], (None, None))
            row["XM"], row["SFZH"] = name, id_number
            missing += id_number is None
        rows.append(row)
    codes = [f.code for f in entity.fields]
    frame = pl.DataFrame([{code: row.get(code) for code in codes} for row in rows],
                         schema={code: pl.String for code in codes}, orient="row")
    key = list(entity.key)
    frame = frame.sort(key) if frame.height else frame
    return frame.rename({f.code: f.name for f in entity.fields}), missing


def _write_whole(frame: pl.DataFrame, path: Path) -> None:
    """Readers see the old file or the new one, never part of one."""
    staging = path.with_name(f".{path.name}.part")
    with open(staging, "wb") as handle:
        frame.write_csv(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)


def source_of(home: Home, role) -> ReferenceSource:
    if role.province_home:
        return PublishedReference(role.province_home, role.city, role.unit)
    token = province_token(home)
    if not token:
        raise ServiceUnavailable("城市实例缺少省级数据服务的令牌：请设置环境变量 ZFJD_PROVINCE_TOKEN，"
                                 "或用 zfjd city configure --token-stdin 保存")
    return ServiceReference(role.province_service, token)


@owner_only
def take_reference(home: Home, as_of: dt.date, *, source: ReferenceSource | None = None) -> ReferenceReport | None:
    """A city's 三库 from the province for the cycle of `as_of` (see the module's docstring); None at the
    province (its extract is its own)."""
    role = city_role(home)
    if role is None:
        return None
    store = ReferenceStore(store_path(home))
    try:
        try:
            source = source or source_of(home, role)
        except ServiceUnavailable as exc:
            return _kept(home, store, str(exc))
        report = ReferenceReport(taken=True)
        answers = {}
        for library in LIBRARIES:
            since = store.watermark(library)
            report.full_reading |= since == FIRST_WATERMARK
            try:
                answers[library] = source.changed(library, since)
            except ServiceUnavailable as exc:
                return _kept(home, store, f"{LIBRARY_NAMES[library]}：{exc}")
        store.merge(answers, as_of)
        kept = _kept_personal(home.reference)
        home.reference.mkdir(parents=True, exist_ok=True)
        for library, (items, watermark) in answers.items():
            frame, missing = _extract(library, store.in_force(library, as_of), kept)
            _write_whole(frame, home.reference / f"{LIBRARIES[library][0]}.csv")
            report.versions_received[library] = len(items)
            report.in_force[library] = frame.height
            report.watermarks[library] = watermark
            report.officers_without_personal_data += missing
        report.message = (
            f"已从省级数据服务取得三库（{as_of} 有效）："
            + "、".join(f"{LIBRARY_NAMES[n]} {report.in_force[n]} 条（本次变化 {report.versions_received[n]} 个版本）"
                       for n in LIBRARIES)
            + ("；首次全量取得" if report.full_reading else "")
            + (f"；{report.officers_without_personal_data} 名执法人员本市没有其未脱敏的姓名与身份证号"
               "（数据服务只提供脱敏信息），其证件仍用于校验" if report.officers_without_personal_data else "")
        )
        log.info(report.message)
        return report
    finally:
        store.close()


def _kept(home: Home, store: ReferenceStore, reason: str) -> ReferenceReport:
    """The last good 三库 stays; said in Chinese. Without any 三库 the cycle cannot validate: it stops."""
    if not any((home.reference / f"{entity}.csv").exists() for entity, *_ in LIBRARIES.values()):
        raise ServiceUnavailable(f"未能从省级数据服务取得三库（{reason}），本市也没有上次取得的三库："
                                 "本周期无法校验，已停止")
    taken_on = store.taken_on()
    message = (f"未能从省级数据服务更新三库（{reason}）：本周期沿用上次成功取得的三库"
               + (f"（取于 {taken_on} 的周期）" if taken_on else "（初始提供的三库）"))
    log.warning(message)
    return ReferenceReport(taken=False, message=message)
