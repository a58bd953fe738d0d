"""Predictive customer value: BG/NBD for repeat purchases and "alive" probability, Gamma-Gamma
for spend per purchase, and the per-customer CLV they imply.

For non-contractual businesses (a shop, not a subscription): a customer's departure is never
observed, only their purchases. The models and their formulas:

- BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): while alive, a
  customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each repeat
  purchase they drop out for good with probability p ~ Beta(a, b).
- Gamma-Gamma (Fader, Hardie and Lee 2005b, "RFM and CLV: using iso-value curves"; Fader and
  Hardie 2013, "The Gamma-Gamma model of monetary value"): a customer's spend per purchase is
  Gamma(p, nu), nu ~ Gamma(q, v) across customers, independent of their purchase rate.

Each customer is summarised by frequency x (repeat purchase days), recency t_x (first to last
purchase), age T (first purchase to the end of the data) and the mean spend of their repeat
purchase days; see :func:`rfm_summary`. Both models are fitted by maximum likelihood in log
space (log-parameterised, with analytic gradients), so large counts neither overflow nor lose
precision.

scipy is imported inside the functions: ``import loyalty_xl`` stays light.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from loyalty_xl.errors import InputError, LoyaltyXLError
from loyalty_xl.kpis._dates import customer_ids as checked_ids
from loyalty_xl.kpis._dates import to_dates
from loyalty_xl.kpis._inputs import choice, first_bad, quantity, to_float

#: Length of each time unit in days ("M" is an average month of 365.25 / 12 days).
UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
DAYS_PER_MONTH = 365.25 / 12
#: Customers with at least one repeat purchase that a fit needs (4 or 3 parameters).
MIN_REPEAT_CUSTOMERS = 10
# Where a fitted parameter "runs off": shape parameters outside 1e-4..1e5 (a likelihood that
# keeps improving towards 0 or infinity, e.g. nobody ever drops out), scales outside e^-25..e^25.
_SHAPE = (math.log(1e-4), math.log(1e5))
_SCALE = (-25.0, 25.0)


def _input_error(err: LoyaltyXLError) -> InputError:
    return InputError(err.reason, argument=err.argument, value=err.value,
                      position=err.position, has_value=err.has_value)


def _numbers(value, name, **checks) -> np.ndarray:
    """A flat float array checked by ``quantity`` (finite, no blanks, >= 0 by default)."""
    try:
        return np.ravel(quantity(value, name, **checks))
    except LoyaltyXLError as err:
        raise _input_error(err) from None


def _out(values, *inputs):
    """A float when every input was a single number, else the array."""
    if all(np.ndim(v) == 0 for v in inputs) and np.size(values) == 1:
        return float(np.ravel(values)[0])
    return values


def _unit_days(unit) -> float:
    return UNITS[choice(unit, "unit", tuple(UNITS))]


# --- the per-customer summary ----------------------------------------------------------------

def rfm_summary(customer_ids, dates, amounts, *, end=None, unit="W"):
    """Per-customer frequency, recency, age and mean repeat spend, from order rows.

    Orders are counted by day: all of a customer's orders on one day are one purchase (their
    amounts add up), as in the BG/NBD papers and the lifetimes package. Per customer:

    - ``frequency`` = purchase days - 1 (repeat purchases);
    - ``recency`` = last purchase day - first purchase day;
    - ``T`` = ``end`` - first purchase day;
    - ``monetary_value`` = mean of the repeat purchase days' totals (the first day excluded),
      0 for a customer without repeat purchases;

    times in ``unit`` (days, weeks or average months of 365.25 / 12 days).

    Parameters
    ----------
    customer_ids : array-like
        One customer id per order (text or whole numbers).
    dates : array-like of dates
        The order's date, aligned (date, datetime, numpy datetime64, ISO 8601 text); the time
        of day is ignored.
    amounts : array-like of numbers
        The order's amount, >= 0 (leave refunds out: they are not purchases).
    end : date, optional
        The end of the observation period; default the last order date. No order may be later.
    unit : {"W", "D", "M"}, default "W"

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (``customer``, sorted when the ids can be sorted), columns
        ``frequency``, ``recency``, ``T``, ``monetary_value``; ``attrs["unit"]`` and
        ``attrs["end"]`` record the unit and end.

    Raises
    ------
    InputError
        Different lengths; an id, date or amount missing where the others are not; a negative
        amount; an order after ``end``; an unknown unit.

    Examples
    --------
    Customer a bought on 1 and 15 January (twice on the 15th), b once:

    >>> rfm_summary(["a", "a", "a", "b"],
    ...             ["2026-01-01", "2026-01-15", "2026-01-15", "2026-01-08"],
    ...             [10, 20, 5, 7], end="2026-01-29")
              frequency  recency    T  monetary_value
    customer
    a               1.0      2.0  4.0            25.0
    b               0.0      0.0  3.0             0.0
    """
    import pandas as pd

    unit_days = _unit_days(unit)
    try:
        ids, day_stamps, money, rows = _orders(customer_ids, dates, amounts)
    except LoyaltyXLError as err:
        raise (err if isinstance(err, InputError) else _input_error(err)) from None
    days = day_stamps.astype("datetime64[D]").astype(np.int64)
    if end is None:
        end_day = int(days.max()) if days.size else 0
    else:
        try:
            end_dates = to_dates([end] if not np.iterable(end) or isinstance(end, str)
                                 else end, "end")
        except LoyaltyXLError as err:
            raise _input_error(err) from None
        if end_dates.size != 1 or np.isnat(end_dates[0]):
            raise InputError("end must be one date", argument="end", value=end, has_value=True)
        end_day = int(end_dates[0].astype("datetime64[D]").astype(np.int64))
        i = first_bad(days > end_day)
        if i is not None:
            raise InputError("dates must not be later than end (filter the orders first)",
                             argument="dates", value=str(day_stamps[i].astype("datetime64[D]")),
                             position=int(rows[i]))
    codes, uniques = pd.factorize(ids)
    index = pd.Index(uniques, name="customer")
    n = len(uniques)
    if n == 0:
        out = pd.DataFrame({c: np.empty(0) for c in ("frequency", "recency", "T",
                                                     "monetary_value")}, index=index)
    else:
        lo = int(days.min())
        width = int(days.max()) - lo + 1
        keys = codes.astype(np.int64) * width + (days - lo)
        # Distinct (customer, day) keys come out sorted by customer, then day.
        if n * width <= 10_000_000:  # a bitmap (at most 90 MB): linear time
            totals_all = np.bincount(keys, weights=money, minlength=n * width)
            seen = np.zeros(n * width, dtype=bool)
            seen[keys] = True
            key_days = np.flatnonzero(seen)
            totals = totals_all[key_days]
        else:
            key_days, inverse = np.unique(keys, return_inverse=True)
            totals = np.bincount(inverse, weights=money, minlength=key_days.size)
        customer, day = np.divmod(key_days, width)
        purchase_days = np.bincount(customer, minlength=n)
        starts = np.concatenate(([0], np.cumsum(purchase_days)[:-1]))
        last_at = starts + purchase_days - 1
        first, last = day[starts] + lo, day[last_at] + lo
        frequency = (purchase_days - 1).astype(float)
        spend = np.bincount(customer, weights=totals, minlength=n) - totals[starts]
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(frequency > 0, spend / np.maximum(frequency, 1), 0.0)
        out = pd.DataFrame({"frequency": frequency,
                            "recency": (last - first) / unit_days,
                            "T": (end_day - first) / unit_days,
                            "monetary_value": np.maximum(monetary, 0.0)}, index=index)
        try:
            out = out.sort_index()
        except TypeError:  # ids of mixed kinds: order of first appearance
            pass
    out.attrs["unit"] = unit
    out.attrs["end"] = str(np.datetime64(end_day, "D")) if n or end is not None else None
    return out


def _orders(customer_ids, dates, amounts):
    """Aligned ids, dates and amounts, and each one's position in the input: rows blank in all
    three are skipped, partly blank rows are an error (dropping them would lose an order)."""
    ids, id_blank = checked_ids(customer_ids, "customer_ids")
    stamps = to_dates(dates, "dates")
    money = to_float(amounts, "amounts")
    if not ids.size == stamps.size == money.size:
        raise InputError("customer_ids, dates and amounts must have the same length",
                         argument="amounts", value=(ids.size, stamps.size, money.size),
                         has_value=True)
    date_blank, amount_blank = np.isnat(stamps), np.isnan(money)
    for blank, name, value in ((date_blank, "dates", stamps), (amount_blank, "amounts", money)):
        i = first_bad(blank != id_blank)
        if i is not None:
            missing, other = (("customer_ids", name) if id_blank[i] else (name, "customer_ids"))
            shown = ids[i] if not id_blank[i] else value[i]
            if isinstance(shown, np.datetime64):
                shown = str(shown.astype("datetime64[D]"))
            raise InputError(f"{missing} is blank where {other} is not", argument=missing,
                             value=shown.item() if hasattr(shown, "item") else shown,
                             position=i)
    rows = np.arange(ids.size)
    if id_blank.any():
        keep = ~id_blank
        ids, stamps, money, rows = ids[keep], stamps[keep], money[keep], rows[keep]
    bad = ~np.isfinite(money) | (money < 0)
    i = first_bad(bad)
    if i is not None:
        position = int(rows[i])
        reason = ("amounts must be >= 0 (refunds are not purchases: leave them out)"
                  if money[i] < 0 else "amounts must be finite numbers")
        raise InputError(reason, argument="amounts", value=float(money[i]), position=position)
    return ids, stamps, money, rows


# --- BG/NBD ----------------------------------------------------------------------------------

@dataclass
class BGNBDModel:
    """A fitted BG/NBD model (Fader, Hardie and Lee 2005).

    Purchase rate lambda ~ Gamma(shape r, rate alpha) (alpha in the data's time unit);
    dropout probability after each repeat purchase p ~ Beta(a, b).

    Examples
    --------
    The paper's CDNOW fit and its example customer (x = 2, t_x = 30.43, T = 38.86 weeks), who
    is expected to make 1.226 purchases in the next 39 weeks:

    >>> m = BGNBDModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> round(m.expected_purchases(39, 2, 30.43, 38.86), 3)
    1.226
    >>> round(m.probability_alive(2, 30.43, 38.86), 3)
    0.727
    >>> m.probability_alive([0, 2, 2], [0, 30.43, 5.0], [38.86, 38.86, 38.86]).round(3)
    array([1.   , 0.727, 0.124])
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = math.nan
    n: int = 0

    def _check(self, frequency, recency, T):
        x, tx, age = _checked_rft(frequency, recency, T)
        return x, tx, age

    def _log_odds_dead(self, x, tx, age):
        """log( a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) ) for x > 0, -inf for x = 0."""
        out = np.full(x.shape, -np.inf)
        pos = x > 0
        xp = x[pos]
        out[pos] = (math.log(self.a) - np.log(self.b + xp - 1)
                    + (self.r + xp) * (np.log(self.alpha + age[pos])
                                       - np.log(self.alpha + tx[pos])))
        return out

    def probability_alive(self, frequency, recency, T):
        """P(alive | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

        1 for a customer without repeat purchases (the BG/NBD assumption: dropout happens only
        after a repeat purchase). Arrays broadcast; returns an array.
        """
        from scipy.special import expit

        x, tx, age = self._check(frequency, recency, T)
        return _out(expit(-self._log_odds_dead(x, tx, age)), frequency, recency, T)

    def unconditional_expected_purchases(self, t):
        """E[X(t)]: expected repeat purchases of a new customer in their first ``t`` time units.

        ``(a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]`` (paper
        eq. 9): the conditional expectation of a customer just acquired (x = t_x = T = 0), and
        evaluated as one (see :meth:`expected_purchases`).
        """
        t_, t = t, _numbers(t, "t")
        zero = np.zeros(t.shape)
        return _out(self._conditional(t, zero, zero, zero, np.ones(t.shape)), t_)

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | x, t_x, T]: a customer's expected purchases in the next ``t`` time units.

        Paper eq. 10::

            (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
                                   2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * P(alive)

        Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the
        bracket into ``1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``: the hypergeometric
        function's first two parameters no longer grow with x, so large counts neither overflow
        nor lose precision.
        """
        t_, t = t, _numbers(t, "t")
        x, tx, age = self._check(frequency, recency, T)
        t, x, tx, age = np.broadcast_arrays(t, x, tx, age)
        return _out(self._conditional(t, x, tx, age), t_, frequency, recency, T)

    def _conditional(self, t, x, tx, age, alive=None):
        """expected_purchases on checked, broadcast arrays (P(alive) may be given)."""
        if alive is None:
            from scipy.special import expit

            alive = expit(-self._log_odds_dead(x, tx, age))
        return self._if_alive(x, t / (self.alpha + age)) * alive

    def _if_alive(self, x, c):
        """E[Y(t) | alive, x, T] with c = t / (alpha + T), once per distinct (x, c).

        Alive at T, a customer's lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x), and
        ``E[Y(t) | lambda, p] = (1 - exp(-lambda p t)) / p``, so

            E[Y(t) | alive] = E_p[(1 - (1 + p c)^-(r+x)) / p]
                            = (a+b+x-1)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)]

        with z = t / (alpha+T+t). The closed form is used where scipy's hyp2f1 gives a value in
        the possible range 0 .. (r+x) c; elsewhere (a close to 1, very large a and b, or
        hyp2f1 failing) the expectation over p is integrated numerically (:func:`_over_p`).
        """
        from scipy.special import hyp2f1

        x, c = np.broadcast_arrays(np.asarray(x, float), np.asarray(c, float))
        shape = x.shape
        x, c = x.ravel(), c.ravel()
        inverse = None
        if x.size > 64:
            inverse, first = _distinct(x, c)
            x, c = x[first], c[first]
        a, b, r = self.a, self.b, self.r
        z = c / (1 + c)
        with np.errstate(all="ignore"):
            values = (a + b + x - 1) / (a - 1) * (1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp2f1(
                a + b - 1 - r, a - 1, a + b + x - 1, z))
            top = (r + x) * c
        values = np.where(c == 0, 0.0, values)
        bad = ~(np.isfinite(values) & (values >= 0) & (values <= top * (1 + 1e-9)))
        if abs(a - 1) < 1e-3:
            bad[:] = True
        if bad.any():
            values[bad] = _over_p(r + x[bad], a, b + x[bad], c[bad])
        if not np.all(np.isfinite(values)):
            raise InputError("the BG/NBD expectation is not finite for these parameters "
                             f"(r={r:.4g}, alpha={self.alpha:.4g}, a={a:.4g}, b={b:.4g})")
        out = values if inverse is None else values[inverse]
        return out.reshape(shape)


_NODES = 256


@functools.lru_cache(maxsize=2)
def _legendre(n):
    """Gauss-Legendre nodes and weights on (0, 1)."""
    u, w = np.polynomial.legendre.leggauss(n)
    return (u + 1) / 2, w / 2


def _over_p(k, a, b, c):
    """E[(1 - (1 + p c)^-k) / p] for p ~ Beta(a, b), by Gauss-Legendre in the Beta's quantile
    scale (p = F^-1(u)), where the integrand is bounded (0 .. k c) and monotone."""
    from scipy.special import betaincinv

    u, w = _legendre(_NODES)
    distinct_b, inverse = np.unique(np.asarray(b, float), return_inverse=True)
    k, c = (np.asarray(v, float)[:, None] for v in (k, c))
    with np.errstate(all="ignore"):
        p = betaincinv(a, distinct_b[:, None], u[None, :])[inverse.ravel()]  # once per b
        f = np.where(p > 0, -np.expm1(-k * np.log1p(p * c)) / np.where(p > 0, p, 1), k * c)
    return f @ w


def _distinct(*columns):
    """Codes of the distinct rows of aligned columns, and the position of each one's first row."""
    import pandas as pd

    codes = np.zeros(columns[0].size, dtype=np.int64)
    for column in columns:  # codes stay below the row count: no overflow
        column_codes, uniques = pd.factorize(column)
        codes = pd.factorize(codes * len(uniques) + column_codes)[0]
    first = np.full(codes.max() + 1 if codes.size else 0, codes.size, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(codes.size))
    return codes, first


