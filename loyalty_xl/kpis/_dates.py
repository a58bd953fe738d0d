"""Dates, customer ids and calendar periods, shared by the KPI library and the period engine.

pandas is imported inside the functions: ``import loyalty_xl`` stays light.
"""

from __future__ import annotations

import datetime as dt
import numbers

import numpy as np

from loyalty_xl.errors import InputError
from loyalty_xl.kpis._inputs import _maybe_blank, as_array, blank_mask, first_bad

#: Dates are seconds (datetime64[s]), never nanoseconds: years 1 to 9999 without overflow.
DATE_UNIT = "datetime64[s]"
FIRST_DATE = np.datetime64("0001-01-01T00:00:00", "s")
LAST_DATE = np.datetime64("9999-12-31T23:59:59", "s")
_SAFE_UNITS = {"ns", "ps", "fs", "as"}  # every value of these lies within years 1-9999


def _in_range(arr: np.ndarray) -> np.ndarray:
    """True where a datetime64 array (any unit) is NaT or within years 1 to 9999, compared
    in its own unit so that nothing overflows."""
    unit = np.datetime_data(arr.dtype)[0]
    if unit in _SAFE_UNITS or unit == "generic":
        return np.ones(arr.shape, bool)
    ticks = arr.view(np.int64)
    low = FIRST_DATE.astype(arr.dtype).view(np.int64)
    high = LAST_DATE.astype(arr.dtype).view(np.int64)
    return np.isnat(arr) | ((ticks >= low) & (ticks <= high))


def _seconds(arr: np.ndarray, name: str) -> np.ndarray:
    """A datetime64 array of any unit as datetime64[s]; dates outside years 1-9999 are errors."""
    i = first_bad(~_in_range(arr))
    if i is not None:
        raise InputError(f"{name} must be dates from year 1 to 9999", argument=name,
                         value=str(arr[i]), position=i)
    return arr.astype(DATE_UNIT)


def to_dates(values, name: str) -> np.ndarray:
    """Dates as datetime64[s], NaT where blank. Accepts dates, datetimes, ISO 8601 text.

    Numbers are an error here: the Excel layer turns serial numbers into dates itself.
    Time zones are converted to UTC. Dates must lie in years 1 to 9999.
    """
    import pandas as pd

    if hasattr(values, "dtype") and getattr(values.dtype, "kind", "") == "M":
        arr = np.asarray(values)
        if arr.dtype.kind != "M":  # time-zone-aware pandas data
            arr = pd.DatetimeIndex(np.ravel(values)).tz_localize(None).to_numpy()
        return _seconds(arr.ravel(), name)
    arr = as_array(values, name)
    if arr.dtype.kind == "M":
        return _seconds(arr, name)
    blank = blank_mask(arr)
    if arr.dtype.kind != "O":
        i = first_bad(~blank)
        if i is not None:
            numeric = arr.dtype.kind in "iufcb"
            reason = f"{name} must be dates, not numbers" if numeric else \
                f"{name} must be dates (YYYY-MM-DD)"
            raise InputError(reason, argument=name, value=arr[i].item(), position=i)
        return np.full(arr.shape, np.datetime64("NaT"), DATE_UNIT)
    filled = arr[~blank]
    kinds = set(map(type, filled))
    ok = (dt.date, np.datetime64, str)
    bad_kinds = {t for t in kinds if not issubclass(t, ok)}
    if bad_kinds:
        i = next(i for i, v in enumerate(arr) if not blank[i] and type(v) in bad_kinds)
        numeric = isinstance(arr[i], (numbers.Number, np.number))
        reason = f"{name} must be dates, not numbers" if numeric else f"{name} must be dates"
        raise InputError(reason, argument=name, value=arr[i], position=i)
    out = np.full(arr.shape, np.datetime64("NaT"), DATE_UNIT)
    if filled.size:
        parsed = _parse(pd, filled)
        failed = np.flatnonzero(np.isnat(parsed))
        for j in failed:  # out of pandas' range, or text pandas does not read
            parsed[j] = _parse_one(filled[j])
        bad = np.isnat(parsed)
        if bad.any():
            i = int(np.flatnonzero(~blank)[np.argmax(bad)])
            reason = "dates from year 1 to 9999" if isinstance(arr[i], np.datetime64) \
                else "dates (YYYY-MM-DD)"
            raise InputError(f"{name} must be {reason}", argument=name, value=arr[i],
                             position=i)
        out[~blank] = parsed
    return out


def _parse(pd, filled: np.ndarray) -> np.ndarray:
    """ISO 8601 text, dates and datetimes as datetime64[s] (NaT where pandas cannot)."""
    try:
        parsed = pd.to_datetime(pd.Series(filled, dtype=object), errors="coerce",
                                format="ISO8601", utc=True)
        stamps = parsed.dt.tz_localize(None).to_numpy()
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        return np.full(filled.shape, np.datetime64("NaT"), DATE_UNIT)
    ok = _in_range(stamps)
    return np.where(ok, stamps.astype(DATE_UNIT), np.datetime64("NaT", "s"))


def _parse_one(value) -> np.datetime64:
    """One date without pandas (years 1 to 9999, any pandas version); NaT if it is none."""
    try:
        if isinstance(value, np.datetime64):
            if np.isnat(value) or not _in_range(np.array([value]))[0]:
                return np.datetime64("NaT", "s")
            return value.astype(DATE_UNIT)
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value.strip())
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return np.datetime64(value.replace(microsecond=0), "s")
        if isinstance(value, dt.date):
            return np.datetime64(value, "D").astype(DATE_UNIT)
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        pass
    return np.datetime64("NaT", "s")


def customer_ids(values, name: str = "customer_ids"):
    """Customer ids (text or whole numbers) and their blank mask.

    Numeric ids keep a numeric dtype (fast to group); whole floats (as Excel sends numbers)
    become integers so that 7 and 7.0 are the same customer.
    """
    ids = as_array(values, name)
    blank = blank_mask(ids)
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
        raise InputError(f"{name} must be text or whole numbers", argument=name,
                         value=value, position=i)
    return ids, blank


def labels(values, name: str) -> np.ndarray:
    """Group labels (segments, channels): text, numbers or dates; anything else is an error."""
    arr = as_array(values, name)
    if arr.dtype.kind == "O":
        kinds = set(map(type, arr))
        wrong = {t for t in kinds if not issubclass(t, (str, bool, int, float, np.number,
                                                        dt.date, np.datetime64))
                 and not _maybe_blank(t) or issubclass(t, np.complexfloating)}
        if wrong:
            i = next(i for i, v in enumerate(arr) if type(v) in wrong)
            raise InputError(f"{name} must be text, numbers or dates", argument=name,
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
        raise InputError(f"{ids_name} and {dates_name} must have the same length",
                         argument=dates_name, value=(ids.size, dates.size), has_value=True)
    date_blank = np.isnat(dates)
    i = first_bad(id_blank != date_blank)
    if i is not None:
        missing, other = (ids_name, dates_name) if id_blank[i] else (dates_name, ids_name)
        raise InputError(f"{missing} is blank where {other} is not", argument=missing,
                         value=dates[i] if id_blank[i] else ids[i], position=i)
    if id_blank.any():
        keep = ~id_blank
        return ids[keep], dates[keep]
    return ids, dates
