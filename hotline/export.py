"""Cells of the tables the service writes for people: CSV for spreadsheets, Markdown tables.

Names in the directory and other stored text reach these files. A spreadsheet runs a cell that
starts with ``=``, ``+``, ``-`` or ``@`` (or tab or CR, which some programs skip first) as a
formula, so, as OWASP's CSV-injection rule says, such a cell is prefixed with ``'``. In a
Markdown table a ``|`` ends the cell and a line break ends the row, so they are escaped.
"""

import csv
import io
import re

__all__ = ["csv_text", "markdown_cell"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029]+")


def csv_text(fieldnames: list[str], rows) -> str:
    """CSV with a header row; every text cell that a spreadsheet would run is neutralised."""
    out = io.StringIO()
    # RFC 4180's CRLF: with it, a cell holding a CR or LF is quoted (with "\n" alone, a CR
    # would be written bare and split the row in a spreadsheet).
    writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _csv_cell(row[name]) for name in fieldnames})
    return out.getvalue()


def _csv_cell(value):
    if value is None:
        return ""
    # Numbers the service computes are written as they are: a negative figure is no formula.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def markdown_cell(value) -> str:
    """Text for one Markdown table cell: one line, pipes and backslashes escaped."""
    text = "—" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return _LINE_BREAKS.sub(" ", text)
