"""An instance's role: the province (the default), or a city instance that reports upward (docs/two-levels.md).

A city instance is the same pipeline: it takes its own city's units through the four channels,
validates them against the 三库 it has from the province, builds its own 主题库 and feedback — and is
itself one 报送单位 of the province, answering for every body of its city (standard.md §5). What makes
it a city is `DIR/instance.json`:

    {"role": "city", "city": "440100", "unit": "11440100MB0CITY01X",
     "province_push": "/mnt/province-push", "province_service": "https://zfjd.gd.gov.cn/data",
     "province_home": null}

- `unit`: the city's 报送单位 code at the province (the province lists it in its units.yaml with
  `channel: platform_push` and `city: "440100"`);
- `province_push`: the province's platform-push store (a mounted folder or the platform's drop), where
  the city's accepted records go;
- `province_service`: the province's data service, where the city reads what the province made of
  them (batches and rejections) with its token — kept in `DIR/state/province-token` (0600) or given by
  `ZFJD_PROVINCE_TOKEN`, never in instance.json;
- `province_home`: instead of the service, the province's instance folder on the same machine or on
  shared storage (its lake's ledger and issues are read directly; the one-machine demonstration).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from zfjd.home import Home, write_secret

ROLE_FILE = "instance.json"
TOKEN_FILE = "province-token"
TOKEN_ENV = "ZFJD_PROVINCE_TOKEN"
_CITY = re.compile(r"44\d{2}00")
_UNIT = re.compile(r"[0-9A-Z]{18}")


class RoleError(ValueError):
    pass


@dataclass(frozen=True)
class CityRole:
    city: str
    unit: str
    province_push: str
    province_service: str | None = None
    province_home: str | None = None
    role: str = "city"

    def __post_init__(self) -> None:
        if self.role != "city":
            raise RoleError(f"实例角色 {self.role!r} 无效：城市实例的角色应为 city")
        if not _CITY.fullmatch(self.city or ""):
            raise RoleError(f"地市代码 {self.city!r} 无效：应为 6 位地市行政区划代码，如 440100（广州）")
        if not _UNIT.fullmatch(self.unit or ""):
            raise RoleError(f"报送单位代码 {self.unit!r} 无效：应为 18 位统一社会信用代码")
        if not self.province_push:
            raise RoleError("未配置省级平台推送目录（province_push）：城市实例无法向省级报送")
        if not (self.province_service or self.province_home):
            raise RoleError("未配置省级数据服务地址（province_service）或省级实例目录（province_home）："
                            "城市实例无法得知省级的接收与退回情况")

    @property
    def prefix(self) -> str:
        """The first four digits every 行政区划代码 of the city starts with."""
        return self.city[:4]


def city_role(home: Home) -> CityRole | None:
    """The instance's city role; None for the province (no instance.json)."""
    path = home.root / ROLE_FILE
    if not path.exists():
        return None
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RoleError(f"{path} 无法读取：{exc}") from None
    if not isinstance(settings, dict) or settings.get("role", "city") != "city":
        raise RoleError(f"{path} 中的实例角色无效：应为 {{\"role\": \"city\", …}}")
    known = {name: settings[name] for name in CityRole.__dataclass_fields__ if name in settings}
    return CityRole(**known)


def configure_city(home: Home, role: CityRole, token: str | None = None) -> None:
    """Makes the instance at `home` a city instance (idempotent; another city's settings are refused)."""
    existing = city_role(home.create())
    if existing is not None and (existing.city, existing.unit) != (role.city, role.unit):
        raise RoleError(f"{home.root} 已配置为地市 {existing.city}（报送单位 {existing.unit}）的城市实例，"
                        "请换一个 --home 目录")
    path = home.root / ROLE_FILE
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(asdict(role), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)
    if token:
        write_secret(home.state / TOKEN_FILE, token)


def province_token(home: Home) -> str | None:
    """The city's token for the province's data service: the environment's, else the stored one."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    path: Path = home.state / TOKEN_FILE
    return path.read_text(encoding="utf-8").strip() if path.exists() else None
