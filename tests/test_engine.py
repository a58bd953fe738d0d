"""The period engine on a hand-built data set whose every number is worked out below.

Settings: months, 4 periods up to 2026-04, activity window 60 days, trailing window 2 months,
engagement window 90 days. Boundaries Jan 1, Feb 1, Mar 1, Apr 1, May 1; a customer is active at
boundary b when they ordered in [b - 60 days, b).

A: orders Dec 10 (50), Jan 15 (30), Feb 20 (20)   active Jan 1 .. Apr 1, not May 1
B: orders Nov 20 (100), Apr 10 (40)               active Jan 1 only; lost in Jan, re-acquired Apr
C: orders Jan 5 (10), Jan 25 (10)                 new in Jan; active Feb 1, Mar 1; lost in Mar
D: order Feb 28 (70)                              new in Feb; active Mar 1, Apr 1; lost in Apr
E: order Apr 5 (25), refund Apr 6 (-5)            new in Apr; active May 1
March has no orders at all.
"""

import os
import math

import pandas as pd
import pytest

import loyalty_xl as lx
from loyalty_xl.engine import COLUMNS, analyse

SETTINGS = dict(period="month", periods=4, until="2026-04", activity_days=60,
                trailing_months=2, engagement_days=90)

ORDERS = pd.DataFrame([
    ("o1", "A", "2025-12-10", 50), ("o2", "A", "2026-01-15", 30), ("o3", "A", "2026-02-20", 20),
    ("o4", "B", "2025-11-20", 100), ("o5", "B", "2026-04-10", 40),
    ("o6", "C", "2026-01-05", 10), ("o7", "C", "2026-01-25", 10),
    ("o8", "D", "2026-02-28", 70),
    ("o9", "E", "2026-04-05", 25), ("o10", "E", "2026-04-06", -5),
], columns=["order_id", "customer_id", "order_date", "amount"])
RESPONSES = pd.DataFrame([
    ("2026-01-03", "nps", 10, "r0"), ("2026-01-04", "nps", 9, "r0b"), ("2026-01-09", "nps", 3, "r0c"),
    ("2026-01-10", "csat", 5, "r0"), ("2026-01-11", "csat", 2, "r0b"),
    ("2026-01-10", "ces", 6, "r0"), ("2026-01-11", "ces", 4, "r0b"),
    ("2026-01-12", "cli_recommend", 1, "r1"), ("2026-01-12", "cli_buy_again", 2, "r1"),
    ("2026-01-13", "cli_recommend", 3, "r2"), ("2026-01-13", "cli_buy_again", 3, "r2"),
    ("2026-01-13", "cli_other_products", 3, "r2"),
    ("2026-03-02", "nps", 0, "r3"),
], columns=["answered_at", "metric", "score", "respondent_id"])
SPEND = pd.DataFrame([("2026-01-15", 100, "marketing"), ("2026-01-20", 20, "sales"),
                      ("2026-02-01", 50, "marketing"), ("2026-04-30", 30, "")],
                     columns=["date", "amount", "kind"])
MEMBERS = pd.DataFrame([("A", "2025-12-15"), ("C", "2026-02-10"), ("D", "2026-03-05"),
                        ("Z", "2026-01-01")], columns=["customer_id", "joined_at"])
EVENTS = pd.DataFrame([("A", "2026-01-15", "issued", 30), ("A", "2026-02-20", "redeemed", 10),
                       ("C", "2026-02-11", "issued", 10), ("D", "2026-03-06", "issued", 70),
                       ("D", "2026-04-02", "redeemed", 100)],
                      columns=["customer_id", "date", "kind", "points"])


@pytest.fixture(scope="module")
def result():
    return analyse(ORDERS, responses=RESPONSES, spend=SPEND, members=MEMBERS, events=EVENTS,
                   **SETTINGS)


def column(result, name):
    return result.periods[name].tolist()


def test_periods_and_columns(result):
    assert column(result, "period") == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert list(result.periods.columns[:len(COLUMNS)]) == COLUMNS


def test_orders_revenue_customers_with_an_empty_period_and_a_refund(result):
    assert column(result, "orders") == [3, 2, 0, 2]  # the refund is not an order
    assert column(result, "revenue") == [50, 90, 0, 60]  # 40 + 25 - 5 in April
    assert column(result, "customers") == [2, 2, 0, 2]


