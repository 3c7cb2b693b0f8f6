"""The site's navigation: where the reader is, and the moderators' tools in one menu."""

import pytest

from knowledgebase import search
from tests.conftest import make_entry


def test_the_current_page_and_section_are_marked(client, db):
    entries = client.get("/entries/").content.decode()
    assert '<a href="/entries/" aria-current="page">Entries</a>' in entries
    assert '<a href="/agencies/">Agencies</a>' in entries

    topic = client.get("/tags/").content.decode()
    assert '<a href="/tags/" aria-current="page">Topics</a>' in topic
    assert '<a href="/entries/">Entries</a>' in topic


def test_writing_an_entry_is_not_also_marked_as_entries(as_user, alice):
    page = as_user(alice).get("/entries/new/").content.decode()

    assert '<a href="/entries/new/" aria-current="page">Write an entry</a>' in page
    assert '<a href="/entries/">Entries</a>' in page


@pytest.mark.parametrize("persona", ["alice", "mona"])
def test_moderators_tools_are_one_menu_for_moderators_only(as_user, alice, mona, persona):
    page = as_user({"alice": alice, "mona": mona}[persona]).get("/").content.decode()

    if persona == "mona":
        assert "<summary>Moderation</summary>" in page
        menu = page[page.index("<summary>Moderation</summary>") : page.index("</details>")]
        for label in ("Review queue", "Knowledge gaps", "Broken links", "Overdue reviews"):
            assert label in menu
    else:
        assert "Moderation" not in page and "Review queue" not in page


def test_the_search_page_has_one_search_box_and_filters_before_the_results(client, db):
    make_entry(title="Callbacks for phone lines", tags=["phones"])
    search.rebuild()

    page = client.get("/search/", {"q": "callbacks"}).content.decode()

    assert page.count('type="search"') == 1
    assert page.index("<summary>Filter results</summary>") < page.index("Callbacks for phone lines")
    assert 'data-shortcut="/"' in page


def test_other_pages_keep_the_search_box_in_the_header(client, db):
    page = client.get("/entries/").content.decode()

    assert 'class="header-search"' in page
