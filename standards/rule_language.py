"""The rule language: a row or finding rule written once, in the standard's own terms, for both engines.

A check (standards/spec/rule_checks.yaml) is a Python-syntax expression that is True for a record that
*breaks* the rule. It is parsed with `ast` and only the forms below are accepted (nothing is evaluated):

    CF_JDRQ, LARQ, …                 a field of the record, by its code (a datetime counts as its day)
    max_days, working_days, …        a limit of the rule (`params` in rules.yaml), by name
    as_of                            the checking day
    90, 0.5, 'Y', '00000000000000000X'  literals (a code field is never compared with a literal:)
    None                             no value: a branch of a choice or an argument of first() only
    code(case_status, 已撤销)         a code value by its name in the code list ('9'), resolved here;
    code(penalty_kind, 警告, 罚款)     several names: a set, for `in` and `contains`
    == != < <= > >=  and or not  in   comparisons (a chain a < b < c is a and b) and Kleene logic
    x if condition else y             a choice (a null condition takes the else branch)
    body(ZFLY)                        a field of the record's 执法主体 as the 三库 had it on the decision day
                                      (null when the 三库 does not know the body)
    mentions(X, words)                the text names one of the words (a list limit); false for no text
    missing(X), present(X)            null handling, said explicitly (see below)
    days_after(D, n)                  D + n calendar days
    years_after(D, n)                 D + n years (29 Feb + 1 year is 28 Feb)
    workdays_after(D, n)              the n-th working day after D, on the one calendar (调休 included);
                                      n is a number or a limit. Where the count runs through a year
                                      whose holidays are not announced the result is *provisional*:
                                      every check that uses it carries that flag (`uses_workdays`)
    next_workday(D)                   D when it is a working day, else the next one (顺延 of a period's
                                      end); provisional like workdays_after when it looked at a day of
                                      an unannounced year
    first(A, B, …)                    the first of the values given that is not null
    latest(A, B, …)                   the latest of the dates given (nulls ignored)
    yuan(X)                           an amount in 万元 as 元, to the fen
    contains(L, v) / contains(L, set) the list field holds the value / any of the values
    all_in(L, set)                    every item of the list is one of the values (true for no items)
    count(L), distinct_count(L)       items in a list field, all / different ones
    group(X)                          the group of a code in its code list (强制方式 → 强制类型)

Provisional: a result is provisional where the calendar count it *used* ran through a guessed year —
the branch a choice took, the argument first() took, and not an `or` that holds for a firm reason.

Nulls: a comparison, arithmetic or function of a null is null, `and`/`or`/`not` are Kleene's, and a
check whose value is null is *no violation*. So `CF_JDRQ < LARQ` never fires when a date is missing;
a rule that means "missing counts" says so with `missing(X)` (nothing was given; a value given but
invalid is not missing — a field rule has rejected it already) or `present(X)`.

This module only parses and checks: quality/rule_polars.py and quality/rule_sql.py compile the tree.
A mistake — an unknown field, limit, code list or code name, a code field compared with a literal, a
type that does not fit — fails when the standard is loaded, naming the rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from standards.model import CodeList, Entity, Rule

# --- the tree ---------------------------------------------------------------------------------------


class Node:
    """A node of a parsed check."""

    def children(self) -> tuple[Node, ...]:
        return ()

    def walk(self):
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True)
class FieldRef(Node):
    code: str


@dataclass(frozen=True)
class Literal(Node):
    value: int | float | str | None


@dataclass(frozen=True)
class Param(Node):
    name: str
    value: int | float | tuple[str, ...]  # a number, or a list of words


@dataclass(frozen=True)
class AsOf(Node):
    pass


@dataclass(frozen=True)
class CodeValues(Node):
    """Codes resolved from names; one code is a value, several are a set."""

    codelist: str
    codes: tuple[str, ...]

    @property
    def is_set(self) -> bool:
        return len(self.codes) > 1


@dataclass(frozen=True)
class Compare(Node):
    op: str  # == != < <= > >=
    left: Node
    right: Node

    def children(self):
        return (self.left, self.right)


@dataclass(frozen=True)
class InSet(Node):
    operand: Node
    values: CodeValues

    def children(self):
        return (self.operand, self.values)


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # and / or
    items: tuple[Node, ...]

    def children(self):
        return self.items


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def children(self):
        return (self.operand,)


@dataclass(frozen=True)
class Choice(Node):
    condition: Node
    then: Node
    otherwise: Node

    def children(self):
        return (self.condition, self.then, self.otherwise)


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]

    def children(self):
        return self.args


FUNCTIONS = {
    # name: (argument kinds, result type); kinds: a type, "field" (a field of that type is required),
    # "const" (a number known when compiling), "codes" (a code value or set)
    "missing": (("field:any",), "bool"),
    "present": (("field:any",), "bool"),
    "days_after": (("date", "number"), "date"),
    "years_after": (("date", "number"), "date"),
    "workdays_after": (("date", "const"), "date"),
    "next_workday": (("date",), "date"),
    "first": (("date...",), "date"),
    "latest": (("date...",), "date"),
    "yuan": (("number",), "number"),
    "contains": (("list", "codes"), "bool"),
    "all_in": (("list", "codes"), "bool"),
    "count": (("list",), "number"),
    "distinct_count": (("list",), "number"),
    "group": (("field:code",), "text"),
    "mentions": (("text", "words"), "bool"),
    "body": (("field:body",), "text"),
}
# The fields of the 执法主体 that validation joins from the 三库 as of the decision day
# (quality/reference.py), and the entity they belong to.
BODY_ENTITY = "enforcement_entity"
BODY_FIELDS = frozenset({"ZFLY"})
# Functions that count in the Chinese calendar, so that their answer can be provisional.
CALENDAR_FUNCTIONS = frozenset({"workdays_after", "next_workday"})
_COMPARISONS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_TYPE_OF_FIELD = {
    "date": "date",
    "datetime": "date",
    "decimal": "number",
    "integer": "number",
    "text_list": "list",
    "uscc_list": "list",
    "code_set": "list",
}


class CheckError(ValueError):
    """A check that does not parse or does not fit the standard; the message names the rule."""


@dataclass(frozen=True)
class RuleCheck:
    """A rule's check: one expression, or one per field (`{field code: expression}`)."""

    rule_id: str
    source: str | dict[str, str]
    violations: dict[str | None, Node]  # None: the rule's first field present in the entity

    @property
    def fields_used(self) -> frozenset[str]:
        """The record's own fields the check reads (not the body's, read through body())."""
        return frozenset(code for tree in self.violations.values() for code in _record_fields(tree))

    @property
    def body_fields_used(self) -> frozenset[str]:
        return frozenset(
            n.args[0].code
            for tree in self.violations.values()
            for n in tree.walk()
            if isinstance(n, Call) and n.function == "body"
        )

    @property
    def uses_as_of(self) -> bool:
        """Whether the answer changes with the checking day (recomputed daily by the warehouse)."""
        return any(isinstance(n, AsOf) for tree in self.violations.values() for n in tree.walk())

    @property
    def uses_workdays(self) -> bool:
        """Whether a result can be provisional (a working-day count through an unannounced year)."""
        return any(
            isinstance(n, Call) and n.function in CALENDAR_FUNCTIONS
            for tree in self.violations.values()
            for n in tree.walk()
        )


