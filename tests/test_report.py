"""The monthly report workbook: built from the bundled sample, opened by LibreOffice."""

import hashlib
import re
import subprocess
import zipfile

import openpyxl
import pytest
from typer.testing import CliRunner

from loyalty_xl.cli import app
from loyalty_xl.datasets import load_sample, sample_paths
from loyalty_xl.engine import analyse
from loyalty_xl.report import TEMPLATE_DIR, build_report, default_template
from loyalty_xl.report.catalogue import BY_KEY, TABLE_COLUMNS
from loyalty_xl.report.template import LANGS, build, template_path
from tests.office import convert, require_office, soffice
from tests.workbook_compare import differences

runner = CliRunner()


@pytest.fixture(scope="module")
def sample_result():
    p = sample_paths()
    return analyse(str(p["orders"]), responses=str(p["responses"]), spend=str(p["spend"]),
                   members=str(p["members"]), events=str(p["events"]))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "report.xlsx"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def office(demo, tmp_path_factory):
    """The demo as LibreOffice sees it: recalculated and saved back, and printed to PDF."""
    require_office()
    folder = tmp_path_factory.mktemp("office")
    xlsx = convert(demo, "xlsx", folder / "xlsx")
    pdf = convert(demo, "pdf", folder / "pdf")
    # Reading order, not -layout: side-by-side charts would interleave their wrapped titles.
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return openpyxl.load_workbook(xlsx, data_only=True), text, pdf


def summary_rows(book):
    ws = book.worksheets[0]
    return {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(1, 9)]
            for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value}


def test_libreoffice_opens_recalculates_and_prints_the_demo(office, sample_result):
    book, text, pdf = office
    assert pdf.stat().st_size > 10_000
    for title in ("Net Promoter Score with 95% interval", "Retention rate", "Churn rate",
                  "Customer lifetime value and acquisition cost", "Loyalty programme"):
        assert title in " ".join(text.split()), title
    assert "Customer loyalty report 2026-10" in text
    rows = summary_rows(book)
    table = sample_result.periods
    last, previous, year_ago = table.iloc[-1], table.iloc[-2], table.iloc[-13]
    checked = 0
    for label, key in (("Net Promoter Score", "nps"), ("Churn rate", "churn_rate"),
                       ("Customer lifetime value", "customer_lifetime_value"),
                       ("Revenue", "revenue"), ("Customer acquisition cost",
                                                "customer_acquisition_cost"),
                       ("Programme participation", "participation_rate")):
        _, current, prev, change, arrow, ago, change_ago, _ = rows[label]
        assert current == pytest.approx(last[key]) and prev == pytest.approx(previous[key])
        assert ago == pytest.approx(year_ago[key])
        # The change columns are formulas: LibreOffice computed them; rates in points (pp).
        scale = 100 if BY_KEY[key].is_rate else 1
        assert change == pytest.approx(scale * (last[key] - previous[key]))
        assert change_ago == pytest.approx(scale * (last[key] - year_ago[key]))
        assert arrow == ("▲" if change > 0 else "▼" if change < 0 else "►")
        checked += 1
    assert checked == 6
    assert rows["NPS 95% interval"][1] == f"[{last.nps_low:.1f}; {last.nps_high:.1f}]"


def test_every_summary_value_equals_the_engine(demo, sample_result):
    book = openpyxl.load_workbook(demo)
    rows = summary_rows(book)
    last = sample_result.periods.iloc[-1]
    from loyalty_xl.report.template import SUMMARY_KPIS
    for key in SUMMARY_KPIS:
        assert rows[BY_KEY[key].label("en")][1] == pytest.approx(last[key]), key
    periods = book.worksheets[1]
    table = periods.tables["Periods"]
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(TABLE_COLUMNS))}14"
    assert [periods.cell(r, 1).value for r in range(2, 15)] == \
        sample_result.periods["period"].tolist()
    assert periods.cell(14, TABLE_COLUMNS.index("nps") + 1).value == pytest.approx(last.nps)
    assert periods.cell(14, 2).number_format == periods.cell(2, 2).number_format


