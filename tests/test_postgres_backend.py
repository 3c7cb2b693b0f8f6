"""The PostgreSQL full-text search backend, called directly (knowledgebase.search wires it
to the pages). Runs on PostgreSQL only: CI's PostgreSQL stage, or
DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pytest tests/test_postgres_backend.py"""

import importlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag

from knowledgebase.models import Entry, OutcomeMetric, SearchDocument, TopicAlias
from knowledgebase.search import postgres_backend
from knowledgebase.search.base import FACETS, Query, Scope
from knowledgebase.search.postgres_backend import PostgresBackend, excerpt, levenshtein
from tests.conftest import make_agency, make_entry

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL search backend needs PostgreSQL"
)

backend = PostgresBackend()
public = Scope(staff=False)
staff = Scope(staff=True)
anonymous = AnonymousUser()


def q(text: str) -> Query:
    return Query(text=text, words=text.split(), plain=True)


def ranked(text: str, scope: Scope = public, **options) -> list[str]:
    found = backend.match(q(text), scope, depth=20, **options)
    slugs = Entry.objects.in_bulk([pk for pk, _ in found.ranked])
    return [slugs[pk].slug for pk, _ in found.ranked]


def indexed_ids() -> set[int]:
    return set(SearchDocument.objects.values_list("entry_id", flat=True))


def facets_of() -> dict[int, tuple[list[str], bool]]:
    """Entry id -> the facet values of its document, sorted, and whether it is public."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT entry_id, facets, public FROM kb_search_document")
        return {pk: (sorted(facets), public) for pk, facets, public in cursor.fetchall()}


def index_all() -> None:
    backend.index_entries(Entry.objects.all())


# --- matching and ranking -----------------------------------------------------------------


def test_any_of_the_words_matches_and_more_of_them_comes_first(db):
    make_entry(slug="one-word", title="Cloud notes", summary="Notes about cloud hosting.")
    make_entry(slug="all-words", title="Cloud migration", summary="Lessons from a migration.")
    make_entry(slug="other-word", title="Migration paths", summary="Moving a web site.")
    make_entry(slug="none", title="Plain language", summary="Forms people understand.")
    index_all()

    found = ranked("cloud migration lessons")

    assert found[0] == "all-words"
    assert set(found) == {"one-word", "all-words", "other-word"}


def test_other_forms_of_a_word_match(db):
    make_entry(slug="wait", title="How we measure call wait times")
    index_all()

    assert ranked("measuring") == ["wait"]


def test_the_rarer_words_an_entry_has_outweigh_many_of_a_common_one(db):
    make_entry(slug="one", title="Cloud cloud cloud", summary="Cloud cloud cloud cloud.", body="")
    make_entry(slug="all", title="Notes", summary="Body.", body="A cloud migration with lessons.")
    for n in range(4):
        make_entry(slug=f"filler-{n}", title="Notes", summary="Body.", body="Cloud.")
    index_all()

    assert ranked("cloud migration lessons")[:2] == ["all", "one"]


def many_ranks() -> None:
    """Entries whose heads and bodies rank them in different orders for "cloud migration
    lessons": the whole document decides."""
    make_entry(slug="one", title="Cloud cloud cloud", summary="Cloud cloud cloud cloud.", body="")
    make_entry(slug="all", title="Notes", summary="Body.", body="A cloud migration with lessons.")
    make_entry(slug="head", title="Cloud lessons", summary="Short.", body="")
    make_entry(slug="body", title="Notes", summary="Body.", body="Migration " * 30)
    for n in range(6):
        make_entry(slug=f"filler-{n}", title="Notes", summary="Body.", body="Cloud. " * n)
    make_entry(slug="phrase", title="Migration", summary="Cloud migration lessons learned.")
    index_all()


@pytest.mark.parametrize("text", ["cloud migration lessons", "cloud", '"cloud migration"'])
def test_ranking_the_best_by_head_first_gives_the_exact_ranking(db, monkeypatch, text):
    many_ranks()
    everything = backend.match(q(text), public, depth=20).ranked

    # Pools of one or two entries by head (of three read out: the others are found again)
    # must grow until no entry below them can be among the best.
    monkeypatch.setattr(postgres_backend, "HEADS", 3)
    for pool in (1, 2):
        monkeypatch.setattr(postgres_backend, "HEAD_POOL", pool)
        for depth in (1, 2, 3, 6, len(everything)):
            assert backend.match(q(text), public, depth=depth).ranked == everything[:depth], (
                pool,
                depth,
            )


