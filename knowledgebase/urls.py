from django.urls import path

from knowledgebase.views import (
    agencies,
    analytics,
    collections,
    entries,
    home,
    links,
    moderation,
    revisions,
    search,
    tags,
)

app_name = "kb"

urlpatterns = [
    path("", home.home, name="home"),
    path("entries/", entries.entry_list, name="entry-list"),
    path("entries/new/", entries.entry_create, name="entry-create"),
    path("entries/<slug:slug>/", entries.entry_detail, name="entry-detail"),
    path("entries/<slug:slug>/edit/", entries.entry_edit, name="entry-edit"),
    path("entries/<slug:slug>/submit/", entries.entry_submit, name="entry-submit"),
    path("entries/<slug:slug>/withdraw/", entries.entry_withdraw, name="entry-withdraw"),
    path("entries/<slug:slug>/links/", links.link_add, name="entry-link-add"),
    path(
        "entries/<slug:slug>/links/<int:link_id>/remove/",
        links.link_remove,
        name="entry-link-remove",
    ),
    path("entries/<slug:slug>/history/", revisions.history, name="entry-history"),
    path("entries/<slug:slug>/history/compare/", revisions.compare, name="entry-compare"),
    path(
        "entries/<slug:slug>/history/<int:version_id>/revert/",
        revisions.revert,
        name="entry-revert",
    ),
    path("me/entries/", entries.my_entries, name="my-entries"),
    path("moderation/", moderation.review_queue, name="review-queue"),
    # Before moderation/<slug>/, which would take these names for an entry's slug.
    path("moderation/knowledge-gaps/", analytics.knowledge_gaps, name="knowledge-gaps"),
    path("moderation/broken-links/", links.broken_links, name="broken-links"),
    path("moderation/<slug:slug>/", moderation.review, name="review"),
    path("entries/<slug:slug>/approve/", moderation.approve, name="entry-approve"),
    path(
        "entries/<slug:slug>/request-changes/",
        moderation.request_changes,
        name="entry-request-changes",
    ),
    path("entries/<slug:slug>/reject/", moderation.reject, name="entry-reject"),
    path("entries/<slug:slug>/archive/", moderation.archive, name="entry-archive"),
    path("entries/<slug:slug>/restore/", moderation.restore, name="entry-restore"),
    path("entries/<slug:slug>/feature/", moderation.feature, name="entry-feature"),
    path("entries/<slug:slug>/unfeature/", moderation.unfeature, name="entry-unfeature"),
    path("entries/<slug:slug>/supersede/", moderation.supersede, name="entry-supersede"),
    path("collections/", collections.collection_list, name="collection-list"),
    path("collections/new/", collections.collection_create, name="collection-create"),
    path("collections/<slug:slug>/", collections.collection_detail, name="collection-detail"),
    path("collections/<slug:slug>/edit/", collections.collection_edit, name="collection-edit"),
    path("agencies/", agencies.agency_list, name="agency-list"),
    path("agencies/<slug:slug>/", agencies.agency_detail, name="agency-detail"),
    path("tags/", tags.tag_list, name="tag-list"),
    path("tags/<str:tag>/", tags.tag_detail, name="tag-detail"),
    path("search/", search.search_page, name="search"),
    path("search/suggest/", search.suggestions, name="search-suggest"),
    path("search/click/", analytics.search_click, name="search-click"),
]
