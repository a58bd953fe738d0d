"""The engine's interval arithmetic against a brute-force reading of the period rules.

For random small order sets, period types and windows, every count is recomputed the slow,
obvious way: a customer is active at a date b when they ordered in [b - window, b).
"""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_xl.engine import analyse

FREQ = {"month": "M", "quarter": "Q", "week": "W-SUN"}  # weeks Monday to Sunday
PER_YEAR = {"month": 12, "quarter": 4, "week": 52}


class P:
    """The period rules written independently of loyalty_xl.periods (pandas' own periods), so
    the reference shares no code with what it checks."""

    @staticmethod
    def ordinal(kind, day):
        return pd.Period(day, FREQ[kind]).ordinal

    @staticmethod
    def start(kind, p):
        return pd.PeriodIndex.from_ordinals([p], freq=FREQ[kind])[0].start_time.date()

    @staticmethod
    def trailing_periods(kind, months):
        return max(1, round(months * PER_YEAR[kind] / 12))

pytestmark = pytest.mark.slow  # deselect with -m "not slow" for the fast suite

orders = st.lists(st.tuples(st.sampled_from("abcdef"),
                            st.dates(dt.date(2025, 1, 1), dt.date(2026, 6, 30)),
                            st.sampled_from([-5, 0, 10, 20])), min_size=1, max_size=25)


def reference(rows, kind, periods, window, months):
    valid = [(c, d, a) for c, d, a in rows if a >= 0]
    last = max(P.ordinal(kind, d) for _, d, _ in rows)
    ordinals = list(range(last - periods + 1, last + 1))
    bounds = [P.start(kind, p) for p in ordinals + [last + 1]]
    trailing = P.trailing_periods(kind, months)

    def active(b):
        return {c for c, d, _ in valid if b - dt.timedelta(days=window) <= d < b}

    first = {}
    for c, d, _ in valid:
        first[c] = min(first.get(c, d), d)
    out = []
    for k, p in enumerate(ordinals):
        start, end = bounds[k], bounds[k + 1]
        a0, a1 = active(start), active(end)
        ordered = {c for c, d, _ in valid if start <= d < end}
        window_rows = [c for c, d, _ in valid if p - trailing < P.ordinal(kind, d) <= p]
        known = [c for c in first if first[c] < end]
        spans = [(max(d for c2, d, _ in valid if c2 == c and d < end) - first[c]).days
                 for c in known]
        out.append({
            "customers_start": len(a0), "customers_end": len(a1), "lost_customers": len(a0 - a1),
            "new_customers": sum(start <= first[c] < end for c in first),
            "reactivated_customers": len({c for c in ordered - a0 if first[c] < start}),
            "orders": len([1 for c, d, _ in valid if start <= d < end]),
            "customers": len(ordered),
            "window_customers": len(set(window_rows)),
            "window_repeat": sum(window_rows.count(c) >= 2 for c in set(window_rows)),
            "lifespan": sum(spans) / len(spans) if spans else None,
            "retention": (len(a0 & a1) / len(a0)) if a0 else None,
        })
    return out


@settings(max_examples=40, deadline=None)
@given(orders, st.sampled_from(["month", "week", "quarter"]), st.integers(1, 5),
       st.sampled_from([7, 30, 60, 365]), st.sampled_from([1, 2, 12]))
def test_engine_counts_equal_the_brute_force_definition(rows, kind, periods, window, months):
    if not any(a >= 0 for _, _, a in rows):
        return
    frame = pd.DataFrame([(c, d.isoformat(), a) for c, d, a in rows],
                         columns=["customer_id", "order_date", "amount"])
    got = analyse(frame, period=kind, periods=periods, activity_days=window,
                  trailing_months=months).periods
    expected = reference(rows, kind, periods, window, months)
    for k, want in enumerate(expected):
        row = got.iloc[k]
        for column in ("customers_start", "customers_end", "lost_customers", "new_customers",
                       "reactivated_customers", "orders", "customers"):
            assert row[column] == want[column], (k, column)
        window_customers = row["purchase_frequency"]
        if want["window_customers"]:
            repeat = want["window_repeat"] / want["window_customers"]
            assert row["repeat_purchase_rate"] == pytest.approx(repeat), (k, "repeat")
        else:
            assert pd.isna(window_customers)
        if want["lifespan"] is None:
            assert pd.isna(row["average_customer_lifespan"])
        else:
            assert row["average_customer_lifespan"] * 365.25 == pytest.approx(want["lifespan"])
        if want["retention"] is None:
            assert pd.isna(row["retention_rate"])
        else:
            assert row["retention_rate"] == pytest.approx(want["retention"])
            assert row["retention_rate"] + row["churn_rate"] == pytest.approx(1.0)


answers = st.lists(st.tuples(st.sampled_from(["nps", "csat", "ces", "cli"]),
                             st.dates(dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
                             st.integers(0, 10), st.sampled_from("rstu"),
                             st.sampled_from([0.5, 1.0, 2.0]), st.sampled_from(["web", None])),
                   min_size=1, max_size=30)


@settings(max_examples=15, deadline=None)
@given(answers)
def test_survey_kpis_from_backend_aggregates_equal_the_library_on_the_answers(rows):
    """The engine sums weights and squared weights per period, metric, score and segment (CLI:
    per respondent first); the KPIs from those sums equal the library on the raw answers."""
    import loyalty_xl as lx

    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "cli": (1, 6)}
    records, seen = [], set()
    for metric, day, score, who, weight, segment in rows:
        low, high = scales[metric]
        score = low + score % (high - low + 1)
        if metric == "cli":  # one answer per respondent, question and month
            metric = ["cli_recommend", "cli_buy_again", "cli_other_products"][score % 3]
            if (who, metric, day.month) in seen:
                continue
            seen.add((who, metric, day.month))
            weight = {"r": 0.5, "s": 1.0, "t": 2.0, "u": 1.0}[who]  # one weight a respondent
        records.append((day.isoformat(), metric, score, who, weight, segment))
    frame = pd.DataFrame(records, columns=["answered_at", "metric", "score", "respondent_id",
                                           "weight", "segment"])
    orders = pd.DataFrame({"customer_id": ["a"], "order_date": ["2026-03-01"], "amount": [1]})
    result = analyse(orders, responses=frame, period="month", periods=3)
    got = result.periods.set_index("period")
    frame["p"] = frame.answered_at.str[:7]
    for p, part in frame.groupby("p"):
        nps = part[part.metric == "nps"]
        csat = part[part.metric == "csat"]
        ces = part[part.metric == "ces"]
        want = {"nps": lx.net_promoter_score(nps.score, weights=nps.weight),
                "csat": lx.csat(csat.score, scale="1-5", weights=csat.weight),
                "ces": lx.customer_effort_score(ces.score, weights=ces.weight)}
        cli = part[part.metric.str.startswith("cli")]
        wide = cli.pivot(index="respondent_id", columns="metric", values="score").reindex(
            columns=["cli_recommend", "cli_buy_again", "cli_other_products"])
        weights = cli.groupby("respondent_id").weight.first().reindex(wide.index)
        want["cli"] = lx.customer_loyalty_index(*(wide[c] for c in wide.columns),
                                                weights=weights) if len(cli) else float("nan")
        for name, value in want.items():
            if pd.isna(value):
                assert pd.isna(got.loc[p, name]), (p, name)
            else:
                assert got.loc[p, name] == pytest.approx(value, rel=1e-12), (p, name)
        assert got.loc[p, "nps_responses"] == len(nps)
