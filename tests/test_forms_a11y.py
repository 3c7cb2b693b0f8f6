"""Forms sent back with mistakes (issue 12): one error summary that links to each field, "Error: "
first in the page title, messages that say what to fix, each field marked aria-invalid and
described by its own message; a new outcome row has no "Delete" box."""

import re
from html.parser import HTMLParser

import pytest

from knowledgebase.forms import SignInForm
from knowledgebase.models import Collection, Entry, OutcomeMetric
from tests.conftest import make_agency, make_entry, make_user

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def find_all(self, tag: str | None = None, **attrs) -> list["Node"]:
        """Descendants with this tag whose attributes have these values (True: present;
        class_: one of the classes)."""
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if child.matches(tag, attrs):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str | None = None, **attrs) -> "Node | None":
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def matches(self, tag, attrs) -> bool:
        if tag and self.tag != tag:
            return False
        for name, value in attrs.items():
            if name == "class_":
                if value not in self.attrs.get("class", "").split():
                    return False
            elif value is True:
                if name.replace("_", "-") not in self.attrs:
                    return False
            elif self.attrs.get(name.replace("_", "-")) != value:
                return False
        return True


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.at = Node("document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value or "" for name, value in attrs}, self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, {name: value or "" for name, value in attrs}, self.at))

    def handle_endtag(self, tag):
        node = self.at
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.at = node.parent

    def handle_data(self, data):
        self.at.children.append(data)


def page_of(response) -> Node:
    tree = _Tree()
    tree.feed(response.content.decode())
    tree.close()
    return tree.root


def summary_links(page: Node) -> list[tuple[str, str]]:
    summary = page.find(class_="error-summary")
    assert summary is not None, "no error summary"
    return [(a.attrs["href"], a.text()) for a in summary.find_all("a")]


def banners(page: Node) -> list[Node]:
    """Everything on the page that tells about a mistake as a whole."""
    return (
        page.find_all(class_="error-summary")
        + page.find_all(class_="notice-error")
        + page.find_all(class_="message-error")
    )


def entry_data(**overrides) -> dict:
    data = {
        "kind": "case-study",
        "title": "Call-back instead of hold music",
        "summary": "Callers choose a call-back instead of waiting on hold.",
        "body": "We offered a call-back.",
        "visibility": "public",
        "outcomes-TOTAL_FORMS": "1",
        "outcomes-INITIAL_FORMS": "0",
        "outcomes-MIN_NUM_FORMS": "0",
        "outcomes-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


@pytest.fixture
def sent_back(as_user, alice):
    """The editor answering a new entry with no title, no summary and a bad outcome row."""
    response = as_user(alice).post(
        "/entries/new/",
        entry_data(
            title="",
            summary="",
            **{"outcomes-0-baseline": "14 minutes", "outcomes-0-result": "6"},
        ),
    )
    assert response.status_code == 400
    return response


# --- the error summary --------------------------------------------------------------------


def test_the_summary_links_to_each_field_with_its_message(sent_back):
    assert summary_links(page_of(sent_back)) == [
        ("#id_title", "Enter a title"),
        ("#id_summary", "Enter a summary of what was done and what changed"),
        ("#id_outcomes-0-measure", "Outcome 1: Enter what was measured"),
        ("#id_outcomes-0-baseline", "Outcome 1: Enter the baseline as a number, like 14 or 3.5"),
    ]
    assert not Entry.objects.exists()


def test_the_summary_is_an_alert_headed_there_is_a_problem_and_takes_focus(sent_back):
    summary = page_of(sent_back).find(class_="error-summary")

    assert summary.attrs["role"] == "alert"
    assert "data-autofocus" in summary.attrs  # kb.js moves focus to it
    assert summary.attrs["tabindex"] == "-1"
    heading = summary.find("h2")
    assert heading.text() == "There is a problem"
    assert summary.attrs["aria-labelledby"] == heading.attrs["id"]


def test_every_link_of_the_summary_leads_to_a_field_on_the_page(sent_back):
    page = page_of(sent_back)
    ids = {node.attrs["id"] for node in page.find_all(id=True)}

    for href, _text in summary_links(page):
        assert href[1:] in ids


def test_the_page_title_starts_with_error(sent_back):
    title = page_of(sent_back).find("title").text()

    assert title.startswith("Error: Write an entry")


def test_a_page_without_mistakes_has_no_error_in_its_title(as_user, alice):
    page = page_of(as_user(alice).get("/entries/new/"))

    assert page.find("title").text().startswith("Write an entry")
    assert page.find(class_="error-summary") is None


def test_there_is_exactly_one_error_banner(sent_back):
    page = page_of(sent_back)

    assert len(banners(page)) == 1
    assert "Please correct the errors below." not in sent_back.content.decode()


def test_a_mistake_found_by_the_model_is_in_the_summary_too(as_user, alice):
    response = as_user(alice).post(
        "/entries/new/", entry_data(started="2024-05-01", completed="2024-01-01")
    )

    assert response.status_code == 400
    page = page_of(response)
    assert summary_links(page) == [("#id_completed", "The end date is before the start date.")]
    assert page.find("title").text().startswith("Error: ")
    assert len(banners(page)) == 1


def test_the_summary_lists_the_problems_in_the_order_of_the_page(as_user, alice):
    response = as_user(alice).post(
        "/entries/new/",
        entry_data(
            title="",
            visibility="",
            started="2024-05-01",
            completed="2024-01-01",
            **{"outcomes-0-result": "6"},
        ),
    )

    assert [href for href, _text in summary_links(page_of(response))] == [
        "#id_title",
        "#id_outcomes-0-measure",  # the outcomes follow the body on the page
        "#id_completed",
        "#id_visibility_0",
    ]


def test_a_choice_left_empty_links_to_its_first_option(as_user, alice):
    response = as_user(alice).post("/entries/new/", entry_data(visibility=""))

    page = page_of(response)
    assert summary_links(page) == [("#id_visibility_0", "Choose who can read the entry")]
    assert page.find("input", id="id_visibility_0") is not None


def test_an_edit_sent_back_has_the_summary_and_one_banner(as_user, alice):
    entry = make_entry(author=alice, state="draft")
    response = as_user(alice).post(
        f"/entries/{entry.slug}/edit/",
        entry_data(title="", base_version=str(entry.version), slug=entry.slug),
    )

    assert response.status_code == 400
    page = page_of(response)
    assert summary_links(page) == [("#id_title", "Enter a title")]
    assert page.find("title").text().startswith("Error: Edit")
    assert len(banners(page)) == 1
    entry.refresh_from_db()
    assert entry.title != ""


def test_a_bad_link_target_is_in_the_editor_summary(as_user, alice):
    entry = make_entry(author=alice, state="draft")
    response = as_user(alice).post(
        f"/entries/{entry.slug}/edit/",
        entry_data(
            title=entry.title,
            base_version=str(entry.version),
            slug=entry.slug,
            **{"link-target": "no such entry at all", "link-kind": "related"},
        ),
    )

    assert response.status_code == 400
    page = page_of(response)
    [(href, text)] = summary_links(page)
    assert href == "#id_link-target"
    assert text.startswith("No published entry is called")
    assert page.find("title").text().startswith("Error: ")


# --- each field's own message -------------------------------------------------------------


def test_a_field_with_a_mistake_is_invalid_and_described_by_its_message(sent_back):
    page = page_of(sent_back)
    title = page.find("input", name="title")

    assert title.attrs["aria-invalid"] == "true"
    message = page.find(id="id_title_error")
    assert message.text() == "Error: Enter a title"  # "Error:" is for screen readers only
    assert "id_title_error" in title.attrs["aria-describedby"].split()


def test_help_and_error_both_describe_the_field(sent_back):
    page = page_of(sent_back)
    summary = page.find("textarea", name="summary")

    assert summary.attrs["aria-invalid"] == "true"
    assert summary.attrs["aria-describedby"].split() == ["id_summary_helptext", "id_summary_error"]


def test_an_outcome_field_with_a_mistake_is_invalid_and_described(sent_back):
    page = page_of(sent_back)
    baseline = page.find("input", name="outcomes-0-baseline")

    assert baseline.attrs["aria-invalid"] == "true"
    assert baseline.attrs["aria-describedby"] == "id_outcomes-0-baseline_error"
    assert (
        page.find(id="id_outcomes-0-baseline_error")
        .text()
        .endswith("Enter the baseline as a number, like 14 or 3.5")
    )


def test_a_group_of_options_is_described_by_its_message(as_user, alice):
    page = page_of(as_user(alice).post("/entries/new/", entry_data(visibility="")))
    message = page.find(id="id_visibility_error")
    group = message.parent

    assert group.tag == "fieldset"
    assert "id_visibility_error" in group.attrs["aria-describedby"].split()


def test_fields_without_mistakes_are_not_marked_invalid(sent_back):
    page = page_of(sent_back)

    assert "aria-invalid" not in page.find("select", name="kind").attrs
    assert "aria-invalid" not in page.find("input", name="outcomes-0-result").attrs


# --- messages that say what to fix -------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("kind", "", "Choose the kind of entry"),
        ("kind", "poem", "Choose the kind from the list"),
        ("title", "", "Enter a title"),
        ("title", "t" * 201, "Shorten the title to 200 characters or fewer (it has 201)"),
        ("summary", "", "Enter a summary of what was done and what changed"),
        ("summary", "s" * 501, "Shorten the summary to 500 characters or fewer (it has 501)"),
        ("started", "last spring", "Enter the start date as a date, like 2024-03-31"),
        ("visibility", "", "Choose who can read the entry"),
        ("lead_agency", "999999", "Choose the lead agency from the list"),
        ("contributing_agencies", "999999", "Choose contributing agencies from the list"),
    ],
)
def test_entry_messages_say_what_to_fix(as_user, alice, field, value, message):
    response = as_user(alice).post("/entries/new/", entry_data(**{field: value}))

    assert response.context["form"].errors[field] == [message]
    assert "This field is required" not in response.content.decode()


