"""loyalty_xl: customer-loyalty KPIs for Excel, scripts and workbook templates.

``import loyalty_xl as lx; lx.net_promoter_score(scores)``. The KPI functions are imported
eagerly (they need only numpy); the period engine and data sets load on first use.
"""

from loyalty_xl.errors import LoyaltyXLError
from loyalty_xl.kpis import *  # noqa: F403
from loyalty_xl.kpis import __all__ as _kpis

__version__ = "0.1.0"

_LAZY = {
    "compute_periods": "loyalty_xl.engine",
    "compute_cohorts": "loyalty_xl.engine",
    "datasets": "loyalty_xl.datasets",
}

__all__ = [*_kpis, "LoyaltyXLError", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        return module if module.__name__.endswith(name) else getattr(module, name)
    raise AttributeError(f"module 'loyalty_xl' has no attribute {name!r}")
