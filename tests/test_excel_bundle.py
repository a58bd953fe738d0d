"""The generated xlwings Lite main.py and xlwings Server module, run where loyalty_xl is absent.

A virtual environment with only numpy, pandas and xlwings (the versions of this one) runs each
generated file through xlwings' Office.js dispatch (tests/bundle_harness.py); the package runs
the same calls through tests/officejs_harness.py. Registration and every result must be
identical, on the contract tests' inputs (blanks as "" and None, error cells, serial dates, a
single blank cell, text, 1,000,000 cells) and on a generic matrix that every function, present
or future, is called with.
"""

import importlib.metadata
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from loyalty_xl import __version__, excel_bundle, udfs
from tests.test_udfs_officejs import OfficeJS

HARNESS = Path(__file__).with_name("bundle_harness.py")
PACKAGES = ("numpy", "pandas", "xlwings")


def _venv_python() -> Path:
    """A venv with numpy, pandas and xlwings pinned to this environment's versions and no
    loyalty_xl; kept between runs in the temp folder (pip's cache makes a new one ~15 s)."""
    pins = [f"{p}=={importlib.metadata.version(p)}" for p in PACKAGES]
    tag = "-".join(pin.replace("==", "") for pin in pins)
    folder = Path(tempfile.gettempdir()) / f"loyalty_xl-bundle-venv-py{sys.version_info[0]}" \
        f"{sys.version_info[1]}-{tag}"
    python = folder / "bin" / "python"
    if not python.exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    check = subprocess.run([str(python), "-I", "-c",
                            "import importlib.util as u, numpy, xlwings; "
                            "print(u.find_spec('loyalty_xl') is None)"],
                           capture_output=True, text=True, cwd=tempfile.gettempdir())
    assert check.stdout.strip() == "True", f"the bundle venv can import loyalty_xl: {check}"
    return python


