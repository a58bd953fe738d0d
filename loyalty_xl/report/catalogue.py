"""What the report shows of each KPI: number format, direction, kind; and money formats.

Labels and definitions are in the one translation table, :mod:`loyalty_xl.texts`
(``kpi.KEY``, ``def.KEY``).
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty_xl.texts import text

PCT, NUM, INT, MONEY, PTS = "0.0%", "0.00", "#,##0", "money", "0.0"
CURRENCIES = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥"}
DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class Kpi:
    key: str  # the period table's column
    kind: str  # PCT, NUM, INT, MONEY, PTS
    better: int = 1  # +1: higher is better, -1: lower is better, 0: neither
    # Distorted while the data is younger than a window: "activity" (the activity window:
    # customers at start, lost, retention) or "trailing" (the trailing window of the value and
    # repeat KPIs; lifespan and CLV grow with the history itself).
    warm_up: str | None = None

    def label(self, lang: str) -> str:
        return text(f"kpi.{self.key}", lang)

    def number_format(self, lang: str, currency: str = DEFAULT_CURRENCY) -> str:
        return number_format(self.kind, lang, currency)

    @property
    def is_rate(self) -> bool:
        return self.kind == PCT


KPIS = [
    Kpi("nps", PTS), Kpi("csat", PCT), Kpi("ces", NUM), Kpi("cli", PTS),
    Kpi("retention_rate", PCT, 1, "activity"), Kpi("churn_rate", PCT, -1, "activity"),
    Kpi("repeat_purchase_rate", PCT, 1, "trailing"), Kpi("average_purchase_value", MONEY),
    Kpi("purchase_frequency", NUM, 1, "trailing"), Kpi("customer_value", MONEY, 1, "trailing"),
    Kpi("average_customer_lifespan", NUM, 1, "trailing"),
    Kpi("customer_lifetime_value", MONEY, 1, "trailing"),
    Kpi("customer_acquisition_cost", MONEY, -1), Kpi("clv_cac_ratio", NUM, 1, "trailing"),
    Kpi("participation_rate", PCT), Kpi("redemption_rate", PCT),
    Kpi("active_engagement_rate", PCT), Kpi("customers", INT),
    Kpi("new_customers", INT, 1, "activity"), Kpi("lost_customers", INT, -1, "activity"),
    Kpi("orders", INT), Kpi("revenue", MONEY),
]
BY_KEY = {k.key: k for k in KPIS}

# Columns of the period table in the report besides the KPIs above (labels: texts kpi.KEY).
# period_label (a short label for chart axes) and warm_up are filled by the report builder.
EXTRA = {"period": "@", "nps_low": PTS, "nps_high": PTS, "nps_responses": INT,
         "customers_start": INT, "customers_end": INT, "spend": MONEY, "period_label": "@",
         "warm_up": "@"}
DERIVED = ("period_label", "warm_up")
TABLE_COLUMNS = ["period", "customers", "new_customers", "lost_customers", "customers_start",
                 "customers_end", "orders", "revenue", "retention_rate", "churn_rate",
                 "repeat_purchase_rate", "average_purchase_value", "purchase_frequency",
                 "customer_value", "average_customer_lifespan", "customer_lifetime_value",
                 "spend", "customer_acquisition_cost", "clv_cac_ratio", "nps", "nps_low",
                 "nps_high", "nps_responses", "csat", "ces", "cli", "participation_rate",
                 "redemption_rate", "active_engagement_rate", "warm_up", "period_label"]


def money_format(lang: str, currency: str = DEFAULT_CURRENCY) -> str:
    """Money with its currency, written as the language writes it: €1,234.50 / 1.234,50 €.

    (The thousands and decimal separators come from the reader's locale; the position of the
    symbol from the language.)
    """
    return text("fmt.money_excel", lang, symbol=CURRENCIES.get(currency, currency))


def number_format(kind: str, lang: str, currency: str = DEFAULT_CURRENCY) -> str:
    return money_format(lang, currency) if kind == MONEY else kind


def change_format(kind: str, lang: str, currency: str = DEFAULT_CURRENCY) -> str:
    """The format of a change: rates in percentage points (pp / Pp.), others signed."""
    if kind == PCT:
        unit = text("pp", lang)
        return f'+0.0" {unit}";-0.0" {unit}";0.0" {unit}"'
    base = number_format(kind, lang, currency)
    return f"+{base};-{base};{base}"


def column_label(key: str, lang: str) -> str:
    return text(f"kpi.{key}", lang)


def column_format(key: str, lang: str, currency: str = DEFAULT_CURRENCY) -> str:
    kind = BY_KEY[key].kind if key in BY_KEY else EXTRA[key]
    return number_format(kind, lang, currency)