def uses_calendar(node: Node) -> bool:
    """Whether the node counts in the Chinese calendar anywhere below it (so it can be provisional)."""
    return any(isinstance(n, Call) and n.function in CALENDAR_FUNCTIONS for n in node.walk())


def _record_fields(node: Node):
    if isinstance(node, Call) and node.function == "body":
        return
    if isinstance(node, FieldRef):
        yield node.code
    for child in node.children():
        yield from _record_fields(child)


# --- parsing ----------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, rule: Rule, codelists: dict[str, CodeList]) -> None:
        self.rule = rule
        self.codelists = codelists

    def fail(self, message: str) -> CheckError:
        return CheckError(f"rule_checks.yaml: {self.rule.id}: {message}")

    def parse(self, text: str) -> Node:
        if not isinstance(text, str) or not text.strip():
            raise self.fail("a check is a non-empty expression")
        try:
            tree = ast.parse(f"(\n{text.strip()}\n)", mode="eval")  # a check may span lines
        except SyntaxError as exc:
            raise self.fail(f"does not parse ({exc.msg}): {text!r}") from None
        return self.node(tree.body)

    def node(self, expr: ast.expr) -> Node:
        if isinstance(expr, ast.BoolOp):
            return BoolOp("and" if isinstance(expr.op, ast.And) else "or", tuple(self.node(v) for v in expr.values))
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            return Not(self.node(expr.operand))
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant):
            return self.literal(-expr.operand.value if _is_number(expr.operand.value) else None)
        if isinstance(expr, ast.Compare):
            return self.compare(expr)
        if isinstance(expr, ast.IfExp):
            return Choice(self.node(expr.test), self.node(expr.body), self.node(expr.orelse))
        if isinstance(expr, ast.Constant):
            return self.literal(expr.value)
        if isinstance(expr, ast.Name):
            return self.name(expr.id)
        if isinstance(expr, ast.Call):
            return self.call(expr)
        raise self.fail(f"{ast.unparse(expr)!r} is not part of the rule language")

    def literal(self, value) -> Literal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | None):
            raise self.fail(f"only numbers, 'text' and None are literals, not {value!r}")
        return Literal(value)

    def name(self, name: str) -> Node:
        if name == "as_of":
            return AsOf()
        if name in self.rule.params:
            value = self.rule.params[name]
            if isinstance(value, list):
                if not value or not all(isinstance(word, str) and word for word in value):
                    raise self.fail(f"limit {name} is a list: it must hold words")
                return Param(name, tuple(value))
            return Param(name, value)
        if name.isupper():
            return FieldRef(name)
        raise self.fail(f"{name!r} is neither a field code, a limit of the rule ({sorted(self.rule.params)}) nor as_of")

    def compare(self, expr: ast.Compare) -> Node:
        parts = []
        left = self.node(expr.left)
        for op, comparator in zip(expr.ops, expr.comparators, strict=True):
            right = self.node(comparator)
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, CodeValues):
                    raise self.fail("`in` takes code(list, name, …)")
                part = InSet(left, right)
                parts.append(Not(part) if isinstance(op, ast.NotIn) else part)
            elif type(op) in _COMPARISONS:
                parts.append(Compare(_COMPARISONS[type(op)], left, right))
            else:
                raise self.fail(f"operator {type(op).__name__} is not part of the rule language")
            left = right
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def call(self, expr: ast.Call) -> Node:
        if not isinstance(expr.func, ast.Name) or expr.keywords:
            raise self.fail(f"{ast.unparse(expr)!r}: call a function of the language by name, without keywords")
        function = expr.func.id
        if function == "code":
            return self.code(expr)
        if function not in FUNCTIONS:
            raise self.fail(f"unknown function {function}() (known: code, {', '.join(sorted(FUNCTIONS))})")
        kinds = FUNCTIONS[function][0]
        variadic = kinds[-1].endswith("...")
        if (len(expr.args) < 1) if variadic else (len(expr.args) != len(kinds)):
            raise self.fail(f"{function}() takes {len(kinds)}{' or more' if variadic else ''} argument(s)")
        return Call(function, tuple(self.node(arg) for arg in expr.args))

    def code(self, expr: ast.Call) -> CodeValues:
        if len(expr.args) < 2 or not isinstance(expr.args[0], ast.Name):
            raise self.fail("code() is code(code_list, name, …)")
        list_id = expr.args[0].id
        if list_id not in self.codelists:
            raise self.fail(f"unknown code list {list_id!r}")
        by_label = {value.label: value.code for value in self.codelists[list_id].values}
        codes = []
        for arg in expr.args[1:]:
            if isinstance(arg, ast.Name):
                label = arg.id
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                label = arg.value
            else:
                raise self.fail(f"code({list_id}, …): {ast.unparse(arg)!r} is not a name")
            if label not in by_label:
                raise self.fail(f"{label!r} is not a name in code list {list_id} ({'、'.join(by_label)})")
            codes.append(by_label[label])
        return CodeValues(list_id, tuple(codes))


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


