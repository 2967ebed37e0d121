"""Turns received text into typed values, as vectorised polars expressions.

For every field the output frame has the typed column under the field's code, and for every field
whose text can fail to parse a boolean `<code>__bad` (text was given but is not a valid value of the
field's type). A field is *missing* when its typed value is null and it is not bad. Free text is
trimmed and full-width digits/letters made half-width; structured values (codes, dates, numbers,
identifiers) are NFKC-normalised, so `２０２４／３／５`, `2024年3月5日` and `20240305` are one date.
"""

from __future__ import annotations

import polars as pl

from quality.codes import USCC_PLACEHOLDER, ric_is_valid, uscc_is_valid
from quality.read import ROW
from standards.model import Entity, Field, Standard

BAD = "__bad"
_FULL_WIDTH_ALNUM = (
    [chr(c) for c in range(0xFF10, 0xFF1A)]
    + [chr(c) for c in range(0xFF21, 0xFF3B)]
    + [chr(c) for c in range(0xFF41, 0xFF5B)]
)
_HALF_WIDTH_ALNUM = [chr(ord(c) - 0xFEE0) for c in _FULL_WIDTH_ALNUM]
_LIST_SPLIT = r"[;、]"
_EXCEL_EPOCH = pl.date(1899, 12, 30)
# Fields that may hold the 个体工商户 placeholder instead of a code (standard.md §2).
PLACEHOLDER_FIELDS = frozenset({"CF_XDR_SHXYM", "XK_XDR_SHXYM"})

_DATE_SPELLED = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_TIME = r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?秒?)?)?$"


def bad_column(code: str) -> str:
    return f"{code}{BAD}"


def _clean_text(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars().str.replace_many(_FULL_WIDTH_ALNUM, _HALF_WIDTH_ALNUM)
    return pl.when(text.str.len_bytes() > 0).then(text)


def _clean_structured(column: str) -> pl.Expr:
    text = pl.col(column).str.normalize("NFKC").str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text)


def parse_date(text: pl.Expr) -> pl.Expr:
    """Every unambiguous spelling of a date (standard.md §2) → Date; anything else → null."""
    spelled = text.str.extract_groups(_DATE_SPELLED + r"(?:[ T]+0{1,2}:00(?::00(?:\.0+)?)?)?$")
    compact = text.str.extract_groups(r"^(\d{4})(\d{2})(\d{2})$")
    year = pl.coalesce(spelled.struct.field("1"), compact.struct.field("1"))
    month = pl.coalesce(spelled.struct.field("2"), compact.struct.field("2"))
    day = pl.coalesce(spelled.struct.field("3"), compact.struct.field("3"))
    iso = pl.concat_str([year, month.str.zfill(2), day.str.zfill(2)], separator="-")
    from_text = iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    serial = text.str.extract(r"^(\d{5})$").cast(pl.Int64, strict=False)
    from_serial = _EXCEL_EPOCH + pl.duration(days=serial)
    return pl.coalesce(from_text, from_serial)


def parse_datetime(text: pl.Expr) -> pl.Expr:
    """Dates as above with an optional time of day, or compact `YYYYMMDDhhmmss` → Datetime."""
    spelled = text.str.extract_groups(_DATE_SPELLED + _TIME)
    compact = text.str.extract_groups(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$")

    def part(index: str, default: str | None = None) -> pl.Expr:
        value = pl.coalesce(spelled.struct.field(index), compact.struct.field(index))
        return value if default is None else value.fill_null(pl.lit(default))

    stamp = pl.concat_str(
        [
            part("1"),
            pl.lit("-"),
            part("2").str.zfill(2),
            pl.lit("-"),
            part("3").str.zfill(2),
            pl.lit(" "),
            part("4", "0").str.zfill(2),
            pl.lit(":"),
            part("5", "0").str.zfill(2),
            pl.lit(":"),
            part("6", "0").str.zfill(2),
        ]
    )
    from_text = stamp.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    serial = text.str.extract(r"^(\d{5}(?:\.\d+)?)$").cast(pl.Float64, strict=False)
    from_serial = _EXCEL_EPOCH.cast(pl.Datetime("us")) + pl.duration(
        milliseconds=(serial * 86_400_000).round(0).cast(pl.Int64)
    )
    return pl.coalesce(from_text, from_serial)


def _map_codes(text: pl.Expr, spec_field: Field, standard: Standard) -> pl.Expr:
    codelist = standard.codelists[spec_field.codelist]
    mapping = codelist.spelling_to_code()
    mapped = text.replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=pl.String)
    if codelist.open_prefix:
        is_open = text.str.starts_with(codelist.open_prefix) & (text.str.len_chars() > len(codelist.open_prefix))
        mapped = pl.when(is_open).then(text).otherwise(mapped)
    return mapped


