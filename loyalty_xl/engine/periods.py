"""Kept for imports written before the period rules moved to :mod:`loyalty_xl.periods`."""

from loyalty_xl.periods import *  # noqa: F401,F403
from loyalty_xl.periods import (  # noqa: F401
    EPOCH, FIRST_MONDAY, FIRST_YEAR, KINDS, LAST_YEAR, PER_YEAR, check_kind, epoch_days, label,
    ordinal, ordinal_expr, ordinals, parse_label, start, trailing_periods)
