"""The one markdown renderer: hostile input comes out harmless, and rendering stays bounded.

Speed targets live in bench/markdown_bench.py, never in timed unit tests; here the
pathological inputs only have to render completely and come out correct."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from knowledgebase import entries
from knowledgebase.markdown import render_markdown
from knowledgebase.models import Entry
from tests.conftest import make_entry

# --- what "harmless" means -----------------------------------------------------------------

FORBIDDEN_TAGS = {
    "applet",
    "base",
    "body",
    "button",
    "details",
    "embed",
    "form",
    "frame",
    "frameset",
    "html",
    "iframe",
    "input",
    "link",
    "math",
    "meta",
    "noscript",
    "object",
    "script",
    "select",
    "style",
    "svg",
    "template",
    "textarea",
    "video",
}
URL_ATTRIBUTES = {
    "action",
    "background",
    "cite",
    "data",
    "formaction",
    "href",
    "poster",
    "src",
    "srcset",
    "xlink:href",
}
SAFE_SCHEMES = {"http", "https", "mailto"}
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see in an attribute value (WHATWG URL parsing):
    leading and trailing controls and spaces are stripped, tabs and newlines removed."""
    value = re.sub(r"[\t\n\r]", "", value.strip(_C0_AND_SPACE))
    match = _SCHEME.match(value)
    return match.group(1).lower() if match else None


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []
        self.depth = 0
        self.max_depth = 0
        self.nesting_tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag in self.nesting_tags:
            self.depth += 1
            self.max_depth = max(self.max_depth, self.depth)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag in self.nesting_tags:
            self.depth -= 1

    def handle_comment(self, data):
        self.comments.append(data)


