"""Topics people can use: merging and renaming (topics.py, the command and the moderators'
page), old topic addresses that redirect, the searchable topic index, the topic filter of
the entry list, and filters offered only when enough entries are behind them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from taggit.models import Tag, TaggedItem

from knowledgebase import search, topics
from knowledgebase.models import Channel, Entry, TopicAlias
from tests.conftest import make_entry


def tag(name: str) -> Tag:
    return Tag.objects.get(name=name)


def topic_names(entry: Entry) -> list[str]:
    return sorted(entry.tags.names())


# --- topics.merge and topics.rename -------------------------------------------------------


def test_merge_moves_every_entry_and_keeps_one_tagging_per_entry(mona):
    only_old = make_entry(tags=["customer-service"])
    both = make_entry(tags=["customer-service", "customer experience"])
    only_new = make_entry(tags=["customer experience"])

    moved = topics.merge(tag("customer-service"), tag("customer experience"), by=mona)

    assert moved == 2
    assert not Tag.objects.filter(name="customer-service").exists()
    for entry in (only_old, both, only_new):
        assert topic_names(entry) == ["customer experience"]
    assert TaggedItem.objects.filter(tag__name="customer experience").count() == 3
    alias = TopicAlias.objects.get(slug="customer-service")
    assert (alias.name, alias.tag.name, alias.created_by) == (
        "customer-service",
        "customer experience",
        mona,
    )


def test_merging_a_topic_into_itself_is_refused(db):
    make_entry(tags=["api"])

    with pytest.raises(topics.TopicError, match="into itself"):
        topics.merge(tag("api"), tag("api"), by=None)

    assert Tag.objects.filter(name="api").exists()


def test_a_merged_topics_aliases_follow_it(db):
    make_entry(tags=["apis", "api", "application programming interface"])
    topics.merge(tag("apis"), tag("api"), by=None)

    topics.merge(tag("api"), tag("application programming interface"), by=None)

    assert set(TopicAlias.objects.values_list("slug", "tag__name")) == {
        ("apis", "application programming interface"),
        ("api", "application programming interface"),
    }


def test_old_topic_page_and_feed_redirect_permanently_after_a_merge(client, db):
    make_entry(tags=["gsa", "general services administration"])
    topics.merge(tag("gsa"), tag("general services administration"), by=None)

    page = client.get("/tags/gsa/?page=2")
    feed = client.get("/feeds/tags/gsa/")

    assert page.status_code == 301
    assert page["Location"] == "/tags/general-services-administration/?page=2"
    assert feed.status_code == 301
    assert feed["Location"] == "/feeds/tags/general-services-administration/"
    assert client.get("/tags/no-such-topic/").status_code == 404
    assert client.get("/feeds/tags/no-such-topic/").status_code == 404


def test_renaming_changes_name_and_slug_and_the_old_slug_redirects(client, mona):
    entry = make_entry(tags=["cx"])

    topics.rename(tag("cx"), "Customer experience", by=mona)

    renamed = Tag.objects.get(pk=entry.tags.get().pk)
    assert (renamed.name, renamed.slug) == ("Customer experience", "customer-experience")
    assert client.get("/tags/cx/")["Location"] == "/tags/customer-experience/"
    assert client.get("/tags/customer-experience/").status_code == 200


def test_renaming_back_gives_the_topic_its_old_address_again(client, db):
    make_entry(tags=["forms"])
    topics.rename(tag("forms"), "Web forms", by=None)

    topics.rename(tag("Web forms"), "forms", by=None)

    assert list(TopicAlias.objects.values_list("slug", flat=True)) == ["web-forms"]
    assert client.get("/tags/forms/").status_code == 200


def test_renaming_to_another_topics_name_is_refused(db):
    make_entry(tags=["api", "API design"])

    with pytest.raises(topics.TopicError, match="merge"):
        topics.rename(tag("api"), "api design", by=None)

    assert tag("api").slug == "api"


def test_searching_the_old_name_finds_the_entries_after_a_merge(db):
    entry = make_entry(title="Plain title", tags=["helpdesk", "support"])
    topics.merge(tag("helpdesk"), tag("support"), by=None)

    search.rebuild()
    page = search.search("helpdesk", {}, AnonymousUser())

    assert [hit.entry.pk for hit in page.hits] == [entry.pk]


def test_a_merge_reindexes_the_entries_it_changed(django_capture_on_commit_callbacks, db):
    entry = make_entry(title="Plain title", tags=["helpdesk", "support"])
    search.rebuild()

    with django_capture_on_commit_callbacks(execute=True):
        topics.merge(tag("helpdesk"), tag("support"), by=None)

    hits = search.search("support", {"tag": "support"}, AnonymousUser()).hits
    assert [hit.entry.pk for hit in hits] == [entry.pk]
    assert search.search("helpdesk", {"tag": "helpdesk"}, AnonymousUser()).count == 0


def test_the_database_search_matches_a_topics_old_name(settings, db):
    settings.KB_SEARCH_BACKEND = "database"
    entry = make_entry(title="Plain title", tags=["helpdesk", "support"])
    topics.merge(tag("helpdesk"), tag("support"), by=None)

    page = search.search("helpdesk", {}, AnonymousUser())

    assert [hit.entry.pk for hit in page.hits] == [entry.pk]


# --- manage.py merge_tags -----------------------------------------------------------------


def test_merge_tags_command_merges_by_slug_or_name(capsys, db):
    make_entry(tags=["customer-service"])
    make_entry(tags=["customer-service", "Customer Experience"])

    call_command("merge_tags", "customer-service", "Customer Experience")

    assert "Merged 2 entries from “customer-service” into “Customer Experience”." in (
        capsys.readouterr().out
    )
    assert TaggedItem.objects.filter(tag__name="Customer Experience").count() == 2
    assert TopicAlias.objects.filter(slug="customer-service").exists()


def test_merge_tags_refuses_a_missing_target_unless_asked_to_create_it(capsys, db):
    make_entry(tags=["home"])

    with pytest.raises(CommandError, match="no topic “about us” to merge into.*--create"):
        call_command("merge_tags", "home", "about us")
    assert Tag.objects.filter(name="home").exists()

    call_command("merge_tags", "home", "about us", "--create")
    assert "Merged 1 entry from “home” into “about us”." in capsys.readouterr().out
    assert topic_names(Entry.objects.get()) == ["about us"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothing", "api"], "There is no topic “nothing”"),
        (["api", "API"], "cannot be merged into itself"),
    ],
)
def test_merge_tags_errors_say_what_is_wrong(db, args, message):
    make_entry(tags=["api"])

    with pytest.raises(CommandError, match=message):
        call_command("merge_tags", *args)


# --- the moderators' page -----------------------------------------------------------------


def test_topics_page_is_for_moderators_only(client, alice, mona):
    assert client.get("/moderation/topics/")["Location"].startswith("/accounts/login/")
    client.force_login(alice)
    assert client.get("/moderation/topics/").status_code == 403
    assert client.post("/moderation/topics/1/merge/").status_code in (403, 404)
    client.force_login(mona)
    assert client.get("/moderation/topics/").status_code == 200


def test_staff_cannot_merge_rename_or_delete(client, alice):
    make_entry(tags=["api", "apis"])
    client.force_login(alice)
    api = tag("api")

    merge = client.post(f"/moderation/topics/{api.pk}/merge/", {f"merge-{api.pk}-into": "apis"})
    rename = client.post(f"/moderation/topics/{api.pk}/rename/", {f"rename-{api.pk}-name": "x"})
    delete = client.post(f"/moderation/topics/{api.pk}/delete/")

    assert (merge.status_code, rename.status_code, delete.status_code) == (403, 403, 403)
    assert Tag.objects.filter(name="api").exists()


def test_topics_page_lists_topics_with_counts_and_finds_them(as_user, mona):
    make_entry(tags=["api", "forms"])
    make_entry(tags=["api"])
    client = as_user(mona)

    page = client.get("/moderation/topics/")
    found = client.get("/moderation/topics/?q=FOR")

    assert [(t.name, t.n) for t in page.context["page"]] == [("api", 2), ("forms", 1)]
    assert [t.name for t in found.context["page"]] == ["forms"]
    assert 'data-confirm="Merge “forms” into “{value}”?' in found.content.decode()


def test_moderator_merges_from_the_page(as_user, mona):
    entry = make_entry(tags=["apis", "api"])
    apis = tag("apis")

    response = as_user(mona).post(
        f"/moderation/topics/{apis.pk}/merge/?q=api", {f"merge-{apis.pk}-into": "API"}, follow=True
    )

    assert response.redirect_chain == [("/moderation/topics/?q=api", 302)]
    assert "Merged 1 entry from “apis” into “api”." in response.content.decode()
    assert topic_names(entry) == ["api"]
    assert TopicAlias.objects.get(slug="apis").tag == tag("api")


def test_merging_into_an_unknown_topic_shows_the_error(as_user, mona):
    make_entry(tags=["apis"])
    apis = tag("apis")

    response = as_user(mona).post(
        f"/moderation/topics/{apis.pk}/merge/", {f"merge-{apis.pk}-into": "aips"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "There is no topic “aips”" in page
    assert f'href="#id_merge-{apis.pk}-into"' in page
    assert Tag.objects.filter(name="apis").exists()


def test_moderator_renames_from_the_page(as_user, mona):
    make_entry(tags=["join-us"])
    topic = tag("join-us")

    response = as_user(mona).post(
        f"/moderation/topics/{topic.pk}/rename/", {f"rename-{topic.pk}-name": "Recruiting"}
    )

    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.name, topic.slug) == ("Recruiting", "recruiting")
    assert TopicAlias.objects.filter(slug="join-us", tag=topic).exists()


def test_renaming_to_an_existing_topic_shows_the_error(as_user, mona):
    make_entry(tags=["api", "apis"])
    apis = tag("apis")

    response = as_user(mona).post(
        f"/moderation/topics/{apis.pk}/rename/", {f"rename-{apis.pk}-name": "API"}
    )

    assert response.status_code == 400
    assert "There is already a topic “api”: merge “apis” into it instead." in (
        response.content.decode()
    )
    assert tag("apis").slug == "apis"


def test_topics_page_is_in_the_moderators_menu(as_user, mona):
    page = as_user(mona).get("/moderation/topics/").content.decode()

    assert '<a href="/moderation/topics/" aria-current="page">Topics</a>' in page


# --- /tags/ -------------------------------------------------------------------------------


def test_topic_index_counts_only_entries_the_reader_may_see(client, alice):
    make_entry(tags=["api", "forms"])
    make_entry(tags=["api"], visibility=Entry.Visibility.GOVERNMENT)
    make_entry(tags=["secret"], visibility=Entry.Visibility.GOVERNMENT)
    make_entry(tags=["draft"], state="draft")

    anonymous = client.get("/tags/")
    client.force_login(alice)
    staff = client.get("/tags/")

    assert [(t.name, t.n) for t in anonymous.context["page"]] == [("api", 1), ("forms", 1)]
    assert "secret" not in anonymous.content.decode()
    assert [(t.name, t.n) for t in staff.context["page"]] == [
        ("api", 2),
        ("forms", 1),
        ("secret", 1),
    ]


def test_topic_index_is_sorted_by_count_and_searchable(client, db):
    make_entry(tags=["customer service", "customer experience", "about"])
    make_entry(tags=["customer experience"])

    listed = client.get("/tags/")
    found = client.get("/tags/?q=CUSTOMER")

    assert [t.name for t in listed.context["page"]] == [
        "customer experience",
        "about",
        "customer service",
    ]
    assert [t.name for t in found.context["page"]] == ["customer experience", "customer service"]
    assert 'value="CUSTOMER"' in found.content.decode()
    assert "tag-cloud" not in listed.content.decode()


@pytest.mark.parametrize("n", [3, 30])
def test_topic_index_and_entry_list_do_not_query_per_topic(
    client, db, n, django_assert_max_num_queries
):
    for i in range(n):
        make_entry(tags=[f"topic {i}", f"theme {i % 3}"], audience="internal")

    with django_assert_max_num_queries(6):
        assert client.get("/tags/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/entries/").status_code == 200


# --- /entries/ filters --------------------------------------------------------------------


def test_entry_list_filters_by_topic_and_names_it_in_the_chip(client, db):
    for _ in range(3):
        make_entry(tags=["Call centers"])
    make_entry(title="Other", tags=["forms"])

    response = client.get("/entries/?tag=call-centers")

    assert len(response.context["page"].object_list) == 3
    page = response.content.decode()
    assert '<label for="f-tag">Topic</label>' in page
    assert '<option value="call-centers" selected>Call centers (3)</option>' in page
    assert "Topic: Call centers" in page


def test_entry_list_offers_only_filters_with_enough_entries(client, db):
    web, phone = Channel.objects.get(slug="web"), Channel.objects.get(slug="phone")
    for _ in range(topics.MIN_FILTER_ENTRIES):
        make_entry(tags=["popular"], audience="external").channels.add(web)
    rare = make_entry(tags=["rare"], audience="internal")
    rare.channels.add(phone)
    # Government-only entries do not count for an anonymous reader.
    for _ in range(topics.MIN_FILTER_ENTRIES):
        make_entry(tags=["rare"], audience="internal", visibility=Entry.Visibility.GOVERNMENT)

    context = client.get("/entries/").context

    assert [t.slug for t in context["topics"]] == ["popular"]
    assert [value for value, _ in context["audiences"]] == ["external"]
    assert [c.slug for c in context["channels"]] == ["web"]


def test_the_chosen_filter_stays_offered_below_the_minimum(client, db):
    phone = Channel.objects.get(slug="phone")
    make_entry(tags=["rare"], audience="internal").channels.add(phone)

    context = client.get("/entries/?tag=rare&audience=internal&channel=phone").context

    assert [t.slug for t in context["topics"]] == ["rare"]
    assert [value for value, _ in context["audiences"]] == ["internal"]
    assert [c.slug for c in context["channels"]] == ["phone"]
    assert len(context["page"].object_list) == 1


def test_an_old_topic_name_typed_in_an_edit_is_the_topic_it_became(alice, mona):
    from knowledgebase import entries

    entry = make_entry(author=alice, tags=["customer-service"])
    old, new = (
        Tag.objects.get(name="customer-service"),
        Tag.objects.create(name="customer-experience"),
    )
    topics.merge(old, new, by=mona)
    entry.refresh_from_db()

    entries.update(entry, by=alice, data={"tags": ["Customer-Service"]}, base_version=entry.version)

    assert list(entry.tags.names()) == ["customer-experience"]
    assert not Tag.objects.filter(name__iexact="customer-service").exists()


def test_the_old_address_of_a_topic_filters_the_entry_list(client, mona):
    make_entry(title="Service recovery", tags=["customer-service"])
    old, new = (
        Tag.objects.get(name="customer-service"),
        Tag.objects.create(name="customer-experience"),
    )
    topics.merge(old, new, by=mona)

    page = client.get("/entries/", {"tag": "customer-service"}).content.decode()

    assert "Service recovery" in page


def test_moderator_deletes_a_junk_topic_and_the_entries_stay(
    as_user, mona, client, django_capture_on_commit_callbacks
):
    entry = make_entry(tags=["home", "forms"])
    make_entry(tags=["about"])
    topics.merge(tag("about"), tag("home"), by=None)
    home = tag("home")
    search.rebuild()
    assert search.search("home", {}, AnonymousUser()).count == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(mona).post(f"/moderation/topics/{home.pk}/delete/?q=ho", follow=True)

    assert response.redirect_chain == [("/moderation/topics/?q=ho", 302)]
    assert "Deleted the topic “home”; 2 entries no longer carry it." in response.content.decode()
    assert topic_names(entry) == ["forms"]
    assert not Tag.objects.filter(slug="home").exists()
    assert not TopicAlias.objects.exists()  # "about" went with it
    assert client.get("/tags/home/").status_code == 404
    assert client.get("/tags/about/").status_code == 404
    assert client.get(entry.get_absolute_url()).status_code == 200
    assert search.search("home", {}, AnonymousUser()).count == 0