def _checked_rft(frequency, recency, T, *, broadcast=True):
    x = _numbers(frequency, "frequency", whole=True)
    tx = _numbers(recency, "recency")
    age = _numbers(T, "T")
    sizes = {x.size, tx.size, age.size}
    if len(sizes - {1} if broadcast else sizes) > 1:
        raise InputError("frequency, recency and T must have the same length", argument="T",
                         value=(x.size, tx.size, age.size), has_value=True)
    x, tx, age = np.broadcast_arrays(x, tx, age)
    i = first_bad(tx > age)
    if i is not None:
        raise InputError("recency must not exceed T (the customer's age)", argument="recency",
                         value=float(tx[i]), position=i)
    i = first_bad((x > 0) & (tx == 0))
    if i is not None:
        raise InputError("recency must be > 0 for a customer with repeat purchases (frequency "
                         "> 0)", argument="recency", value=0.0, position=i, has_value=True)
    i = first_bad((x == 0) & (tx > 0))
    if i is not None:
        raise InputError("recency must be 0 for a customer without repeat purchases",
                         argument="recency", value=float(tx[i]), position=i)
    return x, tx, age


def fit_bgnbd(frequency, recency, T):
    """Fit the BG/NBD model by maximum likelihood.

    Per customer (paper eq. 6, in log space)::

        L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / Gamma(r)
            * [ (alpha+T)^-(r+x) + [x > 0] a/(b+x-1) (alpha+t_x)^-(r+x) ]

    maximised over log r, log alpha, log a, log b (BFGS with the analytic gradient; the
    bracket with ``logaddexp``, the x-dependent gamma terms once per distinct x).

    Parameters
    ----------
    frequency : array-like of whole numbers >= 0 (repeat purchases x)
    recency : array-like (t_x, first to last purchase; 0 when x = 0)
    T : array-like (age: first purchase to the end of the data), same time unit as recency

    Returns
    -------
    BGNBDModel
        ``r``, ``alpha`` (in the data's time unit), ``a``, ``b``, the maximised
        ``log_likelihood`` and ``n`` customers; methods ``expected_purchases``,
        ``probability_alive``, ``unconditional_expected_purchases``.

    Raises
    ------
    InputError
        Negative, fractional or blank values; recency > T; frequency > 0 with recency 0;
        fewer than 10 customers with repeat purchases; a fit that does not converge or whose
        parameters run off (the data cannot identify the model).

    References
    ----------
    Fader, Hardie and Lee (2005), "Counting your customers the easy way: an alternative to the
    Pareto/NBD model", Marketing Science 24(2).

    Examples
    --------
    129 customers observed for 40 weeks, as (x, t_x, number of customers):

    >>> import numpy as np
    >>> rows = [(0, 0, 60), (1, 5, 15), (1, 30, 10), (1, 2, 10), (2, 10, 8), (2, 35, 8),
    ...         (3, 8, 5), (4, 36, 5), (5, 12, 3), (6, 38, 3), (8, 39, 2)]
    >>> x, tx, count = (np.repeat(column, [c for *_, c in rows]) for column in zip(*rows))
    >>> m = fit_bgnbd(x, tx, np.full(x.size, 40))
    >>> m.n, round(m.r, 2), round(m.alpha, 2), round(m.a, 2), round(m.b, 2)
    (129, 0.36, 4.87, 1.41, 2.41)
    >>> round(m.expected_purchases(52, 2, 35, 40), 2)   # next year, bought 5 weeks ago
    1.23

    Too little data is an error, not a guess:

    >>> fit_bgnbd([0, 1, 2], [0, 5, 9], [10, 10, 10])
    Traceback (most recent call last):
    ...
    loyalty_xl.errors.InputError: the BG/NBD model needs at least 10 customers with repeat purchases; got 2
    """
    x, tx, age = _checked_rft(frequency, recency, T, broadcast=False)
    repeaters = int(np.count_nonzero(x > 0))
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise InputError(f"the BG/NBD model needs at least {MIN_REPEAT_CUSTOMERS} customers with "
                         "repeat purchases", argument="frequency", value=repeaters,
                         has_value=True)
    if not np.any(age > 0):
        raise InputError("the BG/NBD model needs customers observed for some time (T > 0)",
                         argument="T")
    objective = _BGNBDLikelihood(x, tx, age)
    mean_rate = max(x.mean(), 1e-3) / max(age.mean(), 1e-9)
    starts = np.log([[1.0, 1.0 / mean_rate, 1.0, 1.0], [0.25, 0.25 / mean_rate, 0.8, 2.5],
                     [1.0, 1.0 / mean_rate, 2.0, 20.0]])
    params, ll = _maximise(objective, starts, "BG/NBD", ("r", "alpha", "a", "b"),
                           [_SHAPE, _SCALE, _SHAPE, _SHAPE])
    r, alpha, a, b = params
    return BGNBDModel(r=r, alpha=alpha, a=a, b=b, log_likelihood=ll, n=int(x.size))


