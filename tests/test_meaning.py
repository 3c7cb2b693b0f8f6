"""Search by meaning: the real model from the installed `semantic` extra, its vectors, and
hybrid search with the guarantees of word search (permissions, filters, faults, API)."""

import io
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError

from knowledgebase import moderation, search
from knowledgebase.models import Embedding, Entry
from knowledgebase.search import meaning as meaning_module
from knowledgebase.search.base import Scope
from knowledgebase.search.query import corrected
from tests.conftest import make_entry

anonymous = AnonymousUser()

# Shares no word with QUERY (no stop words are removed, so every word counts), and no
# word of QUERY is one typo away from one of its words (typo correction would find it).
MULTILINGUAL = {
    "slug": "multilingual-content",
    "title": "Multilingual content for residents with limited English proficiency",
    "summary": "Translating pages into Spanish, Chinese and Vietnamese so more residents "
    "use city services.",
    "body": "Translated pages, glossaries and bilingual staff reviews.",
}
QUERY = "website people speaking other languages understand"
UNRELATED = [
    {
        "slug": "cloud-hosting",
        "title": "Moving a records system to cloud hosting",
        "summary": "Lessons from migrating servers and databases off premises.",
    },
    {
        "slug": "call-wait-times",
        "title": "Cutting call center wait times",
        "summary": "Queue staffing, callbacks and better phone menus.",
    },
    {
        "slug": "agile-budgets",
        "title": "Budgeting for agile software delivery",
        "summary": "Funding product teams instead of fixed-scope projects.",
    },
]


def embedded(**fields):
    entry = make_entry(**fields)
    meaning_module.update([entry.pk])
    return entry


def slugs(page) -> list[str]:
    return [hit.entry.slug for hit in page.hits]


@pytest.fixture
def corpus(meaning, db):
    entries = [embedded(**MULTILINGUAL)] + [embedded(**fields) for fields in UNRELATED]
    search.rebuild()
    return entries


# --- the model -----------------------------------------------------------------------------