def test_past_the_exactly_ranked_entries_come_the_others_by_head(db, monkeypatch):
    many_ranks()
    monkeypatch.setattr(postgres_backend, "RERANK_POOL", 2)
    monkeypatch.setattr(postgres_backend, "HEAD_POOL", 2)
    exact = backend.match(q("cloud migration lessons"), public, depth=2).ranked

    found = backend.match(q("cloud migration lessons"), public, depth=20)

    assert found.ranked[:2] == exact
    assert len(found.ranked) == found.count
    scores = [score for _, score in found.ranked]
    assert scores == sorted(scores, reverse=True)


def test_with_entries_found_by_meaning_the_page_is_ranked_exactly(db, monkeypatch):
    many_ranks()
    everything = backend.match(q("cloud migration lessons"), public, depth=20).ranked
    monkeypatch.setattr(postgres_backend, "HEAD_POOL", 1)
    monkeypatch.setattr(postgres_backend, "HEADS", 2)
    near = list(Entry.objects.filter(slug__startswith="filler").values_list("pk", flat=True))

    # Deeper than the page for the fusion: one more per entry found by meaning.
    found = backend.match(q("cloud migration lessons"), public, depth=3 + len(near), also=near)

    assert found.ranked[:3] == everything[:3]


def test_a_whole_document_ranks_at_most_what_its_head_allows(db):
    """_reach is what makes ranking the best by head first exact: ts_rank of a document is
    never above it, for any query of words joined by OR."""
    many_ranks()
    for text in ["cloud", "cloud migration lessons", "migration notes body", "lessons"]:
        words = postgres_backend.parsed(text)
        size = postgres_backend._operands(words.positive)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ts_rank(%s::float4[], document, %s::tsquery),"
                " ts_rank(%s::float4[], head, %s::tsquery) FROM kb_search_document",
                [postgres_backend.RANK_WEIGHTS, words.positive] * 2,
            )
            for whole, head in cursor.fetchall():
                assert whole <= postgres_backend._reach(head, size) + 1e-6, (text, whole, head)


def test_a_title_match_beats_a_body_match(db):
    # The body match is the newer: equal scores would put it first.
    older = timezone.now() - timedelta(days=1)
    make_entry(slug="in-title", title="Journey mapping", body="Workshops.", published_at=older)
    make_entry(slug="in-body", title="Notes", body="We used journey mapping with teams.")
    index_all()

    assert ranked("journey mapping") == ["in-title", "in-body"]


def test_equal_scores_put_featured_then_newer_entries_first(db):
    now = timezone.now()
    text = {"title": "Chatbot", "summary": "A chatbot.", "body": ""}
    make_entry(slug="old", published_at=now - timedelta(days=9), **text)
    make_entry(slug="new", published_at=now, **text)
    make_entry(slug="featured", published_at=now - timedelta(days=30), featured=True, **text)
    index_all()

    assert ranked("chatbot") == ["featured", "new", "old"]


def test_a_quoted_phrase_matches_the_words_together(db):
    make_entry(slug="phrase", summary="We did user research with veterans.")
    make_entry(slug="apart", summary="Research about what a user needs.")
    index_all()

    assert set(ranked("user research")) == {"phrase", "apart"}
    assert ranked('"user research"') == ["phrase"]


def test_minus_and_not_exclude_a_word(db):
    make_entry(slug="chatbot", summary="A chatbot for benefits questions.")
    make_entry(slug="both", summary="A chatbot that fills in forms.")
    index_all()

    assert ranked("chatbot -forms") == ["chatbot"]
    assert ranked("chatbot NOT forms") == ["chatbot"]
    assert ranked('chatbot -"fills in forms"') == ["chatbot"]


def test_plus_and_and_require_a_word(db):
    make_entry(slug="chatbot", summary="A chatbot for benefits questions.")
    make_entry(slug="both", summary="A chatbot that fills in forms.")
    make_entry(slug="forms", summary="Shorter forms.")
    index_all()

    assert ranked("+chatbot forms") == ["both", "chatbot"]
    assert ranked("chatbot AND forms") == ["both"]
    assert set(ranked("(chatbot OR forms)")) == {"chatbot", "both", "forms"}


