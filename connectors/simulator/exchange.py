"""What the simulated province has sent over a run of days: every record version, by unit and entity.

The four simulated channels (exchange API, 前置库 tables, file drops, platform push) all serve from
this one body of data, so a test can check that whatever channel a record travels, it lands once.
A record's position in a unit's stream is (更新时间 GXSJ, natural key): pulls "since a watermark" ask
for versions with a later position, in that order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from connectors.intake import CASE_ENTITIES  # noqa: F401 (front_db, outbox and tests read it here)
from connectors.simulator.province import GOV_SERVICE_UNIT, RECORD_ENTITIES, Province, build_province, daily_records
from standards.loader import standard

UNIT = "__unit"
EXPECTED = "__expected_rule"
DAY = "__day"
SEQ = "__seq"
CURSOR = "__cursor"


@dataclass
class Exchange:
    province: Province
    days: list[dt.date]
    defect_rate: float = 0.03

    @classmethod
    def simulate(cls, units: int, days: int, seed: int, start: dt.date, defect_rate: float = 0.03) -> Exchange:
        province = build_province(units, seed, start)
        return cls(province, [start + dt.timedelta(days=i) for i in range(days)], defect_rate)

    @cached_property
    def _split(self) -> dict[str, dict]:
        return {}

    @cached_property
    def records(self) -> dict[str, pl.DataFrame]:
        """entity → every record version of the run, with `__unit`, `__expected_rule` and `__day`."""
        parts: dict[str, list[pl.DataFrame]] = {entity: [] for entity in RECORD_ENTITIES}
        for day in self.days:
            for entity, frame in daily_records(
                self.province, day, defect_rate=self.defect_rate, seed=self.province.seed
            ).items():
                parts[entity].append(frame.with_columns(pl.lit(day).alias(DAY)))
        return {
            entity: pl.concat(frames).with_row_index(SEQ).with_columns(cursor_of(entity).alias(CURSOR))
            for entity, frames in parts.items()
        }

    @property
    def unit_codes(self) -> list[str]:
        return [unit.code for unit in self.province.units]

    @property
    def source_codes(self) -> list[str]:
        """Everyone who sends over the exchange: the 报送单位 and the 政务服务网 (行政许可)."""
        return [*self.unit_codes, GOV_SERVICE_UNIT]

    def of_unit(self, unit: str, entity: str, day: dt.date | None = None) -> pl.DataFrame:
        """One unit's records of an entity (of one day, or all), as it would send them: field codes only."""
        if day is not None:
            by_unit_and_day = self._by_unit_and_day(entity)
            return by_unit_and_day.get((unit, day), by_unit_and_day[None])
        frame = self.records[entity].filter(pl.col(UNIT) == unit)
        return frame.select(standard().entity(entity).field_codes)

    def _by_unit_and_day(self, entity: str) -> dict:
        """entity's records split once by (unit, day), in their order, field codes only (None: no
        records): writing a province's drops asks for every unit's every day, and a filter of the
        whole run per question grows with units × days × records."""
        cached = self._split.get(entity)
        if cached is None:
            frame = self.records[entity]
            codes = standard().entity(entity).field_codes
            parts = frame.select(*codes, UNIT, DAY).partition_by(UNIT, DAY, as_dict=True, maintain_order=True)
            cached = {key: part.drop(UNIT, DAY) for key, part in parts.items()}
            cached[None] = frame.select(codes).clear()
            self._split[entity] = cached
        return cached

    def since(self, unit: str, entity: str, after: str | None, limit: int | None = None) -> pl.DataFrame:
        """A unit's record versions with a position after `after` (a `cursor`), in position order."""
        codes = standard().entity(entity).field_codes
        frame = self.records[entity].filter(pl.col(UNIT) == unit)
        if after is not None:
            frame = frame.filter(pl.col(CURSOR) > after)
        frame = frame.sort(CURSOR)
        if limit is not None:
            frame = frame.head(limit)
        return frame.select(*codes, CURSOR)


def cursor_of(entity: str) -> pl.Expr:
    """A record version's position as sortable text, unique: `GXSJ|key parts|sequence` (GXSJ is
    `YYYY-MM-DD HH:MM:SS`; the sequence number keeps two identical versions apart)."""
    key = standard().entity(entity).key
    sequence = pl.col(SEQ).cast(pl.String).str.zfill(9)
    parts = [pl.col("GXSJ").fill_null(""), *[pl.col(c).fill_null("") for c in key], sequence]
    return pl.concat_str(parts, separator="|")
