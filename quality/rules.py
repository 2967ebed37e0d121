"""How each rule of the catalogue (standards/spec/rules.yaml) is checked, as a polars expression.

An implementation returns the *violation*: an expression that is True for a row that breaks the rule
(null counts as no violation, so each rule says explicitly what a missing value means). A rule that
can fail on several fields of one row returns {field code: violation}. A finding whose deadline is
counted in the Chinese calendar returns `Dated(violation, provisional)`: provisional is True where the
count ran through a year whose holidays are not announced yet (standard.md §4), so the finding is not
presented as firm. The catalogue says what a rule
means and what the unit is told; this module only says how it is computed. Batch rules (keys within a
file) are row-set operations and live in quality/batch.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from quality.codes import USCC_PLACEHOLDER, ric_is_valid
from quality.context import RuleContext
from quality.reference import (
    ENTITY_ACTIVE,
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

# Code-list facts the rules lean on (tests check each is a code of its list in standards/).
ORGANISATION = "法人及非法人组织"
NATURAL_PERSON = "自然人"
SOLE_TRADER = "个体工商户"
RESIDENT_ID = "身份证"
FINE = "罚款"
CONFISCATIONS = ("没收违法所得", "没收非法财物")
LICENSE_ACTIONS = ("暂扣许可证件", "吊销许可证件")
SUMMARY_PROCEDURE_KINDS = ("警告", "罚款")
SUMMARY_PROCEDURE, ORDINARY_PROCEDURE = "1", "2"
DECIDED_STATUSES = ("3", "4", "5", "6")
OPEN_UNDECIDED_STATUSES = ("1", "2")
CLOSED_STATUS = "6"
SEIZURES = ("查封场所设施或者财物", "扣押财物", "冻结存款汇款")
INSPECTION_OPENED_CASE = "3"
LEVEL_OF_DIVISION = {"province": "1", "city": "2", "county": "3", "township": "4"}

YUAN_PER_WAN = 10_000
# Code values are named as the code lists in standards/ spell them, and resolved to codes there.
WITHDRAWN_STATUS = ("case_status", "已撤销")
REVIEW_CHANGED = ("review_outcome", ("撤销", "变更", "确认违法"))
REVIEW_REVOKED = ("review_outcome", "撤销")
REVIEW_DECIDED = ("review_outcome", ("维持", "撤销", "变更", "确认违法"))
ON_THE_SPOT = ("fine_collection", "当场收缴")


def limit(ctx: RuleContext, rule_id: str, name: str):
    """A limit of the law as the standard states it (`params` in rules.yaml)."""
    return ctx.standard.rules[rule_id].params[name]


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


def code(ctx: RuleContext, codelist: str, label: str) -> str:
    """The code of `label` in a code list of the standard (KeyError when the standard lacks it)."""
    return ctx.standard.codelists[codelist].spelling_to_code()[label]


def codes(ctx: RuleContext, codelist: str, labels: tuple[str, ...]) -> list[str]:
    return [code(ctx, codelist, label) for label in labels]


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


def contains_any(kinds: pl.Expr, wanted: tuple[str, ...]) -> pl.Expr:
    return pl.any_horizontal([kinds.list.contains(kind) for kind in wanted])


def fine_yuan(ctx: RuleContext) -> pl.Expr:
    """The fine in 元: the 双公示 field CF_NR_FK is in 万元."""
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
    {"field.uscc", "field.ric", "field.division", "field.date", "field.datetime", "field.decimal",
     "field.integer", "field.yn", "field.code"}
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


# --- 行政相对人 --------------------------------------------------------------------------------------


def _counterparty_type(ctx: RuleContext) -> pl.Expr:
    return ctx.value("CF_XDR_LB")


@row_rule("counterparty.credit_code_required")
def _credit_code_required(ctx: RuleContext) -> Violation:
    return _counterparty_type(ctx).is_in([ORGANISATION, SOLE_TRADER]) & ctx.missing("CF_XDR_SHXYM")


@row_rule("counterparty.registration_number_required")
def _registration_number_required(ctx: RuleContext) -> Violation:
    return (ctx.value("CF_XDR_SHXYM") == USCC_PLACEHOLDER) & ctx.missing("CF_XDR_GSZC")


@row_rule("counterparty.placeholder_only_for_sole_trader")
def _placeholder_only_for_sole_trader(ctx: RuleContext) -> Violation:
    return (ctx.value("CF_XDR_SHXYM") == USCC_PLACEHOLDER) & (_counterparty_type(ctx) != SOLE_TRADER)


@row_rule("counterparty.legal_representative_required")
def _legal_representative_required(ctx: RuleContext) -> Violation:
    return (_counterparty_type(ctx) == ORGANISATION) & ctx.missing("CF_FRDB")


@row_rule("counterparty.id_document_required")
def _id_document_required(ctx: RuleContext) -> Violation:
    person = _counterparty_type(ctx) == NATURAL_PERSON
    return {"CF_XDR_ZJLX": person & ctx.missing("CF_XDR_ZJLX"), "CF_XDR_ZJHM": person & ctx.missing("CF_XDR_ZJHM")}


@row_rule("counterparty.id_number_invalid")
def _id_number_invalid(ctx: RuleContext) -> Violation:
    number = ctx.value("CF_XDR_ZJHM")
    return (ctx.value("CF_XDR_ZJLX") == RESIDENT_ID) & number.is_not_null() & ~ric_is_valid(number.str.to_uppercase())


# --- 行政处罚 ----------------------------------------------------------------------------------------


@row_rule("penalty.filing_date_required")
def _filing_date_required(ctx: RuleContext) -> Violation:
    return (ctx.value("CXLX") == ORDINARY_PROCEDURE) & ctx.missing("LARQ")


@row_rule("penalty.decision_fields_required")
def _decision_fields_required(ctx: RuleContext) -> Violation:
    decided = ctx.value("AJZT").is_in(DECIDED_STATUSES)
    rule = ctx.standard.rules["penalty.decision_fields_required"]
    return {code: decided & ctx.missing(code) for code in rule.fields if code != "AJZT"}


@row_rule("penalty.fine_amount_missing")
def _fine_amount_missing(ctx: RuleContext) -> Violation:
    amount = ctx.value("CF_NR_FK")
    return ctx.value("CF_CFLB").list.contains(FINE) & (amount.is_null() | (amount <= 0)) & ~ctx.bad("CF_NR_FK")


@row_rule("penalty.fine_amount_without_fine")
def _fine_amount_without_fine(ctx: RuleContext) -> Violation:
    kinds = ctx.value("CF_CFLB")
    has_fine = kinds.list.contains(FINE).fill_null(False)
    return (ctx.value("CF_NR_FK") > 0) & ~has_fine & ~ctx.bad("CF_CFLB")


@row_rule("penalty.confiscation_amount_missing")
def _confiscation_amount_missing(ctx: RuleContext) -> Violation:
    amount = ctx.value("CF_NR_WFFF")
    return (
        contains_any(ctx.value("CF_CFLB"), CONFISCATIONS) & (amount.is_null() | (amount <= 0)) & ~ctx.bad("CF_NR_WFFF")
    )


@row_rule("penalty.license_missing")
def _license_missing(ctx: RuleContext) -> Violation:
    return contains_any(ctx.value("CF_CFLB"), LICENSE_ACTIONS) & ctx.missing("CF_NR_ZKDX")


def _earlier_than(later: str, earlier: str) -> RowRule:
    def violation(ctx: RuleContext) -> Violation:
        return ctx.value(later) < ctx.value(earlier)

    return violation


ROW_RULES["penalty.decision_before_filing"] = _earlier_than("CF_JDRQ", "LARQ")
ROW_RULES["penalty.validity_before_decision"] = _earlier_than("CF_YXQ", "CF_JDRQ")
ROW_RULES["penalty.publicity_end_before_decision"] = _earlier_than("CF_GSJZQ", "CF_JDRQ")
ROW_RULES["penalty.publicity_before_decision"] = _earlier_than("GSRQ", "CF_JDRQ")
ROW_RULES["penalty.act_after_filing"] = _earlier_than("LARQ", "WFRQ")
ROW_RULES["penalty.act_after_decision"] = _earlier_than("CF_JDRQ", "WFRQ")
ROW_RULES["penalty.act_end_before_start"] = _earlier_than("WFZLRQ", "WFRQ")
ROW_RULES["penalty.review_result_before_decision"] = _earlier_than("FYSSRQ", "CF_JDRQ")
ROW_RULES["penalty.withdrawal_before_publicity"] = _earlier_than("CHGSRQ", "GSRQ")
ROW_RULES["penalty.service_before_decision"] = _earlier_than("SDRQ", "CF_JDRQ")
ROW_RULES["penalty.payment_before_decision"] = _earlier_than("JKRQ", "CF_JDRQ")
ROW_RULES["coercion.start_before_decision"] = _earlier_than("QSRQ", "JDRQ")
ROW_RULES["coercion.expiry_before_start"] = _earlier_than("JMRQ", "QSRQ")
ROW_RULES["coercion.extension_before_expiry"] = _earlier_than("YCZ", "JMRQ")
ROW_RULES["coercion.release_before_start"] = _earlier_than("JCRQ", "QSRQ")
ROW_RULES["entity.end_before_start"] = _earlier_than("SHXRQ", "SXRQ")
ROW_RULES["officer.card_end_before_start"] = _earlier_than("YXQZ", "YXQQ")


@row_rule("penalty.review_result_date_required")
def _review_result_date_required(ctx: RuleContext) -> Violation:
    return ctx.value("FYSS").is_in(codes(ctx, *REVIEW_DECIDED)) & ctx.missing("FYSSRQ")


@row_rule("penalty.closing_date_required")
def _closing_date_required(ctx: RuleContext) -> Violation:
    return (ctx.value("AJZT") == CLOSED_STATUS) & ctx.missing("JARQ")


@row_rule("penalty.closing_before_other_dates")
def _closing_before_other_dates(ctx: RuleContext) -> Violation:
    latest = pl.max_horizontal([ctx.value(c) for c in ("LARQ", "CF_JDRQ", "FZSHRQ", "SDRQ", "JKRQ")])
    return ctx.value("JARQ") < latest


@row_rule("penalty.authority_code_mismatch")
def _authority_code_mismatch(ctx: RuleContext) -> Violation:
    return ctx.value("CF_CFJGDM") != ctx.value("ZTDM")


# --- 行政强制 ----------------------------------------------------------------------------------------


def _is_seizure(ctx: RuleContext) -> pl.Expr:
    return ctx.value("QZFS").is_in(SEIZURES)


@row_rule("coercion.method_type_mismatch")
def _method_type_mismatch(ctx: RuleContext) -> Violation:
    groups = {value.code: value.group for value in ctx.standard.codelists["coercion_method"].values}
    group = ctx.value("QZFS").replace_strict(list(groups), list(groups.values()), default=None)
    return group != ctx.value("QZLX")


@row_rule("coercion.start_date_required")
def _start_date_required(ctx: RuleContext) -> Violation:
    return _is_seizure(ctx) & ctx.missing("QSRQ")


@row_rule("coercion.expiry_date_required")
def _expiry_date_required(ctx: RuleContext) -> Violation:
    return _is_seizure(ctx) & ctx.missing("JMRQ")


@row_rule("coercion.extension_date_required")
def _extension_date_required(ctx: RuleContext) -> Violation:
    return (ctx.value("SFYC") == "Y") & ctx.missing("YCZ")


# --- 行政检查, 三库 ----------------------------------------------------------------------------------


@row_rule("inspection.linked_case_required")
def _linked_case_required(ctx: RuleContext) -> Violation:
    return (ctx.value("JCJG") == INSPECTION_OPENED_CASE) & ctx.missing("GLAJBH")


@row_rule("entity.level_mismatch")
def _level_mismatch(ctx: RuleContext) -> Violation:
    levels = {code: LEVEL_OF_DIVISION[d.level] for code, d in ctx.standard.divisions.items()}
    division_level = ctx.value("XZQHDM").replace_strict(list(levels), list(levels.values()), default=None)
    return division_level != ctx.value("CJ")


@row_rule("matter.fine_range_inverted")
def _fine_range_inverted(ctx: RuleContext) -> Violation:
    return ctx.value("FKSX") < ctx.value("FKXX")


@row_rule("matter.legal_basis_format")
def _legal_basis_format(ctx: RuleContext) -> Violation:
    well_formed = ctx.value("SDYJ").list.eval(pl.element().str.contains(r"^[^:]+:[^:]+$")).list.all()
    return ~well_formed


@row_rule("review.veto_grade_mismatch")
def _veto_grade_mismatch(ctx: RuleContext) -> Violation:
    return (ctx.value("FJX").list.len() > 0) & (ctx.value("PCDJ") != "3")


@row_rule("review.score_out_of_range")
def _score_out_of_range(ctx: RuleContext) -> Violation:
    rule = "review.score_out_of_range"
    return {
        "XSDF": ctx.value("XSDF") > limit(ctx, rule, "max_presentation"),
        "NRDF": ctx.value("NRDF") > limit(ctx, rule, "max_content"),
    }


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


# --- findings --------------------------------------------------------------------------------------


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


def _officer_list(ctx: RuleContext) -> pl.Expr:
    return ctx.value("JCRY" if ctx.has("JCRY") else "CBRY")


def _too_few_officers(ctx: RuleContext) -> Violation:
    return _officer_list(ctx).list.unique().list.len() < 2


ROW_RULES["finding.too_few_officers"] = _too_few_officers
ROW_RULES["finding.too_few_officers_coercion"] = _too_few_officers
ROW_RULES["finding.too_few_inspectors"] = _too_few_officers


@row_rule("finding.officer_without_valid_card")
def _officer_without_valid_card(ctx: RuleContext) -> Violation:
    return pl.col(OFFICERS_CARD_INVALID)


@row_rule("finding.officer_of_other_entity")
def _officer_of_other_entity(ctx: RuleContext) -> Violation:
    return pl.col(OFFICERS_OF_OTHER_ENTITY)


@row_rule("finding.entity_not_in_force")
def _entity_not_in_force(ctx: RuleContext) -> Violation:
    # Art 38: in force when the case was filed (else the record is rejected), gone by the decision.
    filed = ctx.value("LARQ").is_not_null() & pl.col(ENTITY_ACTIVE)
    return filed & ctx.value("CF_JDRQ").is_not_null() & ~pl.col(ENTITY_IN_FORCE_AT_DECISION)


@row_rule("finding.summary_procedure_exceeded")
def _summary_procedure_exceeded(ctx: RuleContext) -> Violation:
    # 个体工商户 counts as a 公民 here (民法典 puts it among natural persons), so its limit is 200 元.
    person_like = _counterparty_type(ctx).is_in([NATURAL_PERSON, SOLE_TRADER])
    rule = "finding.summary_procedure_exceeded"
    most = pl.when(person_like).then(limit(ctx, rule, "max_fine_person_yuan")).otherwise(
        limit(ctx, rule, "max_fine_organisation_yuan")
    )
    other_kind = ctx.value("CF_CFLB").list.eval(pl.element().is_in(SUMMARY_PROCEDURE_KINDS).not_()).list.any()
    return (ctx.value("CXLX") == SUMMARY_PROCEDURE) & ((fine_yuan(ctx) > most) | other_kind)


@row_rule("finding.missing_legal_review")
def _missing_legal_review(ctx: RuleContext) -> Violation:
    needs_review = (ctx.value("SFZD") == "Y") | (ctx.value("SFTZ") == "Y").fill_null(False)
    # A review dated after the decision is no review before it: the finding, not a data error.
    reviewed_in_time = (ctx.value("FZSHRQ") <= ctx.value("CF_JDRQ")).fill_null(False)
    return needs_review & ctx.value("CF_JDRQ").is_not_null() & ~reviewed_in_time


@row_rule("finding.fine_out_of_range")
def _fine_out_of_range(ctx: RuleContext) -> Violation:
    fine = fine_yuan(ctx)
    below = (fine < pl.col(MATTER_FINE_MIN)).fill_null(False)
    above = (fine > pl.col(MATTER_FINE_MAX)).fill_null(False)
    return (fine > 0) & (below | above)


@row_rule("finding.late_service")
def _late_service(ctx: RuleContext) -> Violation:
    # Art 85: the 七日 of Art 61 are working days.
    working_days = limit(ctx, "finding.late_service", "working_days")
    deadline, provisional = working_deadline(ctx, ctx.value("CF_JDRQ"), working_days)
    return Dated(ctx.value("SDRQ") > deadline, provisional)


@row_rule("finding.time_barred")
def _time_barred(ctx: RuleContext) -> Violation:
    rule = "finding.time_barred"
    # Art 36: a continuing act counts from its end; 5 years with harm to life, health or finance.
    act = pl.coalesce(ctx.value("WFZLRQ"), ctx.value("WFRQ"))
    harm = ctx.value("WHHG") == "Y"
    years = pl.when(harm).then(limit(ctx, rule, "years_with_harm")).otherwise(limit(ctx, rule, "years"))
    last, provisional = period_end(ctx, act, years.cast(pl.String) + "y")
    return Dated(ctx.value("LARQ") > last, provisional)


@row_rule("finding.late_publicity")
def _late_publicity(ctx: RuleContext) -> Violation:
    working_days = limit(ctx, "finding.late_publicity", "working_days")
    decided = ctx.value("CF_JDRQ")
    deadline, provisional = working_deadline(ctx, decided, working_days)
    # Never published: late once the deadline has passed — by the run's day, or by the day the decision
    # was revoked (复议诉讼 撤销) or the case withdrawn, after which nothing is owed to the public.
    revoked_on = (
        pl.when(ctx.value("FYSS") == code(ctx, *REVIEW_REVOKED))
        .then(ctx.value("FYSSRQ"))
        .when(ctx.value("AJZT") == code(ctx, *WITHDRAWN_STATUS))
        .then(ctx.value("GXSJ").dt.date())
    )
    published = ctx.value("GSRQ")
    late = pl.when(published.is_not_null()).then(published > deadline).otherwise(
        pl.coalesce(revoked_on, pl.lit(ctx.as_of)) > deadline
    )
    return Dated(decided.is_not_null() & late, provisional)


@row_rule("finding.late_withdrawal")
def _late_withdrawal(ctx: RuleContext) -> Violation:
    # Art 48 with Art 85: withdraw a published decision within 3 working days of its 撤销/变更/确认违法,
    # counted from the 复议诉讼 result, or from the change time of the version that withdrew the case.
    changed = ctx.value("FYSS").is_in(codes(ctx, *REVIEW_CHANGED))
    withdrawn = ctx.value("AJZT") == code(ctx, *WITHDRAWN_STATUS)
    since = pl.when(changed).then(ctx.value("FYSSRQ")).when(withdrawn).then(ctx.value("GXSJ").dt.date())
    deadline, provisional = working_deadline(ctx, since, limit(ctx, "finding.late_withdrawal", "working_days"))
    published = ctx.value("GSRQ").is_not_null() & since.is_not_null()
    return Dated(published & too_late(ctx.value("CHGSRQ"), deadline, ctx), provisional)


@row_rule("finding.fine_collection_not_separated")
def _fine_collection_not_separated(ctx: RuleContext) -> Violation:
    rule = "finding.fine_collection_not_separated"
    on_the_spot = ctx.value("SJFS") == code(ctx, *ON_THE_SPOT)
    summary = ctx.value("CXLX") == SUMMARY_PROCEDURE
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
    return Dated(_is_seizure(ctx) & (too_long | past_end), provisional)


@row_rule("finding.case_open_too_long")
def _case_open_too_long(ctx: RuleContext) -> Violation:
    open_undecided = ctx.value("AJZT").is_in(OPEN_UNDECIDED_STATUSES) & ctx.value("CF_JDRQ").is_null()
    deadline, provisional = _handling_deadline(ctx, "finding.case_open_too_long")
    return Dated(open_undecided & (pl.lit(ctx.as_of) > deadline), provisional)


def implemented_rule_ids() -> set[str]:
    return set(FIELD_RULES) | set(ROW_RULES)
