"""The golden-file comparison itself can fail: a changed format, formula or table is found."""

import openpyxl

from loyalty_xl.report import TEMPLATE_DIR
from tests.workbook_compare import differences


def test_a_workbook_equals_itself_and_a_change_is_found(tmp_path):
    committed = TEMPLATE_DIR / "retention_kpis_en.xlsx"
    assert differences(committed, committed) == []
    for change in ("format", "formula", "width"):
        book = openpyxl.load_workbook(committed)
        ws = book.worksheets[1]
        cell = next(c for row in ws.iter_rows() for c in row
                    if isinstance(c.value, str) and c.value.startswith("="))
        if change == "format":
            cell.number_format = "0.000"
        elif change == "formula":
            cell.value = cell.value + "+0"
        else:
            ws.column_dimensions["B"].width = 99
        changed = tmp_path / f"{change}.xlsx"
        book.save(changed)
        assert differences(committed, changed), change
