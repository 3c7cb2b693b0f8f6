"""The plain words of an entry, shared by the word index and the meaning vectors."""

import html
import re

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