# --- checking against an entity ---------------------------------------------------------------------


class _Typer:
    """Types a tree for one entity: each node's type is bool, date, number, text, list or codes."""

    def __init__(self, rule: Rule, entity: Entity, codelists: dict[str, CodeList], body: Entity | None) -> None:
        self.rule, self.entity, self.codelists, self.body = rule, entity, codelists, body

    def fail(self, message: str) -> CheckError:
        return CheckError(f"rule_checks.yaml: {self.rule.id} ({self.entity.code}): {message}")

    def field_type(self, code: str) -> str:
        if not self.entity.has_field(code):
            raise self.fail(f"field {code} is not in {self.entity.code}")
        return _TYPE_OF_FIELD.get(self.entity.field(code).type, "text")

    def type(self, node: Node) -> str:
        match node:
            case FieldRef(code=code):
                return self.field_type(code)
            case Literal(value=None):
                return "null"
            case Literal(value=value):
                return "text" if isinstance(value, str) else "number"
            case Param(value=tuple()):
                return "words"
            case Param():
                return "number"
            case AsOf():
                return "date"
            case CodeValues():
                return "codes"
            case Compare():
                return self.compare(node)
            case InSet(operand=operand, values=values):
                self.expect_code_match(operand, values)
                return "bool"
            case BoolOp(items=items):
                for item in items:
                    self.expect(item, "bool")
                return "bool"
            case Not(operand=operand):
                self.expect(operand, "bool")
                return "bool"
            case Choice(condition=condition, then=then, otherwise=otherwise):
                self.expect(condition, "bool")
                kind = self.type(then)
                if kind == "null":
                    kind = self.type(otherwise)
                    if kind == "null":
                        raise self.fail("a choice between None and None")
                    return kind
                self.expect(otherwise, kind)
                return kind
            case Call():
                return self.call(node)
        raise self.fail(f"cannot type {node!r}")  # pragma: no cover - the parser makes only the nodes above

    def expect(self, node: Node, kind: str) -> None:
        found = self.type(node)
        if found == "null" and kind not in ("bool", "words"):
            return
        if found != kind:
            raise self.fail(f"{_show(node)} is {found}, {kind} expected")

    def codelist_of(self, node: Node) -> str | None:
        if isinstance(node, FieldRef) and self.entity.has_field(node.code):
            return self.entity.field(node.code).codelist
        if isinstance(node, Call) and node.function == "body" and self.body is not None:
            return self.body.field(node.args[0].code).codelist
        return None

    def expect_code_match(self, operand: Node, values: CodeValues) -> None:
        kind = self.type(operand)
        if kind != "text":
            raise self.fail(f"{_show(operand)} is {kind}: only a code is compared with code(…)")
        codelist = self.codelist_of(operand)
        if codelist is not None and codelist != values.codelist:
            raise self.fail(f"{_show(operand)} takes codes of {codelist}, not of {values.codelist}")

    def compare(self, node: Compare) -> str:
        left, right = node.left, node.right
        if isinstance(left, CodeValues):
            left, right = right, left
        if isinstance(right, CodeValues):
            if right.is_set:
                raise self.fail("compare with one code; for several use `in code(…)`")
            if node.op not in ("==", "!="):
                raise self.fail("codes are compared with == or != only")
            self.expect_code_match(left, right)
            return "bool"
        kinds = self.type(left), self.type(right)
        if "null" in kinds:
            raise self.fail("None is never compared: say missing(X) or present(X)")
        if kinds[0] != kinds[1] or kinds[0] in ("bool", "list", "codes"):
            raise self.fail(f"cannot compare {_show(left)} ({kinds[0]}) with {_show(right)} ({kinds[1]})")
        for side, other in ((left, right), (right, left)):
            if isinstance(other, Literal) and self.codelist_of(side):
                raise self.fail(f"{_show(side)} is a code: compare it with code({self.codelist_of(side)}, name)")
            is_yn = isinstance(side, FieldRef) and self.entity.field(side.code).type == "yn"
            if is_yn and isinstance(other, Literal) and other.value not in ("Y", "N"):
                raise self.fail(f"{side.code} is Y or N, never {other.value!r}")
        return "bool"

    def call(self, node: Call) -> str:
        kinds, result = FUNCTIONS[node.function]
        if kinds[-1].endswith("..."):
            kinds = (kinds[-1][:-3],) * len(node.args)
        for arg, kind in zip(node.args, kinds, strict=True):
            if kind == "field:body":
                if not isinstance(arg, FieldRef) or arg.code not in BODY_FIELDS or self.body is None:
                    raise self.fail(f"body() takes a field of the 执法主体 joined from the 三库: {sorted(BODY_FIELDS)}")
                if not self.entity.has_field("ZTDM"):
                    raise self.fail(f"body(): {self.entity.code} names no 执法主体 (ZTDM)")
            elif kind.startswith("field:"):
                if not isinstance(arg, FieldRef):
                    raise self.fail(f"{node.function}() takes a field code, not {_show(arg)}")
                self.field_type(arg.code)
                if kind == "field:code" and self.codelist_of(arg) is None:
                    raise self.fail(f"{node.function}() takes a code field; {arg.code} is not one")
            elif kind == "const":
                if not isinstance(arg, Literal | Param) or not isinstance(arg.value, int) or arg.value < 0:
                    raise self.fail(f"{node.function}() counts a whole number of days given as a number or a limit")
            elif kind == "codes":
                if not isinstance(arg, CodeValues):
                    raise self.fail(f"{node.function}() takes code(list, name, …) as its second argument")
                list_field = node.args[0]
                codelist = self.codelist_of(list_field)
                if codelist is not None and codelist != arg.codelist:
                    raise self.fail(f"{_show(list_field)} holds codes of {codelist}, not of {arg.codelist}")
            else:
                self.expect(arg, kind)
        return result


