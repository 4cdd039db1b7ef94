"""A side-by-side diff of two revisions' text, field by field, line by line (difflib).

It returns plain strings; the template escapes them, so a diff can never carry live markup.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from app.studio.items import KINDS, text_of


@dataclass
class Line:
    left: str
    right: str
    change: str  # "same", "changed", "removed", "added"


@dataclass
class FieldDiff:
    label: str
    lines: list[Line]


def compare(kind: str, old: dict, new: dict) -> list[FieldDiff]:
    """The fields whose text differs, each as aligned lines (unchanged lines included)."""
    diffs = []
    for name, label in KINDS[kind].fields.items():
        before, after = text_of(old.get(name)).splitlines(), text_of(new.get(name)).splitlines()
        if before != after:
            diffs.append(FieldDiff(label, _aligned(before, after)))
    return diffs


def _aligned(before: list[str], after: list[str]) -> list[Line]:
    lines = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [Line(text, text, "same") for text in before[i1:i2]]
            continue
        left, right = before[i1:i2], after[j1:j2]
        for index in range(max(len(left), len(right))):
            old = left[index] if index < len(left) else ""
            new = right[index] if index < len(right) else ""
            lines.append(Line(old, new, "changed" if old and new else "removed" if old else "added"))
    return lines