class Bundle(OfficeJS):
    """The same protocol as the package's harness, in the venv without loyalty_xl."""

    def __init__(self, python, kind, path):
        self.process = subprocess.Popen([str(python), "-I", str(HARNESS), kind, str(path)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=tempfile.gettempdir())
        ready = json.loads(self.process.stdout.readline())
        assert "loyalty_xl.udfs" in ready["ready"], ready


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from typer.testing import CliRunner

    from loyalty_xl.cli import app

    folder = tmp_path_factory.mktemp("excel")
    for runtime in ("lite", "server"):
        result = CliRunner().invoke(app, ["excel", runtime, "--out", str(folder), "--force"])
        assert result.exit_code == 0, result.output
    return {"lite": folder / "main.py", "server": folder / "custom_functions" / "loyalty_kpis.py",
            "requirements": folder / "requirements.txt"}


def _close(runtime):
    runtime.process.stdin.close()
    runtime.process.wait(timeout=60)


@pytest.fixture(scope="module")
def package():
    runtime = OfficeJS()
    yield runtime
    _close(runtime)


@pytest.fixture(scope="module", params=["lite", "server"])
def bundle(request, generated):
    runtime = Bundle(_venv_python(), request.param, generated[request.param])
    yield runtime
    _close(runtime)


def col(*values):
    return [[v] for v in values]


ARTICLE = col(*([10] * 90 + [8] * 70 + [3] * 40))
NA = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
_scores = np.random.default_rng(7).integers(0, 11, 1_000_000).tolist()
MILLION = [[""] if i % 17 == 0 else [s] for i, s in enumerate(_scores)]

CASES = {
    "nps article": ("NPS", ARTICLE, None),
    "nps blanks '' and None in a column": ("NPS", col(10, "", 9, None, 0, ""), None),
    "nps single blank cell": ("NPS", None),
    "nps 2-d range": ("NPS", [[10, "", 0], ["", 9, ""]]),
    "nps text": ("NPS", col(10, "ten")),
    "nps error cell": ("NPS", [[10, NA]]),
    "nps off scale": ("NPS", col(10, 11)),
    "nps weights": ("NPS", col(10, 0), col(3, 1)),
    "nps 1,000,000 cells": ("NPS", MILLION),
    "breakdown": ("NPS_BREAKDOWN", ARTICLE, None),
    "interval": ("NPS_INTERVAL", ARTICLE, None, None, None),
    "interval wald 90%": ("NPS_INTERVAL", ARTICLE, [[0.9]], [["wald"]], None),
    "interval bad confidence": ("NPS_INTERVAL", ARTICLE, [[2]], None, None),
    "test": ("NPS_TEST", ARTICLE, col(*([10] * 60 + [8] * 80 + [3] * 60)), None),
    "by segment": ("NPS_BY", col(10, 0, 9, ""), col("north", "south", "north", "x"), None),
    "csat": ("CSAT", col(5, 4, 3, "", 1), [["1-5"]], None, None),
    "csat threshold": ("CSAT", col(5, 4, 3, 1), [["1-5"]], [[3]], None),
    "csat no scale": ("CSAT", col(5), None, None, None),
    "csat bad scale": ("CSAT", col(5), [["1-6"]], None, None),
    "csat mean": ("CSAT_MEAN", col(5, 4, 3, "", 1), [["1-5"]], None),
    "ces": ("CES", col(7, 6, 2), None, None, None, None),
    "ces share reversed": ("CES", col(1, 2, 5), [["1-5"]], [["share"]], [[True]], None),
    "cli": ("CLI", col(1, 6), col(2, ""), col(3, 4), None, None, None),
    "cli own points": ("CLI", [[2]], [[2]], [[3]], [["points"]], [[10, 8, 6, 4, 2, 0]], None),
    "retention per period": ("RETENTION_RATE", col(200, 100), col(180, 100), [[25]]),
    "retention zero": ("RETENTION_RATE", [[0]], [[0]], [[0]]),
    "retention inconsistent": ("RETENTION_RATE", [[100]], [[150]], [[20]]),
    "churn": ("CHURN_RATE", [[200]], [[30]], None, None, None),
    "churn complement": ("CHURN_RATE", [[200]], None, [[25]], [[70]], [["complement"]]),
    "repeat": ("REPEAT_PURCHASE_RATE", col("a", "b", "a", "")),
    "repeat numeric ids": ("REPEAT_PURCHASE_RATE", col(7, 7, 8)),
    "returning": ("RETURNING_RATIO", col("a", "b", "a", "")),
    "apv": ("AVG_PURCHASE_VALUE", [[20000]], [[400]]),
    "frequency": ("PURCHASE_FREQUENCY", [[400]], [[180]]),
    "customer value": ("CUSTOMER_VALUE", [[50]], [[2]]),
    "clv": ("CLV", [[50]], [[400 / 180]], [[5]], None),
    "clv margin": ("CLV", [[50]], [[2]], [[5]], [[0.5]]),
    "cac": ("CAC", [[9000]], [[50]], [[1000]]),
    "cac zero": ("CAC", [[100]], [[0]], None),
    "clv cac": ("CLV_CAC_RATIO", [[600]], [[200]]),
    "participation": ("PARTICIPATION_RATE", [[450]], [[1800]]),
    "redemption carry over": ("REDEMPTION_RATE", [[9]], [[8]], [[True]]),
    "redemption bad flag": ("REDEMPTION_RATE", [[1]], [[2]], [["maybe"]]),
    "engagement row": ("ACTIVE_ENGAGEMENT_RATE", [[270, 0]], [[450, 0]]),
    "lifespan serial dates": ("CUSTOMER_LIFESPAN", col("a", "a", ""), col(44927, 46388, "")),
    "lifespan text date": ("CUSTOMER_LIFESPAN", col("a", "b"), col(45000, "soon")),
    "lifespan error date": ("CUSTOMER_LIFESPAN", col("a", "b"), col(45000, NA)),
    "cohorts": ("COHORT_RETENTION", col("a", "b", "a"), col(46023, 46054, 46054), None),
    "cohorts by quarter": ("COHORT_RETENTION", col("a", "b", "a", "c"),
                           col(46023, 46054, 46154, 46300), [["quarter"]]),
}

# Every Excel function (also ones added later) gets these, one value per argument.
GENERIC = {
    "all blank": lambda n: [None] * n,
    "numbers with blanks": lambda n: [col(1, "", 2, None)] * n,
    "single cells": lambda n: [[[3]]] * n,
    "text": lambda n: [col("x", "")] * n,
    "error cell": lambda n: [[[NA]]] * n,
}


def test_every_function_is_registered_exactly_as_by_the_package(package, bundle):
    ours = package.ask({"op": "meta"})
    theirs = bundle.ask({"op": "meta"})
    assert theirs == ours
    names = {f["name"] for f in theirs["functions"]}
    assert names == set(udfs.__all__)
    for f in theirs["functions"]:
        assert f["description"].strip() and f["parameters"], f["name"]
        for param in f["parameters"]:
            assert param["description"] and not param["description"].startswith("Positional")


@pytest.mark.parametrize("case", CASES)
def test_results_equal_the_package(package, bundle, case):
    name, *args = CASES[case]
    expected = package.call(name, *args)
    assert bundle.call(name, *args) == expected
    if case == "nps article":
        assert expected == [[25.0]]  # and the package is right


def raw(runtime, name, args):
    """The harness's answer as is: a result, or the exception the dispatch raised."""
    runtime.process.stdin.write(json.dumps({"op": "call", "func_name": name, "args": args})
                                + "\n")
    runtime.process.stdin.flush()
    return json.loads(runtime.process.stdout.readline())


def test_generic_matrix_equals_the_package_for_every_function(package, bundle):
    meta = {f["name"]: f for f in package.ask({"op": "meta"})["functions"]}
    assert set(meta) == set(udfs.__all__)
    for name, f in sorted(meta.items()):
        for label, make in GENERIC.items():
            args = make(len(f["parameters"]))
            assert raw(bundle, name, args) == raw(package, name, args), (name, label)


KNOWN = {"NPS", "NPS_BREAKDOWN", "NPS_INTERVAL", "NPS_TEST", "NPS_BY", "CSAT", "CSAT_MEAN", "CES",
         "CLI", "RETENTION_RATE", "CHURN_RATE", "REPEAT_PURCHASE_RATE", "RETURNING_RATIO",
         "AVG_PURCHASE_VALUE", "PURCHASE_FREQUENCY", "CUSTOMER_VALUE", "CUSTOMER_LIFESPAN", "CLV",
         "CAC", "CLV_CAC_RATIO", "COHORT_RETENTION", "PARTICIPATION_RATE", "REDEMPTION_RATE",
         "ACTIVE_ENGAGEMENT_RATE"}


def test_the_cases_cover_every_function():
    """Hand-picked cases for the functions of this writing; later ones get GENERIC only."""
    assert {name for name, *_ in CASES.values()} == KNOWN & set(udfs.__all__)


def test_committed_lite_main_is_what_the_generator_writes():
    committed = excel_bundle.COMMITTED_LITE.read_text(encoding="utf-8")
    assert excel_bundle.embedded_digest(committed) == excel_bundle.collect().digest, (
        "a bundled source changed: run python -m loyalty_xl.excel_bundle")
    assert committed == excel_bundle.lite_main(), "run python -m loyalty_xl.excel_bundle"
    assert f"# loyalty_xl version: {__version__}" in committed


def test_a_changed_source_makes_the_committed_file_stale(tmp_path):
    copy = tmp_path / "loyalty_xl"
    shutil.copytree(excel_bundle.PACKAGE_DIR, copy,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    committed = excel_bundle.embedded_digest(excel_bundle.COMMITTED_LITE.read_text())
    assert excel_bundle.collect(copy).digest == committed
    survey = copy / "kpis" / "survey.py"
    survey.write_text(survey.read_text().replace("100 *", "100.0 *", 1))
    assert excel_bundle.collect(copy).digest != committed
    assert excel_bundle.embedded_digest(excel_bundle.lite_main(root=copy)) != committed


def test_modules_and_requirements_follow_the_imports(tmp_path):
    copy = tmp_path / "loyalty_xl"
    shutil.copytree(excel_bundle.PACKAGE_DIR, copy,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    before = excel_bundle.collect(copy)
    assert "loyalty_xl.engine" not in before.sources  # never the engine
    assert "loyalty_xl.kpis.survey" in before.sources
    assert [r.name for r in before.requirements] == ["xlwings", "numpy", "pandas", "scipy"]
    assert [r.lazy for r in before.requirements] == [False, False, True, True]
    # A new KPI module that udfs reaches, with a lazy scipy import, is bundled and required.
    (copy / "kpis" / "newkpi.py").write_text(
        "from loyalty_xl.kpis._inputs import divide\n\n\n"
        "def model(x):\n    from scipy import special\n    return special.expit(x)\n")
    init = copy / "kpis" / "__init__.py"
    init.write_text(init.read_text() + "\nfrom loyalty_xl.kpis.newkpi import model  # noqa\n")
    after = excel_bundle.collect(copy)
    assert "loyalty_xl.kpis.newkpi" in after.sources
    scipy = [r for r in after.requirements if r.name == "scipy"]
    assert scipy and scipy[0].lazy and "loyalty_xl.kpis.newkpi" in scipy[0].modules
    assert "scipy  # imported only when needed" in excel_bundle.requirements_txt(root=copy)


def test_requirements_txt_names_what_lite_installs(generated):
    lines = [line.split("#")[0].strip() for line in generated["requirements"].read_text()
             .splitlines() if line.split("#")[0].strip()]
    assert [line.split(">")[0].split("=")[0] for line in lines] == ["xlwings", "numpy", "pandas",
                                                                     "scipy"]


def test_generated_file_loads_again_after_an_edit(tmp_path):
    """Lite runs main.py again after each edit: a changed bundle replaces the loaded one."""
    code = (
        "import sys\n"
        "ns = {'__name__': 'main'}\n"
        "exec(open(sys.argv[1]).read(), ns)\n"
        "first = sys.modules['loyalty_xl.udfs']\n"
        "exec(open(sys.argv[1]).read(), ns)\n"
        "assert sys.modules['loyalty_xl.udfs'] is first  # same bundle: kept\n"
        "exec(open(sys.argv[2]).read(), ns)\n"
        "assert sys.modules['loyalty_xl.udfs'] is not first\n"
        "print(ns['NPS']([[10], [0], [0]]), sum(hasattr(f, 'loyalty_xl_bundle') "
        "for f in sys.meta_path))\n")
    edited = excel_bundle.lite_main().replace("return cells.number(kpis.net_promoter_score(",
                                              "return 1 + cells.number(kpis.net_promoter_score(")
    (tmp_path / "a.py").write_text(excel_bundle.lite_main())
    (tmp_path / "b.py").write_text(edited)
    out = subprocess.run([str(_venv_python()), "-I", "-c", code, str(tmp_path / "a.py"),
                          str(tmp_path / "b.py")], capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    assert out.stdout.split() == [str(1 - 100 / 3), "1"]