def test_a_word_with_a_hyphen_is_any_of_its_parts(db):
    make_entry(slug="oss", title="Open-source policy")
    make_entry(slug="code", title="Source code inventory")
    index_all()

    assert set(ranked("open-source")) == {"oss", "code"}
    assert ranked("open-source -inventory") == ["oss"]
    assert ranked('"open-source policy"') == ["oss"]


def test_what_looks_like_html_is_read_as_words(db):
    make_entry(slug="tags", title="<b>Forms</b>", summary="We <script>measured</script> it.")
    index_all()

    assert ranked("forms") == ["tags"]
    assert ranked("measure") == ["tags"]
    assert ranked("script") == ["tags"]


def test_stop_words_alone_and_exclusions_alone_match_nothing(db):
    make_entry(slug="chatbot", summary="The chatbot of the agency.")
    index_all()

    for text in ["the of", "-chatbot", "NOT chatbot", '"the"']:
        found = backend.match(q(text), public, depth=20)
        assert (found.count, found.ranked) == (0, []), text


def test_topics_old_topic_names_agencies_and_outcomes_are_searched(db):
    gsa = make_agency("General Services Administration", acronym="GSA", slug="gsa")
    entry = make_entry(slug="topic", title="Notes", lead_agency=gsa, tags=["Paperwork"])
    TopicAlias.objects.create(
        tag=Tag.objects.get(name="Paperwork"), slug="red-tape", name="Bureaucracy"
    )
    OutcomeMetric.objects.create(entry=entry, measure="Average wait", baseline=14, result=6)
    index_all()

    for text in ["paperwork", "bureaucracy", "gsa", "administration", "wait"]:
        assert ranked(text) == ["topic"], text


def test_newest_sort_and_no_query_order_by_publication(db):
    now = timezone.now()
    make_entry(slug="old", summary="Chatbot.", published_at=now - timedelta(days=3))
    make_entry(slug="undated", summary="Chatbot.", published_at=None)
    make_entry(slug="new", summary="A chatbot.", published_at=now)
    index_all()

    assert ranked("chatbot", sort="newest") == ["new", "old", "undated"]
    everything = backend.match(None, public, depth=20)
    assert [score for _, score in everything.ranked] == [0.0, 0.0, 0.0]
    assert everything.count == 3
    assert [Entry.objects.get(pk=pk).slug for pk, _ in everything.ranked] == [
        "new",
        "old",
        "undated",
    ]


def test_depth_cuts_the_ranking_not_the_count(db):
    for n in range(5):
        make_entry(slug=f"e{n}", summary=f"Chatbot number {n}.")
    index_all()

    found = backend.match(q("chatbot"), public, depth=2)

    assert len(found.ranked) == 2
    assert found.count == 5


# --- scope, facets and entries found by meaning -------------------------------------------


def test_government_only_entries_stay_out_of_a_public_scope(db):
    va = make_agency("Department of Veterans Affairs", acronym="VA", slug="va")
    make_entry(slug="open", summary="A chatbot.", tags=["service"])
    secret = make_entry(
        slug="secret", summary="A chatbot.", visibility="government", lead_agency=va, tags=["x"]
    )
    index_all()

    found = backend.match(q("chatbot"), public, depth=20, also=[secret.pk])

    assert found.count == 1
    assert ranked("chatbot") == ["open"]
    assert found.also_in_scope == []
    assert "va" not in found.facets["agency"]
    assert found.facets["tag"] == {"service": 1}
    assert set(ranked("chatbot", staff)) == {"open", "secret"}


def test_filters_narrow_the_scope(db):
    gsa = make_agency("General Services Administration", acronym="GSA", slug="gsa")
    make_entry(slug="gsa", summary="A chatbot.", lead_agency=gsa, kind="guide")
    make_entry(slug="other", summary="A chatbot.")
    index_all()

    assert ranked("chatbot", Scope(staff=False, filters={"agency": "gsa"})) == ["gsa"]
    assert ranked("chatbot", Scope(staff=False, filters={"kind": "guide"})) == ["gsa"]