@pytest.mark.parametrize(
    "row, messages",
    [
        ({"baseline": "14"}, {"measure": ["Enter what was measured"]}),
        (
            {"measure": "Wait", "baseline": "fourteen"},
            {"baseline": ["Enter the baseline as a number, like 14 or 3.5"]},
        ),
        (
            {"measure": "Wait", "result": "3,5"},
            {"result": ["Enter the result as a number, like 14 or 3.5"]},
        ),
        (
            {"measure": "Wait", "result": "3.125"},
            {"result": ["Enter the result with at most 2 decimal places, like 3.75"]},
        ),
    ],
)
def test_outcome_messages_say_what_to_fix(as_user, alice, row, messages):
    data = entry_data(**{f"outcomes-0-{name}": value for name, value in row.items()})

    response = as_user(alice).post("/entries/new/", data)

    assert response.context["metrics"].errors == [messages]


def test_collection_messages_say_what_to_fix(client, mona):
    client.force_login(mona)
    response = client.post(
        "/collections/new/",
        {
            "title": "",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-entry": "",
            "items-0-order": "first",
        },
    )

    assert response.status_code == 400
    page = page_of(response)
    assert page.find("title").text().startswith("Error: ")
    assert summary_links(page) == [
        ("#id_title", "Enter a title for the collection"),
        ("#id_items-0-entry", "Entry 1: Choose the entry"),
        ("#id_items-0-order", "Entry 1: Enter the position as a whole number, like 1"),
    ]
    assert not Collection.objects.exists()