class _BGNBDLikelihood:
    """Minus the mean log-likelihood and its gradient in log-parameters."""

    def __init__(self, x, tx, age):
        # Customers with the same (x, t_x, T) contribute the same terms: each distinct row
        # once, weighted by how many customers have it.
        self.n = x.size
        self.ux, self.count = np.unique(x, return_counts=True)
        pos = x > 0
        self.zero_T, self.zero_w = np.unique(age[~pos], return_counts=True)
        x, tx, age = x[pos], tx[pos], age[pos]
        codes, first = _distinct(x, tx, age) if x.size > 64 else (np.arange(x.size),
                                                                  np.arange(x.size))
        self.w = np.bincount(codes, minlength=first.size).astype(float)
        self.x, self.tx, self.T = x[first], tx[first], age[first]

    def __call__(self, theta):
        from scipy.special import betaln, digamma, gammaln

        if np.any(np.abs(theta) > 60):  # far beyond any plausible value: refuse the step
            return np.inf, np.zeros_like(theta)
        r, alpha, a, b = np.exp(theta)
        n, ux, count = self.n, self.ux, self.count
        x, tx, T = self.x, self.tx, self.T
        # Terms that depend on x only: once per distinct x.
        ll = (count @ (gammaln(r + ux) + betaln(a, b + ux))
              + n * (r * math.log(alpha) - gammaln(r) - betaln(a, b)))
        g_r = count @ digamma(r + ux) + n * (math.log(alpha) - digamma(r))
        g_a = count @ (digamma(a + b) - digamma(a + b + ux))
        g_b = count @ (digamma(b + ux) - digamma(a + b + ux)) + n * (digamma(a + b) - digamma(b))
        g_alpha = n * r / alpha
        # Customers without repeat purchases: the bracket is (alpha+T)^-r.
        # (Weighted sums as multiply-and-sum, not BLAS dot products: a threaded BLAS spins
        # and slows everything down on a busy machine.)
        log_zero = np.sum(self.zero_w * np.log(alpha + self.zero_T))
        ll -= r * log_zero
        g_r -= log_zero
        g_alpha -= r * np.sum(self.zero_w / (alpha + self.zero_T))
        # Repeat customers: log of the two-term bracket, by logaddexp.
        log_T, log_tx = np.log(alpha + T), np.log(alpha + tx)
        rx = r + x
        a3 = -rx * log_T
        a4 = math.log(a) - np.log(b + x - 1) - rx * log_tx
        lse = np.logaddexp(a3, a4)
        w4 = np.exp(a4 - lse)
        w3 = 1.0 - w4
        w = self.w
        ll += np.sum(w * lse)
        g_r -= np.sum(w * (w3 * log_T + w4 * log_tx))
        g_alpha -= np.sum(w * rx * (w3 / (alpha + T) + w4 / (alpha + tx)))
        g_a += np.sum(w * w4) / a
        g_b -= np.sum(w * w4 / (b + x - 1))
        grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
        return -ll / n, -grad / n

    def log_likelihood(self, theta):
        return -self(theta)[0] * self.n


