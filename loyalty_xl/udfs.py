"""Excel functions: one thin wrapper per KPI, for classic xlwings, xlwings Lite and Server.

No formulas here: each wrapper reads its ranges raw (fast, every runtime's shapes), calls the KPI
library and shapes the result for a cell or a spill. Undefined results show #DIV/0!; bad input
shows #VALUE! with a one-line message that names the argument, the value and the cell (row and
column within the range). Classic xlwings shows both as text, since it cannot return real Excel
errors; Lite and Server return real errors.

Keep this module light: Excel waits for its import. It imports numpy (and xlwings); pandas
only inside the few functions that need it (xlwings itself imports pandas anyway), and never
the period engine, Ibis or DuckDB.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
from xlwings import arg, func

from loyalty_xl import kpis
from loyalty_xl import excel_cells as cells
from loyalty_xl.errors import InputError, LoyaltyXLError

__all__ = [
    "NPS", "NPS_BREAKDOWN", "NPS_INTERVAL", "NPS_TEST", "NPS_BY", "CSAT", "CSAT_MEAN", "CES",
    "CLI", "RETENTION_RATE", "CHURN_RATE", "REPEAT_PURCHASE_RATE", "RETURNING_RATIO",
    "AVG_PURCHASE_VALUE", "PURCHASE_FREQUENCY", "CUSTOMER_VALUE", "CUSTOMER_LIFESPAN", "CLV",
    "CAC", "CLV_CAC_RATIO", "COHORT_RETENTION", "PARTICIPATION_RATE", "REDEMPTION_RATE",
    "ACTIVE_ENGAGEMENT_RATE", "RFM_SUMMARY", "P_ALIVE", "CLV_MODEL", "CLV_PREDICT",
]

CATEGORY = "Loyalty KPIs"

DOC_SCORES = "Range of answers, whole numbers from 0 to 10; blank cells are skipped."
DOC_WEIGHTS = "Optional range of weights (numbers >= 0), one per answer."
DOC_IDS = "Range of customer ids, one per order."
DOC_DATES = "Range of order dates, aligned with the customer ids."


def _excel(f):
    """Turn LoyaltyXLError into #VALUE! with a one-line message naming the cell.

    Anything else that escapes is a bug: it still becomes ``#VALUE! internal error: ...`` (one
    line, never a traceback in a cell), and the fuzz tests count it as a failure.
    """
    signature = inspect.signature(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except LoyaltyXLError as err:
            return cells.error_result(err.describe(_where(signature, err, args, kwargs)))
        except Exception as err:  # noqa: BLE001 - last resort: a cell never gets a traceback
            text = " ".join(f"{type(err).__name__}: {err}".split())[:200]
            return cells.error_result(f"internal error: {text}")

    return wrapper


def _where(signature, err, args, kwargs) -> str:
    """The cell of an error position (row and column within its range), or ""."""
    if err.position is None:
        return ""
    try:
        raw = signature.bind_partial(*args, **kwargs).arguments.get(err.argument)
    except TypeError:
        return ""
    if not isinstance(raw, (list, tuple)):
        return ""
    try:
        return cells.locate(raw, err.argument, err.position)
    except LoyaltyXLError:
        return ""


def _option(value, default, name="option"):
    """An optional single-cell argument: the default when missing or blank."""
    value = cells.scalar(value)
    if value is None:
        return default
    if isinstance(value, (list, tuple)):
        raise InputError(f"{name} must be a single cell", argument=name,
                         value=f"a range of {len(value)} rows", has_value=True)
    if isinstance(value, dict):
        error = value.get("basicValue") if value.get("type") == "Error" else None
        if error is None and value.get("type") != "Error" and "basicValue" in value:
            return _option(value["basicValue"], default, name)
        raise InputError(f"{name} contains the Excel error {str(error or '')[:20]}".rstrip(),
                         argument=name)
    if type(value) is int and value in cells.COM_ERRORS:
        raise InputError(f"{name} contains the Excel error {cells.COM_ERRORS[value]}",
                         argument=name)
    return value


def _flag(value, name, default=False):
    value = _option(value, default, name)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise LoyaltyXLError(f"{name} must be TRUE or FALSE", argument=name, value=value,
                         has_value=True)


def _numbers(value, name):
    return None if value is None else cells.read_numbers(value, name).values


def _per_cell(kpi, *named, **options):
    """Apply a count-based KPI to single cells, or cell by cell to ranges of the same size.

    ``named`` holds (argument name, raw value) pairs. A result for ranges spills in their shape.
    """
    values, shape = [], None
    for name, raw in named:
        if raw is None:
            values.append(None)
            continue
        read = cells.read_numbers(raw, name)
        if read.values.size <= 1:  # a cell (an empty range: a blank cell)
            values.append(read.values[0] if read.values.size else None)
            continue
        if shape is not None and read.shape != shape:
            raise InputError(f"{name} must be a single cell or a range of the same size as "
                             f"the other ranges ({shape[0]} x {shape[1]})", argument=name,
                             value=f"{read.shape[0]} x {read.shape[1]}", has_value=True)
        shape = read.shape
        values.append(read.values)
    result = kpi(*values, **options)
    return cells.number(result) if shape is None else cells.grid(result, shape)


# --- Survey KPIs -----------------------------------------------------------------------------

@func(category=CATEGORY)
@arg("scores", "raw", doc=DOC_SCORES)
@arg("weights", "raw", doc=DOC_WEIGHTS)
@_excel
def NPS(scores, weights=None):
    """Net Promoter Score in points (-100 to 100): % promoters (9-10) minus % detractors (0-6)."""
    return cells.number(kpis.net_promoter_score(_numbers(scores, "scores"),
                                                weights=_numbers(weights, "weights")))


@func(category=CATEGORY)
@arg("scores", "raw", doc=DOC_SCORES)
@arg("weights", "raw", doc=DOC_WEIGHTS)
@_excel
def NPS_BREAKDOWN(scores, weights=None):
    """Spills a table: count and share of promoters, passives, detractors, the total and NPS."""
    b = kpis.nps_breakdown(_numbers(scores, "scores"), weights=_numbers(weights, "weights"))
    share_total = cells.number(1.0 if b.n else np.nan)
    return [["", "Count", "Share"],
            ["Promoters", cells.number(b.promoters), cells.number(b.promoter_share)],
            ["Passives", cells.number(b.passives), cells.number(b.passive_share)],
            ["Detractors", cells.number(b.detractors), cells.number(b.detractor_share)],
            ["Total", cells.number(b.n), share_total],
            ["NPS", cells.number(b.nps), ""]]


@func(category=CATEGORY)
@arg("scores", "raw", doc=DOC_SCORES)
@arg("confidence", "raw", doc="Optional confidence level, default 0.95.")
@arg("method", "raw", doc='Optional: "adjusted_wald" (default, Rocks 2016) or "wald".')
@arg("weights", "raw", doc=DOC_WEIGHTS)
@_excel
def NPS_INTERVAL(scores, confidence=0.95, method="adjusted_wald", weights=None):
    """Spills the low and high end of the NPS confidence interval, in points."""
    ci = kpis.nps_interval(_numbers(scores, "scores"),
                           confidence=_option(confidence, 0.95, "confidence"),
                           method=_option(method, "adjusted_wald", "method"),
                           weights=_numbers(weights, "weights"))
    return [[cells.number(ci.low), cells.number(ci.high)]]


@func(category=CATEGORY)
@arg("scores_a", "raw", doc="Answers of the first group, 0 to 10.")
@arg("scores_b", "raw", doc="Answers of the second group, 0 to 10.")
@arg("method", "raw", doc='Optional: "wald" (default) or "adjusted_wald".')
@_excel
def NPS_TEST(scores_a, scores_b, method="wald"):
    """Spills the NPS difference (a - b, points), z and the two-sided p-value."""
    t = kpis.nps_difference_test(_numbers(scores_a, "scores_a"), _numbers(scores_b, "scores_b"),
                                 method=_option(method, "wald", "method"))
    return [[cells.number(t.difference), cells.number(t.z), cells.number(t.p_value)]]


@func(category=CATEGORY)
@arg("scores", "raw", doc=DOC_SCORES)
@arg("segments", "raw", doc="Range of segments (region, channel...), one per answer.")
@arg("confidence", "raw", doc="Optional confidence level, default 0.95.")
@_excel
def NPS_BY(scores, segments, confidence=0.95):
    """Spills NPS per segment: segment, answers, NPS and the low and high end of its interval."""
    table = kpis.nps_by_segment(_numbers(scores, "scores"), cells.read(segments, "segments").values,
                                confidence=_option(confidence, 0.95, "confidence"))
    rows = [["Segment", "Answers", "NPS", "Low", "High"]]
    for segment, n, nps, low, high in table.itertuples(index=False):
        rows.append([cells.cell_value(segment), cells.number(n), cells.number(nps),
                     cells.number(low), cells.number(high)])
    return rows


@func(category=CATEGORY)
@arg("scores", "raw", doc="Range of answers on the declared scale; blank cells are skipped.")
@arg("scale", "raw", doc='The scale: "1-5", "1-7", "1-10" or "0-10" (never guessed).')
@arg("threshold", "raw", doc="Optional lowest satisfied answer; default the top two boxes.")
@arg("weights", "raw", doc=DOC_WEIGHTS)
@_excel
def CSAT(scores, scale, threshold=None, weights=None):
    """Customer satisfaction: share of satisfied answers (top two boxes of the scale)."""
    return cells.number(kpis.csat(_numbers(scores, "scores"),
                                  scale=_option(scale, None, "scale"),
                                  threshold=_option(threshold, None, "threshold"),
                                  weights=_numbers(weights, "weights")))


@func(category=CATEGORY)
@arg("scores", "raw", doc="Range of answers on the declared scale; blank cells are skipped.")
@arg("scale", "raw", doc='The scale: "1-5", "1-7", "1-10" or "0-10".')
@arg("weights", "raw", doc=DOC_WEIGHTS)
@_excel
def CSAT_MEAN(scores, scale, weights=None):
    """Mean satisfaction answer on the declared scale."""
    return cells.number(kpis.csat_mean(_numbers(scores, "scores"),
                                       scale=_option(scale, None, "scale"),
                                       weights=_numbers(weights, "weights")))


@func(category=CATEGORY)
@arg("scores", "raw", doc='Range of answers to "made it easy for me", 1-7 (or 1-5).')
@arg("scale", "raw", doc='Optional: "1-7" (default) or "1-5".')
@arg("method", "raw", doc='Optional: "mean" (default) or "share" (share agreeing).')
@arg("reverse", "raw", doc="Optional TRUE for the legacy effort scale (lower = better).")
@arg("weights", "raw", doc=DOC_WEIGHTS)
@_excel
def CES(scores, scale="1-7", method="mean", reverse=False, weights=None):
    """Customer Effort Score: mean agreement that the company made it easy (or share agreeing)."""
    return cells.number(kpis.customer_effort_score(
        _numbers(scores, "scores"), scale=_option(scale, "1-7", "scale"),
        method=_option(method, "mean", "method"),
        reverse=_flag(reverse, "reverse"), weights=_numbers(weights, "weights")))


@func(category=CATEGORY)
@arg("recommend", "raw", doc="Answers 1-6 (1 = best): how likely to recommend us.")
@arg("buy_again", "raw", doc="Answers 1-6 (1 = best): how likely to buy again.")
@arg("other_products", "raw", doc="Answers 1-6 (1 = best): how likely to try other products.")
@arg("method", "raw", doc='Optional: "points" (default, 0-100) or "mean" (raw 1-6 mean).')
@arg("points", "raw", doc="Optional 6 cells: points for answers 1 to 6 (100,80,60,40,20,0).")
@arg("weights", "raw", doc="Optional range of weights, one per respondent.")
@_excel
def CLI(recommend, buy_again, other_products, method="points", points=None, weights=None):
    """Customer Loyalty Index (0-100): three 1-6 answers turned into points, averaged."""
    blank = cells.scalar(points) is None
    table = kpis.survey.CLI_POINTS if blank else _numbers(points, "points")
    return cells.number(kpis.customer_loyalty_index(
        _numbers(recommend, "recommend"), _numbers(buy_again, "buy_again"),
        _numbers(other_products, "other_products"), points=table,
        method=_option(method, "points", "method"), weights=_numbers(weights, "weights")))


# --- Customer KPIs ---------------------------------------------------------------------------

@func(category=CATEGORY)
@arg("customers_start", "raw", doc="Customers at the start of the period (a cell or a range).")
@arg("customers_end", "raw", doc="Customers at the end of the period.")
@arg("new_customers", "raw", doc="New customers acquired during the period.")
@_excel
def RETENTION_RATE(customers_start, customers_end, new_customers):
    """Customer retention rate: (customers at end - new customers) / customers at start."""
    return _per_cell(kpis.retention_rate, ("customers_start", customers_start),
                     ("customers_end", customers_end), ("new_customers", new_customers))


@func(category=CATEGORY)
@arg("customers_start", "raw", doc="Customers at the start of the period (a cell or a range).")
@arg("lost_customers", "raw", doc="Customers lost during the period.")
@arg("new_customers", "raw", doc="Optional new customers (lost may include them).")
@arg("customers_end", "raw", doc='Optional customers at the end (for method "complement").')
@arg("method", "raw", doc='Optional: "lost" (default, lost / start) or "complement" (1 - CRR).')
@_excel
def CHURN_RATE(customers_start, lost_customers=None, new_customers=None, customers_end=None,
               method="lost"):
    """Customer churn rate: customers lost in the period / customers at its start."""
    method = _option(method, "lost", "method")

    def churn(start, lost, new, end):
        return kpis.churn_rate(start, lost, new_customers=new, customers_end=end, method=method)

    return _per_cell(churn, ("customers_start", customers_start),
                     ("lost_customers", lost_customers), ("new_customers", new_customers),
                     ("customers_end", customers_end))


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@_excel
def REPEAT_PURCHASE_RATE(customer_ids):
    """Repeat purchase rate: customers with 2 or more orders / customers with 1 or more."""
    return cells.number(kpis.repeat_purchase_rate(cells.read(customer_ids,
                                                             "customer_ids").values))


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@_excel
def RETURNING_RATIO(customer_ids):
    """Returning customers (2+ orders) per one-time customer (exactly 1 order)."""
    return cells.number(kpis.returning_to_one_time_ratio(
        cells.read(customer_ids, "customer_ids").values))


@func(category=CATEGORY)
@arg("revenue", "raw", doc="Revenue (a cell or a range).")
@arg("orders", "raw", doc="Number of orders.")
@_excel
def AVG_PURCHASE_VALUE(revenue, orders):
    """Average purchase value: revenue / number of orders."""
    return _per_cell(kpis.average_purchase_value, ("revenue", revenue), ("orders", orders))


@func(category=CATEGORY)
@arg("orders", "raw", doc="Number of orders (a cell or a range).")
@arg("customers", "raw", doc="Number of unique customers who placed them.")
@_excel
def PURCHASE_FREQUENCY(orders, customers):
    """Purchase frequency: orders / unique customers."""
    return _per_cell(kpis.purchase_frequency, ("orders", orders), ("customers", customers))


@func(category=CATEGORY)
@arg("average_purchase_value", "raw", doc="Average purchase value.")
@arg("purchase_frequency", "raw", doc="Purchase frequency (orders per customer).")
@_excel
def CUSTOMER_VALUE(average_purchase_value, purchase_frequency):
    """Customer value: average purchase value * purchase frequency."""
    return _per_cell(kpis.customer_value, ("average_purchase_value", average_purchase_value),
                     ("purchase_frequency", purchase_frequency))


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@arg("order_dates", "raw", doc=DOC_DATES)
@_excel
def CUSTOMER_LIFESPAN(customer_ids, order_dates):
    """Average customer lifespan in years: mean time between first and last order."""
    return cells.number(kpis.average_customer_lifespan(
        cells.read(customer_ids, "customer_ids").values,
        cells.read_dates(order_dates, "order_dates").values))


@func(category=CATEGORY)
@arg("average_purchase_value", "raw", doc="Average purchase value.")
@arg("purchase_frequency", "raw", doc="Purchase frequency per year.")
@arg("lifespan", "raw", doc="Average customer lifespan in years.")
@arg("gross_margin", "raw", doc="Optional gross margin, 0 to 1 (default 1 = revenue).")
@_excel
def CLV(average_purchase_value, purchase_frequency, lifespan, gross_margin=1.0):
    """Customer lifetime value: purchase value * frequency per year * lifespan in years."""
    margin = _option(gross_margin, 1.0, "gross_margin")

    def clv(apv, frequency, years):
        return kpis.customer_lifetime_value(apv, frequency, years, gross_margin=margin)

    return _per_cell(clv, ("average_purchase_value", average_purchase_value),
                     ("purchase_frequency", purchase_frequency), ("lifespan", lifespan))


@func(category=CATEGORY)
@arg("marketing_spend", "raw", doc="Marketing spend in the period.")
@arg("new_customers", "raw", doc="New customers acquired in the same period.")
@arg("sales_spend", "raw", doc="Optional sales spend in the period (default 0).")
@_excel
def CAC(marketing_spend, new_customers, sales_spend=0.0):
    """Customer acquisition cost: (marketing + sales spend) / new customers."""
    def cac(marketing, new, sales):
        return kpis.customer_acquisition_cost(marketing, new,
                                              sales_spend=0.0 if sales is None else sales)

    return _per_cell(cac, ("marketing_spend", marketing_spend), ("new_customers", new_customers),
                     ("sales_spend", cells.scalar(sales_spend)))


@func(category=CATEGORY)
@arg("clv", "raw", doc="Customer lifetime value.")
@arg("cac", "raw", doc="Customer acquisition cost.")
@_excel
def CLV_CAC_RATIO(clv, cac):
    """CLV to CAC ratio (3 or more is the usual rule of thumb)."""
    return _per_cell(kpis.clv_cac_ratio, ("clv", clv), ("cac", cac))


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@arg("order_dates", "raw", doc=DOC_DATES)
@arg("period", "raw", doc='Optional: "month" (default), "week", "quarter" or "year".')
@_excel
def COHORT_RETENTION(customer_ids, order_dates, period="month"):
    """Spills the cohort matrix: share of each first-order cohort ordering k periods later."""
    matrix = kpis.cohort_retention(cells.read(customer_ids, "customer_ids").values,
                                   cells.read_dates(order_dates, "order_dates").values,
                                   period=_option(period, "month", "period"))
    rows = [["Cohort", "Customers", *matrix.columns[1:]]]
    for label, values in zip(matrix.index, matrix.to_numpy(dtype=float).tolist()):
        rows.append([label, *("" if v != v else v for v in values)])
    return rows


# --- Loyalty programme -----------------------------------------------------------------------

@func(category=CATEGORY)
@arg("members", "raw", doc="Programme members (a cell or a range).")
@arg("customers", "raw", doc="All customers.")
@_excel
def PARTICIPATION_RATE(members, customers):
    """Loyalty-programme participation rate: members / all customers."""
    return _per_cell(kpis.participation_rate, ("members", members), ("customers", customers))


@func(category=CATEGORY)
@arg("redeemed", "raw", doc="Rewards or points redeemed.")
@arg("issued", "raw", doc="Rewards or points issued.")
@arg("carry_over", "raw", doc="Optional TRUE if rewards issued earlier may be redeemed.")
@_excel
def REDEMPTION_RATE(redeemed, issued, carry_over=False):
    """Redemption rate: rewards (or points) redeemed / issued."""
    allow = _flag(carry_over, "carry_over")

    def rate(done, given):
        return kpis.redemption_rate(done, given, carry_over=allow)

    return _per_cell(rate, ("redeemed", redeemed), ("issued", issued))


@func(category=CATEGORY)
@arg("active_members", "raw", doc="Members who earned or redeemed in the window (90 days).")
@arg("members", "raw", doc="All programme members.")
@_excel
def ACTIVE_ENGAGEMENT_RATE(active_members, members):
    """Active engagement rate: members active in the window / all members."""
    return _per_cell(kpis.active_engagement_rate, ("active_members", active_members),
                     ("members", members))


# --- Predictive customer value (BG/NBD and Gamma-Gamma; kpis/predictive.py) -------------------

DOC_ORDER_DATES = "Range of order dates, aligned with the customer ids (one row per order)."
DOC_AMOUNTS = "Range of order amounts (>= 0, refunds left out), aligned with the customer ids."
DOC_END = "Optional end of the observation period; default the last order date."


def _order_rows(customer_ids, dates, amounts=None):
    ids = cells.read(customer_ids, "customer_ids").values
    days = cells.read_dates(dates, "dates").values
    if amounts is None:  # P(alive) needs no amounts: each dated row is an order of 0
        blank = np.isnat(days) if days.dtype.kind == "M" else \
            np.fromiter((v is None for v in days), bool, days.size)
        money = np.where(blank, np.nan, 0.0)
    else:
        money = _numbers(amounts, "amounts")
    return ids, days, money


def _end(end):
    end = _option(end, None)
    if end is None:
        return None
    return cells.read_dates(end, "end").values[0]


def _summary(customer_ids, dates, amounts=None, end=None, unit="W"):
    return kpis.rfm_summary(*_order_rows(customer_ids, dates, amounts), end=_end(end),
                            unit=unit)


def _ids(index):
    return [v if isinstance(v, (str, int, float)) else str(v) for v in index.tolist()]


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@arg("dates", "raw", doc=DOC_ORDER_DATES)
@arg("amounts", "raw", doc=DOC_AMOUNTS)
@arg("end", "raw", doc=DOC_END)
@arg("unit", "raw", doc='Optional time unit: "W" weeks (default), "D" days or "M" months.')
@_excel
def RFM_SUMMARY(customer_ids, dates, amounts, end=None, unit="W"):
    """Spills per customer: repeat purchase days, recency, age T and mean repeat spend."""
    table = _summary(customer_ids, dates, amounts, end, _option(unit, "W"))
    rows = [["Customer", "Repeat purchases", "Recency", "T", "Mean repeat spend"]]
    rows += [list(r) for r in zip(_ids(table.index), *(table[c].tolist() for c in table))]
    return rows


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@arg("dates", "raw", doc=DOC_ORDER_DATES)
@arg("end", "raw", doc=DOC_END)
@_excel
def P_ALIVE(customer_ids, dates, end=None):
    """Spills per customer the probability that they are still a customer (BG/NBD model)."""
    table = _summary(customer_ids, dates, None, end)
    x, tx, age = (table[c].to_numpy() for c in ("frequency", "recency", "T"))
    alive = kpis.fit_bgnbd(x, tx, age).probability_alive(x, tx, age)
    return [["Customer", "P(alive)"], *map(list, zip(_ids(table.index), alive.tolist()))]


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@arg("dates", "raw", doc=DOC_ORDER_DATES)
@arg("amounts", "raw", doc=DOC_AMOUNTS)
@_excel
def CLV_MODEL(customer_ids, dates, amounts):
    """Spills the fitted BG/NBD (purchases) and Gamma-Gamma (spend) parameters, labelled."""
    table = _summary(customer_ids, dates, amounts)
    x, tx, age, m = (table[c].to_numpy() for c in table.columns)
    bg = kpis.fit_bgnbd(x, tx, age)
    gg = kpis.fit_gamma_gamma(x, m)
    return [["Parameter", "Value"],
            ["r (purchase rate shape)", bg.r], ["alpha (purchase rate scale, weeks)", bg.alpha],
            ["a (dropout shape)", bg.a], ["b (dropout shape)", bg.b],
            ["BG/NBD log-likelihood", bg.log_likelihood], ["Customers", bg.n],
            ["p (spend shape)", gg.p], ["q (spend scale shape)", gg.q],
            ["v (spend scale)", gg.v], ["Gamma-Gamma log-likelihood", gg.log_likelihood],
            ["Repeat customers", gg.n],
            ["Mean spend per purchase", cells.number(gg.mean_spend if gg.q > 1 else np.nan)]]


@func(category=CATEGORY)
@arg("customer_ids", "raw", doc=DOC_IDS)
@arg("dates", "raw", doc=DOC_ORDER_DATES)
@arg("amounts", "raw", doc=DOC_AMOUNTS)
@arg("horizon_months", "raw", doc="Optional horizon in months, default 12.")
@arg("discount", "raw", doc="Optional monthly discount rate, default 0 (0.01 = 1% a month).")
@arg("margin", "raw", doc="Optional share of spend kept as profit, 0 to 1 (default 1).")
@_excel
def CLV_PREDICT(customer_ids, dates, amounts, horizon_months=12, discount=0.0, margin=1.0):
    """Spills per customer: purchases expected, P(alive) and predicted CLV over the horizon."""
    table = kpis.predict_clv(_summary(customer_ids, dates, amounts),
                             horizon_months=_option(horizon_months, 12),
                             discount=_option(discount, 0.0), margin=_option(margin, 1.0))
    rows = [["Customer", "Purchases expected", "P(alive)", "Predicted CLV"]]
    rows += map(list, zip(_ids(table.index), table.expected_purchases.tolist(),
                          table.p_alive.tolist(), table.clv.tolist()))
    return rows
