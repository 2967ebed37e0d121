"""The pandera (polars backend) schema of an entity, generated from the standard and the rule registry,
and the two ways of listing what failed.

Each column is typed as normalisation produces it and carries one pandera Check per rule that can
fail on that field, named `<rule id>@<field code>`. Every rule is first evaluated in one parallel
polars pass (`with_outcomes`: a boolean column per check). Then, per chunk:

- `reporting="outcomes"` (the default): the schema contract — every field present with the dtype
  normalisation promises — is compared in plain polars (the same verdict as pandera's, without
  pandera's 1–2 s import), and the failing (row, check) pairs are read straight off the outcome
  columns;
- `reporting="pandera"`: pandera also runs every check that failed somewhere in the chunk and reports
  the failure cases itself.

Both give identical results (tests/quality/test_reporting.py). They differ in cost: pandera spends a
few collects per failing check where reading the outcome columns takes milliseconds — at 1M rows of
the benchmark file 7.7–8.2 s against 5.4–7.1 s in all (docs/benchmarks.md).
Why the polars backend at all: at 1M rows it validates ~4–5× faster than the pandas backend in about a
fifth of the memory, and the ibis backend misattributes rows (docs/stack-facts.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from quality.context import RuleContext
from quality.normalise import typed_schema
from quality.read import ROW
from quality.reference import required_columns
from quality.rules import FIELD_RULES, Dated, row_violation
from standards.model import Rule

if TYPE_CHECKING:
    import pandera.polars as pa

SEPARATOR = "@"


@dataclass(frozen=True)
class PlannedCheck:
    rule: Rule
    field: str
    violation: pl.Expr
    provisional: pl.Expr | None = None  # True where the answer depends on an unannounced year

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
        violation = row_violation(ctx, rule.id)
        if isinstance(violation, Dated):
            planned.append(PlannedCheck(rule, rule.fields_in(entity)[0], violation.violation, violation.provisional))
        elif isinstance(violation, dict):
            planned.extend(PlannedCheck(rule, code, expr) for code, expr in violation.items())
        else:
            planned.append(PlannedCheck(rule, rule.fields_in(entity)[0], violation))
    return planned, skipped


OUTCOME_PREFIX = "__passes__"
PROVISIONAL_PREFIX = "__provisional__"


def outcome_column(planned: PlannedCheck) -> str:
    return OUTCOME_PREFIX + planned.name


def provisional_column(planned: PlannedCheck) -> str:
    return PROVISIONAL_PREFIX + planned.name


def with_outcomes(typed: pl.DataFrame, planned: list[PlannedCheck]) -> pl.DataFrame:
    """Evaluates every rule in one parallel polars pass: a boolean column per check, True = passes.

    pandera runs its checks one after another, each with a few collects; measured at 1M rows, having it
    read precomputed outcomes is ~1.6× faster than having it evaluate each rule expression itself.
    """
    return typed.with_columns(
        [(~item.violation.fill_null(False)).alias(outcome_column(item)) for item in planned]
        + [
            item.provisional.fill_null(False).alias(provisional_column(item))
            for item in planned
            if item.provisional is not None
        ]
    )


def _check(planned: PlannedCheck) -> pa.Check:
    import pandera.polars as pa

    column = outcome_column(planned)
    return pa.Check(
        lambda data, column=column: data.lazyframe.select(pl.col(column)),
        name=planned.name,
        error=planned.name,
        ignore_na=False,
    )


def build_schema(ctx: RuleContext, planned: list[PlannedCheck]) -> pa.DataFrameSchema:
    import pandera.polars as pa

    dtypes = typed_schema(ctx.entity)
    checks_by_field: dict[str, list[pa.Check]] = {code: [] for code in dtypes}
    for item in planned:
        checks_by_field[item.field].append(_check(item))
    columns = {
        code: pa.Column(dtype, checks=checks_by_field[code], nullable=True, required=True)
        for code, dtype in dtypes.items()
    }
    return pa.DataFrameSchema(columns, strict=False, name=ctx.entity.code)


REPORTINGS = ("outcomes", "pandera")
FAILURE_COLUMNS = {
    "row": pl.Int64,
    "position": pl.Int64,
    "field": pl.String,
    "rule": pl.String,
    "provisional": pl.Boolean,
}


def find_failures(ctx: RuleContext, planned: list[PlannedCheck], typed: pl.DataFrame, reporting: str) -> pl.DataFrame:
    """(row, position in chunk, field, rule) for every failed check of every row of the chunk."""
    outcomes = with_outcomes(typed, planned)
    failing_anywhere = outcomes.select([~pl.col(outcome_column(item)).all() for item in planned]).row(0)
    failing = [item for item, failed in zip(planned, failing_anywhere, strict=True) if failed]
    if reporting == "pandera":
        found = _failures_by_pandera(ctx, failing, typed, outcomes)
    else:
        _check_contract(ctx, outcomes)
        if not failing:
            return pl.DataFrame(schema=FAILURE_COLUMNS)
        found = _failing_positions(outcomes, failing)
        found = found.with_columns(typed[ROW].gather(found["position"]).alias("row"))
    return _with_provisional(found, failing, outcomes).select(list(FAILURE_COLUMNS))


def _failing_positions(outcomes: pl.DataFrame, failing: list[PlannedCheck]) -> pl.DataFrame:
    """(position, field, rule) of every failure, check after check: one pass over the outcome columns
    for all the checks (a list of positions each), not a pass per failing check."""
    positions = outcomes.select(
        [pl.arg_where(~pl.col(outcome_column(item))).cast(pl.Int64).implode().alias(str(index))
         for index, item in enumerate(failing)]
    )
    checks = pl.DataFrame(
        {
            "check": [str(index) for index in range(len(failing))],
            "field": [item.field for item in failing],
            "rule": [item.rule.id for item in failing],
        }
    )
    found = positions.unpivot(variable_name="check", value_name="position").explode("position")
    return found.join(checks, on="check", how="left", maintain_order="left").select("position", "field", "rule")


def _with_provisional(found: pl.DataFrame, failing: list[PlannedCheck], outcomes: pl.DataFrame) -> pl.DataFrame:
    """Marks each failure whose answer depends on a year whose holidays are not announced yet."""
    flagged = {item.name: provisional_column(item) for item in failing if item.provisional is not None}
    if not flagged or found.is_empty():
        return found.with_columns(pl.lit(False).alias("provisional"))
    parts = []
    for (name,), group in found.with_columns(
        (pl.col("rule") + SEPARATOR + pl.col("field")).alias("__check")
    ).group_by("__check", maintain_order=True):
        if name in flagged:
            values = outcomes[flagged[name]].gather(group["position"])
        else:
            values = pl.Series([False] * group.height, dtype=pl.Boolean)
        parts.append(group.with_columns(values.alias("provisional")).drop("__check"))
    return pl.concat(parts)


def _check_contract(ctx: RuleContext, frame: pl.DataFrame) -> None:
    """Every field present with the dtype normalisation promises; a failure is a bug, not bad data.

    The schema contract of `build_schema` (columns required, nullable, not strict) compared in plain
    polars: pandera's import alone costs 1–2 s (it brings pandas), most of a small file's whole run,
    and its verdict on dtypes is the same (tests/quality/test_reporting.py). A shape once held is
    not compared again.
    """
    shape = tuple(frame.schema.items())
    if shape in _CONTRACT_HELD:
        return
    broken = contract_breaches(ctx, frame.schema)
    if broken:
        raise RuntimeError(f"schema contract broken for {ctx.entity.code}: {broken[:5]}")
    _CONTRACT_HELD.add(shape)


def contract_breaches(ctx: RuleContext, schema: pl.Schema) -> list[str]:
    """The fields missing from `schema` or typed otherwise than normalisation promises."""
    breaches = []
    for code, dtype in typed_schema(ctx.entity).items():
        if code not in schema:
            breaches.append(f"{code}: missing")
        elif schema[code] != dtype:
            breaches.append(f"{code}: {schema[code]} instead of {dtype}")
    return breaches


_CONTRACT_HELD: set[tuple] = set()


def _failures_by_pandera(
    ctx: RuleContext, failing: list[PlannedCheck], typed: pl.DataFrame, outcomes: pl.DataFrame
) -> pl.DataFrame:
    import pandera.errors

    try:
        build_schema(ctx, failing).validate(outcomes, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pl.DataFrame(schema=FAILURE_COLUMNS)
    not_ours = cases.filter(~pl.col("check").str.contains(SEPARATOR, literal=True))
    if not_ours.height:
        raise RuntimeError(f"schema contract broken for {ctx.entity.code}: {not_ours.head(5)}")
    positions = cases["index"].cast(pl.Int64)
    names = cases["check"].str.split_exact(SEPARATOR, 1).struct.rename_fields(["rule", "field"]).struct.unnest()
    return pl.DataFrame(
        {"row": typed[ROW].gather(positions), "position": positions, "field": names["field"], "rule": names["rule"]}
    )
