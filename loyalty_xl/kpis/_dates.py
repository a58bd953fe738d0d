"""Dates, customer ids and calendar periods, shared by the KPI library and the period engine.

pandas is imported inside the functions: ``import loyalty_xl`` stays light.
"""

from __future__ import annotations

import datetime as dt
import numbers

import numpy as np

from loyalty_xl.errors import LoyaltyXLError
from loyalty_xl.kpis._inputs import _BLANK_TYPE_NAMES, as_array, first_bad

PERIODS = {"month": "M", "week": "W-SUN", "quarter": "Q-DEC", "year": "Y-DEC"}


def _blank_mask(arr: np.ndarray) -> np.ndarray:
    """True where an object/float/text array holds a blank (None, NaN, NA, NaT, empty text)."""
    if arr.dtype.kind == "f":
        return np.isnan(arr)
    if arr.dtype.kind in "US":
        return np.char.strip(arr.astype(str)) == ""
    if arr.dtype.kind == "M":
        return np.isnat(arr)
    if arr.dtype.kind != "O":
        return np.zeros(arr.shape, bool)
    kinds = list(map(type, arr))
    blank_types = {t for t in set(kinds) if t.__name__ in _BLANK_TYPE_NAMES
                   or issubclass(t, (float, np.floating, str))}
    if not blank_types:
        return np.zeros(arr.shape, bool)
    candidates = np.fromiter((t in blank_types for t in kinds), bool, len(kinds))
    out = candidates.copy()
    for i in np.flatnonzero(candidates):
        value = arr[i]
        if isinstance(value, str):
            out[i] = not value.strip()
        elif isinstance(value, (float, np.floating)):
            out[i] = value != value
    return out


def to_dates(values, name: str) -> np.ndarray:
    """Dates as datetime64[ns], NaT where blank. Accepts dates, datetimes, ISO 8601 text.

    Numbers are an error here: the Excel layer turns serial numbers into dates itself.
    """
    import pandas as pd

    if hasattr(values, "dtype") and getattr(values.dtype, "kind", "") == "M":
        arr = np.asarray(values)
        if arr.dtype.kind == "M":
            return arr.ravel().astype("datetime64[ns]")
        return pd.DatetimeIndex(np.ravel(values)).tz_localize(None).to_numpy()
    arr = as_array(values, name)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[ns]")
    blank = _blank_mask(arr)
    if arr.dtype.kind in "iufb":
        i = first_bad(~blank)
        if i is not None:
            raise LoyaltyXLError(f"{name} must be dates, not numbers", argument=name,
                                 value=arr[i].item(), position=i)
        return np.full(arr.shape, np.datetime64("NaT"), "datetime64[ns]")
    filled = arr[~blank]
    kinds = set(map(type, filled))
    ok = (dt.date, np.datetime64, str, pd.Timestamp)
    bad_kinds = {t for t in kinds if not issubclass(t, ok)}
    if bad_kinds:
        i = next(i for i, v in enumerate(arr) if not blank[i] and type(v) in bad_kinds)
        numeric = isinstance(arr[i], (int, float, np.number))
        reason = f"{name} must be dates, not numbers" if numeric else f"{name} must be dates"
        raise LoyaltyXLError(reason, argument=name, value=arr[i], position=i)
    out = np.full(arr.shape, np.datetime64("NaT"), "datetime64[ns]")
    if filled.size:
        parsed = _parse(pd, filled)
        bad = np.isnat(parsed)
        if bad.any():
            i = int(np.flatnonzero(~blank)[np.argmax(bad)])
            raise LoyaltyXLError(f"{name} must be dates (YYYY-MM-DD)", argument=name,
                                 value=arr[i], position=i)
        out[~blank] = parsed
    return out


def _parse(pd, filled: np.ndarray) -> np.ndarray:
    try:
        parsed = pd.to_datetime(pd.Series(filled, dtype=object), errors="coerce",
                                format="ISO8601", utc=True)
        return parsed.dt.tz_localize(None).to_numpy("datetime64[ns]")
    except (ValueError, TypeError, OverflowError):
        return np.array([_parse_one(pd, v) for v in filled], "datetime64[ns]")


