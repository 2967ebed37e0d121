"""quality.workdays against chinese_calendar.is_workday, counted day by day."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import chinese_calendar
import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

from quality.workdays import TABLE_YEARS, WorkdayCalendar, statutory_holidays

D = dt.date
HOLIDAYS_YAML = Path(__file__).resolve().parents[2] / "standards" / "spec" / "holidays.yaml"


@functools.cache
def oracle_statutory(year: int) -> set[dt.date]:
    """全国年节及纪念日放假办法 (2024), straight from lunardate and the solar terms."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    lunar = [LunarDate(year, m, d).to_solar_date() for m, d in ((1, 2), (1, 3), (5, 5), (8, 15))]
    qingming = [d for d, name in chinese_calendar.get_solar_terms(D(year, 3, 30), D(year, 4, 10)) if name == "清明"]
    fixed = [D(year, 1, 1), D(year, 5, 1), D(year, 5, 2), D(year, 10, 1), D(year, 10, 2), D(year, 10, 3)]
    eve = LunarDate(year + 1, 1, 1).to_solar_date() - dt.timedelta(days=1)
    return {*fixed, new_year - dt.timedelta(days=1), new_year, *lunar, *qingming, eve} & set(
        days(D(year, 1, 1), D(year, 12, 31))
    )


