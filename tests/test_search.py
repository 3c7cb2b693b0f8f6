"""Search as readers get it, on every backend (the `search_engine` fixture: Whoosh with a real
index on disk in the test's temp directory, and PostgreSQL full-text search in CI's
PostgreSQL stage); tests marked whoosh_only are about the Whoosh index's files."""

import logging
import os
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.utils import timezone

from knowledgebase import moderation, search
from knowledgebase.models import Channel, Entry, IndexRepair
from knowledgebase.search import whoosh_backend
from knowledgebase.search.database_backend import facet_counts
from tests.conftest import make_agency, make_entry

anonymous = AnonymousUser()


@pytest.fixture(autouse=True)
def _engine(search_engine):
    return search_engine


def slugs(page) -> list[str]:
    return [hit.entry.slug for hit in page.hits]


def find(query: str, user=anonymous, **filters):
    return search.search(query, filters, user)


# --- ranking ------------------------------------------------------------------------------


def test_stemming_finds_other_forms_of_a_word(db):
    make_entry(slug="wait", title="How we measure call wait times")
    make_entry(slug="other", title="Plain language for forms")
    search.rebuild()

    page = find("measuring")

    assert slugs(page) == ["wait"]
    assert not page.degraded


def test_entries_matching_more_of_the_words_come_first(db):
    make_entry(slug="one-word", title="Cloud notes", summary="Notes about cloud hosting.")
    make_entry(slug="all-words", title="Cloud migration", summary="Lessons from a migration.")
    make_entry(slug="other-word", title="Migration paths", summary="Moving a web site.")
    search.rebuild()

    page = find("cloud migration lessons")

    assert slugs(page)[0] == "all-words"
    assert set(slugs(page)) == {"one-word", "all-words", "other-word"}


def test_a_title_match_beats_a_body_match(db):
    make_entry(slug="in-body", title="Notes", body="We used journey mapping with teams.")
    make_entry(slug="in-title", title="Journey mapping", body="Workshops with teams.")
    search.rebuild()

    assert slugs(find("journey mapping")) == ["in-title", "in-body"]


def test_quoted_words_match_as_a_phrase(db):
    make_entry(slug="phrase", summary="We did user research with veterans.")
    make_entry(slug="apart", summary="Research about what a user needs.")
    search.rebuild()

    assert set(slugs(find("user research"))) == {"phrase", "apart"}
    assert slugs(find('"user research"')) == ["phrase"]


def test_minus_excludes_a_word(db):
    make_entry(slug="usability", title="Usability testing in the field")
    make_entry(slug="load", title="Load testing a web service")
    search.rebuild()

    assert slugs(find("testing -usability")) == ["load"]


def test_a_hyphen_inside_a_word_does_not_exclude(db):
    make_entry(slug="oss", title="Open-source policy")
    make_entry(slug="code", title="Source code inventory")
    search.rebuild()

    assert set(slugs(find("open-source"))) == {"oss", "code"}
    assert slugs(find("open-source -inventory")) == ["oss"]


def test_words_with_dots_and_slashes_are_found_as_typed(db):
    make_entry(slug="login", title="Signing in with Login.gov", summary="One account.")
    make_entry(slug="ab", title="Forms", summary="What A/B testing taught us.")
    make_entry(slug="other", title="Identity proofing", summary="In person.")
    search.rebuild()

    assert slugs(find("login.gov")) == ["login"]
    assert slugs(find("A/B testing")) == ["ab"]


def test_newest_sort_orders_by_publication_date(db):
    now = timezone.now()
    make_entry(slug="old", title="Chatbot pilot", published_at=now - timezone.timedelta(days=400))
    make_entry(slug="new", title="Chatbot notes", published_at=now)
    search.rebuild()

    page = search.search("chatbot", {}, anonymous, sort="newest")

    assert slugs(page) == ["new", "old"]


