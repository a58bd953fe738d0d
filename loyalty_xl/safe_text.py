"""Making text from untrusted inputs safe for every output: workbook cells, CSV, the terminal.

Every value loyalty-xl writes passes through one of these:

- :func:`cell_text` for a workbook cell: characters that XML 1.0 cannot hold (control
  characters other than tab, line feed and carriage return; lone surrogates; U+FFFE, U+FFFF)
  become U+FFFD and are counted. Whether text stays text (never a formula) is the writer's
  part: openpyxl cells get ``data_type = "s"`` (:func:`text_cells_only`).
- :func:`csv_text` for a text field of a CSV file: the OWASP rule against CSV injection, a
  leading apostrophe before text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return, so that Excel or LibreOffice opening the file shows the text instead of
  running a formula. Numbers are not text and are left alone.
- :func:`terminal_text` for anything echoed to a terminal: ANSI/VT escape sequences (CSI, OSC,
  ...), other control characters and bidirectional overrides are removed, so a CSV header
  cannot recolour, retitle or rewrite the user's terminal.

Replacements are counted in :func:`counting` blocks, so the command line can say how many
characters it had to replace.
"""

from __future__ import annotations

import contextlib
import contextvars
import re

REPLACEMENT = "\ufffd"

# What XML 1.0 (and so openpyxl) refuses: C0 controls but tab, LF and CR; surrogates; FFFE/FFFF.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ESC sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings,
# two-character escapes; the 8-bit C1 forms of CSI (0x9b) and OSC (0x9d) as well.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_counter: contextvars.ContextVar[list | None] = contextvars.ContextVar("safe_text_counter",
                                                                      default=None)


@contextlib.contextmanager
def counting():
    """Count the characters :func:`cell_text` replaces within the block.

    Examples
    --------
    >>> with counting() as replaced:
    ...     _ = cell_text("a\\x00b\\x07")
    >>> replaced[0]
    2
    """
    box = [0]
    token = _counter.set(box)
    try:
        yield box
    finally:
        _counter.reset(token)


def cell_text(value):
    """``value`` with what a workbook cannot hold replaced by U+FFFD; non-text unchanged.

    Examples
    --------
    >>> cell_text("Nord\\x0bSüd")
    'Nord�Süd'
    >>> cell_text(3.5)
    3.5
    """
    if not isinstance(value, str):
        return value
    cleaned, n = ILLEGAL_XML.subn(REPLACEMENT, value)
    if n:
        box = _counter.get()
        if box is not None:
            box[0] += n
    return cleaned


def csv_text(value):
    """A CSV field that a spreadsheet will not run as a formula (OWASP), XML-safe as well.

    Examples
    --------
    >>> csv_text("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> csv_text("-5"), csv_text("2026-10"), csv_text(-5)
    ("'-5", '2026-10', -5)
    """
    if not isinstance(value, str):
        return value
    value = cell_text(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def terminal_text(text) -> str:
    """``text`` without terminal escape sequences, control characters or bidi overrides.

    Tabs and line breaks become spaces (messages are one line).

    Examples
    --------
    >>> terminal_text("no column \\x1b[31mred\\x1b[0m \\x1b]0;pwned\\x07x\\ty")
    'no column red x y'
    """
    text = _ESCAPES.sub("", str(text))
    text = text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return _CONTROLS.sub("", text)


def text_cells_only(worksheet) -> int:
    """Make every formula cell of ``worksheet`` a text cell; return how many there were.

    For sheets written from data (pandas' ``to_excel`` turns a string starting with ``=``
    into a formula); not for templates, whose formulas are meant.
    """
    changed = 0
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
                changed += 1
    return changed


def frame_for_output(frame, field):
    """A copy of a DataFrame whose text values and column names pass through ``field``
    (:func:`cell_text` or :func:`csv_text`)."""
    out = frame.copy()
    out.columns = [field(c) for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(field)
    for i, dtype in enumerate(out.dtypes):
        if dtype == object or str(dtype).startswith(("string", "str")):
            out.isetitem(i, out.iloc[:, i].astype(object).map(field))
    return out