def _maximise(objective, starts, model, names, bounds):
    """Minimise ``objective`` (value and gradient) over log-parameters from each start in turn
    until one converges (the others are for when it does not); check that the optimum is
    inside the parameter space."""
    from scipy.optimize import minimize

    low = np.array([lo for lo, _ in bounds])
    high = np.array([hi for _, hi in bounds])

    def check_edge(x):
        edge = (x <= low) | (x >= high)
        if edge.any():
            k = int(np.argmax(edge))
            raise InputError(f"the data cannot support a {model} fit: parameter {names[k]} runs "
                             f"off to {'0' if x[k] <= low[k] else 'infinity'}")

    best, why, last = None, "the likelihood is not finite", None
    for start in starts:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                res = minimize(objective, start, jac=True, method="BFGS",
                               options={"maxiter": 1000, "gtol": 1e-9})
            except (ValueError, FloatingPointError, OverflowError, ZeroDivisionError):
                continue
        grad = np.asarray(res.jac, float)
        if not (np.all(np.isfinite(res.x)) and np.isfinite(res.fun) and np.all(np.isfinite(grad))):
            continue
        # BFGS may stop in a line search at the optimum (no further progress at this
        # precision): a vanishing gradient is convergence too.
        if res.success or np.max(np.abs(grad)) < 1e-5:
            best = res
            break
        why = f"the optimiser stopped: {' '.join(str(res.message).split()).rstrip(':.')}"
        last = res
    if best is None:
        if last is not None:
            check_edge(last.x)  # stopped while running off: say which parameter
        raise InputError(f"the {model} model did not converge on this data, which may not "
                         f"support it ({why})")
    check_edge(best.x)
    params = [float(v) for v in np.exp(best.x)]
    return params, float(objective.log_likelihood(best.x))


