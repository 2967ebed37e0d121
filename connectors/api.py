"""The exchange API channel: pages of a unit's records since a watermark, landed page by page.

`ApiSource.pull(unit, entity, since)` asks `GET /api/v1/records/{entity}?unit=…&updated_since=…` and
follows `next_page_token`, yielding one `RawBatch` per non-empty page: the response bytes exactly as
received and its records as text. An empty page carries no records and no watermark and is not yielded.

Failures: 5xx answers, connection errors and timeouts are retried with exponential backoff (plus a
little jitter, capped); 4xx answers are never retried (a wrong token stays wrong). A page that repeats
the previous one, or whose watermark is not after the last good one, is asked for again (a bounded
number of times), so a pull never loops and never yields the same records twice. Whatever cannot be
recovered raises `ApiError`, in Chinese and English, naming the unit and entity.

A page the exchange delivered whole (the agreed envelope: a records list, a watermark) whose records
cannot be landed — a record that is not an object, a key the pipeline reserves (`__record`, …), too many
keys, a value over the limits — is landed as received and quarantined with its reason, and the
watermark moves past it: the unit is told, and its next page is not held up. A body that is not the
agreed JSON at all (or nests deeper than connectors/limits.py allows: checked before parsing) is
asked for again; if it stays unreadable it is landed quarantined for the record and the pull fails
with the reason (its watermark cannot be known, so nothing after it can be taken safely).

A page holding several versions of one record (a pull catching up several days) is yielded as a tuple
of successive batches, one version of a key each, oldest first (connectors/versions.py): landed whole,
`batch.key_conflict` would reject every version.

The token is sent only in the `Authorization` header; it is kept out of URLs, logs, exceptions, `repr`
and manifests. `pull_and_land` lands each page, then moves the watermark: a crash in between repeats the
page on the next run, which lands the same content as the same batch (nothing new).

Note that re-running after a crash lands nothing new only if pages come out the same, i.e. with the
same `page_size`; landed records carry no cursor, so a change of page size mid-recovery could land a
record twice in two different batches (downstream deduplicates by key and 更新时间 anyway).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import quote, urlencode

import polars as pl
import requests

from connectors.landing import Landing, PullReport, RawBatch, land_pages
from connectors.limits import MAX_RECORDS, check_json_size_and_depth, names_problem, shown
from connectors.versions import split_versions
from connectors.watermarks import WatermarkKey, WatermarkStore
from quality.read import UnusableFile
from standards.loader import standard

log = logging.getLogger(__name__)

CHANNEL = "api"
PATH = "/api/v1/records/"
MAX_POSITION_CHARS = 1000  # a page token or watermark: stored with every manifest and watermark
_RETRIABLE_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class ApiError(RuntimeError):
    """A pull that could not be completed; the message is Chinese then English and never holds the token.
    `body`: the last response received, when it was the body that could not be read."""

    def __init__(self, message: str, *, unit: str | None = None, entity: str | None = None,
                 status: int | None = None, body: bytes | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.unit, self.entity, self.status, self.body, self.reason = unit, entity, status, body, reason


class _Retry(Exception):
    """An attempt failed in a way worth retrying; carries a (Chinese, English) description."""

    def __init__(self, zh: str, en: str, status: int | None = None, body: bytes | None = None) -> None:
        super().__init__(en)
        self.zh, self.en, self.status, self.body = zh, en, status, body


class _BearerAuth(requests.auth.AuthBase):
    """Sets the header per request (not on the session, which a caller may share; and so that requests does
    not replace it with ~/.netrc credentials)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<hidden>)"


@dataclass(frozen=True)
class Page:
    body: bytes
    records: list[dict]
    next_page_token: str | None
    watermark: str | None
    problem: str | None = None  # why the records cannot be landed (the page is quarantined whole)


