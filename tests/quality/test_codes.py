"""quality.codes against python-stdnum, row for row."""

from __future__ import annotations

import datetime as dt
import random
import time

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import numdb
from stdnum.cn import ric, uscc

from quality.codes import USCC_ALPHABET, USCC_PLACEHOLDER, ric_is_valid, uscc_is_valid

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def vectorised(function, values: list[str | None]) -> list[bool | None]:
    frame = pl.DataFrame({"s": values}, schema={"s": pl.String})
    return frame.select(function(pl.col("s"))).to_series().to_list()


def stdnum_uscc(value: str) -> bool:
    """What uscc_is_valid promises: stdnum's answer for strings stdnum would not normalise, else False."""
    return uscc.compact(value) == value and uscc.is_valid(value)


def stdnum_ric(value: str) -> bool:
    """What ric_is_valid promises: stdnum's answer on 18-character ASCII strings, else False. stdnum
    raises KeyError for a known province with an unknown county (e.g. 119999…): that counts as False."""
    if len(value) != 18 or not value.isascii():
        return False
    try:
        return ric.is_valid(value)
    except KeyError:
        return False


def with_uscc_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def with_ric_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


# -- USCC: known cases ---------------------------------------------------------------------------------


def test_uscc_known_examples():
    made_up = with_uscc_check("91440300MA5F00000")  # a made-up body with its computed check character
    cases = {
        "91110000600037341L": True,  # stdnum's doctest
        made_up: True,
        "91110000600037341M": False,  # wrong check character
        "A1110000600037341L": False,  # stdnum: the first 8 characters must be digits
        "9111000060003734": False,  # too short
        "91110000600037341LL": False,  # too long
        "91110000600037341l": False,  # lowercase: stdnum upper-cases it, we validate as stored
        "9111 0000600037341L": False,  # separators: stdnum strips them, we do not
        USCC_PLACEHOLDER: False,
    }
    assert vectorised(uscc_is_valid, list(cases)) == list(cases.values())
    assert [stdnum_uscc(v) for v in cases] == list(cases.values())
    assert uscc.is_valid("91110000600037341l")  # the documented difference
    assert uscc.is_valid("9111 0000600037341L")
    assert uscc.calc_check_digit(USCC_PLACEHOLDER[:17]) == "0"


def test_uscc_letter_registration_authority_accepted_as_gb32100_says():
    # 农村集体经济组织 codes start with N (农业); stdnum insists on 8 leading digits, GB 32100 does not.
    collective = with_uscc_check("N2440101MA00000A0")
    assert not uscc.is_valid(collective)
    assert vectorised(uscc_is_valid, [collective]) == [True]
    assert vectorised(uscc_is_valid, [with_uscc_check("Y1440101MA00000A0")]) == [True]
    # B is no 登记管理部门码; a letter as 机构类别码 or inside the division code is refused as well
    refused = [with_uscc_check("B2440101MA00000A0"), with_uscc_check("NA440101MA00000A0"),
               with_uscc_check("924401A1MA00000A0")]
    assert vectorised(uscc_is_valid, refused) == [False, False, False]


def test_uscc_null_in_null_out():
    assert vectorised(uscc_is_valid, [None, "91110000600037341L", None]) == [None, True, None]


def test_uscc_excluded_letters():
    body = "91110000600037341"
    for letter in "IOSVZ":
        for position in (9, 12, 16):
            mutated = body[:position] + letter + body[position + 1 :]
            assert vectorised(uscc_is_valid, [mutated + "0"]) == [False]
    # an excluded letter as the check character
    assert vectorised(uscc_is_valid, [body + "I", body + "O"]) == [False, False]


# -- USCC: properties ----------------------------------------------------------------------------------

_digits = st.text(alphabet="0123456789", min_size=8, max_size=8)
_alnum = st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9)
_valid_uscc = st.builds(lambda a, b: with_uscc_check(a + b), _digits, _alnum)
_noise_chars = USCC_ALPHABET + "IOSVZ" + "abcxyz" + " -" + "０９Ｘ" + "统"


