"""The loyalty-xl command line: Excel set-up, period tables, reports and templates.

Exit codes: 0 success, 1 a domain error (one line on stderr: ``loyalty-xl: error: ...``),
2 a usage error (typer's own message).
"""

from __future__ import annotations

import functools
import inspect
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from loyalty_xl.errors import LoyaltyXLError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Customer-loyalty KPIs for Excel: set-up, period tables, reports.")

EXAMPLES = {  # shown under each command's --help
    "excel": "loyalty-xl excel lite --out excel_setup",
    "periods": "loyalty-xl periods --orders orders.csv --responses answers.xlsx#Answers "
               "--out kpis.xlsx",
    "report": "loyalty-xl report --orders orders.csv --spend spend.csv --period 2026-10 "
              "--lang de --out report_2026-10.xlsx",
    "demo": "loyalty-xl demo --out loyalty_report_demo.xlsx",
    "templates": "loyalty-xl templates kpi_workbooks",
}


def _example(name: str) -> str:
    return f"Example: {EXAMPLES[name]}"


def _version(value: bool) -> None:
    if value:
        from loyalty_xl import __version__

        typer.echo(f"loyalty-xl {__version__}")
        raise typer.Exit()


@app.callback()
def cli(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False) -> None:
    """Customer-loyalty KPIs for Excel: set-up, period tables, reports and templates."""


def fail(message: str, code: int = 1) -> None:
    """Print ``loyalty-xl: error: <message>`` as one line without terminal escapes; exit."""
    from loyalty_xl.safe_text import terminal_text

    typer.echo(f"loyalty-xl: error: {' '.join(terminal_text(message).split())}", err=True)
    raise typer.Exit(code)


def say(text: str, *, err: bool = False) -> None:
    """Echo a line that may contain user text (file names, labels) without terminal escapes."""
    from loyalty_xl.safe_text import terminal_text

    typer.echo("\n".join(terminal_text(line) for line in str(text).split("\n")), err=err)


def _in_cli_terms(err: LoyaltyXLError) -> str:
    """The library names a setting by its field (``until must be ...``); say the flag."""
    import dataclasses

    from loyalty_xl.engine.settings import Settings

    message = str(err)
    for item in dataclasses.fields(Settings):
        if err.argument == item.name and message.startswith(f"{item.name} "):
            flag = item.metadata.get("flag") or "--" + item.name.replace("_", "-")
            return flag + message[len(item.name):]
    return message


def domain_errors(command):
    """Report LoyaltyXLError (bad input, refused overwrite) as one line and exit 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except LoyaltyXLError as err:
            fail(_in_cli_terms(err), getattr(err, "exit_code", 1))
        except OSError as err:
            fail(f"{err.strerror or err}: {err.filename}" if err.filename else str(err))
        except MemoryError:
            fail("out of memory; see the README on limits for large inputs")
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as err:  # a bug of ours: one line, the traceback only on request
            import os

            if os.environ.get("LOYALTY_XL_DEBUG"):
                raise
            fail(f"internal error ({type(err).__name__}: {err}); please report it with the "
                 "command you ran (LOYALTY_XL_DEBUG=1 shows the traceback)")

    return wrapper


@app.command(epilog=_example("excel"))
@domain_errors
def excel(
    runtime: str = typer.Argument(..., help="classic, lite or server"),
    out: Path = typer.Option(Path("."), "--out", "-o", help="Folder to write the set-up files to."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing set-up files."),
    from_pypi: bool = typer.Option(
        False, "--from-pypi", help="lite/server: import the published loyalty-xl package "
        "instead of embedding the KPI code."),
    interpreter: Optional[str] = typer.Option(
        None, "--interpreter", help="classic: the Python that Excel runs (default: this one)."),
    lang: str = typer.Option("en", "--lang", help="Starter workbook language: en or de."),
):
    """Write the set-up files that make =NPS(...) and the other KPI functions work in Excel.

    lite and server get one generated module with the KPI code inside (no install needed);
    classic gets an xlwings.conf for this machine and the steps to install the package. All
    get the starter workbook: every function used once on sample data.
    """
    from loyalty_xl.excel_setup import RUNTIMES, files_for, instructions, starter_workbook
    from loyalty_xl.files import atomic_path, check_writable, write_text

    if runtime not in RUNTIMES:
        raise LoyaltyXLError(f"runtime must be one of {', '.join(RUNTIMES)}", argument="runtime",
                             value=runtime)
    files = {out / name: text for name, text in
             files_for(runtime, from_pypi=from_pypi, interpreter=interpreter).items()}
    workbook = starter_workbook(lang)
    for path in [*files, out / workbook.name]:  # check all before writing any
        check_writable(path, force=force)
    for path, text in files.items():
        write_text(path, text, force=force)
        say(f"wrote {path}")
    with atomic_path(out / workbook.name, force=force) as tmp:
        tmp.write_bytes(workbook.read_bytes())
    say(f"wrote {out / workbook.name}")
    say(instructions(runtime, out, from_pypi=from_pypi))


INPUT_HELP = "CSV, Parquet, book.xlsx[#Sheet or #Table] or db.duckdb#table"
INPUTS = {  # the engine's inputs: option help
    "orders": f"Orders: {INPUT_HELP}.",
    "responses": "Survey answers (long format, or a filled survey template).",
    "spend": "Marketing and sales spend.",
    "members": "Loyalty-programme members.",
    "events": "Loyalty-programme events (points issued and redeemed).",
}
Force = Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")]


def _settings_parameters():
    """One typer option per field of the engine's Settings (flag, help, default from there)."""
    import dataclasses

    from loyalty_xl.engine.settings import Settings

    params = []
    for item in dataclasses.fields(Settings):
        meta = item.metadata
        if not meta.get("cli", True):
            continue
        flag = meta.get("flag") or "--" + item.name.replace("_", "-")
        kind = {"int": int, "float": float, "bool": bool}.get(str(item.type), str)
        if item.default is None:
            kind = Optional[kind]
        help_text = meta["help"]
        params.append(inspect.Parameter(
            item.name, inspect.Parameter.KEYWORD_ONLY, default=item.default,
            annotation=Annotated[kind, typer.Option(flag, help=help_text)]))
    return params