def _typed(spec_field: Field, standard: Standard) -> tuple[pl.Expr, pl.Expr | None]:
    """The typed value of a field, and (for parseable types) whether given text failed to parse."""
    code = spec_field.code
    kind = spec_field.type
    if kind == "text":
        return _clean_text(code), None
    text = _clean_structured(code)
    if kind == "text_list":
        items = (
            text.str.split(";")
            .list.eval(pl.element().str.strip_chars())
            .list.eval(pl.element().filter(pl.element().str.len_bytes() > 0))
        )
        return pl.when(items.list.len() > 0).then(items), None
    if kind == "uscc":
        upper = text.str.to_uppercase()
        valid = uscc_is_valid(upper)
        if code in PLACEHOLDER_FIELDS:
            valid = valid | (upper == USCC_PLACEHOLDER)
        value = pl.when(valid).then(upper)
    elif kind == "uscc_list":
        items = (
            text.str.to_uppercase()
            .str.split(";")
            .list.eval(pl.element().str.strip_chars())
            .list.eval(pl.element().filter(pl.element().str.len_bytes() > 0))
        )
        all_valid = items.list.eval(uscc_is_valid(pl.element())).list.all() & (items.list.len() > 0)
        value = pl.when(all_valid).then(items)
    elif kind == "ric":
        upper = text.str.to_uppercase()
        value = pl.when(ric_is_valid(upper)).then(upper)
    elif kind == "division":
        value = pl.when(text.is_in(list(standard.divisions))).then(text)
    elif kind == "date":
        value = parse_date(text)
    elif kind == "datetime":
        value = parse_datetime(text)
    elif kind == "decimal":
        value = pl.when(text.str.contains(r"^\d+(?:\.\d+)?$")).then(text.cast(pl.Float64, strict=False))
    elif kind == "integer":
        number = pl.when(text.str.contains(r"^\d{1,15}$")).then(text.cast(pl.Int64, strict=False))
        value = pl.when(number >= 1).then(number)
    elif kind == "yn":
        value = text.str.to_uppercase().replace_strict(
            ["Y", "N", "是", "否"], ["Y", "N", "Y", "N"], default=None, return_dtype=pl.String
        )
    elif kind == "code":
        value = _map_codes(text, spec_field, standard)
    elif kind == "code_set":
        codelist = standard.codelists[spec_field.codelist]
        order = {c: i for i, c in enumerate(codelist.codes)}
        items = (
            text.str.split_by_regex(_LIST_SPLIT)
            if hasattr(pl.Expr.str, "split_by_regex")
            else text.str.replace_all(_LIST_SPLIT, ";").str.split(";")
        )
        items = items.list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element().str.len_bytes() > 0)
        )
        mapping = codelist.spelling_to_code()
        mapped = items.list.eval(
            pl.element().replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=pl.String)
        )
        all_known = (mapped.list.eval(pl.element().is_null()).list.any().not_()) & (mapped.list.len() > 0)
        # Stored in the code list's order (for 处罚类别: light → heavy), each kind once.
        canonical = mapped.list.unique().list.eval(
            pl.element().sort_by(pl.element().replace_strict(list(order), list(order.values()), default=0))
        )
        value = pl.when(all_known).then(canonical)
    else:  # pragma: no cover - the loader refuses unknown types
        raise ValueError(kind)
    return value, (text.is_not_null() & value.is_null())