# --- Gamma-Gamma -----------------------------------------------------------------------------

@dataclass
class GammaGammaModel:
    """A fitted Gamma-Gamma model of spend per purchase (Fader, Hardie and Lee 2005b).

    Spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, v) across customers; the mean spend of
    the population is ``p v / (q - 1)`` (finite only for q > 1).

    Examples
    --------
    The note's CDNOW fit; a customer with 2 repeat purchases averaging 22.35:

    >>> m = GammaGammaModel(p=6.25, q=3.74, v=15.44)
    >>> round(m.conditional_expected_average_profit(2, 22.35), 2)
    24.66
    >>> round(m.mean_spend, 2)
    35.22
    """

    p: float
    q: float
    v: float
    log_likelihood: float = math.nan
    n: int = 0

    @property
    def mean_spend(self) -> float:
        """E[M] = p v / (q - 1): the population's mean spend per purchase (inf for q <= 1)."""
        return self.p * self.v / (self.q - 1) if self.q > 1 else math.inf

    def conditional_expected_average_profit(self, frequency, monetary_value):
        """E[M | x, m_x] = p (v + x m_x) / (p x + q - 1): a customer's expected spend per purchase.

        A weighted mean of the population mean ``p v / (q-1)`` and the customer's own mean
        ``m_x``, with weight ``p x / (p x + q - 1)`` on their own. For x = 0 it is the population
        mean, which needs q > 1.
        """
        x = _numbers(frequency, "frequency", whole=True)
        m = _numbers(monetary_value, "monetary_value")
        if x.size != m.size and 1 not in (x.size, m.size):
            raise InputError("frequency and monetary_value must have the same length",
                             argument="monetary_value", value=(x.size, m.size), has_value=True)
        x, m = np.broadcast_arrays(x, m)
        denominator = self.p * x + self.q - 1
        i = first_bad(denominator <= 0)
        if i is not None:
            raise InputError(f"the spend model has no finite mean (q = {self.q:.3g} <= 1), so it "
                             "cannot predict spend for customers without repeat purchases",
                             argument="frequency", value=float(x[i]), position=i)
        return _out(self.p * (self.v + x * m) / denominator, frequency, monetary_value)


