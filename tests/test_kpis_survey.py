"""Survey KPIs against hand-computed values and the spec's worked examples."""

import math

import numpy as np
import pandas as pd
import pytest

import loyalty_xl as lx
from loyalty_xl import LoyaltyXLError

ARTICLE = [10] * 90 + [8] * 70 + [3] * 40  # docs/kpis.md: 200 answers, 90/70/40


def test_net_promoter_score_article_example_is_25_not_20():
    assert lx.net_promoter_score(ARTICLE) == 25.0


def test_net_promoter_score_group_boundaries():
    # 9 and 10 promote, 7 and 8 are passive, 0-6 detract: 3 promoters, 2 detractors of 7.
    assert lx.net_promoter_score([9, 10, 10, 7, 8, 6, 0]) == pytest.approx(100 * 1 / 7)
    assert lx.net_promoter_score([10]) == 100.0
    assert lx.net_promoter_score([0, 6]) == -100.0
    assert lx.net_promoter_score([7, 8]) == 0.0


def test_net_promoter_score_skips_blanks_and_accepts_every_container():
    expected = 100 * (2 - 1) / 4
    for values in ([10, 9, None, 3, 7, float("nan")],
                   np.array([10, 9, np.nan, 3, 7]),
                   pd.Series([10, 9, None, 3, 7], dtype="Int64"),
                   pd.Series([10, 9, None, 3, 7, ""], dtype=object),
                   [[10, 9], [None, 3], [7, None]]):
        assert lx.net_promoter_score(values) == expected


def test_net_promoter_score_no_answers_is_nan():
    assert math.isnan(lx.net_promoter_score([]))
    assert math.isnan(lx.net_promoter_score([None, float("nan"), ""]))


def test_net_promoter_score_weighted_by_hand():
    # s = +1, -1, 0 with weights 3, 1, 1 -> (3 - 1) / 5 = 0.4 -> 40 points.
    assert lx.net_promoter_score([10, 0, 7], weights=[3, 1, 1]) == 40.0
    assert math.isnan(lx.net_promoter_score([10, 0], weights=[0, 0]))


@pytest.mark.parametrize("bad, message", [
    ([10, 11], "scores must be whole numbers from 0 to 10; got 11 at position 1"),
    ([7.5], "scores must be whole numbers from 0 to 10; got 7.5 at position 0"),
    ([-1], "got -1 at position 0"),
    ([5, "ten"], "scores must be numbers, not text; got 'ten' at position 1"),
    ([5, True], "scores must be numbers; got True at position 1"),
    ([float("inf")], "got inf at position 0"),
])
def test_net_promoter_score_rejects_bad_scores_with_one_line(bad, message):
    with pytest.raises(LoyaltyXLError) as info:
        lx.net_promoter_score(bad)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_net_promoter_score_rejects_bad_weights():
    with pytest.raises(LoyaltyXLError, match="weights must have one value per answer"):
        lx.net_promoter_score([10, 9], weights=[1])
    with pytest.raises(LoyaltyXLError, match="weights must be a number >= 0.*-1 at position 1"):
        lx.net_promoter_score([10, 9], weights=[1, -1])
    with pytest.raises(LoyaltyXLError, match="weights is blank where there is an answer"):
        lx.net_promoter_score([10, 9], weights=[1, None])
    # A blank weight next to a blank answer is fine.
    assert lx.net_promoter_score([10, None], weights=[2, None]) == 100.0


def test_nps_breakdown_counts_and_shares():
    b = lx.nps_breakdown(ARTICLE)
    assert (b.promoters, b.passives, b.detractors, b.n) == (90, 70, 40, 200)
    assert (b.promoter_share, b.passive_share, b.detractor_share) == (0.45, 0.35, 0.2)
    assert b.nps == 25.0
    empty = lx.nps_breakdown([])
    assert empty.n == 0 and math.isnan(empty.promoter_share) and math.isnan(empty.nps)


def test_nps_breakdown_weighted_counts_are_weight_sums():
    b = lx.nps_breakdown([10, 8, 2], weights=[2, 0.5, 1.5])
    assert (b.promoters, b.passives, b.detractors, b.n) == (2, 0.5, 1.5, 4)


