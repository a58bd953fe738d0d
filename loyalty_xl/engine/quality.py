"""The data-quality summary: per input how it was read (encoding, delimiter, decimal separator,
date format), rows read, used and excluded per reason, with examples located by line or row."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from loyalty_xl.errors import InputError

EXAMPLES = 3
#: What the reading of an input detected (or was told), in the order shown; the data-quality
#: table has one column per key (spaces as underscores).
READ_KEYS = ("encoding", "delimiter", "decimal", "date format")


def located(row, unit: str = "row") -> str:
    """An example's place: "line 12" or "row 12" (as the user finds it in the source), or, for
    an input without row numbers (an Ibis or Spark table), the row's key columns."""
    return f"{unit} {row}" if isinstance(row, int) else str(row)


@dataclass
class InputQuality:
    """What happened to one input's rows, and how its file was read.

    ``read`` holds what was detected or given: ``encoding`` and ``delimiter`` (CSV files),
    ``decimal`` and ``date format`` (every input with text values; "-" when the column had
    nothing to decide). ``kind`` is csv, parquet, workbook, duckdb, frame or table: a CSV
    example is located by its line, the others by their row.
    """

    name: str
    label: str
    rows_read: int = 0
    rows_used: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    # (the line or row, or the row's key columns for inputs without one; the value)
    examples: dict[str, list[tuple[int | str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    kind: str = "table"
    read: dict[str, str] = field(default_factory=dict)
    first_date: object = None  # first and last used date (orders)
    last_date: object = None

    @property
    def rows_excluded(self) -> int:
        return sum(self.excluded.values())

    @property
    def unit(self) -> str:
        return "line" if self.kind == "csv" else "row"

    def reading(self) -> str:
        """How the input was read, e.g. "UTF-8, delimiter ';', decimal ',', dates dd.mm.yyyy"."""
        parts = []
        for key in READ_KEYS:
            value = self.read.get(key)
            if value is None:
                continue
            if key == "encoding":
                parts.append(value)
            elif key == "date format":
                parts.append(f"dates {value}")
            elif key == "delimiter":
                parts.append(f"delimiter {value}")
            else:
                parts.append(f"decimal {value!r}" if value != "-" else "decimal -")
        return ", ".join(parts)

    def describe(self, examples: bool = False) -> str:
        """One line: rows read, used, excluded per reason (with the first examples)."""
        line = f"{self.rows_read:,} rows read, {self.rows_used:,} used"
        if self.excluded:
            parts = []
            for reason, n in self.excluded.items():
                text = f"{n:,} {reason}"
                if examples and self.examples.get(reason):
                    shown = ", ".join(f"{located(row, self.unit)}: {value!r}"
                                      for row, value in self.examples[reason])
                    text += f" ({shown})"
                parts.append(text)
            joined = ("; " if examples else ", ").join(parts)
            line += f", {self.rows_excluded:,} excluded ({joined})"
        return line


@dataclass
class DataQuality:
    """Per input: rows read, used, excluded per reason with the first few examples."""

    inputs: list[InputQuality] = field(default_factory=list)

    def add(self, item: InputQuality) -> None:
        self.inputs.append(item)

    @property
    def rows_excluded(self) -> int:
        return sum(i.rows_excluded for i in self.inputs)

    def table(self) -> pd.DataFrame:
        """One row per input and reason (reason "" for inputs without exclusions); the last
        columns, encoding, delimiter, decimal and date_format, say how the input was read (""
        where it does not apply)."""
        rows = []
        read_columns = [k.replace(" ", "_") for k in READ_KEYS]
        for item in self.inputs:
            reasons = item.excluded or {"": 0}
            for reason, count in reasons.items():
                examples = "; ".join(f"{located(row, item.unit)}: {value}" for row, value in
                                     item.examples.get(reason, []))
                rows.append({"input": item.name, "source": item.label,
                             "rows_read": item.rows_read, "rows_used": item.rows_used,
                             "reason": reason, "rows_excluded": count, "examples": examples,
                             **{k.replace(" ", "_"): item.read.get(k, "") for k in READ_KEYS}})
        return pd.DataFrame(rows, columns=["input", "source", "rows_read", "rows_used",
                                           "reason", "rows_excluded", "examples",
                                           *read_columns])

    def notes(self) -> list[str]:
        return [f"{item.name}: {note}" for item in self.inputs for note in item.notes]

    def as_dict(self) -> dict:
        return {"inputs": [{"name": i.name, "source": i.label, "read": dict(i.read),
                            "rows_read": i.rows_read,
                            "rows_used": i.rows_used, "excluded": dict(i.excluded),
                            "examples": {k: list(v) for k, v in i.examples.items()},
                            "notes": list(i.notes)} for i in self.inputs]}

    def summary(self) -> str:
        """One line per input: source, how it was read, rows read / used / excluded."""
        lines = []
        for i in self.inputs:
            reading = i.reading()
            lines.append(f"{i.name} ({i.label}{'; ' + reading if reading else ''}): "
                         f"{i.describe()}")
        return "\n".join(lines)

    def raise_if_any(self) -> None:
        """--strict: the first excluded row becomes an error."""
        for item in self.inputs:
            for reason, count in item.excluded.items():
                row, value = item.examples[reason][0]
                more = f" (and {count - 1:,} more rows)" if count > 1 else ""
                raise InputError(f"{item.name} input {item.label}, {located(row, item.unit)}: "
                                 f"{reason}; "
                                 f"got {value!r}{more}", argument=item.name)