class ApiSource:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: tuple[float, float] = (3.05, 10),
        retries: int = 5,
        backoff: float = 0.2,
        max_backoff: float = 30.0,
        page_size: int = 500,
        repeat_attempts: int = 3,
        max_pages: int = 100_000,
        request_deadline: float = 120.0,
        max_body_bytes: int = 256 * 1024 * 1024,
        session: requests.Session | None = None,
    ) -> None:
        if not base_url or not token:
            raise ApiError("交换接口地址或令牌为空 / the exchange API URL or token is empty")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.page_size = page_size
        self.repeat_attempts = repeat_attempts
        self.max_pages = max_pages
        self.request_deadline = request_deadline
        self.max_body_bytes = max_body_bytes
        self._token = token
        self._auth = _BearerAuth(token)
        self._session = session or requests.Session()
        self._random = random.Random()

    def __repr__(self) -> str:
        return f"ApiSource(base_url={self.base_url!r}, token=<hidden>, page_size={self.page_size})"

    @classmethod
    def from_env(cls, prefix: str = "ZFJD_EXCHANGE", **options) -> ApiSource:
        """From `{prefix}_URL` and `{prefix}_TOKEN` (for running outside Airflow)."""
        url, token = os.environ.get(f"{prefix}_URL"), os.environ.get(f"{prefix}_TOKEN")
        missing = [name for name, value in ((f"{prefix}_URL", url), (f"{prefix}_TOKEN", token)) if not value]
        if missing:
            names = "、".join(missing)
            raise ApiError(f"未设置环境变量 {names} / environment variable(s) not set: {', '.join(missing)}")
        return cls(url, token, **options)

    @classmethod
    def from_airflow_connection(cls, conn_id: str, **options) -> ApiSource:
        """From an Airflow Connection: `host` (with scheme, or `schema` as the scheme, plus `port`), and
        `password` as the token.

        Untested: Airflow is not installed in this environment yet; the import is lazy so that the rest of
        the module works without it. Airflow 3's task SDK exports `BaseHook` (and `Connection`).
        """
        from airflow.sdk import BaseHook  # optional dependency, imported only here

        conn = BaseHook.get_connection(conn_id)
        host = (conn.host or "").rstrip("/")
        if "://" not in host:
            host = f"{conn.schema or 'https'}://{host}" + (f":{conn.port}" if conn.port else "")
        return cls(host, conn.password or "", **options)

    # -- one pull ---------------------------------------------------------------------------------------

    def pull(self, unit: str, entity: str, since: str | None) -> Iterator[RawBatch]:
        """One `RawBatch` per non-empty page of `unit`'s `entity` records after the cursor `since`, or a
        tuple of them when the page holds several versions of one record (connectors/versions.py)."""
        codes = standard().entity(entity).field_codes
        path = PATH + quote(entity, safe="")
        last_cursor, previous_body, page_token = since, None, None
        for _ in range(self.max_pages):
            params = {"unit": unit, "page_size": str(self.page_size)}
            if since is not None:
                params["updated_since"] = since
            if page_token is not None:
                params["page_token"] = page_token
            request_path = f"{path}?{urlencode(params)}"
            page = self._good_page(request_path, unit, entity, last_cursor, previous_body, page_token)
            if page.records:
                records, problem = pl.DataFrame(), page.problem
                if problem is None:
                    try:
                        records = _frame(page.records, codes)
                    except (UnicodeError, ValueError, TypeError, pl.exceptions.PolarsError) as exc:
                        # e.g. a lone surrogate (\ud800) that JSON allows and no text column can hold
                        problem = f"交换接口返回的记录无法保存为文本：{shown(str(exc), 120)}"
                parts = split_versions(RawBatch(
                    unit=unit, entity=entity, channel=CHANNEL, content=page.body, records=records,
                    window_start=since, window_end=page.watermark, source_name=request_path, problem=problem,
                ), partial(_part_content, page))
                yield parts[0] if len(parts) == 1 else parts
                last_cursor, previous_body = page.watermark, page.body
            if page.next_page_token is None:
                return
            page_token = page.next_page_token
        raise ApiError(f"分页超过 {self.max_pages} 页仍未结束（单位 {unit}，数据类型 {entity}）/ more than "
                       f"{self.max_pages} pages for unit {unit}, entity {entity}", unit=unit, entity=entity)

    def _good_page(self, request_path: str, unit: str, entity: str, last_cursor: str | None,
                   previous_body: bytes | None, page_token: str | None) -> Page:
        """The page for `request_path`, asked again (bounded) while it repeats what was already pulled."""
        for attempt in range(self.repeat_attempts + 1):
            page = self._fetch(request_path, unit, entity)
            repeated = (
                (previous_body is not None and page.body == previous_body)
                or (page.records and last_cursor is not None and page.watermark <= last_cursor)
                or (page_token is not None and page.next_page_token == page_token)
            )
            if not repeated:
                return page
            log.warning("重复页，按上一游标重新请求 / repeated page, asking again from the last good cursor "
                        "(unit %s, entity %s, attempt %d of %d)", unit, entity, attempt + 1, self.repeat_attempts)
        raise ApiError(f"交换接口反复返回重复页（单位 {unit}，数据类型 {entity}）/ the exchange API kept repeating "
                       f"a page for unit {unit}, entity {entity}", unit=unit, entity=entity)

    def _fetch(self, request_path: str, unit: str, entity: str) -> Page:
        """One page, retried on 5xx, connection errors, timeouts and unreadable bodies; never on 4xx."""
        problem = None
        for attempt in range(self.retries + 1):
            if attempt:
                delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                time.sleep(delay + self._random.uniform(0, min(delay / 4, 1.0)))
            try:
                return self._attempt(request_path, unit, entity)
            except _Retry as failure:
                problem = failure
                log.warning("交换接口请求失败，将重试 / exchange API request failed, retrying "
                            "(unit %s, entity %s, attempt %d of %d): %s",
                            unit, entity, attempt + 1, self.retries + 1, failure.en)
        raise ApiError(
            f"交换接口重试 {self.retries} 次后仍失败（单位 {unit}，数据类型 {entity}）：{problem.zh} / "
            f"the exchange API still failed after {self.retries} retries (unit {unit}, entity {entity}): {problem.en}",
            unit=unit, entity=entity, status=problem.status, body=problem.body, reason=problem.zh,
        )

    def _attempt(self, request_path: str, unit: str, entity: str) -> Page:
        started = time.monotonic()
        try:
            response = self._session.get(self.base_url + request_path, auth=self._auth, timeout=self.timeout,
                                         allow_redirects=False, stream=True)
        except _RETRIABLE_ERRORS as exc:
            raise _Retry("连接失败或超时", f"connection failed or timed out ({type(exc).__name__})") from None
        with closing(response):
            status = response.status_code
            if status >= 500:
                raise _Retry(f"服务端错误 HTTP {status}", f"server error HTTP {status}", status)
            if status != 200:
                reason = self._scrub(_error_message(response))
                hint = "，请检查令牌" if status in (401, 403) else ""
                raise ApiError(
                    f"交换接口拒绝请求 HTTP {status}{hint}（单位 {unit}，数据类型 {entity}）：{reason} / the exchange "
                    f"API refused the request with HTTP {status} (unit {unit}, entity {entity}): {reason}",
                    unit=unit, entity=entity, status=status,
                )
            try:
                body = self._read(response, started)
            except _RETRIABLE_ERRORS as exc:
                raise _Retry("读取响应时连接中断或超时",
                             f"connection broken or timed out while reading ({type(exc).__name__})") from None
        try:
            return _parse(body)
        except (ValueError, RecursionError) as exc:
            detail = shown(str(exc), 120)
            raise _Retry(f"响应不是约定的 JSON（{detail}）", f"the response is not the agreed JSON ({detail})",
                         status, body) from None

    def _read(self, response: requests.Response, started: float) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body_bytes:
                raise ApiError(f"响应超过 {self.max_body_bytes} 字节 / the response is larger than "
                               f"{self.max_body_bytes} bytes")
            if time.monotonic() - started > self.request_deadline:
                raise _Retry("读取响应超时", f"reading the response took over {self.request_deadline} s")
        return b"".join(chunks)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "<hidden>")