def test_each_facet_count_is_the_count_with_that_filter(db):
    gsa = make_agency("General Services Administration", acronym="GSA", slug="gsa")
    va = make_agency("Department of Veterans Affairs", acronym="VA", slug="va")
    make_entry(summary="Chatbot.", lead_agency=gsa, tags=["ai", "service"], kind="guide")
    make_entry(summary="Chatbot.", lead_agency=va, tags=["ai"], audience="external")
    lead = make_entry(summary="Chatbot pilot.", lead_agency=gsa, tags=["service"])
    lead.contributing_agencies.add(va, gsa)
    make_entry(summary="Unrelated forms.", lead_agency=gsa, tags=["ai"])
    index_all()

    found = backend.match(q("chatbot"), public, depth=20)

    assert found.count == 3
    assert set(found.facets) == set(FACETS)
    for name, counts in found.facets.items():
        for value, count in counts.items():
            narrowed = backend.match(
                q("chatbot"), Scope(staff=False, filters={name: value}), depth=1
            )
            assert narrowed.count == count, (name, value)


def test_entries_found_by_meaning_are_counted_with_the_word_matches(db):
    make_entry(slug="words", summary="A chatbot.", kind="guide")
    both = make_entry(slug="both", summary="Another chatbot.", kind="guide")
    meaning = make_entry(slug="meaning", summary="Virtual assistant.", kind="case-study")
    hidden = make_entry(slug="hidden", summary="Assistant.", visibility="government")
    unpublished = make_entry(slug="draft", summary="Assistant.", state="draft")
    index_all()

    found = backend.match(
        q("chatbot"), public, depth=20, also=[meaning.pk, both.pk, hidden.pk, unpublished.pk]
    )

    assert found.count == 3
    assert found.facets["kind"] == {"guide": 2, "case-study": 1}
    assert sorted(found.also_in_scope) == sorted([meaning.pk, both.pk])
    assert found.also_by_words == {both.pk}
    # Ranked by words only: knowledgebase.search fuses the meaning ranking in.
    assert meaning.pk not in [pk for pk, _ in found.ranked]
    newest = backend.match(q("chatbot"), public, depth=20, also=[meaning.pk], sort="newest")
    assert meaning.pk in [pk for pk, _ in newest.ranked]


def test_meaning_only_counts_just_the_entries_found_by_meaning(db):
    make_entry(slug="words", summary="A chatbot.")
    meaning = make_entry(slug="meaning", summary="Virtual assistant.")
    index_all()

    found = backend.match(q("chatbot"), public, depth=20, also=[meaning.pk], by_words=False)

    assert (found.count, found.ranked, found.also_by_words) == (1, [], set())
    assert found.also_in_scope == [meaning.pk]


def test_documents_carry_the_facet_values_of_their_entries(db):
    gsa = make_agency("General Services Administration", acronym="GSA", slug="gsa")
    va = make_agency("Department of Veterans Affairs", acronym="VA", slug="va")
    entry = make_entry(lead_agency=gsa, tags=["ai"], kind="guide", visibility="government")
    entry.contributing_agencies.add(va)
    index_all()

    year = entry.published_at.year
    values = sorted(["kind:guide", "agency:gsa", "agency:va", "tag:ai", f"year:{year}"])
    assert facets_of()[entry.pk] == (values, False)


def test_the_migration_fills_the_facets_as_the_backend_writes_them(db):
    from django.apps import apps

    migration = importlib.import_module("knowledgebase.migrations.0015_search_document_head_facets")
    gsa = make_agency("General Services Administration", acronym="GSA", slug="gsa")
    va = make_agency("Department of Veterans Affairs", acronym="VA", slug="va")
    make_entry(lead_agency=gsa, tags=["ai", "forms"], kind="guide", audience="external")
    shared = make_entry(lead_agency=va, visibility="government")
    shared.contributing_agencies.add(gsa, va)
    make_entry(published_at=None)
    index_all()
    written = facets_of()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE kb_search_document SET facets = '{}', public = NOT public")

    with connection.schema_editor() as editor:
        migration.fill_facets(apps, editor)

    assert facets_of() == written


