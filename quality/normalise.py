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
from quality.read import ROW, trimmed
from standards.model import Entity, Field, Standard

BAD = "__bad"
_FULL_WIDTH_ALNUM = (
    [chr(c) for c in range(0xFF10, 0xFF1A)]
    + [chr(c) for c in range(0xFF21, 0xFF3B)]
    + [chr(c) for c in range(0xFF41, 0xFF5B)]
)
_HALF_WIDTH_ALNUM = [chr(ord(c) - 0xFEE0) for c in _FULL_WIDTH_ALNUM]
_LIST_SPLIT = r"[;、]"
_DECIMAL_DIGITS, _DECIMAL_PLACES = 15, 20
_EXCEL_EPOCH = pl.date(1899, 12, 30)
FIRST_YEAR, LAST_YEAR = 1900, 2199
# Fields that may hold the 个体工商户 placeholder instead of a code (standard.md §2).
PLACEHOLDER_FIELDS = frozenset({"CF_XDR_SHXYM", "XK_XDR_SHXYM"})

_DATE_SPELLED = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_TIME = r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.\d+)?秒?)?)?$"


def bad_column(code: str) -> str:
    return f"{code}{BAD}"


def _trimmed_text(spec_field: Field) -> pl.Expr:
    """Free text is only trimmed (it is shown back as written); identifiers also lose full-width forms.
    Empty text becomes null in a second step (`_none_if_empty`): in one eager select the trimming would
    run twice."""
    text = trimmed(pl.col(spec_field.code))
    if spec_field.identifier:
        text = text.str.replace_many(_FULL_WIDTH_ALNUM, _HALF_WIDTH_ALNUM)
    return text


def _none_if_empty(column: str) -> pl.Expr:
    return pl.when(pl.col(column).str.len_bytes() > 0).then(pl.col(column)).alias(column)


def _clean_structured(column: str) -> pl.Expr:
    text = trimmed(pl.col(column).str.normalize("NFKC"))
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
    return _plausible(pl.coalesce(from_text, from_serial))


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
    return _plausible(pl.coalesce(from_text, from_serial))


def _plausible_series(parsed: pl.DataFrame) -> pl.Series:
    """`_plausible` for a column already parsed (the expression form would parse it twice)."""
    day = parsed.to_series()
    return pl.select(pl.when(day.dt.year().is_between(FIRST_YEAR, LAST_YEAR)).then(day)).to_series()


def _plausible(day: pl.Expr) -> pl.Expr:
    """Years outside 1900–2199 are typing slips (0000-01-01, 20240-1-1), not dates of enforcement."""
    return pl.when(day.dt.year().is_between(FIRST_YEAR, LAST_YEAR)).then(day)


def _map_codes(text: pl.Expr, spec_field: Field, standard: Standard) -> pl.Expr:
    codelist = standard.codelists[spec_field.codelist]
    mapping = codelist.spelling_to_code()
    mapped = text.replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=pl.String)
    if codelist.open_prefix:
        is_open = text.str.starts_with(codelist.open_prefix) & (text.str.len_chars() > len(codelist.open_prefix))
        mapped = pl.when(is_open).then(text).otherwise(mapped)
    return mapped


_UPPER_CASED = frozenset({"uscc", "uscc_list", "ric", "yn"})


def _cleaned(spec_field: Field) -> pl.Expr:
    """The received text made comparable: NFKC, trimmed, upper-cased for codes with letters."""
    text = _clean_structured(spec_field.code)
    return text.str.to_uppercase() if spec_field.type in _UPPER_CASED else text


def _split_list(text: pl.Expr, separator: str = ";") -> pl.Expr:
    items = text.str.replace_all(_LIST_SPLIT, ";").str.split(";") if separator != ";" else text.str.split(";")
    return items.list.eval(trimmed(pl.element())).list.eval(
        pl.element().filter(pl.element().str.len_bytes() > 0)
    )


