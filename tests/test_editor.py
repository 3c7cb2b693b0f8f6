"""The markdownx editor: image upload, and the editor page it lives on."""

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from knowledgebase import moderation, search
from tests.conftest import make_entry

UPLOAD_URL = "/markdownx/upload/"
IMAGE_CODE = re.compile(r"^!\[\]\(/media/uploads/([0-9a-f]{32})\.(png|jpg|gif|webp)\)$")


def image_bytes(fmt: str, size=(64, 48), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (20, 120, 200) if mode == "RGB" else 0).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client, data: bytes, name: str, content_type: str):
    return client.post(
        UPLOAD_URL, {"image": SimpleUploadedFile(name, data, content_type=content_type)}
    )


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def stored_path(response) -> Path:
    match = IMAGE_CODE.match(response.json()["image_code"])
    assert match, response.json()
    return Path(settings.MEDIA_ROOT) / "uploads" / f"{match[1]}.{match[2]}"


def refusal(response) -> str:
    assert response.status_code == 400
    messages = response.json()["image"]
    assert messages and all(messages)
    return messages[0]


# --- accepted images ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, name, content_type, extension",
    [
        ("PNG", "chart.png", "image/png", "png"),
        ("JPEG", "photo.jpg", "image/jpeg", "jpg"),
        ("GIF", "anim.gif", "image/gif", "gif"),
        ("WEBP", "small.webp", "image/webp", "webp"),
    ],
)
def test_real_images_are_stored(as_user, alice, fmt, name, content_type, extension):
    data = image_bytes(fmt)
    response = upload(as_user(alice), data, name, content_type)
    assert response.status_code == 200
    code = response.json()["image_code"]
    assert IMAGE_CODE.match(code)
    assert code.endswith(f".{extension})")
    path = stored_path(response)
    assert path.is_file()
    assert path.read_bytes() == data
    assert path.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())


def test_each_upload_gets_its_own_name(as_user, alice):
    client = as_user(alice)
    first = upload(client, image_bytes("PNG"), "same.png", "image/png")
    second = upload(client, image_bytes("PNG"), "same.png", "image/png")
    assert stored_path(first) != stored_path(second)
    assert len(stored_files()) == 2


@pytest.mark.parametrize(
    "name, content_type", [("chart.jpg", "image/jpeg"), ("chart.gif", "image/gif")]
)
def test_image_is_stored_with_the_extension_of_its_real_format(as_user, alice, name, content_type):
    response = upload(as_user(alice), image_bytes("PNG"), name, content_type)
    assert response.status_code == 200
    assert response.json()["image_code"].endswith(".png)")
    assert stored_path(response).is_file()


def test_uploaded_file_name_is_not_used(as_user, alice):
    response = upload(as_user(alice), image_bytes("PNG"), "../../evil.png", "image/png")
    assert response.status_code == 200
    assert "evil" not in response.json()["image_code"]
    assert [path.name for path in stored_files()] == [stored_path(response).name]


def test_uploads_go_to_the_configured_storage(as_user, alice, settings):
    # Several web servers share a bucket (KB_MEDIA_STORAGE=s3): the upload goes through
    # whatever STORAGES["default"] is, never straight to the local folder.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    from django.core.files.storage import default_storage

    response = upload(as_user(alice), image_bytes("PNG"), "a.png", "image/png")

    url = response.json()["image_code"][len("![](") : -1]
    name = url.removeprefix(settings.MEDIA_URL)
    assert default_storage.exists(name)
    assert stored_files() == []


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "django.core.files.storage.FileSystemStorage"),
        ({"KB_MEDIA_STORAGE": "s3", "KB_S3_BUCKET": "media"}, "storages.backends.s3.S3Storage"),
        ({"KB_MEDIA_STORAGE": "s3"}, "ImproperlyConfigured: KB_MEDIA_STORAGE=s3 needs"),
        ({"KB_MEDIA_STORAGE": "nfs"}, "ImproperlyConfigured: Unknown KB_MEDIA_STORAGE 'nfs'"),
    ],
)
def test_the_upload_storage_is_chosen_by_a_setting(env, expected):
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['default']['BACKEND'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KB_MEDIA", "KB_S3"))}
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert expected in run.stdout + run.stderr


# --- refused files ------------------------------------------------------------------------

SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)