def test_match_queries_do_not_grow_with_the_matches(db, django_assert_max_num_queries):
    for n in range(30):
        make_entry(summary=f"Chatbot {n}.", tags=[f"topic-{n}"])
    index_all()

    with django_assert_max_num_queries(16):
        found = backend.match(q("chatbot pilot"), public, depth=20, also=[1, 2])

    assert found.count == 30


# --- highlights ---------------------------------------------------------------------------


def test_highlights_escape_the_summary_and_mark_the_words(db):
    entry = make_entry(summary="<script>alert('x')</script> We mapped the journeys of veterans.")
    index_all()

    html = backend.highlights([entry.pk], q("journey"))[entry.pk]

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<mark>journeys</mark>" in html


def test_highlights_mark_words_inside_what_looks_like_html(db):
    entry = make_entry(summary="We <script>measured</script> the wait & the queue.")
    index_all()

    assert backend.highlights([entry.pk], q("measure"))[entry.pk] == (
        "We &lt;script&gt;<mark>measured</mark>&lt;/script&gt; the wait &amp; the queue."
    )


def test_a_long_summary_is_cut_around_the_first_match(db):
    entry = make_entry(summary="Words " * 80 + "about a chatbot at the end.")
    index_all()

    html = backend.highlights([entry.pk], q("chatbot"))[entry.pk]

    assert html.startswith("…")
    assert "<mark>chatbot</mark>" in html
    assert len(html) < 360


def test_excerpt_keeps_marks_balanced():
    assert excerpt("a \x02b\x03 \x02c") == "a <mark>b</mark> c"
    assert excerpt("x" * 400).endswith("…")


# --- spelling -----------------------------------------------------------------------------


def test_spelled_indexed_and_closest(db):
    make_entry(title="Accessibility audit", summary="Screen readers.", body="Contrast checks.")
    index_all()

    assert backend.spelled("accessibility", public)
    assert not backend.spelled("contrast", public)  # the body is no spelling source
    assert backend.indexed("contrasting", public)
    assert not backend.indexed("zebra", public)
    assert backend.closest("accesibility", 2, public) == "accessibility"
    assert backend.closest("adit", 1, public) == "audit"
    assert backend.closest("udit", 1, public) is None  # another first letter
    assert backend.closest("acessibilty", 1, public) is None  # two edits away


def test_a_word_only_in_hidden_entries_is_not_proposed(db):
    make_entry(title="Procurement reform", summary="Buying.", visibility="government")
    make_entry(title="Plain language", summary="Forms.")
    index_all()

    assert not backend.spelled("procurement", public)
    assert backend.closest("procurment", 2, public) is None
    assert backend.closest("procurment", 2, staff) == "procurement"


def test_levenshtein():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("form", "form") == 0
    assert levenshtein("", "abc") == 3


# --- type-ahead and related entries -------------------------------------------------------


def test_suggest_completes_titles_the_user_may_see(db, alice):
    make_entry(title="Redesigning forms for veterans")
    make_entry(title="Forms redesign")
    make_entry(title="Formal secret", visibility="government")
    make_entry(title="Unrelated")
    index_all()

    assert backend.suggest("form", anonymous) == [
        "Forms redesign",
        "Redesigning forms for veterans",
    ]
    # Every word typed, the last as the start of a word; what begins the same way first.
    assert backend.suggest("forms red", anonymous) == [
        "Forms redesign",
        "Redesigning forms for veterans",
    ]
    assert backend.suggest("forms vet", anonymous) == ["Redesigning forms for veterans"]
    assert "Formal secret" in backend.suggest("form", alice)
    assert backend.suggest("f", anonymous) == []


def test_more_like_this_finds_visible_entries_sharing_words(db):
    entry = make_entry(title="Chatbot for veterans benefits", tags=["ai"])
    make_entry(slug="alike", title="Benefits chatbot pilot")
    make_entry(slug="hidden", title="Chatbot for veterans", visibility="government")
    make_entry(slug="other", title="Plain language forms")
    index_all()

    assert [e.slug for e in backend.more_like_this(entry, anonymous)] == ["alike"]


# --- writing the documents ----------------------------------------------------------------


def test_only_published_entries_have_documents(db):
    published = make_entry(summary="Chatbot.")
    draft = make_entry(summary="Chatbot.", state="draft")
    index_all()

    assert indexed_ids() == {published.pk}
    assert draft.pk not in indexed_ids()