def fit_gamma_gamma(frequency, monetary_value):
    """Fit the Gamma-Gamma spend model by maximum likelihood on the repeat customers.

    Only customers with frequency x > 0 carry information (their mean repeat spend m_x); the
    others are skipped. Per customer (Fader and Hardie 2013, eq. 3, in log space)::

        f(m_x | p, q, v; x) = Gamma(p x + q) / (Gamma(p x) Gamma(q))
                              * v^q x^(p x) m_x^(p x - 1) / (v + x m_x)^(p x + q)

    maximised over log p, log q, log v with the analytic gradient.

    Parameters
    ----------
    frequency : array-like of whole numbers >= 0 (repeat purchases x)
    monetary_value : array-like of numbers >= 0 (mean spend of the repeat purchases), aligned

    Returns
    -------
    GammaGammaModel
        ``p``, ``q``, ``v``, the maximised ``log_likelihood`` and ``n`` repeat customers used;
        method ``conditional_expected_average_profit``.

    Raises
    ------
    InputError
        Negative, fractional or blank values; a repeat customer with monetary_value 0; fewer
        than 10 repeat customers; a fit that does not converge or whose parameters run off
        (e.g. every repeat customer spends the same).

    References
    ----------
    Fader, Hardie and Lee (2005b), "RFM and CLV: using iso-value curves for customer base
    analysis", Journal of Marketing Research 42(4); Fader and Hardie (2013), "The Gamma-Gamma
    model of monetary value".

    Examples
    --------
    500 repeat customers simulated from p = 6, q = 4, v = 15 (mean spend 30):

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(1, 6, 500)                 # repeat purchases
    >>> nu = rng.gamma(4.0, 1 / 15.0, 500)          # each customer's spend rate
    >>> m = rng.gamma(6.0 * x, 1 / (nu * x))        # mean of x spends ~ Gamma(6, nu)
    >>> g = fit_gamma_gamma(x, m)
    >>> g.n, round(g.p, 1), round(g.q, 1), round(g.v, 1), round(g.mean_spend, 2)
    (500, 5.6, 4.9, 20.5, 29.71)
    >>> round(g.conditional_expected_average_profit(3, 20.0), 2)  # 3 purchases, mean 20
    21.81

    A dozen customers cannot show how spend varies between customers:

    >>> fit_gamma_gamma([1, 2, 3, 1, 4, 2, 1, 5, 2, 3, 1, 2],
    ...                 [20, 35, 28, 50, 31, 22, 18, 40, 27, 33, 60, 25])
    Traceback (most recent call last):
    ...
    loyalty_xl.errors.InputError: the data cannot support a Gamma-Gamma fit: parameter q runs off to infinity
    """
    x = _numbers(frequency, "frequency", whole=True)
    m = _numbers(monetary_value, "monetary_value")
    if x.size != m.size:
        raise InputError("frequency and monetary_value must have the same length",
                         argument="monetary_value", value=(x.size, m.size), has_value=True)
    i = first_bad((x > 0) & (m <= 0))
    if i is not None:
        raise InputError("monetary_value must be > 0 for a customer with repeat purchases",
                         argument="monetary_value", value=float(m[i]), position=i)
    pos = x > 0
    x, m = x[pos], m[pos]
    if x.size < MIN_REPEAT_CUSTOMERS:
        raise InputError(f"the Gamma-Gamma model needs at least {MIN_REPEAT_CUSTOMERS} customers "
                         "with repeat purchases", argument="frequency", value=int(x.size),
                         has_value=True)
    objective = _GammaGammaLikelihood(x, m)
    mean = float(np.mean(m))
    starts = np.log([[1.0, 2.0, mean], [5.0, 4.0, mean], [1.0, 10.0, 10.0 * mean]])
    (p, q, v), ll = _maximise(objective, starts, "Gamma-Gamma", ("p", "q", "v"),
                              [_SHAPE, _SHAPE, _SCALE])
    return GammaGammaModel(p=p, q=q, v=v, log_likelihood=ll, n=int(x.size))


