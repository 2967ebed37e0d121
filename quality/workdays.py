"""Chinese working days (工作日) with 调休, for deadlines counted in working days, vectorised for polars.

A day is a working day when the State Council's arrangement for its year says so: weekdays except
法定节假日 and 调休 rest days, plus the 调休上班 weekends. The arrangements come from the
chinese-calendar package (2004–2026 in 1.11.0) and from an override table for later years (the
standard's `standards/spec/holidays.yaml`, `{year: {"holidays": [...], "workdays": [...]}}`).

A year that neither knows (the State Council has not announced it yet) is counted with weekends and
the statutory holidays that are fixed in advance by the 全国年节及纪念日放假办法 as revised in 2024
(元旦 1-1; 春节 除夕–初三; 清明; 劳动节 5-1–5-2; 端午; 中秋; 国庆 10-1–10-3): the lunar dates come from
`lunardate`, 清明 from chinese-calendar's solar terms; the year's 调休 is unknown. Such a count is
provisional, and the calendar says so: `guessed_expr` flags each row whose count ran through such a
year, and `uncovered_years` lists the years for a set of dates (and remembers them for
`uncovered_years_seen`).

Periods counted in calendar days (15, 30, 90 days, years) end on the next working day when their last
day is not one (顺延, standard.md §4, project-defined): `next_workday_expr` / `rolled_guessed_expr`.

Deadlines are looked up, not computed per row: for each number of working days a table maps every
date of its span (2000–2097, and every covered year) onto its deadline (built once with a cumulative
count of working days and `search_sorted`), read by position (the date's day number); dates outside
the table fall back to closed-form weekends-only arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache

import chinese_calendar
import polars as pl
from lunardate import LunarDate

__all__ = ["WorkdayCalendar"]

_PROBE_YEARS = range(1900, 2200)
# The years the lookup tables span: every plausible action date, the provisional years included.
TABLE_YEARS = range(2000, 2098)
_OVERRIDE_KEYS = {"holidays", "workdays"}


@cache
def _package_years() -> frozenset[int]:
    """Years chinese-calendar knows; it raises NotImplementedError for the others."""
    years = set()
    for year in _PROBE_YEARS:
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


@cache
def _package_workdays() -> frozenset[dt.date]:
    """Every working day of the package's years (asked once: its `is_workday` is slow per call)."""
    days = set()
    for year in _package_years():
        day = dt.date(year, 1, 1)
        while day.year == year:
            if chinese_calendar.is_workday(day):
                days.add(day)
            day += dt.timedelta(days=1)
    return frozenset(days)


# 全国年节及纪念日放假办法 (2024): the days off known before the year's arrangement is announced.
_SOLAR_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
_LUNAR_HOLIDAYS = ((1, 1), (1, 2), (1, 3), (5, 5), (8, 15))  # 春节 初一–初三, 端午, 中秋
_LUNAR_YEARS = range(1901, 2099)  # what lunardate can convert


