"""The per-customer RFM summary (frequency, recency, T, mean repeat spend) as one Ibis query.

The same definitions as :func:`loyalty_xl.rfm_summary` (one home for the rule: the KPI library
documents it; this is its group-by form for data that lives in the backend): purchases are
counted by day, refunds (negative amounts) are not purchases, times are in weeks from the
first purchase day. The backend groups orders by customer and day, then by customer; only one
row per customer comes back to Python, for the model fits of the customer-value sheet.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from ibis import _

from loyalty_xl.kpis.predictive import UNITS

COLUMNS = ["frequency", "recency", "T", "monetary_value"]


def customer_summary(orders, end: dt.date, *, unit: str = "W") -> pd.DataFrame:
    """Per customer, from the engine's cleaned orders (columns ``cid``, ``day``, ``amount``).

    Orders after ``end`` (the report's last day) are not part of the history the models learn
    from; refunds are not purchases. Returns the frame :func:`loyalty_xl.rfm_summary` would
    return for those orders (indexed by customer id, sorted), with ``attrs`` unit and end.
    """
    unit_days = UNITS[unit]
    purchases = orders.filter((orders.amount >= 0) & (orders.day <= end))
    days = purchases.group_by(["cid", "day"]).agg(total=_.amount.sum())
    days = days.mutate(d=days.day.epoch_days())
    per = days.group_by("cid").agg(
        n=_.count(), first=_.d.min(), last=_.d.max(), spend=_.total.sum(),
        first_total=_.total.argmin(_.d)).order_by("cid").execute()
    end_day = (end - dt.date(1970, 1, 1)).days
    n = per["n"].to_numpy(dtype=float)
    first, last = per["first"].to_numpy(dtype=float), per["last"].to_numpy(dtype=float)
    frequency = n - 1
    repeat = per["spend"].to_numpy(dtype=float) - per["first_total"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat / np.maximum(frequency, 1), 0.0)
    out = pd.DataFrame({"frequency": frequency, "recency": (last - first) / unit_days,
                        "T": (end_day - first) / unit_days,
                        "monetary_value": np.maximum(monetary, 0.0)},
                       index=pd.Index(per["cid"].to_numpy(), name="customer"))
    out.attrs["unit"] = unit
    out.attrs["end"] = end.isoformat()
    return out