class _GammaGammaLikelihood:
    """Minus the mean log-likelihood and its gradient in log-parameters (repeat customers)."""

    def __init__(self, x, m):
        self.n = x.size
        self.x, self.m = x, m
        self.ux, self.count = np.unique(x, return_counts=True)
        log_m = np.log(m)
        self.sum_x_log_xm = float(np.sum(x * (np.log(x) + log_m)))
        self.sum_log_m = float(log_m.sum())
        self.xm = x * m

    def __call__(self, theta):
        from scipy.special import digamma, gammaln

        if np.any(np.abs(theta) > 60):  # far beyond any plausible value: refuse the step
            return np.inf, np.zeros_like(theta)
        p, q, v = np.exp(theta)
        n, ux, count = self.n, self.ux, self.count
        px = p * ux
        log_v_xm = np.log(v + self.xm)
        pxq_each = p * self.x + q
        ll = (count @ (gammaln(px + q) - gammaln(px)) + n * (q * math.log(v) - gammaln(q))
              + p * self.sum_x_log_xm - self.sum_log_m - np.sum(pxq_each * log_v_xm))
        g_p = (count @ (ux * (digamma(px + q) - digamma(px))) + self.sum_x_log_xm
               - np.sum(self.x * log_v_xm))
        g_q = count @ digamma(px + q) + n * (math.log(v) - digamma(q)) - log_v_xm.sum()
        g_v = n * q / v - np.sum(pxq_each / (v + self.xm))
        grad = np.array([g_p * p, g_q * q, g_v * v])
        return -ll / n, -grad / n

    def log_likelihood(self, theta):
        return -self(theta)[0] * self.n


# --- predicted customer lifetime value -------------------------------------------------------