def oracle_is_workday(day: dt.date) -> bool:
    """chinese_calendar where it knows the year; else Monday–Friday without the statutory holidays
    known in advance (within the calendar's tables, 2000–2098; weekends only far outside them)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if 2000 <= day.year <= 2098:
            return day.weekday() < 5 and day not in oracle_statutory(day.year)
        return day.weekday() < 5


def oracle_deadline(start: dt.date, working_days: int, is_workday=oracle_is_workday) -> dt.date:
    day, counted = start, 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        counted += is_workday(day)
    return day


def deadlines(calendar: WorkdayCalendar, dates: list[dt.date | None], working_days: int) -> list:
    frame = pl.DataFrame({"d": dates}, schema={"d": pl.Date})
    return frame.select(calendar.deadline_expr(pl.col("d"), working_days)).to_series().to_list()


def guessed(calendar: WorkdayCalendar, dates: list[dt.date | None], working_days: int) -> list:
    frame = pl.DataFrame({"d": dates}, schema={"d": pl.Date})
    return frame.select(calendar.guessed_expr(pl.col("d"), working_days)).to_series().to_list()


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def test_package_years_are_covered_and_2027_is_not():
    calendar = WorkdayCalendar()
    assert set(range(2004, 2027)) <= calendar.covered_years
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 3, 1))
    assert 2027 not in calendar.covered_years
    assert 2003 not in calendar.covered_years


# -- hand-written cases --------------------------------------------------------------------------------


def test_national_day_2024():
    # Friday 27 Sep 2024, 7 working days: Sunday 29 Sep is a 调休 working day (1), Mon 30 Sep (2),
    # 1–7 Oct 国庆 holidays, 8, 9, 10, 11 Oct (3–6), Saturday 12 Oct is the other 调休 working day (7).
    assert chinese_calendar.is_workday(D(2024, 9, 29)) and chinese_calendar.is_workday(D(2024, 10, 12))
    assert not any(chinese_calendar.is_workday(D(2024, 10, d)) for d in range(1, 8))
    calendar = WorkdayCalendar()
    assert deadlines(calendar, [D(2024, 9, 27)], 7) == [D(2024, 10, 12)]
    assert deadlines(calendar, [D(2024, 9, 27)], 1) == [D(2024, 9, 29)]
    assert deadlines(calendar, [D(2024, 9, 27)], 2) == [D(2024, 9, 30)]
    assert deadlines(calendar, [D(2024, 9, 27)], 3) == [D(2024, 10, 8)]
    assert guessed(calendar, [D(2024, 9, 27)], 7) == [False]


def test_national_day_2023():
    # Thursday 28 Sep 2023: 29 Sep–6 Oct 中秋/国庆 holidays, then Sat 7 and Sun 8 Oct are 调休 working days.
    calendar = WorkdayCalendar()
    assert deadlines(calendar, [D(2023, 9, 28)], 1) == [D(2023, 10, 7)]
    assert deadlines(calendar, [D(2023, 9, 28)], 2) == [D(2023, 10, 8)]
    assert deadlines(calendar, [D(2023, 9, 28)], 3) == [D(2023, 10, 9)]


def test_spring_festival_2025():
    # Friday 24 Jan 2025: Sun 26 Jan 调休 (1), Mon 27 Jan (2), 28 Jan–4 Feb 春节, 5, 6, 7 Feb (3–5),
    # Sat 8 Feb 调休 (6), Mon 10 Feb (7).
    calendar = WorkdayCalendar()
    start = [D(2025, 1, 24)]
    assert [deadlines(calendar, start, n)[0] for n in range(1, 8)] == [
        D(2025, 1, 26), D(2025, 1, 27), D(2025, 2, 5), D(2025, 2, 6), D(2025, 2, 7), D(2025, 2, 8), D(2025, 2, 10),
    ]


def test_weekend_start_and_zero_days():
    calendar = WorkdayCalendar()
    saturday = D(2024, 3, 2)
    assert deadlines(calendar, [saturday], 1) == [D(2024, 3, 4)]
    assert deadlines(calendar, [saturday, D(2027, 3, 6)], 0) == [saturday, D(2027, 3, 6)]
    assert guessed(calendar, [saturday, D(2027, 3, 6)], 0) == [False, False]


# -- oracle over ranges --------------------------------------------------------------------------------


@pytest.mark.parametrize("working_days", [1, 2, 5, 7, 10, 15, 20, 60])
@pytest.mark.parametrize(
    ("first", "last"),
    [
        (D(2023, 9, 1), D(2024, 3, 1)),  # 国庆 2023, 元旦, 春节 2024
        (D(2024, 9, 1), D(2025, 3, 1)),  # 国庆 2024, 春节 2025
        (D(2003, 11, 1), D(2004, 2, 29)),  # the package's first year, and the year before it
        (D(2026, 9, 1), D(2027, 2, 28)),  # the package's last year, into the uncovered 2027
    ],
)
def test_deadline_matches_day_by_day_count(first, last, working_days):
    calendar = WorkdayCalendar()
    starts = days(first, last)
    expected = [oracle_deadline(start, working_days) for start in starts]
    assert deadlines(calendar, starts, working_days) == expected
    # guessed exactly when a counted day lies in a year chinese_calendar does not know
    expected_guess = [
        any(d.year not in calendar.covered_years for d in days(start + dt.timedelta(days=1), end))
        for start, end in zip(starts, expected, strict=True)
    ]
    assert guessed(calendar, starts, working_days) == expected_guess


_SHARED = WorkdayCalendar()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dates(D(1995, 1, 1), D(2035, 12, 31)), min_size=1, max_size=50), st.integers(0, 45))
def test_deadline_matches_oracle_anywhere(starts, working_days):
    assert deadlines(_SHARED, starts, working_days) == [oracle_deadline(s, working_days) for s in starts]


# -- uncovered years -----------------------------------------------------------------------------------


def test_2027_is_counted_with_its_known_statutory_holidays_and_reported():
    calendar = WorkdayCalendar()
    # 国庆 1–3 Oct is fixed in advance (its 调休 is not): Mon 4 Oct (1), Tue 5 Oct (2).
    thursday = D(2027, 9, 30)
    assert thursday.weekday() == 3
    assert deadlines(calendar, [thursday], 2) == [D(2027, 10, 5)]
    assert guessed(calendar, [thursday, D(2024, 9, 27)], 2) == [True, False]
    assert calendar.uncovered_years([thursday, D(2024, 9, 27), None]) == [2027]
    assert calendar.uncovered_years_seen() == [2027]


def test_count_crossing_into_2027_is_reported():
    calendar = WorkdayCalendar()
    start = D(2026, 12, 28)
    assert deadlines(calendar, [start], 7) == [oracle_deadline(start, 7)]
    assert deadlines(calendar, [start], 7)[0].year == 2027
    assert guessed(calendar, [start], 7) == [True]
    assert guessed(calendar, [start], 1) == [False]
    assert calendar.uncovered_years([start]) == []
    assert calendar.uncovered_years(pl.Series([start]), working_days=7) == [2027]
    assert calendar.uncovered_years([D(2003, 12, 30)], working_days=3) == [2003]
    assert calendar.uncovered_years_seen() == [2003, 2027]


def test_far_outside_the_table():
    calendar = WorkdayCalendar()
    starts = [D(1970, 1, 2), D(1999, 12, 31), D(2100, 6, 5), D(2040, 2, 24)]
    assert deadlines(calendar, starts, 9) == [oracle_deadline(s, 9) for s in starts]
    assert guessed(calendar, starts, 9) == [True, True, True, True]


# -- overrides -----------------------------------------------------------------------------------------


OVERRIDE_2027 = {
    2027: {
        # hypothetical 国庆 arrangement: 1–7 Oct off, Sat 9 Oct worked
        "holidays": [D(2027, 10, d) for d in range(1, 8)],
        "workdays": ["2027-10-09"],
    }
}


def test_override_for_2027_is_honoured():
    calendar = WorkdayCalendar(OVERRIDE_2027)
    assert 2027 in calendar.covered_years
    start = D(2027, 9, 30)
    # 1–7 Oct off, Fri 8 Oct (1), Sat 9 Oct worked (2), Mon 11 Oct (3)
    assert deadlines(calendar, [start, start, start], 2) == [D(2027, 10, 9)] * 3
    assert deadlines(calendar, [start], 3) == [D(2027, 10, 11)]
    assert guessed(calendar, [start], 3) == [False]
    assert calendar.uncovered_years([start], working_days=3) == []
    assert calendar.uncovered_years_seen() == []
    # 2028 is still a guess
    assert guessed(calendar, [D(2027, 12, 30)], 3) == [True]

    def is_workday(day):
        return calendar.is_workday(day)

    starts = days(D(2026, 12, 1), D(2027, 12, 31))
    for n in (1, 3, 8):
        assert deadlines(calendar, starts, n) == [oracle_deadline(s, n, is_workday) for s in starts]


def test_override_from_yaml_text():
    text = """
