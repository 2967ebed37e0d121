"""How each rule of the catalogue (standards/spec/rules.yaml) is checked, as a polars expression.

An implementation returns the *violation*: an expression that is True for a row that breaks the rule
(null counts as no violation, so each rule says explicitly what a missing value means). A rule that
can fail on several fields of one row returns {field code: violation}. The catalogue says what a rule
means and what the unit is told; this module only says how it is computed.

Row rules and row findings are written once, in the rule language (standards/spec/rule_checks.yaml),
and compiled here by quality/rule_polars.py — the warehouse compiles the same text to SQL
(quality/rule_sql.py). The Python implementations registered below are only those the language does
not state, each written once for this engine:
- field rules (`field.*`): how a field's text parses, applied to every field of a type (normalise.py);
- scope rules (`scope.*`): who may report what, from the 三库 columns joined by quality/reference.py;
- reference rules (`reference.*`, `finding.officer_without_valid_card`, `finding.fine_out_of_range`):
  a record against the 三库 (joins, by the case's date);
- the row rules excused in rule_checks.yaml's `engine_specific`, each with its reason there (a check
  digit, the division list, a pattern over list items).
Batch rules (keys within a file) are row-set operations and live in quality/batch.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from quality.codes import ric_is_valid
from quality.context import RuleContext
from quality.reference import (
    ENTITY_ACTIVE,
    ENTITY_DOMAIN_AT_DECISION,
    ENTITY_IN_FORCE_AT_DECISION,
    ENTITY_KNOWN,
    IN_SCOPE,
    MATTER_FINE_MAX,
    MATTER_FINE_MIN,
    MATTER_HELD,
    MATTER_KIND_OK,
    MATTER_KNOWN,
    OFFICER_ENTITY_KNOWN,
    OFFICERS_CARD_INVALID,
    OFFICERS_OF_OTHER_ENTITY,
    OFFICERS_UNKNOWN,
    SUBMITTER_MATCHES,
)
from quality.rule_polars import YUAN_PER_WAN
from quality.rule_polars import provisional as compiled_provisional
from quality.rule_polars import violations as compiled_violations
from standards.model import Field


@dataclass(frozen=True)
class Dated:
    """A violation counted in the calendar, and where its answer is provisional (an unannounced year)."""

    violation: pl.Expr
    provisional: pl.Expr


Violation = pl.Expr | dict[str, pl.Expr] | Dated
FieldRule = Callable[[RuleContext, Field], pl.Expr]
RowRule = Callable[[RuleContext], Violation]

FIELD_RULES: dict[str, FieldRule] = {}
ROW_RULES: dict[str, RowRule] = {}

# The 层级 (admin_level) named for each level of the division list.
LEVEL_OF_DIVISION = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)"}
# Code values the engine-specific findings name (tests check each resolves in its code list).
WITHDRAWN_STATUS = ("case_status", "已撤销")
REVIEW_OUTCOME = "review_outcome"
REVIEW_CHANGED = ("撤销", "变更", "确认违法")
REVIEW_REVOKED = (REVIEW_OUTCOME, "撤销")
ON_THE_SPOT = ("fine_collection", "当场收缴")
OPEN_UNDECIDED = ("已立案", "调查中")
SEIZURES = ("查封场所设施或者财物", "扣押财物", "冻结存款汇款")
WARNING = ("penalty_kind", "警告")
MARKET_REGULATION = ("enforcement_domain", "市场监管")


def limit(ctx: RuleContext, rule_id: str, name: str):
    """A limit of the law as the standard states it (`params` in rules.yaml)."""
    return ctx.standard.rules[rule_id].params[name]


def code_of(ctx: RuleContext, codelist: str, label: str) -> str:
    """A code value by its name in the code list, never as a literal."""
    by_label = {value.label: value.code for value in ctx.standard.codelists[codelist].values}
    return by_label[label]


def field_rule(rule_id: str):
    def register(function: FieldRule) -> FieldRule:
        FIELD_RULES[rule_id] = function
        return function

    return register


def row_rule(rule_id: str):
    def register(function: RowRule) -> RowRule:
        ROW_RULES[rule_id] = function
        return function

    return register


def row_violation(ctx: RuleContext, rule_id: str) -> Violation:
    """A row, scope or reference rule's violation: its compiled check, or its registered implementation."""
    check = ctx.standard.checks.get(rule_id)
    if check is not None:
        violation = compiled_violations(ctx, check)
        if check.uses_workdays:
            # A deadline counted in the Chinese calendar: say where it ran through an unannounced year.
            return Dated(violation, compiled_provisional(ctx, check))
        return violation
    return ROW_RULES[rule_id](ctx)


