"""Compiles a check of the rule language (standards/rule_language.py) to polars expressions.

Over the normalised frame of quality/normalise.py: a column per field code (typed), `<code>__bad`
beside fields whose text can fail to parse, lists as List(String). Working days go through the one
calendar, quality/workdays.py (`WorkdayCalendar.deadline_expr` / `guessed_expr`).
"""

from __future__ import annotations

import polars as pl

from quality.context import RuleContext
from quality.reference import ENTITY_DOMAIN_AT_DECISION
from standards.rule_language import (
    CALENDAR_FUNCTIONS,
    AsOf,
    BoolOp,
    Call,
    Choice,
    CodeValues,
    Compare,
    FieldRef,
    InSet,
    Literal,
    Node,
    Not,
    Param,
    RuleCheck,
    uses_calendar,
)

YUAN_PER_WAN = 10_000
# body(X): the column quality/reference.py joins for each field of the 执法主体 as of the decision.
BODY_COLUMNS = {"ZFLY": ENTITY_DOMAIN_AT_DECISION}


def _null_unless(operand: pl.Expr, value: pl.Expr) -> pl.Expr:
    """`value` where `operand` is given, null where it is not (SQL's answer for a null operand)."""
    return pl.when(operand.is_not_null()).then(value)


class PolarsCompiler:
    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx

    def field(self, code: str) -> pl.Expr:
        value = self.ctx.value(code)
        if self.ctx.entity.field(code).type == "datetime":
            return value.dt.date()
        return value

    def compile(self, node: Node) -> pl.Expr:
        match node:
            case FieldRef(code=code):
                return self.field(code)
            case Literal(value=None):
                return pl.lit(None)
            case Literal(value=value) | Param(value=value):
                return pl.lit(value)
            case AsOf():
                return pl.lit(self.ctx.as_of, dtype=pl.Date)
            case CodeValues(codes=codes):
                return pl.lit(codes[0])
            case Compare(op=op, left=left, right=right):
                a, b = self.compile(left), self.compile(right)
                return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
            case InSet(operand=operand, values=values):
                value = self.compile(operand)
                return _null_unless(value, value.is_in(list(values.codes)))
            case BoolOp(op="and", items=items):
                return pl.all_horizontal([self.compile(item) for item in items])
            case BoolOp(op="or", items=items):
                return pl.any_horizontal([self.compile(item) for item in items])
            case Not(operand=operand):
                return ~self.compile(operand)
            case Choice(condition=condition, then=then, otherwise=otherwise):
                return pl.when(self.compile(condition)).then(self.compile(then)).otherwise(self.compile(otherwise))
            case Call():
                return self.call(node)
        raise TypeError(f"cannot compile {node!r}")  # pragma: no cover - the language has no other nodes

    def call(self, node: Call) -> pl.Expr:
        args = node.args
        match node.function:
            case "missing":
                return self.ctx.missing(args[0].code)
            case "present":
                return self.ctx.value(args[0].code).is_not_null()
            case "days_after":
                return self.compile(args[0]) + pl.duration(days=self.compile(args[1]))
            case "years_after":
                years = args[1]
                if isinstance(years, Literal | Param):
                    return self.compile(args[0]).dt.offset_by(f"{years.value}y")
                return self.compile(args[0]).dt.offset_by(pl.format("{}y", self.compile(years).cast(pl.Int64)))
            case "workdays_after":
                return self.ctx.calendar.deadline_expr(self.compile(args[0]), args[1].value)
            case "next_workday":
                return self.ctx.calendar.next_workday_expr(self.compile(args[0]))
            case "first":
                return pl.coalesce([self.compile(arg) for arg in args])
            case "latest":
                return pl.max_horizontal([self.compile(arg) for arg in args])
            case "yuan":
                return (self.compile(args[0]) * YUAN_PER_WAN).round(2)
            case "contains":
                items = self.compile(args[0])
                return pl.any_horizontal([items.list.contains(code) for code in args[1].codes])
            case "all_in":
                return self.compile(args[0]).list.eval(pl.element().is_in(list(args[1].codes))).list.all()
            case "count":
                return self.compile(args[0]).list.len()
            case "distinct_count":
                return self.compile(args[0]).list.unique().list.len()
            case "mentions":
                return self.compile(args[0]).str.contains_any(list(args[1].value)).fill_null(False)
            case "body":
                return pl.col(BODY_COLUMNS[args[0].code])  # null where the 三库 does not know the body
            case "group":
                values = self.ctx.standard.codelists[self.ctx.entity.field(args[0].code).codelist].values
                groups = {value.code: value.group for value in values}
                return self.compile(args[0]).replace_strict(
                    list(groups), list(groups.values()), default=None, return_dtype=pl.String
                )
        raise TypeError(f"cannot compile {node.function}()")  # pragma: no cover - the parser knows the functions

    def _guessed(self, node: Call) -> pl.Expr:
        if node.function == "next_workday":
            return self.ctx.calendar.rolled_guessed_expr(self.compile(node.args[0]))
        return self.ctx.calendar.guessed_expr(self.compile(node.args[0]), node.args[1].value)

    def provisional(self, node: Node) -> pl.Expr:
        """True where a calendar count the answer used ran through a year not announced yet."""
        return self._provisional(node).fill_null(False)

    def _provisional(self, node: Node) -> pl.Expr:
        return self._provisional_of(node).fill_null(False)

    def _provisional_of(self, node: Node) -> pl.Expr:
        # The structure is standards/rule_language.py's ("Provisional"); quality/rule_sql.py mirrors it.
        if not uses_calendar(node):
            return pl.lit(False)
        match node:
            case Choice(condition=condition, then=then, otherwise=otherwise):
                taken = pl.when(self.compile(condition)).then(self._provisional(then))
                return self._provisional(condition) | taken.otherwise(self._provisional(otherwise))
            case Call(function="first", args=args):
                chosen = pl.when(self.compile(args[0]).is_not_null()).then(self._provisional(args[0]))
                for arg in args[1:]:
                    chosen = chosen.when(self.compile(arg).is_not_null()).then(self._provisional(arg))
                return chosen.otherwise(False)
            case BoolOp(op="or", items=items):
                firm = [self.compile(item).fill_null(False) & ~self._provisional(item) for item in items]
                return pl.when(pl.any_horizontal(firm)).then(False).otherwise(
                    pl.any_horizontal([self._provisional(item) for item in items])
                )
            case Call(function=function) if function in CALENDAR_FUNCTIONS:
                return pl.any_horizontal([self._guessed(node), *(self._provisional(a) for a in node.args)])
        return pl.any_horizontal([self._provisional(child) for child in node.children()])


def violations(ctx: RuleContext, check: RuleCheck) -> pl.Expr | dict[str, pl.Expr]:
    """The rule's violation (True = broken; null = not) in the shape quality/rules.py registers."""
    compiler = PolarsCompiler(ctx)
    if set(check.violations) == {None}:
        return compiler.compile(check.violations[None])
    return {code: compiler.compile(tree) for code, tree in check.violations.items()}


def provisional(ctx: RuleContext, check: RuleCheck) -> pl.Expr:
    """Whether the rule's answer on a record depends on a year whose holidays are a guess."""
    compiler = PolarsCompiler(ctx)
    return pl.any_horizontal([compiler.provisional(tree) for tree in check.violations.values()])