2027:
  holidays: [2027-01-01, 2027-02-05, '2027-02-08']
  workdays: [2027-02-14]
"""
    raw = yaml.safe_load(text)
    assert isinstance(raw[2027]["holidays"][0], dt.date)
    calendar = WorkdayCalendar(raw)
    assert not calendar.is_workday(D(2027, 2, 5))
    assert calendar.is_workday(D(2027, 2, 14))  # a Sunday
    assert not calendar.is_workday(D(2027, 2, 8))  # given as a quoted string
    # Thu 4 Feb: Fri 5 off, Mon 8 off, Tue 9 (1)
    assert deadlines(calendar, [D(2027, 2, 4)], 1) == [D(2027, 2, 9)]
    # Fri 12 Feb: Sun 14 worked (1)
    assert deadlines(calendar, [D(2027, 2, 12)], 1) == [D(2027, 2, 14)]


def test_project_holidays_yaml_loads():
    raw = yaml.safe_load(HOLIDAYS_YAML.read_text(encoding="utf-8")) or {}
    calendar = WorkdayCalendar(raw)
    assert set(range(2004, 2027)) <= calendar.covered_years


def test_override_replaces_a_package_year():
    calendar = WorkdayCalendar({"2024": {"holidays": [], "workdays": []}})
    # 2024 is now weekends only: Fri 27 Sep + 7 = Tue 8 Oct
    assert deadlines(calendar, [D(2024, 9, 27)], 7) == [D(2024, 10, 8)]
    assert guessed(calendar, [D(2024, 9, 27)], 7) == [False]


@pytest.mark.parametrize(
    "overrides",
    [
        {2027: {"holidays": [D(2028, 1, 1)]}},  # not in its year
        {2027: {"holidays": [D(2027, 10, 1)], "workdays": [D(2027, 10, 1)]}},  # both
        {2027: {"holidays": ["2027-13-01"]}},  # not a date
        {2027: {"holiday": [D(2027, 10, 1)]}},  # misspelt key
        {"next": {"holidays": []}},  # not a year
        {2027: {"holidays": [20271001]}},  # a number
    ],
)
def test_bad_overrides_are_refused(overrides):
    with pytest.raises(ValueError):
        WorkdayCalendar(overrides)


# -- expressions ---------------------------------------------------------------------------------------


def test_nulls_and_is_late():
    calendar = WorkdayCalendar()
    deadline = D(2024, 10, 12)
    frame = pl.DataFrame(
        {
            "start": [D(2024, 9, 27), D(2024, 9, 27), D(2024, 9, 27), None, D(2024, 9, 27)],
            "end": [deadline, deadline + dt.timedelta(days=1), D(2024, 10, 8), deadline, None],
        }
    )
    out = frame.select(
        calendar.deadline_expr("start", 7).alias("deadline"),
        calendar.is_late_expr(pl.col("start"), pl.col("end"), 7).alias("late"),
        calendar.guessed_expr("start", 7).alias("guessed"),
    )
    assert out["deadline"].to_list() == [deadline] * 3 + [None, deadline]
    assert out["late"].to_list() == [False, True, False, None, None]
    assert out["guessed"].to_list() == [False, False, False, None, False]


def test_datetimes_count_by_day():
    calendar = WorkdayCalendar()
    frame = pl.DataFrame(
        {
            "start": [dt.datetime(2024, 9, 27, 18, 30)] * 2,
            "end": [dt.datetime(2024, 10, 12, 23, 59), dt.datetime(2024, 10, 13, 0, 1)],
        }
    )
    out = frame.select(calendar.is_late_expr("start", "end", 7)).to_series().to_list()
    assert out == [False, True]


def test_lazy_and_deadline_table():
    calendar = WorkdayCalendar()
    table = calendar.deadline_table(7)
    assert table.columns == ["date", "deadline", "guessed"]
    assert table["date"].min() < D(2000, 1, 1) and table["date"].max() == D(TABLE_YEARS[-1], 12, 31)
    row = table.filter(pl.col("date") == D(2024, 9, 27)).row(0)
    assert row == (D(2024, 9, 27), D(2024, 10, 12), False)
    lazy = pl.LazyFrame({"d": [D(2024, 9, 27)]}).select(calendar.deadline_expr("d", 7)).collect()
    assert lazy.item() == D(2024, 10, 12)


def test_working_days_must_be_a_whole_number():
    calendar = WorkdayCalendar()
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            calendar.deadline_expr("d", bad)


# -- the statutory holidays of a year not announced yet -----------------------------------------------


def test_statutory_holidays_of_2027_by_hand():
    # 元旦; 除夕 Fri 5 Feb – 初三 Mon 8 Feb (春节 is 6 Feb 2027); 清明 5 Apr; 劳动节; 端午 9 Jun; 中秋 15 Sep; 国庆.
    expected = {D(2027, 1, 1), D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8), D(2027, 4, 5),
                D(2027, 5, 1), D(2027, 5, 2), D(2027, 6, 9), D(2027, 9, 15), D(2027, 10, 1), D(2027, 10, 2),
                D(2027, 10, 3)}
    assert statutory_holidays(2027) == expected


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_holidays_are_days_off_in_the_announced_years_since_the_2024_revision(year):
    # The revised 办法 applies from 2025: every day it fixes was a day off in the State Council's notice.
    assert all(not chinese_calendar.is_workday(day) for day in statutory_holidays(year))
    assert len(statutory_holidays(year)) == 13


def test_new_year_2027_is_a_holiday_before_the_arrangement_is_announced():
    calendar = WorkdayCalendar()
    # standard.md §4: a 2026-12-30 decision published 2027-01-11 is not late (元旦 is always a holiday)…
    assert deadlines(calendar, [D(2026, 12, 30)], 7) == [D(2027, 1, 11)]
    # …and the answer is provisional.
    assert guessed(calendar, [D(2026, 12, 30)], 7) == [True]


def test_next_workday_moves_a_period_on_over_weekends_and_holidays():
    calendar = WorkdayCalendar()
    frame = pl.DataFrame({"d": [D(2024, 4, 13), D(2024, 4, 15), D(2024, 10, 1), D(2024, 4, 6), D(2027, 10, 2)]})
    out = frame.select(
        calendar.next_workday_expr("d").alias("next"), calendar.rolled_guessed_expr("d").alias("guess")
    )
    # Sat → Mon; a working day stays; 国庆 2024 → 8 Oct; Sat 6 Apr 2024 → Sun 7 Apr (调休); 2027 provisional.
    assert out["next"].to_list() == [D(2024, 4, 15), D(2024, 4, 15), D(2024, 10, 8), D(2024, 4, 7), D(2027, 10, 4)]
    assert out["guess"].to_list() == [False, False, False, False, True]