def test_the_sign_in_page_shows_its_mistake_in_the_summary(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    page = page_of(response)
    summary = page.find(class_="error-summary")
    [error] = response.context["form"].non_field_errors()
    assert error in summary.text()
    assert page.find("title").text().startswith("Error: Sign in")
    assert len(banners(page)) == 1


def test_the_sign_in_form_says_what_to_fix(alice):
    empty = SignInForm(data={"username": "", "password": ""})
    wrong = SignInForm(data={"username": "alice", "password": "wrong"})

    assert empty.errors == {
        "username": ["Enter your username"],
        "password": ["Enter your password"],
    }
    assert wrong.non_field_errors() == [
        "Enter a correct username and password. Both are case-sensitive."
    ]


# --- outcome rows: only saved ones can be deleted ---------------------------------------------


def test_a_new_entry_has_an_empty_outcome_row_without_delete(as_user, alice):
    page = page_of(as_user(alice).get("/entries/new/"))

    assert page.find("input", name="outcomes-0-measure") is not None
    assert page.find("input", name="outcomes-0-DELETE") is None
    template = page.find("template", id="outcomes-empty")
    assert template.find("input", name="outcomes-__prefix__-measure") is not None
    assert template.find("input", name="outcomes-__prefix__-DELETE") is None


def test_a_saved_outcome_row_has_delete_and_the_new_row_after_it_has_not(as_user, alice):
    entry = make_entry(author=alice, state="draft")
    OutcomeMetric.objects.create(entry=entry, measure="Average wait", baseline=14, result=6)

    page = page_of(as_user(alice).get(f"/entries/{entry.slug}/edit/"))

    assert page.find("input", name="outcomes-0-DELETE") is not None
    assert page.find("input", name="outcomes-1-measure") is not None
    assert page.find("input", name="outcomes-1-DELETE") is None


def test_outcome_rows_are_groups_named_by_their_number(as_user, alice):
    entry = make_entry(author=alice, state="draft")
    OutcomeMetric.objects.create(entry=entry, measure="Average wait")

    page = page_of(as_user(alice).get(f"/entries/{entry.slug}/edit/"))

    rows = page.find("div", data_formset="outcomes").find_all("fieldset", class_="metric-row")
    assert [row.find("legend").text() for row in rows] == ["Outcome 1", "Outcome 2"]
    assert page.find("template", id="outcomes-empty").find("legend").text() == "Outcome __number__"
    status = page.find(data_row_status="outcomes")
    assert status.attrs["aria-live"] == "polite"


def test_an_empty_new_outcome_row_is_ignored_on_save(as_user, alice):
    response = as_user(alice).post(
        "/entries/new/",
        entry_data(**{"outcomes-TOTAL_FORMS": "2", "outcomes-0-measure": "Average wait"}),
    )

    assert response.status_code == 302
    assert list(OutcomeMetric.objects.values_list("measure", flat=True)) == ["Average wait"]


def test_a_saved_outcome_row_can_still_be_deleted(as_user, alice):
    entry = make_entry(author=alice, state="draft")
    metric = OutcomeMetric.objects.create(entry=entry, measure="Average wait")

    response = as_user(alice).post(
        f"/entries/{entry.slug}/edit/",
        entry_data(
            title=entry.title,
            slug=entry.slug,
            base_version=str(entry.version),
            **{
                "outcomes-TOTAL_FORMS": "2",
                "outcomes-INITIAL_FORMS": "1",
                "outcomes-0-id": str(metric.pk),
                "outcomes-0-entry": str(entry.pk),
                "outcomes-0-measure": "Average wait",
                "outcomes-0-DELETE": "on",
            },
        ),
    )

    assert response.status_code == 302
    assert not OutcomeMetric.objects.exists()


# --- the pickers, without JavaScript --------------------------------------------------------


def test_agencies_and_co_authors_are_multi_selects_marked_for_the_picker(as_user, alice):
    make_agency("Environmental Protection Agency", acronym="EPA")
    make_user("carol", make_agency("Small Business Administration"))

    page = page_of(as_user(alice).get("/entries/new/"))

    for name in ("contributing_agencies", "authors"):
        select = page.find("select", name=name)
        assert "multiple" in select.attrs and "data-picker" in select.attrs
        # Without JavaScript the plain multi-select says how to choose several.
        help_text = page.find(id=f"id_{name}_helptext")
        assert help_text.find(class_="multi-select-hint").text() == (
            "Hold Ctrl (Cmd on a Mac) to choose several."
        )
    epa = page.find("select", name="contributing_agencies").find("option", data_match="EPA")
    assert epa.text() == "Environmental Protection Agency"
