"""Which words of a document a query matches, and safe highlighted snippets of them.

The same loose matching on both databases: a word matches a query term if it starts with the term
("magnes" -> magnesium), if the term is the word plus a short ending ("pains" -> pain), or, for
longer terms, if it is spelled nearly the same ("magnesum" -> magnesium), as the databases' own
matching allows for stems, prefixes and typos.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from markupsafe import Markup, escape

WORD = re.compile(r"\w+")
SNIPPET_WORDS = 32


def matches(word: str, terms: list[str]) -> bool:
    return _matches(word.lower(), tuple(terms))


@lru_cache(maxsize=8192)  # a page checks each word of up to 50 documents: most words recur
def _matches(word: str, terms: tuple[str, ...]) -> bool:
    for term in terms:
        if word.startswith(term) or (len(word) >= 3 and term.startswith(word) and len(term) - len(word) <= 2):
            return True
        if len(term) >= 5 and abs(len(word) - len(term)) <= 2 and SequenceMatcher(None, word, term).ratio() >= 0.8:
            return True
    return False


def has_match(text: str, terms: list[str]) -> bool:
    return any(matches(word, terms) for word in WORD.findall(text))


def highlight(text: str, terms: list[str]) -> Markup:
    """The text escaped, with each matching word in <mark>: the text is never trusted as HTML."""
    parts, end = [], 0
    for found in WORD.finditer(text):
        if matches(found.group(), terms):
            parts.append(escape(text[end:found.start()]))
            parts.append(Markup("<mark>%s</mark>") % found.group())
            end = found.end()
    parts.append(escape(text[end:]))
    return Markup("").join(parts)


def snippet(summary: str, body: str, terms: list[str]) -> Markup:
    """The summary if the query matches it, else the stretch of the body around its first match,
    else the summary: highlighted, and cut at word boundaries."""
    if has_match(summary, terms) or not body:
        return highlight(summary, terms)
    words = list(WORD.finditer(body))
    first = next((index for index, found in enumerate(words) if matches(found.group(), terms)), None)
    if first is None:
        return highlight(summary, terms)
    start = max(0, first - SNIPPET_WORDS // 3)
    stop = min(len(words), start + SNIPPET_WORDS)
    text = body[words[start].start():words[stop - 1].end()]
    return (Markup("&hellip; ") if start else Markup("")) + highlight(text, terms) + (
        Markup(" &hellip;") if stop < len(words) else Markup(""))