def test_indexing_in_a_transaction_that_rolls_back_leaves_nothing(db):
    entry = make_entry(summary="A chatbot.")

    with pytest.raises(RuntimeError), transaction.atomic():
        backend.index_entries([entry])
        assert ranked("chatbot") == [entry.slug]
        raise RuntimeError

    assert indexed_ids() == set()
    assert not backend.spelled("chatbot", public)


def test_unpublishing_removes_the_document(db):
    entry = make_entry(summary="A chatbot.")
    backend.index_entries([entry.pk])
    entry.state = Entry.State.ARCHIVED
    entry.save()

    backend.index_entries([entry.pk])

    assert indexed_ids() == set()
    assert ranked("chatbot") == []


def test_a_deleted_entry_takes_its_document_with_it(db):
    entry = make_entry(summary="A chatbot.")
    backend.index_entries([entry])

    entry.delete()

    assert indexed_ids() == set()


def test_an_edit_replaces_the_document(db):
    entry = make_entry(title="Chatbot pilot")
    backend.index_entries([entry])
    entry.title = "Forms pilot"
    entry.save()

    backend.index_entries([entry])

    assert ranked("chatbot") == []
    assert ranked("forms") == [entry.slug]
    assert SearchDocument.objects.get(entry=entry).stamp == entry.updated_at


def test_remove_entry(db):
    entry = make_entry(summary="A chatbot.")
    backend.index_entries([entry])

    backend.remove_entry(entry.pk)

    assert indexed_ids() == set()


def test_indexing_queries_do_not_grow_with_the_entries(db, django_assert_max_num_queries):
    gsa = make_agency("General Services Administration", acronym="GSA", slug="gsa")
    for n in range(40):
        entry = make_entry(lead_agency=gsa, tags=[f"topic-{n}", "shared"])
        entry.contributing_agencies.add(gsa)
        OutcomeMetric.objects.create(entry=entry, measure="Wait", baseline=n, result=1)
    make_entry(state="draft")
    ids = list(Entry.objects.values_list("pk", flat=True))

    with django_assert_max_num_queries(8):
        backend.index_entries(ids)

    assert len(indexed_ids()) == 40


def test_check_finds_missing_stale_and_extra_documents(db):
    fine = make_entry()
    stale = make_entry()
    extra = make_entry()
    backend.index_entries([fine, stale, extra])
    missing = make_entry()
    Entry.objects.filter(pk=stale.pk).update(updated_at=timezone.now() + timedelta(seconds=1))
    Entry.objects.filter(pk=extra.pk).update(state=Entry.State.ARCHIVED)

    report = backend.check()

    assert (report.missing, report.stale, report.extra) == ([missing.pk], [stale.pk], [extra.pk])


def test_rebuild_indexes_every_published_entry_and_remakes_the_vocabulary(db):
    first = make_entry(title="Chatbot pilot")
    second = make_entry(title="Forms redesign")
    gone = make_entry(title="Zeppelin")
    backend.index_entries([gone])
    Entry.objects.filter(pk=gone.pk).update(state=Entry.State.ARCHIVED)
    progress = []

    assert backend.rebuild(progress=lambda done, total: progress.append((done, total))) == 2

    assert indexed_ids() == {first.pk, second.pk}
    assert progress == [(2, 2)]
    assert backend.check().ok
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM kb_search_word")
        words = {word for (word,) in cursor.fetchall()}
    assert {"chatbot", "forms"} <= words
    assert "zeppelin" not in words


def test_emptying_the_tables_empties_the_documents(transactional_db):
    """Django empties the tables after a transactional test (and `manage.py flush`) with
    TRUNCATE: the documents must not stand in its way, and go with the entries."""
    backend.index_entries([make_entry(summary="A chatbot.")])

    call_command("flush", interactive=False, verbosity=0)

    assert indexed_ids() == set()


def test_searches_put_the_planner_settings_back(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('jit')")
        before = cursor.fetchone()
    make_entry(summary="A chatbot.")
    index_all()

    backend.match(q("chatbot"), public, depth=20)

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('jit')")
        assert cursor.fetchone() == before
