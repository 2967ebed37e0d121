"""Compiles a check of the rule language (standards/rule_language.py) to portable SQL.

The SQL runs on DuckDB and PostgreSQL alike, over columns named by field code as the lake holds them
(dates as DATE, amounts as numbers, lists `;`-joined, Y/N as text). Working days are looked up in the
numbered calendar, the dbt model int_workdays_numbered over the `workday` seed that zfjd/dbt_artifacts.py
generates from the same calendar as quality/workdays.py: "the n-th working day after D" is the working
day numbered number(D) + n, one equality lookup (a scan per record was 8 s per 200,000 records). Before
the seed's first day or past its last, the count is weekends only (as quality/workdays.py counts where
it has no table) and is flagged provisional.

`compile_check` gives the SQL of a check for given column expressions; zfjd/dbt_artifacts.py renders
every check once with placeholders (`⟪CF_JDRQ⟫`, `⟪as_of⟫`, `⟪calendar⟫`) into the generated dbt macros,
which substitute a model's columns, day and calendar. A check's value is coalesced to false: null is
no violation, as in validation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from standards.model import Entity, Standard
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

LIST_SEPARATOR = ";"
_OPERATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
OPEN, CLOSE = "⟪", "⟫"


def placeholder(name: str) -> str:
    return f"{OPEN}{name}{CLOSE}"


def body_column(code: str) -> str:
    """The name a model gives body(X), the 执法主体's field as of the decision, among its columns."""
    return f"body.{code}"


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _items(list_sql: str) -> str:
    """The items of a `;`-joined list as rows (no rows for an empty list)."""
    return f"unnest(string_to_array(nullif({list_sql}, ''), '{LIST_SEPARATOR}')) as list_items(item)"