def _error_message(response: requests.Response) -> str:
    try:
        text = response.raw.read(4096, decode_content=True).decode("utf-8", "replace")
        message = json.loads(text).get("message", "")
    except Exception:  # an error body is only a hint
        return ""
    return str(message)[:200]


def _parse(body: bytes) -> Page:
    """The agreed envelope, or ValueError; records that cannot be landed give a Page with a problem."""
    try:
        check_json_size_and_depth(body, "响应")
    except UnusableFile as exc:
        raise ValueError(str(exc)) from None
    payload = json.loads(body.decode("utf-8"))
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        raise ValueError("no records list")
    records, token, watermark = payload["records"], payload.get("next_page_token"), payload.get("watermark")
    if not all(value is None or isinstance(value, str) for value in (token, watermark)):
        raise ValueError("next_page_token and watermark must be text or null")
    if any(value is not None and len(value) > MAX_POSITION_CHARS for value in (token, watermark)):
        raise ValueError(f"next_page_token and watermark must be under {MAX_POSITION_CHARS} characters")
    if records and watermark is None:
        raise ValueError("a page with records has no watermark")
    return Page(body, records, token, watermark, _records_problem(records))


def _part_content(page: Page, rows: list[int], index: int, count: int) -> bytes:
    """Part of a page split by version: its records as received, in the page's envelope, with the page's
    sha256 and watermark (the page's own bytes are not kept: each batch's content holds its own rows)."""
    return json.dumps(
        {"records": [page.records[row] for row in rows], "watermark": page.watermark,
         "page_sha256": hashlib.sha256(page.body).hexdigest(), "part": index + 1, "parts": count},
        ensure_ascii=False, separators=(",", ":"),
    ).encode("utf-8")


