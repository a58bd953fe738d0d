"""The engine's settings: how periods are cut and KPIs defined (defaults from docs/kpis.md).

One object, :class:`Settings`; the command line's engine options are generated from its fields
(their ``metadata``: flag name and help), so a default or a range is written only here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from loyalty_xl import periods as P
from loyalty_xl.errors import InputError
from loyalty_xl.kpis.survey import CES_SCALES, CSAT_SCALES


def _option(default, help, *, flag=None, low=None, high=None, choices=None, cli=True):
    """A setting with what the command line needs to offer it (``metadata``)."""
    return field(default=default, metadata=dict(help=help, flag=flag, low=low, high=high,
                                                choices=choices, cli=cli))


@dataclass
class Settings:
    """How periods are cut and KPIs defined (the defaults follow docs/kpis.md).

    Every field's ``metadata`` says how the command line offers it (flag, help, range), so
    ``loyalty-xl periods`` and ``loyalty-xl report`` are generated from this class. The two
    names that differ: the field ``period`` (the kind of period) is ``--period-type``, and the
    field ``until`` (the report's last period) is ``--period``.
    """

    period: str = _option("month", "Kind of period: month, week, quarter or year.",
                          flag="--period-type", choices=P.KINDS)
    periods: int = _option(13, "How many periods the table shows, ending with --period.",
                           low=1, high=1000)
    until: str | None = _option(None, "The last period, e.g. 2026-10, 2026-W43, 2026-Q4 or a "
                                "date in it (default: the latest period in the data).",
                                flag="--period")
    activity_days: int = _option(365, "Activity window in days: a customer is active when "
                                 "they ordered within it.", low=1, high=3660)
    trailing_months: int = _option(12, "Trailing window of the value and repeat-purchase KPIs, "
                                   "in months.", low=1, high=120)
    engagement_days: int = _option(90, "Window in days of the programme's active engagement "
                                   "rate.", low=1, high=3660)
    csat_scale: str = _option("1-5", "CSAT scale.", choices=tuple(CSAT_SCALES))
    ces_scale: str = _option("1-7", "CES scale.", choices=tuple(CES_SCALES))
    confidence: float = _option(0.95, "Confidence level of the NPS interval.", low=0.5,
                                high=0.999)
    strict: bool = _option(False, "Fail on the first excluded row instead of reporting it.")
    engine: str = _option("duckdb", "Where the engine runs: duckdb (embedded, the default) or "
                          "spark (a Spark session; see --master and docs/scaling.md).",
                          choices=("duckdb", "spark"))
    master: str | None = _option(None, "Spark master URL for --engine spark, e.g. local[4], "
                                 "spark://host:7077 or yarn (default: the active session, "
                                 "else local[*]).")
    memory_limit: str = _option("1GB", "Memory limit of the embedded DuckDB (beyond it, it "
                                "spills to a temporary folder).", cli=False)
    predict: bool = _option(False, "Add the customer value sheet: predicted purchases, "
                            "P(alive) and 12-month CLV per customer (BG/NBD, Gamma-Gamma).")

    def check(self) -> Settings:
        """Validate every field against its metadata; one-line InputError naming the setting
        (the command line shows its flag instead)."""
        for item in fields(self):
            meta, value = item.metadata, getattr(self, item.name)
            flag = item.name
            if meta.get("choices") is not None:
                if not isinstance(value, str) or value not in meta["choices"]:
                    raise InputError(f"{flag} must be one of {', '.join(meta['choices'])}",
                                     argument=item.name, value=value, has_value=True)
            elif meta.get("low") is not None:
                whole = item.type in (int, "int")
                ok = (not isinstance(value, bool)
                      and isinstance(value, int if whole else (int, float))
                      and meta["low"] <= value <= meta["high"])
                if not ok:
                    kind = "a whole number" if whole else "a number"
                    raise InputError(f"{flag} must be {kind} from {meta['low']} to "
                                     f"{meta['high']}", argument=item.name, value=value,
                                     has_value=True)
        if self.until is not None:
            P.parse_label(self.period, self.until)  # a one-line error for a bad label
        return self


#: The settings' defaults, for texts and commands that need them (never typed elsewhere).
DEFAULTS = Settings()
