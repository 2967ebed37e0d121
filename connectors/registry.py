"""Who reports, through which channel, for which 执法主体 (standard.md §5: 谁主管、谁提供、谁负责).

The 执法主体库 says which 报送单位 answers for each body (its BSDWDM); configuration says how each unit
reports. A unit on the provincial platform is pushed (`platform_push`); the others report through the
exchange: `api`, `sql` (前置库 tables the exchange syncs) or `file_drop`.

    # units.yaml
    default_channel: file_drop
    units:
      11440106MB2C3D4E5D: {channel: api}
      11440104MB7K8L9M0Q: {channel: sql}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

CHANNELS = ("api", "sql", "file_drop", "platform_push")


@dataclass(frozen=True)
class ReportingUnit:
    code: str
    channel: str
    bodies: frozenset[str]  # the 执法主体 it answers for (itself included)


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
            if settings.get("channel") not in CHANNELS:
                choices = "、".join(CHANNELS)
                raise RegistryError(f"报送单位 {code} 的报送渠道 {settings.get('channel')!r} 无效，可用：{choices}")
        answers = bodies.select("TYSHXYDM", "BSDWDM").drop_nulls()
        scope: dict[str, set[str]] = {}
        for body, unit in answers.iter_rows():
            scope.setdefault(unit, {unit}).add(body)
        for code in overrides:
            scope.setdefault(code, {code})
        units = {
            code: ReportingUnit(code, (overrides.get(code) or {}).get("channel", default), frozenset(members))
            for code, members in sorted(scope.items())
        }
        return cls(units)

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