def _input_parameters():
    params = []
    for i, (name, help_text) in enumerate(INPUTS.items()):
        kind = str if i == 0 else Optional[str]  # text: a cluster URL (s3a://...) stays whole
        params.append(inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=... if i == 0 else None,
            annotation=Annotated[kind, typer.Option(f"--{name}", help=help_text)]))
    params.append(inspect.Parameter(
        "maps", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[Optional[list[str]], typer.Option(
            "--map", help="column=SourceColumn, e.g. order_date=Bestelldatum, for every input "
            "that has that column; input:column=SourceColumn for one input (repeatable).")]))
    params.append(inspect.Parameter(
        "read", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[Optional[list[str]], typer.Option(
            "--read", help="How to read an input where the detection is wrong: "
            "input:key=value with key encoding, delimiter, decimal or date_format, e.g. "
            "orders:decimal=, or orders:date_format=dd/mm/yyyy (repeatable).")]))
    return params


def engine_command(command):
    """Give ``command(options, **own)`` the engine's options: the inputs, --map and one option
    per Settings field, generated, so `periods` and `report` declare them once."""
    own = [p for p in inspect.signature(command).parameters.values() if p.name != "options"]
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]
    params = _input_parameters() + _settings_parameters() + own
    engine_names = {p.name for p in params} - {p.name for p in own}

    @functools.wraps(command)
    def wrapper(**kwargs):
        options = {k: kwargs.pop(k) for k in list(kwargs) if k in engine_names}
        options["mapping"] = options.pop("maps")
        return command(options, **kwargs)

    wrapper.__signature__ = inspect.Signature(params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must read the generated signature, not the command's
    return wrapper


def run_engine(options, *, quiet=False, cohorts=True):
    """The period engine with a progress bar (on a terminal) and the quality summary
    (``cohorts=False``: the cohort matrix is not computed)."""
    from loyalty_xl.engine import analyse

    inputs = {k: options.pop(k) for k in ("orders", "responses", "spend", "members", "events")}
    inputs = {k: (str(v) if v is not None else None) for k, v in inputs.items()}
    with _progress(quiet) as step:
        result = analyse(inputs.pop("orders"), progress=step, cohorts=cohorts, **inputs,
                         **options)
    say(result.quality.summary(), err=True)
    return result


class _progress:
    """A rich spinner with the current step when stderr is a terminal; silent otherwise."""

    def __init__(self, quiet):
        self.quiet = quiet
        self.live = None

    def __enter__(self):
        if self.quiet or not sys.stderr.isatty():
            return lambda text: None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.live = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                             TimeElapsedColumn(), transient=True, console=_console())
        self.live.start()
        task = self.live.add_task("starting")
        return lambda text: self.live.update(task, description=text)

    def __exit__(self, *exc):
        if self.live is not None:
            self.live.stop()


def _console():
    from rich.console import Console

    return Console(stderr=True)


@app.command(epilog=_example("periods"))
@domain_errors
@engine_command
def periods(
    options,
    out: Path = typer.Option(..., "--out", "-o", help="Output: .csv, .parquet or .xlsx."),
    force: Force = False,
):
    """Compute every KPI per period from event data and write the table."""
    from loyalty_xl.files import atomic_path, check_writable

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        raise LoyaltyXLError("--out must end in .csv, .parquet or .xlsx", argument="out",
                             value=str(out))
    check_writable(out, force=force)
    result = run_engine(options, cohorts=suffix == ".xlsx")  # only the workbook shows them
    table = result.periods
    from loyalty_xl.safe_text import counting, csv_text, frame_for_output

    with counting() as replaced, atomic_path(out, force=force) as tmp:
        if suffix == ".csv":  # text that a spreadsheet would run as a formula gets a '
            frame_for_output(table, csv_text).to_csv(tmp, index=False)
        elif suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            _write_xlsx(table, result, tmp)
    _say_replaced(replaced[0])
    say(f"wrote {out} ({len(table)} periods)")


