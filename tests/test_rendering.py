"""Every sheet of the report and of every staff template (en, de), printed by LibreOffice.

One soffice run prints all of them to PDF. Every text cell's full text must be in the PDF text
(nothing cut off by a narrow column, an overprinted row or the page edge), and no page may be
blank. The definitions on the About sheet name the settings in force.
"""

import re
import subprocess

import openpyxl
import pytest

from loyalty_xl.datasets import sample_paths
from loyalty_xl.engine import analyse
from loyalty_xl.report import TEMPLATE_DIR, build_report
from loyalty_xl.staff_templates import BUILDERS, file_name
from tests.office import convert_many, require_office


def pdf_text(pdf, page=None):
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def page_count(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info)[1])


def text_cells(path):
    """Every literal text cell (not a formula) of every sheet, within its print area."""
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets:
        limit = None
        if ws.print_area:
            last = re.findall(r"\$?([A-Z]+)\$?(\d+)", str(ws.print_area))[-1]
            limit = int(last[1])
        for row in ws.iter_rows(max_row=limit):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.strip() and \
                        not cell.value.startswith("="):
                    yield ws.title, cell.coordinate, cell.value


def flat(text):
    """Text without white space and hyphens (pdftotext joins a word hyphenated at a line end)."""
    return re.sub(r"[\s\-\u00ad]+", "", text)


def printed_in_full(value, text, reach=400):
    """The whole value is in the printed text: as one run, or, where reading order interleaves
    a wrapped cell with its neighbours' lines, word after word, each close after the last.
    A cut-off word ("geles" for "gelesen") or a lost last line fails both."""
    if flat(value) in text:
        return True
    words = [w for w in (flat(w) for w in value.split()) if w]
    start = text.find(words[0])
    while start >= 0:  # from every place the first word is printed
        at = start + len(words[0]) - 1
        for word in words[1:]:
            found = text.find(word, at + 1, at + 1 + reach + len(word))
            if found < 0:
                break
            at = found + len(word) - 1
        else:
            return True
        start = text.find(words[0], start + 1)
    return False


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    require_office()
    folder = tmp_path_factory.mktemp("render")
    p = sample_paths()
    result = analyse(str(p["orders"]), responses=str(p["responses"]), spend=str(p["spend"]),
                     members=str(p["members"]), events=str(p["events"]))
    books = [build_report(result, folder / f"report_{lang}.xlsx", lang=lang)
             for lang in ("en", "de")]
    books += [TEMPLATE_DIR / file_name(kind, lang) for kind in BUILDERS for lang in ("en", "de")]
    # The check must be able to fail: a header cut off by its neighbour, and instructions
    # wider than the page (LibreOffice does not shrink a one-column sheet to fit).
    broken = openpyxl.load_workbook(TEMPLATE_DIR / file_name("retention", "de"))
    broken.worksheets[0].column_dimensions["A"].width = 110
    broken.worksheets[2]["D3"] = "Zeilen ausgeschlossen"
    broken.worksheets[2]["E3"] = "x"
    broken.save(folder / "broken.xlsx")
    books.append(folder / "broken.xlsx")
    pdfs = convert_many(books, "pdf", folder / "pdf")
    return list(zip(books, pdfs))


@pytest.mark.office
def test_every_text_cell_is_printed_in_full_and_no_page_is_blank(printed):
    missing, blank, checked = [], [], 0
    for book, pdf in printed:
        printed_text = flat(pdf_text(pdf))
        for sheet, where, value in text_cells(book):
            checked += 1
            if not printed_in_full(value, printed_text):
                missing.append(f"{book.name} {sheet}!{where}: {value[:80]!r}")
        for page in range(1, page_count(pdf) + 1):
            if not pdf_text(pdf, page).strip():
                blank.append(f"{pdf.name} page {page}")
    broken = [m for m in missing if m.startswith("broken.xlsx")]
    assert not set(missing) - set(broken), "\n".join(missing)
    assert any("!D3" in m for m in broken) and any("Anleitung!" in m for m in broken), broken
    assert not blank, blank
    assert checked > 500


@pytest.mark.office
def test_instructions_print_on_one_page(printed):
    for book, pdf in printed:
        if book.name.startswith(("report", "broken")):
            continue
        first = flat(pdf_text(pdf, 1))
        lines = [c[2] for c in text_cells(book) if c[0] in ("Instructions", "Anleitung")]
        assert lines and all(flat(line) in first for line in lines), book.name


def test_definitions_name_the_settings_in_force(tmp_path):
    p = sample_paths()
    result = analyse(str(p["orders"]), period="week", periods=10, activity_days=90,
                     trailing_months=6, engagement_days=30)
    for lang, words in (("en", ["activity window: 90 days", "last 6 months", "weeks",
                                "in the week", "last 30 days", "(10 weeks)"]),
                        ("de", ["Aktivitätsfenster: 90 Tage", "letzte 6 Monate", "Wochen",
                                "in der Woche", "letzten 30 Tagen", "(10 Wochen)"])):
        out = build_report(result, tmp_path / f"weekly_{lang}.xlsx", lang=lang)
        book = openpyxl.load_workbook(out)
        about = " ".join(str(c.value) for row in book.worksheets[-1].iter_rows() for c in row
                         if c.value)
        cohorts = book.worksheets[3]["A1"].value
        for word in words:
            assert word in about, (lang, word)
        for default in ("365", "12 months", "12 Monate", "last 90 days", "letzten 90 Tagen"):
            assert default not in about, (lang, default)
        assert ("week" in cohorts) if lang == "en" else ("Woche" in cohorts)
