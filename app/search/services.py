"""Searching listed products and published Learn articles: one function, `search`, on either database.

PostgreSQL matches the weighted `tsvector` (`plainto_tsquery`, English stemming) or, for typos,
pg_trgm's word similarity against names, titles and scents ("magnesum" finds magnesium). SQLite
matches FTS5 (Porter stemming, each word as a prefix); when that finds nothing, each word is
cut to a shorter prefix (its last three letters dropped, four kept), a simpler typo fallback that
forgives a slip near a word's end ("magnesum", "lavendar") but not near its start ("pepermint"). Either way the database ranks
candidates, then a name or title match is put above a scent or summary match, above a body match.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from markupsafe import Markup
from sqlalchemy import Text, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.content.models import Article
from app.db import Reader, read_rows
from app.search.highlight import WORD, has_match, highlight, snippet
from app.search.index import ARTICLE, PRODUCT, documents, reindex

MAX_QUERY_LENGTH = 200  # longer queries are cut: no shopper types more, and each word costs the index
MAX_TERMS = 8
CANDIDATES = 50
SUGGESTIONS = 4
# How much a match in each field counts: a name or title match (8) outweighs all the others (7).
FIELD_WEIGHTS = (("title", 8), ("keywords", 4), ("summary", 2), ("body", 1))


@dataclass(frozen=True, slots=True)
class SearchResult:
    kind: str  # PRODUCT or ARTICLE
    slug: str
    title: Markup  # escaped, matches in <mark>
    snippet: Markup


@dataclass(frozen=True, slots=True)
class Suggestion:
    kind: str
    slug: str
    title: str


@dataclass(slots=True)
class SearchResults:
    query: str  # as searched: cleaned and cut to MAX_QUERY_LENGTH
    results: list[SearchResult] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)  # only when nothing was found


def clean_query(raw: str) -> str:
    """The query as text a shopper could have typed: control and other invisible characters
    become spaces, runs of spaces one, and it is cut to MAX_QUERY_LENGTH."""
    text = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in raw[:MAX_QUERY_LENGTH * 2])
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def query_terms(query: str) -> list[str]:
    """The query's words, lower-cased, each once: only letters and digits ever reach the database's
    query syntax, so quotes, `*`, NEAR, `-` or `:` are plain text, never operators."""
    terms: list[str] = []
    for word in WORD.findall(query.lower().replace("_", " ")):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


_LISTED = or_(
    and_(documents.c.kind == PRODUCT,
         documents.c.ref_id.in_(select(Product.id).where(Product.is_active.is_(True)))),
    and_(documents.c.kind == ARTICLE,
         documents.c.ref_id.in_(select(Article.id).where(Article.is_published.is_(True)))),
)
_COLUMNS = (documents.c.kind, documents.c.slug, documents.c.title, documents.c.keywords, documents.c.summary,
            documents.c.body)

# Built once, with bind parameters, as the storefront's statements are (docs/architecture.md).
_fts = literal_column("search_documents")
_SQLITE_SEARCH = (
    select(*_COLUMNS)
    .where(_fts.op("MATCH")(bindparam("match", type_=Text)), _LISTED)
    # bm25 weighs each column (the three UNINDEXED ones too): lower is better.
    .order_by(func.bm25(_fts, 0.0, 0.0, 0.0, 10.0, 5.0, 2.0, 1.0))
    .limit(CANDIDATES)
)
_document = literal_column("search_documents.document")
_words = literal_column("search_documents.words")
_tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), bindparam("words", type_=Text))
_POSTGRESQL_SEARCH = (
    select(*_COLUMNS)
    .where(or_(_document.op("@@")(_tsquery), bindparam("words", type_=Text).op("<%")(_words)), _LISTED)
    .order_by(_document.op("@@")(_tsquery).desc(), func.ts_rank_cd(_document, _tsquery).desc(),
              func.word_similarity(bindparam("words", type_=Text), _words).desc())
    .limit(CANDIDATES)
)
# Products first ("product" > "article"), in the order they were added.
_NAMES = (select(documents.c.kind, documents.c.slug, documents.c.title).where(_LISTED)
          .order_by(documents.c.kind.desc(), documents.c.ref_id).limit(500))


def search(reader: Reader, *, query: str, limit: int = 20) -> SearchResults:
    """Listed products and published articles matching the query, best first, with highlighted
    titles and snippets; when none match, suggestions (the closest names, else products)."""
    cleaned = clean_query(query)
    terms = query_terms(cleaned)
    outcome = SearchResults(query=cleaned)
    if not terms:
        return outcome
    rows = _candidates(reader, terms)
    ranked = sorted(range(len(rows)), key=lambda index: (-_field_score(rows[index], terms), index))
    outcome.results = [
        SearchResult(kind=row.kind, slug=row.slug, title=highlight(row.title, terms),
                     snippet=snippet(row.summary, row.body, terms))
        for row in (rows[index] for index in ranked[:limit])
    ]
    if not outcome.results:
        outcome.suggestions = _suggestions(reader, terms)
    return outcome


def _dialect(reader: Reader) -> str:
    bind = reader if not hasattr(reader, "get_bind") else reader.get_bind()
    return bind.dialect.name


def _candidates(reader: Reader, terms: list[str]) -> list:
    if _dialect(reader) == "postgresql":
        return list(read_rows(reader, _POSTGRESQL_SEARCH, {"words": " ".join(terms)}))
    # Quoted, each term is a string to FTS5, whatever it spells (NEAR, AND, OR, NOT).
    rows = read_rows(reader, _SQLITE_SEARCH, {"match": " ".join(f'"{term}"*' for term in terms)})
    if rows:
        return list(rows)
    loose = " ".join(f'"{term[:max(4, len(term) - 3)]}"*' for term in terms)
    return [row for row in read_rows(reader, _SQLITE_SEARCH, {"match": loose})
            if any(has_match(getattr(row, name), terms) for name, _weight in FIELD_WEIGHTS)]


def _field_score(row, terms: list[str]) -> int:
    return sum(weight for name, weight in FIELD_WEIGHTS if has_match(getattr(row, name), terms))


def _suggestions(reader: Reader, terms: list[str]) -> list[Suggestion]:
    """Names closest to the query's words; when none is close, the products."""
    names = read_rows(reader, _NAMES)

    def closeness(title: str) -> float:
        return max((SequenceMatcher(None, term, word.lower()).ratio()
                    for term in terms for word in WORD.findall(title)), default=0.0)

    scored = sorted(((closeness(row.title), row) for row in names), key=lambda pair: -pair[0])
    close = [row for score, row in scored if score >= 0.6][:SUGGESTIONS]
    chosen = close or [row for row in names if row.kind == PRODUCT][:SUGGESTIONS]
    return [Suggestion(kind=row.kind, slug=row.slug, title=row.title) for row in chosen]


def rebuild_index(session: Session) -> int:
    """Rewrite every document (`flask reindex-search`); returns how many are listed. Saves through
    the session keep the index current without this (app.search.index)."""
    reindex(session.connection())
    return len(read_rows(session, select(documents.c.ref_id)))