@st.composite
def _near_miss_uscc(draw) -> str:
    code = draw(_valid_uscc)
    kind = draw(st.sampled_from(["replace", "lower", "short", "long", "swap", "prefix_letter"]))
    if kind == "replace":
        position = draw(st.integers(0, 17))
        return code[:position] + draw(st.sampled_from(_noise_chars)) + code[position + 1 :]
    if kind == "lower":
        return code.lower()
    if kind == "short":
        return code[:17]
    if kind == "long":
        return code + draw(st.sampled_from(USCC_ALPHABET))
    if kind == "swap":
        position = draw(st.integers(0, 16))
        return code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    letter = draw(st.sampled_from(USCC_ALPHABET[10:]))
    return with_uscc_check(letter + code[1:17])


_any_uscc_like = st.one_of(
    st.text(alphabet=USCC_ALPHABET, min_size=18, max_size=18),
    _valid_uscc,
    _near_miss_uscc(),
    st.text(alphabet=_noise_chars, min_size=16, max_size=20),
)


@SETTINGS
@given(st.lists(_any_uscc_like, min_size=1, max_size=300))
def test_uscc_matches_stdnum(values):
    assert vectorised(uscc_is_valid, values) == [gb32100(v) for v in values]


def gb32100(value: str) -> bool:
    """stdnum's answer, widened to the A/N/Y 登记管理部门码 that GB 32100 has and stdnum refuses."""
    if len(value) == 18 and value[0] in "ANY" and value == value.upper() and value.isascii():
        as_digit = "1" + value[1:]
        shaped_right = stdnum_uscc(as_digit[:17] + uscc.calc_check_digit(as_digit[:17]))
        return shaped_right and uscc.calc_check_digit(value[:17]) == value[17]
    return stdnum_uscc(value)


@settings(max_examples=50, deadline=None)
@given(st.lists(_valid_uscc, min_size=1, max_size=50))
def test_uscc_valid_codes_pass(values):
    assert all(vectorised(uscc_is_valid, values))


# -- RIC: known cases ----------------------------------------------------------------------------------


def test_ric_known_examples():
    cases = {
        "360426199101010071": True,  # stdnum's doctest
        "11010119900101012X": True,
        "11010119900101012x": True,  # stdnum upper-cases, and the brief follows stdnum here
        "360426199101010072": False,  # wrong check digit
        "36042619910101007": False,  # 17 characters
        "3604261991010100710": False,  # 19 characters
        "360426910101007": False,  # old 15-digit number: stdnum says invalid, so do we
        with_ric_check("11010120230230123"): False,  # 30 February
        with_ric_check("11010120240229123"): True,  # leap day
        with_ric_check("11010119000229123"): False,  # 1900 was not a leap year
        with_ric_check("11010120000229123"): True,  # 2000 was
        with_ric_check("11010100000101123"): False,  # year 0: Python has no such date
        with_ric_check("11010199991231123"): True,  # far future: stdnum does not mind
        with_ric_check("11010319850101123"): True,  # 崇文区 existed in 1985 …
        with_ric_check("11010320150101123"): False,  # … but was abolished in 2010
        with_ric_check("99000019850101123"): False,  # no such province
        with_ric_check("44030019851301123"): False,  # month 13
    }
    values = list(cases)
    assert vectorised(ric_is_valid, values) == list(cases.values())
    assert [stdnum_ric(v) for v in values] == list(cases.values())


def test_ric_province_known_county_unknown_is_false_where_stdnum_raises():
    number = with_ric_check("11999919850101123")
    with pytest.raises(KeyError):
        ric.is_valid(number)  # a stdnum 2.2 bug: KeyError('county') instead of False
    assert vectorised(ric_is_valid, [number]) == [False]


def test_ric_full_width_digits_are_false_though_stdnum_maps_them():
    number = "360426199101010071"
    wide = "".join(chr(ord(c) - ord("0") + ord("０")) for c in number)
    assert ric.is_valid(wide)
    assert vectorised(ric_is_valid, [wide, " " + number, number + "\n"]) == [False, False, False]


def test_ric_null_in_null_out():
    assert vectorised(ric_is_valid, [None, "360426199101010071"]) == [None, True]


def _region_codes() -> list[tuple[str, str]]:
    """(6-digit code, county description) for every county stdnum lists."""
    found = []
    for _length, province, _high, _props, children in numdb.get("cn/loc").prefixes:
        for _l, county, _h, props, _c in children:
            found.append((province + county, props["county"]))
    return found


REGIONS = _region_codes()