def test_the_installed_model_loads_with_its_pinned_hashes_and_embeds(meaning):
    model = meaning.model()

    assert model.model_id.startswith("all-MiniLM-L6-v2-int8-8199be6f699a")
    vectors = model.embed(
        [
            "splitting a big IT contract into smaller ones",
            "modular contracting for large technology projects",
            "a recipe for chocolate cake",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_an_agency_can_supply_the_model_from_its_own_directory(meaning, settings, tmp_path):
    model = meaning.model()
    shutil.copy(f"{model.directory}/model.onnx", tmp_path / "model.onnx")
    tokenizer = meaning_module._packaged(*meaning_module.PACKAGED_TOKENIZER[:2])
    shutil.copy(tokenizer, tmp_path / "tokenizer.json")
    settings.KB_EMBEDDING_MODEL_DIR = str(tmp_path)

    assert meaning.unavailable() is None
    assert meaning.model().directory == str(tmp_path)


@pytest.mark.parametrize(
    ("setting", "value", "reason"),
    [
        ("KB_EMBEDDING_MODEL_SHA256", "0" * 64, "does not match its pinned sha256"),
        ("KB_EMBEDDING_TOKENIZER_SHA256", "f" * 64, "does not match its pinned sha256"),
        ("KB_EMBEDDING_MODEL_DIR", "EMPTY", "is missing"),
        ("KB_SEMANTIC", False, "turned off"),
    ],
)
def test_a_model_that_cannot_be_trusted_means_word_search_and_no_error(
    meaning, corpus, settings, tmp_path, client, mona, caplog, setting, value, reason
):
    setattr(settings, setting, str(tmp_path) if value == "EMPTY" else value)
    meaning.forget()

    with caplog.at_level(logging.WARNING, logger="knowledgebase.search.meaning"):
        assert reason in meaning.unavailable()
        meaning.unavailable()
        result = search.search(QUERY, {}, anonymous, mode="hybrid")
        page = client.get("/search/", {"q": "translated pages", "mode": "meaning"})
        api = client.get("/api/search/", {"q": "translated pages", "mode": "hybrid"})

    assert result.mode == "words"
    assert "multilingual-content" not in slugs(result)
    assert page.status_code == 200
    assert "Search by meaning is not available on this site" in page.content.decode()
    assert api.status_code == 200 and api.json()["mode"] == "words"
    assert api.json()["results"][0]["slug"] == "multilingual-content"
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == (0 if setting == "KB_SEMANTIC" else 1)  # said once, not per search
    client.force_login(mona)
    status = client.get("/moderation/search-status/").content.decode()
    assert "Off:" in status and reason in status


# --- vectors -------------------------------------------------------------------------------


def test_a_vector_is_recomputed_only_when_its_text_changes(meaning, db):
    entry = make_entry(
        title="Plain language letters",
        summary="Rewriting benefit letters.",
        body="We tested letters with veterans. " * 100,
    )

    assert meaning.update([entry.pk]) == 1
    first = Embedding.objects.get(entry=entry)
    assert meaning.update([entry.pk]) == 0

    entry.tags.add("letters")  # not part of the text
    entry.body = entry.body + "\n\n" + "More detail. " * 300  # beyond what reaches the model
    entry.save()
    assert meaning.update([entry.pk]) == 0

    entry.summary = "Rewriting benefit letters so that veterans understand them."
    entry.save()
    assert meaning.update([entry.pk]) == 1
    second = Embedding.objects.get(entry=entry)
    assert second.text_hash != first.text_hash
    assert second.vector != first.vector
    assert second.model_id == meaning.model().model_id


def test_publishing_computes_the_vector_after_commit_and_archiving_drops_it(
    meaning, alice, mona, django_capture_on_commit_callbacks
):
    entry = make_entry(author=alice, state="submitted", **MULTILINGUAL)
    assert not Embedding.objects.filter(entry=entry).exists()

    with django_capture_on_commit_callbacks(execute=True):
        moderation.approve(entry, by=mona)
    assert Embedding.objects.filter(entry=entry).exists()
    assert slugs(search.search(QUERY, {}, anonymous, mode="meaning")) == [entry.slug]

    with django_capture_on_commit_callbacks(execute=True):
        moderation.archive(entry, by=mona)
    assert not Embedding.objects.filter(entry=entry).exists()
    assert search.search(QUERY, {}, anonymous, mode="meaning").hits == []


def test_every_process_sees_new_vectors(meaning, corpus):
    vecs = meaning.vectors()
    assert len(vecs.ids) == 4
    other = embedded(slug="translation-glossary", title="A translation glossary")
    # Written by this process: seen at once; another process notices within seconds.
    assert other.pk in meaning.vectors().ids.tolist()
    Embedding.objects.filter(entry=other).delete()
    meaning_module._vectors.touch()
    assert other.pk not in meaning.vectors().ids.tolist()


def test_embed_entries_fills_missing_vectors_and_check_index_reports_them(meaning, corpus, capsys):
    Embedding.objects.filter(entry__slug="cloud-hosting").delete()
    changed = Embedding.objects.get(entry__slug="agile-budgets")
    changed.text_hash = "0" * 64
    changed.save()

    with pytest.raises(CommandError, match="2 entries with missing or stale meaning vectors"):
        call_command("check_index")
    out = capsys.readouterr().out
    assert "1 published without a meaning vector" in out and "cloud-hosting" in out
    assert "1 with a vector of older text or another model" in out

    call_command("embed_entries")
    out = capsys.readouterr().out
    assert "Computing vectors for 2 entries" in out
    assert "Computed 2 vectors" in out and "entries/s" in out

    call_command("check_index")
    assert "All 4 meaning vectors are up to date" in capsys.readouterr().out
    call_command("embed_entries")
    assert "All 4 vectors are up to date" in capsys.readouterr().out
    call_command("embed_entries", "--all")
    assert "Computed 4 vectors" in capsys.readouterr().out


def test_check_index_repair_computes_missing_vectors(meaning, corpus, capsys):
    Embedding.objects.all().delete()

    call_command("check_index", "--repair")

    assert "Computed meaning vectors: 4 entries" in capsys.readouterr().out
    assert Embedding.objects.count() == 4


def test_embed_entries_says_why_when_meaning_is_off(db, settings):
    settings.KB_SEMANTIC = False
    meaning_module.forget()
    with pytest.raises(CommandError, match="turned off"):
        call_command("embed_entries")


# --- hybrid search -------------------------------------------------------------------------


def test_a_paraphrase_without_shared_words_is_found_by_meaning_not_by_words(corpus):
    assert "multilingual-content" not in slugs(search.search(QUERY, {}, anonymous, mode="words"))

    hybrid = search.search(QUERY, {}, anonymous, mode="hybrid")
    assert hybrid.mode == "hybrid"
    assert slugs(hybrid)[0] == "multilingual-content"
    assert hybrid.hits[0].by_meaning
    assert slugs(search.search(QUERY, {}, anonymous, mode="meaning"))[0] == "multilingual-content"


def test_the_model_reads_real_words_uncorrected_and_typos_corrected(corpus):
    embedded(slug="spend-plans", title="How agencies spend on software", summary="Budgets.")
    search.rebuild()
    backend, scope = search.backend(), Scope(staff=False)

    def for_words(text):
        return corrected(backend, text, scope, unknown_only=True)

    def for_model(text):
        return corrected(backend, text, scope, unknown_only=True, keep=meaning_module.knows_word)

    # "spent" is in no entry, one letter away from "spend": the word index gets the
    # correction, the model keeps the word it knows.
    assert for_words("people who spent other languages") == "people who spend other languages"
    assert for_model("people who spent other languages") is None
    # A typo that is no word to the model either is read corrected by both.
    assert for_model("multilingal content") == for_words("multilingal content")
    assert for_model("multilingal content") == "multilingual content"
    typo = search.search("multilingal content", {}, anonymous, mode="meaning")
    assert slugs(typo)[0] == "multilingual-content"


def test_hybrid_keeps_word_matches_first_where_words_win(corpus):
    result = search.search("call center wait times", {}, anonymous, mode="hybrid")

    assert slugs(result)[0] == "call-wait-times"
    assert not result.hits[0].by_meaning


def test_hybrid_is_the_default_where_meaning_is_available(corpus):
    assert search.search(QUERY, {}, anonymous).mode == "hybrid"


def test_exact_word_syntax_keeps_hybrid_to_the_words(corpus):
    result = search.search(f'"{QUERY}"', {}, anonymous, mode="hybrid")
    assert result.mode == "words"
    assert result.hits == []


def test_meaning_results_honour_permissions_and_filters(corpus, alice):
    hidden = embedded(
        slug="translated-notices",
        title="Translating our site for multilingual residents",
        summary="Web pages residents can read in Spanish, Chinese and Vietnamese.",
        visibility="government",
        kind="lesson",
    )
    search.rebuild()

    for mode in ("hybrid", "meaning"):
        public = search.search(QUERY, {}, anonymous, mode=mode)
        assert "translated-notices" not in slugs(public)
        assert public.facets["kind"].get("lesson", 0) == 0
        staff = search.search(QUERY, {}, alice, mode=mode)
        assert "translated-notices" in slugs(staff)
        assert staff.count == public.count + 1
        lessons = search.search(QUERY, {"kind": "lesson"}, alice, mode=mode)
        assert slugs(lessons) == ["translated-notices"]
        assert lessons.count == 1 and lessons.facets["kind"] == {"lesson": 1}
    # Not in related entries or the editor's similar entries either.
    assert hidden not in search.more_like_this(corpus[0], anonymous)
    assert hidden not in search.similar_entries(QUERY, anonymous)
    assert hidden in search.more_like_this(corpus[0], alice)


def test_hybrid_pages_through_every_result_once(meaning, db):
    for n in range(30):
        embedded(
            slug=f"translation-{n}",
            title=f"Translating notices, part {n}",
            summary="Notices in Spanish and Chinese for residents.",
        )
    search.rebuild()

    first = search.search("notices for residents", {}, anonymous, page=1, mode="hybrid")
    second = search.search("notices for residents", {}, anonymous, page=2, mode="hybrid")

    assert first.count == second.count == 30 and first.num_pages == 2
    assert len(first.hits) == 20 and len(second.hits) == 10
    assert len(set(slugs(first)) | set(slugs(second))) == 30


def test_meaning_facets_count_what_is_found(corpus):
    result = search.search(QUERY, {}, anonymous, mode="meaning")

    assert result.count == len(result.hits)
    assert sum(result.facets["kind"].values()) == result.count


def test_every_entry_close_enough_counts_and_each_facet_is_what_its_filter_finds(meaning, db):
    # More entries close in meaning than a page or any pool: the count is all of them, and a
    # kind's facet count is what filtering by that kind then finds, in every mode.
    kinds = ["case-study", "lesson-learned", "guide"]
    for n in range(130):
        make_entry(
            slug=f"translated-site-{n}",
            title=f"Translating our site for multilingual residents, part {n}",
            summary="Web pages residents can read in Spanish, Chinese and Vietnamese.",
            kind=kinds[n % 3],
        )
    meaning_module.update(list(Entry.objects.values_list("pk", flat=True)))
    search.rebuild()

    for mode in ("hybrid", "meaning"):
        result = search.search(QUERY, {}, anonymous, mode=mode)
        assert result.count == 130
        assert result.facets["kind"] == {"case-study": 44, "lesson-learned": 43, "guide": 43}
        for kind, promised in result.facets["kind"].items():
            filtered = search.search(QUERY, {"kind": kind}, anonymous, mode=mode)
            assert filtered.count == promised
            assert sum(filtered.facets["kind"].values()) == promised


@pytest.mark.parametrize("query", ["zzqxjkvw flumbergast", "chocolate chip cookie recipe"])
def test_a_query_no_entry_answers_finds_nothing_in_every_mode(corpus, client, query):
    # Nothing is shown as "related by meaning" and the page says so. (Against the whole
    # shared corpus, where some entry is always somewhat close: tests/full_corpus.)
    for mode in ("hybrid", "words", "meaning"):
        result = search.search(query, {}, anonymous, mode=mode)
        assert (result.count, result.hits) == (0, [])
        page = client.get("/search/", {"q": query, "mode": mode}).content.decode()
        assert "No entries match" in page
        assert "Related by meaning" not in page


def test_a_query_that_found_nothing_by_meaning_is_a_knowledge_gap(corpus, client, mona):
    from datetime import timedelta

    from django.utils import timezone

    from knowledgebase import analytics

    client.get("/search/", {"q": "zzqxjkvw flumbergast"})
    client.get("/search/", {"q": QUERY})

    report = analytics.knowledge_gaps(since=timezone.now() - timedelta(hours=1))
    assert [row["query"] for row in report["zero_results"]] == ["zzqxjkvw flumbergast"]
    assert [row["query"] for row in report["unclicked"]] == [QUERY]
    client.force_login(mona)
    gaps = client.get("/moderation/knowledge-gaps/").content.decode()
    assert "zzqxjkvw flumbergast" in gaps


def test_a_broken_index_answers_from_the_database_in_every_mode(corpus, settings, tmp_path):
    settings.KB_INDEX_DIR = tmp_path / "nowhere"

    result = search.search("translated pages", {}, anonymous, mode="hybrid")

    assert result.degraded and result.mode == "words"
    assert slugs(result) == ["multilingual-content"]


def test_related_entries_are_the_nearest_in_meaning(corpus):
    glossary = embedded(
        slug="translation-glossary",
        title="A shared glossary for translators",
        summary="Keeping Spanish and Chinese translations of program names consistent.",
    )

    related = search.more_like_this(corpus[0], anonymous)

    assert related[0] == glossary
    assert corpus[0] not in related


def test_related_entries_fall_back_to_shared_words_without_a_vector(corpus):
    newcomer = make_entry(slug="cloud-costs", title="Cloud hosting costs", tags=["cloud"])
    search.rebuild()  # indexed but not embedded

    related = search.more_like_this(newcomer, anonymous)

    assert [e.slug for e in related][:1] == ["cloud-hosting"]


# --- pages and API -------------------------------------------------------------------------


def test_the_search_page_offers_the_modes_and_says_what_matched_by_meaning(corpus, client):
    page = client.get("/search/", {"q": QUERY}).content.decode()

    assert 'aria-label="Match by"' in page
    assert "Words and meaning</strong>" in page
    assert "Related by meaning" in page
    assert "Multilingual content" in page

    words = client.get("/search/", {"q": QUERY, "mode": "words"}).content.decode()
    assert "Multilingual content" not in words
    assert "Exact words</strong>" in words


def test_the_api_takes_a_mode(corpus, client):
    hybrid = client.get("/api/search/", {"q": QUERY}).json()
    assert hybrid["mode"] == "hybrid"
    assert hybrid["results"][0]["slug"] == "multilingual-content"

    words = client.get("/api/search/", {"q": QUERY, "mode": "words"}).json()
    assert words["mode"] == "words"
    assert "multilingual-content" not in [r["slug"] for r in words["results"]]

    bad = client.get("/api/search/", {"q": QUERY, "mode": "vibes"})
    assert bad.status_code == 400
    assert "mode" in bad.json()


def test_the_status_page_shows_the_model_and_its_vectors(corpus, client, mona, alice):
    client.force_login(alice)
    assert client.get("/moderation/search-status/").status_code == 403

    client.force_login(mona)
    page = client.get("/moderation/search-status/").content.decode()

    assert "all-MiniLM-L6-v2-int8-8199be6f699a" in page
    assert "4 of 4 published entries" in page
    assert "In line with the database." in page


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "corpus.jsonl"
GIBBERISH = "zzqxjkvw flumbergast"
# Questions no entry of the shared corpus answers (bench/relevance.py calibrates on more).
OFF_TOPIC = [GIBBERISH, "chocolate chip cookie recipe", "harry potter spells", "celebrity gossip"]


@pytest.mark.skipif(not CORPUS.exists(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.full_corpus
def test_on_the_shared_corpus_meaning_knows_when_it_does_not_know(meaning, db):
    call_command("import_entries", str(CORPUS), "--publish", stdout=io.StringIO())
    search.rebuild()
    vecs = meaning.vectors()
    assert len(vecs.ids) == Entry.objects.published().count() == 2400

    def closest(query):
        return float(np.max(vecs.matrix @ meaning.query_vector(query)))

    # Some entry is always a little close: the cut-off used before (0.25) showed three
    # entries "related by meaning" to gibberish.
    assert 0.25 < closest(GIBBERISH) < search.MIN_SIMILARITY
    for query in OFF_TOPIC:
        assert search.search(query, {}, anonymous, mode="meaning").count == 0, closest(query)
    for mode in ("hybrid", "words"):
        assert search.search(GIBBERISH, {}, anonymous, mode=mode).count == 0
    # A real question still finds its judged answers by meaning alone.
    found = search.search("reduce call center wait times", {}, anonymous, mode="meaning")
    assert {
        "dg-resource-contact-center-technologies",
        "dg-resource-contact-center-operation-and-management",
    } <= set(slugs(found)[:10])
