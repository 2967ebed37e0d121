"""The simulated exchange's data API, served on loopback for tests and `zfjd simulate`.

    GET /api/v1/records/{entity}?unit=USCC[&updated_since=CURSOR][&page_size=N][&page_token=TOKEN]
    Authorization: Bearer <token>

answers `{"records": [{field code: text or null, …}], "next_page_token": text or null,
"watermark": cursor of the page's last record or null}` (UTF-8, `ensure_ascii=False`, fields in the
standard's order). Records are a unit's versions with a cursor after `updated_since` (exclusive), in
cursor order; `page_token` is the last cursor of the previous page, so paging is stable: the same
request always gives byte-identical JSON. Errors are JSON `{"error": code, "message": Chinese text}`:
401 without the right token, 404 for an unknown path, entity or unit, 400 for bad parameters.
`page_size` defaults to 100 and is capped at `max_page_size` (1000).

`Faults` makes the server misbehave deterministically (by counting requests, no randomness), so a
test that sees a fault once sees it on every run.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import polars as pl

from connectors.simulator.exchange import CURSOR, Exchange
from standards.loader import standard

log = logging.getLogger(__name__)

PREFIX = "/api/v1/records/"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_USCC = re.compile(r"^[0-9A-Z]{18}$")
_PARAMETERS = {"unit", "updated_since", "page_size", "page_token"}


@dataclass(frozen=True)
class Faults:
    """Deterministic misbehaviour, counted over every request the server receives (1-based).

    fail_first: the first N requests answer 503.
    fail_every: every Nth request answers 500.
    delay_every / delay_seconds: every Nth request sleeps before answering (longer than a client's read
        timeout simulates a timeout; the answer is then written to a closed connection).
    repeat_page_every: every Nth request for a next page (one carrying `page_token`) answers with the
        body of the page served before it for that unit and entity (a repeated page).
    """

    fail_first: int = 0
    fail_every: int = 0
    delay_every: int = 0
    delay_seconds: float = 0.0
    repeat_page_every: int = 0


@dataclass
class RunningApi:
    url: str
    server: ThreadingHTTPServer
    thread: threading.Thread
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path with query, status) in order

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> RunningApi:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _State:
    def __init__(self, exchange: Exchange, token: str, faults: Faults, max_page_size: int, log_to: list) -> None:
        self.exchange = exchange
        self.token = token.encode("utf-8")
        self.faults = faults
        self.max_page_size = max_page_size
        self.units = set(exchange.source_codes)
        self.lock = threading.Lock()
        self.count = 0
        self.page_requests = 0
        self.last_body: dict[tuple[str, str], bytes] = {}
        self.log = log_to


def _json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Problem(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
        timeout = 10  # an idle keep-alive connection is closed after this

        def log_message(self, format, *args):  # the default writes to stderr; headers are never logged
            log.debug("api %s", format % args)

        def do_GET(self):
            with state.lock:
                state.count += 1
                number = state.count
            status, body, headers = self._answer(number)
            with state.lock:
                state.log.append((self.path, status))  # in arrival order, before any delay
            faults = state.faults
            if faults.delay_every and number % faults.delay_every == 0:
                time.sleep(faults.delay_seconds)
            self._send(status, body, headers)

        def _answer(self, number: int) -> tuple[int, bytes, dict[str, str]]:
            faults = state.faults
            if number <= faults.fail_first:
                return 503, _json({"error": "unavailable", "message": "服务暂不可用（模拟）"}), {}
            if faults.fail_every and number % faults.fail_every == 0:
                return 500, _json({"error": "internal", "message": "服务内部错误（模拟）"}), {}
            if not self._authorised():
                return (401, _json({"error": "unauthorised", "message": "缺少或错误的访问令牌"}),
                        {"WWW-Authenticate": 'Bearer realm="zfjd-exchange"'})
            try:
                return 200, self._page(), {}
            except _Problem as problem:
                return problem.status, _json({"error": problem.code, "message": problem.message}), {}

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            scheme, _, presented = header.partition(" ")
            return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode("utf-8"), state.token)

        def _page(self) -> bytes:
            parts = urlsplit(self.path)
            if not parts.path.startswith(PREFIX):
                raise _Problem(404, "not_found", "无此接口")
            entity = unquote(parts.path[len(PREFIX):])
            if entity not in state.exchange.records:
                raise _Problem(404, "unknown_entity", f"未知的数据类型：{entity}")
            try:
                query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query),
                                 max_num_fields=10)
            except ValueError:
                raise _Problem(400, "bad_query", "查询参数格式错误") from None
            if set(query) - _PARAMETERS or any(len(values) != 1 for values in query.values()):
                raise _Problem(400, "bad_query", f"只接受参数 {sorted(_PARAMETERS)}，且每个参数只能出现一次")
            params = {name: values[0] for name, values in query.items()}
            unit = params.get("unit", "")
            if not _USCC.match(unit):
                raise _Problem(400, "bad_unit", "unit 须为18位统一社会信用代码")
            if unit not in state.units:
                raise _Problem(404, "unknown_unit", f"未登记的报送单位：{unit}")
            since, token = params.get("updated_since") or None, params.get("page_token") or None
            for name, value in (("updated_since", since), ("page_token", token)):
                if value is not None and (len(value) > 256 or not value.isprintable()):
                    raise _Problem(400, "bad_cursor", f"{name} 格式错误")
            if token is not None and since is not None and token <= since:
                raise _Problem(400, "bad_page_token", "page_token 须在 updated_since 之后")
            raw_size = params.get("page_size", str(DEFAULT_PAGE_SIZE))
            if not raw_size.isdigit() or int(raw_size) < 1:
                raise _Problem(400, "bad_page_size", "page_size 须为正整数")
            page_size = min(int(raw_size), state.max_page_size)
            if token is not None and state.faults.repeat_page_every:
                with state.lock:
                    state.page_requests += 1
                    repeat = state.page_requests % state.faults.repeat_page_every == 0
                    previous = state.last_body.get((unit, entity))
                if repeat and previous is not None:
                    return previous
            body = _render(state.exchange, unit, entity, token or since, page_size)
            with state.lock:
                state.last_body[(unit, entity)] = body
            return body

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a simulated timeout)
                self.close_connection = True

    return Handler


def _render(exchange: Exchange, unit: str, entity: str, after: str | None, page_size: int) -> bytes:
    codes = standard().entity(entity).field_codes
    frame = exchange.since(unit, entity, after, limit=page_size + 1)
    more = frame.height > page_size
    page = frame.head(page_size)
    cursors = page[CURSOR].to_list()
    records = page.select(pl.col(c).cast(pl.String) for c in codes).to_dicts()
    watermark = cursors[-1] if cursors else None
    return _json({"records": records, "next_page_token": watermark if more else None, "watermark": watermark})


def start_api(
    exchange: Exchange,
    *,
    token: str,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Faults | None = None,
    max_page_size: int = MAX_PAGE_SIZE,
) -> RunningApi:
    """Serves `exchange` in a background thread; `port=0` picks a free port (see `.url`)."""
    if not token:
        raise ValueError("the simulated API needs a token")
    exchange.records  # noqa: B018 — built once here, not concurrently by the first requests
    requests_seen: list[tuple[str, int]] = []
    state = _State(exchange, token, faults or Faults(), max_page_size, requests_seen)
    server = ThreadingHTTPServer((host, port), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="zfjd-api-server", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return RunningApi(url=f"http://{bound_host}:{bound_port}", server=server, thread=thread,
                      requests=requests_seen)
