"""The command line as a user meets it: --version, -h with an example on every command, options
generated from the engine's Settings, and one line (never a traceback) for what a user can cause."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from loyalty_xl import __version__
from loyalty_xl.cli import EXAMPLES, app
from loyalty_xl.engine.settings import Settings

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"loyalty-xl {__version__}"


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_has_short_help_and_an_example(command):
    result = runner.invoke(app, [command, "-h"])
    assert result.exit_code == 0, result.output
    assert "Example: loyalty-xl " + command in " ".join(result.output.split())


@pytest.mark.parametrize("command", ["periods", "report"])
def test_engine_options_come_from_settings(command):
    """Every Settings field offered to the command line appears with its flag and default."""
    text = " ".join(runner.invoke(app, [command, "--help"], terminal_width=200).output.split())
    for item in dataclasses.fields(Settings):
        if not item.metadata.get("cli", True):
            assert "--" + item.name.replace("_", "-") not in text
            continue
        flag = item.metadata.get("flag") or "--" + item.name.replace("_", "-")
        assert flag in text, flag
        if item.default not in (None, False):
            assert f"[default: {item.default}]" in text, item.name


@pytest.mark.parametrize("args, message", [
    (["--periods", "100000"], "--periods must be a whole number from 1 to 1000; got 100000"),
    (["--activity-days", "1000000000"], "--activity-days must be a whole number from 1 to 3660"),
    (["--period", "9999-12"], "--period must lie in the years 1900 to 2199; got '9999-12'"),
    (["--period", "October"], "--period must be a month such as 2026-10 or a date"),
    (["--period-type", "weekly"], "--period-type must be one of month, week, quarter, year"),
    (["--csat-scale", "1-3"], "--csat-scale must be one of 1-5, 1-7, 1-10, 0-10"),
    (["--confidence", "2"], "--confidence must be a number from 0.5 to 0.999; got 2"),
])
@pytest.mark.parametrize("command", ["periods", "report"])
def test_bad_settings_are_one_line_in_cli_terms(tmp_path, command, args, message):
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,order_date,amount\na,2026-01-05,10\n")
    result = runner.invoke(app, [command, "--orders", str(orders), *args,
                                 "--out", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"loyalty-xl: error: {message}"), lines
    assert not (tmp_path / "out.xlsx").exists()


def test_missing_engine_extra_is_one_line(tmp_path):
    """`pip install .` without the engine extra: the report says what to install."""
    code = ("import sys; sys.modules['ibis'] = None\n"
            "from loyalty_xl.cli import app\n"
            f"app(['demo', '--out', {str(tmp_path / 'x.xlsx')!r}], prog_name='loyalty-xl')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "loyalty-xl: error: the period engine needs Ibis and DuckDB, which are not installed "
        "(ibis is missing): pip install \"loyalty-xl[engine]\""]
    assert run.stdout == ""


def test_an_unexpected_error_is_one_line_unless_debugging(monkeypatch, tmp_path):
    import loyalty_xl.cli as cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_report", broken)
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "loyalty-xl: error: internal error (ZeroDivisionError: division by zero); please report "
        "it with the command you ran (LOYALTY_XL_DEBUG=1 shows the traceback)"]
    monkeypatch.setenv("LOYALTY_XL_DEBUG", "1")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "x.xlsx")])
    assert isinstance(result.exception, ZeroDivisionError)