@cache
def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The statutory holidays of `year` fixed in advance (not the announced 调休 arrangement)."""
    days = {dt.date(year, month, day) for month, day in _SOLAR_HOLIDAYS}
    if year in _LUNAR_YEARS:
        days.update(LunarDate(year, month, day).to_solar_date() for month, day in _LUNAR_HOLIDAYS)
        days.add(LunarDate(year, 1, 1).to_solar_date() - dt.timedelta(days=1))  # 除夕
        # 除夕 of next year's 春节 may fall in this year (春节 in late January).
        days.update(
            day for day in [LunarDate(year + 1, 1, 1).to_solar_date() - dt.timedelta(days=1)] if day.year == year
        )
    days.update(day for day, name in _qingming(year) if day.year == year)
    return frozenset(day for day in days if day.year == year)


def _qingming(year: int) -> list[tuple[dt.date, str]]:
    try:
        terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))
    except (NotImplementedError, KeyError, ValueError):  # pragma: no cover - outside the package's range
        return [(dt.date(year, 4, 5), "清明")]
    return [(day, name) for day, name in terms if name == "清明"]


def _as_date(value, year: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"holidays {year}: {value!r} is not a date (YYYY-MM-DD)") from None
    raise ValueError(f"holidays {year}: {value!r} is not a date")


def _parse_overrides(raw: Mapping | None) -> dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]]:
    """{year: (holidays, workdays)}; raises ValueError on anything that looks like a typo."""
    parsed = {}
    for key, body in (raw or {}).items():
        if isinstance(key, bool) or not str(key).strip().isdigit():
            raise ValueError(f"holidays: {key!r} is not a year")
        year = int(str(key).strip())
        body = body or {}
        if not isinstance(body, Mapping) or set(body) - _OVERRIDE_KEYS:
            raise ValueError(f"holidays {year}: expected a mapping with keys {sorted(_OVERRIDE_KEYS)}")
        days = {}
        for kind in sorted(_OVERRIDE_KEYS):
            values = body.get(kind) or []
            if isinstance(values, str | dt.date):
                values = [values]
            days[kind] = frozenset(_as_date(value, year) for value in values)
            strays = sorted(day for day in days[kind] if day.year != year)
            if strays:
                raise ValueError(f"holidays {year}: {kind} lists {strays[0]}, which is not in {year}")
        both = days["holidays"] & days["workdays"]
        if both:
            raise ValueError(f"holidays {year}: {min(both)} is listed both as a holiday and as a workday")
        parsed[year] = (days["holidays"], days["workdays"])
    return parsed


def _check_working_days(working_days: int) -> int:
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 0:
        raise ValueError(f"working_days must be a whole number ≥ 0, not {working_days!r}")
    return working_days


def _as_date_expr(expr: pl.Expr | str | dt.date) -> pl.Expr:
    if isinstance(expr, str):
        expr = pl.col(expr)
    elif not isinstance(expr, pl.Expr):
        expr = pl.lit(expr)
    return expr.cast(pl.Date)


def _weekends_only(date: pl.Expr, working_days: int) -> pl.Expr:
    """The deadline counting Monday–Friday only (exact for dates whose count meets no covered year)."""
    if working_days == 0:
        return date
    weekday = date.dt.weekday().cast(pl.Int32) - 1  # Monday 0 … Sunday 6
    back = (weekday - 4).clip(lower_bound=0)  # count from the Friday before a weekend: same answer
    weeks, rest = divmod(working_days, 5)
    over_weekend = pl.when(weekday - back + rest > 4).then(pl.lit(2, pl.Int32)).otherwise(pl.lit(0, pl.Int32))
    return (date.cast(pl.Int32) - back + (7 * weeks + rest) + over_weekend).cast(pl.Date)


def _offset(date: pl.Expr, table: pl.DataFrame) -> pl.Expr:
    """The row of `table` (one row per consecutive day) that holds `date`."""
    return date.cast(pl.Int32) - table["date"][0].toordinal() + dt.date(1970, 1, 1).toordinal()


def _in_table(date: pl.Expr, table: pl.DataFrame) -> pl.Expr:
    offset = _offset(date, table)
    return (offset >= 0) & (offset < table.height)


def _looked_up(date: pl.Expr, table: pl.DataFrame, column: str) -> pl.Expr:
    """table[column] at the date's row, by position: the table has a row for every day of its span."""
    return pl.lit(table[column]).gather(_offset(date, table).clip(0, table.height - 1))


# (overrides, working days) → deadline table: the same for every calendar with those overrides.
_SHARED_TABLES: dict[tuple, pl.DataFrame] = {}


