"""Sample data: a seeded generator of realistic loyalty data and a small bundled sample.

``generate(customers=..., months=..., seed=...)`` returns a dict of DataFrames (orders, responses,
spend, members, events) in the column contracts of the period engine. Customers are acquired
over time with seasonality, order repeatedly until they churn, answer surveys with scores that
follow their behaviour (loyal customers promote), and some join the loyalty programme. It is
vectorised: 10^7 orders take seconds.

``load_sample()`` reads the bundled sample (24 months, about 3,000 customers, with a few
deliberately broken rows so that the data-quality report has something to show); the files are
in ``sample_paths()`` for the command line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SAMPLE_DIR = Path(__file__).parent / "sample"
TABLES = ("orders", "responses", "spend", "members", "events")
SEASON = np.array([0.85, 0.8, 0.95, 1.0, 1.0, 0.95, 0.9, 0.9, 1.0, 1.1, 1.3, 1.5])


def sample_paths() -> dict[str, Path]:
    """The bundled sample's CSV files, by input name."""
    return {name: SAMPLE_DIR / f"{name}.csv.gz" for name in TABLES}


def load_sample() -> dict[str, pd.DataFrame]:
    """The bundled sample as DataFrames (read as text, as a user's export would be)."""
    return {name: pd.read_csv(path, dtype=str, keep_default_na=False)
            for name, path in sample_paths().items()}


def generate(customers: int = 3000, months: int = 24, *, start: str = "2024-11-01",
             seed: int = 7, orders_per_year: float = 3.0, survey_share: float = 0.25,
             dirty: bool = False, text_ids: bool = True) -> dict[str, pd.DataFrame]:
    """Generate a realistic data set.

    Parameters
    ----------
    customers : int
        Customers acquired over the whole span.
    months : int
        Length of the span in calendar months from ``start``.
    seed : int
        Seed of numpy's generator: the same arguments give the same data.
    orders_per_year : float
        Mean order rate of an active customer.
    survey_share : float
        Share of orders followed by a survey invitation that is answered.
    dirty : bool
        Add a few broken rows (missing ids, bad dates, off-scale scores, duplicate order ids)
        as real exports have, for the data-quality report.
    text_ids : bool
        Ids as text ("C0000042") like most exports, or as integers (faster for 10^7 rows).
    """
    rng = np.random.default_rng(seed)
    t0 = np.datetime64(start, "D")
    t_end = (np.datetime64(start, "M") + months).astype("datetime64[D]")
    span = int((t_end - t0).astype(int))
    # Acquisition: growing over time, seasonal.
    day = np.arange(span)
    month_of_day = (t0 + day).astype("datetime64[M]").astype(int) % 12
    weight = (1.0 + day / span) * SEASON[month_of_day]
    acquired = np.sort(rng.choice(span, size=customers, p=weight / weight.sum()))
    loyalty = rng.beta(2.0, 2.0, customers)  # 0 = fickle, 1 = loyal
    rate = orders_per_year * np.exp(rng.normal(0, 0.5, customers)) * (0.5 + loyalty)
    lifetime = rng.exponential(200 + 900 * loyalty)  # days until churn
    churn = np.minimum(acquired + lifetime, span)
    exposure = (churn - acquired) / 365.25
    extra = rng.poisson(rate * exposure * 1.6)  # thinned below by seasonality
    cust = np.repeat(np.arange(customers), extra)
    when = acquired[cust] + rng.random(cust.size) * (churn - acquired)[cust]
    keep = rng.random(cust.size) < SEASON[(t0 + when.astype(int)).astype("datetime64[M]")
                                          .astype(int) % 12] / SEASON.max()
    cust = np.concatenate([np.arange(customers), cust[keep]])  # the first order at acquisition
    when = np.concatenate([acquired.astype(float), when[keep]])
    order = np.lexsort((when, cust))
    cust, when = cust[order], when[order]
    scale = np.exp(rng.normal(3.9, 0.35, customers))  # per-customer basket size, ~ 55
    amount = np.round(scale[cust] * np.exp(rng.normal(0, 0.4, cust.size)), 2)
    refund = rng.random(cust.size) < 0.01
    amount[refund] = -np.round(amount[refund] * rng.uniform(0.2, 1.0, refund.sum()), 2)
    dates = t0 + when.astype(int).astype("timedelta64[D]")
    ids = np.array([f"C{i:07d}" for i in range(customers)], dtype=object) if text_ids \
        else np.arange(customers)
    channel = np.where(rng.random(customers) < 0.6, "online", "store")
    orders = pd.DataFrame({
        "order_id": [f"O{i:08d}" for i in range(cust.size)] if text_ids
        else np.arange(cust.size),
        "customer_id": ids[cust], "order_date": dates.astype(str), "amount": amount,
        "segment": channel[cust]})
    tables = {"orders": orders}
    tables["responses"] = _responses(rng, cust, dates, loyalty, ids, channel, survey_share)
    tables["spend"] = _spend(rng, acquired, t0, months, channel)
    tables["members"], tables["events"] = _programme(rng, cust, dates, amount, ids, loyalty)
    if dirty:
        _make_dirty(rng, tables)
    return tables


