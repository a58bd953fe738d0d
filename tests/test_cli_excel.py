"""loyalty-xl excel classic|lite|server: the set-up files for each runtime."""

import ast

from typer.testing import CliRunner

from loyalty_xl import __version__
from loyalty_xl.cli import app

runner = CliRunner()


def test_classic_writes_xlwings_conf(tmp_path):
    result = runner.invoke(app, ["excel", "classic", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    conf = (tmp_path / "xlwings.conf").read_text()
    assert '"UDF MODULES","loyalty_xl.udfs"' in conf
    assert "Licence: xlwings (open source" in result.output
    assert "Import Functions" in result.output


def test_lite_writes_main_and_requirements(tmp_path):
    result = runner.invoke(app, ["excel", "lite", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    main = (tmp_path / "main.py").read_text()
    ast.parse(main)
    namespace = {}
    exec(main, namespace)  # what xlwings Lite runs: the functions must be module members
    assert "NPS" in namespace and hasattr(namespace["NPS"], "__wrapped__")
    assert f"loyalty-xl=={__version__}" in (tmp_path / "requirements.txt").read_text()
    assert "free for personal and commercial use" in result.output


def test_server_writes_custom_functions_module(tmp_path):
    result = runner.invoke(app, ["excel", "server", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    module = (tmp_path / "custom_functions" / "loyalty_kpis.py").read_text()
    assert "from loyalty_xl.udfs import *" in module
    assert "PolyForm Noncommercial" in result.output


def test_refuses_to_overwrite_without_force(tmp_path):
    (tmp_path / "xlwings.conf").write_text("mine")
    result = runner.invoke(app, ["excel", "classic", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "already exists; use --force" in result.output
    assert (tmp_path / "xlwings.conf").read_text() == "mine"
    assert runner.invoke(app, ["excel", "classic", "--out", str(tmp_path), "--force"]).exit_code == 0
    assert "loyalty_xl.udfs" in (tmp_path / "xlwings.conf").read_text()


def test_unknown_runtime_is_an_error():
    result = runner.invoke(app, ["excel", "desktop"])
    assert result.exit_code == 1
    assert "loyalty-xl: error: runtime must be one of classic, lite, server" in result.output
