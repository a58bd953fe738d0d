"""The engine's per-customer summary (engine/rfm.py) and the report's customer-value sheet."""

import dataclasses
import subprocess

import openpyxl
import pandas as pd
import pytest

import loyalty_xl as lx
from loyalty_xl.datasets import sample_paths
from loyalty_xl.engine import analyse
from loyalty_xl.report import build_report
from loyalty_xl.report.customer_value import AT_RISK_BELOW, HORIZON_MONTHS
from tests.office import convert, require_office


def test_engine_customer_summary_equals_rfm_summary_of_the_same_purchases():
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "c", "a", "b"],
        "order_date": ["2026-01-03", "2026-01-03", "2026-02-10", "2026-02-20", "2026-01-15",
                       "2026-03-30", "2026-03-01", "2026-04-02", "2026-02-01"],
        "amount": [10.0, 5.0, 30.0, -8.0, 20.0, 40.0, 7.0, 99.0, 0.0],
    })
    result = analyse(orders, until="2026-03", predict=True)
    # Refunds are not purchases; orders after the report's last day (April) are not history.
    kept = orders[(orders.amount >= 0) & (orders.order_date <= "2026-03-31")]
    expected = lx.rfm_summary(kept.customer_id, kept.order_date, kept.amount, end="2026-03-31")
    pd.testing.assert_frame_equal(result.customer_summary, expected)
    assert result.customer_summary.attrs == {"unit": "W", "end": "2026-03-31"}
    assert analyse(orders).customer_summary is None  # only when asked for


@pytest.fixture(scope="module")
def sample_with_prediction():
    return analyse(str(sample_paths()["orders"]), predict=True)


@pytest.fixture(scope="module")
def report(sample_with_prediction, tmp_path_factory):
    out = tmp_path_factory.mktemp("cv") / "report.xlsx"
    build_report(sample_with_prediction, out)
    return out


def sheet_rows(path, name="Customer value"):
    ws = openpyxl.load_workbook(path)[name]
    return [[c for c in row] for row in ws.iter_rows(values_only=True)]


def block(rows, title):
    """The rows of the table under ``title`` (after its header row), up to a blank row."""
    start = next(i for i, row in enumerate(rows) if row[0] and str(row[0]).startswith(title))
    out = []
    for row in rows[start + 2:]:
        if row[0] is None:
            break
        out.append(row)
    return out


def test_customer_value_sheet_shows_the_fits_deciles_and_customers_at_risk(
        sample_with_prediction, report):
    summary = sample_with_prediction.customer_summary
    table = lx.predict_clv(summary, horizon_months=HORIZON_MONTHS)
    bg, gg = table.attrs["bgnbd"], table.attrs["gamma_gamma"]
    rows = sheet_rows(report)
    assert rows[0][0] == f"Predicted customer value (next {HORIZON_MONTHS} months)"
    params = {row[0]: row[1] for row in block(rows, "Fitted models")}
    assert params["r (purchase rate shape)"] == pytest.approx(bg.r)
    assert params["b (dropout shape)"] == pytest.approx(bg.b)
    assert params["v (spend scale)"] == pytest.approx(gg.v)
    assert params["Customers"] == len(summary)

    deciles = block(rows, "Predicted CLV by decile")
    assert [r[0] for r in deciles[:10]] == [str(k) for k in range(1, 11)]
    assert sum(r[1] for r in deciles[:10]) == len(summary)
    means = [r[2] for r in deciles[:10]]
    assert means == sorted(means)
    total = next(r for r in deciles if r[0] == "Total predicted CLV")
    assert total[2] == pytest.approx(table["clv"].sum())

    at_risk = block(rows, "Most at risk")
    assert 0 < len(at_risk) <= 20
    spent = [r[2] for r in at_risk]
    assert spent == sorted(spent, reverse=True)
    for customer, purchases, repeat_spend, weeks, p_alive, clv, *_ in at_risk:
        assert p_alive < AT_RISK_BELOW
        assert p_alive == pytest.approx(table.loc[customer, "p_alive"])
        assert clv == pytest.approx(table.loc[customer, "clv"])
        assert repeat_spend == pytest.approx(purchases * summary.loc[customer, "monetary_value"])
    ws = openpyxl.load_workbook(report)["Customer value"]
    assert len(ws._charts) == 1


def test_customer_value_sheet_says_why_when_the_data_cannot_support_a_fit(
        sample_with_prediction, tmp_path):
    small = dataclasses.replace(sample_with_prediction,
                                customer_summary=sample_with_prediction.customer_summary.head(8))
    build_report(small, tmp_path / "de.xlsx", lang="de")
    rows = sheet_rows(tmp_path / "de.xlsx", "Kundenwert")
    assert rows[3][0] == ("Keine Vorhersage: the BG/NBD model needs at least 10 customers "
                          "with repeat purchases; got 8.")


@pytest.mark.office
def test_libreoffice_prints_the_customer_value_sheet(report, tmp_path):
    require_office()
    pdf = convert(report, "pdf", tmp_path)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("Predicted customer value", "Mean predicted CLV per decile",
                  "Most at risk", "Weeks since"):
        assert words in text


def test_command_line_report_with_predict_adds_the_sheet(tmp_path):
    from typer.testing import CliRunner

    from loyalty_xl.cli import app

    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(app, ["report", "--orders", str(sample_paths()["orders"]),
                                      "--predict", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames[-1] == "Customer value"