def test_activity_counts_across_boundaries(result):
    assert column(result, "customers_start") == [2, 2, 3, 2]
    assert column(result, "customers_end") == [2, 3, 2, 2]
    assert column(result, "new_customers") == [1, 1, 0, 1]
    assert column(result, "reactivated_customers") == [0, 0, 0, 1]  # B, lost in Jan
    assert column(result, "lost_customers") == [1, 0, 1, 2]


def test_retention_and_churn(result):
    assert column(result, "retention_rate") == pytest.approx([0.5, 1.0, 2 / 3, 0.0])
    assert column(result, "churn_rate") == pytest.approx([0.5, 0.0, 1 / 3, 1.0])


def test_trailing_window_value_kpis(result):
    # Windows: Dec-Jan, Jan-Feb, Feb-Mar, Mar-Apr.
    assert column(result, "average_purchase_value") == pytest.approx([25, 28, 45, 30])
    assert column(result, "purchase_frequency") == pytest.approx([2, 5 / 3, 1, 1])
    assert column(result, "customer_value") == pytest.approx([50, 140 / 3, 45, 30])
    assert column(result, "repeat_purchase_rate") == pytest.approx([1, 2 / 3, 0, 0])


def test_lifespan_and_clv(result):
    days = [56 / 3, 23, 23, 46.6]  # mean (last - first) over customers so far
    assert column(result, "average_customer_lifespan") == pytest.approx(
        [d / 365.25 for d in days])
    # CLV annualises the 2-month frequency: x 6.
    apv, freq = [25, 28, 45, 30], [2, 5 / 3, 1, 1]
    assert column(result, "customer_lifetime_value") == pytest.approx(
        [a * f * 6 * d / 365.25 for a, f, d in zip(apv, freq, days)])


def test_spend_and_cac(result):
    assert column(result, "spend") == [120, 50, 0, 30]  # a blank kind is marketing
    cac = column(result, "customer_acquisition_cost")
    assert cac[:2] == [120, 50] and math.isnan(cac[2]) and cac[3] == 30
    ratio = column(result, "clv_cac_ratio")
    assert ratio[0] == pytest.approx(column(result, "customer_lifetime_value")[0] / 120)


def test_survey_kpis(result):
    nps = column(result, "nps")
    assert nps[0] == pytest.approx(100 / 3) and math.isnan(nps[1]) and nps[2] == -100
    ci = lx.nps_interval([10, 9, 3])
    assert (column(result, "nps_low")[0], column(result, "nps_high")[0]) == pytest.approx(
        (ci.low, ci.high))
    assert column(result, "nps_responses") == [3, 0, 1, 0]
    assert column(result, "csat")[0] == 0.5
    assert column(result, "ces")[0] == 5.0
    assert column(result, "cli")[0] == pytest.approx(75.0)  # r1: (100 + 80) / 2, r2: 60


def test_programme_kpis(result):
    assert column(result, "participation_rate") == pytest.approx([1 / 3, 2 / 4, 3 / 4, 3 / 5])
    assert column(result, "active_engagement_rate") == pytest.approx([1 / 2, 2 / 3, 3 / 4, 3 / 4])
    redemption = column(result, "redemption_rate")
    assert redemption[:3] == [0.0, 1.0, 0.0] and math.isnan(redemption[3])  # none issued in Apr


def test_cohorts(result):
    m = result.cohorts
    assert list(m.index) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert m.loc["2026-01"].tolist() == [1, 1, 0, 0, 0]
    feb = m.loc["2026-02"].tolist()
    assert feb[:4] == [1, 1, 0, 0] and math.isnan(feb[4])
    assert m.loc["2026-03", "customers"] == 0
    assert m.loc["2026-04", 0] == 1


def test_weeks_quarters_and_default_last_period():
    weekly = analyse(ORDERS, period="week", periods=3, activity_days=60)
    assert weekly.periods["period"].tolist() == ["2026-W13", "2026-W14", "2026-W15"]
    assert weekly.periods["orders"].tolist() == [0, 1, 1]  # Apr 5 (Sun, W14), Apr 10 (W15)
    quarterly = analyse(ORDERS, period="quarter", periods=2, activity_days=60)
    assert quarterly.periods["period"].tolist() == ["2026-Q1", "2026-Q2"]
    assert quarterly.periods["orders"].tolist() == [5, 2]


