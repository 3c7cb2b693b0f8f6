from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from knowledgebase.feeds import LatestEntriesFeed, TagFeed
from knowledgebase.views import editor

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("markdownx/markdownify/", editor.markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", editor.upload_image, name="markdownx_upload"),
    path("feeds/latest/", LatestEntriesFeed(), name="feed-latest"),
    path("feeds/tags/<str:tag>/", TagFeed(), name="feed-tag"),
    # Uploaded images only (checked to be PNG/JPEG/GIF/WebP by content on upload).
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    path("api/", include("knowledgebase.api_urls")),
    path("", include("knowledgebase.urls")),
]