def test_nps_interval_article_example_adjusted_wald():
    ci = lx.nps_interval(ARTICLE)
    # Hand: n' = 203, p' = 90.75/203, d' = 40.75/203, NPS' = 50/203 = 0.246305,
    # SE' = sqrt((131.5/203 - (50/203)^2) / 203) = 0.0537792, z = 1.959964.
    assert ci.nps == 25.0
    assert ci.center == pytest.approx(100 * 50 / 203)
    assert ci.standard_error == pytest.approx(5.37792, abs=1e-5)
    assert ci.low == pytest.approx(14.0901, abs=1e-3)
    assert ci.high == pytest.approx(35.1709, abs=1e-3)
    assert (round(ci.center, 1), round(ci.low, 1), round(ci.high, 1)) == (24.6, 14.1, 35.2)


def test_nps_interval_article_example_wald():
    ci = lx.nps_interval(ARTICLE, method="wald")
    # SE = sqrt((0.65 - 0.0625) / 200) = 0.0541987 -> 5.42 points; 25 +- 1.959964 * 5.41987
    assert ci.standard_error == pytest.approx(5.41987, abs=1e-5)
    assert ci.low == pytest.approx(25 - 1.959964 * 5.41987, abs=1e-4)
    assert (round(ci.low, 1), round(ci.high, 1)) == (14.4, 35.6)


def test_nps_interval_confidence_level_and_clipping():
    narrow = lx.nps_interval(ARTICLE, confidence=0.80)
    wide = lx.nps_interval(ARTICLE, confidence=0.99)
    assert wide.low < narrow.low < narrow.high < wide.high
    clipped = lx.nps_interval([10] * 5, method="wald")  # SE 0, but adjusted is not
    assert (clipped.low, clipped.high) == (100.0, 100.0)
    assert lx.nps_interval([10], confidence=0.99).high == 100.0  # clipped to 100
    assert math.isnan(lx.nps_interval([]).low)


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, "high", None])
def test_nps_interval_rejects_bad_confidence(confidence):
    with pytest.raises(LoyaltyXLError, match="confidence must be a number between 0 and 1"):
        lx.nps_interval(ARTICLE, confidence=confidence)


def test_nps_interval_rejects_unknown_method():
    with pytest.raises(LoyaltyXLError, match="method must be one of 'adjusted_wald', 'wald'"):
        lx.nps_interval(ARTICLE, method="bootstrap")


def test_nps_interval_weighted_uses_kish_effective_n():
    # Equal weights change nothing; weights 2 everywhere keep n_eff = N.
    assert lx.nps_interval(ARTICLE, weights=[2] * 200) == lx.nps_interval(ARTICLE)
    # Unequal weights shrink n_eff, so the interval widens.
    weights = [1, 3] * 100
    plain, weighted = lx.nps_interval(ARTICLE[::2] + ARTICLE[1::2]), lx.nps_interval(
        ARTICLE[::2] + ARTICLE[1::2], weights=weights)
    assert weighted.high - weighted.low > plain.high - plain.low


def test_nps_difference_test_by_hand():
    other = [10] * 60 + [8] * 80 + [3] * 60  # NPS 0, var 0.6
    t = lx.nps_difference_test(ARTICLE, other)
    se = math.sqrt(0.5875 / 200 + 0.6 / 200)
    assert t.difference == 25.0
    assert t.z == pytest.approx(0.25 / se)
    assert t.p_value == pytest.approx(math.erfc(0.25 / se / math.sqrt(2)))
    reverse = lx.nps_difference_test(other, ARTICLE)
    assert reverse.z == pytest.approx(-t.z) and reverse.p_value == pytest.approx(t.p_value)


def test_nps_difference_test_adjusted_and_edge_cases():
    t = lx.nps_difference_test(ARTICLE, ARTICLE, method="adjusted_wald")
    assert (t.difference, t.z, t.p_value) == (0.0, 0.0, 1.0)
    assert math.isnan(lx.nps_difference_test([], ARTICLE).z)
    same = lx.nps_difference_test([10, 10], [10])
    assert math.isnan(same.z) and math.isnan(same.p_value)
    apart = lx.nps_difference_test([10, 10], [0])
    assert math.isnan(apart.z) and apart.p_value == 0.0  # no variance: z undefined, never inf


def test_nps_by_segment_by_hand():
    t = lx.nps_by_segment([10, 9, 3, 8, 10, None, 0], ["web", "web", "shop", "shop", None,
                                                        "ghost", "web"])
    assert t["segment"].tolist() == ["web", "shop", "(blank)"]  # "ghost" has no answer
    assert t["n"].tolist() == [3, 2, 1]
    assert t["nps"].tolist() == pytest.approx([100 / 3, -50, 100])
    web = lx.nps_interval([10, 9, 0])
    assert (t.loc[0, "low"], t.loc[0, "high"]) == pytest.approx((web.low, web.high))
    with pytest.raises(LoyaltyXLError, match="segments must have one value per score"):
        lx.nps_by_segment([10, 9], ["a"])