def test_charts_cover_exactly_the_filled_periods(demo):
    book = openpyxl.load_workbook(demo)
    charts = book.worksheets[2]._charts
    assert len(charts) == 5
    refs = [s.val.numRef.f for c in charts for s in c.series]
    cats = [s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f for c in charts for s in c.series]
    assert len(refs) == 10
    assert all(re.fullmatch(r"'Periods'!\$([A-Z]+)\$2:\$\1\$14", ref) for ref in refs), refs
    label = openpyxl.utils.get_column_letter(TABLE_COLUMNS.index("period_label") + 1)
    assert all(cat == f"'Periods'!${label}$2:${label}$14" for cat in cats)
    periods = book.worksheets[1]
    assert periods[f"{label}2"].value == "Oct\u00a025"  # one line under the chart
    # retention and churn each on an axis around their own values, not 0-100%
    retention, churn = charts[1], charts[2]
    assert 0 < retention.y_axis.scaling.min < retention.y_axis.scaling.max <= 1
    assert churn.y_axis.scaling.max < 0.2
    assert all(c.x_axis.title is not None and c.y_axis.title is not None for c in charts)


def test_cohorts_quality_and_about_sheets(demo, sample_result):
    book = openpyxl.load_workbook(demo)
    cohorts, quality, about = book.worksheets[3], book.worksheets[4], book.worksheets[5]
    assert cohorts["A4"].value == "Cohorts" and cohorts["A5"].value == "2025-10"
    assert cohorts["C5"].value == 1.0 and cohorts.conditional_formatting
    assert quality["A2"].value == "Rows excluded: 10"
    values = [c.value for row in quality.iter_rows() for c in row if c.value]
    assert "duplicate order id" in values and "unparseable amount" in values
    assert any("refunds" in str(v) for v in values)
    about_text = " ".join(str(c.value) for row in about.iter_rows() for c in row if c.value)
    assert "orders: orders.csv.gz" in about_text and "2025-10 – 2026-10 (13 months)" in about_text


def test_german_report(tmp_path, sample_result):
    out = build_report(sample_result, tmp_path / "bericht.xlsx", lang="de")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Übersicht"
    assert book.worksheets[0]["A1"].value == "Kundenloyalitätsbericht 2026-10"
    assert summary_rows(book)["Abwanderungsrate"][1] == pytest.approx(
        sample_result.periods.iloc[-1].churn_rate)


def test_a_template_restyled_and_rearranged_by_a_person_still_fills(tmp_path, sample_result):
    book = openpyxl.load_workbook(default_template("en"))
    summary = book.worksheets[0]
    summary.insert_rows(3, 2)  # room for a logo
    summary["A3"] = "ACME Corp"
    summary["J2"] = "{{kpi:nps}}"  # a big NPS number in the corner
    summary["J2"].font = openpyxl.styles.Font(size=28, bold=True)
    summary["J3"] = "NPS for {{text:period}} ({{text:excluded_total}} rows excluded)"
    periods = book.worksheets[1]
    periods.cell(2, 2).font = openpyxl.styles.Font(italic=True, color="FF0000")
    custom = tmp_path / "custom.xlsx"
    book.save(custom)
    out = build_report(sample_result, tmp_path / "out.xlsx", template=custom)
    filled = openpyxl.load_workbook(out)
    ws = filled.worksheets[0]
    last = sample_result.periods.iloc[-1]
    assert ws["J2"].value == pytest.approx(last.nps)
    assert ws["J3"].value == "NPS for 2026-10 (10 rows excluded)"
    assert ws["A3"].value == "ACME Corp"
    assert filled.worksheets[1].cell(14, 2).font.italic  # the row style reached new rows


def test_text_from_data_is_never_a_formula(tmp_path):
    sample = load_sample()
    responses = sample["responses"].copy()
    evil = '=HYPERLINK("http://x","y")'
    responses.loc[responses.metric == "nps", "segment"] = evil
    result = analyse(sample["orders"], responses=responses)
    assert result.segments["segment"].tolist() == [evil]
    out = build_report(result, tmp_path / "r.xlsx", segments=result.segments)
    ws = openpyxl.load_workbook(out).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value == evil]
    assert len(cells) == 1 and cells[0].data_type == "s"
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet.split("HYPERLINK")[0][-200:]  # stored as a string, no formula
    if soffice():
        seen = openpyxl.load_workbook(convert(out, "xlsx", tmp_path / "lo"), data_only=True)
        texts = [c.value for row in seen.worksheets[0].iter_rows() for c in row]
        assert evil in texts


