"""Compiles a check of the rule language (standards/rule_language.py) to portable SQL.

The SQL runs on DuckDB and PostgreSQL alike, over columns named by field code as the lake holds them
(dates as DATE, amounts as numbers, lists `;`-joined, Y/N as text). Working days are counted on the
`workday` seed (calendar_date, is_workday, is_guessed) that zfjd/dbt_artifacts.py generates from the
same calendar as quality/workdays.py; before the seed's first day or past its last, the count is
weekends only (as quality/workdays.py counts where it has no table) and is flagged provisional.

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
)

LIST_SEPARATOR = ";"
_OPERATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
OPEN, CLOSE = "⟪", "⟫"


def placeholder(name: str) -> str:
    return f"{OPEN}{name}{CLOSE}"


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
                return self.workdays_after(f"({first} - 1)", 1)
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
            case "group":
                values = self.standard.codelists[self.entity.field(args[0].code).codelist].values
                branches = " ".join(f"when {quote(v.code)} then {quote(v.group)}" for v in values if v.group)
                return f"(case {first} {branches} end)"
        raise TypeError(f"cannot compile {node.function}()")  # pragma: no cover - the parser knows the functions

    # -- working days ------------------------------------------------------------------------------

    def _from_calendar(self, day: str, working_days: int) -> str:
        """The n-th working day after `day` as the seed has it; null where the seed cannot say."""
        return (
            f"(case when {day} >= (select min(calendar_date) from {self.calendar}) then "
            f"(select days.calendar_date from {self.calendar} as days where days.is_workday "
            f"and days.calendar_date > {day} order by days.calendar_date limit 1 offset {working_days - 1}) end)"
        )

    def workdays_after(self, day: str, working_days: int) -> str:
        if working_days == 0:
            return day
        return f"coalesce({self._from_calendar(day, working_days)}, {_weekends_only(day, working_days)})"

    def workdays_guessed(self, day: str, working_days: int) -> str:
        if working_days == 0:
            return f"(case when {day} is null then null else false end)"
        deadline = self._from_calendar(day, working_days)
        return (
            f"(case when {day} is null then null when {deadline} is null then true else exists "
            f"(select 1 from {self.calendar} as counted where counted.is_guessed and counted.calendar_date > {day} "
            f"and counted.calendar_date <= {deadline}) end)"
        )

    def _guessed(self, node: Call) -> str:
        # 顺延 is the first working day from the day itself: one working day after the day before.
        if node.function == "next_workday":
            return self.workdays_guessed(f"({self.compile(node.args[0])} - 1)", 1)
        return self.workdays_guessed(self.compile(node.args[0]), node.args[1].value)

    def provisional(self, node: Node) -> str:
        guessed = [self._guessed(n) for n in node.walk() if isinstance(n, Call) and n.function in CALENDAR_FUNCTIONS]
        if not guessed:
            return "false"
        return "coalesce(" + " or ".join(guessed) + ", false)"


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