def _show(node: Node) -> str:
    match node:
        case FieldRef(code=code):
            return code
        case Literal(value=value):
            return repr(value)
        case Param(name=name):
            return name
        case Literal(value=None):
            return "None"
        case Call(function=function):
            return f"{function}(…)"
    return type(node).__name__


# --- loading ----------------------------------------------------------------------------------------


def parse_check(rule: Rule, source, codelists: dict[str, CodeList], entities: dict[str, Entity]) -> RuleCheck:
    """Parses a rule's check and types it for every entity the rule applies to."""
    parser = _Parser(rule, codelists)
    if isinstance(source, dict):
        if not source:
            raise parser.fail("an empty mapping of checks")
        for code in source:
            if code not in rule.fields:
                raise parser.fail(f"a check for {code}, which is not among the rule's fields {list(rule.fields)}")
        violations = {code: parser.parse(text) for code, text in source.items()}
    else:
        violations = {None: parser.parse(source)}
    body = entities.get(BODY_ENTITY)
    for entity_code in rule.entities:
        typer = _Typer(rule, entities[entity_code], codelists, body)
        for code, tree in violations.items():
            if code is not None and not entities[entity_code].has_field(code):
                raise typer.fail(f"a check for {code}, which is not in {entity_code}")
            typer.expect(tree, "bool")
    return RuleCheck(rule.id, source, violations)