def test_overwrite_protection_and_the_template_is_never_written(tmp_path, sample_result):
    template = default_template("en")
    before = hashlib.sha256(template.read_bytes()).hexdigest()
    out = tmp_path / "report.xlsx"
    out.write_bytes(b"an earlier report")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 1 and "already exists; use --force" in result.output
    assert out.read_bytes() == b"an earlier report"
    assert runner.invoke(app, ["demo", "--out", str(out), "--force"]).exit_code == 0
    assert openpyxl.load_workbook(out).worksheets[0]["A1"].value.startswith("Customer")
    copy = tmp_path / "template.xlsx"
    copy.write_bytes(template.read_bytes())
    from loyalty_xl import LoyaltyXLError
    with pytest.raises(LoyaltyXLError, match="is the template itself"):
        build_report(sample_result, copy, template=copy, force=True)
    assert hashlib.sha256(template.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("cell, value, message", [
    ("B7", "{{kpi:happiness}}", "sheet 'Summary', cell B7: {{kpi:KEY[:previous|:year_ago]}} "
                                "must stand alone and name a column"),
    ("B7", "{{kpi:nps", "sheet 'Summary', cell B7: a placeholder is not closed"),
    ("C2", "{{text:weather}}", "sheet 'Summary', cell C2: unknown text placeholder"),
    ("K9", "{{chart:nps}}", "cell K9: unknown placeholder"),
])
def test_a_broken_template_names_the_cell(tmp_path, sample_result, cell, value, message):
    book = openpyxl.load_workbook(default_template("en"))
    book.worksheets[0][cell] = value
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    from loyalty_xl import LoyaltyXLError
    with pytest.raises(LoyaltyXLError, match=message.replace("[", r"\[").replace("|", r"\|")
                       .replace("{", r"\{").replace("}", r"\}")):
        build_report(sample_result, tmp_path / "out.xlsx", template=broken)
    assert not (tmp_path / "out.xlsx").exists()


def test_cli_report_with_german_template_and_errors(tmp_path):
    p = sample_paths()
    out = tmp_path / "monat.xlsx"
    result = runner.invoke(app, ["report", "--orders", str(p["orders"]), "--responses",
                                 str(p["responses"]), "--period", "2026-06", "--periods", "7",
                                 "--lang", "de", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.worksheets[0]["A1"].value == "Kundenloyalitätsbericht 2026-06"
    result = runner.invoke(app, ["report", "--orders", str(p["orders"]), "--out",
                                 str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "--out must be an .xlsx workbook" in result.output
    result = runner.invoke(app, ["report", "--orders", str(p["orders"]), "--currency", "dollars",
                                 "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "three-letter code" in result.output


def test_committed_templates_are_what_the_generator_writes(tmp_path):
    from loyalty_xl.files import save_workbook_reproducibly

    for lang in LANGS:
        fresh = save_workbook_reproducibly(build(lang), template_path(tmp_path, lang))
        committed = template_path(TEMPLATE_DIR, lang)
        assert not differences(committed, fresh), \
            f"{committed.name} differs; run python -m loyalty_xl.report.template"


def test_openpyxl_reads_workbooks_through_defusedxml():
    from openpyxl import xml

    assert xml.DEFUSEDXML is True


def test_weekly_report_compares_with_a_year_earlier_beyond_the_shown_periods(tmp_path):
    p = sample_paths()
    out = tmp_path / "weekly.xlsx"
    result = runner.invoke(app, ["report", "--orders", str(p["orders"]), "--period-type",
                                 "week", "--periods", "20", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    engine = analyse(str(p["orders"]), period="week", periods=53).periods
    rows = summary_rows(book)
    assert rows["Orders"][5] == engine.iloc[-53]["orders"]  # 52 weeks earlier
    assert rows["Net Promoter Score"][1] == "–"  # no survey input: a dash, right-aligned
    assert book.worksheets[0]["B5"].alignment.horizontal == "right"
    periods = book.worksheets[1]
    assert periods.tables["Periods"].ref.endswith("21")  # 20 weeks shown
    assert periods["A21"].value == engine.iloc[-1]["period"]
    assert book.worksheets[3]["A24"].value == engine.iloc[-1]["period"]  # last shown cohort


def test_segments_from_the_result_in_columns_and_a_currency(tmp_path, sample_result):
    out = build_report(sample_result, tmp_path / "r.xlsx", currency="USD")  # no segments=
    ws = openpyxl.load_workbook(out).worksheets[0]
    rows = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(1, 6)]
            for r in range(1, ws.max_row + 1)}
    segments = sample_result.segments.set_index("segment")
    assert rows["Segment"] == ["Segment", "Answers", "NPS", "95% low", "95% high"]
    for name in segments.index:
        _, n, nps, low, high = rows[name]
        assert (n, nps, low, high) == pytest.approx(tuple(segments.loc[name, ["n", "nps", "low",
                                                                              "high"]]))
    revenue = next(r for r in range(5, 40) if ws.cell(r, 1).value == "Revenue")
    assert ws.cell(revenue, 2).number_format == '"$"#,##0.00'
    assert '"$"' in ws.cell(revenue, 4).number_format
    churn = next(r for r in range(5, 40) if ws.cell(r, 1).value == "Churn rate")
    assert ws.cell(churn, 4).number_format.startswith('+0.0" pp"')
    # the year-ago period (2025-10) is a warm-up period: marked, not coloured
    assert ws.cell(churn, 8).value == "warm-up"
    coloured = {str(cf.sqref) for cf in ws.conditional_formatting}
    assert f"G{churn}:H{churn}" not in coloured and f"D{churn}:E{churn}" in coloured


def test_german_report_is_german(tmp_path, sample_result):
    out = build_report(sample_result, tmp_path / "de.xlsx", lang="de")
    book = openpyxl.load_workbook(out)
    quality, about = book.worksheets[4], book.worksheets[5]
    values = [str(c.value) for ws in (quality, about) for row in ws.iter_rows() for c in row
              if c.value is not None]
    text = " ".join(values)
    for english in ("refunds", "duplicate order id", "months", "activity window", "row ",
                    "orders:", "unparseable"):
        assert english not in text, english
    assert "(13 Monate)" in text and "doppelte Bestellnummer" in text and "Erstattungen" in text


def test_quality_sheet_says_how_each_input_was_read(tmp_path):
    """Issue 9: the detected encoding, delimiter, decimal separator and date format are on the
    data-quality sheet, as on the command line (here a German Excel export)."""
    orders = tmp_path / "bestellungen.csv"
    orders.write_bytes("Kunde;Datum;Betrag\nMüller;31.12.2025;1.234,56\nA;02.01.2026;12,50\n"
                       "B;15.01.2026;7,00\n".encode("cp1252"))
    out = tmp_path / "report.xlsx"
    result = runner.invoke(app, ["report", "--orders", str(orders), "--map", "customer_id=Kunde",
                                 "--map", "order_date=Datum", "--map", "amount=Betrag",
                                 "--lang", "de", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)["Datenqualität"]
    rows = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if "Gelesen als" in r)
    read_as = next(r for r in rows if r and r[0] == "Bestellungen")[header.index("Gelesen als")]
    assert read_as == ("Windows-1252, Trennzeichen ';', Datumsformat dd.mm.yyyy, "
                       "Dezimalzeichen ,"), read_as


def test_year_ago_comparison_marks_value_kpis_without_a_full_trailing_window(tmp_path):
    """The sample starts 2024-11: a year before 2025-12 the 12-month window of the value KPIs
    holds two months of data, so those comparisons are warm-up, not better or worse."""
    p = sample_paths()
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", "--orders", str(p["orders"]), "--period", "2025-12",
                                 "--periods", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True)
            if r and r[0]}
    for label in ("Repeat purchase rate", "Purchase frequency", "Customer lifetime value",
                  "Retention rate"):
        assert rows[label][-1] == "warm-up", label
    assert rows["Average purchase value"][-1] != "warm-up"  # a mean: no window to fill


def test_a_comparison_period_before_the_first_order_shows_a_dash(tmp_path):
    """The sample's first order is in 2024-11: a year before 2025-02 there is no data, so the
    year-earlier column is '–' (not zero orders with a green arrow)."""
    p = sample_paths()
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", "--orders", str(p["orders"]), "--period", "2025-02",
                                 "--periods", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True)
            if r and r[0]}
    header = next(r for r in rows.values() if "Same period last year" in r)
    at = header.index("Same period last year")
    assert rows["Orders"][at] == "–" and rows["Revenue"][at] == "–"
    assert isinstance(rows["Orders"][at - 3], (int, float))  # this period has orders