def test_abusive_queries_get_an_answer_not_an_error(db):
    make_entry(slug="a", title="Accessibility testing")
    search.rebuild()

    for query in ["(" * 300 + "accessibility", "*essibility", "word " * 2000, '"unbalanced', "-"]:
        page = find(query)
        assert not page.degraded, query


# --- typo correction, type-ahead, related ----------------------------------------------------


def test_a_typo_is_corrected_and_offered_as_did_you_mean(db):
    make_entry(slug="a11y", title="Accessibility testing", summary="Testing for everyone.")
    search.rebuild()

    page = find("acessibility")

    assert (page.suggestion, page.corrected) == ("accessibility", True)
    assert slugs(page) == ["a11y"]
    assert find("acessibility kind:case-study").suggestion == "accessibility kind:case-study"


def test_a_correction_must_be_close_for_the_word_length(db):
    make_entry(slug="banana", title="Banana supply chains", summary="Ripening schedules.")
    make_entry(slug="interview", title="Interview guides", summary="Questions to ask.")
    search.rebuild()

    # One letter off in a short word, two in a long one: corrected.
    assert find("banan").suggestion == "banana"
    assert (find("intervveiw").suggestion, find("intervveiw").corrected) == ("interview", True)
    # Two letters off in a word of six: half of it would change, so it stays as typed.
    bnaana = find("bnaana")
    assert (bnaana.count, bnaana.suggestion, bnaana.corrected) == (0, None, False)


def test_a_correction_never_comes_from_entries_the_reader_cannot_see(db, alice):
    make_entry(slug="flowers", title="Zygomorphic flowers", visibility="government")
    make_entry(slug="forms", title="Forms", summary="Plain language.")
    search.rebuild()

    anonymous_page = find("zygomorphc")
    staff_page = find("zygomorphc", alice)

    assert (anonymous_page.suggestion, anonymous_page.count) == (None, 0)
    assert (staff_page.suggestion, slugs(staff_page)) == ("zygomorphic", ["flowers"])


def test_the_words_as_typed_are_searched_when_asked(db):
    make_entry(slug="a11y", title="Accessibility testing", summary="Testing for everyone.")
    search.rebuild()

    page = search.search("acessibility", {}, AnonymousUser(), correct=False)

    assert page.count == 0 and not page.corrected


def test_few_results_offer_a_did_you_mean_from_titles(db):
    make_entry(slug="dashboards", title="Dashboard design", summary="Charts that help.")
    make_entry(slug="typo", summary="Notes.", body="Our dashbord went live.")
    search.rebuild()

    page = find("dashbord")

    assert slugs(page) == ["typo"]
    assert (page.suggestion, page.corrected) == ("dashboard", False)  # a did-you-mean


def test_type_ahead_suggests_titles_by_prefix(db):
    make_entry(title="Journey mapping workshop")
    make_entry(title="Journal of practice")
    make_entry(title="Mapping the journey")
    search.rebuild()

    assert search.suggest("journey ma", anonymous) == [
        "Journey mapping workshop",
        "Mapping the journey",
    ]
    assert set(search.suggest("jour", anonymous)) == {
        "Journey mapping workshop",
        "Journal of practice",
        "Mapping the journey",
    }


def test_more_like_this_finds_entries_on_the_same_subject(db):
    text = "Contact center agents answer calls; wait times and call volume dashboards."
    entry = make_entry(slug="calls", title="Contact center metrics", summary="Calls.", body=text)
    make_entry(slug="similar", title="Call center staffing", summary="Agents.", body=text)
    make_entry(slug="unrelated", title="Brand guidelines", summary="Logos.", body="Fonts.")
    search.rebuild()

    related = search.more_like_this(entry, anonymous)

    assert [e.slug for e in related] == ["similar"]


# --- facets and filters ---------------------------------------------------------------------