def predict_clv(summary, *, horizon_months=12, discount=0.0, margin=1.0, bgnbd=None,
                gamma_gamma=None):
    """Per customer: expected purchases, P(alive), expected spend and predicted CLV.

    As lifetimes' ``customer_lifetime_value``: the horizon is cut into months; month i's
    expected purchases are E[Y(i months)] - E[Y(i-1 months)] (BG/NBD, conditional on the
    customer's history), valued at the customer's expected spend per purchase (Gamma-Gamma)
    and discounted at the monthly rate::

        CLV = margin * E[M | x, m_x] * sum_{i=1..H} (E[Y(i)] - E[Y(i-1)]) / (1 + discount)^i

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`rfm_summary`: columns ``frequency``, ``recency``, ``T``, ``monetary_value``,
        one row per customer; its ``attrs["unit"]`` (default "W") is the time unit.
    horizon_months : int, default 12
    discount : float, default 0
        Monthly discount rate, 0 <= discount < 1 (0.01 = 1% per month).
    margin : float, default 1
        Share of spend kept as profit, 0..1 (1 = revenue).
    bgnbd, gamma_gamma : fitted models, optional
        Default: fitted to ``summary`` (:func:`fit_bgnbd`; :func:`fit_gamma_gamma` on the repeat
        customers whose repeat purchases total more than 0).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``summary``: ``expected_purchases`` (over the horizon), ``p_alive``,
        ``expected_spend`` (per purchase), ``clv``; ``attrs["bgnbd"]``, ``attrs["gamma_gamma"]``
        hold the models, ``attrs["notes"]`` what the spend fit left out.

    Raises
    ------
    InputError
        A summary without those columns; bad options; data the models cannot fit.

    Examples
    --------
    With the papers' CDNOW fits, the example customer's next 12 months:

    >>> import pandas as pd
    >>> s = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86],
    ...                   "monetary_value": [22.35]}, index=pd.Index([1], name="customer"))
    >>> out = predict_clv(s, bgnbd=BGNBDModel(0.243, 4.414, 0.793, 2.426),
    ...                   gamma_gamma=GammaGammaModel(6.25, 3.74, 15.44))
    >>> out.round(3)
              expected_purchases  p_alive  expected_spend     clv
    customer
    1                      1.563    0.727          24.664  38.552
    """
    import pandas as pd

    if not isinstance(summary, pd.DataFrame):
        raise InputError("summary must be a table from rfm_summary (a pandas DataFrame)",
                         argument="summary", value=type(summary).__name__, has_value=True)
    missing = [c for c in ("frequency", "recency", "T", "monetary_value")
               if c not in summary.columns]
    if missing:
        raise InputError(f"summary lacks the column {missing[0]!r} (use rfm_summary)",
                         argument="summary")
    horizon = _numbers(horizon_months, "horizon_months", whole=True, minimum=1)
    rate = _numbers(discount, "discount", maximum=0.999999)
    share = _numbers(margin, "margin", maximum=1.0)
    if horizon.size != 1 or rate.size != 1 or share.size != 1:
        raise InputError("horizon_months, discount and margin must be single numbers")
    months, rate, share = int(horizon[0]), float(rate[0]), float(share[0])
    if months > 1200:
        raise InputError("horizon_months must be at most 1200 (100 years)",
                         argument="horizon_months", value=months)
    for name, model, kind in (("bgnbd", bgnbd, BGNBDModel),
                              ("gamma_gamma", gamma_gamma, GammaGammaModel)):
        if model is not None and not isinstance(model, kind):
            raise InputError(f"{name} must be a fitted model from fit_{name}",
                             argument=name, value=type(model).__name__, has_value=True)
    unit_days = _unit_days(summary.attrs.get("unit", "W"))
    x, tx, age = _checked_rft(summary["frequency"], summary["recency"], summary["T"],
                              broadcast=False)
    m = _numbers(summary["monetary_value"], "monetary_value")
    notes = []
    if bgnbd is None:
        bgnbd = fit_bgnbd(x, tx, age)
    if gamma_gamma is None:
        spenders = (x > 0) & (m > 0)
        left = int(np.count_nonzero((x > 0) & ~spenders))
        if left:
            notes.append(f"{left} repeat customers whose repeat purchases total 0 are left out "
                         "of the spend model's fit")
        gamma_gamma = fit_gamma_gamma(x[spenders], m[spenders])
    step = DAYS_PER_MONTH / unit_days
    p_alive = bgnbd.probability_alive(x, tx, age)
    spend = gamma_gamma.conditional_expected_average_profit(x, m)
    # E[Y(t) | alive] depends on (x, T) only: each distinct pair once per month.
    codes, first = _distinct(x, age)
    cumulative = np.zeros(x.size)
    discounted = np.zeros(x.size)
    for i in range(1, months + 1):
        t = i * step
        now = bgnbd._if_alive(x[first], t / (bgnbd.alpha + age[first]))[codes] * p_alive
        discounted += (now - cumulative) / (1.0 + rate) ** i
        cumulative = now
    out = pd.DataFrame({"expected_purchases": cumulative, "p_alive": p_alive,
                        "expected_spend": spend, "clv": share * spend * discounted},
                       index=summary.index.copy())
    out.attrs.update(bgnbd=bgnbd, gamma_gamma=gamma_gamma, notes=notes,
                     unit=summary.attrs.get("unit", "W"), horizon_months=months)
    return out
