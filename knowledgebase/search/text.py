"""The plain words of an entry, shared by the word index and the meaning vectors, and the
highlighting of matched words in a result's summary."""

import html
import re

from whoosh.analysis import StemmingAnalyzer

HIGHLIGHT_CHARS = 300
# Words reduced to their stems, so "testing" in a summary is marked for the query "tests"
# (the same analysis as the Whoosh index's text fields).
STEMMED = StemmingAnalyzer(stoplist=None, minsize=1)

# Each pattern excludes its own opening character from the repeated part, so a run of
# 50,000 `[` is scanned once, not once per bracket.
_MD_RULES = [
    (re.compile(r"```[^\n]*"), " "),  # fence lines (the code itself is kept)
    (re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\s]{0,2000}(?:\s+\"[^\"\n]{0,300}\")?\)"), r"\1"),
    (re.compile(r"\[\[([^\[\]|\n]{1,200})\|([^\[\]\n]{1,200})\]\]"), r"\2"),
    (re.compile(r"\[\[([^\[\]|\n]{1,200})\]\]"), lambda m: m.group(1).replace("-", " ")),
    (re.compile(r"^\s{0,3}\[[^\[\]\n]{1,200}\]:\s*\S+.*$", re.MULTILINE), " "),  # link refs
    (re.compile(r"<[^<>\n]{0,500}>"), " "),  # html tags
    (re.compile(r"\bhttps?://[^\s<>()\[\]]+"), " "),
    (re.compile(r"[#*_>`|~=]+"), " "),
]


def plain_text(markdown: str) -> str:
    """The words of a markdown body, without link targets, markup or HTML tags."""
    text = markdown
    for pattern, replacement in _MD_RULES:
        text = pattern.sub(replacement, text)
    return html.unescape(text)


def stems(words) -> set[str]:
    return {token.text for word in words for token in STEMMED(word)}


def highlight(text: str, words, limit: int = HIGHLIGHT_CHARS) -> str:
    """Escaped text, at most about `limit` characters, with the words that share a stem with
    one of `words` wrapped in <mark>; a long text shows the part where the first match is."""
    wanted = stems(words)
    spans = []
    if wanted:
        spans = [
            (t.startchar, t.endchar)
            for t in STEMMED(text, chars=True, removestops=False)
            if t.text in wanted
        ]
    return mark_spans(text, spans, limit)


def mark_spans(text: str, spans: list[tuple[int, int]], limit: int = HIGHLIGHT_CHARS) -> str:
    """Escaped text, at most about `limit` characters, with the (start, end) spans wrapped
    in <mark>; a long text shows the part where the first span is."""
    start = 0
    if len(text) > limit and spans and spans[0][1] > limit - 40:
        start = text.rfind(" ", 0, max(spans[0][0] - 60, 0)) + 1
    end = len(text)
    if end - start > limit:
        end = text.rfind(" ", start, start + limit)
        end = end if end > start else start + limit
    out = ["…"] if start else []
    pos = start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += [html.escape(text[pos:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html.escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)