@pytest.fixture
def catalog(gsa, va):
    web, phone = Channel.objects.get(slug="web"), Channel.objects.get(slug="phone")
    last_year = timezone.now() - timezone.timedelta(days=366)
    entries = [
        make_entry(kind="case-study", lead_agency=gsa, tags=["forms"], audience="external"),
        make_entry(kind="case-study", lead_agency=va, tags=["forms", "cx"], audience="both"),
        make_entry(kind="guide", lead_agency=gsa, tags=["cx"], published_at=last_year),
        make_entry(kind="guide", lead_agency=va, tags=["forms"], visibility="government"),
    ]
    entries[0].channels.add(web, phone)
    entries[1].channels.add(web)
    entries[2].contributing_agencies.add(make_agency("Census Bureau", slug="census"))
    for entry in entries:
        entry.summary = "Simpler forms for people."
        entry.save()
    search.rebuild()
    return entries


def test_facet_counts_equal_database_counts(catalog, alice):
    for user in (anonymous, alice):
        page = find("forms", user)
        expected = facet_counts(Entry.objects.visible_to(user))

        assert page.count == Entry.objects.visible_to(user).count()
        assert page.facets == expected


def test_filters_combine_and_narrow_the_facets(catalog, alice):
    page = find("forms", alice, kind="case-study", tag="forms")

    assert page.count == 2
    assert page.facets["agency"] == {"gsa": 1, "va": 1}
    assert page.facets["channel"] == {"web": 2, "phone": 1}

    page = find("forms", alice, kind="case-study", tag="forms", agency="va", channel="web")

    assert [hit.entry for hit in page.hits] == [catalog[1]]


def test_field_prefixes_filter_like_the_facets(catalog, alice):
    page = find("forms kind:case-study agency:va", alice)

    assert [hit.entry for hit in page.hits] == [catalog[1]]
    assert page.count == 1
    assert find("tag:cx", alice).count == 2
    assert find("kind:guide", anonymous).count == 1  # the other guide is government-only


def test_agency_filter_includes_contributing_agencies(catalog):
    page = find("", agency="census")

    assert [hit.entry for hit in page.hits] == [catalog[2]]


def test_filters_without_words_list_the_newest_first(catalog):
    page = find("", kind="guide")

    assert [hit.entry for hit in page.hits] == [catalog[2]]  # the VA guide is government-only
    assert page.facets["year"] == {str(catalog[2].published_at.year): 1}


# --- permissions -----------------------------------------------------------------------------


@pytest.fixture
def secret(db, gsa):
    public = make_entry(slug="open", title="Budget review playbook", tags=["budget"])
    hidden = make_entry(
        slug="secret",
        title="Budget review secrets",
        summary="Budget review notes for staff only.",
        tags=["budget", "classified-ish"],
        visibility="government",
        lead_agency=gsa,
    )
    search.rebuild()
    return public, hidden


def test_anonymous_never_sees_government_only_entries(secret):
    public, hidden = secret

    page = find("budget review secrets")

    assert slugs(page) == ["open"]
    assert page.count == 1
    assert "classified-ish" not in page.facets["tag"]
    assert page.facets["agency"] == {}
    assert search.suggest("budget", anonymous) == ["Budget review playbook"]
    assert hidden not in search.more_like_this(public, anonymous)
    assert find("", tag="classified-ish").count == 0


def test_staff_see_government_only_entries(secret, alice):
    public, hidden = secret

    page = find("budget review secrets", alice)

    assert slugs(page) == ["secret", "open"]
    assert page.facets["tag"] == {"budget": 2, "classified-ish": 1}
    assert set(search.suggest("budget", alice)) == {public.title, hidden.title}
    assert search.more_like_this(public, alice) == [hidden]


def test_without_public_read_anonymous_find_nothing(secret, settings):
    settings.KB_PUBLIC_READ = False

    page = find("budget")

    assert page.hits == [] and page.count == 0 and page.facets == {}
    assert search.suggest("budget", anonymous) == []


def test_a_stale_index_does_not_leak_an_entry_made_government_only(secret):
    public, _ = secret
    Entry.objects.filter(pk=public.pk).update(visibility="government")

    assert find("budget").hits == []


# --- highlights ------------------------------------------------------------------------------


