"""Access tokens of the data service: one 报送单位 (or its city, or the province) per token.

A token is shown once, when issued, and stored only as its SHA-256 (a 256-bit random token needs no
slow hash: nobody can guess one from its digest). Several tokens of one unit may be valid at once, so a
unit rotates without downtime: issue the new one, switch, revoke the old one. The file is the owner's
only (0600, `zfjd/home.py`) and replaced whole on every change; the service reads it again whenever it
changed on disk, so issuing and revoking need no restart.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from zfjd.home import Home, owner_only, write_secret

TOKEN_FILE = "service-tokens.json"
UNIT_CODE = re.compile(r"[0-9A-Z]{18}")  # 统一社会信用代码
CITY_CODE = re.compile(r"\d{4}00")  # a 地级市's 行政区划代码


@dataclass(frozen=True)
class Scope:
    """What one token may read: its unit's rows, its city's, or the whole province's."""

    unit: str
    city: str | None = None
    province: bool = False

    @property
    def label(self) -> str:
        if self.province:
            return "全省"
        return f"{self.city} 市" if self.city else f"报送单位 {self.unit}"


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    digest: str
    unit: str
    city: str | None
    province: bool
    created: str

    @property
    def scope(self) -> Scope:
        return Scope(self.unit, self.city, self.province)


def token_path(home: Home) -> Path:
    return home.state / TOKEN_FILE


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(path: Path) -> list[TokenRecord]:
    if not path.exists():
        return []
    return [TokenRecord(**row) for row in json.loads(path.read_text(encoding="utf-8"))["tokens"]]


def _write(path: Path, records: list[TokenRecord]) -> None:
    staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    write_secret(staging, json.dumps({"tokens": [asdict(r) for r in records]}, ensure_ascii=False, indent=1))
    os.replace(staging, path)  # readers see the old list or the new one, never half of one


@contextmanager
def _locked(path: Path):
    """One writer at a time: two `zfjd token issue` at once must not lose one of the two tokens."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


@owner_only
def issue(home: Home, unit: str, *, city: str | None = None, province: bool = False) -> tuple[TokenRecord, str]:
    """A new token for a unit (its city's scope with `city`, the province's with `province`); returns the
    record and the token itself, which is stored nowhere."""
    if not UNIT_CODE.fullmatch(unit):
        raise ValueError(f"报送单位代码应为 18 位统一社会信用代码（数字或大写字母），收到：{unit}")
    if city is not None and not CITY_CODE.fullmatch(city):
        raise ValueError(f"城市代码应为地级市 6 位行政区划代码（如 440100），收到：{city}")
    if city and province:
        raise ValueError("一个令牌只能有一个范围：--city 与 --province 不能同时使用")
    token = secrets.token_urlsafe(32)
    record = TokenRecord(
        token_id=secrets.token_hex(6),
        digest=digest_of(token),
        unit=unit,
        city=city,
        province=province,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    path = token_path(home)
    with _locked(path):
        _write(path, [*_read(path), record])
    return record, token


@owner_only
def revoke(home: Home, token_id: str) -> TokenRecord:
    path = token_path(home)
    with _locked(path):
        records = _read(path)
        found = [r for r in records if r.token_id == token_id]
        if not found:
            raise LookupError(f"没有编号为 {token_id} 的令牌（zfjd token list 可查看现有令牌）")
        _write(path, [r for r in records if r.token_id != token_id])
    return found[0]


def listed(home: Home) -> list[TokenRecord]:
    return _read(token_path(home))


class TokenBook:
    """The service's view of the token file, read again whenever the file changed on disk."""

    def __init__(self, home: Home) -> None:
        self._path = token_path(home)
        self._lock = threading.Lock()
        self._seen: tuple | None = None
        self._by_digest: dict[str, TokenRecord] = {}

    def _refresh(self) -> None:
        try:
            info = os.stat(self._path)
            identity = (info.st_ino, info.st_mtime_ns, info.st_size)
        except FileNotFoundError:
            identity = None
        if identity == self._seen:
            return
        with self._lock:
            records = _read(self._path) if identity else []
            self._by_digest = {r.digest: r for r in records}
            self._seen = identity

    def scope_of(self, token: str) -> Scope | None:
        self._refresh()
        wanted = digest_of(token)
        for digest, record in self._by_digest.items():
            if hmac.compare_digest(digest, wanted):
                return record.scope
        return None
