"""The standard's vocabulary: entities, fields, code lists, divisions and rules as plain objects."""

from __future__ import annotations

from dataclasses import dataclass, field

FIELD_TYPES = frozenset(
    {
        "text",
        "uscc",
        "uscc_list",
        "ric",
        "division",
        "date",
        "datetime",
        "decimal",
        "integer",
        "yn",
        "code",
        "code_set",
        "text_list",
    }
)
CODED_TYPES = frozenset({"code", "code_set"})
PRESENCES = frozenset({"R", "C", "O"})
SEVERITIES = frozenset({"reject", "finding"})
RULE_KINDS = frozenset({"field", "row", "reference", "scope", "batch"})
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Field:
    code: str
    name: str
    type: str
    presence: str
    description: str = ""
    max_length: int | None = None
    codelist: str | None = None
    not_future: bool = False
    personal: bool = False
    unit: str | None = None
    identifier: bool = False

    @property
    def label(self) -> str:
        """How a field is named to people: 名称（代码）."""
        return f"{self.name}（{self.code}）"

    @property
    def required(self) -> bool:
        return self.presence == "R"


# Who sends an entity (entities.yaml `reported_by`): each 报送单位, or the province (its 三库 / law extract,
# landed under REFERENCE_UNIT: the province's, not a unit to scope or give feedback to).
REPORTED_BY_UNIT = "unit"
REFERENCE_UNIT = "province"
REPORTERS = frozenset({REPORTED_BY_UNIT, REFERENCE_UNIT})


@dataclass(frozen=True)
class Entity:
    code: str
    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    updated_at: str | None = None
    is_reference: bool = False
    origin: str = ""
    reported_by: str | None = None

    def field(self, code: str) -> Field:
        for candidate in self.fields:
            if candidate.code == code:
                return candidate
        raise KeyError(f"{self.code} has no field {code}")

    def has_field(self, code: str) -> bool:
        return any(candidate.code == code for candidate in self.fields)

    @property
    def field_codes(self) -> tuple[str, ...]:
        return tuple(candidate.code for candidate in self.fields)


@dataclass(frozen=True)
class CodeValue:
    code: str
    label: str
    group: str | None = None


@dataclass(frozen=True)
class CodeList:
    id: str
    name: str
    values: tuple[CodeValue, ...]
    ordered: bool = False
    open_prefix: str | None = None
    basis: str = ""
    origin: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(value.code for value in self.values)

    def spelling_to_code(self) -> dict[str, str]:
        """Every accepted spelling (code or label) mapped to the code that is stored."""
        mapping = {value.label: value.code for value in self.values}
        mapping.update({value.code: value.code for value in self.values})
        return mapping


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str | None


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    kind: str
    message: str
    hint: str = ""
    basis: str = ""
    entities: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    applies_to: str | None = None
    params: dict = field(default_factory=dict, hash=False)

    def applies(self, entity: str) -> bool:
        return entity in self.entities

    def fields_in(self, entity: Entity) -> tuple[str, ...]:
        return tuple(code for code in self.fields if entity.has_field(code))

    def targets(self, entity: Entity) -> tuple[Field, ...]:
        """The fields of `entity` that a field rule (kind `field`) applies to, from `applies_to`."""
        if self.kind != "field" or self.applies_to is None:
            return ()
        prop, _, values = self.applies_to.partition(":")
        wanted = {value.strip() for value in values.split(",") if value.strip()}
        prop = prop.strip()
        if prop == "presence":
            return tuple(f for f in entity.fields if f.presence in wanted)
        if prop == "type":
            return tuple(f for f in entity.fields if f.type in wanted)
        if prop == "max_length":
            return tuple(f for f in entity.fields if f.max_length is not None)
        if prop == "not_future":
            return tuple(f for f in entity.fields if f.not_future)
        raise ValueError(f"rule {self.id}: applies_to {self.applies_to!r} is not understood")


@dataclass(frozen=True)
class Standard:
    entities: dict[str, Entity]
    codelists: dict[str, CodeList]
    divisions: dict[str, Division]
    rules: dict[str, Rule]
    holidays: dict = field(default_factory=dict)
    # rule id → its check in the rule language (standards/rule_language.py, spec/rule_checks.yaml)
    checks: dict = field(default_factory=dict)
    # rule id → why it is implemented per engine instead (a row rule the language does not state)
    engine_specific: dict = field(default_factory=dict)

    def entity(self, code: str) -> Entity:
        try:
            return self.entities[code]
        except KeyError:
            known = "、".join(self.entities)
            raise KeyError(f"未知的数据类型 {code!r}（可用：{known}）") from None

    @property
    def unit_reported_entities(self) -> tuple[str, ...]:
        """What 报送单位 send (validated as the unit that sent it), in entities.yaml order."""
        return tuple(code for code, entity in self.entities.items() if entity.reported_by == REPORTED_BY_UNIT)

    @property
    def extract_entities(self) -> tuple[str, ...]:
        """What the province's extract carries (三库 and laws), landed under REFERENCE_UNIT."""
        return tuple(code for code, entity in self.entities.items() if entity.reported_by == REFERENCE_UNIT)

    def rules_for(self, entity: str, *, kind: str | None = None, severity: str | None = None) -> list[Rule]:
        return [
            rule
            for rule in self.rules.values()
            if rule.applies(entity)
            and (kind is None or rule.kind == kind)
            and (severity is None or rule.severity == severity)
        ]