@pytest.mark.parametrize(
    "name, content_type",
    [("drawing.svg", "image/svg+xml"), ("drawing.png", "image/png")],
    ids=["svg", "svg-named-png"],
)
def test_svg_is_refused(as_user, alice, name, content_type):
    response = upload(as_user(alice), SVG, name, content_type)
    assert "PNG, JPEG, GIF or WebP" in refusal(response)
    assert stored_files() == []


def test_text_file_renamed_png_is_refused(as_user, alice):
    response = upload(as_user(alice), b"just some notes\n" * 20, "notes.png", "image/png")
    assert "not an image" in refusal(response)
    assert stored_files() == []


def test_html_renamed_png_is_refused(as_user, alice):
    page = b"<html><body><script>alert(1)</script></body></html>"
    response = upload(as_user(alice), page, "page.png", "image/png")
    assert refusal(response)
    assert stored_files() == []


def test_truncated_png_is_refused(as_user, alice):
    data = image_bytes("PNG", size=(200, 200))
    response = upload(as_user(alice), data[: len(data) // 2], "cut.png", "image/png")
    assert "not an image" in refusal(response)
    assert stored_files() == []


def test_png_with_a_corrupt_chunk_is_refused(as_user, alice):
    data = bytearray(image_bytes("PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # inside the compressed pixels: the chunk checksum no longer matches
    response = upload(as_user(alice), bytes(data), "bad.png", "image/png")
    assert "not an image" in refusal(response)
    assert stored_files() == []


def test_empty_file_is_refused(as_user, alice):
    response = upload(as_user(alice), b"", "empty.png", "image/png")
    assert refusal(response)
    assert stored_files() == []


def test_other_image_formats_are_refused(as_user, alice):
    response = upload(as_user(alice), image_bytes("BMP"), "old.bmp", "image/bmp")
    assert "Only PNG, JPEG, GIF and WebP" in refusal(response)
    assert stored_files() == []


def test_missing_file_is_refused(as_user, alice):
    response = as_user(alice).post(UPLOAD_URL, {})
    assert refusal(response)


def noise_png(min_size: int) -> bytes:
    # Random pixels do not compress, so the PNG is about as large as its raw pixels.
    import random

    rng = random.Random(7)
    side = int((min_size / 3) ** 0.5) + 64
    pixels = rng.randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, format="PNG", compress_level=1)
    data = buffer.getvalue()
    assert len(data) > min_size
    return data


def test_file_larger_than_the_limit_is_refused(as_user, alice):
    limit = settings.MARKDOWNX_UPLOAD_MAX_SIZE
    response = upload(as_user(alice), noise_png(limit), "huge.png", "image/png")
    assert "larger than 2 MB" in refusal(response)
    assert stored_files() == []


def test_file_just_under_the_limit_is_accepted(as_user, alice, settings):
    data = image_bytes("PNG")
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = len(data)
    response = upload(as_user(alice), data, "fits.png", "image/png")
    assert response.status_code == 200
    assert stored_path(response).is_file()


def test_size_refusal_names_the_configured_limit(as_user, alice, settings):
    settings.MARKDOWNX_UPLOAD_MAX_SIZE = 1024 * 1024
    response = upload(as_user(alice), noise_png(1024 * 1024), "big.png", "image/png")
    assert "larger than 1 MB" in refusal(response)


def test_image_with_too_many_pixels_is_refused(as_user, alice):
    # A tiny file that decodes to a huge canvas (a decompression bomb).
    data = image_bytes("PNG", size=(8_000, 6_000), mode="1")
    assert len(data) < settings.MARKDOWNX_UPLOAD_MAX_SIZE
    response = upload(as_user(alice), data, "bomb.png", "image/png")
    assert "too many pixels" in refusal(response)
    assert stored_files() == []


# --- who may upload -----------------------------------------------------------------------


def test_anonymous_cannot_upload(client, db):
    response = upload(client, image_bytes("PNG"), "a.png", "image/png")
    assert response.status_code == 403
    assert stored_files() == []


def test_user_without_agency_cannot_upload(as_user, nobody):
    response = upload(as_user(nobody), image_bytes("PNG"), "a.png", "image/png")
    assert response.status_code == 403
    assert response.json()["image"]
    assert stored_files() == []


def test_upload_refuses_get(as_user, alice):
    assert as_user(alice).get(UPLOAD_URL).status_code == 405


# --- the editor page ----------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.textareas: dict[str, str] = {}
        self._open: tuple[str, dict] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in {"script", "textarea"}:
            self._open, self._text = (tag, attributes), []

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            kind, attributes = self._open
            text = "".join(self._text)
            if kind == "script":
                self.scripts.append((attributes, text))
            else:
                self.textareas[attributes.get("name", "")] = text
            self._open = None


def parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    page.close()
    return page


def selected_kind(page: _Page) -> str | None:
    # The kind <select>'s options follow it; the selected one is the default.
    in_kind = False
    for tag, attributes in page.tags:
        if tag == "select":
            in_kind = attributes.get("name") == "kind"
        elif tag == "option" and in_kind and "selected" in attributes:
            return attributes["value"]
    return None


def test_editor_page_has_the_markdownx_widget(as_user, alice):
    response = as_user(alice).get("/entries/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in html
    assert 'data-markdownx-upload-urls-path="/markdownx/upload/"' in html
    assert 'class="markdownx-preview"' in html


def test_editor_starts_from_the_default_kind_outline(as_user, alice):
    page = parse(as_user(alice).get("/entries/new/"))
    body = page.textareas["body"]
    assert selected_kind(page) == "case-study"
    assert "## Context" in body
    assert "## How to replicate" in body
    assert "What we learned" not in body


def test_editor_starts_from_the_lesson_outline(as_user, alice):
    page = parse(as_user(alice).get("/entries/new/?kind=lesson-learned"))
    body = page.textareas["body"]
    assert selected_kind(page) == "lesson-learned"
    assert "## What we learned" in body
    assert "## Context" not in body


def test_editor_ignores_an_unknown_kind(as_user, alice):
    page = parse(as_user(alice).get("/entries/new/?kind=<script>"))
    assert selected_kind(page) == "case-study"
    assert "## Context" in page.textareas["body"]


def test_editor_page_carries_every_outline_as_json(as_user, alice):
    page = parse(as_user(alice).get("/entries/new/"))
    outlines = [
        (attributes, text)
        for attributes, text in page.scripts
        if attributes.get("id") == "kind-outlines"
    ]
    assert len(outlines) == 1
    attributes, text = outlines[0]
    assert attributes.get("type") == "application/json"
    data = json.loads(text)
    assert set(data) == {"case-study", "lesson-learned", "best-practice", "guide"}
    assert "## What we learned" in data["lesson-learned"]


@pytest.mark.parametrize("path", ["/entries/new/", "/entries/new/?kind=guide"])
def test_editor_page_is_ready_for_a_strict_csp(as_user, alice, path):
    page = parse(as_user(alice).get(path))
    assert page.scripts
    for attributes, text in page.scripts:
        if "src" in attributes:
            assert not text.strip()
        else:
            assert attributes.get("type") == "application/json", (attributes, text[:80])
    assert [tag for tag, attributes in page.tags if "style" in attributes] == []
    assert [tag for tag, _ in page.tags if tag == "style"] == []
    handlers = [(tag, name) for tag, attrs in page.tags for name in attrs if name.startswith("on")]
    assert handlers == []


def test_editor_page_loads_the_markdownx_script_from_static(as_user, alice):
    page = parse(as_user(alice).get("/entries/new/"))
    sources = [attributes["src"] for attributes, _ in page.scripts if "src" in attributes]
    assert any("markdownx" in src for src in sources)
    assert all(src.startswith(settings.STATIC_URL) for src in sources)


@pytest.mark.parametrize("path", ["/", "/entries/", "/entries/new/"])
def test_pages_send_a_content_security_policy(as_user, alice, path):
    response = as_user(alice).get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy


def test_anonymous_pages_send_a_content_security_policy(client, db):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_upload_and_preview_responses_send_a_content_security_policy(as_user, alice):
    client = as_user(alice)
    preview = client.post("/markdownx/markdownify/", {"content": "# x"})
    assert "Content-Security-Policy" in preview.headers
    refused = upload(client, b"not an image", "x.png", "image/png")
    assert "Content-Security-Policy" in refused.headers


def test_editor_requires_an_agency(as_user, nobody):
    assert as_user(nobody).get("/entries/new/").status_code == 403


def test_editor_sends_anonymous_users_to_sign_in(client, db):
    response = client.get("/entries/new/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/entries/new/")


# --- similar entries already exist --------------------------------------------------------

SIMILAR_URL = "/search/similar/"
MODULAR = {
    "title": "Modular contracting for large IT projects",
    "summary": "We split big IT procurements into smaller contracts that deliver working "
    "software every few months, so a failing vendor costs weeks, not years.",
}
PARAPHRASE = "Breaking a huge IT contract into several small ones"


def similar(client, **params) -> dict:
    response = client.get(SIMILAR_URL, params)
    assert response.status_code == 200
    assert set(response.json()) == {"results", "by_meaning"}
    return response.json()


def similar_titles(client, **params) -> list[str]:
    return [result["title"] for result in similar(client, **params)["results"]]


def test_anonymous_cannot_ask_for_similar_entries(client, db):
    make_entry(**MODULAR)
    response = client.get(SIMILAR_URL, {"title": "Modular contracting"})
    assert response.status_code == 403
    assert response.json()["error"]
    assert "results" not in response.json()


def test_user_without_agency_cannot_ask_for_similar_entries(as_user, nobody):
    make_entry(**MODULAR)
    search.rebuild()
    response = as_user(nobody).get(SIMILAR_URL, {"title": "Modular contracting"})
    assert response.status_code == 403
    assert response.json()["error"]


def test_similar_entries_refuse_post(as_user, alice):
    assert as_user(alice).post(SIMILAR_URL, {"title": "Modular contracting"}).status_code == 405


def test_similar_entries_describe_each_entry(as_user, alice, gsa):
    make_entry(slug="modular-contracting", kind="guide", lead_agency=gsa, **MODULAR)
    search.rebuild()
    data = similar(as_user(alice), title="Modular contracting", summary="for IT projects")
    assert data == {
        "results": [
            {
                "title": MODULAR["title"],
                "url": "/entries/modular-contracting/",
                "kind": "Guide",
                "agency": "General Services Administration",
                "summary": MODULAR["summary"],
            }
        ],
        "by_meaning": False,
    }


def test_similar_entry_without_lead_agency_has_none(as_user, alice):
    make_entry(**MODULAR)
    search.rebuild()
    [result] = similar(as_user(alice), title="Modular contracting")["results"]
    assert result["agency"] is None


def test_similar_entry_summaries_are_shortened(as_user, alice):
    make_entry(title="Modular contracting", summary="Smaller contracts. " * 25)
    search.rebuild()
    [result] = similar(as_user(alice), title="Modular contracting")["results"]
    assert len(result["summary"]) <= 160
    assert result["summary"].endswith("…")


def test_similar_entries_include_government_only_entries_for_staff(as_user, bob, gsa):
    make_entry(visibility="government", lead_agency=gsa, **MODULAR)
    search.rebuild()
    assert similar_titles(as_user(bob), title="Modular contracting") == [MODULAR["title"]]


@pytest.mark.parametrize("state", ["draft", "submitted", "changes-requested", "rejected"])
@pytest.mark.parametrize("asking", ["bob", "mona"])
def test_unpublished_entries_of_others_are_never_similar(
    as_user, alice, bob, mona, request, state, asking
):
    make_entry(author=alice, state=state, **MODULAR)
    search.rebuild()
    user = request.getfixturevalue(asking)
    assert similar_titles(as_user(user), title="Modular contracting") == []


def test_similar_entries_leave_out_the_entry_being_edited(as_user, alice):
    make_entry(author=alice, slug="modular-contracting", **MODULAR)
    make_entry(slug="modular-delivery", title="Modular contracting for small IT projects")
    search.rebuild()
    client = as_user(alice)
    both = similar_titles(client, title="Modular contracting for IT projects")
    assert sorted(both) == [MODULAR["title"], "Modular contracting for small IT projects"]
    edited = similar_titles(
        client, title="Modular contracting for IT projects", exclude="modular-contracting"
    )
    assert edited == ["Modular contracting for small IT projects"]


def test_unknown_exclude_leaves_the_results_alone(as_user, alice):
    make_entry(**MODULAR)
    search.rebuild()
    titles = similar_titles(as_user(alice), title="Modular contracting", exclude="no-such-entry")
    assert titles == [MODULAR["title"]]


@pytest.mark.parametrize("title, summary", [("", ""), ("IT", ""), ("", "  IT  "), ("IT", "IT")])
def test_short_text_gives_no_similar_entries(
    as_user, alice, title, summary, django_assert_max_num_queries
):
    make_entry(title="IT", summary="IT")
    search.rebuild()
    client = as_user(alice)
    with django_assert_max_num_queries(3):  # the session and the user: no search
        data = similar(client, title=title, summary=summary)
    assert data["results"] == []


def test_similar_entries_take_few_queries(as_user, alice, gsa, va, django_assert_max_num_queries):
    for n in range(5):
        make_entry(
            title=f"Modular contracting lesson {n}",
            lead_agency=gsa if n % 2 else va,
            tags=["procurement", f"topic-{n}"],
        )
    search.rebuild()
    client = as_user(alice)
    with django_assert_max_num_queries(7):
        titles = similar_titles(client, title="Modular contracting")
    assert len(titles) == 5


def test_editor_has_the_similar_entries_region(as_user, alice):
    page = parse(as_user(alice).get("/entries/new/"))
    [region] = [attrs for tag, attrs in page.tags if "data-similar" in attrs]
    assert region["data-similar"] == SIMILAR_URL
    assert region["aria-live"] == "polite"
    assert "data-similar-exclude" not in region
    [panel] = [
        attrs
        for tag, attrs in page.tags
        if attrs.get("aria-labelledby") == "similar-entries-heading"
    ]
    assert "hidden" in panel


def test_edit_page_leaves_out_the_entry_itself(as_user, alice):
    entry = make_entry(author=alice, slug="modular-contracting", **MODULAR)
    page = parse(as_user(alice).get(f"/entries/{entry.slug}/edit/"))
    [region] = [attrs for tag, attrs in page.tags if "data-similar" in attrs]
    assert region["data-similar-exclude"] == "modular-contracting"


# With the real model: entries found by what they mean, not by their words.


def test_a_paraphrased_title_finds_the_entry_by_meaning(meaning, as_user, alice, gsa):
    entry = make_entry(lead_agency=gsa, **MODULAR)
    other = make_entry(
        title="Text-back queues cut call-centre waits",
        summary="Callers chose a text message when an agent was free instead of holding.",
    )
    meaning.update([entry.pk, other.pk])
    data = similar(as_user(alice), title=PARAPHRASE)
    assert data["by_meaning"] is True
    assert [r["title"] for r in data["results"]] == [MODULAR["title"]]
    assert data["results"][0]["agency"] == "General Services Administration"


def test_an_entry_becomes_similar_once_published(
    meaning, as_user, alice, bob, mona, django_capture_on_commit_callbacks
):
    entry = make_entry(author=alice, state="draft", **MODULAR)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.submit(entry, by=alice)
    assert similar_titles(as_user(bob), title=PARAPHRASE) == []
    assert similar_titles(as_user(mona), title=PARAPHRASE) == []
    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(entry, by=mona)
    assert similar_titles(as_user(bob), title=PARAPHRASE) == [MODULAR["title"]]


def test_the_entry_being_edited_is_not_similar_to_itself_by_meaning(meaning, as_user, alice):
    entry = make_entry(author=alice, slug="modular-contracting", **MODULAR)
    meaning.update([entry.pk])
    client = as_user(alice)
    assert similar_titles(client, **MODULAR) == [MODULAR["title"]]
    assert similar_titles(client, exclude="modular-contracting", **MODULAR) == []


def test_unrelated_text_finds_nothing_by_meaning(meaning, as_user, alice):
    entry = make_entry(**MODULAR)
    meaning.update([entry.pk])
    data = similar(as_user(alice), title="Wildfire smoke alerts for rural schools")
    assert data == {"results": [], "by_meaning": True}