def _typed(spec_field: Field, standard: Standard) -> pl.Expr:
    """The typed value of a structured field, read from its cleaned text in `pl.col(code)`.

    Null when no text was given or the text is not a valid value (the caller tells those apart).
    """
    code = spec_field.code
    kind = spec_field.type
    text = pl.col(code)
    if kind == "text_list":
        items = _split_list(text)
        return pl.when(items.list.len() > 0).then(items)
    if kind == "uscc":
        valid = uscc_is_valid(text)
        if code in PLACEHOLDER_FIELDS:
            valid = valid | (text == USCC_PLACEHOLDER)
        return pl.when(valid).then(text)
    if kind == "uscc_list":
        items = _split_list(text)
        all_valid = items.list.eval(uscc_is_valid(pl.element())).list.all() & (items.list.len() > 0)
        return pl.when(all_valid).then(items)
    if kind == "ric":
        return pl.when(ric_is_valid(text)).then(text)
    if kind == "division":
        return pl.when(text.is_in(list(standard.divisions))).then(text)
    if kind == "date":
        return parse_date(text)
    if kind == "datetime":
        return parse_datetime(text)
    if kind == "decimal":
        # Digits are bounded so that a value never overflows to inf (a 400-digit 罚款金额) nor
        # underflows to 0 in a Float64: anything longer is a bad value, rejected with its field.
        # `.5` is 0.5: some systems export a fraction without its leading zero.
        shaped = text.str.contains(
            rf"^(?:\d{{1,{_DECIMAL_DIGITS}}}(?:\.\d{{1,{_DECIMAL_PLACES}}})?|\.\d{{1,{_DECIMAL_PLACES}}})$"
        )
        number = text.cast(pl.Float64, strict=False)
        return pl.when(shaped & number.is_finite()).then(number)
    if kind == "integer":
        number = pl.when(text.str.contains(r"^\d{1,15}$")).then(text.cast(pl.Int64, strict=False))
        return pl.when(number >= 1).then(number)
    if kind == "yn":
        return text.replace_strict(["Y", "N", "是", "否"], ["Y", "N", "Y", "N"], default=None, return_dtype=pl.String)
    if kind == "code":
        return _map_codes(text, spec_field, standard)
    if kind == "code_set":
        codelist = standard.codelists[spec_field.codelist]
        order = {c: i for i, c in enumerate(codelist.codes)}
        mapping = codelist.spelling_to_code()
        mapped = _split_list(text, separator=_LIST_SPLIT).list.eval(
            pl.element().replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=pl.String)
        )
        all_known = (mapped.list.eval(pl.element().is_null()).list.any().not_()) & (mapped.list.len() > 0)
        # Stored in the code list's order (for 处罚类别: light → heavy), each kind once.
        canonical = mapped.list.unique().list.eval(
            pl.element().sort_by(pl.element().replace_strict(list(order), list(order.values()), default=0))
        )
        return pl.when(all_known).then(canonical)
    raise ValueError(kind)  # pragma: no cover - the loader refuses unknown types


