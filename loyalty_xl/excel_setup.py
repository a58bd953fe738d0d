"""Set-up files for each xlwings runtime that serves loyalty_xl's Excel functions."""

from __future__ import annotations

import sys
from pathlib import Path

from loyalty_xl import __version__

RUNTIMES = ("classic", "lite", "server")

LICENCES = {
    "classic": "xlwings (open source, BSD-3-Clause): free for any use. Windows desktop Excel "
               "with a local Python and the xlwings add-in.",
    "lite": "xlwings Lite (add-in from Excel's add-in store): free for personal and commercial "
            "use. Excel on Windows, Mac and the web; Python runs in the browser (Pyodide).",
    "server": "xlwings Server uses xlwings PRO: free for noncommercial use (PolyForm "
              "Noncommercial); commercial use needs a paid xlwings PRO licence key.",
}


def files_for(runtime: str) -> dict[str, str]:
    """The files (relative path -> text) that set up ``runtime``."""
    if runtime == "classic":
        return {"xlwings.conf": (
            f'"UDF MODULES","loyalty_xl.udfs"\n'
            f'"INTERPRETER_WIN","{sys.executable}"\n')}
    if runtime == "lite":
        return {
            "main.py": (
                "# xlwings Lite: paste this into the main.py tab of the xlwings Lite add-in.\n"
                "# The loyalty KPI functions (=NPS, =CHURN_RATE, =CLV, ...) register on load.\n"
                "from loyalty_xl.udfs import *  # noqa: F401,F403\n"),
            "requirements.txt": (
                "# xlwings Lite: paste this into the requirements.txt tab.\n"
                "# loyalty-xl is a pure-Python wheel; numpy and pandas come from Pyodide.\n"
                "# Until loyalty-xl is on PyPI, replace the line below with the https URL of\n"
                "# the wheel that `pip wheel --no-deps . -w dist` builds.\n"
                f"loyalty-xl=={__version__}\n"),
        }
    if runtime == "server":
        return {"custom_functions/loyalty_kpis.py": (
            '"""Loyalty KPI custom functions for xlwings Server.\n\n'
            "Copy this file into your xlwings Server's app/custom_functions/ folder, add\n"
            "`from .loyalty_kpis import *` to app/custom_functions/__init__.py, and add\n"
            f"loyalty-xl=={__version__} to the server's requirements.\n"
            '"""\n\n'
            "from loyalty_xl.udfs import *  # noqa: F401,F403\n")}
    raise ValueError(runtime)


def instructions(runtime: str, folder: Path) -> str:
    steps = {
        "classic": [f"pip install loyalty-xl=={__version__} and the xlwings add-in "
                    "(xlwings addin install)",
                    f"copy {folder / 'xlwings.conf'} to %USERPROFILE%\\.xlwings\\xlwings.conf "
                    "(or put the two settings on an xlwings.conf sheet of the workbook)",
                    "in Excel: xlwings tab > Import Functions; then type =NPS(B2:B500)"],
        "lite": ["install xlwings Lite from Excel's add-in store (Home > Add-ins)",
                 f"paste {folder / 'requirements.txt'} into its requirements.txt tab",
                 f"paste {folder / 'main.py'} into its main.py tab; then type =NPS(B2:B500)"],
        "server": [f"copy {folder / 'custom_functions' / 'loyalty_kpis.py'} into "
                   "app/custom_functions/ of your xlwings Server",
                   "import it in app/custom_functions/__init__.py and restart the server"],
    }[runtime]
    lines = [f"Licence: {LICENCES[runtime]}", "Next steps:"]
    lines += [f"  {i}. {step}" for i, step in enumerate(steps, 1)]
    return "\n".join(lines)