def test_clean_data_has_nothing_excluded(result):
    assert result.quality.rows_excluded == 0
    orders = result.quality.inputs[0]
    assert (orders.rows_read, orders.rows_used) == (10, 10)
    assert any("1 refunds" in note for note in result.quality.notes())


def temp_tables(con):
    rows = con.raw_sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    return sorted(name for (name,) in rows if name.startswith("loyalty_tmp_"))


def test_scratch_tables_are_dropped_and_no_step_keeps_one():
    """Memory: Scratch.release drops the table it is given (DuckDB reports the name
    qualified, temp.main.name), drop() the rest; the engine keeps nothing between steps
    (each count aggregates the orders in the query that needs it)."""
    import ibis

    from loyalty_xl.engine.backend import Scratch

    con = ibis.duckdb.connect()
    scratch = Scratch(con)
    first = scratch.keep(ibis.memtable({"a": [1, 2]}))
    second = scratch.keep(ibis.memtable({"a": [3]}))
    assert len(temp_tables(con)) == 2
    scratch.release(first)
    assert temp_tables(con) == [second.get_name().split(".")[-1]] == scratch.names
    scratch.drop()
    assert temp_tables(con) == [] == scratch.names
    seen = {}
    result = analyse(ORDERS, responses=RESPONSES, spend=SPEND, members=MEMBERS, events=EVENTS,
                     con=con, progress=lambda step: seen.setdefault(step, temp_tables(con)),
                     **SETTINGS)
    assert {"checking orders", "counting customers per period", "cohorts", "survey answers",
            "spend", "computing KPIs"} <= set(seen)
    assert all(tables == [] for tables in seen.values())
    assert temp_tables(con) == []
    assert result.cohorts is not None


def test_compute_periods_does_not_compute_the_cohort_matrix(monkeypatch):
    from loyalty_xl.engine import compute_periods
    from loyalty_xl.engine.counting import Run

    def refuse(self):
        raise AssertionError("cohorts computed")

    monkeypatch.setattr(Run, "cohorts", refuse)
    table = compute_periods(ORDERS, **SETTINGS)
    assert table["orders"].tolist() == [3, 2, 0, 2]
    with pytest.raises(AssertionError, match="cohorts computed"):
        analyse(ORDERS, **SETTINGS)


def test_a_backend_without_an_operation_is_refused_up_front(tmp_path):
    import sqlite3

    import ibis

    from loyalty_xl.errors import InputError

    with sqlite3.connect(tmp_path / "shop.db") as db:
        ORDERS.to_sql("orders", db, index=False)
    table = ibis.sqlite.connect(tmp_path / "shop.db").table("orders")
    with pytest.raises(InputError, match=r"the sqlite backend cannot run the period engine: it "
                                         r"lacks try_cast") as err:
        analyse(table, **SETTINGS)
    assert "\n" not in str(err.value)


def test_ibis_tables_have_no_row_numbers_examples_name_the_row_by_its_columns():
    """No row_number() over the whole input (one partition on Spark): an excluded row of an
    Ibis table is located by its own columns."""
    import ibis

    con = ibis.duckdb.connect()
    bad = ORDERS.astype(str)
    bad.loc[2, "order_date"] = "someday"
    bad.loc[4, "order_id"] = "o1"  # a duplicate id: the row listed first in order is kept
    result = analyse(con.create_table("orders", ibis.memtable(bad)), **SETTINGS)
    item = result.quality.inputs[0]
    assert item.excluded == {"unparseable order date": 1, "duplicate order id": 1}
    assert item.examples["unparseable order date"] == [
        ("order_id=o3, customer_id=A, order_date=someday, amount=20", "someday")]
    [(where, value)] = item.examples["duplicate order id"]
    assert value == "o1" and where.startswith("order_id=o1, customer_id=")
    table = result.quality.table()
    assert "order_id=o3, customer_id=A, order_date=someday, amount=20: someday" in set(
        table["examples"])


def test_a_polars_table_is_refused_naming_the_window_functions():
    if os.environ.get("CI"):  # the test extra installs it: a skip on CI would hide this test
        import polars  # noqa: F401
    pytest.importorskip("polars")
    import ibis

    from loyalty_xl.errors import InputError

    table = ibis.polars.connect().create_table("orders", ORDERS)
    with pytest.raises(InputError, match=r"the polars backend cannot run the period engine: it "
                                         r"lacks window functions \(use DuckDB or Spark\)"):
        analyse(table, **SETTINGS)