def normalise(
    raw: pl.DataFrame, entity: Entity, standard: Standard, cache: TypedCache | None = None
) -> pl.DataFrame:
    """`raw` has one string column per field code present (others are treated as empty) and `__row`.

    Structured columns repeat a lot (a few hundred bodies, a few thousand dates in a million rows), so
    each is cleaned and typed once per distinct value and every row is looked up in one parallel pass;
    a column whose values are mostly distinct is parsed row by row (dates through a strict fast format
    first, then `2024/3/5`-style spellings by the same format, the few others through the full parser).
    """
    missing = [f.code for f in entity.fields if f.code not in raw.columns]
    frame = raw.with_columns([pl.lit(None, dtype=pl.String).alias(code) for code in missing]) if missing else raw
    structured = [f for f in entity.fields if f.type != "text"]
    uniques = frame.select([pl.col(f.code).unique().implode() for f in structured])
    counts = uniques.select(pl.all().list.len()).row(0, named=True)
    limit = min(_LOOKUP_LIMIT, _MOSTLY_DISTINCT * max(frame.height, 1))
    distinct = {f.code: uniques[f.code][0].to_list() for f in structured if counts[f.code] <= limit}
    positions: list[pl.Expr] = []
    lookups: list[pl.Expr] = []
    parsed: dict[str, pl.Series] = {}
    cache = {} if cache is None else cache
    for spec_field in structured:
        if spec_field.code in distinct:
            position, looked_up = _lookup(spec_field, distinct[spec_field.code], standard, cache)
            positions.append(position)
            lookups.extend(looked_up)
        else:
            parsed.update(_parse_column(frame.select(spec_field.code), spec_field, standard))
    free_text = [f for f in entity.fields if f.type == "text"]
    out = frame.with_columns(positions).select(
        pl.col(ROW), *[_trimmed_text(f).alias(f.code) for f in free_text], *lookups
    ).with_columns(*[_none_if_empty(f.code) for f in free_text], *parsed.values())
    order = [ROW]
    for spec_field in entity.fields:
        order.append(spec_field.code)
        if bad_column(spec_field.code) in out.columns:
            order.append(bad_column(spec_field.code))
    return out.select(order)


