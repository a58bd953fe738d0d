"""Customer and loyalty-programme KPIs against hand-computed values and the spec's examples."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import loyalty_xl as lx
from loyalty_xl import LoyaltyXLError


def test_retention_rate_by_hand_and_vectorised():
    assert lx.retention_rate(200, 180, 25) == 0.775  # (180 - 25) / 200
    out = lx.retention_rate([200, 100, 0], [180, 100, 5], [25, 0, 5])
    np.testing.assert_array_equal(out[:2], [0.775, 1.0])
    assert math.isnan(out[2])  # CS = 0 -> NaN, never 0


@pytest.mark.parametrize("args, message", [
    ((100, 10, 20), "new_customers must not exceed customers_end"),
    ((100, 150, 20), "customers_end - new_customers must not exceed customers_start; got 130"),
    ((100.5, 90, 0), "customers_start must be a whole number >= 0; got 100.5"),
    ((-1, 0, 0), "customers_start must be a whole number >= 0; got -1"),
    (("many", 0, 0), "customers_start must be a number, not text; got 'many'"),
    ((None, 0, 0), "customers_start must be a whole number >= 0; got a blank"),
])
def test_retention_rate_rejects_inconsistent_counts(args, message):
    with pytest.raises(LoyaltyXLError) as info:
        lx.retention_rate(*args)
    assert message in str(info.value)


def test_retention_rate_error_names_position_in_arrays():
    with pytest.raises(LoyaltyXLError, match="got 130 at position 1"):
        lx.retention_rate([100, 100], [90, 150], [0, 20])


def test_churn_rate_default_and_complement():
    assert lx.churn_rate(200, 30) == 0.15
    # docs/kpis.md: CRR 22.5% -> churn (as 1 - CRR) 77.5%.
    crr = lx.retention_rate(200, 70, 25)
    assert crr == 0.225
    churn = lx.churn_rate(200, customers_end=70, new_customers=25, method="complement")
    assert churn == pytest.approx(0.775)
    assert math.isnan(lx.churn_rate(0, 0))
    # Lost may include new customers lost within the period: allowed up to CS + CN.
    assert lx.churn_rate(10, 12, new_customers=5) == 1.2


def test_churn_rate_errors():
    with pytest.raises(LoyaltyXLError, match="lost_customers must not exceed customers_start "
                                             r"\+ new_customers; got 16"):
        lx.churn_rate(10, 16, new_customers=5)
    with pytest.raises(LoyaltyXLError, match="lost_customers must not exceed"):
        lx.churn_rate(10, 11)
    with pytest.raises(LoyaltyXLError, match="customers_end is required"):
        lx.churn_rate(10, method="complement", new_customers=1)
    with pytest.raises(LoyaltyXLError, match="lost_customers is required"):
        lx.churn_rate(10)
    with pytest.raises(LoyaltyXLError, match="method must be one of 'lost', 'complement'"):
        lx.churn_rate(10, 1, method="net")


def test_repeat_purchase_rate_from_ids_and_counts():
    ids = ["a", "b", "a", "c", "c", "c", None, ""]
    assert lx.repeat_purchase_rate(ids) == pytest.approx(2 / 3)
    assert lx.repeat_purchase_rate(pd.Series([1, 2, 3])) == 0.0
    assert lx.repeat_purchase_rate(np.array([7, 7])) == 1.0
    assert math.isnan(lx.repeat_purchase_rate([]))
    assert lx.repeat_purchase_rate(repeat_customers=45, customers=180) == 0.25
    with pytest.raises(LoyaltyXLError, match="repeat_customers must not exceed customers"):
        lx.repeat_purchase_rate(repeat_customers=5, customers=4)
    with pytest.raises(LoyaltyXLError, match="not both"):
        lx.repeat_purchase_rate(["a"], customers=1)
    with pytest.raises(LoyaltyXLError, match="give customer_ids"):
        lx.repeat_purchase_rate(customers=3)
    with pytest.raises(LoyaltyXLError, match=r"customer_ids must be text or whole numbers; "
                                             r"got \{\} at position 1"):
        lx.repeat_purchase_rate(["a", {}])
    # Whole-number ids that arrive as floats (as from Excel) are the same customer.
    assert lx.repeat_purchase_rate([7, 7.0, 8]) == 0.5


def test_returning_to_one_time_ratio():
    assert lx.returning_to_one_time_ratio(["a", "b", "a", "c", "c", "c"]) == 2.0
    assert lx.returning_to_one_time_ratio(["a", "b"]) == 0.0
    assert math.isnan(lx.returning_to_one_time_ratio(["a", "a"]))


# docs/kpis.md's worked example: revenue 20,000, 400 orders, 180 customers, lifespan 5 years.

def test_average_purchase_value_article_example_and_edges():
    assert lx.average_purchase_value(20000, 400) == 50.0
    assert math.isnan(lx.average_purchase_value(0, 0))
    np.testing.assert_allclose(lx.average_purchase_value([100, 30], [4, 3]), [25, 10])
    assert lx.average_purchase_value(-5, 1) == -5.0  # net of refunds, revenue can be < 0
    with pytest.raises(LoyaltyXLError, match="revenue must be a number; got inf"):
        lx.average_purchase_value(float("inf"), 1)
    with pytest.raises(LoyaltyXLError, match="orders must be a whole number >= 0; got 2.5"):
        lx.average_purchase_value(5, 2.5)


def test_purchase_frequency_article_example_and_edges():
    assert lx.purchase_frequency(400, 180) == pytest.approx(2.2222222222)
    assert math.isnan(lx.purchase_frequency(0, 0))
    with pytest.raises(LoyaltyXLError, match="customers must not exceed orders; got 4"):
        lx.purchase_frequency(3, 4)


def test_customer_value_article_example():
    assert lx.customer_value(50, 400 / 180) == pytest.approx(111.1111111)
    assert math.isnan(lx.customer_value(float("nan"), 2))
    with pytest.raises(LoyaltyXLError, match="purchase_frequency must be a number >= 0"):
        lx.customer_value(50, -1)


def test_customer_lifetime_value_article_example():
    clv = lx.customer_lifetime_value(50, 400 / 180, 5)
    assert clv == pytest.approx(20000 / 400 * 400 / 180 * 5)
    assert round(clv, 2) == 555.56  # the article rounds to 2.22 and 111 and prints 555
    assert lx.customer_lifetime_value(50, 400 / 180, 5, gross_margin=0.3) == \
        pytest.approx(clv * 0.3)
    assert math.isnan(lx.customer_lifetime_value(float("nan"), 2, 3))
    with pytest.raises(LoyaltyXLError, match="gross_margin must be a number from 0 to 1; got 1.5"):
        lx.customer_lifetime_value(50, 2, 5, gross_margin=1.5)


def test_average_customer_lifespan_by_hand():
    ids = ["a", "a", "a", "b", "c", "c"]
    dates = ["2024-01-01", "2024-07-01", "2025-01-01", "2024-03-01", "2024-01-01", "2024-01-31"]
    # a: 366 days (2024 is a leap year), b: 0, c: 30 -> mean 132 days.
    assert lx.average_customer_lifespan(ids, dates) == pytest.approx(132 / 365.25)
    as_dates = [dt.date.fromisoformat(d) for d in dates]
    assert lx.average_customer_lifespan(ids, as_dates) == pytest.approx(132 / 365.25)
    assert lx.average_customer_lifespan(pd.Series(ids), pd.to_datetime(pd.Series(dates))) \
        == pytest.approx(132 / 365.25)
    assert math.isnan(lx.average_customer_lifespan([], []))


def test_average_customer_lifespan_errors():
    with pytest.raises(LoyaltyXLError, match="order_dates must be dates, not numbers; got 45000"):
        lx.average_customer_lifespan(["a"], [45000])
    with pytest.raises(LoyaltyXLError, match=r"order_dates must be dates \(YYYY-MM-DD\); "
                                             "got 'soon' at position 1"):
        lx.average_customer_lifespan(["a", "b"], ["2024-01-01", "soon"])
    with pytest.raises(LoyaltyXLError, match="order_dates is blank where customer_ids is not"):
        lx.average_customer_lifespan(["a", "b"], ["2024-01-01", None])
    with pytest.raises(LoyaltyXLError, match="same length"):
        lx.average_customer_lifespan(["a", "b"], ["2024-01-01"])
    # Both blank: a trailing empty row, skipped.
    assert lx.average_customer_lifespan(["a", None], ["2024-01-01", None]) == 0.0


def test_customer_acquisition_cost():
    assert lx.customer_acquisition_cost(9000, 50) == 180.0
    assert lx.customer_acquisition_cost(9000, 50, sales_spend=1000) == 200.0
    assert math.isnan(lx.customer_acquisition_cost(9000, 0))
    with pytest.raises(LoyaltyXLError, match="marketing_spend must be a number >= 0; got -1"):
        lx.customer_acquisition_cost(-1, 5)


def test_clv_cac_ratio():
    assert lx.clv_cac_ratio(600, 200) == 3.0
    assert math.isnan(lx.clv_cac_ratio(600, 0))
    assert math.isnan(lx.clv_cac_ratio(float("nan"), 10))


def test_cohort_retention_by_hand():
    ids = ["a", "b", "a", "b", "c", "a"]
    dates = ["2026-01-05", "2026-01-20", "2026-02-01", "2026-03-03", "2026-02-10", "2026-03-09"]
    m = lx.cohort_retention(ids, dates)
    assert list(m.index) == ["2026-01", "2026-02", "2026-03"]
    assert list(m.columns) == ["customers", 0, 1, 2]
    assert m.loc["2026-01"].tolist() == [2.0, 1.0, 0.5, 1.0]  # a in Feb; a and b in Mar
    feb = m.loc["2026-02"].tolist()
    assert feb[:3] == [1.0, 1.0, 0.0] and math.isnan(feb[3])  # Feb + 2 is not observed yet
    mar = m.loc["2026-03"].tolist()
    assert mar[0] == 0 and all(math.isnan(v) for v in mar[1:])  # no first orders in March


def test_cohort_retention_quarters_and_errors():
    m = lx.cohort_retention(["a", "a"], ["2026-01-05", "2026-04-20"], period="quarter")
    assert list(m.index) == ["2026-Q1", "2026-Q2"]
    with pytest.raises(LoyaltyXLError, match="period must be one of"):
        lx.cohort_retention(["a"], ["2026-01-01"], period="fortnight")


def test_participation_rate():
    assert lx.participation_rate(450, 1800) == 0.25
    assert math.isnan(lx.participation_rate(0, 0))
    with pytest.raises(LoyaltyXLError, match="members must not exceed customers; got 11"):
        lx.participation_rate(11, 10)


def test_redemption_rate():
    assert lx.redemption_rate(3200, 8000) == 0.4
    assert lx.redemption_rate(12.5, 50) == 0.25  # points need not be whole
    assert math.isnan(lx.redemption_rate(0, 0))
    with pytest.raises(LoyaltyXLError, match="redeemed must not exceed issued.*got 9000"):
        lx.redemption_rate(9000, 8000)
    assert lx.redemption_rate(9000, 8000, carry_over=True) == 1.125


def test_active_engagement_rate():
    assert lx.active_engagement_rate(270, 450) == 0.6
    assert math.isnan(lx.active_engagement_rate(0, 0))
    with pytest.raises(LoyaltyXLError, match="active_members must not exceed members"):
        lx.active_engagement_rate(5, 4)
