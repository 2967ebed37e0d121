"""Who reports, through which channel, for which 执法主体 (standard.md §5: 谁主管、谁提供、谁负责).

The 执法主体库 says which 报送单位 answers for each body (its BSDWDM); configuration says how each unit
reports. A unit on the provincial platform is pushed (`platform_push`); the others report through the
exchange: `api`, `sql` (前置库 tables the exchange syncs) or `file_drop`.

    # units.yaml
    default_channel: file_drop
    units:
      11440106MB2C3D4E5D: {channel: api}
      11440104MB7K8L9M0Q: {channel: sql}
      11440100MB0CITY01X: {channel: platform_push, city: "440100"}   # 广州's city instance (docs/two-levels.md)
      11440000MB0GDXK01T: {channel: api, entities: [license]}      # the 政务服务网: 行政许可 only

A unit with `entities` reports those entities only (a source such as the 政务服务网, which sends the
行政许可 of every 许可机关); the others report the case entities (connectors/intake.py CASE_ENTITIES).

A unit with `city` is a city instance reporting upward: it answers for every body of that city, and the
units answering for those bodies report to it, not here (`Registry.relayed`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

CHANNELS = ("api", "sql", "file_drop", "platform_push")
CITY_CODE = re.compile(r"44\d{2}00")


@dataclass(frozen=True)
class ReportingUnit:
    code: str
    channel: str
    bodies: frozenset[str]  # the 执法主体 it answers for (itself included)
    city: str | None = None  # a city instance reporting upward: the 6-digit code of its city
    entities: tuple[str, ...] | None = None  # what it reports, when not the case entities


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class Registry:
    units: dict[str, ReportingUnit]

    @classmethod
    def build(cls, bodies: pl.DataFrame, config: dict | None = None) -> Registry:
        """`bodies`: the 执法主体库 with TYSHXYDM and BSDWDM (as in the standard); `config`: see module doc."""
        config = config or {}
        default = config.get("default_channel", "file_drop")
        overrides = config.get("units", {}) or {}
        for code, settings in {"(default)": {"channel": default}, **overrides}.items():
            settings = settings or {}
            if settings.get("channel", default) not in CHANNELS:
                choices = "、".join(CHANNELS)
                raise RegistryError(f"报送单位 {code} 的报送渠道 {settings.get('channel')!r} 无效，可用：{choices}")
            reported = settings.get("entities")
            if reported is not None and not (
                isinstance(reported, list) and reported and set(reported) <= set(unit_reported_entities())
            ):
                choices = "、".join(unit_reported_entities())
                raise RegistryError(f"报送单位 {code} 的报送数据类型 {reported!r} 无效，可用：{choices}")
            city = settings.get("city")
            if city is not None and not (isinstance(city, str) and CITY_CODE.fullmatch(city)):
                raise RegistryError(f"报送单位 {code} 的所属地市 {city!r} 无效：应为 6 位地市行政区划代码，如 440100")
        answers = bodies.select("TYSHXYDM", "BSDWDM").drop_nulls()
        scope: dict[str, set[str]] = {}
        for body, unit in answers.iter_rows():
            scope.setdefault(unit, {unit}).add(body)
        for code in overrides:
            scope.setdefault(code, {code})
        cities = {code: (settings or {}).get("city") for code, settings in overrides.items()}
        if any(cities.values()) and "XZQHDM" in bodies.columns:
            for code, city in cities.items():
                if city:
                    in_city = bodies.filter(pl.col("XZQHDM").str.starts_with(city[:4]))["TYSHXYDM"].drop_nulls()
                    scope[code].update(in_city.to_list())
        units = {
            code: ReportingUnit(code, (overrides.get(code) or {}).get("channel", default), frozenset(members),
                                cities.get(code), _entities_of(overrides.get(code)))
            for code, members in sorted(scope.items())
        }
        return cls(units)

    def relays(self) -> dict[str, str]:
        """The city instances reporting here: `{their unit code: city code}`."""
        return {code: unit.city for code, unit in self.units.items() if unit.city}

    def relayed(self, bodies: pl.DataFrame) -> Registry:
        """Without the units that report through a city instance: those whose every body lies in a relay's
        city (they report to their city, which forwards what it accepted; pulling them here too would
        take their records twice). `bodies`: the 执法主体库 with TYSHXYDM, BSDWDM and XZQHDM."""
        if not self.relays():
            return self
        inside = self._within(set(self.relays().values()), bodies)
        return Registry({code: unit for code, unit in self.units.items() if code not in inside})

    def of_city(self, city: str, bodies: pl.DataFrame) -> Registry:
        """The units a city instance takes in: those answering for a body of `city` (and no body elsewhere)."""
        inside = self._within({city}, bodies)
        return Registry({code: unit for code, unit in self.units.items() if code in inside})

    def _within(self, cities: set[str], bodies: pl.DataFrame) -> set[str]:
        """The units (city instances aside) every body of which lies in one of `cities` (6-digit codes), by
        the bodies' latest 行政区划代码."""
        prefixes = {city[:4] for city in cities}
        division = _divisions_now(bodies)
        return {
            code for code, unit in self.units.items()
            if not unit.city and unit.bodies and all(division.get(b, "")[:4] in prefixes for b in unit.bodies)
        }

    @classmethod
    def load(cls, bodies: pl.DataFrame, config_path: Path | None) -> Registry:
        config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) if config_path else None
        return cls.build(bodies, config)

    def by_channel(self, channel: str) -> list[ReportingUnit]:
        return [unit for unit in self.units.values() if unit.channel == channel]

    def unit_of(self, body: str) -> str | None:
        for unit in self.units.values():
            if body in unit.bodies:
                return unit.code
        return None


def unit_reported_entities() -> tuple[str, ...]:
    from standards.loader import standard

    return standard().unit_reported_entities


def _entities_of(settings: dict | None) -> tuple[str, ...] | None:
    reported = (settings or {}).get("entities")
    return tuple(reported) if reported else None


def _divisions_now(bodies: pl.DataFrame) -> dict[str, str]:
    """Each body's 行政区划代码 in its latest version."""
    if "GXSJ" in bodies.columns:
        bodies = bodies.sort("GXSJ", nulls_last=False)
    return dict(bodies.select("TYSHXYDM", "XZQHDM").drop_nulls().iter_rows())