# (dtype, strict layout, the only length a text in that layout has): chrono also reads `+2024-05-20` or
# `2024-5-20` with these layouts, so the fast path keeps only texts of exactly this shape and sends the
# rest to the full parser, which decides for every spelling the same way.
_FAST_FORMATS = {
    "date": (pl.Date, "%Y-%m-%d", 10),
    "datetime": (pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", 19),
}
# ASCII digits only (`\d` is Unicode in polars' regex: other digits go to the full parser, which refuses
# them). chrono reads `2024-3-5 7:05:09` like `2024-03-05 07:05:09`, so `/` → `-` is all these need:
# the same layout, the same value the full parser gives by zero-padding each part (tested).
_LOOSE_SHAPES = {
    "date": r"^[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}$",
    "datetime": r"^[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}$",
}
_MOSTLY_DISTINCT = 0.5
_LOOKUP_LIMIT = 5000


TypedCache = dict[str, dict[str, tuple[object, bool]]]


def _lookup(
    spec_field: Field, distinct: list[str | None], standard: Standard, cache: TypedCache
) -> tuple[pl.Expr, list[pl.Expr]]:
    """Expressions that map each received text to its typed value (and bad flag) via a small table:
    the text's position in the table (one hashing pass over the rows), then the value and the flag
    gathered at that position (the position column must be added to the frame first).

    Texts typed in an earlier chunk of the same file are taken from `cache` (dates, bodies and codes
    recur from chunk to chunk); only new ones are typed here.
    """
    code = spec_field.code
    known = cache.setdefault(code, {})
    texts = [text for text in distinct if text is not None]
    new = [text for text in texts if text not in known]
    if new:
        table = pl.DataFrame({code: new}, schema={code: pl.String}).select(_cleaned(spec_field).alias(code))
        table = table.lazy().with_columns(_typed(spec_field, standard).alias("__value")).collect()
        bad = (table[code].is_not_null() & table["__value"].is_null()).to_list()
        known.update(zip(new, zip(table["__value"].to_list(), bad, strict=True), strict=True))
    dtype = typed_schema_of(spec_field)
    position_column = f"{code}__position"
    position = pl.col(code).replace_strict(texts, range(len(texts)), default=None, return_dtype=pl.UInt32)
    at = pl.col(position_column)
    if texts:
        value = pl.lit(pl.Series([known[text][0] for text in texts], dtype=dtype)).gather(at)
        bad_flag = pl.lit(pl.Series([known[text][1] for text in texts], dtype=pl.Boolean)).gather(at).fill_null(False)
    else:  # nothing was sent in this column: a gather from an empty table would be out of bounds
        value, bad_flag = pl.lit(None, dtype=dtype), pl.lit(False)
    if spec_field.type == "text_list":
        return position.alias(position_column), [value.alias(code)]
    return position.alias(position_column), [value.alias(code), bad_flag.alias(bad_column(code))]


def _parse_column(raw: pl.DataFrame, spec_field: Field, standard: Standard) -> dict[str, pl.Series]:
    """Types a column of mostly distinct values, row by row."""
    code = spec_field.code
    cleaned = _clean_mostly_ascii(raw[code], spec_field).to_frame(code)
    if spec_field.type in _FAST_FORMATS:
        value = _parse_with_fast_path(cleaned, spec_field, standard)
    else:
        value = cleaned.lazy().select(_typed(spec_field, standard).alias(code)).collect()[code]
    if spec_field.type == "text_list":
        return {code: value}
    return {code: value, bad_column(code): (cleaned[code].is_not_null() & value.is_null()).alias(bad_column(code))}


def _clean_mostly_ascii(text: pl.Series, spec_field: Field) -> pl.Series:
    """`_cleaned` for a column of mostly distinct values: NFKC (costly) only where there is non-ASCII."""
    stripped = trimmed(text)
    stripped = pl.select(pl.when(stripped.str.len_bytes() > 0).then(stripped)).to_series()
    wide = (stripped.str.len_bytes() != stripped.str.len_chars()).fill_null(False).arg_true()
    if wide.len():
        stripped = stripped.scatter(wide, trimmed(stripped.gather(wide).str.normalize("NFKC")))
    if spec_field.type in _UPPER_CASED:
        stripped = stripped.str.to_uppercase()
    return stripped.alias(spec_field.code)


def _parse_with_fast_path(cleaned: pl.DataFrame, spec_field: Field, standard: Standard) -> pl.Series:
    """Most dates arrive as `2024-03-05`: parse those strictly; then the next most common spelling,
    `2024/3/5` (Excel's), by the same layout; only the rest go to the full parser."""
    code = spec_field.code
    dtype, layout, length = _FAST_FORMATS[spec_field.type]
    text = cleaned[code]
    shaped = (text.str.len_bytes() == length) & text.str.contains(r"^\d{4}-\d{2}-\d{2}")
    strictly = text.str.strptime(dtype, layout, strict=False, exact=True)
    fast = _plausible_series(pl.select(pl.when(shaped).then(strictly))).alias(code)
    needs_full = (fast.is_null() & text.is_not_null()).arg_true()
    if needs_full.len() == 0:
        return fast
    rest = text.gather(needs_full)
    loose = _plausible_series(
        pl.select(
            pl.when(rest.str.contains(_LOOSE_SHAPES[spec_field.type])).then(
                rest.str.replace_all("/", "-", literal=True).str.strptime(dtype, layout, strict=False, exact=True)
            )
        )
    )
    fast = fast.scatter(needs_full, loose)
    needs_full = needs_full.filter(loose.is_null())
    if needs_full.len() == 0:
        return fast
    # Lazily, so that common subexpressions (each date part, the parsed value) are computed once.
    full = cleaned[needs_full].lazy().select(_typed(spec_field, standard).alias(code)).collect()[code]
    return fast.scatter(needs_full, full)


_DTYPES: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "decimal": pl.Float64(),
    "integer": pl.Int64(),
    "text_list": pl.List(pl.String),
    "uscc_list": pl.List(pl.String),
    "code_set": pl.List(pl.String),
}


def typed_schema_of(spec_field: Field) -> pl.DataType:
    return _DTYPES.get(spec_field.type, pl.String())


def typed_schema(entity: Entity) -> dict[str, pl.DataType]:
    """The polars dtype of each field after normalisation (the contract the validator checks)."""
    return {f.code: typed_schema_of(f) for f in entity.fields}
