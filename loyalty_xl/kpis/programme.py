"""Loyalty-programme KPIs: participation, redemption and active engagement rates."""

from __future__ import annotations

from loyalty_xl.kpis._inputs import check_not_greater, divide, flag, quantity, same_shape


def participation_rate(members, customers):
    """Participation (enrollment) rate: ``programme members / all customers``, 0..1.

    Parameters
    ----------
    members : int or array of int
    customers : int or array of int

    Returns
    -------
    float or ndarray
        NaN where customers = 0.

    Raises
    ------
    LoyaltyXLError
        Bad counts; members > customers.

    Examples
    --------
    >>> participation_rate(450, 1800)
    0.25
    """
    n_members = quantity(members, "members", whole=True)
    n_customers = quantity(customers, "customers", whole=True)
    same_shape((n_members, "members"), (n_customers, "customers"))
    check_not_greater(n_members, n_customers, "members must not exceed customers", "members")
    return divide(n_members, n_customers)


def redemption_rate(redeemed, issued, *, carry_over=False):
    """Redemption rate: ``rewards (or points) redeemed / rewards issued``.

    Parameters
    ----------
    redeemed : float or array (>= 0)
    issued : float or array (>= 0)
        Points are not always whole, so neither needs to be a whole number.
    carry_over : bool, default False
        Declare that redemptions may use rewards issued before the period, so redeemed may
        exceed issued (and the rate exceed 1).

    Returns
    -------
    float or ndarray
        NaN where issued = 0.

    Raises
    ------
    LoyaltyXLError
        Negative amounts; redeemed > issued without carry_over; carry_over not a bool.

    Examples
    --------
    >>> redemption_rate(3200, 8000)
    0.4
    >>> redemption_rate(9000, 8000, carry_over=True)
    1.125
    """
    n_redeemed = quantity(redeemed, "redeemed")
    n_issued = quantity(issued, "issued")
    same_shape((n_redeemed, "redeemed"), (n_issued, "issued"))
    if not flag(carry_over, "carry_over"):
        check_not_greater(n_redeemed, n_issued, "redeemed must not exceed issued (declare "
                          "carry_over=True if rewards issued earlier can be redeemed)",
                          "redeemed")
    return divide(n_redeemed, n_issued, "redemption_rate")


def active_engagement_rate(active_members, members):
    """Active engagement rate: ``members who earned or redeemed in the window / all members``.

    The activity window (default 90 days, up to the period's end) is applied when counting
    active members; the period engine does that from programme events.

    Parameters
    ----------
    active_members : int or array of int
    members : int or array of int

    Returns
    -------
    float or ndarray
        NaN where members = 0.

    Raises
    ------
    LoyaltyXLError
        Bad counts; active_members > members.

    Examples
    --------
    >>> active_engagement_rate(270, 450)
    0.6
    """
    active = quantity(active_members, "active_members", whole=True)
    n_members = quantity(members, "members", whole=True)
    same_shape((active, "active_members"), (n_members, "members"))
    check_not_greater(active, n_members, "active_members must not exceed members",
                      "active_members")
    return divide(active, n_members)