def problems(html: str) -> list[str]:
    """Everything in this HTML that could run script, restyle the page or open a window."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    found = []
    if re.search(r"<\s*/?\s*script", html, re.IGNORECASE):
        found.append("raw <script")
    if parser.comments or "<!--" in html:
        found.append("HTML comment")
    for tag, attrs in parser.tags:
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"{name}= on <{tag}>")
            elif name in {"style", "target"}:
                found.append(f"{name}= on <{tag}>")
            elif name in URL_ATTRIBUTES and url_scheme(value or "") not in SAFE_SCHEMES | {None}:
                found.append(f"{name}={value!r} on <{tag}>")
    return found


def nesting_depth(html: str, tags: set[str]) -> int:
    parser = _Tags()
    parser.nesting_tags = tags
    parser.feed(html)
    parser.close()
    return parser.max_depth


def test_the_checker_itself_sees_hostile_html():
    # Guards the guard: an unsanitized fragment must be reported.
    raw = (
        '<script>x</script><a href=" java\tscript:x" target="_blank" onclick="x">a</a>'
        '<img src="data:text/html,x" style="x"><svg></svg><!-- c -->'
    )
    found = problems(raw)
    assert "raw <script" in found
    assert "HTML comment" in found
    assert "<svg>" in found
    assert any(p.startswith("href=") for p in found)
    assert any(p.startswith("src=") for p in found)
    assert any(p.startswith("target=") for p in found)
    assert any(p.startswith("style=") for p in found)
    assert any(p.startswith("onclick=") for p in found)
    assert url_scheme("java    script:x") is None  # spaces break a scheme; browsers agree


# --- hostile inputs ------------------------------------------------------------------------

HOSTILE = {
    # elements that run or embed things
    "script": "<script>alert(1)</script>",
    "script-upper": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script-split": "<scr<script>ipt>alert(1)</script>",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "style": "<style>body { display: none }</style>text",
    "style-import": '<style>@import "javascript:alert(1)";</style>',
    "object": '<object data="javascript:alert(1)"></object>',
    "embed": '<embed src="javascript:alert(1)">',
    "form": "<form action=javascript:alert(1)><button>go</button></form>",
    "input-autofocus": "<input onfocus=alert(1) autofocus>",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base": '<base href="javascript:alert(1)//">',
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    # event handlers
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onload": '<img src="https://example.gov/a.png" onload="alert(1)">',
    "a-onclick": '<a href="https://example.gov" onclick="alert(1)">x</a>',
    "a-onmouseover": "<a onmouseover=alert(1)>x</a>",
    "div-onclick": '<div onclick="alert(1)">x</div>',
    "div-onload": '<div onload="alert(1)">x</div>',
    "p-onmouseover": '<p onmouseover="alert(1)">x</p>',
    "body-onload": "<body onload=alert(1)>",
    "details-ontoggle": "<details open ontoggle=alert(1)>x</details>",
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-animate": "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "svg-xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "math": "<math><mi>x</mi></math>",
    "math-maction": (
        '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">'
        "CLICK</maction></math>"
    ),
    "attr-list-handler": '# Title {: onclick="alert(1)" style="color:red" }',
    "attr-list-paragraph": 'para\n{: onclick="alert(1)" }',
    "title-breakout": '<a href="https://x.gov" title="a&quot; onclick=&quot;alert(1)">x</a>',
    # javascript: and friends, in raw HTML
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-javascript-mixed-case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "a-javascript-entity-j": '<a href="&#106;avascript:alert(1)">x</a>',
    "a-javascript-padded-entity": '<a href="&#0000106avascript:alert(1)">x</a>',
    "a-javascript-entity-colon": '<a href="javascript&colon;alert(1)">x</a>',
    "a-javascript-hex-colon": '<a href="javascript&#x3A;alert(1)">x</a>',
    "a-javascript-tab-entity": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "a-javascript-newline": '<a href="java\nscript:alert(1)">x</a>',
    "a-javascript-leading-space": '<a href="  javascript:alert(1)">x</a>',
    "a-javascript-leading-control": '<a href="\x01javascript:alert(1)">x</a>',
    "a-javascript-leading-control-entity": '<a href="&#1;javascript:alert(1)">x</a>',
    "a-javascript-nul": '<a href="java\x00script:alert(1)">x</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "a-data-html": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "a-target": '<a href="https://example.gov" target="_blank">x</a>',
    "a-target-upper": '<a href="https://example.gov" TARGET="_top" rel=opener>x</a>',
    "img-javascript": '<IMG SRC="JaVaScRiPt:alert(1)">',
    "img-data-svg": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "img-data-html": '<img src="data:text/html,<script>alert(1)</script>">',
    "img-srcset": '<img src="x.png" srcset="javascript:alert(1)">',
    "video-poster": "<video poster=javascript:alert(1)>",
    "style-attr": '<p style="color:red">x</p>',
    "style-attr-url": '<div style="background:url(javascript:alert(1))">x</div>',
    "comment": "<!-- hidden -->visible",
    "comment-script": "<!-- <script>alert(1)</script> -->",
    "conditional-comment": "<!--[if IE]><script>alert(1)</script><![endif]-->",
    # javascript: and friends, in markdown syntax
    "md-link-javascript": "[x](javascript:alert(1))",
    "md-link-javascript-mixed-case": "[x](JaVaScRiPt:alert(1))",
    "md-link-javascript-entity-j": "[x](&#106;avascript:alert(1))",
    "md-link-javascript-hex-entity": "[x](&#x6A;avascript:alert(1))",
    "md-link-javascript-entity-colon": "[x](javascript&#58;alert(1))",
    "md-link-javascript-newline": "[x](java\nscript:alert(1))",
    "md-link-javascript-tab": "[x](java\tscript:alert(1))",
    "md-link-javascript-newline-entity": "[x](java&#x0A;script:alert(1))",
    "md-link-javascript-cr-entity": "[x](java&#x0D;script:alert(1))",
    "md-link-javascript-tab-entity": "[x](java&#x09;script:alert(1))",
    "md-link-javascript-leading-space": "[x]( javascript:alert(1))",
    "md-link-javascript-leading-control": "[x](\x01javascript:alert(1))",
    "md-link-javascript-angle": "[x](<javascript:alert(1)>)",
    "md-link-javascript-title": '[x](javascript:alert(1) "title")',
    "md-link-vbscript": "[x](vbscript:msgbox(1))",
    "md-link-vbscript-upper": "[x](VBScript:msgbox(1))",
    "md-link-data-html": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-image-javascript": "![x](javascript:alert(1))",
    "md-image-javascript-upper": "![x](JAVASCRIPT:alert(1))",
    "md-image-data-html": "![x](data:text/html,<script>alert(1)</script>)",
    "md-reference-javascript": "[x][r]\n\n[r]: javascript:alert(1)",
    "md-reference-javascript-angle": "[x][1]\n\n[1]: <javascript:alert(1)>",
    "md-reference-image-javascript": "![x][r]\n\n[r]: javascript:alert(1)",
    "md-autolink-javascript": "<javascript:alert(1)>",
    "md-autolink-javascript-mixed-case": "<JavaScript:alert(1)>",
    "md-autolink-vbscript": "<vbscript:msgbox(1)>",
    "md-in-html-javascript": '<div markdown="1">[x](javascript:alert(1))</div>',
    "md-in-span-javascript": "<span>[x](javascript:alert(1))</span>",
    "md-attr-list-on-link": '[x](javascript:alert(1)){: onclick="alert(1)" }',
}
HOSTILE_PARAMS = [pytest.param(text, id=name) for name, text in HOSTILE.items()]


@pytest.mark.parametrize("text", HOSTILE_PARAMS)
def test_render_markdown_removes_hostile_html(text):
    assert problems(render_markdown(text)) == []


@pytest.mark.parametrize(
    "text, kept",
    [
        ("[read more](javascript:alert(1))", ">read more</a>"),
        ('<a href="https://example.gov" target="_blank">site</a>', 'href="https://example.gov"'),
        ("<!-- hidden -->visible", "visible"),
        ('![a](https://example.gov/a.png){: onerror="alert(1)" }', 'src="https://example.gov'),
    ],
)
def test_sanitizing_keeps_the_harmless_part(text, kept):
    assert kept in render_markdown(text)


@pytest.mark.parametrize(
    "text",
    [
        '<p style="color:red">kept text</p>',
        '<div onclick="alert(1)">kept text</div>',
        "<script>alert(1)</script><style>p { color: red }</style>after",
    ],
)
def test_raw_html_is_shown_as_text_never_as_markup(text):
    """Bodies are markdown: typed HTML appears literally, so nothing is lost or run."""
    html = render_markdown(text)
    assert html.startswith("<p>&lt;")
    assert problems(html) == []


def test_code_that_shows_html_is_escaped_not_run():
    html = render_markdown("Use `<script>` carefully.\n\n```\n<script>alert(1)</script>\n```")
    assert "<code>&lt;script&gt;</code>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert problems(html) == []


@pytest.mark.parametrize(
    "text, fragments",
    [
        pytest.param("# Heading\n\n## Sub heading", ["<h1>Heading</h1>", "<h2>Sub heading</h2>"]),
        pytest.param("Sub\n---", ["<h2>Sub</h2>"], id="setext-heading"),
        pytest.param("- one\n- two", ["<ul>", "<li>one</li>", "<li>two</li>"], id="bullets"),
        pytest.param("1. one\n2. two", ["<ol>", "<li>one</li>", "<li>two</li>"], id="numbers"),
        pytest.param("- outer\n    - inner", ["<li>outer<ul>", "<li>inner</li>"], id="nested-list"),
        pytest.param(
            "| Measure | Before | After |\n|---|--:|--:|\n| Wait | 12 | 7 |",
            ["<table>", "<th>Measure</th>", "<td>Wait</td>", "12</td>", "7</td>", "</table>"],
            id="table",
        ),
        pytest.param(
            "```python\nif a < b:\n    pass\n```",
            ["<pre><code>", "if a &lt; b:\n    pass", "</code></pre>"],
            id="fenced-code",
        ),
        pytest.param("    indented code", ["<pre><code>indented code"], id="indented-code"),
        pytest.param("Use `manage.py`.", ["<code>manage.py</code>"], id="inline-code"),
        pytest.param(
            "> Quoted advice.\n>\n> Second paragraph.",
            ["<blockquote>", "<p>Quoted advice.</p>", "<p>Second paragraph.</p>"],
            id="blockquote",
        ),
        pytest.param("*em* and **strong**", ["<em>em</em>", "<strong>strong</strong>"]),
        pytest.param(
            "[the guide](https://digital.gov/guide/)",
            ['href="https://digital.gov/guide/"', ">the guide</a>"],
            id="https-link",
        ),
        pytest.param(
            '[plain](http://example.gov/a "A title")',
            ['href="http://example.gov/a"', 'title="A title"'],
            id="http-link-with-title",
        ),
        pytest.param(
            "[write to us](mailto:team@example.gov)",
            ['href="mailto:team@example.gov"', ">write to us</a>"],
            id="mailto-link",
        ),
        pytest.param(
            "[next](/entries/other-entry/) and [anchor](#results)",
            ['href="/entries/other-entry/"', 'href="#results"'],
            id="relative-links",
        ),
        pytest.param(
            "[ref][1]\n\n[1]: https://example.gov/ref",
            ['href="https://example.gov/ref"', ">ref</a>"],
            id="reference-link",
        ),
        pytest.param(
            "<https://example.gov/auto>",
            ['href="https://example.gov/auto"', ">https://example.gov/auto</a>"],
            id="autolink",
        ),
        pytest.param(
            "![Wait times chart](https://example.gov/chart.png)",
            ["<img", 'alt="Wait times chart"', 'src="https://example.gov/chart.png"'],
            id="image",
        ),
        pytest.param(
            "![upload](/media/uploads/abc.png)",
            ['src="/media/uploads/abc.png"', 'alt="upload"'],
            id="uploaded-image",
        ),
        pytest.param("a\n\n---\n\nb", ["<hr>"], id="rule"),
    ],
)
def test_safe_markdown_still_renders(text, fragments):
    html = render_markdown(text)
    for fragment in fragments:
        assert fragment in html
    assert problems(html) == []


def test_links_open_safely():
    html = render_markdown("[x](https://example.gov)")
    assert 'rel="noopener noreferrer"' in html


def test_empty_body_renders_to_nothing():
    assert render_markdown("") == ""


# --- the same renderer behind the preview, the stored body and the page ---------------------


@pytest.mark.parametrize("text", HOSTILE_PARAMS)
def test_preview_endpoint_sanitizes(as_user, alice, text):
    response = as_user(alice).post("/markdownx/markdownify/", {"content": text})
    assert response.status_code == 200
    assert problems(response.content.decode()) == []


def test_preview_endpoint_renders_markdown(as_user, alice):
    response = as_user(alice).post(
        "/markdownx/markdownify/", {"content": "## Results\n\n- wait down 40%"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Results</h2>" in html
    assert "<li>wait down 40%</li>" in html


def test_preview_endpoint_matches_the_stored_rendering(as_user, alice):
    text = "# T\n\n[x](javascript:alert(1)) <b onclick=x>bold</b>\n\n| a |\n|---|\n| 1 |"
    response = as_user(alice).post("/markdownx/markdownify/", {"content": text})
    assert response.content.decode() == make_entry(body=text).body_html


def test_preview_endpoint_is_for_contributors_only(client, nobody):
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403
    client.force_login(nobody)
    assert client.post("/markdownx/markdownify/", {"content": "x"}).status_code == 403


def test_preview_endpoint_refuses_get(as_user, alice):
    assert as_user(alice).get("/markdownx/markdownify/").status_code == 405


@pytest.mark.parametrize("text", HOSTILE_PARAMS)
def test_stored_body_html_is_sanitized(alice, text):
    entry = entries.create(by=alice, data={"title": "Hostile", "summary": "x", "body": text})
    entry.refresh_from_db()
    # The source is kept as written, minus NUL (PostgreSQL cannot store it).
    assert entry.body == text.replace("\x00", "")
    assert problems(entry.body_html) == []


def test_body_html_is_rendered_again_when_the_body_changes(alice):
    entry = make_entry(body="fine", author=alice)
    body = "<script>alert(1)</script>**now bold**"
    entries.update(entry, by=alice, data={"body": body}, base_version=entry.version)
    entry.refresh_from_db()
    assert "<strong>now bold</strong>" in entry.body_html
    assert problems(entry.body_html) == []


def test_entry_page_escapes_a_hostile_title(client, db):
    make_entry(slug="hostile", title="<script>alert(1)</script>", visibility="public")
    response = client.get("/entries/hostile/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_entry_page_shows_a_hostile_body_sanitized(client, alice):
    body = "\n\n".join(HOSTILE.values())
    entry = entries.create(by=alice, data={"title": "Harmless", "summary": "x", "body": body})
    Entry.objects.filter(pk=entry.pk).update(slug="hostile-body", state="published")
    response = client.get("/entries/hostile-body/")
    assert response.status_code == 200
    page = response.content.decode()
    body_html = Entry.objects.get(slug="hostile-body").body_html
    assert body_html in page  # the page shows the stored, sanitized HTML as is
    assert problems(body_html) == []
    assert "<script>alert" not in page
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        names = {name for name, _ in attrs}
        assert not {name for name in names if name.startswith("on")}, tag
        assert tag not in {"iframe", "object", "embed", "svg", "math", "style"}
        if tag == "script":
            assert "src" in names or ("type", "application/json") in attrs


# --- pathological markdown: completes, and the output is right --------------------------------
# Timings are measured by bench/markdown_bench.py; these only check completion and content.


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 50_000, id="50000 ["),
        pytest.param("![" * 50_000, id="50000 !["),
        pytest.param("[a](" * 25_000, id="25000 [a]("),
        pytest.param("[[]" * 16_000, id="16000 [[]"),
    ],
)
def test_bracket_runs_render_as_literal_text(text):
    assert render_markdown(text) == f"<p>{text}</p>"


def test_bracket_run_before_a_real_link_keeps_the_link():
    html = render_markdown("[" * 50_000 + " [the guide](https://example.gov/guide)")
    assert html.startswith("<p>" + "[" * 50_000)
    assert '<a href="https://example.gov/guide" rel="noopener noreferrer">the guide</a>' in html


def test_nested_brackets_in_a_short_link_text_still_link():
    html = render_markdown("[[draft] plan](https://example.gov/plan)")
    assert '<a href="https://example.gov/plan" rel="noopener noreferrer">[draft] plan</a>' in html


def test_a_run_of_asterisks_is_a_rule():
    # A line of three or more `*` is a thematic break in markdown, however long.
    assert render_markdown("*" * 100_000) == "<hr>"


def test_a_run_of_asterisks_inside_text_stays_text():
    html = render_markdown("a" + "*" * 99_998 + "a")
    assert html == "<p>a" + "*" * 99_998 + "a</p>"


NESTING_BOUND = 32


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("- " * 3_000 + "deep", id="3000 list levels on one line"),
        pytest.param("1. " * 3_000 + "deep", id="3000 numbered levels on one line"),
        pytest.param(">" * 3_000 + " deep", id="3000 quote levels"),
        pytest.param("> " * 3_000 + "deep", id="3000 spaced quote levels"),
        pytest.param("- " * 300 + "deep", id="300 list levels on one line"),
        pytest.param("> - " * 3_000 + "deep", id="3000 quote-and-list levels on one line"),
    ],
)
def test_deep_nesting_renders_flattened(text):
    html = render_markdown(text)
    assert html.count("deep") == 1
    assert nesting_depth(html, {"ul", "ol", "blockquote"}) <= NESTING_BOUND
    assert problems(html) == []


def test_quote_nesting_is_flattened_keeping_every_line():
    # 400 lines, each one quote level deeper: as deep as fits under the body cap.
    text = "\n".join(">" * level + f" line {level}" for level in range(1, 401))
    assert len(text) <= settings.KB_BODY_MAX_CHARS
    html = render_markdown(text)
    lines = [int(n) for n in re.findall(r"line (\d+)", html)]
    assert lines == list(range(1, 401))
    assert 1 < nesting_depth(html, {"blockquote"}) <= NESTING_BOUND


def test_list_nesting_by_indentation_is_flattened_keeping_the_order():
    # 3,000 levels of 4-space indentation is far beyond the body cap: the renderer reads the
    # first KB_BODY_MAX_CHARS characters, and every item it reads is kept, in order.
    text = "\n".join("    " * level + f"- item {level}" for level in range(3_000))
    html = render_markdown(text)
    items = [int(n) for n in re.findall(r"item (\d+)", html)]
    assert len(items) > NESTING_BOUND
    assert items == list(range(len(items)))
    assert 1 < nesting_depth(html, {"ul"}) <= NESTING_BOUND


def test_list_nesting_by_tabs_is_flattened_keeping_the_order():
    text = "\n".join("\t" * level + f"- item {level}" for level in range(400))
    html = render_markdown(text)
    items = [int(n) for n in re.findall(r"item (\d+)", html)]
    assert items == list(range(len(items)))
    assert 1 < nesting_depth(html, {"ul"}) <= NESTING_BOUND


def test_render_reads_at_most_the_body_cap():
    text = "a" * (settings.KB_BODY_MAX_CHARS + 5_000)
    assert render_markdown(text) == "<p>" + "a" * settings.KB_BODY_MAX_CHARS + "</p>"


# --- the editor form: body and summary limits ----------------------------------------------


def entry_post(**fields) -> dict:
    data = {
        "kind": "case-study",
        "title": "Shorter phone queues",
        "summary": "We cut the wait on the phone line.",
        "body": "## Context\n\nLong queues.",
        "visibility": "public",
        "outcomes-TOTAL_FORMS": "0",
        "outcomes-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_body_over_the_limit_is_refused_with_a_clear_error(as_user, alice):
    limit = settings.KB_BODY_MAX_CHARS
    assert limit == 100_000
    response = as_user(alice).post("/entries/new/", entry_post(body="x" * (limit + 1)))
    assert response.status_code == 400
    errors = response.context["form"].errors["body"]
    assert any("100,000" in error for error in errors)
    assert "100,000" in response.content.decode()
    assert not Entry.objects.exists()


def test_body_of_exactly_the_limit_is_accepted(as_user, alice):
    body = "x" * settings.KB_BODY_MAX_CHARS
    response = as_user(alice).post("/entries/new/", entry_post(body=body))
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.body == body
    assert entry.body_html == f"<p>{body}</p>"


def test_summary_over_500_characters_is_refused(as_user, alice):
    response = as_user(alice).post("/entries/new/", entry_post(summary="s" * 501))
    assert response.status_code == 400
    assert response.context["form"].errors["summary"]
    assert "500" in response.context["form"].errors["summary"][0]
    assert not Entry.objects.exists()


def test_summary_of_exactly_500_characters_is_accepted(as_user, alice):
    response = as_user(alice).post("/entries/new/", entry_post(summary="s" * 500))
    assert response.status_code == 302
    assert Entry.objects.get().summary == "s" * 500