def test_csat_top_two_box_per_declared_scale():
    assert lx.csat([5, 4, 3, 2, 1], scale="1-5") == 0.4
    assert lx.csat([7, 6, 5, 1], scale="1-7") == 0.5
    assert lx.csat([10, 9, 8, 1], scale="1-10") == 0.5
    assert lx.csat([10, 9, 8, 0], scale="0-10") == 0.5
    assert lx.csat([5, 4, 3, 2, 1], scale="1-5", threshold=3) == 0.6
    assert lx.csat([5, 1], scale="1-5", weights=[3, 1]) == 0.75
    assert math.isnan(lx.csat([None], scale="1-5"))


def test_csat_scale_is_declared_never_guessed():
    with pytest.raises(TypeError):
        lx.csat([5, 4])  # no scale: Python itself refuses
    with pytest.raises(LoyaltyXLError, match="scale must be one of"):
        lx.csat([5, 4], scale="1-6")
    with pytest.raises(LoyaltyXLError, match="scores must be whole numbers from 1 to 5; got 7"):
        lx.csat([5, 7], scale="1-5")
    with pytest.raises(LoyaltyXLError, match="scores must be whole numbers from 1 to 5; got 0"):
        lx.csat([0, 5], scale="1-5")
    with pytest.raises(LoyaltyXLError, match="threshold must be a number on the 1-5 scale"):
        lx.csat([5], scale="1-5", threshold=6)


def test_csat_mean():
    assert lx.csat_mean([5, 4, 3, 2, 5], scale="1-5") == 3.8
    assert lx.csat_mean([10, 0], scale="0-10", weights=[1, 3]) == 2.5
    assert math.isnan(lx.csat_mean([], scale="1-7"))


def test_customer_effort_score_variants():
    assert lx.customer_effort_score([7, 6, 5, 2, 5]) == 5.0
    assert lx.customer_effort_score([7, 6, 5, 4, 1], method="share") == 0.6
    assert lx.customer_effort_score([5, 4, 3, 1], scale="1-5", method="share") == 0.5
    # Legacy effort scale: lower = better; share counts low effort (1-2 on 1-5, 1-3 on 1-7).
    assert lx.customer_effort_score([1, 2, 3, 5], scale="1-5", reverse=True) == 2.75
    assert lx.customer_effort_score([1, 2, 3, 5], scale="1-5", method="share",
                                    reverse=True) == 0.5
    assert lx.customer_effort_score([3, 4, 7], method="share", reverse=True) == pytest.approx(1 / 3)
    with pytest.raises(LoyaltyXLError, match="scores must be whole numbers from 1 to 7; got 0"):
        lx.customer_effort_score([0])
    with pytest.raises(LoyaltyXLError, match="from 1 to 5; got 6"):
        lx.customer_effort_score([6], scale="1-5")


def test_customer_loyalty_index_points_and_missing_answers():
    # Respondent 1: 1, 2, 3 -> 100, 80, 60 -> 80. Respondent 2: 6, blank, 4 -> 0, 40 -> 20.
    assert lx.customer_loyalty_index([1, 6], [2, None], [3, 4]) == 50.0
    assert lx.customer_loyalty_index([1, 6], [2, None], [3, 4], method="mean") == 3.5  # (1+2+3)/3 and (6+4)/2
    # A respondent with no answer at all is skipped.
    assert lx.customer_loyalty_index([1, None], [1, None], [1, None]) == 100.0
    assert lx.customer_loyalty_index([1, 6], [1, 6], [1, 6], weights=[1, 3]) == 25.0
    custom = (10, 8, 6, 4, 2, 0)
    assert lx.customer_loyalty_index([2], [2], [3], points=custom) == pytest.approx(22 / 3)
    assert math.isnan(lx.customer_loyalty_index([], [], []))


def test_customer_loyalty_index_errors():
    with pytest.raises(LoyaltyXLError, match="buy_again must be whole numbers from 1 to 6; got 7"):
        lx.customer_loyalty_index([1], [7], [1])
    with pytest.raises(LoyaltyXLError, match="same length"):
        lx.customer_loyalty_index([1, 2], [1], [1, 2])
    with pytest.raises(LoyaltyXLError, match="points must be 6 finite numbers"):
        lx.customer_loyalty_index([1], [1], [1], points=(100, 50))
