"""CSV that staff open in a spreadsheet: no cell can start a formula (OWASP's CSV injection rule)."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable

# A spreadsheet reads a cell that starts with one of these as a formula (tab and CR: after a trim).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def csv_cell(value: object) -> str:
    """The value as a cell's text, with a leading apostrophe (shown by no spreadsheet) when it
    would otherwise be taken for a formula. A plain negative number stays a number."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SpreadsheetWriter:
    """csv.writer whose every cell goes through csv_cell: the one writer for every export."""

    def __init__(self, buffer) -> None:
        self.writer = csv.writer(buffer)

    def writerow(self, row: Iterable[object]) -> None:
        self.writer.writerow([csv_cell(value) for value in row])
