from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authentication import SessionAuthentication

from knowledgebase import api

app_name = "api"

urlpatterns = [
    path("search/", api.search_entries, name="search"),
    path("entries/", api.entry_list, name="entry-list"),
    path("entries/<slug:slug>/", api.entry_detail, name="entry-detail"),
    path("entries/<slug:slug>/submit/", api.entry_submit, name="entry-submit"),
    path("entries/<slug:slug>/withdraw/", api.entry_withdraw, name="entry-withdraw"),
    path("entries/<slug:slug>/approve/", api.entry_approve, name="entry-approve"),
    path(
        "entries/<slug:slug>/request-changes/",
        api.entry_request_changes,
        name="entry-request-changes",
    ),
    path("entries/<slug:slug>/reject/", api.entry_reject, name="entry-reject"),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[SessionAuthentication]),
        name="schema",
    ),
]