def working_deadline(ctx: RuleContext, start: pl.Expr, working_days: int) -> tuple[pl.Expr, pl.Expr]:
    """The `working_days`-th working day after `start` (调休 counted), and whether it is provisional."""
    return ctx.calendar.deadline_expr(start, working_days), ctx.calendar.guessed_expr(start, working_days).fill_null(
        False
    )


def period_end(ctx: RuleContext, start: pl.Expr, length: str | pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The last day of a period of calendar days or years (`"90d"`, `"2y"`) after `start`, moved on to the
    next working day when it is not one (顺延, project-defined), and whether that is provisional."""
    last = start.dt.offset_by(length)
    return ctx.calendar.next_workday_expr(last), ctx.calendar.rolled_guessed_expr(last).fill_null(False)


def too_late(day: pl.Expr, deadline: pl.Expr, ctx: RuleContext) -> pl.Expr:
    """`day` is after the deadline, or (nothing done yet) the deadline has passed as of the run's day."""
    return pl.when(day.is_not_null()).then(day > deadline).otherwise(pl.lit(ctx.as_of) > deadline)


def fine_yuan(ctx: RuleContext) -> pl.Expr:
    """The fine in 元: the 双公示 field CF_NR_FK is in 万元 (as the language's `yuan(CF_NR_FK)`)."""
    return (ctx.value("CF_NR_FK") * YUAN_PER_WAN).round(2)


# --- field rules ---------------------------------------------------------------------------------


@field_rule("field.required")
def _required(ctx: RuleContext, spec_field: Field) -> pl.Expr:
    return ctx.missing(spec_field.code)


@field_rule("field.max_length")
def _max_length(ctx: RuleContext, spec_field: Field) -> pl.Expr:
    return ctx.value(spec_field.code).str.len_chars() > spec_field.max_length


def _unparseable(ctx: RuleContext, spec_field: Field) -> pl.Expr:
    return ctx.bad(spec_field.code)


# Rules that fail exactly when a given text does not parse as the field's type.
FORMAT_RULES = frozenset(
    {
        "field.uscc",
        "field.ric",
        "field.division",
        "field.date",
        "field.datetime",
        "field.decimal",
        "field.integer",
        "field.yn",
        "field.code",
    }
)
for _format_rule in FORMAT_RULES:
    FIELD_RULES[_format_rule] = _unparseable


@field_rule("field.not_future")
def _not_future(ctx: RuleContext, spec_field: Field) -> pl.Expr:
    value = ctx.value(spec_field.code)
    if spec_field.type == "datetime":
        value = value.dt.date()
    return value > pl.lit(ctx.as_of)


# --- who may report what ---------------------------------------------------------------------------


@row_rule("scope.submitter")
def _submitter(ctx: RuleContext) -> Violation:
    return ~pl.col(SUBMITTER_MATCHES)


@row_rule("scope.out_of_scope")
def _out_of_scope(ctx: RuleContext) -> Violation:
    return ~pl.col(IN_SCOPE)


@row_rule("scope.officer_out_of_scope")
def _officer_out_of_scope(ctx: RuleContext) -> Violation:
    return ~pl.col(IN_SCOPE)


# --- row rules the language does not state (rule_checks.yaml `engine_specific` says why) ------------


@row_rule("counterparty.id_number_invalid")
def _id_number_invalid(ctx: RuleContext) -> Violation:
    number = ctx.value("CF_XDR_ZJHM")
    resident_id = code_of(ctx, "id_document_type", "身份证")
    return (ctx.value("CF_XDR_ZJLX") == resident_id) & number.is_not_null() & ~ric_is_valid(number.str.to_uppercase())


@row_rule("entity.level_mismatch")
def _level_mismatch(ctx: RuleContext) -> Violation:
    level_code = {level: code_of(ctx, "admin_level", label) for level, label in LEVEL_OF_DIVISION.items()}
    levels = {code: level_code[d.level] for code, d in ctx.standard.divisions.items()}
    division_level = ctx.value("XZQHDM").replace_strict(list(levels), list(levels.values()), default=None)
    return division_level != ctx.value("CJ")


@row_rule("matter.legal_basis_format")
def _legal_basis_format(ctx: RuleContext) -> Violation:
    well_formed = ctx.value("SDYJ").list.eval(pl.element().str.contains(r"^[^:]+:[^:]+$")).list.all()
    return ~well_formed


# --- against the 三库 (columns joined by quality/reference.py) --------------------------------------


@row_rule("reference.entity_unknown")
def _entity_unknown(ctx: RuleContext) -> Violation:
    return ctx.value("ZTDM").is_not_null() & ~pl.col(ENTITY_KNOWN)


@row_rule("reference.entity_inactive")
def _entity_inactive(ctx: RuleContext) -> Violation:
    return pl.col(ENTITY_KNOWN) & ~pl.col(ENTITY_ACTIVE)


@row_rule("reference.matter_unknown")
def _matter_unknown(ctx: RuleContext) -> Violation:
    return ctx.value("SXBM").is_not_null() & ~pl.col(MATTER_KNOWN)


@row_rule("reference.matter_wrong_kind")
def _matter_wrong_kind(ctx: RuleContext) -> Violation:
    return pl.col(MATTER_KNOWN) & ~pl.col(MATTER_KIND_OK)


@row_rule("reference.matter_not_held")
def _matter_not_held(ctx: RuleContext) -> Violation:
    body_given = ctx.value("ZTDM").is_not_null()
    return body_given & pl.col(MATTER_KNOWN) & pl.col(MATTER_KIND_OK) & ~pl.col(MATTER_HELD)


@row_rule("reference.officer_unknown")
def _officer_unknown(ctx: RuleContext) -> Violation:
    return pl.col(OFFICERS_UNKNOWN)


@row_rule("reference.officer_entity_unknown")
def _officer_entity_unknown(ctx: RuleContext) -> Violation:
    return ctx.value("SSZTDM").is_not_null() & ~pl.col(OFFICER_ENTITY_KNOWN)


# --- reference findings (the 三库 columns joined by quality/reference.py) --------------------------


@row_rule("finding.officer_without_valid_card")
def _officer_without_valid_card(ctx: RuleContext) -> Violation:
    return pl.col(OFFICERS_CARD_INVALID)


@row_rule("finding.fine_out_of_range")
def _fine_out_of_range(ctx: RuleContext) -> Violation:
    fine = fine_yuan(ctx)
    below = (fine < pl.col(MATTER_FINE_MIN)).fill_null(False)
    above = (fine > pl.col(MATTER_FINE_MAX)).fill_null(False)
    return (fine > 0) & (below | above)


# --- engine-specific findings (rule_checks.yaml `engine_specific` says why) -------------------------


@row_rule("finding.officer_of_other_entity")
def _officer_of_other_entity(ctx: RuleContext) -> Violation:
    return pl.col(OFFICERS_OF_OTHER_ENTITY)


@row_rule("finding.entity_not_in_force")
def _entity_not_in_force(ctx: RuleContext) -> Violation:
    # Art 38: in force when the case was filed (else the record is rejected), gone by the decision.
    filed = ctx.value("LARQ").is_not_null() & pl.col(ENTITY_ACTIVE)
    return filed & ctx.value("CF_JDRQ").is_not_null() & ~pl.col(ENTITY_IN_FORCE_AT_DECISION)


def _handling_deadline(ctx: RuleContext, rule_id: str) -> tuple[pl.Expr, pl.Expr]:
    """Art 60: 90 days from 立案 (顺延), or the approved extended deadline when one is recorded."""
    ninetieth, provisional = period_end(ctx, ctx.value("LARQ"), f"{limit(ctx, rule_id, 'max_days')}d")
    extended = ctx.value("YCQXZ")
    extension_counts = (extended > ninetieth).fill_null(False)
    deadline = pl.when(extension_counts).then(extended).otherwise(ninetieth)
    return deadline, provisional & ~extension_counts


@row_rule("finding.overdue_handling")
def _overdue_handling(ctx: RuleContext) -> Violation:
    deadline, provisional = _handling_deadline(ctx, "finding.overdue_handling")
    return Dated(ctx.value("CF_JDRQ") > deadline, provisional)


@row_rule("finding.late_publicity")
def _late_publicity(ctx: RuleContext) -> Violation:
    working_days = limit(ctx, "finding.late_publicity", "working_days")
    decided = ctx.value("CF_JDRQ")
    deadline, provisional = working_deadline(ctx, decided, working_days)
    # Never published: late once the deadline has passed — by the run's day, or by the day the decision
    # was revoked (复议诉讼 撤销) or the case withdrawn, after which nothing is owed to the public.
    revoked_on = (
        pl.when(ctx.value("FYSS") == code_of(ctx, *REVIEW_REVOKED))
        .then(ctx.value("FYSSRQ"))
        .when(ctx.value("AJZT") == code_of(ctx, *WITHDRAWN_STATUS))
        .then(ctx.value("GXSJ").dt.date())
    )
    published = ctx.value("GSRQ")
    late = (
        pl.when(published.is_not_null())
        .then(published > deadline)
        .otherwise(pl.coalesce(revoked_on, pl.lit(ctx.as_of)) > deadline)
    )
    # §8: a 市场监管 body does not publish a case whose only penalty is a 警告 — no deadline runs for it
    # (without the 三库 the body's 执法领域 is unknown, and such a case is not judged).
    kinds = ctx.value("CF_CFLB")
    warning_only = (kinds.list.len() == 1) & kinds.list.contains(code_of(ctx, *WARNING)).fill_null(False)
    domain = pl.col(ENTITY_DOMAIN_AT_DECISION)
    not_due = warning_only & (domain.is_null() | (domain == code_of(ctx, *MARKET_REGULATION)))
    return Dated(decided.is_not_null() & late & ~not_due.fill_null(False), provisional)


@row_rule("finding.late_withdrawal")
def _late_withdrawal(ctx: RuleContext) -> Violation:
    # Art 48 with Art 85: withdraw a published decision within 3 working days of its 撤销/变更/确认违法,
    # counted from the 复议诉讼 result, or from the change time of the version that withdrew the case.
    changed = ctx.value("FYSS").is_in([code_of(ctx, REVIEW_OUTCOME, label) for label in REVIEW_CHANGED])
    withdrawn = ctx.value("AJZT") == code_of(ctx, *WITHDRAWN_STATUS)
    since = pl.when(changed).then(ctx.value("FYSSRQ")).when(withdrawn).then(ctx.value("GXSJ").dt.date())
    deadline, provisional = working_deadline(ctx, since, limit(ctx, "finding.late_withdrawal", "working_days"))
    published = ctx.value("GSRQ").is_not_null() & since.is_not_null()
    return Dated(published & too_late(ctx.value("CHGSRQ"), deadline, ctx), provisional)


@row_rule("finding.fine_collection_not_separated")
def _fine_collection_not_separated(ctx: RuleContext) -> Violation:
    rule = "finding.fine_collection_not_separated"
    on_the_spot = ctx.value("SJFS") == code_of(ctx, *ON_THE_SPOT)
    summary = ctx.value("CXLX") == code_of(ctx, "procedure_type", "简易程序")
    remote_area = ctx.value("BZ").str.contains_any(limit(ctx, rule, "remote_area_words")).fill_null(False)
    over_limit = (fine_yuan(ctx) > limit(ctx, rule, "max_on_the_spot_yuan")).fill_null(False) & ~remote_area
    return on_the_spot & (~summary | over_limit)


@row_rule("finding.seizure_overdue")
def _seizure_overdue(ctx: RuleContext) -> Violation:
    # 行政强制法 Art 25/32: 30 days, extended by at most 30 more; released (or decided) by the end.
    rule = "finding.seizure_overdue"
    first_days = limit(ctx, rule, "max_days")
    extension_days = limit(ctx, rule, "max_days_extended") - first_days
    first_limit, first_provisional = period_end(ctx, ctx.value("QSRQ"), f"{first_days}d")
    first_end = pl.coalesce(ctx.value("JMRQ"), first_limit)
    extended = (ctx.value("SFYC") == "Y").fill_null(False) & ctx.value("YCZ").is_not_null()
    extension_limit, extension_provisional = period_end(ctx, first_end, f"{extension_days}d")
    end = pl.when(extended).then(ctx.value("YCZ")).otherwise(first_end)
    past_end = (pl.coalesce(ctx.value("JCRQ"), pl.lit(ctx.as_of)) > end).fill_null(False)
    too_long = (ctx.value("JMRQ") > first_limit).fill_null(False) | (extended & (ctx.value("YCZ") > extension_limit))
    provisional = ~past_end & (first_provisional | (extended & extension_provisional))
    return Dated(
        ctx.value("QZFS").is_in([code_of(ctx, "coercion_method", label) for label in SEIZURES]) & (too_long | past_end),
        provisional,
    )


@row_rule("finding.case_open_too_long")
def _case_open_too_long(ctx: RuleContext) -> Violation:
    open_undecided = (
        ctx.value("AJZT").is_in([code_of(ctx, "case_status", label) for label in OPEN_UNDECIDED])
        & ctx.value("CF_JDRQ").is_null()
    )
    deadline, provisional = _handling_deadline(ctx, "finding.case_open_too_long")
    return Dated(open_undecided & (pl.lit(ctx.as_of) > deadline), provisional)


def implemented_rule_ids(standard) -> set[str]:
    """Every rule this engine checks: registered here or written in the rule language."""
    return set(FIELD_RULES) | set(ROW_RULES) | set(standard.checks)
