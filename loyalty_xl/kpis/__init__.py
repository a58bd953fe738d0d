"""Pure KPI formulas: numbers and arrays in, numbers out. No I/O, no Excel, no engine.

Every function follows ``docs/kpis.md``: rates are fractions, NPS is in points, undefined results
are NaN, and bad input raises :class:`loyalty_xl.LoyaltyXLError`.
"""

from loyalty_xl.kpis.customers import (
    average_customer_lifespan,
    average_purchase_value,
    churn_rate,
    clv_cac_ratio,
    cohort_retention,
    customer_acquisition_cost,
    customer_lifetime_value,
    customer_value,
    purchase_frequency,
    repeat_purchase_rate,
    retention_rate,
    returning_to_one_time_ratio,
)
from loyalty_xl.kpis.predictive import (
    BGNBDModel,
    GammaGammaModel,
    fit_bgnbd,
    fit_gamma_gamma,
    predict_clv,
    rfm_summary,
)
from loyalty_xl.kpis.programme import (
    active_engagement_rate,
    participation_rate,
    redemption_rate,
)
from loyalty_xl.kpis.survey import (
    NPSBreakdown,
    NPSInterval,
    NPSTest,
    csat,
    csat_mean,
    customer_effort_score,
    customer_loyalty_index,
    net_promoter_score,
    nps_breakdown,
    nps_by_segment,
    nps_difference_test,
    nps_interval,
)

#: Every public KPI function, in the order of the spec.
__all__ = [
    "net_promoter_score",
    "nps_breakdown",
    "nps_interval",
    "nps_difference_test",
    "nps_by_segment",
    "csat",
    "csat_mean",
    "customer_effort_score",
    "customer_loyalty_index",
    "retention_rate",
    "churn_rate",
    "repeat_purchase_rate",
    "returning_to_one_time_ratio",
    "average_purchase_value",
    "purchase_frequency",
    "customer_value",
    "average_customer_lifespan",
    "customer_lifetime_value",
    "customer_acquisition_cost",
    "clv_cac_ratio",
    "participation_rate",
    "redemption_rate",
    "active_engagement_rate",
    "cohort_retention",
    "rfm_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "predict_clv",
]

RESULT_TYPES = (NPSBreakdown, NPSInterval, NPSTest)
MODEL_TYPES = (BGNBDModel, GammaGammaModel)  # fitted models (fit_bgnbd, fit_gamma_gamma)
