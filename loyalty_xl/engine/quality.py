"""The data-quality summary: rows read, used and excluded per reason, with examples."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from loyalty_xl.errors import InputError

EXAMPLES = 3


def located(row) -> str:
    """An example's place: "row 12" (the row as the user sees it in the source), or, for an
    input without row numbers (an Ibis or Spark table), the row's key columns."""
    return f"row {row}" if isinstance(row, int) else str(row)


@dataclass
class InputQuality:
    """What happened to one input's rows."""

    name: str
    label: str
    rows_read: int = 0
    rows_used: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    # (the row number, or the row's key columns for inputs without one; the value)
    examples: dict[str, list[tuple[int | str, str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_excluded(self) -> int:
        return sum(self.excluded.values())


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
        """One row per input and reason (reason "" for inputs without exclusions)."""
        rows = []
        for item in self.inputs:
            reasons = item.excluded or {"": 0}
            for reason, count in reasons.items():
                examples = "; ".join(f"{located(row)}: {value}" for row, value in
                                     item.examples.get(reason, []))
                rows.append({"input": item.name, "source": item.label,
                             "rows_read": item.rows_read, "rows_used": item.rows_used,
                             "reason": reason, "rows_excluded": count, "examples": examples})
        return pd.DataFrame(rows, columns=["input", "source", "rows_read", "rows_used",
                                           "reason", "rows_excluded", "examples"])

    def notes(self) -> list[str]:
        return [f"{item.name}: {note}" for item in self.inputs for note in item.notes]

    def as_dict(self) -> dict:
        return {"inputs": [{"name": i.name, "source": i.label, "rows_read": i.rows_read,
                            "rows_used": i.rows_used, "excluded": dict(i.excluded),
                            "examples": {k: list(v) for k, v in i.examples.items()},
                            "notes": list(i.notes)} for i in self.inputs]}

    def summary(self) -> str:
        lines = []
        for i in self.inputs:
            line = f"{i.name} ({i.label}): {i.rows_read:,} rows read, {i.rows_used:,} used"
            if i.excluded:
                parts = ", ".join(f"{n:,} {reason}" for reason, n in i.excluded.items())
                line += f", {i.rows_excluded:,} excluded ({parts})"
            lines.append(line)
        return "\n".join(lines)

    def raise_if_any(self) -> None:
        """--strict: the first excluded row becomes an error."""
        for item in self.inputs:
            for reason, count in item.excluded.items():
                row, value = item.examples[reason][0]
                more = f" (and {count - 1:,} more rows)" if count > 1 else ""
                raise InputError(f"{item.name} input {item.label}, {located(row)}: {reason}; "
                                     f"got {value!r}{more}", argument=item.name)
