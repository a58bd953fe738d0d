"""Customer KPIs: retention, churn, repeat purchases, value, lifetime value, acquisition cost.

Count-based functions take scalars or arrays (one value per period) and broadcast; a scalar
result is a float, an array result a numpy array.
"""

from __future__ import annotations

import numpy as np

from loyalty_xl.errors import InputError
from loyalty_xl.kpis._dates import customer_ids as checked_ids
from loyalty_xl import periods as P
from loyalty_xl.kpis._dates import ids_and_dates
from loyalty_xl.kpis._inputs import (
    check_not_greater,
    choice,
    divide,
    finite,
    product,
    quantity,
    result,
    same_shape,
)

DAYS_PER_YEAR = 365.25
#: The largest cohort matrix: 1,200 periods (100 years of months) a side, 1.44 million cells.
MAX_COHORT_PERIODS = 1200


def _count(value, name):
    return quantity(value, name, whole=True)


def retention_rate(customers_start, customers_end, new_customers):
    """Customer retention rate (CRR), 0..1.

    ``CRR = (CE - CN) / CS``: customers at the end of the period, less the new customers
    acquired in it, over the customers at its start.

    Parameters
    ----------
    customers_start : int or array of int (CS)
    customers_end : int or array of int (CE)
    new_customers : int or array of int (CN)

    Returns
    -------
    float or ndarray
        NaN where CS = 0.

    Raises
    ------
    InputError
        Counts that are not whole numbers >= 0; CE - CN < 0 or > CS (inconsistent counts).

    Examples
    --------
    >>> retention_rate(200, 180, 25)
    0.775
    >>> retention_rate([200, 0], [180, 10], [25, 10])
    array([0.775,   nan])
    """
    cs, ce, cn = (_count(v, n) for v, n in ((customers_start, "customers_start"),
                                            (customers_end, "customers_end"),
                                            (new_customers, "new_customers")))
    same_shape((cs, "customers_start"), (ce, "customers_end"), (cn, "new_customers"))
    kept = ce - cn
    check_not_greater(np.zeros_like(kept), kept, "new_customers must not exceed customers_end "
                      "(customers_end - new_customers < 0)", "new_customers")
    check_not_greater(kept, cs, "customers_end - new_customers must not exceed customers_start",
                      "customers_end")
    return divide(kept, cs)


def churn_rate(customers_start, lost_customers=None, *, new_customers=None, customers_end=None,
               method="lost"):
    """Customer churn rate.

    ``churn = lost / CS`` (``method="lost"``, the default): customers lost in the period over
    customers at its start. ``method="complement"``: ``1 - CRR = 1 - (CE - CN) / CS``, which
    also counts new customers lost within the period, so it is a different number from the
    default whenever some new customers left in their first period.

    With the default method, lost may include new customers lost within the period, so churn
    can exceed 1; when it does not, churn is in 0..1.

    Parameters
    ----------
    customers_start : int or array of int (CS)
    lost_customers : int or array of int, required for method="lost"
    new_customers : int or array of int (CN), optional for "lost" (checks lost <= CS + CN),
        required for "complement"
    customers_end : int or array of int (CE), required for "complement"
    method : {"lost", "complement"}

    Returns
    -------
    float or ndarray
        NaN where CS = 0.

    Raises
    ------
    InputError
        Counts that are not whole numbers >= 0; lost > CS + CN; a missing count.

    Examples
    --------
    >>> churn_rate(200, 30)
    0.15
    >>> round(churn_rate(200, customers_end=70, new_customers=25, method="complement"), 3)
    0.775
    """
    choice(method, "method", ("lost", "complement"))
    if method == "complement":
        for value, name in ((customers_end, "customers_end"), (new_customers, "new_customers")):
            if value is None:
                raise InputError(f"{name} is required with method='complement'",
                                     argument=name)
        return result(1.0 - np.asarray(retention_rate(customers_start, customers_end,
                                                      new_customers)))
    if lost_customers is None:
        raise InputError("lost_customers is required with method='lost'",
                             argument="lost_customers")
    cs = _count(customers_start, "customers_start")
    lost = _count(lost_customers, "lost_customers")
    cn = 0.0 if new_customers is None else _count(new_customers, "new_customers")
    same_shape((cs, "customers_start"), (lost, "lost_customers"), (cn, "new_customers"))
    with np.errstate(over="ignore"):
        ceiling = cs + cn
    check_not_greater(lost, ceiling, "lost_customers must not exceed customers_start + "
                      "new_customers", "lost_customers")
    return divide(lost, cs)