@dataclass
class SqlCompiler:
    entity: Entity
    standard: Standard
    column: Callable[[str], str]  # field code → SQL expression
    as_of: str  # SQL expression of the checking day
    calendar: str  # the workday relation

    def compile(self, node: Node) -> str:
        match node:
            case FieldRef(code=code):
                column = self.column(code)
                return f"cast({column} as date)" if self.entity.field(code).type == "datetime" else column
            case Literal(value=None):
                return "null"
            case Literal(value=str() as text):
                return quote(text)
            case Literal(value=value) | Param(value=value):
                return repr(value)
            case AsOf():
                return self.as_of
            case CodeValues(codes=codes):
                return quote(codes[0])
            case Compare(op=op, left=left, right=right):
                return f"({self.compile(left)} {_OPERATORS[op]} {self.compile(right)})"
            case InSet(operand=operand, values=values):
                return f"({self.compile(operand)} in ({', '.join(quote(c) for c in values.codes)}))"
            case BoolOp(op=op, items=items):
                return "(" + f" {op} ".join(self.compile(item) for item in items) + ")"
            case Not(operand=operand):
                return f"(not {self.compile(operand)})"
            case Choice(condition=condition, then=then, otherwise=otherwise):
                return (
                    f"(case when {self.compile(condition)} then {self.compile(then)} "
                    f"else {self.compile(otherwise)} end)"
                )
            case Call():
                return self.call(node)
        raise TypeError(f"cannot compile {node!r}")  # pragma: no cover - the language has no other nodes

    def call(self, node: Call) -> str:
        args = node.args
        if node.function == "body":
            return self.column(body_column(args[0].code))
        first = self.compile(args[0])
        match node.function:
            case "missing":
                return f"({first} is null)"
            case "present":
                return f"({first} is not null)"
            case "days_after":
                return f"({first} + {self.compile(args[1])})"
            case "years_after":
                return f"cast({first} + {self.compile(args[1])} * interval '1 year' as date)"
            case "workdays_after":
                return self.workdays_after(first, args[1].value)
            case "next_workday":
                return self.next_workday(first)
            case "first":
                return "coalesce(" + ", ".join(self.compile(arg) for arg in args) + ")"
            case "latest":
                return "greatest(" + ", ".join(self.compile(arg) for arg in args) + ")"
            case "yuan":
                return f"round(cast({first} as decimal(38, 10)) * 10000, 2)"
            case "contains":
                wrapped = f"'{LIST_SEPARATOR}' || {first} || '{LIST_SEPARATOR}'"
                tests = [
                    f"position({quote(LIST_SEPARATOR + c + LIST_SEPARATOR)} in {wrapped}) > 0" for c in args[1].codes
                ]
                return "(" + " or ".join(tests) + ")"
            case "all_in":
                allowed = ", ".join(quote(c) for c in args[1].codes)
                return (
                    f"(case when {first} is null then null else not exists "
                    f"(select 1 from {_items(first)} where list_items.item not in ({allowed})) end)"
                )
            case "count":
                return (
                    f"(case when {first} is null then null when {first} = '' then 0 "
                    f"else length({first}) - length(replace({first}, '{LIST_SEPARATOR}', '')) + 1 end)"
                )
            case "distinct_count":
                return (
                    f"(case when {first} is null then null else "
                    f"(select count(distinct list_items.item) from {_items(first)}) end)"
                )
            case "mentions":
                tests = [f"position({quote(word)} in {first}) > 0" for word in args[1].value]
                return "coalesce(" + " or ".join(tests) + ", false)"
            case "group":
                values = self.standard.codelists[self.entity.field(args[0].code).codelist].values
                branches = " ".join(f"when {quote(v.code)} then {quote(v.group)}" for v in values if v.group)
                return f"(case {first} {branches} end)"
        raise TypeError(f"cannot compile {node.function}()")  # pragma: no cover - the parser knows the functions

    # -- working days ------------------------------------------------------------------------------

    def _deadline_lookup(self, day: str, working_days: int, what: str) -> str:
        """`what` of the n-th working day after `day` (alias `ends`; `starts` is the day itself)."""
        return (
            f"(select {what} from {self.calendar} as starts inner join {self.calendar} as ends "
            f"on ends.workday_number = starts.workday_number + {working_days} and ends.is_workday "
            f"where starts.calendar_date = {day})"
        )

    def workdays_after(self, day: str, working_days: int) -> str:
        if working_days == 0:
            return day
        found = self._deadline_lookup(day, working_days, "ends.calendar_date")
        return f"coalesce({found}, {_weekends_only(day, working_days)})"

    def workdays_guessed(self, day: str, working_days: int) -> str:
        if working_days == 0:
            return f"(case when {day} is null then null else false end)"
        through = self._deadline_lookup(day, working_days, "ends.guessed_through - starts.guessed_through > 0")
        return f"(case when {day} is null then null else coalesce({through}, true) end)"

    def next_workday(self, day: str) -> str:
        found = f"(select rolled.next_workday from {self.calendar} as rolled where rolled.calendar_date = {day})"
        return f"coalesce({found}, {_weekends_only(f'({day} - 1)', 1)})"

    def next_workday_guessed(self, day: str) -> str:
        through = (
            f"(select ends.guessed_through - rolled.guessed_before > 0 from {self.calendar} as rolled "
            f"inner join {self.calendar} as ends on ends.calendar_date = rolled.next_workday "
            f"where rolled.calendar_date = {day})"
        )
        return f"(case when {day} is null then null else coalesce({through}, true) end)"

    def _guessed(self, node: Call) -> str:
        if node.function == "next_workday":
            return self.next_workday_guessed(self.compile(node.args[0]))
        return self.workdays_guessed(self.compile(node.args[0]), node.args[1].value)

    def provisional(self, node: Node) -> str:
        return self._provisional(node)

    def _provisional(self, node: Node) -> str:
        return f"coalesce({self._provisional_of(node)}, false)"

    def _provisional_of(self, node: Node) -> str:
        # The structure is standards/rule_language.py's ("Provisional"), as quality/rule_polars.py has it.
        if not uses_calendar(node):
            return "false"
        match node:
            case Choice(condition=condition, then=then, otherwise=otherwise):
                return (
                    f"({self._provisional(condition)} or (case when {self.compile(condition)} "
                    f"then {self._provisional(then)} else {self._provisional(otherwise)} end))"
                )
            case Call(function="first", args=args):
                branches = " ".join(
                    f"when {self.compile(arg)} is not null then {self._provisional(arg)}" for arg in args
                )
                return f"(case {branches} else false end)"
            case BoolOp(op="or", items=items):
                firm = " or ".join(
                    f"(coalesce({self.compile(item)}, false) and not {self._provisional(item)})" for item in items
                )
                return f"(case when {firm} then false else {self._any_provisional(items)} end)"
            case Call(function=function) if function in CALENDAR_FUNCTIONS:
                return self._any_provisional(node.args, f"coalesce({self._guessed(node)}, false)")
        return self._any_provisional(node.children())

    def _any_provisional(self, nodes, *more: str) -> str:
        parts = [*more, *(self._provisional(n) for n in nodes if uses_calendar(n))]
        if not parts:
            return "false"
        return "(" + " or ".join(parts) + ")"


def _weekends_only(day: str, working_days: int) -> str:
    """quality/workdays.py's closed form: n working days after `day` counting Monday–Friday only."""
    weekday = f"(cast(extract(isodow from {day}) as integer) - 1)"
    back = f"greatest({weekday} - 4, 0)"
    weeks, rest = divmod(working_days, 5)
    over_weekend = f"case when {weekday} - {back} + {rest} > 4 then 2 else 0 end"
    return f"({day} - {back} + {7 * weeks + rest} + {over_weekend})"


def compile_check(
    check: RuleCheck,
    entity: Entity,
    standard: Standard,
    *,
    column: Callable[[str], str] | None = None,
    as_of: str = placeholder("as_of"),
    calendar: str = placeholder("calendar"),
) -> dict[str | None, tuple[str, str]]:
    """{field code or None: (violation SQL, provisional SQL)}, each a boolean that is never null."""
    compiler = SqlCompiler(entity, standard, column or placeholder, as_of, calendar)
    return {
        code: (f"coalesce({compiler.compile(tree)}, false)", compiler.provisional(tree))
        for code, tree in check.violations.items()
    }
