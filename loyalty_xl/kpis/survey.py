"""Survey KPIs: Net Promoter Score (with breakdown, interval and test), CSAT, CES, CLI."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from loyalty_xl.errors import InputError
from loyalty_xl.kpis._inputs import (
    Tally,
    answer_codes,
    blank_mask,
    checked_weights,
    choice,
    flag,
    is_real,
    tally,
    to_float,
    unscale,
)

NPS_METHODS = ("adjusted_wald", "wald")
CSAT_SCALES = {"1-5": (1, 5, 4), "1-7": (1, 7, 6), "1-10": (1, 10, 9), "0-10": (0, 10, 9)}
CES_SCALES = {"1-7": (1, 7, 5, 3), "1-5": (1, 5, 4, 2)}  # low, high, agree >=, low effort <=
CLI_POINTS = (100.0, 80.0, 60.0, 40.0, 20.0, 0.0)
# Adjusted Wald (Rocks 2016): n' = N + ADJUST_N, p' = (P + ADJUST_COUNT) / n', likewise d'.
ADJUST_N, ADJUST_COUNT = 3.0, 0.75
DEFAULT_CONFIDENCE = 0.95
CLI_QUESTIONS = ("recommend", "buy_again", "other_products")


class NPSBreakdown(NamedTuple):
    """Counts (weighted sums with weights) and shares of each group, the total and the NPS."""

    promoters: float
    passives: float
    detractors: float
    n: float
    promoter_share: float
    passive_share: float
    detractor_share: float
    nps: float


class NPSInterval(NamedTuple):
    """An NPS confidence interval, in points."""

    nps: float
    center: float
    low: float
    high: float
    standard_error: float
    confidence: float
    method: str


class NPSTest(NamedTuple):
    """Two-sided z test of the difference between two NPS (points)."""

    difference: float
    z: float
    p_value: float
    method: str


def _nps_groups(t: Tally):
    """(promoters, passives, detractors, total, Kish's effective n) from a 0-10 tally."""
    promoters, detractors, total = t.at_least(9), t.at_most(6), t.total
    return promoters, total - promoters - detractors, detractors, total, t.effective_n()


def nps_breakdown(scores, *, weights=None) -> NPSBreakdown:
    """Promoters (9-10), passives (7-8) and detractors (0-6): counts, shares and the NPS.

    ``share = count / n``; ``nps = 100 * (promoters - detractors) / n``. With weights, counts
    are sums of weights.

    Parameters
    ----------
    scores : array-like of whole numbers 0-10
        Answers to "How likely are you to recommend us?"; blanks are skipped.
    weights : array-like, optional
        One weight >= 0 per answer.

    Returns
    -------
    NPSBreakdown
        Shares and nps are NaN when there is no answer.

    Raises
    ------
    InputError
        A score that is not a whole number from 0 to 10, text, or a bad weight.

    Examples
    --------
    >>> b = nps_breakdown([10] * 90 + [8] * 70 + [3] * 40)
    >>> b.promoters, b.passives, b.detractors, b.n, b.nps
    (90.0, 70.0, 40.0, 200.0, 25.0)
    """
    t = tally(scores, "scores", 0, 10, weights)
    promoters, passives, detractors, total, _ = _nps_groups(t)
    counts = [t.weighted(c) for c in (promoters, passives, detractors, total)]
    if total == 0:
        return NPSBreakdown(*counts, *(math.nan,) * 4)
    return NPSBreakdown(*counts, promoters / total, passives / total, detractors / total,
                        100.0 * (promoters - detractors) / total)


def net_promoter_score(scores, *, weights=None) -> float:
    """Net Promoter Score in points, -100..100.

    ``NPS = 100 * (P - D) / N`` with P promoters (9-10), D detractors (0-6) and N answers.
    Weighted: ``100 * sum(w * s) / sum(w)`` with s = +1 for a promoter, 0 for a passive,
    -1 for a detractor.

    Parameters
    ----------
    scores : array-like of whole numbers 0-10
        Answers; blanks (None, NaN, empty text) are skipped.
    weights : array-like, optional
        One weight >= 0 per answer.

    Returns
    -------
    float
        NaN when there is no answer (or all weights are 0).

    Raises
    ------
    InputError
        A score that is not a whole number from 0 to 10, text, or a bad weight.

    See Also
    --------
    nps_breakdown, nps_interval, nps_difference_test

    Examples
    --------
    The source article's survey: 200 answers, 90 promoters, 70 passives, 40 detractors
    (the article prints 20; 45% - 20% is 25).

    >>> net_promoter_score([10] * 90 + [8] * 70 + [3] * 40)
    25.0
    >>> net_promoter_score([10, 0, None, 7], weights=[3, 1, None, 1])
    40.0
    """
    promoters, _, detractors, total, _ = _nps_groups(tally(scores, "scores", 0, 10, weights))
    return 100.0 * (promoters - detractors) / total if total else math.nan


def _shares(promoters, detractors, n, method):
    """(p, d, n) as used by the method: raw shares, or Rocks' adjusted shares."""
    if method == "adjusted_wald":
        n_adj = n + ADJUST_N
        return (promoters + ADJUST_COUNT) / n_adj, (detractors + ADJUST_COUNT) / n_adj, n_adj
    return promoters / n, detractors / n, n


def _nps_variance(t: Tally, method):
    """(NPS, centre, variance, n) of a 0-10 tally, shares as the method takes them."""
    promoters, _, detractors, total, n_eff = _nps_groups(t)
    if total == 0:
        return math.nan, math.nan, math.nan, math.nan
    # With weights, the shares are weighted and the sample size is Kish's effective n.
    p_share, d_share = promoters / total, detractors / total
    p, d, n = _shares(p_share * n_eff, d_share * n_eff, n_eff, method)
    center = p - d
    variance = max(p + d - center * center, 0.0)
    return 100.0 * (p_share - d_share), center, variance, n


def _interval(t: Tally, z: float, confidence, method) -> NPSInterval:
    nps, center, variance, n = _nps_variance(t, method)
    if math.isnan(nps):
        return NPSInterval(math.nan, math.nan, math.nan, math.nan, math.nan, confidence, method)
    se = math.sqrt(variance / n)
    low = max(-100.0, 100.0 * (center - z * se))
    high = min(100.0, 100.0 * (center + z * se))
    return NPSInterval(nps, 100.0 * center, low, high, 100.0 * se, confidence, method)


def nps_interval(scores, *, confidence=0.95, method="adjusted_wald", weights=None) -> NPSInterval:
    """Confidence interval of the NPS, in points, clipped to [-100, 100].

    Adjusted Wald (Rocks 2016, the default): ``n' = N + 3``, ``p' = (P + 0.75) / n'``,
    ``d' = (D + 0.75) / n'``, ``NPS' = p' - d'``, ``SE' = sqrt((p' + d' - NPS'^2) / n')``,
    interval ``NPS' +- z * SE'``. Plain Wald: ``SE = sqrt((p + d - (p - d)^2) / N)`` around
    the NPS. With weights, shares are weighted and N is Kish's effective sample size
    ``(sum w)^2 / sum w^2``.

    Parameters
    ----------
    scores : array-like of whole numbers 0-10
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.
    method : {"adjusted_wald", "wald"}
    weights : array-like, optional

    Returns
    -------
    NPSInterval
        ``nps`` (the plain score), ``center`` (NPS' for adjusted Wald), ``low``, ``high``,
        ``standard_error`` (points); all NaN when there is no answer.

    Raises
    ------
    InputError
        Bad scores or weights, a confidence outside (0, 1), an unknown method.

    References
    ----------
    Rocks, B. (2016). Interval Estimation for the "Net Promoter Score". The American
    Statistician 70(4), 365-372.

    Examples
    --------
    >>> answers = [10] * 90 + [8] * 70 + [3] * 40
    >>> ci = nps_interval(answers)
    >>> round(ci.center, 1), round(ci.low, 1), round(ci.high, 1)
    (24.6, 14.1, 35.2)
    >>> ci = nps_interval(answers, method="wald")
    >>> round(ci.standard_error, 2), round(ci.low, 1), round(ci.high, 1)
    (5.42, 14.4, 35.6)
    """
    t = tally(scores, "scores", 0, 10, weights)
    return nps_interval_counts(t.counts, square_sum=t.square_sum, confidence=confidence,
                               method=method)


def nps_interval_counts(counts, *, square_sum=None, confidence=0.95,
                        method="adjusted_wald") -> NPSInterval:
    """:func:`nps_interval` from aggregates: the (weighted) number of answers per score.

    The same formula as :func:`nps_interval` (which tallies its answers, then calls this), for
    answers counted elsewhere, e.g. by a database: ``counts[s]`` is the number of answers s
    (0..10), or their sum of weights; ``square_sum`` the sum of squared weights (Kish's
    effective n is ``sum(counts)^2 / square_sum``; default: unweighted, ``sum(counts)``).

    Parameters
    ----------
    counts : array-like of 11 numbers >= 0
    square_sum : float, optional
    confidence : float, default 0.95
    method : {"adjusted_wald", "wald"}

    Returns
    -------
    NPSInterval
        All NaN when the counts sum to 0.

    Raises
    ------
    InputError
        Counts that are not 11 finite numbers >= 0, a bad confidence or method.

    Examples
    --------
    >>> counts = [0, 0, 0, 40, 0, 0, 0, 0, 70, 0, 90]  # 40 threes, 70 eights, 90 tens
    >>> ci = nps_interval_counts(counts)
    >>> ci.nps, round(ci.low, 1), round(ci.high, 1)
    (25.0, 14.1, 35.2)
    """
    choice(method, "method", NPS_METHODS)
    z = _z_for(confidence)
    return _interval(_counted(counts, 0, 10, square_sum), z, confidence, method)


def _counted(counts, low, high, square_sum=None, name="counts") -> Tally:
    """A Tally from aggregated counts per answer low..high (checked: finite, >= 0)."""
    values = to_float(counts, name).astype(float).ravel()
    if values.size != high - low + 1 or not (np.isfinite(values) & (values >= 0)).all():
        raise InputError(f"{name} must be {high - low + 1} finite numbers >= 0, one per "
                         f"answer {low} to {high}", argument=name)
    squares = float(values.sum()) if square_sum is None else float(square_sum)
    if not squares >= 0:
        raise InputError("square_sum must be a number >= 0", argument="square_sum",
                         value=square_sum, has_value=True)
    return Tally(low, values, squares)


def nps_by_segment(scores, segments, *, confidence=0.95, method="adjusted_wald", weights=None):
    """NPS with its confidence interval for each segment (region, channel, product...).

    For each segment: ``n`` answers, ``nps`` and the interval of :func:`nps_interval`.
    Answers whose segment is blank are grouped under "(blank)" rather than dropped; blank
    answers are skipped.

    Parameters
    ----------
    scores : array-like of whole numbers 0-10
    segments : array-like, aligned with scores
        The segment of each answer (text or numbers).
    confidence : float, default 0.95
    method : {"adjusted_wald", "wald"}
    weights : array-like, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``segment``, ``n``, ``nps``, ``low``, ``high``; one row per segment with at
        least one answer, in order of first appearance.

    Raises
    ------
    InputError
        Bad scores or weights; segments of a different length.

    Examples
    --------
    >>> t = nps_by_segment([10, 9, 3, 8, 10], ["web", "web", "shop", "shop", None])
    >>> t[["segment", "n", "nps"]].values.tolist()
    [['web', 2.0, 100.0], ['shop', 2.0, -50.0], ['(blank)', 1.0, 100.0]]
    """
    import pandas as pd

    from loyalty_xl.kpis._dates import labels as checked_labels

    choice(method, "method", NPS_METHODS)
    _z_for(confidence)
    codes, answered = answer_codes(scores, "scores", 0, 10)
    labels = checked_labels(segments, "segments")
    if labels.size != codes.size:
        raise InputError("segments must have one value per score", argument="segments",
                         value=(labels.size, codes.size), has_value=True)
    labels = np.where(blank_mask(labels) | pd.isna(labels), "(blank)", labels.astype(object))
    w, scale = (None, 1.0) if weights is None else checked_weights(weights, codes.size,
                                                                    answered)
    if answered is not None:  # segments of blank answers must not appear as empty rows
        labels, codes = labels[answered], codes[answered]
        w = None if w is None else w[answered]
    group, names = pd.factorize(labels)
    cells = len(names) * 11
    counts = np.bincount(group * 11 + codes, weights=w, minlength=cells).reshape(-1, 11)
    squares = counts if w is None else np.bincount(group * 11 + codes, weights=w * w,
                                                   minlength=cells).reshape(-1, 11)
    table = nps_by_segment_counts(names, counts, square_sums=squares.sum(axis=1),
                                  confidence=confidence, method=method)
    if scale != 1.0:  # weights were divided by scale: n back in the weights' units
        table["n"] = [unscale(n, scale) for n in table["n"]]
    return table


def nps_by_segment_counts(segments, counts, *, square_sums=None, confidence=0.95,
                          method="adjusted_wald"):
    """:func:`nps_by_segment` from aggregates: one row of 11 (weighted) counts per segment.

    The same formula as :func:`nps_by_segment` (which tallies its answers, then calls this).

    Parameters
    ----------
    segments : sequence of labels, one per row of counts
    counts : array-like, shape (segments, 11)
        Answers (or sums of weights) per score 0..10.
    square_sums : array-like, optional
        Sum of squared weights per segment (default: unweighted).
    confidence : float, default 0.95
    method : {"adjusted_wald", "wald"}

    Returns
    -------
    pandas.DataFrame
        Columns ``segment``, ``n``, ``nps``, ``low``, ``high``, in the given order.

    Examples
    --------
    >>> t = nps_by_segment_counts(["web"], [[0] * 9 + [1, 1]])
    >>> t[["segment", "n", "nps"]].values.tolist()
    [['web', 2.0, 100.0]]
    """
    import pandas as pd

    choice(method, "method", NPS_METHODS)
    z = _z_for(confidence)
    table = np.asarray(counts, dtype=float).reshape(-1, 11)
    names = list(segments)
    if len(names) != table.shape[0]:
        raise InputError("segments must have one value per row of counts",
                         argument="segments", value=(len(names), table.shape[0]),
                         has_value=True)
    squares = [None] * len(names) if square_sums is None else list(np.ravel(square_sums))
    rows = []
    for name, row, square in zip(names, table, squares):
        ci = _interval(_counted(row, 0, 10, square), z, confidence, method)
        rows.append((name, float(row.sum()), ci.nps, ci.low, ci.high))
    return pd.DataFrame(rows, columns=["segment", "n", "nps", "low", "high"])


def _z_for(confidence) -> float:
    level = math.nan
    if is_real(confidence):
        try:
            level = float(confidence)
        except (TypeError, ValueError, ArithmeticError):
            pass
    if not 0 < level < 1:
        raise InputError("confidence must be a number between 0 and 1 (e.g. 0.95)",
                         argument="confidence", value=confidence, has_value=True)
    # From the tail: 0.5 + level / 2 rounds to 1 for a level within 1e-16 of 1.
    return -NormalDist().inv_cdf((1.0 - level) / 2)


def nps_difference_test(scores_a, scores_b, *, method="wald", weights_a=None,
                        weights_b=None) -> NPSTest:
    """Two-sided z test: is the NPS of group a different from group b?

    ``z = (NPS_a - NPS_b) / sqrt(var_a / n_a + var_b / n_b)`` with
    ``var = p + d - (p - d)^2`` on raw shares (``method="wald"``, the default) or on Rocks'
    adjusted shares (``method="adjusted_wald"``, better for small groups);
    ``p_value = 2 * (1 - Phi(|z|))``.

    Parameters
    ----------
    scores_a, scores_b : array-like of whole numbers 0-10
    method : {"wald", "adjusted_wald"}
    weights_a, weights_b : array-like, optional

    Returns
    -------
    NPSTest
        ``difference`` (NPS_a - NPS_b in points), ``z``, ``p_value``. NaN when a group has no
        answer, or when both groups have no variance and the same score. When both have no
        variance and different scores, z is undefined (NaN, never inf) and p_value is 0.

    Raises
    ------
    InputError
        Bad scores or weights, an unknown method.

    Examples
    --------
    >>> t = nps_difference_test([10] * 90 + [8] * 70 + [3] * 40, [10] * 60 + [8] * 80 + [3] * 60)
    >>> round(t.difference, 1), round(t.z, 3), round(t.p_value, 4)
    (25.0, 3.244, 0.0012)
    """
    choice(method, "method", ("wald", "adjusted_wald"))
    tally_a = tally(scores_a, "scores_a", 0, 10, weights_a, "weights_a")
    tally_b = tally(scores_b, "scores_b", 0, 10, weights_b, "weights_b")
    nps_a, center_a, var_a, n_a = _nps_variance(tally_a, method)
    nps_b, center_b, var_b, n_b = _nps_variance(tally_b, method)
    difference = nps_a - nps_b
    if math.isnan(difference):
        return NPSTest(math.nan, math.nan, math.nan, method)
    se = math.sqrt(var_a / n_a + var_b / n_b)
    shift = center_a - center_b
    if se == 0:  # both groups unanimous: z is undefined; p is 0 if they differ, else undefined
        return NPSTest(difference, math.nan, 0.0 if shift else math.nan, method)
    z = shift / se
    return NPSTest(difference, z, math.erfc(abs(z) / math.sqrt(2.0)), method)


def _scale(scale, table, name="scale"):
    if scale is None:
        raise InputError(f"{name} is required: one of {', '.join(map(repr, table))}",
                         argument=name)
    if not isinstance(scale, str) or scale not in table:
        raise InputError(f"{name} must be one of {', '.join(map(repr, table))} "
                         "(the scale is declared, never guessed)", argument=name,
                         value=scale, has_value=True)
    return table[scale]


def _share(part, total):
    return part / total if total else math.nan


def csat(scores, *, scale, threshold=None, weights=None) -> float:
    """Customer satisfaction: the share of satisfied answers (top-2-box), 0..1.

    ``CSAT = (answers >= threshold) / answers``. The default threshold is the top two boxes of
    the declared scale: 1-5 -> 4, 1-7 -> 6, 1-10 -> 9, 0-10 -> 9.

    Parameters
    ----------
    scores : array-like of whole numbers on the scale
    scale : {"1-5", "1-7", "1-10", "0-10"}
        Required: the scale is declared, never guessed from the data.
    threshold : int, optional
        The lowest satisfied answer, on the scale.
    weights : array-like, optional

    Returns
    -------
    float
        NaN when there is no answer.

    Raises
    ------
    InputError
        An answer off the scale, a threshold off the scale, an unknown scale.

    See Also
    --------
    csat_mean

    Examples
    --------
    >>> csat([5, 4, 3, 2, 5, None], scale="1-5")
    0.6
    >>> csat([5, 4, 3, 2, 5], scale="1-5", threshold=5)
    0.4
    """
    low, high, _ = _scale(scale, CSAT_SCALES)
    t = tally(scores, "scores", low, high, weights)
    return csat_counts(t.counts, scale=scale, threshold=threshold)


def csat_counts(counts, *, scale, threshold=None) -> float:
    """:func:`csat` from aggregates: the (weighted) number of answers per point of the scale.

    The same formula as :func:`csat` (which tallies its answers, then calls this).

    Parameters
    ----------
    counts : array-like, one number >= 0 per answer of the scale, lowest first
    scale : {"1-5", "1-7", "1-10", "0-10"}
    threshold : int, optional

    Returns
    -------
    float
        NaN when the counts sum to 0.

    Examples
    --------
    >>> csat_counts([0, 1, 1, 1, 2], scale="1-5")  # the answers 5, 4, 3, 2, 5
    0.6
    """
    low, high, default = _scale(scale, CSAT_SCALES)
    if threshold is None:
        threshold = default
    elif not is_real(threshold) or not low <= threshold <= high:
        raise InputError(f"threshold must be a number on the {scale} scale",
                         argument="threshold", value=threshold, has_value=True)
    t = _counted(counts, low, high)
    return _share(t.at_least(math.ceil(threshold)), t.total)


def csat_mean(scores, *, scale, weights=None) -> float:
    """Mean satisfaction score on the declared scale.

    ``mean = sum(w * s) / sum(w)`` over the answers given.

    Parameters
    ----------
    scores : array-like of whole numbers on the scale
    scale : {"1-5", "1-7", "1-10", "0-10"}
    weights : array-like, optional

    Returns
    -------
    float
        NaN when there is no answer.

    Raises
    ------
    InputError
        An answer off the scale or an unknown scale.

    Examples
    --------
    >>> csat_mean([5, 4, 3, 2, 5], scale="1-5")
    3.8
    """
    low, high, _ = _scale(scale, CSAT_SCALES)
    return tally(scores, "scores", low, high, weights).mean()


def customer_effort_score(scores, *, scale="1-7", method="mean", reverse=False,
                          weights=None) -> float:
    """Customer Effort Score: the mean of agreement answers to "made it easy for me".

    ``CES = mean(answers)`` on the 1-7 (default) or 1-5 scale, higher = easier. With
    ``method="share"``, the share agreeing: answers 5-7 on 1-7, 4-5 on 1-5. With
    ``reverse=True`` the answers are on the legacy effort scale ("how much effort did you
    have to put forth?", lower = better): the mean is reported as is (lower = better) and the
    share counts the low-effort answers (1-3 on 1-7, 1-2 on 1-5).

    Parameters
    ----------
    scores : array-like of whole numbers on the scale
    scale : {"1-7", "1-5"}
    method : {"mean", "share"}
    reverse : bool
    weights : array-like, optional

    Returns
    -------
    float
        NaN when there is no answer.

    Raises
    ------
    InputError
        An answer off the scale, an unknown scale or method.

    Examples
    --------
    >>> customer_effort_score([7, 6, 5, 2, 5])
    5.0
    >>> customer_effort_score([7, 6, 5, 2, 4], method="share")
    0.6
    >>> customer_effort_score([1, 2, 5], scale="1-5", method="share", reverse=True)
    0.6666666666666666
    """
    low, high, _, _ = _scale(scale, CES_SCALES)
    choice(method, "method", ("mean", "share"))
    flag(reverse, "reverse")
    t = tally(scores, "scores", low, high, weights)
    return customer_effort_score_counts(t.counts, scale=scale, method=method, reverse=reverse)


def customer_effort_score_counts(counts, *, scale="1-7", method="mean",
                                 reverse=False) -> float:
    """:func:`customer_effort_score` from aggregates: the (weighted) number of answers per
    point of the scale, lowest first.

    The same formula as :func:`customer_effort_score` (which tallies, then calls this).

    Parameters
    ----------
    counts : array-like, one number >= 0 per answer of the scale
    scale : {"1-7", "1-5"}
    method : {"mean", "share"}
    reverse : bool

    Returns
    -------
    float
        NaN when the counts sum to 0.

    Examples
    --------
    >>> customer_effort_score_counts([0, 1, 0, 0, 2, 1, 1])  # the answers 7, 6, 5, 2, 5
    5.0
    """
    low, high, agree_from, easy_upto = _scale(scale, CES_SCALES)
    choice(method, "method", ("mean", "share"))
    t = _counted(counts, low, high)
    if method == "mean":
        return t.mean()
    agreeing = t.at_most(easy_upto) if flag(reverse, "reverse") else t.at_least(agree_from)
    return _share(agreeing, t.total)


def customer_loyalty_index(recommend, buy_again, other_products, *, points=CLI_POINTS,
                           method="points", weights=None) -> float:
    """Customer Loyalty Index: three 1-6 answers (1 = best) turned into points and averaged.

    Per respondent, each answer a in 1..6 becomes ``points[a - 1]`` (default 100, 80, 60, 40,
    20, 0) and the respondent's score is the mean of the answers they gave; a respondent with a
    missing answer is scored on the answers given, one with none is skipped.
    ``CLI = mean over respondents`` (weighted with weights). ``method="mean"`` averages the raw
    1-6 answers instead (lower = more loyal).

    Parameters
    ----------
    recommend, buy_again, other_products : array-like of whole numbers 1-6
        One value per respondent, aligned ("how likely to recommend / buy again / try our
        other products", 1 = very likely).
    points : sequence of 6 numbers
        The points for answers 1..6 (the source's own table is not public).
    method : {"points", "mean"}
    weights : array-like, optional
        One weight per respondent.

    Returns
    -------
    float
        NaN when nobody answered.

    Raises
    ------
    InputError
        Answers off 1-6, inputs of different lengths, a bad points table.

    Examples
    --------
    Respondent 1 answers 1, 1, 1 (100 points); respondent 2 answers 2, 4 and skips the third
    ((80 + 40) / 2 = 60 points).

    >>> customer_loyalty_index([1, 2], [1, 4], [1, None])
    80.0
    >>> customer_loyalty_index([1, 2], [1, 4], [1, None], method="mean")
    2.0
    """
    choice(method, "method", ("points", "mean"))
    _cli_points(points)
    coded = [answer_codes(a, name, 1, 6) for a, name in
             zip((recommend, buy_again, other_products), CLI_QUESTIONS)]
    sizes = [codes.size for codes, _ in coded]
    if len(set(sizes)) > 1:
        raise InputError("recommend, buy_again and other_products must have one answer per "
                         "respondent each (the same length)", argument="other_products",
                         value=sizes, has_value=True)
    # Each respondent's three codes (0-5 for answers 1-6, 6 for blank) as one of 7^3 patterns:
    # count the patterns, score each pattern once.
    pattern = coded[0][0] * 49 + coded[1][0] * 7 + coded[2][0]
    answered = None
    if weights is not None:
        answered = (pattern != 342) if any(mask is not None for _, mask in coded) else None
        weights, _ = checked_weights(weights, pattern.size, answered)
    counts = np.bincount(pattern, weights=weights, minlength=343)
    answers = np.array(np.unravel_index(np.arange(343), (7, 7, 7)), dtype=float) + 1
    answers[answers == 7] = np.nan  # code 6: no answer
    return customer_loyalty_index_counts(*answers, counts, points=points, method=method)


def _cli_points(points):
    table = to_float(points, "points")
    if table.size != 6 or not np.isfinite(table).all():
        raise InputError("points must be 6 finite numbers, for answers 1 to 6",
                         argument="points", value=table.tolist(), has_value=True)
    if np.abs(table).max() > 1e300:
        raise InputError("points must be numbers from -1e300 to 1e300", argument="points",
                         value=table.tolist(), has_value=True)
    return table


def customer_loyalty_index_counts(recommend, buy_again, other_products, counts, *,
                                  points=CLI_POINTS, method="points") -> float:
    """:func:`customer_loyalty_index` from aggregates: answer patterns and how many
    respondents (or their sum of weights) gave each.

    The same formula as :func:`customer_loyalty_index` (which counts its respondents' patterns,
    then calls this): each pattern's score is the mean of its points over the answers given,
    ``CLI = sum(count * score) / sum(count)`` over patterns with an answer.

    Parameters
    ----------
    recommend, buy_again, other_products : array-like of whole numbers 1-6 or blanks
        One value per pattern, aligned.
    counts : array-like of numbers >= 0
        The (weighted) number of respondents with each pattern.
    points : sequence of 6 numbers
    method : {"points", "mean"}

    Returns
    -------
    float
        NaN when nobody answered.

    Examples
    --------
    >>> customer_loyalty_index_counts([1, 2], [1, 4], [1, None], [1, 1])
    80.0
    """
    choice(method, "method", ("points", "mean"))
    table = _cli_points(points)
    codes = [answer_codes(a, name, 1, 6)[0] for a, name in
             zip((recommend, buy_again, other_products), CLI_QUESTIONS)]
    weight = to_float(counts, "counts").astype(float).ravel()
    if len({c.size for c in codes} | {weight.size}) > 1:
        raise InputError("recommend, buy_again, other_products and counts must be aligned "
                         "(the same length)", argument="counts")
    if not (np.isfinite(weight) & (weight >= 0)).all():
        raise InputError("counts must be finite numbers >= 0", argument="counts")
    digits = np.array(codes)  # 3 x patterns, 6 = no answer
    value = np.append(table if method == "points" else np.arange(1.0, 7.0), 0.0)[digits]
    given = (digits < 6).sum(axis=0)
    score = value.sum(axis=0) / np.maximum(given, 1)
    total = weight[given > 0].sum()
    return float(np.dot(weight[given > 0], score[given > 0]) / total) if total else math.nan