@app.command(epilog=_example("report"))
@domain_errors
@engine_command
def report(
    options,
    template: Path = typer.Option(None, "--template", help="Report template (.xlsx)."),
    lang: str = typer.Option("en", "--lang", help="Bundled template language: en or de."),
    currency: str = typer.Option("EUR", "--currency",
                                 help="Currency of the amounts: EUR, USD, GBP, CHF, ..."),
    out: Path = typer.Option(..., "--out", "-o", help="The report workbook to write (.xlsx)."),
    force: Force = False,
):
    """Build the monthly report workbook: KPI summary, period table, charts, cohorts."""
    _report(options, template, lang, out, force, currency)


def _report(options, template, lang, out, force, currency=None):
    from loyalty_xl.files import check_writable
    from loyalty_xl.report import (
        build_report,
        check_currency,
        default_template,
        periods_needed,
    )
    from loyalty_xl.safe_text import counting
    from loyalty_xl.workbook_limits import check_workbook

    if out.suffix.lower() != ".xlsx":  # never macro-enabled (.xlsm) or anything else
        raise LoyaltyXLError("--out must be an .xlsx workbook", argument="out", value=str(out))
    check_currency(currency)  # before the engine runs: a typo fails at once
    template = template or default_template(lang)
    check_writable(out, force=force, protected=(template,))
    if template.exists():
        check_workbook(template, role="template")  # before the engine runs: fail fast
    from loyalty_xl.engine.settings import Settings

    settings = Settings(**{k: v for k, v in options.items() if k in Settings.__dataclass_fields__})
    shown = settings.check().periods
    options["periods"] = periods_needed(settings.period, shown)  # room for a year earlier
    result = run_engine(options)
    with counting() as replaced:
        build_report(result, out, template=template, lang=lang, force=force,
                     segments=result.segments, shown=shown, currency=currency)
    _say_replaced(replaced[0])
    table = result.periods.tail(shown)
    say(f"wrote {out} ({table['period'].iloc[0]} to {table['period'].iloc[-1]})")


@app.command(epilog=_example("demo"))
@domain_errors
def demo(
    out: Path = typer.Option(Path("loyalty_report_demo.xlsx"), "--out", "-o",
                             help="The report workbook to write."),
    lang: str = typer.Option("en", "--lang", help="en or de."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
):
    """Build the monthly report from the bundled sample data (24 months, 3,000 customers)."""
    from loyalty_xl.datasets import sample_paths

    options = {**sample_paths(), "mapping": None}  # every setting at its default
    _report(options, None, lang, out, force)


@app.command(epilog=_example("templates"))
@domain_errors
def templates(
    folder: Path = typer.Argument(..., help="Folder to copy the staff templates into."),
    force: bool = typer.Option(False, "--force", help="Overwrite templates already there."),
):
    """Copy the KPI workbooks for staff (survey, retention, value, programme; en and de)."""
    from loyalty_xl.files import atomic_path, check_writable
    from loyalty_xl.report import TEMPLATE_DIR
    from loyalty_xl.staff_templates import BUILDERS, file_name

    names = [file_name(kind, lang) for kind in BUILDERS for lang in ("en", "de")]
    for name in names:  # check all before copying any
        check_writable(folder / name, force=force)
    for name in names:
        with atomic_path(folder / name, force=force) as tmp:
            tmp.write_bytes((TEMPLATE_DIR / name).read_bytes())
        say(f"wrote {folder / name}")


def _write_xlsx(table, result, path):
    """The period table, cohorts and data quality; text stays text (never a formula)."""
    import pandas as pd

    from loyalty_xl.safe_text import cell_text, frame_for_output, text_cells_only

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame_for_output(table, cell_text).to_excel(writer, sheet_name="Periods", index=False)
        frame_for_output(result.cohorts, cell_text).to_excel(writer, sheet_name="Cohorts")
        frame_for_output(result.quality.table(), cell_text).to_excel(
            writer, sheet_name="Data quality", index=False)
        for sheet in writer.book.worksheets:  # pandas makes text starting with = a formula
            text_cells_only(sheet)


def _say_replaced(count: int) -> None:
    if count:
        say(f"replaced {count:,} control character{'s' if count != 1 else ''} that a "
            "workbook cannot hold with U+FFFD", err=True)


def main() -> None:  # pragma: no cover - the console script calls app directly
    app(prog_name="loyalty-xl")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