def _records_problem(records: list) -> str | None:
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            return f"交换接口返回的第 {number} 条记录不是对象（应为 {{字段: 值}}）"
    if len(records) > MAX_RECORDS:
        return f"一页有 {len(records):,} 条记录，超过上限 {MAX_RECORDS:,} 条"
    return names_problem(list(dict.fromkeys(key for record in records for key in record)))


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)  # a number or nested value the server should have quoted


def _frame(records: list[dict], codes: tuple[str, ...]) -> pl.DataFrame:
    """Every value as text, the standard's fields first in its order, then any others as received."""
    extra = list(dict.fromkeys(key for record in records for key in record if key not in codes))
    columns = [*codes, *extra]
    rows = [{column: _text(record.get(column)) for column in columns} for record in records]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))


def pull_and_land(source: ApiSource, landing: Landing, watermarks: WatermarkStore, unit: str,
                  entity: str) -> PullReport:
    """Pulls from the stored watermark; per page: land it, then advance the watermark to the page's."""
    key = WatermarkKey(unit, entity, CHANNEL)
    since = watermarks.get(key)
    try:
        with closing(source.pull(unit, entity, since)) as pages:
            report = land_pages(pages, landing, watermarks, key)
    except ApiError as failure:
        if failure.body is not None:
            # Kept and quarantined for the record (and the unit's feedback); the watermark stays, as the
            # page's end cannot be known from a body that cannot be read.
            landing.land(RawBatch(unit=unit, entity=entity, channel=CHANNEL, content=failure.body,
                                  records=pl.DataFrame(), window_start=since, source_name=f"{PATH}{entity}",
                                  problem=f"交换接口返回的内容无法读取：{failure.reason}"))
        raise
    if report.quarantined:
        problem = f"{entity}：交换接口有 {report.quarantined} 页数据无法读取，已隔离（原因见单位反馈）"
        report = replace(report, problems=[problem])
    log.info("API pull: unit %s, entity %s, since %s: %d pages, %d new, %d rows landed",
             unit, entity, since, report.batches, report.new_batches, report.rows_landed)
    return report