def normalise(raw: pl.DataFrame, entity: Entity, standard: Standard) -> pl.DataFrame:
    """`raw` has one string column per field code present (others are treated as empty) and `__row`.

    Structured columns repeat a lot (a few hundred bodies, a few thousand dates in a million rows), so
    each is parsed once per distinct value and joined back; a column whose values are mostly distinct
    is parsed row by row, dates and times through a strict fast format first.
    """
    missing = [f.code for f in entity.fields if f.code not in raw.columns]
    frame = raw.with_columns([pl.lit(None, dtype=pl.String).alias(code) for code in missing]) if missing else raw
    text_fields = [f for f in entity.fields if f.type == "text"]
    out = frame.select(pl.col(ROW), *[_clean_text(f.code).alias(f.code) for f in text_fields])
    parsed: dict[str, pl.Series] = {}
    for spec_field in entity.fields:
        if spec_field.type != "text":
            parsed.update(_parse_column(frame, spec_field, standard))
    out = out.with_columns(list(parsed.values()))
    order = [ROW]
    for spec_field in entity.fields:
        order.append(spec_field.code)
        if bad_column(spec_field.code) in parsed:
            order.append(bad_column(spec_field.code))
    return out.select(order)


_FAST_FORMATS = {"date": (pl.Date, "%Y-%m-%d"), "datetime": (pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")}
_MOSTLY_DISTINCT = 0.5


def _parse_column(frame: pl.DataFrame, spec_field: Field, standard: Standard) -> dict[str, pl.Series]:
    code = spec_field.code
    value, bad = _typed(spec_field, standard)
    exprs = [value.alias(code)] + ([bad.alias(bad_column(code))] if bad is not None else [])
    column = frame.select(code)
    distinct = column.unique()
    if distinct.height <= _MOSTLY_DISTINCT * max(column.height, 1):
        table = distinct.select(pl.col(code).alias("__text"), *exprs)
        joined = column.select(pl.col(code).alias("__text")).join(
            table, on="__text", how="left", maintain_order="left", nulls_equal=True
        )
        return {name: joined[name] for name in joined.columns if name != "__text"}
    if spec_field.type in _FAST_FORMATS:
        return _parse_with_fast_path(column, spec_field, exprs)
    result = column.select(exprs)
    return {name: result[name] for name in result.columns}


def _parse_with_fast_path(column: pl.DataFrame, spec_field: Field, exprs: list[pl.Expr]) -> dict[str, pl.Series]:
    """Most dates arrive as `2024-03-05`: parse those strictly, send only the rest to the full parser."""
    code = spec_field.code
    dtype, layout = _FAST_FORMATS[spec_field.type]
    text = column[code].str.strip_chars()
    fast = text.str.strptime(dtype, layout, strict=False, exact=True)
    needs_full = (fast.is_null() & text.is_not_null()).arg_true()
    bad = pl.Series(bad_column(code), [False] * column.height, dtype=pl.Boolean)
    value = fast.alias(code)
    if needs_full.len():
        full = column[needs_full].select(exprs)
        value = value.scatter(needs_full, full[code])
        bad = bad.scatter(needs_full, full[bad_column(code)])
    return {code: value, bad_column(code): bad}


def typed_schema(entity: Entity) -> dict[str, pl.DataType]:
    """The polars dtype of each field after normalisation (the contract the validator checks)."""
    dtypes: dict[str, pl.DataType] = {
        "date": pl.Date(),
        "datetime": pl.Datetime("us"),
        "decimal": pl.Float64(),
        "integer": pl.Int64(),
        "text_list": pl.List(pl.String),
        "uscc_list": pl.List(pl.String),
        "code_set": pl.List(pl.String),
    }
    return {f.code: dtypes.get(f.type, pl.String()) for f in entity.fields}