def customer_codes(ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes for customer ids and the number of codes (some may be unused).

    Non-negative integer ids that are not too sparse are their own codes (no hashing);
    anything else is factorised.
    """
    import pandas as pd

    if ids.dtype.kind in "iu" and ids.size and ids.min() >= 0 and ids.max() < 2 * ids.size + 1024:
        return ids.astype(np.intp, copy=False), int(ids.max()) + 1
    codes = pd.factorize(ids)[0]
    return codes, int(codes.max()) + 1 if codes.size else 0


def _order_counts(customer_ids):
    """Orders per customer (a numpy array of counts) from one customer id per order."""
    ids, blank = checked_ids(customer_ids)
    if blank.any():
        ids = ids[~blank]
    codes, n_codes = customer_codes(ids)
    counts = np.bincount(codes, minlength=n_codes)
    return counts[counts > 0]


def repeat_purchase_rate(customer_ids=None, *, repeat_customers=None, customers=None):
    """Repeat purchase rate: customers with 2 or more orders over customers with 1 or more.

    ``RPR = customers with >= 2 orders / customers with >= 1 order`` within the period. Give
    either one customer id per order (positional), or the two counts (keywords).

    Parameters
    ----------
    customer_ids : array-like, optional
        One customer id per order; blanks are skipped.
    repeat_customers, customers : int or array of int, optional
        Customers with >= 2 orders, customers with >= 1 order.

    Returns
    -------
    float or ndarray
        NaN when there is no customer.

    Raises
    ------
    InputError
        Neither or both forms given; repeat_customers > customers; bad counts.

    See Also
    --------
    returning_to_one_time_ratio

    Examples
    --------
    >>> repeat_purchase_rate(["a", "b", "a", "c", "c", "c"])
    0.6666666666666666
    >>> repeat_purchase_rate(repeat_customers=45, customers=180)
    0.25
    """
    if customer_ids is not None:
        if repeat_customers is not None or customers is not None:
            raise InputError("give either customer_ids or repeat_customers and customers, "
                                 "not both", argument="customer_ids")
        counts = _order_counts(customer_ids)
        return divide(np.count_nonzero(counts >= 2), counts.size)
    if repeat_customers is None or customers is None:
        raise InputError("give customer_ids (one per order) or both repeat_customers and "
                             "customers", argument="customers")
    repeat = _count(repeat_customers, "repeat_customers")
    total = _count(customers, "customers")
    same_shape((repeat, "repeat_customers"), (total, "customers"))
    check_not_greater(repeat, total, "repeat_customers must not exceed customers",
                      "repeat_customers")
    return divide(repeat, total)


def returning_to_one_time_ratio(customer_ids):
    """Returning customers per one-time customer (not a rate: it can exceed 1).

    ``ratio = customers with >= 2 orders / customers with exactly 1 order``. Some sources
    call this the repeat purchase rate; the spec's repeat purchase rate is
    :func:`repeat_purchase_rate`.

    Parameters
    ----------
    customer_ids : array-like
        One customer id per order; blanks are skipped.

    Returns
    -------
    float
        NaN when no customer ordered exactly once.

    Examples
    --------
    >>> returning_to_one_time_ratio(["a", "b", "a", "c", "c", "c"])
    2.0
    """
    counts = _order_counts(customer_ids)
    return divide(np.count_nonzero(counts >= 2), np.count_nonzero(counts == 1))


def average_purchase_value(revenue, orders):
    """Average purchase (order) value: ``revenue / orders``.

    Parameters
    ----------
    revenue : float or array
        May be net of refunds, so it may be negative.
    orders : int or array of int

    Returns
    -------
    float or ndarray
        NaN where orders = 0.

    Raises
    ------
    InputError
        Non-numeric or infinite revenue; orders not whole numbers >= 0.

    Examples
    --------
    >>> average_purchase_value(20000, 400)
    50.0
    """
    amount = quantity(revenue, "revenue", minimum=None)
    n_orders = _count(orders, "orders")
    same_shape((amount, "revenue"), (n_orders, "orders"))
    return divide(amount, n_orders, "average_purchase_value")


def purchase_frequency(orders, customers):
    """Purchase frequency: orders per unique customer, ``orders / customers``.

    Over a trailing year (as the period engine computes it) this is orders per year.

    Parameters
    ----------
    orders : int or array of int
    customers : int or array of int
        Unique customers who placed those orders (so customers <= orders).

    Returns
    -------
    float or ndarray
        NaN where customers = 0.

    Raises
    ------
    InputError
        Bad counts; customers > orders.

    Examples
    --------
    >>> round(purchase_frequency(400, 180), 4)
    2.2222
    """
    n_orders = _count(orders, "orders")
    n_customers = _count(customers, "customers")
    same_shape((n_orders, "orders"), (n_customers, "customers"))
    check_not_greater(n_customers, n_orders, "customers must not exceed orders", "customers")
    return divide(n_orders, n_customers, "purchase_frequency")


def customer_value(average_purchase_value, purchase_frequency):
    """Customer value: ``average purchase value * purchase frequency`` (revenue per customer).

    Parameters
    ----------
    average_purchase_value : float or array (net of refunds, may be < 0; NaN passes through)
    purchase_frequency : float or array (>= 0; NaN passes through)

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(customer_value(50, 400 / 180), 4)
    111.1111
    """
    apv = quantity(average_purchase_value, "average_purchase_value", allow_nan=True,
                   minimum=None)
    freq = quantity(purchase_frequency, "purchase_frequency", allow_nan=True)
    same_shape((apv, "average_purchase_value"), (freq, "purchase_frequency"))
    return product(apv, freq, what="customer_value")


def average_customer_lifespan(customer_ids, order_dates):
    """Average customer lifespan in years: mean over customers of (last order - first order).

    ``lifespan = mean(last_date - first_date) / 365.25 days``. A customer with one order has
    a lifespan of 0 and counts in the mean.

    Parameters
    ----------
    customer_ids : array-like
        One customer id per order.
    order_dates : array-like of dates
        The order's date (date, datetime, numpy datetime64 or ISO 8601 text), aligned.

    Returns
    -------
    float
        NaN when there is no order.

    Raises
    ------
    InputError
        Different lengths; a date that is not a date; an id without a date or vice versa.

    Examples
    --------
    Customer a ordered over four years (1,461 days), b once:

    >>> average_customer_lifespan(["a", "a", "b"], ["2023-01-01", "2027-01-01", "2025-06-30"])
    2.0
    """
    ids, dates = ids_and_dates(customer_ids, order_dates)
    if ids.size == 0:
        return float("nan")
    codes, n_codes = customer_codes(ids)
    seconds = dates.astype("datetime64[s]").view(np.int64)  # years 1-9999: no overflow
    first = np.full(n_codes, np.iinfo(np.int64).max)
    last = np.full(n_codes, np.iinfo(np.int64).min)
    np.minimum.at(first, codes, seconds)
    np.maximum.at(last, codes, seconds)
    used = last >= first
    days = (last[used] - first[used]) / 86_400.0
    return float(lifespan_years(days.sum(), used.sum()))


def lifespan_years(total_days, customers):
    """Average lifespan in years from the customers' summed spans (last - first order, in
    days): ``total_days / customers / 365.25``; NaN for no customers. The one formula behind
    :func:`average_customer_lifespan` and the period engine (which sums the spans per period).

    >>> lifespan_years(1461.0, 2)
    2.0
    """
    return divide(np.asarray(total_days, float) / DAYS_PER_YEAR, customers)


def customer_lifetime_value(average_purchase_value, purchase_frequency, lifespan, *,
                            gross_margin=1.0):
    """Customer lifetime value (simple): ``APV * frequency * lifespan * gross margin``.

    The units must match: purchase frequency per year and lifespan in years (the period engine
    takes frequency over a trailing 12 months for this reason).

    Parameters
    ----------
    average_purchase_value : float or array (net of refunds, may be < 0)
    purchase_frequency : float or array (orders per customer per year, >= 0)
    lifespan : float or array (years, >= 0)
    gross_margin : float, default 1
        Share of revenue kept as margin, 0..1 (1 = revenue-based CLV).

    Returns
    -------
    float or ndarray
        NaN where an input is NaN.

    Raises
    ------
    InputError
        Negative inputs; gross_margin outside 0..1.

    Examples
    --------
    The source article: revenue 20,000 from 400 orders by 180 customers, lifespan 5 years
    (the article rounds frequency to 2.22 and prints 555).

    >>> round(customer_lifetime_value(20000 / 400, 400 / 180, 5), 2)
    555.56
    """
    apv = quantity(average_purchase_value, "average_purchase_value", allow_nan=True,
                   minimum=None)
    freq = quantity(purchase_frequency, "purchase_frequency", allow_nan=True)
    years = quantity(lifespan, "lifespan", allow_nan=True)
    margin = quantity(gross_margin, "gross_margin", maximum=1.0)
    same_shape((apv, "average_purchase_value"), (freq, "purchase_frequency"),
               (years, "lifespan"), (margin, "gross_margin"))
    return product(apv, freq, years, margin, what="customer_lifetime_value")


def customer_acquisition_cost(marketing_spend, new_customers, *, sales_spend=0.0):
    """Customer acquisition cost: ``(marketing spend + sales spend) / new customers``.

    Spend and new customers must cover the same period.

    Parameters
    ----------
    marketing_spend : float or array (>= 0)
    new_customers : int or array of int
    sales_spend : float or array (>= 0), default 0

    Returns
    -------
    float or ndarray
        NaN where new_customers = 0.

    Examples
    --------
    >>> customer_acquisition_cost(9000, 50, sales_spend=1000)
    200.0
    """
    marketing = quantity(marketing_spend, "marketing_spend")
    sales = quantity(sales_spend, "sales_spend")
    new = _count(new_customers, "new_customers")
    same_shape((marketing, "marketing_spend"), (new, "new_customers"), (sales, "sales_spend"))
    # Each share divided first: (1e308 + 1e308) / 2 is 1e308, not an overflow.
    with np.errstate(over="ignore"):
        per_customer = np.asarray(divide(marketing, new, "customer_acquisition_cost")) + \
            np.asarray(divide(sales, new, "customer_acquisition_cost"))
    return result(finite(per_customer, "customer_acquisition_cost"))


def clv_cac_ratio(clv, cac):
    """CLV to CAC ratio: ``CLV / CAC`` (3 or more is the usual rule of thumb).

    Returns
    -------
    float or ndarray
        NaN where CAC is 0 or an input is NaN.

    Examples
    --------
    >>> round(clv_cac_ratio(555.56, 200), 2)
    2.78
    """
    value = quantity(clv, "clv", allow_nan=True)
    cost = quantity(cac, "cac", allow_nan=True)
    same_shape((value, "clv"), (cost, "cac"))
    return divide(value, cost, "clv_cac_ratio")


def cohort_retention(customer_ids, order_dates, *, period="month"):
    """Cohort retention matrix: cohorts by the period of their first order.

    Cell (cohort c, k) = share of cohort c's customers who ordered in the k-th period after
    their first (k = 0 is 1 by definition). Cells later than the last period in the data are
    NaN (not yet observable), not 0.

    Parameters
    ----------
    customer_ids : array-like
        One customer id per order.
    order_dates : array-like of dates, aligned
    period : {"month", "week", "quarter", "year"}

    Returns
    -------
    pandas.DataFrame
        Index "cohort" (period labels such as 2026-10), a column "customers" (cohort size) and
        columns 0..K with the shares.

    Raises
    ------
    InputError
        Bad ids or dates; a matrix of more than 1,200 periods a side (``MAX_COHORT_PERIODS``:
        dates over more than 100 years by month), refused before anything is allocated.

    Examples
    --------
    >>> m = cohort_retention(["a", "b", "a", "b", "c"],
    ...                      ["2026-01-05", "2026-01-20", "2026-02-01", "2026-03-03", "2026-02-10"])
    >>> m.loc["2026-01"].tolist()
    [2.0, 1.0, 0.5, 0.5]
    >>> m.loc["2026-02"].tolist()
    [1.0, 1.0, 0.0, nan]
    """
    import pandas as pd

    P.check_kind(period)
    ids, dates = ids_and_dates(customer_ids, order_dates)
    if ids.size == 0:
        return pd.DataFrame({"customers": []}, index=pd.Index([], name="cohort"))
    codes, n_codes = customer_codes(ids)
    ordinals = P.ordinals(period, dates)
    start, end = int(ordinals.min()), int(ordinals.max())
    width = end - start + 1
    if width > MAX_COHORT_PERIODS:
        first, last = P.labels(period, [start, end])
        raise InputError(f"the cohort matrix would have {width:,} {period}s a side ({first} to "
                         f"{last}); the limit is {MAX_COHORT_PERIODS:,} periods: choose a "
                         "longer period or fewer dates", argument="order_dates")
    # One int64 key per (customer, period); the distinct keys are the customers' active periods.
    keys = codes.astype(np.int64) * width + (ordinals - start)
    if n_codes * width <= 400_000_000:  # a bitmap: linear time, keys come out sorted
        seen = np.zeros(n_codes * width, dtype=bool)
        seen[keys] = True
        active = np.flatnonzero(seen)
    else:
        active = np.unique(keys)
    customer, offset = np.divmod(active, width)
    first = np.full(n_codes, width, dtype=np.int64)
    np.minimum.at(first, customer, offset)
    cohort = first[customer]
    cells = np.bincount(cohort * width + (offset - cohort), minlength=width * width)
    return cohort_shares(cells.reshape(width, width), P.labels(period, range(start, end + 1)))


def cohort_shares(counts, labels):
    """The cohort matrix from its counts: ``counts[c, k]`` customers of cohort c (the i-th
    period) who ordered k periods after their first; shares of the cohort's size
    (``counts[c, 0]``), NaN where period c + k lies after the last period (not yet observable).

    The one home of the shares, for :func:`cohort_retention` and the period engine.

    Examples
    --------
    >>> cohort_shares(np.array([[4, 2], [5, 0]]), ["2026-01", "2026-02"]).values.tolist()
    [[4.0, 1.0, 0.5], [5.0, 1.0, nan]]
    """
    import pandas as pd

    counts = np.asarray(counts, dtype=float)
    width = counts.shape[0]
    sizes = counts[:, 0].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / np.where(sizes > 0, sizes, np.nan)[:, None]
    observable = np.arange(width)[:, None] + np.arange(width)[None, :] < width
    shares[~observable] = np.nan
    out = pd.DataFrame(shares, index=pd.Index(list(labels), name="cohort"),
                       columns=list(range(width)))
    out.insert(0, "customers", sizes)
    return out