def test_highlights_mark_the_matched_words_and_escape_the_rest(db):
    make_entry(
        slug="x",
        title="<b>Measuring</b> & waiting",
        summary="We <script>measured</script> the wait & the queue.",
    )
    search.rebuild()

    hit = find("measure").hits[0]

    assert hit.highlight == (
        "We &lt;script&gt;<mark>measured</mark>&lt;/script&gt; the wait &amp; the queue."
    )


def test_results_page_shows_highlights_and_escapes_titles(client, db):
    make_entry(slug="x", title="<b>Measuring</b> waits", summary="How we measured waits.")
    search.rebuild()

    response = client.get("/search/", {"q": "measure"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<mark>measured</mark>" in content
    assert "&lt;b&gt;Measuring&lt;/b&gt;" in content
    assert "results may be incomplete" not in content


def test_a_long_summary_is_cut_around_the_first_match(db):
    summary = "Filler words go here. " * 20 + "Then the chatbot answered. " + "More. " * 20
    make_entry(slug="long", summary=summary[:500])
    search.rebuild()

    highlight = find("chatbot").hits[0].highlight

    assert highlight.startswith("…") and "<mark>chatbot</mark>" in highlight
    assert len(highlight) < 360


# --- indexing after commit -------------------------------------------------------------------


def test_an_approved_entry_is_searchable_after_commit(
    db, alice, mona, django_capture_on_commit_callbacks
):
    search.rebuild()
    entry = make_entry(author=alice, state="submitted", title="Chatbot for benefits questions")

    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(entry, by=mona)

    assert slugs(find("chatbot")) == [entry.slug]

    with django_capture_on_commit_callbacks(execute=True):
        moderation.archive(entry, by=mona)

    assert find("chatbot").hits == []
    assert search.check().ok


def test_an_edit_is_searchable_by_its_new_words_only(db):
    entry = make_entry(title="Paper forms")
    search.rebuild()

    entry.title = "Digital signatures"
    entry.save()
    search.index_entry(entry)

    assert slugs(find("signatures")) == [entry.slug]
    assert find("paper").hits == []


@pytest.mark.whoosh_only
def test_the_first_write_builds_a_missing_index(db):
    make_entry(slug="earlier", title="Earlier entry about grants")
    entry = make_entry(slug="later", title="Later entry about grants")

    search.index_entry(entry)

    assert set(slugs(find("grants"))) == {"earlier", "later"}


# --- rebuild and check_index -----------------------------------------------------------------


@pytest.mark.whoosh_only
def test_rebuild_swaps_in_a_new_index_and_open_searchers_keep_working(db, settings):
    make_entry(slug="first", title="Open source policy")
    search.rebuild()
    assert slugs(find("policy")) == ["first"]
    before = os.path.realpath(settings.KB_INDEX_DIR)
    searcher = whoosh_backend._handle().searcher  # a request in flight during the rebuild
    make_entry(slug="second", title="Policy on records")

    count = search.rebuild()

    after = os.path.realpath(settings.KB_INDEX_DIR)
    assert count == 2 and after != before
    assert Path(settings.KB_INDEX_DIR).is_symlink() and not os.path.exists(before)
    assert searcher.doc_count() == 1  # the old files stay readable until it is closed
    assert set(slugs(find("policy"))) == {"first", "second"}
    leftovers = [p.name for p in Path(settings.KB_INDEX_DIR).parent.iterdir()]
    assert sorted(leftovers) == sorted(["index", os.path.basename(after)])


def test_rebuild_index_command_reports_the_count(db):
    make_entry(title="One")
    make_entry(title="Two", state="draft")

    out = StringIO()
    call_command("rebuild_index", stdout=out)

    assert "Indexed 1 entry in" in out.getvalue()
    assert search.check().ok


@pytest.mark.whoosh_only
def test_a_rebuild_in_several_processes_answers_like_one_in_one(db):
    for n in range(40):
        make_entry(slug=f"forms-{n}", title=f"Forms guide {n}", body="plain " * (n % 7 + 1))
    make_entry(slug="cloud", title="Cloud hosting")

    call_command("rebuild_index", "--procs", "1", stdout=StringIO())
    one = find("plain forms")
    out = StringIO()
    call_command("rebuild_index", "--procs", "2", stdout=out)
    two = find("plain forms")

    assert "Indexed 41 entries" in out.getvalue() and "2 processes" in out.getvalue()
    assert slugs(two) == slugs(one) and two.count == one.count == 40
    assert [h.score for h in two.hits] == pytest.approx([h.score for h in one.hits])
    assert search.check().ok


def test_check_index_finds_drift_and_repair_fixes_it(db):
    kept = make_entry(slug="kept", title="Kept entry")
    archived = make_entry(slug="archived", title="Archived entry")
    edited = make_entry(slug="edited", title="Old words")
    search.rebuild()
    unindexed = make_entry(slug="unindexed", title="Published without indexing")
    Entry.objects.filter(pk=archived.pk).update(state="archived")
    Entry.objects.filter(pk=edited.pk).update(title="New words", updated_at=timezone.now())

    out = StringIO()
    with pytest.raises(CommandError, match="3 entries out of line"):
        call_command("check_index", stdout=out)
    listing = out.getvalue()
    assert "unindexed (id" in listing and "archived (id" in listing and "edited (id" in listing
    assert "kept" not in listing

    call_command("check_index", "--repair", stdout=StringIO())

    assert search.check().ok
    assert slugs(find("indexing")) == [unindexed.slug]
    assert find("archived").hits == []
    assert slugs(find("new words")) == [edited.slug]
    assert slugs(find("kept")) == [kept.slug]
    call_command("check_index", stdout=StringIO())  # clean: no error


@pytest.mark.whoosh_only
def test_check_index_repair_rebuilds_an_unreadable_index(db, settings):
    make_entry(slug="a", title="Grants")
    search.rebuild()
    _corrupt(settings)

    with pytest.raises(CommandError, match="cannot be read"):
        call_command("check_index", stdout=StringIO())
    call_command("check_index", "--repair", stdout=StringIO())

    assert slugs(find("grants")) == ["a"]


# --- faults ----------------------------------------------------------------------------------


def _corrupt(settings) -> None:
    whoosh_backend.forget_open_index()
    for path in Path(os.path.realpath(settings.KB_INDEX_DIR)).iterdir():
        path.write_bytes(b"\x00garbage" * 10)


def _remove(settings) -> None:
    whoosh_backend.forget_open_index()
    target = Path(os.path.realpath(settings.KB_INDEX_DIR))
    for path in target.iterdir():
        path.unlink()
    target.rmdir()


@pytest.mark.whoosh_only
@pytest.mark.parametrize("fault", [_corrupt, _remove], ids=["corrupt", "missing"])
def test_a_broken_index_falls_back_to_the_database(client, db, settings, caplog, fault):
    make_entry(slug="grants", title="Grants management")
    search.rebuild()
    fault(settings)

    with caplog.at_level(logging.ERROR, logger="knowledgebase.search"):
        response = client.get("/search/", {"q": "grants"})

    assert response.status_code == 200
    assert "results may be incomplete" in response.content.decode()
    assert [hit.entry.slug for hit in response.context["results"].hits] == ["grants"]
    assert "answering from the database" in caplog.text


@pytest.mark.whoosh_only
def test_an_index_of_an_older_schema_falls_back(db, settings, monkeypatch):
    make_entry(slug="grants", title="Grants management")
    search.rebuild()
    whoosh_backend.forget_open_index()
    monkeypatch.setattr(whoosh_backend, "SCHEMA", whoosh_backend.make_schema())
    whoosh_backend.SCHEMA.add("new_field", whoosh_backend.fields.ID)

    page = find("grants")

    assert page.degraded and slugs(page) == ["grants"]


@pytest.mark.whoosh_only
def test_a_locked_index_does_not_fail_the_save_and_check_index_notices(
    db, settings, monkeypatch, caplog
):
    monkeypatch.setattr(whoosh_backend, "WRITE_TIMEOUT", 0.1)
    search.rebuild()
    from whoosh import index

    held = index.open_dir(os.path.realpath(settings.KB_INDEX_DIR)).writer()  # another process
    try:
        entry = make_entry(slug="late", title="Late entry")
        with caplog.at_level(logging.ERROR, logger="knowledgebase.search"):
            search.index_entry(entry)  # does not raise
    finally:
        held.cancel()

    assert "check_index --repair" in caplog.text
    assert search.check().missing == [entry.pk]
    [mark] = IndexRepair.objects.all()
    assert mark.entry_id == entry.pk and "LockError" in mark.reason


@pytest.mark.whoosh_only
def test_a_failed_update_is_redone_by_the_next_index_write(db, settings, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "WRITE_TIMEOUT", 0.1)
    old = make_entry(slug="grants", title="Grants management")
    search.rebuild()
    from whoosh import index

    held = index.open_dir(os.path.realpath(settings.KB_INDEX_DIR)).writer()
    try:
        old.title = "Grants oversight"
        old.save()
        search.index_entry(old)  # fails: the lock is held
        late = make_entry(slug="late", title="Late entry")
        search.index_entry(late)  # fails too
    finally:
        held.cancel()
    assert set(IndexRepair.objects.values_list("pk", flat=True)) == {old.pk, late.pk}
    assert set(search.check().stale) == {old.pk} and search.check().missing == [late.pk]

    other = make_entry(slug="other", title="Another entry")
    search.index_entry(other)  # works, and redoes the two that failed

    assert not IndexRepair.objects.exists()
    assert slugs(find("oversight")) == ["grants"]
    assert slugs(find("late")) == ["late"]
    assert search.check().ok


def test_the_index_thread_indexes_after_the_save_has_answered(transactional_db, settings, mona):
    settings.KB_INDEX_IN_BACKGROUND = True
    search.rebuild()
    entry = make_entry(state="submitted", slug="chatbot", title="Chatbot for benefits questions")

    moderation.approve(entry, by=mona)  # commits; the index thread takes it from there

    assert search.wait_for_index(timeout=30)
    assert slugs(find("chatbot")) == ["chatbot"]
    assert not IndexRepair.objects.exists()  # the "queued" mark is gone once indexed
    moderation.archive(entry, by=mona)
    assert search.wait_for_index(timeout=30)
    assert find("chatbot").hits == []
    assert search.check().ok


@pytest.mark.whoosh_only
def test_work_queued_by_a_process_that_stopped_is_redone(db, settings):
    entry = make_entry(slug="grants", title="Grants management")
    search.rebuild()
    entry.title = "Grants oversight"
    entry.save()
    # Queued long ago by a process that stopped before its index thread got to it.
    IndexRepair.objects.create(entry_id=entry.pk, reason=search.QUEUED)
    IndexRepair.objects.filter(pk=entry.pk).update(
        failed_at=timezone.now() - search.QUEUE_PATIENCE * 2
    )
    fresh = make_entry(slug="fresh", title="Fresh entry")
    IndexRepair.objects.create(entry_id=fresh.pk, reason=search.QUEUED)  # still queued

    search.index_entry(make_entry(slug="other", title="Another entry"))

    assert slugs(find("oversight")) == ["grants"]
    assert list(IndexRepair.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_check_index_repairs_an_entry_marked_for_repair(db, capsys):
    entry = make_entry(slug="grants", title="Grants management")
    search.rebuild()
    IndexRepair.objects.create(entry_id=entry.pk, reason="LockError: held elsewhere")

    assert search.check().stale == [entry.pk]
    call_command("check_index", "--repair")

    assert not IndexRepair.objects.exists()
    assert search.check().ok


# Queries of one results page, whatever the number of results: Whoosh counts in its index
# and loads the page (2) and its topics (2); postgres also matches, ranks, counts facets
# (7, one per facet) and checks the words for typos in the database.
PAGE_QUERIES = {"whoosh": 4, "postgres": 14}


def test_search_queries_are_bounded(db, django_assert_max_num_queries, alice, search_engine):
    for n in range(15):
        make_entry(title=f"Forms guide {n}", tags=["forms", f"t{n}"])
    search.rebuild()

    with django_assert_max_num_queries(PAGE_QUERIES[search_engine]):
        page = find("forms", alice)

    assert page.count == 15 and len(page.hits) == 15


# --- scoring with arrays ------------------------------------------------------------------


@pytest.mark.whoosh_only
def test_array_scores_equal_whoosh_bm25f_over_several_segments(db):
    make_entry(slug="a", title="Cloud migration", summary="Moving forms to the cloud.")
    make_entry(slug="b", title="Forms", body="Cloud hosting for forms and cloud storage.")
    make_entry(slug="c", title="Call centres", tags=["cloud", "phones"])
    search.rebuild()
    # Edits after the rebuild leave a second segment and a deleted document in the first.
    moved = Entry.objects.get(slug="b")
    moved.summary = "Plain forms in the cloud."
    moved.save()
    search.index_entries([moved])
    handle = whoosh_backend._handle()
    assert len(handle.searcher.reader().leaf_readers()) > 1
    backend = whoosh_backend.WhooshBackend()

    q = whoosh_backend._query_parser().parse("cloud forms")
    scores, _ = backend._scores(handle, list(whoosh_backend.positive_terms(q)))
    expected = {hit.docnum: hit.score for hit in handle.searcher.search(q, limit=None)}

    assert expected and set(map(int, scores.nonzero()[0])) == set(expected)
    for docnum, score in expected.items():
        assert scores[docnum] == pytest.approx(score, rel=1e-5)


@pytest.mark.whoosh_only
def test_counts_and_facets_leave_out_replaced_documents(db):
    entry = make_entry(slug="kept", title="Cloud notes", tags=["cloud"])
    search.rebuild()
    entry.title = "Cloud notes, revised"
    entry.save()
    search.index_entries([entry])

    page = find("cloud")

    assert page.count == 1 and slugs(page) == ["kept"]
    assert page.facets["tag"] == {"cloud": 1}


@pytest.mark.whoosh_only
def test_saves_merge_small_segments_by_tier_and_nothing_is_lost(db, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "MERGE_TIER", 3)
    entries = [make_entry(slug=f"note-{i}", title=f"Field note {i}") for i in range(12)]
    search.rebuild()

    for entry in entries:  # one save, one small segment each
        entry.title = f"{entry.title} revised"
        entry.save()
        search.index_entries([entry])

    handle = whoosh_backend._handle()
    sizes = [leaf.doc_count() for leaf, _ in handle.searcher.reader().leaf_readers()]
    tiers = [len(str(max(size, 1))) for size in sizes]
    assert all(tiers.count(tier) < 3 for tier in set(tiers)), sizes
    assert find("revised").count == 12
    assert search.check().ok


def test_an_agency_both_lead_and_contributor_counts_once_in_both_backends(db, gsa, va):
    both = make_entry(title="Forms one", lead_agency=gsa)
    both.contributing_agencies.add(gsa, va)
    make_entry(title="Forms two", lead_agency=va)
    search.rebuild()

    expected = {"va": 2, "gsa": 1}

    assert facet_counts(Entry.objects.all())["agency"] == expected
    assert find("forms").facets["agency"] == expected


@pytest.mark.parametrize(
    "name, engine, error",
    [
        ("postgres", "django.db.backends.sqlite3", "commons.E002"),
        ("postgres", "django.db.backends.postgresql", None),
        ("elastic", "django.db.backends.postgresql", "commons.E001"),
        ("whoosh", "django.db.backends.sqlite3", None),
    ],
)
def test_the_system_check_says_when_the_backend_cannot_work(name, engine, error):
    from knowledgebase.apps import search_backend_problems

    found = [e.id for e in search_backend_problems(name, engine)]

    assert found == ([error] if error else [])
