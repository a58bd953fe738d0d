"""The loyalty-xl command line: Excel set-up, period tables, reports and templates.

Exit codes: 0 success, 1 a domain error (one line on stderr: ``loyalty-xl: error: ...``),
2 a usage error (typer's own message).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

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
):
    """Write the set-up files that make =NPS(...) and the other KPI functions work in Excel."""
    from loyalty_xl.excel_setup import RUNTIMES, files_for, instructions
    from loyalty_xl.files import check_writable, write_text

    if runtime not in RUNTIMES:
        raise LoyaltyXLError(f"runtime must be one of {', '.join(RUNTIMES)}", argument="runtime",
                             value=runtime)
    files = {out / name: text for name, text in files_for(runtime).items()}
    for path in files:  # check all before writing any
        check_writable(path, force=force)
    for path, text in files.items():
        write_text(path, text, force=force)
        typer.echo(f"wrote {path}")
    typer.echo(instructions(runtime, out))


def main() -> None:  # pragma: no cover - the console script calls app directly
    app(prog_name="loyalty-xl")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