ENGINE_KINDS = frozenset({"row"})  # the kinds of rule that are written in the language unless excused


def load_checks(raw: dict | None, rules: dict[str, Rule], codelists, entities) -> tuple[dict[str, RuleCheck], dict]:
    """`checks` by rule id, and the rules excused from the language (`engine_specific`: id → why).

    Refuses a check or an excuse for an unknown rule or for a rule that is not of kind row, a rule with
    both, and a row rule with neither."""
    raw = raw or {}
    unknown_keys = set(raw) - {"checks", "engine_specific"}
    if unknown_keys:
        raise CheckError(f"rule_checks.yaml: unknown sections {sorted(unknown_keys)} (checks, engine_specific)")
    sources = raw.get("checks") or {}
    excused = raw.get("engine_specific") or {}
    for rule_id in [*sources, *excused]:
        if rule_id not in rules:
            raise CheckError(f"rule_checks.yaml: {rule_id}: no such rule in rules.yaml")
        if rules[rule_id].kind not in ENGINE_KINDS:
            raise CheckError(f"rule_checks.yaml: {rule_id}: a rule of kind {rules[rule_id].kind} is not checked here")
    for rule_id in set(sources) & set(excused):
        raise CheckError(f"rule_checks.yaml: {rule_id}: both a check and engine_specific")
    for rule_id, why in excused.items():
        if not isinstance(why, str) or not why.strip():
            raise CheckError(f"rule_checks.yaml: {rule_id}: engine_specific says why the language cannot state it")
    for rule in rules.values():
        if rule.kind in ENGINE_KINDS and rule.id not in sources and rule.id not in excused:
            raise CheckError(f"rule_checks.yaml: {rule.id}: a {rule.kind} rule has no check and no engine_specific")
    checks = {rule_id: parse_check(rules[rule_id], text, codelists, entities) for rule_id, text in sources.items()}
    return checks, dict(excused)
