"""Set-up files for each xlwings runtime that serves loyalty_xl's Excel functions.

- xlwings Lite and xlwings Server get one self-contained module generated from the package's
  sources (:mod:`loyalty_xl.excel_bundle`), so they work before loyalty-xl is on PyPI;
  ``from_pypi=True`` writes a plain ``from loyalty_xl.udfs import *`` instead.
- classic xlwings runs the installed package: the instructions install it from this checkout
  or from the wheel it builds, and ``xlwings.conf`` names the interpreter of the machine it is
  written on (``INTERPRETER_WIN`` on Windows, ``INTERPRETER_MAC`` on macOS).
"""

from __future__ import annotations

import sys
from pathlib import Path

from loyalty_xl import __version__
from loyalty_xl.errors import InputError

RUNTIMES = ("classic", "lite", "server")
SERVER_MODULE = "custom_functions/loyalty_kpis.py"
PLACEHOLDER = r"C:\path\to\python.exe"

LICENCES = {
    "classic": "xlwings (open source, BSD-3-Clause): free for any use. Excel functions need "
               "desktop Excel on Windows with a local Python and the xlwings add-in.",
    "lite": "xlwings Lite (add-in from Excel's add-in store): free for personal and commercial "
            "use. Excel on Windows, Mac and the web; Python runs in the browser (Pyodide).",
    "server": "xlwings Server uses xlwings PRO: free for noncommercial use (PolyForm "
              "Noncommercial); commercial use needs a paid xlwings PRO licence key.",
}


def interpreter_setting(platform: str = sys.platform,
                        interpreter: str | None = None) -> tuple[str, str]:
    """The xlwings.conf interpreter key for ``platform`` and its value.

    Windows and macOS: this Python (or ``interpreter``). Elsewhere (Linux) Excel does not run,
    so the key is Windows' with a placeholder to replace on the Windows PC (unless given).
    """
    if platform == "darwin":
        return "INTERPRETER_MAC", interpreter or sys.executable
    if platform.startswith("win"):
        return "INTERPRETER_WIN", interpreter or sys.executable
    return "INTERPRETER_WIN", interpreter or PLACEHOLDER


def files_for(runtime: str, *, from_pypi: bool = False, platform: str = sys.platform,
              interpreter: str | None = None) -> dict[str, str]:
    """The files (relative path -> text) that set up ``runtime``."""
    from loyalty_xl import excel_bundle

    if runtime == "classic":
        key, value = interpreter_setting(platform, interpreter)
        return {"xlwings.conf": f'"UDF MODULES","loyalty_xl.udfs"\n"{key}","{value}"\n'}
    if runtime == "lite":
        return {"main.py": excel_bundle.lite_main(from_pypi=from_pypi),
                "requirements.txt": excel_bundle.requirements_txt(from_pypi=from_pypi)}
    if runtime == "server":
        return {SERVER_MODULE: excel_bundle.server_module(from_pypi=from_pypi)}
    raise InputError(f"runtime must be one of {', '.join(RUNTIMES)}", argument="runtime",
                     value=runtime, has_value=True)


def starter_workbook(lang: str) -> Path:
    """The bundled starter workbook (every function once on sample data) in ``lang``."""
    from loyalty_xl.errors import InputError
    from loyalty_xl.excel_starter import LANGS, file_name
    from loyalty_xl.report import TEMPLATE_DIR

    if lang not in LANGS:
        raise InputError(f"lang must be one of {', '.join(LANGS)}", argument="lang", value=lang)
    return TEMPLATE_DIR / file_name(lang)


def checkout() -> Path | None:
    """The source checkout this package runs from, if any (it has pyproject.toml)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def _install_step() -> str:
    wheel = f"loyalty_xl-{__version__}-py3-none-any.whl"
    source = checkout()
    if source is not None:
        return (f'install the package into the Python that Excel will use: pip install "{source}" '
                f"(or build a wheel to copy to that PC: pip wheel --no-deps \"{source}\" -w dist, "
                f"then pip install dist/{wheel})")
    return (f"install the package into the Python that Excel will use: pip install {wheel} "
            "(the wheel this package was installed from; loyalty-xl is not on PyPI yet)")


def instructions(runtime: str, folder: Path, *, from_pypi: bool = False,
                 platform: str = sys.platform) -> str:
    """The next steps after ``files_for(runtime)`` was written into ``folder``."""
    notes = []
    if runtime == "classic":
        key, value = interpreter_setting(platform)
        conf_home = (r"%USERPROFILE%\.xlwings\xlwings.conf" if key == "INTERPRETER_WIN"
                     else "~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf")
        steps = [f"pip install loyalty-xl=={__version__} xlwings" if from_pypi
                 else _install_step(),
                 "install the xlwings Excel add-in: xlwings addin install",
                 f"copy {folder / 'xlwings.conf'} to {conf_home} (or put its two lines on a "
                 "sheet named xlwings.conf in the workbook)",
                 "in Excel: File > Options > Trust Center > Trust Center Settings > Macro "
                 "Settings: tick 'Trust access to the VBA project object model'",
                 "open your workbook, xlwings tab > Import Functions, save it as .xlsm; then "
                 "type =NPS(B2:B500)"]
        if value == PLACEHOLDER:
            notes.append(f"This machine runs {platform}, where Excel and classic xlwings do not "
                         f"run: xlwings.conf has the placeholder {PLACEHOLDER}. On the Windows "
                         "PC replace it with the output of: python -c \"import sys; "
                         "print(sys.executable)\" (or pass --interpreter here). Without Windows "
                         "Excel, use xlwings Lite: loyalty-xl excel lite.")
        elif key == "INTERPRETER_MAC":
            notes.append("Classic xlwings runs Excel functions only on Windows; on a Mac use "
                         "xlwings Lite (loyalty-xl excel lite), which needs no local Python.")
    elif runtime == "lite":
        steps = ["install xlwings Lite from Excel's add-in store (Home > Add-ins, search "
                 "xlwings)",
                 f"replace the text of its requirements.txt tab with {folder / 'requirements.txt'}"
                 " and restart xlwings Lite when it asks",
                 f"replace the text of its main.py tab with {folder / 'main.py'}; then type "
                 "=NPS(B2:B500)"]
        if not from_pypi:
            notes.append("main.py carries the KPI code itself (no loyalty-xl install needed); "
                         "it is saved inside the workbook.")
    else:
        requirement = f"loyalty-xl=={__version__}" if from_pypi else \
            "the requirements named in its header"
        steps = [f"copy {folder / SERVER_MODULE} into app/custom_functions/ of your xlwings "
                 "Server",
                 "add `from .loyalty_kpis import *` to app/custom_functions/__init__.py",
                 f"add {requirement} to the server's requirements and restart it; functions "
                 "appear under the server's namespace (default =XLWINGS.NPS)"]
    lines = [f"Licence: {LICENCES[runtime]}", *notes, "Next steps:"]
    lines += [f"  {i}. {step}" for i, step in enumerate(steps, 1)]
    return "\n".join(lines)
