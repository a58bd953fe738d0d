"""loyalty_xl's exceptions: one base class, a few kinds a caller can tell apart.

    LoyaltyXLError (a ValueError)
    ├── InputError        bad data or a bad argument value (a score of 11, an unknown scale)
    ├── FileError         a file cannot be read or written (missing, too large, would overwrite)
    ├── TemplateError     a workbook template is broken (unknown placeholder, macros)
    └── MissingDependency an optional part is not installed (the engine's Ibis and DuckDB)

Every message is one line in the library's own terms; the command line prints it as
``loyalty-xl: error: <message>`` and exits 1.
"""

from __future__ import annotations


class LoyaltyXLError(ValueError):
    """Bad input: a one-line message naming the argument, the value and where it is.

    Attributes
    ----------
    argument : str or None
        The argument (or file/column) the problem is in.
    value : object
        The offending value, when there is one.
    position : int or None
        Zero-based position in the flattened input, when there is one. The Excel layer
        turns it into a row and column of the range.
    reason : str
        The message without its "; got ... at position ..." tail.
    """

    def __init__(self, reason: str, *, argument: str | None = None, value: object = None,
                 position: int | None = None, has_value: bool = False):
        self.reason = reason
        self.argument = argument
        self.value = value
        self.position = position
        self.has_value = has_value or value is not None
        super().__init__(self.describe())

    def describe(self, where: str | None = None) -> str:
        """The message, with ``where`` (e.g. "row 4, column 1 of the range") for the position."""
        message = self.reason
        if self.has_value:
            message += f"; got {format_value(self.value)}"
        if where is None and self.position is not None:
            where = f"position {self.position}"
        if where:
            message += f" at {where}"
        return " ".join(message.split())  # always one line


def format_value(value: object) -> str:
    """A short, readable rendering of a value for an error message."""
    if isinstance(value, float) and value != value:
        return "a blank"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class InputError(LoyaltyXLError):
    """Bad data or a bad argument value."""


class FileError(LoyaltyXLError):
    """A file cannot be read or written: missing, unreadable, too large, or it would be
    overwritten."""


class TemplateError(LoyaltyXLError):
    """A workbook template is broken or unsafe."""


class MissingDependency(LoyaltyXLError):
    """An optional dependency is not installed; the message says which extra installs it."""
