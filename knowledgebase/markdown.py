"""The one markdown renderer: markdown in, sanitized HTML out.

Entry bodies, comments and collection intros are rendered once, when they are written,
through links.render (which finds the entries their wiki links name); so is the editor's
live preview (MARKDOWNX_MARKDOWNIFY_FUNCTION), which is exactly as safe as the page."""

import html
import logging
import re
import xml.etree.ElementTree as etree
from collections.abc import Mapping
from typing import Protocol

import markdown
import nh3
from django.conf import settings
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor, LinkInlineProcessor
from markdown.util import ETX, STX, AtomicString

logger = logging.getLogger(__name__)

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "span": {"class", "title"},
    "*": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Python-Markdown looks for the closing `]` or `)` of every `[` up to the end of the
# block, one character at a time: quadratic on a run of brackets (50,000 `[` take minutes).
# Real link texts and URLs are short and hardly nest, so the search is bounded.
LINK_SCAN_LIMIT = 1_000
LINK_TEXT_MAX_BRACKETS = 16
# Python-Markdown parses nested lists and quotes recursively; deeper structure than this
# is flattened so hostile input cannot exhaust the stack.
MAX_NESTING = 12

_BRACKET = re.compile(r"[\[\]]")
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
# A line may open many containers at once ("> > - - 1. text"): keep the first few.
_MARKER = r"[ ]{0,3}(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*"
_CONTAINERS = re.compile(rf"^((?:{_MARKER}){{{MAX_NESTING}}})(?:{_MARKER})+", re.MULTILINE)


def _link_text(data: str, index: int) -> tuple[str, int, bool]:
    """Python-Markdown's getText (text up to the matching `]`), bounded in length and depth."""
    depth = 1
    seen = 0
    for match in _BRACKET.finditer(data, index, index + LINK_SCAN_LIMIT):
        depth += 1 if match.group() == "[" else -1
        if depth == 0:
            return data[index : match.start()], match.end(), True
        seen += 1
        if seen >= LINK_TEXT_MAX_BRACKETS:
            break
    return "", index, False


# A `[` can only open a link when a `]` follows within reach (one level of nested brackets
# allowed). Checking that in the pattern itself lets the regex engine skip a hopeless `[`
# at C speed instead of calling the link parser for it.
_CLOSES_SOON = rf"(?=(?:[^\[\]]|\[[^\[\]]{{0,{LINK_SCAN_LIMIT}}}\]){{0,{LINK_SCAN_LIMIT}}}\])"


class _EscapeRunProcessor(InlineProcessor):
    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (library API)
        escaped = m.group(0)[1::2]
        return "".join(f"{STX}{ord(char)}{ETX}" for char in escaped), m.start(0), m.end(0)


class _SafeSyntax(Extension):
    """Bounded link parsing, and no raw HTML: markup typed into a body shows as text."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (library API)
        for processor in md.inlinePatterns:
            if isinstance(processor, LinkInlineProcessor):
                _bound(processor)
                processor.compiled_re = re.compile(
                    processor.pattern + _CLOSES_SOON, re.DOTALL | re.UNICODE
                )
        # Escapes one at a time rebuild the block's text per escape (quadratic on a run of
        # backslashes); a run of escapes becomes one placeholder, rendered the same way.
        escapable = "".join(re.escape(char) for char in md.ESCAPED_CHARS)
        md.inlinePatterns.register(
            _EscapeRunProcessor(rf"(?:\\[{escapable}]){{2,}}", md), "escape_run", 181
        )
        # Python-Markdown's raw HTML handling rescans the rest of the text for every
        # unclosed tag (quadratic), and the sanitizer would drop most of it anyway.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def _bound(processor: LinkInlineProcessor) -> None:
    get_link = processor.getLink

    def bounded_link(data: str, index: int):
        if data.find(")", index, index + LINK_SCAN_LIMIT) == -1:
            return "", None, index, False
        return get_link(data[: index + LINK_SCAN_LIMIT], index)

    processor.getText, processor.getLink = _link_text, bounded_link


def _limit_nesting(text: str) -> str:
    max_indent = 4 * MAX_NESTING

    def shallower(match: re.Match) -> str:
        indent = match.group(0).expandtabs(4)
        return indent[:max_indent]

    text = _INDENT.sub(shallower, text)
    return _CONTAINERS.sub(r"\1", text)


# Not followed by "(": `[[2]](#fn2)` is a markdown link whose text is "[2]" (pandoc writes
# footnote references that way), not a wiki link.
WIKI_LINK = r"\[\[([a-z0-9][a-z0-9_-]{0,99})(?:\|([^\]\n]{1,200}))?\]\](?!\()"


class WikiTarget(Protocol):
    """What a wiki link needs to know of the entry it names (an Entry will do)."""

    slug: str
    title: str
    state: str
    visibility: str

    def get_absolute_url(self) -> str: ...


class _WikiLinkProcessor(InlineProcessor):
    """`[[slug]]` and `[[slug|label]]`: a link to another entry, shown with its title.

    The renderer looks nothing up: the caller passes the entries the text names
    (links.render does). Only the title of a published public entry is shown, since the
    HTML is stored once for every reader; an unknown slug renders as visibly missing text."""

    def __init__(self, pattern: str, md: markdown.Markdown, targets: Mapping[str, WikiTarget]):
        super().__init__(pattern, md)
        self.targets = targets

    def handleMatch(self, m: re.Match, data: str):  # noqa: N802 (library API)
        slug, label = m.group(1), (m.group(2) or "").strip()
        target = self.targets.get(slug)
        if target is None or target.state not in ("published", "archived"):
            # A draft or an entry in review is nobody's to link to yet: shown as missing
            # until it is published (publishing re-renders the entries that name it).
            element = etree.Element("span", {"class": "wiki-missing"})
            element.text = AtomicString(label or slug)
            element.set("title", f"No entry “{slug}” yet")
            return element, m.start(0), m.end(0)
        element = etree.Element("a", {"href": target.get_absolute_url(), "class": "wiki-link"})
        shareable = target.state == "published" and target.visibility == "public"
        # Atomic: a title is text, never parsed again as markdown or HTML.
        element.text = AtomicString(label or (target.title if shareable else slug))
        return element, m.start(0), m.end(0)


class _WikiLinks(Extension):
    def __init__(self, targets: Mapping[str, WikiTarget]):
        super().__init__()
        self.targets = targets

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (library API)
        # Before links (160) and references (170), after code spans (190).
        processor = _WikiLinkProcessor(WIKI_LINK, md, self.targets)
        md.inlinePatterns.register(processor, "wiki_link", 175)


def _markdown(wiki: Mapping[str, WikiTarget]) -> markdown.Markdown:
    return markdown.Markdown(
        # Not "extra": its definition lists and abbreviations are quadratic on hostile input.
        extensions=[
            "tables",
            "fenced_code",
            "footnotes",
            "sane_lists",
            _SafeSyntax(),
            _WikiLinks(wiki),
        ],
        output_format="html",
    )


def sanitize(html_text: str) -> str:
    return nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str, wiki: Mapping[str, WikiTarget] | None = None) -> str:
    """Render untrusted markdown to HTML that is safe to show as is. `wiki` maps the slugs
    its wiki links name to their entries; a slug it lacks renders as missing."""
    if not text:
        return ""
    text = _limit_nesting(text[: settings.KB_BODY_MAX_CHARS])
    try:
        rendered = _markdown(wiki or {}).convert(text)
    except RecursionError:
        logger.warning("markdown too deeply nested; showing it as plain text")
        rendered = f"<pre>{html.escape(text)}</pre>"
    return sanitize(rendered)
