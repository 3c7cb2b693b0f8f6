"""What a reader typed, made into a Query every backend can match: cut down to a size any
engine answers quickly, field filters (`tag:forms`) taken out, typos corrected.

Typo correction is the same for every backend: a word of four letters or more that the
engine knows nowhere is replaced by the nearest word of the titles, summaries and topics
the reader may see, if that word is close for the typed word's length (typo_distance). The
backend only answers "is this word known?" and "which known word is nearest?"."""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledgebase.search.base import FACETS, Query, Scope

MAX_WORDS = 32  # longer queries are cut: a sentence is plenty to rank with
MAX_PARENS = 8

OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_PIECE = re.compile(r"\S+")
# A piece of the query that typo correction may change: a word of 4 letters or more, with
# the quotes, brackets or +/- typed around it.
_WORD = re.compile(r"^([-+(\"]*)([^\W\d_]{4,})([)\"]*)$")
# Power-user prefixes that mean the same as the facet filters: `tag:forms kind:guide`.
_FIELD_FILTER = re.compile(
    r'(?<![^\s(])(kind|agency|tag|audience|channel|year):("[^"]*"|[^\s()"]+)'
)
_SYNTAX = re.compile(r'["()]|(?<![^\s(])[-+]')


def tidy_query(text: str) -> str:
    """Cut abusive input down to something a parser answers quickly."""
    words = text.split()[:MAX_WORDS]
    text = " ".join(words)
    depth = deepest = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    if deepest > MAX_PARENS or depth != 0:
        text = text.replace("(", " ").replace(")", " ")
    if text.count('"') % 2:
        text = text.replace('"', " ")
    return text.strip()


def field_filters(text: str) -> tuple[str, dict[str, str]]:
    """text without its `name:value` filter prefixes, and those filters."""
    found: dict[str, str] = {}

    def take(match: re.Match) -> str:
        found.setdefault(match.group(1), match.group(2).strip('"').strip().lower())
        return " "

    return " ".join(_FIELD_FILTER.sub(take, text).split()), found


def positive_words(text: str) -> list[str]:
    """The words a result is rewarded for: not `-word` or `NOT word`, not operators, without
    quotes and brackets, lower case, each once."""
    kept: list[str] = []
    skip_next = False
    for piece in text.split():
        if piece == "NOT":
            skip_next = True
            continue
        if skip_next or piece.startswith("-") or piece in OPERATORS:
            skip_next = False
            continue
        kept += re.findall(r"[^\W_]+(?:['’.-][^\W_]+)*", piece.lower())
    return list(dict.fromkeys(kept))


def is_plain(text: str) -> bool:
    """True when the text only says "any of these words": no quotes, brackets, `+word`,
    `-word` or operators."""
    return not _SYNTAX.search(text) and not any(p in OPERATORS for p in text.split())


def make_query(text: str, filters: dict[str, str]) -> Query:
    return Query(text=text, words=positive_words(text), plain=is_plain(text), filters=filters)


def parse(raw: str, filters: dict) -> tuple[str, dict[str, str]]:
    """(text, filters) of what was typed: the filters passed in, with the typed prefixes
    (the filters passed in win where both name one)."""
    text, typed = field_filters(tidy_query(raw))
    merged = {**typed, **{k: v for k, v in filters.items() if k in FACETS and v}}
    return text, merged


def typo_distance(word: str) -> int:
    """The edits (letters added, dropped or changed) a typo of this word may have: one in a
    word of up to 7 letters, two in a longer one. Words of 3 letters or fewer are never
    corrected (_WORD), so a correction never changes half of what was typed."""
    return 1 if len(word) < 8 else 2


def corrected(
    backend,
    text: str,
    scope: Scope,
    *,
    unknown_only: bool,
    keep: Callable[[str], bool] | None = None,
) -> str | None:
    """text with misspelt words replaced by the nearest word of titles, summaries and topics
    in scope; None when nothing changed. unknown_only: only words the engine knows nowhere
    (typo correction); otherwise also words missing from titles, summaries and topics
    (did-you-mean). keep(word) True: leave that word as typed."""
    changed = False

    def fix(match: re.Match) -> str:
        nonlocal changed
        piece = match.group(0)
        parts = _WORD.match(piece)
        if not parts or parts.group(2) in OPERATORS:
            return piece
        word = parts.group(2).lower()
        if keep is not None and keep(word):
            return piece
        if backend.spelled(word, scope):
            return piece
        if unknown_only and backend.indexed(word, scope):
            return piece
        better = backend.closest(word, typo_distance(word), scope)
        if not better or better == word:
            return piece
        changed = True
        return parts.group(1) + better + parts.group(3)

    fixed = _PIECE.sub(fix, text)
    return fixed if changed else None


def for_model(text: str) -> str:
    """The query as words for the meaning model: no quotes, operators or excluded words."""
    kept = [
        piece.strip('"()+')
        for piece in text.split()
        if not piece.startswith("-") and piece not in OPERATORS
    ]
    return " ".join(piece for piece in kept if piece)
