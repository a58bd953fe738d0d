"""The loyalty-xl command line: Excel set-up, period tables, reports and templates.

Exit codes: 0 success, 1 a domain error (one line on stderr: ``loyalty-xl: error: ...``),
2 a usage error (typer's own message).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from loyalty_xl.errors import LoyaltyXLError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Customer-loyalty KPIs for Excel: set-up, period tables, reports.")


@app.callback()
def cli() -> None:
    """Customer-loyalty KPIs for Excel: set-up, period tables, reports and templates."""


def fail(message: str) -> None:
    typer.echo(f"loyalty-xl: error: {' '.join(str(message).split())}", err=True)
    raise typer.Exit(1)


def domain_errors(command):
    """Report LoyaltyXLError (bad input, refused overwrite) as one line and exit 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except LoyaltyXLError as err:
            fail(str(err))
        except OSError as err:
            fail(f"{err.strerror or err}: {err.filename}" if err.filename else str(err))

    return wrapper


@app.command()
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
        typer.echo(f"wrote {path}")
    with atomic_path(out / workbook.name, force=force) as tmp:
        tmp.write_bytes(workbook.read_bytes())
    typer.echo(f"wrote {out / workbook.name}")
    typer.echo(instructions(runtime, out, from_pypi=from_pypi))


INPUT_HELP = "CSV, Parquet, book.xlsx[#Sheet or #Table] or db.duckdb#table"

# The period engine's options, shared by `periods` and `report`.
Orders = Annotated[Path, typer.Option("--orders", help=f"Orders: {INPUT_HELP}.")]
Responses = Annotated[Optional[Path], typer.Option(
    "--responses", help="Survey answers (long format, or a filled survey template).")]
Spend = Annotated[Optional[Path], typer.Option("--spend", help="Marketing and sales spend.")]
Members = Annotated[Optional[Path], typer.Option("--members", help="Programme members.")]
Events = Annotated[Optional[Path], typer.Option("--events", help="Programme events.")]
Maps = Annotated[Optional[list[str]], typer.Option(
    "--map", help="column=SourceColumn (repeatable).")]
PeriodType = Annotated[str, typer.Option("--period-type", help="month, week, quarter or year.")]
Periods = Annotated[int, typer.Option("--periods", help="How many periods, ending with --period.")]
Until = Annotated[Optional[str], typer.Option(
    "--period", help="The last period, e.g. 2026-10 (default: the latest in the data).")]
ActivityDays = Annotated[int, typer.Option(help="Activity window in days.")]
TrailingMonths = Annotated[int, typer.Option(help="Trailing window of value KPIs in months.")]
CsatScale = Annotated[str, typer.Option(help="CSAT scale: 1-5, 1-7, 1-10 or 0-10.")]
CesScale = Annotated[str, typer.Option(help="CES scale: 1-7 or 1-5.")]
Strict = Annotated[bool, typer.Option("--strict", help="Fail on any excluded row.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")]


def _engine_options(orders, responses, spend, members, events, maps, period, periods, until,
                    activity_days, trailing_months, csat_scale, ces_scale, strict):
    return dict(orders=orders, responses=responses, spend=spend, members=members,
                events=events, mapping=maps, period=period, periods=periods, until=until,
                activity_days=activity_days, trailing_months=trailing_months,
                csat_scale=csat_scale, ces_scale=ces_scale, strict=strict)


def run_engine(options, *, quiet=False):
    """The period engine with a progress bar (on a terminal) and the quality summary."""
    from loyalty_xl.engine import analyse

    inputs = {k: options.pop(k) for k in ("orders", "responses", "spend", "members", "events")}
    inputs = {k: (str(v) if v is not None else None) for k, v in inputs.items()}
    with _progress(quiet) as step:
        result = analyse(inputs.pop("orders"), progress=step, **inputs, **options)
    typer.echo(result.quality.summary(), err=True)
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


@app.command()
@domain_errors
def periods(
    orders: Orders,
    responses: Responses = None,
    spend: Spend = None,
    members: Members = None,
    events: Events = None,
    maps: Maps = None,
    period: PeriodType = "month",
    periods_: Periods = 13,
    until: Until = None,
    activity_days: ActivityDays = 365,
    trailing_months: TrailingMonths = 12,
    csat_scale: CsatScale = "1-5",
    ces_scale: CesScale = "1-7",
    strict: Strict = False,
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
    result = run_engine(_engine_options(orders, responses, spend, members, events, maps,
                                        period, periods_, until, activity_days,
                                        trailing_months, csat_scale, ces_scale, strict))
    table = result.periods
    with atomic_path(out, force=force) as tmp:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            _write_xlsx(table, result, tmp)
    typer.echo(f"wrote {out} ({len(table)} periods)")


@app.command()
@domain_errors
def report(
    orders: Orders,
    responses: Responses = None,
    spend: Spend = None,
    members: Members = None,
    events: Events = None,
    maps: Maps = None,
    period: PeriodType = "month",
    periods_: Periods = 13,
    until: Until = None,
    activity_days: ActivityDays = 365,
    trailing_months: TrailingMonths = 12,
    csat_scale: CsatScale = "1-5",
    ces_scale: CesScale = "1-7",
    strict: Strict = False,
    template: Path = typer.Option(None, "--template", help="Report template (.xlsx)."),
    lang: str = typer.Option("en", "--lang", help="Bundled template language: en or de."),
    out: Path = typer.Option(..., "--out", "-o", help="The report workbook to write (.xlsx)."),
    force: Force = False,
):
    """Build the monthly report workbook: KPI summary, period table, charts, cohorts."""
    options = _engine_options(orders, responses, spend, members, events, maps, period,
                              periods_, until, activity_days, trailing_months, csat_scale,
                              ces_scale, strict)
    _report(options, template, lang, out, force)


def _report(options, template, lang, out, force):
    from loyalty_xl.files import check_writable
    from loyalty_xl.report import build_report, default_template, periods_needed

    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise LoyaltyXLError("--out must be an .xlsx workbook", argument="out", value=str(out))
    template = template or default_template(lang)
    check_writable(out, force=force, protected=(template,))
    shown = options["periods"]
    options["periods"] = periods_needed(options["period"], shown)  # room for a year earlier
    result = run_engine(options)
    build_report(result, out, template=template, lang=lang, force=force,
                 segments=result.segments, shown=shown)
    table = result.periods.tail(shown)
    typer.echo(f"wrote {out} ({table['period'].iloc[0]} to {table['period'].iloc[-1]})")


@app.command()
@domain_errors
def demo(
    out: Path = typer.Option(Path("loyalty_report_demo.xlsx"), "--out", "-o",
                             help="The report workbook to write."),
    lang: str = typer.Option("en", "--lang", help="en or de."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
):
    """Build the monthly report from the bundled sample data (24 months, 3,000 customers)."""
    from loyalty_xl.datasets import sample_paths

    paths = sample_paths()
    options = _engine_options(paths["orders"], paths["responses"], paths["spend"],
                              paths["members"], paths["events"], None, "month", 13, None, 365,
                              12, "1-5", "1-7", False)
    _report(options, None, lang, out, force)


@app.command()
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
        typer.echo(f"wrote {folder / name}")


def _write_xlsx(table, result, path):
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="Periods", index=False)
        result.cohorts.to_excel(writer, sheet_name="Cohorts")
        result.quality.table().to_excel(writer, sheet_name="Data quality", index=False)


def main() -> None:  # pragma: no cover - the console script calls app directly
    app(prog_name="loyalty-xl")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