def test_ric_every_region_and_its_boundary_years_match_stdnum():
    values = []
    for code, description in REGIONS:
        years = {1, 1949, 2000, 9999}
        for piece in description.split(","):
            if piece.startswith("["):
                for bound in piece[1:].split("]")[0].split("-"):
                    if bound:
                        years.update({int(bound) - 1, int(bound), int(bound) + 1})
        values += [with_ric_check(f"{code}{year:04d}0101123") for year in years]
    assert len(values) > 20_000
    expected = [stdnum_ric(v) for v in values]
    assert vectorised(ric_is_valid, values) == expected
    assert 0 < sum(expected) < len(values)


# -- RIC: properties -----------------------------------------------------------------------------------

_region = st.one_of(
    st.sampled_from([code for code, _ in REGIONS]),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from(["110103", "440300", "440106", "511422", "330502", "119999", "440000"]),
)
_year = st.one_of(st.integers(1975, 2030), st.integers(0, 9999))
_valid_date = st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)).map(lambda d: d.strftime("%Y%m%d"))
_any_date = st.one_of(
    _valid_date,
    st.builds(lambda y, m, d: f"{y:04d}{m:02d}{d:02d}", _year, st.integers(0, 13), st.integers(0, 32)),
)
_ric_body = st.builds(lambda r, d, s: r + d + s, _region, _any_date, st.text("0123456789", min_size=3, max_size=3))
_checked_ric = _ric_body.map(with_ric_check)
_ric_noise = "0123456789" + "Xx" + "AO " + "０" + "统"


@st.composite
def _near_miss_ric(draw) -> str:
    number = draw(_checked_ric)
    kind = draw(st.sampled_from(["replace", "swap", "short", "long", "lower", "old"]))
    if kind == "replace":
        position = draw(st.integers(0, 17))
        return number[:position] + draw(st.sampled_from(_ric_noise)) + number[position + 1 :]
    if kind == "swap":
        position = draw(st.integers(0, 16))
        return number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    if kind == "short":
        return number[:17]
    if kind == "long":
        return number + draw(st.sampled_from("0X"))
    if kind == "lower":
        return number.lower()
    return number[:6] + number[8:17]  # the 15-digit form


_any_ric_like = st.one_of(
    _checked_ric,
    _near_miss_ric(),
    st.text(alphabet="0123456789", min_size=18, max_size=18),
    st.builds(lambda s: s + "X", st.text(alphabet="0123456789", min_size=17, max_size=17)),
    st.text(alphabet=_ric_noise, min_size=15, max_size=19),
)


@SETTINGS
@given(st.lists(_any_ric_like, min_size=1, max_size=300))
def test_ric_matches_stdnum(values):
    assert vectorised(ric_is_valid, values) == [stdnum_ric(v) for v in values]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda r, d, s: with_ric_check(r + d + s),
            st.sampled_from([code for code, description in REGIONS if not description.startswith("[")]),
            _valid_date,
            st.text("0123456789", min_size=3, max_size=3),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_ric_valid_numbers_pass(values):
    assert all(vectorised(ric_is_valid, values))


# -- contexts the pipeline uses ------------------------------------------------------------------------


def test_inside_list_eval_and_lazy():
    lists = [["91110000600037341L", "91110000600037341M"], [], None, [USCC_PLACEHOLDER]]
    frame = pl.DataFrame({"codes": lists, "id": ["360426199101010071", None, "x", "11010119900101012x"]})
    out = (
        frame.lazy()
        .select(
            pl.col("codes").list.eval(uscc_is_valid(pl.element())).alias("u"),
            ric_is_valid(pl.col("id")).alias("r"),
        )
        .collect()
    )
    assert out["u"].to_list() == [[True, False], [], None, [False]]
    assert out["r"].to_list() == [True, None, False, True]


def _random_strings(rows: int, alphabet: str, seed: int) -> pl.Series:
    rng = random.Random(seed)
    return pl.Series("s", ["".join(rng.choices(alphabet, k=18)) for _ in range(rows)])


@pytest.mark.slow
def test_list_eval_scales_linearly():
    # A lookup table gathered from a literal Series is broadcast to every list inside list.eval
    # (quadratic: 10,000 lists took 12 s and 5 GB). Guard against that coming back.
    values = _random_strings(40_000, USCC_ALPHABET, 1)
    frame = pl.DataFrame({"l": values}).select(pl.concat_list("l", "l").alias("l"))
    start = time.perf_counter()
    frame.select(
        pl.col("l").list.eval(uscc_is_valid(pl.element())).alias("u"),
        pl.col("l").list.eval(ric_is_valid(pl.element())).alias("r"),
    )
    assert time.perf_counter() - start < 5
