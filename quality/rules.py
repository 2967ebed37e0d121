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
- reference rules (`reference.*`, `finding.officer_without_valid_card`, `finding.fine_out_of_range`,
  `finding.matter_basis_*`, `finding.case_basis_not_in_matter`): a record against the 三库 and the
  法律法规库 (joins, by the case's date);
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
    CASE_BASIS_OUTSIDE_MATTER,
    ENTITY_ACTIVE,
    ENTITY_IN_FORCE_AT_DECISION,
    ENTITY_KNOWN,
    IN_SCOPE,
    MATTER_BASIS_NOT_IN_FORCE,
    MATTER_BASIS_UNKNOWN,
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


@row_rule("finding.case_basis_not_in_matter")
def _case_basis_not_in_matter(ctx: RuleContext) -> Violation:
    return pl.col(MATTER_KNOWN) & pl.col(CASE_BASIS_OUTSIDE_MATTER)


@row_rule("finding.matter_basis_unknown")
def _matter_basis_unknown(ctx: RuleContext) -> Violation:
    return pl.col(MATTER_BASIS_UNKNOWN)


@row_rule("finding.matter_basis_not_in_force")
def _matter_basis_not_in_force(ctx: RuleContext) -> Violation:
    return pl.col(MATTER_BASIS_NOT_IN_FORCE)


# --- engine-specific findings (rule_checks.yaml `engine_specific` says why) -------------------------


@row_rule("finding.officer_of_other_entity")
def _officer_of_other_entity(ctx: RuleContext) -> Violation:
    return pl.col(OFFICERS_OF_OTHER_ENTITY)


@row_rule("finding.entity_not_in_force")
def _entity_not_in_force(ctx: RuleContext) -> Violation:
    # Art 38: in force when the case was filed (else the record is rejected), gone by the decision.
    filed = ctx.value("LARQ").is_not_null() & pl.col(ENTITY_ACTIVE)
    return filed & ctx.value("CF_JDRQ").is_not_null() & ~pl.col(ENTITY_IN_FORCE_AT_DECISION)


def implemented_rule_ids(standard) -> set[str]:
    """Every rule this engine checks: registered here or written in the rule language."""
    return set(FIELD_RULES) | set(ROW_RULES) | set(standard.checks)