class WorkdayCalendar:
    """Working days per chinese-calendar, overridden/extended per year by `overrides`.

    `overrides` is `{year: {"holidays": [...], "workdays": [...]}}` with dates as `datetime.date` or
    ISO strings: for each year listed, the working days are the weekdays not in `holidays`, plus the
    `workdays` (调休上班 weekends). A year listed there is taken from the table entirely, even if
    chinese-calendar knows it too (so a wrong package entry can be corrected).
    """

    def __init__(self, overrides: Mapping | None = None) -> None:
        self._overrides = _parse_overrides(overrides)
        self._covered = _package_years() | frozenset(self._overrides)
        self._tables: dict[int, pl.DataFrame] = {}
        self._workdays: dict[dt.date, bool] = {}  # is_workday per day, shared by the deadline tables
        self._seen: set[int] = set()

    # -- what the calendar knows ------------------------------------------------------------------

    @property
    def covered_years(self) -> frozenset[int]:
        """Years whose holidays and 调休 are known (chinese-calendar's years plus the overrides)."""
        return self._covered

    @property
    def package_years(self) -> frozenset[int]:
        return _package_years()

    @property
    def override_years(self) -> frozenset[int]:
        return frozenset(self._overrides)

    def is_covered(self, year: int) -> bool:
        return year in self._covered

    def is_workday(self, day: dt.date) -> bool:
        """Whether `day` is a working day; for a year not covered, whether it is Monday–Friday and not
        a statutory holiday fixed in advance (provisional: its 调休 is not known yet)."""
        if isinstance(day, dt.datetime):
            day = day.date()
        if day.year in self._overrides:
            holidays, workdays = self._overrides[day.year]
            return day in workdays or (day.weekday() < 5 and day not in holidays)
        if day.year in _package_years():
            return day in _package_workdays()
        if TABLE_YEARS[0] <= day.year <= TABLE_YEARS[-1] + 1:
            return day.weekday() < 5 and day not in statutory_holidays(day.year)
        return day.weekday() < 5  # far from any action date: weekends only, as outside the tables

    # -- the lookup tables ------------------------------------------------------------------------

    def deadline_table(self, working_days: int) -> pl.DataFrame:
        """date → deadline (`working_days` working days after it) and guessed (whether a day counted
        lies in a year not covered), for every date from a margin before the first covered year to
        the last covered day. Dates outside it are handled by `deadline_expr` with weekends only."""
        working_days = _check_working_days(working_days)
        if working_days not in self._tables:
            # Calendars with the same overrides share their tables: each validation pass makes its own
            # calendar, and building a table (a Python call per day of ~15 years) cost ~0.2 s a pass.
            key = (tuple(sorted(self._overrides.items())), working_days)
            if key not in _SHARED_TABLES:
                _SHARED_TABLES[key] = self._build_table(working_days)
            self._tables[working_days] = _SHARED_TABLES[key]
        return self._tables[working_days]

    def _build_table(self, working_days: int) -> pl.DataFrame:
        schema = {"date": pl.Date, "deadline": pl.Date, "guessed": pl.Boolean}
        if not self._covered:
            return pl.DataFrame(schema=schema)
        # n working days never take more than 7n/5 + 4 calendar days when only weekends rest, so a date
        # this far before the first covered day never reaches it, and after the last covered day
        # this many days are enough to finish every count that starts inside the table.
        # Statutory holidays of a provisional year add at most a week (春节 beside a weekend).
        margin = 7 * working_days // 5 + 21
        first = dt.date(min(min(self._covered), TABLE_YEARS[0]), 1, 1) - dt.timedelta(days=margin)
        last = dt.date(max(max(self._covered), TABLE_YEARS[-1]), 12, 31)
        days = pl.date_range(first, last + dt.timedelta(days=margin), eager=True)
        # The tables for different counts span nearly the same days: each day is asked once.
        known = self._workdays
        flags = [known[day] if day in known else known.setdefault(day, self.is_workday(day)) for day in days]
        work = pl.Series(flags, dtype=pl.Int32).cum_sum()
        guessed = pl.Series([day.year not in self._covered for day in days], dtype=pl.Int32).cum_sum()
        rows = (last - first).days + 1
        # The deadline of row i is the first day whose running count of working days reaches
        # count(i) + n; that day is itself a working day (for n ≥ 1).
        target = work.head(rows) + working_days
        at = work.search_sorted(target, side="left")
        if working_days == 0:
            at = pl.Series(range(rows), dtype=pl.UInt32)
        if at.max() >= len(days):  # pragma: no cover - the margin makes this impossible
            raise AssertionError("deadline table margin too small")
        return pl.DataFrame(
            {
                "date": days.head(rows),
                "deadline": days.gather(at),
                "guessed": (guessed.gather(at) - guessed.head(rows)) > 0,
            },
            schema=schema,
        )

    # -- expressions ------------------------------------------------------------------------------

    def deadline_expr(self, date_expr: pl.Expr | str, working_days: int) -> pl.Expr:
        """The date `working_days` working days after the date (the day itself does not count; 0 gives
        the day itself). Date or Datetime input (a datetime counts from its day); null gives null.
        Where the count runs through a year not covered it is weekends-only: see `guessed_expr`."""
        date = _as_date_expr(date_expr)
        table = self.deadline_table(working_days)
        fallback = _weekends_only(date, working_days)
        if table.is_empty():
            return fallback
        return pl.when(_in_table(date, table)).then(_looked_up(date, table, "deadline")).otherwise(fallback)

    def guessed_expr(self, date_expr: pl.Expr | str, working_days: int) -> pl.Expr:
        """True where `deadline_expr` counted through a year not covered (so weekends only were
        skipped there): flag or qualify such results. Null gives null."""
        date = _as_date_expr(date_expr)
        table = self.deadline_table(working_days)
        outside = pl.lit(working_days > 0)  # outside the table every counted day is uncovered
        if table.is_empty():
            return pl.when(date.is_null()).then(None).otherwise(outside)
        guessed = pl.when(_in_table(date, table)).then(_looked_up(date, table, "guessed")).otherwise(outside)
        return pl.when(date.is_null()).then(None).otherwise(guessed)

    def next_workday_expr(self, date_expr: pl.Expr | str) -> pl.Expr:
        """The day itself when it is a working day, else the next working day: where a period counted
        in calendar days ends (顺延, standard.md §4)."""
        return self.deadline_expr(_as_date_expr(date_expr).dt.offset_by("-1d"), 1)

    def rolled_guessed_expr(self, date_expr: pl.Expr | str) -> pl.Expr:
        """True where `next_workday_expr` looked at a day of a year not announced yet (provisional)."""
        return self.guessed_expr(_as_date_expr(date_expr).dt.offset_by("-1d"), 1)

    def is_late_expr(self, start: pl.Expr | str, end: pl.Expr | str, working_days: int) -> pl.Expr:
        """True when `end` falls after the deadline `working_days` working days after `start`.
        Null when either is null. Datetimes are compared by their day."""
        return _as_date_expr(end) > self.deadline_expr(start, working_days)

    # -- reporting guesses ------------------------------------------------------------------------

    def uncovered_years(
        self, dates: pl.Series | Iterable[dt.date | dt.datetime | None], working_days: int | None = None
    ) -> list[int]:
        """The years not covered that these dates touch, sorted; each is also remembered for
        `uncovered_years_seen`.

        Without `working_days`: the years of the dates themselves. With it: the years of every day
        counted for the deadlines from these dates (after the date up to the deadline), i.e. the
        years that made a deadline a guess. Nulls are ignored.
        """
        series = dates if isinstance(dates, pl.Series) else pl.Series("date", list(dates))
        frame = pl.DataFrame({"date": series.cast(pl.Date)}).drop_nulls()
        if working_days is None:
            years = frame.select(pl.col("date").dt.year().unique().alias("year"))
        else:
            frame = frame.select(
                low=(pl.col("date").cast(pl.Int32) + 1).cast(pl.Date).dt.year(),
                high=self.deadline_expr(pl.col("date"), working_days).dt.year(),
            )
            spans = pl.int_ranges("low", pl.col("high") + 1).explode().drop_nulls()
            years = frame.select(spans.unique().alias("year"))
        found = sorted(year for year in years["year"].to_list() if year not in self._covered)
        self._seen.update(found)
        return found

    def uncovered_years_seen(self) -> list[int]:
        """Every uncovered year reported by `uncovered_years` on this calendar so far, sorted."""
        return sorted(self._seen)
