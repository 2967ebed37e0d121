"""Builds the pandera (polars backend) schema of an entity from the standard and the rule registry.

Each column is typed as normalisation produces it, and carries one pandera Check per rule that can
fail on that field, named `<rule id>@<field code>`. pandera runs them lazily and reports every
(row, check) failure; quality/engine.py turns those into the unit's errors and findings.

Why polars: measured on this 2-core machine at 1M rows, pandera's polars backend validates ~4–5×
faster than its pandas backend in about a fifth of the memory (see docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from quality.context import RuleContext
from quality.normalise import typed_schema
from quality.reference import required_columns
from quality.rules import FIELD_RULES, ROW_RULES
from standards.model import Rule

SEPARATOR = "@"


@dataclass(frozen=True)
class PlannedCheck:
    rule: Rule
    field: str
    violation: pl.Expr

    @property
    def name(self) -> str:
        return f"{self.rule.id}{SEPARATOR}{self.field}"


def plan_checks(ctx: RuleContext, available: set[str]) -> tuple[list[PlannedCheck], list[str]]:
    """The checks to run for this entity, and the ids of rules skipped for want of reference data."""
    entity = ctx.entity
    planned: list[PlannedCheck] = []
    skipped: list[str] = []
    for rule in ctx.standard.rules.values():
        if rule.kind == "batch":
            continue
        if rule.kind == "field":
            for spec_field in rule.targets(entity):
                planned.append(PlannedCheck(rule, spec_field.code, FIELD_RULES[rule.id](ctx, spec_field)))
            continue
        if not rule.applies(entity.code):
            continue
        if any(column not in available for column in required_columns(rule.id)):
            skipped.append(rule.id)
            continue
        violation = ROW_RULES[rule.id](ctx)
        if isinstance(violation, dict):
            planned.extend(PlannedCheck(rule, code, expr) for code, expr in violation.items())
        else:
            planned.append(PlannedCheck(rule, rule.fields_in(entity)[0], violation))
    return planned, skipped


OUTCOME_PREFIX = "__passes__"


def outcome_column(planned: PlannedCheck) -> str:
    return OUTCOME_PREFIX + planned.name


def with_outcomes(typed: pl.DataFrame, planned: list[PlannedCheck]) -> pl.DataFrame:
    """Evaluates every rule in one parallel polars pass: a boolean column per check, True = passes.

    pandera runs its checks one after another, each with a few collects; measured at 1M rows, having it
    read precomputed outcomes is ~1.6× faster than having it evaluate each rule expression itself.
    """
    return typed.with_columns([(~item.violation.fill_null(False)).alias(outcome_column(item)) for item in planned])


def _check(planned: PlannedCheck) -> pa.Check:
    column = outcome_column(planned)
    return pa.Check(
        lambda data, column=column: data.lazyframe.select(pl.col(column)),
        name=planned.name,
        error=planned.name,
        ignore_na=False,
    )


def build_schema(ctx: RuleContext, planned: list[PlannedCheck]) -> pa.DataFrameSchema:
    dtypes = typed_schema(ctx.entity)
    checks_by_field: dict[str, list[pa.Check]] = {code: [] for code in dtypes}
    for item in planned:
        checks_by_field[item.field].append(_check(item))
    columns = {
        code: pa.Column(dtype, checks=checks_by_field[code], nullable=True, required=True)
        for code, dtype in dtypes.items()
    }
    return pa.DataFrameSchema(columns, strict=False, name=ctx.entity.code)
