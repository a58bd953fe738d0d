"""Assembly: every KPI of the period table from the counts, through the KPI library, vectorised
over the periods. The table's columns are the engine's output contract."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalty_xl import kpis
from loyalty_xl.engine.settings import Settings
from loyalty_xl.kpis.customers import lifespan_years

COLUMNS = [
    "period", "orders", "revenue", "customers", "new_customers", "customers_start",
    "customers_end", "lost_customers", "retention_rate", "churn_rate", "repeat_purchase_rate",
    "average_purchase_value", "purchase_frequency", "customer_value",
    "average_customer_lifespan", "customer_lifetime_value", "spend",
    "customer_acquisition_cost", "clv_cac_ratio", "nps", "nps_low", "nps_high",
    "nps_responses", "csat", "ces", "cli", "participation_rate", "redemption_rate",
    "active_engagement_rate",
]
EXTRA_COLUMNS = ["period_start", "period_end", "reactivated_customers", "marketing_spend",
                 "sales_spend", "csat_responses", "ces_responses", "cli_responses", "members",
                 "active_members"]


def kpis_from_counts(table: pd.DataFrame, config: Settings) -> pd.DataFrame:
    """Every KPI from the counts, through the KPI library, vectorised over the periods."""
    t = table.copy()
    cs, ce = t.customers_start.to_numpy(), t.customers_end.to_numpy()
    acquired = t.acquired.to_numpy()
    t["retention_rate"] = kpis.retention_rate(cs, ce, acquired)
    t["churn_rate"] = kpis.churn_rate(cs, t.lost_customers.to_numpy(), new_customers=acquired)
    t["repeat_purchase_rate"] = kpis.repeat_purchase_rate(
        repeat_customers=t.window_repeat.to_numpy(), customers=t.window_customers.to_numpy())
    t["average_purchase_value"] = kpis.average_purchase_value(t.window_revenue.to_numpy(),
                                                              t.window_orders.to_numpy())
    t["purchase_frequency"] = kpis.purchase_frequency(t.window_orders.to_numpy(),
                                                      t.window_customers.to_numpy())
    t["customer_value"] = kpis.customer_value(t.average_purchase_value.to_numpy(),
                                              t.purchase_frequency.to_numpy())
    t["average_customer_lifespan"] = lifespan_years(t.lifespan_total_days.to_numpy(dtype=float),
                                                    t.customers_total.to_numpy(dtype=float))
    per_year = t.purchase_frequency.to_numpy() * (12.0 / config.trailing_months)
    t["customer_lifetime_value"] = kpis.customer_lifetime_value(
        t.average_purchase_value.to_numpy(), per_year, t.average_customer_lifespan.to_numpy())
    if "spend" in t:
        t["customer_acquisition_cost"] = kpis.customer_acquisition_cost(
            t.marketing_spend.to_numpy(), t.new_customers.to_numpy(),
            sales_spend=t.sales_spend.to_numpy())
        t["clv_cac_ratio"] = kpis.clv_cac_ratio(t.customer_lifetime_value.to_numpy(),
                                                t.customer_acquisition_cost.to_numpy())
    if "members" in t:
        t["participation_rate"] = kpis.participation_rate(t.member_customers.to_numpy(),
                                                          t.customers_total.to_numpy())
        if t.active_members.notna().all():
            t["active_engagement_rate"] = kpis.active_engagement_rate(
                t.active_members.to_numpy(), t.members.to_numpy())
            t["redemption_rate"] = kpis.redemption_rate(t.redeemed.to_numpy(),
                                                        t.issued.to_numpy(), carry_over=True)
    for column in COLUMNS + EXTRA_COLUMNS:
        if column not in t and column != "period":
            t[column] = np.nan
    counts = ["orders", "customers", "new_customers", "customers_start", "customers_end",
              "lost_customers", "reactivated_customers"]
    t[counts] = t[counts].astype("int64")
    out = t.reset_index()
    return out[COLUMNS + EXTRA_COLUMNS]

