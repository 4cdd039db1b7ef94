"""The claims check: what shop copy may say, read from one data file (rules.toml).

Product copy that makes a drug claim is refused (`drug_claims`, `product_findings`). Learn articles,
pages and other long text get warnings an editor acknowledges to publish (`check_text`: the one
function to call with any text and the context it is read in). Words are matched whole, on the
text as it reads: accents off and invisible characters out, so "re\u00adlief" is "relief".
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

RULES_FILE = Path(__file__).with_name("rules.toml")
SOURCE_AGE_YEARS = 10

# Fields named as the forms name them, so a refusal points at the box to change.
LABELS = {
    "name": "Name", "slug": "Web address (slug)", "summary": "Summary", "description": "Description",
    "ingredients": "Ingredients", "directions": "How to use", "warnings": "Warnings", "seo_title": "SEO title",
    "seo_description": "SEO description", "alt": "Image alt text", "size": "Size", "scent": "Scent",
}


@dataclass(frozen=True)
class Rule:
    id: str
    applies_to: str  # "product" (refused) or "article" (a warning to acknowledge)
    patterns: tuple[re.Pattern, ...]
    reason: str
    safer: str
    should_match: tuple[str, ...] = ()
    should_not_match: tuple[str, ...] = ()
    only_fields: frozenset[str] = frozenset()
    except_fields: frozenset[str] = frozenset()
    needs: str = ""  # article rules: "product", "no_source" or "old_source" in the same paragraph

    def applies_to_field(self, name: str) -> bool:
        return (not self.only_fields or name in self.only_fields) and name not in self.except_fields

    def words_in(self, text: str) -> set[str]:
        return {match.group(0).lower() for pattern in self.patterns for match in pattern.finditer(text)}


@dataclass(frozen=True)
class Finding:
    """A rule that matched: where (a field's label, or a paragraph's first words) and the words."""

    rule: Rule
    where: str
    words: tuple[str, ...]
    excerpt: str = ""


@dataclass
class Context:
    """What the text is read with: the article's sources and the names of our products."""

    sources: Sequence[Mapping] = ()
    product_names: Sequence[str] = ()
    today: date = field(default_factory=date.today)


@cache
def rules() -> tuple[Rule, ...]:
    data = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    fragments = data["fragments"]

    def compile_pattern(pattern: str) -> re.Pattern:
        for name, fragment in fragments.items():
            pattern = pattern.replace("{" + name + "}", fragment)
        return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)  # whole words; "100%" too

    return tuple(
        Rule(id=entry["id"], applies_to=entry["applies_to"],
             patterns=tuple(compile_pattern(pattern) for pattern in entry["patterns"]),
             reason=entry["reason"], safer=entry["safer"], should_match=tuple(entry.get("should_match", ())),
             should_not_match=tuple(entry.get("should_not_match", ())),
             only_fields=frozenset(entry.get("only_fields", ())), except_fields=frozenset(entry.get("except_fields", ())),
             needs=entry.get("needs", ""))
        for entry in data["rule"]
    )


@cache
def _cosmetic_treats() -> re.Pattern:
    data = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    return re.compile(data["exempt"]["cosmetic_treats"], re.IGNORECASE)


def rule(rule_id: str) -> Rule:
    return next(found for found in rules() if found.id == rule_id)


def plain_letters(text: str) -> str:
    """The text as the words read: accents off ("reliéf") and invisible characters out (a soft
    hyphen or zero-width space inside "re\u00adlief"), which would otherwise hide a word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if unicodedata.category(character) not in ("Mn", "Cf"))


def product_findings(fields: Mapping[str, object], names: Iterable[str]) -> list[Finding]:
    """The product rules these fields break, one finding per field and rule. Link addresses in
    Markdown count: pointing product copy at a page about a condition ties the product to it."""
    found = []
    for name in names:
        text = " ".join(plain_letters(str(fields.get(name) or "")).split())  # a phrase may run over a line break
        text = _cosmetic_treats().sub(" ", text)
        if name == "slug":
            text = text.replace("-", " ")  # so "pain-relief" reads as the words it spells
        for product_rule in rules():
            if product_rule.applies_to == "product" and product_rule.applies_to_field(name):
                words = product_rule.words_in(text)
                if words:
                    found.append(Finding(product_rule, LABELS.get(name, name), tuple(sorted(words))))
    return found


def drug_claims(fields: Mapping[str, object], names: Iterable[str]) -> list[tuple[str, list[str]]]:
    """(field label, the words found) for each of these fields whose text makes a drug claim."""
    by_field: dict[str, set[str]] = {}
    for finding in product_findings(fields, names):
        by_field.setdefault(finding.where, set()).update(finding.words)
    return [(label, sorted(words)) for label, words in by_field.items()]


def check_text(text: str, context: Context | None = None) -> list[Finding]:
    """The warnings long text (an article, a page, a review) earns, paragraph by paragraph."""
    context = context or Context()
    found = []
    for paragraph in _paragraphs(text):
        plain = " ".join(plain_letters(paragraph).split())
        for article_rule in rules():
            if article_rule.applies_to != "article" or not _needs_met(article_rule.needs, plain, context):
                continue
            words = article_rule.words_in(plain)
            if words:
                found.append(Finding(article_rule, _first_words(plain), tuple(sorted(words)), plain))
    return found


def _paragraphs(text: str) -> list[str]:
    return [block for block in re.split(r"\n\s*\n", text or "") if block.strip()]


def _first_words(paragraph: str, count: int = 8) -> str:
    words = paragraph.split()
    return " ".join(words[:count]) + ("\u2026" if len(words) > count else "")


def _needs_met(needs: str, paragraph: str, context: Context) -> bool:
    if needs == "product":
        lowered = paragraph.lower()
        return "/products/" in lowered or any(name.lower() in lowered for name in context.product_names if name)
    if needs == "no_source":
        return not (_LINK_OR_NOTE.search(paragraph) or _names_a_source(paragraph, context.sources))
    if needs == "old_source":
        old = [source for source in context.sources
               if str(source.get("year") or "").isdigit() and int(source["year"]) < context.today.year - SOURCE_AGE_YEARS]
        return _names_a_source(paragraph, old)
    return True


# A link to a web page, or a numbered note ([1]), cites something.
_LINK_OR_NOTE = re.compile(r"\]\(https?://|\[\d+\]")


def _names_a_source(paragraph: str, sources: Sequence[Mapping]) -> bool:
    """Does the paragraph name one of these sources (its title, publisher or an author)?"""
    lowered = paragraph.lower()
    return any(re.search(rf"\b{re.escape(name.lower())}\b", lowered)
               for source in sources for name in _source_names(source))


def _source_names(source: Mapping) -> list[str]:
    names = [str(source.get("title") or "")]
    names += re.split(r"[,;()]| and ", str(source.get("publisher") or ""))
    names += [author.split()[-1] for author in re.split(r"[,;]| and ", str(source.get("authors") or "")) if author.split()]
    return [name.strip() for name in names if len(name.strip()) >= 3]
