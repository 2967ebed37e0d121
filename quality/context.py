"""What a rule sees when it is turned into an expression: the entity, the day, the calendar, helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from quality.normalise import bad_column
from quality.workdays import WorkdayCalendar
from standards.model import Entity, Standard


@dataclass(frozen=True)
class RuleContext:
    entity: Entity
    standard: Standard
    as_of: dt.date
    calendar: WorkdayCalendar

    def value(self, code: str) -> pl.Expr:
        return pl.col(code)

    def bad(self, code: str) -> pl.Expr:
        """Text was given for the field but is not a valid value (reported by a field rule already)."""
        if bad_column(code) in self._bad_columns:
            return pl.col(bad_column(code))
        return pl.lit(False)

    def missing(self, code: str) -> pl.Expr:
        """Nothing was given for the field (an invalid value is not 'missing': it has its own error)."""
        return pl.col(code).is_null() & ~self.bad(code)

    @property
    def _bad_columns(self) -> set[str]:
        return {bad_column(f.code) for f in self.entity.fields if f.type not in ("text", "text_list")}

    def has(self, code: str) -> bool:
        return self.entity.has_field(code)
