"""Calendar periods: the one home of how dates become periods, labels and windows.

Periods are integers (ordinals), computed here in plain Python, vectorised with numpy and as
Ibis expressions; the KPI library, the engine and the report all use this module.

month: year * 12 + month - 1; quarter: year * 4 + quarter - 1; year: the year; week: ISO weeks
(Monday to Sunday) counted from 1970-01-05. Labels match the KPI library's: 2026-10, 2026-Q4,
2026, 2026-W43.
"""

from __future__ import annotations

import datetime as dt
import re

from loyalty_xl.errors import InputError

KINDS = ("month", "week", "quarter", "year")
#: Periods in a year (52 weeks): the report's "same period a year earlier".
PER_YEAR = {"month": 12, "week": 52, "quarter": 4, "year": 1}
#: The years the engine represents; dates outside are excluded as unusable, like bad text.
FIRST_YEAR, LAST_YEAR = 1900, 2199
EPOCH = dt.date(1970, 1, 1)
FIRST_MONDAY = dt.date(1970, 1, 5)


def check_kind(kind: str) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise InputError(f"period must be one of {', '.join(KINDS)}", argument="period",
                             value=kind, has_value=True)
    return kind


def ordinal(kind: str, day: dt.date) -> int:
    if kind == "month":
        return day.year * 12 + day.month - 1
    if kind == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    if kind == "year":
        return day.year
    return (day - FIRST_MONDAY).days // 7


def ordinals(kind: str, days):
    """Vectorised :func:`ordinal` of a numpy ``datetime64`` array (any unit, no overflow for
    the years 1 to 9999: the arithmetic is in days and months, never nanoseconds)."""
    import numpy as np

    days = np.asarray(days).astype("datetime64[D]")
    if kind == "week":
        return (days - np.datetime64(FIRST_MONDAY, "D")).astype(np.int64) // 7
    months = days.astype("datetime64[M]").astype(np.int64) + 1970 * 12  # year * 12 + month - 1
    if kind == "month":
        return months
    if kind == "quarter":
        return months // 3
    return months // 12


def labels(kind: str, ordinals_) -> list[str]:
    """:func:`label` of each ordinal."""
    return [label(kind, int(p)) for p in ordinals_]


def start(kind: str, p: int) -> dt.date:
    if kind == "month":
        return dt.date(p // 12, p % 12 + 1, 1)
    if kind == "quarter":
        return dt.date(p // 4, p % 4 * 3 + 1, 1)
    if kind == "year":
        return dt.date(p, 1, 1)
    return FIRST_MONDAY + dt.timedelta(days=7 * p)


def label(kind: str, p: int) -> str:
    first = start(kind, p)
    if kind == "month":
        return f"{first.year}-{first.month:02d}"
    if kind == "quarter":
        return f"{first.year}-Q{p % 4 + 1}"
    if kind == "year":
        return str(first.year)
    year, week, _ = first.isocalendar()
    return f"{year}-W{week:02d}"


def parse_label(kind: str, text: str) -> int:
    """The ordinal of a label such as 2026-10, 2026-Q4, 2026, 2026-W43 or a date in it."""
    value = str(text).strip()
    patterns = {
        "month": (r"(\d{4})-(\d{1,2})", lambda y, m: dt.date(int(y), int(m), 1)),
        "quarter": (r"(\d{4})-?Q([1-4])", lambda y, q: dt.date(int(y), 3 * int(q) - 2, 1)),
        "year": (r"(\d{4})", lambda y: dt.date(int(y), 1, 1)),
        "week": (r"(\d{4})-?W(\d{1,2})", lambda y, w: dt.date.fromisocalendar(int(y), int(w), 1)),
    }
    pattern, build = patterns[kind]
    match = re.fullmatch(pattern, value, flags=re.IGNORECASE)
    try:
        day = build(*match.groups()) if match else dt.date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputError(f"until must lie in the years {FIRST_YEAR} to {LAST_YEAR}",
                         argument="until", value=text, has_value=True)
    if day is None:
        examples = {"month": "2026-10", "quarter": "2026-Q4", "year": "2026",
                    "week": "2026-W43"}[kind]
        raise InputError(f"until must be a {kind} such as {examples} or a date",
                         argument="until", value=text, has_value=True)
    return ordinal(kind, day)


def epoch_days(day: dt.date) -> int:
    return (day - EPOCH).days


def ordinal_expr(kind: str, day):
    """The Ibis expression of a date column's period ordinal."""
    if kind == "month":
        return day.year() * 12 + day.month() - 1
    if kind == "quarter":
        return day.year() * 4 + day.quarter() - 1
    if kind == "year":
        return day.year()
    return (day.epoch_days() - 4) // 7


def trailing_periods(kind: str, months: int) -> int:
    """How many periods make the trailing window of ``months`` months (52 weeks a year)."""
    return max(1, round(months * PER_YEAR[kind] / 12))