def _parse_one(pd, value):
    try:
        stamp = pd.Timestamp(value)
        return np.datetime64("NaT") if stamp is pd.NaT else stamp.tz_localize(None).asm8 \
            if stamp.tzinfo else stamp.asm8
    except (ValueError, TypeError, OverflowError):
        return np.datetime64("NaT")


def customer_ids(values, name: str = "customer_ids"):
    """Customer ids (text or whole numbers) and their blank mask.

    Numeric ids keep a numeric dtype (fast to group); whole floats (as Excel sends numbers)
    become integers so that 7 and 7.0 are the same customer.
    """
    ids = as_array(values, name)
    blank = _blank_mask(ids)
    if ids.dtype.kind in "iu":
        return ids, blank
    if ids.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            bad = ~blank & ((ids != np.floor(ids)) | ~(np.abs(ids) < 2.0 ** 53))
        i = first_bad(bad)
        if i is None:
            return np.where(blank, 0, ids).astype(np.int64), blank
    elif ids.dtype.kind in "US":
        return ids, blank
    else:
        kinds = list(map(type, ids))
        wrong = {t for t in set(kinds) if not issubclass(t, (str, int, np.integer, float,
                                                                np.floating))
                 or issubclass(t, (bool, np.bool_))}
        bad = ~blank & np.fromiter((t in wrong for t in kinds), bool, len(kinds))
        floats = ~blank & ~bad & np.fromiter((issubclass(t, (float, np.floating))
                                              for t in kinds), bool, len(kinds))
        if floats.any():
            ids = ids.copy()
            for i in np.flatnonzero(floats):
                value = float(ids[i])
                if value.is_integer() and abs(value) < 2.0 ** 53:
                    ids[i] = int(value)
                else:
                    bad[i] = True
        i = first_bad(bad)
    if i is not None:
        value = ids[i].item() if hasattr(ids[i], "item") else ids[i]
        raise LoyaltyXLError(f"{name} must be text or whole numbers", argument=name,
                             value=value, position=i)
    return ids, blank


def labels(values, name: str) -> np.ndarray:
    """Group labels (segments, channels): text, numbers or dates; anything else is an error."""
    arr = as_array(values, name)
    if arr.dtype.kind == "O":
        kinds = set(map(type, arr))
        wrong = {t for t in kinds if not issubclass(t, (str, numbers.Number, dt.date,
                                                        np.datetime64, type(None)))
                 and t.__name__ not in _BLANK_TYPE_NAMES}
        if wrong:
            i = next(i for i, v in enumerate(arr) if type(v) in wrong)
            raise LoyaltyXLError(f"{name} must be text or numbers", argument=name,
                                 value=arr[i], position=i)
    return arr


def ids_and_dates(customer_ids_, order_dates, *, ids_name="customer_ids",
                  dates_name="order_dates"):
    """Aligned customer ids (object array) and dates (datetime64), rows with both blank dropped.

    A row with only one of the two blank is an error: dropping it would lose an order.
    """
    ids, id_blank = customer_ids(customer_ids_, ids_name)
    dates = to_dates(order_dates, dates_name)
    if ids.shape != dates.shape:
        raise LoyaltyXLError(f"{ids_name} and {dates_name} must have the same length",
                             argument=dates_name, value=(ids.size, dates.size), has_value=True)
    date_blank = np.isnat(dates)
    i = first_bad(id_blank != date_blank)
    if i is not None:
        missing, other = (ids_name, dates_name) if id_blank[i] else (dates_name, ids_name)
        raise LoyaltyXLError(f"{missing} is blank where {other} is not", argument=missing,
                             value=dates[i] if id_blank[i] else ids[i], position=i)
    if id_blank.any():
        keep = ~id_blank
        return ids[keep], dates[keep]
    return ids, dates


def period_freq(period: str) -> str:
    if period not in PERIODS:
        raise LoyaltyXLError(f"period must be one of {', '.join(map(repr, PERIODS))}",
                             argument="period", value=period, has_value=True)
    return PERIODS[period]


def period_label(p) -> str:
    """A pandas Period as a short label: 2026-10, 2026-W43, 2026-Q4, 2026."""
    code = p.freqstr[0]
    if code == "W":
        year, week, _ = p.start_time.isocalendar()
        return f"{year}-W{week:02d}"
    if code == "Q":
        return f"{p.year}-Q{p.quarter}"
    if code in "YA":
        return f"{p.year}"
    return p.strftime("%Y-%m")
