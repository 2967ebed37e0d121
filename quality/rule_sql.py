"""Compiles a check of the rule language (standards/rule_language.py) to portable SQL.

The SQL runs on DuckDB and PostgreSQL alike, over columns named by field code as the lake holds them
(dates as DATE, amounts as numbers, lists `;`-joined, Y/N as text). Working days are looked up in the
numbered calendar, the dbt model int_workdays_numbered over the `workday` seed that zfjd/dbt_artifacts.py
generates from the same calendar as quality/workdays.py: "the n-th working day after D" is the working
day numbered number(D) + n, one equality lookup (a scan per record was 8 s per 200,000 records). Before
the seed's first day or past its last, the count is weekends only (as quality/workdays.py counts where
it has no table) and is flagged provisional. Each distinct lookup of a check (`Lookup`: next_workday(D)
or workdays_after(D, n), the day found and whether it is provisional) is a FROM item the model adds once
per record and the check reads by name: written inline, a lookup nested in another's argument was
repeated in the weekends-only fallback and in the provisional flag at every level (30 KB of SQL for
finding.seizure_overdue, seconds of planning in DuckDB).

`compile_check` gives the SQL of a check for given column expressions and the lookups it reads;
zfjd/dbt_artifacts.py renders every check once with placeholders (`⟪CF_JDRQ⟫`, `⟪as_of⟫`, `⟪calendar⟫`)
into the generated dbt macros (rule_violation, rule_provisional, rule_lookups), which substitute a
model's columns, day and calendar. A check's value is coalesced to false: null is no violation, as in
validation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Lookup:
    """One calendar lookup of a check — next_workday(day), or workdays_after(day, n) for n > 0 — as a
    FROM item a model adds once per record (`from_item`, after the relations `day` reads), named `alias`:
    the day found (`day`) and whether it is provisional (`guessed`: counted through a guessed day, null
    for no day). Within the calendar's span one equality join or two; outside it, weekends only and
    provisional. A lookup whose argument reads another lookup follows it."""

    kind: str  # next_workday / workdays_after
    argument: str  # SQL of the day looked up
    working_days: int
    calendar: str

    @property
    def alias(self) -> str:
        digest = hashlib.sha1(f"{self.kind}|{self.working_days}|{self.argument}".encode()).hexdigest()
        return f"rule_calendar_{digest[:12]}"

    @property
    def day(self) -> str:
        return f"{self.alias}.lookup_day"

    @property
    def guessed(self) -> str:
        return f"{self.alias}.lookup_guessed"

    @property
    def from_item(self) -> str:
        arg = "lookup_args.lookup_arg"
        if self.kind == "next_workday":
            found = f"coalesce(lookup_start.next_workday, {_weekends_only(f'({arg} - 1)', 1)})"
            end = "lookup_end.calendar_date = lookup_start.next_workday"
            through = "lookup_end.guessed_through - lookup_start.guessed_before > 0"
        else:
            found = f"coalesce(lookup_end.calendar_date, {_weekends_only(arg, self.working_days)})"
            end = (
                f"lookup_end.workday_number = lookup_start.workday_number + {self.working_days} "
                "and lookup_end.is_workday"
            )
            through = "lookup_end.guessed_through - lookup_start.guessed_through > 0"
        guessed = f"(case when {arg} is null then null else coalesce({through}, true) end)"
        return (
            f"cross join lateral (select {found} as lookup_day, {guessed} as lookup_guessed "
            f"from (select {self.argument} as lookup_arg) as lookup_args "
            f"left join {self.calendar} as lookup_start on lookup_start.calendar_date = {arg} "
            f"left join {self.calendar} as lookup_end on {end}) as {self.alias}"
        )


@dataclass
class SqlCompiler:
    entity: Entity
    standard: Standard
    column: Callable[[str], str]  # field code → SQL expression
    as_of: str  # SQL expression of the checking day
    calendar: str  # the workday relation
    lookups: dict[str, Lookup] = field(default_factory=dict)  # by alias, each after those it reads

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

    # -- working days: each distinct lookup once, read by name (`Lookup`) ---------------------------

    def _lookup(self, kind: str, day: str, working_days: int = 0) -> Lookup:
        lookup = Lookup(kind, day, working_days, self.calendar)
        self.lookups.setdefault(lookup.alias, lookup)
        return lookup

    def workdays_after(self, day: str, working_days: int) -> str:
        if working_days == 0:
            return day
        return self._lookup("workdays_after", day, working_days).day

    def workdays_guessed(self, day: str, working_days: int) -> str:
        if working_days == 0:
            return f"(case when {day} is null then null else false end)"
        return self._lookup("workdays_after", day, working_days).guessed

    def next_workday(self, day: str) -> str:
        return self._lookup("next_workday", day).day

    def next_workday_guessed(self, day: str) -> str:
        return self._lookup("next_workday", day).guessed

    def _guessed(self, node: Call) -> str:
        if node.function == "next_workday":
            return self.next_workday_guessed(self.compile(node.args[0]))
        return self.workdays_guessed(self.compile(node.args[0]), node.args[1].value)

    def provisional(self, node: Node) -> str:
        found = self._provisional(node)
        return "false" if found == "false" else f"coalesce({found}, false)"

    def _provisional(self, node: Node) -> str:
        # The structure is standards/rule_language.py's ("Provisional"), as quality/rule_polars.py has it.
        # Never null (so never coalesced): false, a case with an else, or an `or` of such parts.
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
        if len(parts) <= 1:
            return parts[0] if parts else "false"
        return "(" + " or ".join(parts) + ")"


def _weekends_only(day: str, working_days: int) -> str:
    """quality/workdays.py's closed form: n working days after `day` counting Monday–Friday only."""
    weekday = f"(cast(extract(isodow from {day}) as integer) - 1)"
    back = f"greatest({weekday} - 4, 0)"
    weeks, rest = divmod(working_days, 5)
    over_weekend = f"case when {weekday} - {back} + {rest} > 4 then 2 else 0 end"
    return f"({day} - {back} + {7 * weeks + rest} + {over_weekend})"


@dataclass(frozen=True)
class CompiledCheck:
    """A check in SQL: {field code or None: (violation SQL, provisional SQL)}, each a boolean that is never
    null, and the calendar lookups they read, in the order a model adds them (`Lookup.from_item`)."""

    parts: dict[str | None, tuple[str, str]]
    lookups: tuple[Lookup, ...]


def compile_check(
    check: RuleCheck,
    entity: Entity,
    standard: Standard,
    *,
    column: Callable[[str], str] | None = None,
    as_of: str = placeholder("as_of"),
    calendar: str = placeholder("calendar"),
) -> CompiledCheck:
    compiler = SqlCompiler(entity, standard, column or placeholder, as_of, calendar)
    parts = {
        code: (f"coalesce({compiler.compile(tree)}, false)", compiler.provisional(tree))
        for code, tree in check.violations.items()
    }
    return CompiledCheck(parts, tuple(compiler.lookups.values()))