def _responses(rng, cust, dates, loyalty, ids, channel, share):
    asked = np.flatnonzero(rng.random(cust.size) < share)
    c = cust[asked]
    answered_at = dates[asked] + rng.integers(0, 8, asked.size).astype("timedelta64[D]")
    mood = np.clip(loyalty[c] + rng.normal(0, 0.22, asked.size), 0, 1)
    frames = []
    respondent = np.array([f"R{i:08d}" for i in asked], dtype=object) \
        if ids.dtype == object else asked

    def add(metric, score, who=slice(None)):
        frames.append(pd.DataFrame({
            "respondent_id": respondent[who], "customer_id": ids[c][who],
            "answered_at": answered_at[who].astype(str), "metric": metric,
            "score": score, "segment": channel[c][who]}))

    add("nps", np.clip(np.round(4.5 + mood * 7 + rng.normal(0, 0.8, asked.size)), 0, 10)
        .astype(int))
    half = rng.random(asked.size) < 0.5
    add("csat", np.clip(np.round(1.8 + mood[half] * 4 + rng.normal(0, 0.5, half.sum())), 1, 5)
        .astype(int), half)
    add("ces", np.clip(np.round(2.5 + mood[half] * 5 + rng.normal(0, 0.7, half.sum())), 1, 7)
        .astype(int), half)
    third = rng.random(asked.size) < 0.3
    for metric in ("cli_recommend", "cli_buy_again", "cli_other_products"):
        score = np.clip(np.round(4.8 - mood[third] * 4.5 + rng.normal(0, 0.6, third.sum())), 1, 6)
        add(metric, score.astype(int), third)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["answered_at", "respondent_id"], kind="stable", ignore_index=True)


def _spend(rng, acquired, t0, months, channel_of_customer):
    month = (t0 + acquired.astype(int).astype("timedelta64[D]")).astype("datetime64[M]")
    first = np.datetime64(str(t0)[:7], "M")
    new = np.bincount((month - first).astype(int), minlength=months)[:months]
    rows = []
    for i in range(months):
        label = str(first + i)
        marketing = new[i] * rng.uniform(30, 50)
        for channel, share in (("search", 0.5), ("social", 0.3), ("email", 0.2)):
            rows.append((f"{label}-01", round(marketing * share, 2), "marketing", channel))
        rows.append((f"{label}-01", round(new[i] * rng.uniform(5, 12), 2), "sales", "field"))
    return pd.DataFrame(rows, columns=["date", "amount", "kind", "channel"])


def _programme(rng, cust, dates, amount, ids, loyalty):
    customers = loyalty.size
    joins = rng.random(customers) < 0.2 + 0.4 * loyalty
    first_order = np.full(customers, -1)
    first_order[cust[::-1]] = np.arange(cust.size)[::-1]
    member_ids = np.flatnonzero(joins)
    joined_at = dates[first_order[member_ids]] + rng.integers(0, 60, member_ids.size).astype(
        "timedelta64[D]")
    members = pd.DataFrame({"customer_id": ids[member_ids], "joined_at": joined_at.astype(str)})
    joined = np.full(customers, np.datetime64("NaT"), "datetime64[D]")
    joined[member_ids] = joined_at
    earn = (~np.isnat(joined[cust])) & (dates >= joined[cust]) & (amount > 0)
    issued = pd.DataFrame({"customer_id": ids[cust[earn]], "date": dates[earn].astype(str),
                           "kind": "issued", "points": np.floor(amount[earn]).astype(int)})
    redeem = earn & (rng.random(cust.size) < 0.35)
    redeemed = pd.DataFrame({
        "customer_id": ids[cust[redeem]],
        "date": (dates[redeem] + rng.integers(1, 40, redeem.sum()).astype("timedelta64[D]"))
        .astype(str), "kind": "redeemed",
        "points": np.floor(amount[redeem] * rng.uniform(0.3, 1.2, redeem.sum())).astype(int)})
    events = pd.concat([issued, redeemed], ignore_index=True).sort_values("date", kind="stable",
                                                                          ignore_index=True)
    return members, events


def _make_dirty(rng, tables):
    """A handful of the faults real exports have, at known places."""
    orders = tables["orders"].astype({"amount": object})
    n = len(orders)
    rows = rng.choice(n, 9, replace=False)
    orders.loc[rows[0], "customer_id"] = ""
    orders.loc[rows[1], "order_date"] = "31.02.2025"
    orders.loc[rows[2], "order_date"] = "unknown"
    orders.loc[rows[3], "amount"] = "12,50 EUR"
    duplicate = orders.loc[[rows[4], rows[5]]].copy()
    orders = pd.concat([orders, duplicate], ignore_index=True)  # exported twice
    tables["orders"] = orders
    responses = tables["responses"].astype({"score": object})
    nps_rows = responses.index[responses["metric"] == "nps"]
    bad = rng.choice(nps_rows, 4, replace=False)
    responses.loc[bad[0], "score"] = 11
    responses.loc[bad[1], "score"] = "n/a"
    responses.loc[bad[2], "metric"] = "NPS score"
    responses.loc[bad[3], "answered_at"] = ""
    tables["responses"] = responses
