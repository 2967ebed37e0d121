"""Loads the standard from `standards/spec/` and checks the spec itself before anyone relies on it."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import yaml

from standards.model import (
    CODED_TYPES,
    FIELD_TYPES,
    PRESENCES,
    REPORTERS,
    RULE_KINDS,
    SEVERITIES,
    CodeList,
    CodeValue,
    Division,
    Entity,
    Field,
    Rule,
    Standard,
)
from standards.rule_language import CheckError, load_checks

SPEC_DIR = Path(__file__).parent / "spec"
_PLACEHOLDER = re.compile(r"{(\w*)}")
_FIELD_KEYS = {f for f in Field.__dataclass_fields__}


class SpecError(ValueError):
    """The spec contradicts itself; the message names the file and the entry."""


# libyaml's parser under the same safe constructors (the same objects, tested): every command reads the
# standard at start-up, and the pure-Python parser took ~0.1–0.4 s of it.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SAFE_LOADER)


def _load_codelists(raw: dict) -> dict[str, CodeList]:
    codelists = {}
    for list_id, body in raw.items():
        values = []
        for item in body["values"]:
            code, label, *group = (str(part) for part in item)
            values.append(CodeValue(code=code, label=label, group=group[0] if group else None))
        codes = [value.code for value in values]
        if len(set(codes)) != len(codes):
            raise SpecError(f"codelists.yaml: {list_id} has a code twice")
        spellings = {}
        for value in values:
            for spelling in {value.code, value.label}:
                if spellings.setdefault(spelling, value.code) != value.code:
                    raise SpecError(f"codelists.yaml: {list_id}: {spelling!r} names two codes")
        codelists[list_id] = CodeList(
            id=list_id,
            name=body["name"],
            values=tuple(values),
            ordered=bool(body.get("ordered", False)),
            open_prefix=body.get("open_prefix"),
            basis=body.get("basis", ""),
            origin=body.get("origin", ""),
        )
    return codelists


def _load_entities(raw: dict, codelists: dict[str, CodeList]) -> dict[str, Entity]:
    entities = {}
    for entity_code, body in raw.items():
        fields = []
        for item in body["fields"]:
            unknown = set(item) - _FIELD_KEYS
            if unknown:
                raise SpecError(f"entities.yaml: {entity_code}.{item.get('code')}: unknown keys {sorted(unknown)}")
            spec_field = Field(**item)
            where = f"entities.yaml: {entity_code}.{spec_field.code}"
            if spec_field.type not in FIELD_TYPES:
                raise SpecError(f"{where}: unknown type {spec_field.type!r}")
            if spec_field.presence not in PRESENCES:
                raise SpecError(f"{where}: presence must be R, C or O")
            if (spec_field.type in CODED_TYPES) != (spec_field.codelist is not None):
                raise SpecError(f"{where}: code fields, and only they, name a codelist")
            if spec_field.codelist is not None and spec_field.codelist not in codelists:
                raise SpecError(f"{where}: unknown codelist {spec_field.codelist!r}")
            fields.append(spec_field)
        codes = [f.code for f in fields]
        names = [f.name for f in fields]
        if len(set(codes)) != len(codes) or len(set(names)) != len(names):
            raise SpecError(f"entities.yaml: {entity_code} has a field code or name twice")
        entity = Entity(
            code=entity_code,
            name=body["name"],
            fields=tuple(fields),
            key=tuple(body["key"]),
            unique=tuple(tuple(group) for group in body.get("unique", [])),
            updated_at=body.get("updated_at"),
            is_reference=bool(body.get("reference", False)),
            origin=body.get("origin", ""),
            reported_by=body.get("reported_by"),
        )
        if entity.reported_by is not None and entity.reported_by not in REPORTERS:
            raise SpecError(
                f"entities.yaml: {entity_code}: reported_by must be one of {sorted(REPORTERS)}, "
                f"not {entity.reported_by!r}"
            )
        for column in (*entity.key, *(c for group in entity.unique for c in group), entity.updated_at):
            if column is not None and not entity.has_field(column):
                raise SpecError(f"entities.yaml: {entity_code}: key/unique/updated_at names unknown field {column}")
        entities[entity_code] = entity
    return entities


def _load_rules(raw: list, entities: dict[str, Entity]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for item in raw:
        rule_id = item.get("id")
        where = f"rules.yaml: {rule_id}"
        if rule_id in rules:
            raise SpecError(f"{where}: id used twice")
        if item.get("severity") not in SEVERITIES:
            raise SpecError(f"{where}: severity must be one of {sorted(SEVERITIES)}")
        if item.get("kind") not in RULE_KINDS:
            raise SpecError(f"{where}: kind must be one of {sorted(RULE_KINDS)}")
        for placeholder in _PLACEHOLDER.findall(item.get("message", "") + item.get("hint", "")):
            if placeholder != "field":
                raise SpecError(f"{where}: message may only use {{field}}, not {{{placeholder}}}")
        declared = item.get("entities", "all")
        entity_codes = tuple(entities) if declared in ("all", None) or item["kind"] == "field" else tuple(declared)
        for entity_code in entity_codes:
            if entity_code not in entities:
                raise SpecError(f"{where}: unknown entity {entity_code!r}")
        fields = item.get("fields", ())
        if isinstance(fields, str):  # `key` / `unique`: the entity's own key columns
            if fields not in ("key", "unique"):
                raise SpecError(f"{where}: fields must be a list, `key` or `unique`")
            fields = ()
        for code in fields:
            if not any(entities[e].has_field(code) for e in entity_codes):
                raise SpecError(f"{where}: field {code} is in none of {list(entity_codes)}")
        rule = Rule(
            id=rule_id,
            severity=item["severity"],
            kind=item["kind"],
            message=item["message"],
            hint=item.get("hint", ""),
            basis=item.get("basis", ""),
            entities=entity_codes,
            fields=tuple(fields),
            applies_to=item.get("applies_to"),
            params=dict(item.get("params") or {}),
        )
        for name, value in rule.params.items():
            if isinstance(value, list) and value and all(isinstance(word, str) and word for word in value):
                continue  # words a rule looks for (e.g. 边远、水上、交通不便 in 备注)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SpecError(f"{where}: param {name} must be a number ≥ 0 or a list of words")
        if rule.kind == "field":
            if not rule.applies_to:
                raise SpecError(f"{where}: a field rule says what it applies_to")
            try:
                for entity in entities.values():
                    rule.targets(entity)
            except ValueError as exc:
                raise SpecError(f"{where}: {exc}") from None
        elif isinstance(item.get("fields"), list):
            for entity_code in entity_codes:
                if not rule.fields_in(entities[entity_code]):
                    raise SpecError(f"{where}: none of its fields is in {entity_code}")
        rules[rule_id] = rule
    return rules


def _load_divisions(path: Path) -> dict[str, Division]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    divisions = {
        row["code"]: Division(row["code"], row["name"], row["level"], row["parent_code"] or None) for row in rows
    }
    for division in divisions.values():
        if division.parent_code and division.parent_code not in divisions:
            raise SpecError(f"divisions.csv: {division.code} hangs under unknown {division.parent_code}")
    return divisions


def load_standard(spec_dir: Path = SPEC_DIR) -> Standard:
    """Reads and checks the spec; raises SpecError naming the entry that is wrong."""
    codelists = _load_codelists(_read_yaml(spec_dir / "codelists.yaml"))
    entities = _load_entities(_read_yaml(spec_dir / "entities.yaml"), codelists)
    rules = _load_rules(_read_yaml(spec_dir / "rules.yaml"), entities)
    divisions = _load_divisions(spec_dir / "divisions.csv")
    holidays = _read_yaml(spec_dir / "holidays.yaml") or {}
    try:
        checks, engine_specific = load_checks(_read_yaml(spec_dir / "rule_checks.yaml"), rules, codelists, entities)
    except CheckError as exc:
        raise SpecError(str(exc)) from None
    return Standard(
        entities=entities,
        codelists=codelists,
        divisions=divisions,
        rules=rules,
        holidays=holidays,
        checks=checks,
        engine_specific=engine_specific,
    )


@lru_cache(maxsize=1)
def standard() -> Standard:
    """The project's standard, loaded once per process."""
    return load_standard()
