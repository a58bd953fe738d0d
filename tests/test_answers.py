"""The one rule for a valid survey answer (loyalty_xl.kpis.answers), against the library."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import loyalty_xl as lx
from loyalty_xl import LoyaltyXLError
from loyalty_xl.kpis import answers

entries = st.one_of(st.integers(-3, 13), st.floats(-3, 13, allow_nan=False), st.none(),
                    st.sampled_from(["9", "'9", "x", "", " ", "7.5", True]))


def test_every_kind_of_entry_by_hand():
    values = [10, 0, 9.0, 7.5, 9.5, "9", "'9", 11, -1, "abc", None, float("nan"), "", True,
              float("inf")]
    got = answers.classify(values, 0, 10).tolist()
    assert got == ["valid", "valid", "valid", answers.NOT_WHOLE, answers.NOT_WHOLE,
                   answers.TEXT, answers.TEXT, answers.OFF_SCALE, answers.OFF_SCALE,
                   answers.NOT_A_NUMBER, "blank", "blank", "blank", answers.NOT_A_NUMBER,
                   answers.NOT_A_NUMBER]
    assert answers.invalid_count(values, 0, 10) == 9
    # a CSV holds only text: there "9" is the number 9, and the apostrophe marks real text
    assert answers.classify(["9", "'9", " 7 ", "9.5"], 0, 10, typed=False).tolist() == \
        ["valid", answers.TEXT, "valid", answers.NOT_WHOLE]
    assert answers.classify(np.array([3, 5, 6]), 1, 5).tolist() == \
        ["valid", "valid", answers.OFF_SCALE]


def test_scales_are_the_librarys():
    assert answers.scale_of("csat", csat_scale="1-7") == (1, 7)
    assert answers.scale_of("ces", ces_scale="1-5") == (1, 5)
    assert answers.scale_of("cli_recommend") == (1, 6)
    with pytest.raises(KeyError):
        answers.scale_of("loyalty")


@given(st.lists(entries, max_size=25))
def test_the_library_raises_exactly_when_the_rule_finds_an_invalid_entry(values):
    invalid = answers.invalid_count(values, 0, 10)
    if invalid:
        with pytest.raises(LoyaltyXLError):
            lx.net_promoter_score(values)
    else:
        got = lx.net_promoter_score(values)
        want = lx.net_promoter_score(answers.valid_answers(values, 0, 10))
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)


@given(st.lists(entries, max_size=25))
def test_valid_answers_are_accepted_by_every_survey_kpi(values):
    kept = answers.valid_answers(values, 1, 5)
    assert answers.invalid_count(kept, 1, 5) == 0
    lx.csat(kept, scale="1-5")
    lx.customer_effort_score(kept, scale="1-5")
    lx.customer_loyalty_index(kept, kept, kept)  # 1-5 lies within CLI's 1-6
