from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve

from knowledgebase.feeds import LatestEntriesFeed, TagFeed
from knowledgebase.forms import SignInForm
from knowledgebase.views import editor


def login(request):
    """Django's sign-in, told where people without an account can ask for one."""
    view = auth_views.LoginView.as_view(
        authentication_form=SignInForm,
        extra_context={"support_email": settings.KB_SUPPORT_EMAIL},
    )
    return view(request)


def password_reset(request):
    """Django's password reset, its email linking to the site's configured address like
    every other email: behind a proxy the request's host can be an internal name."""
    view = auth_views.PasswordResetView.as_view(
        extra_email_context={"site_url": settings.KB_SITE_URL.rstrip("/")}
    )
    return view(request)


urlpatterns = [
    path("admin/", admin.site.urls),
    # Before Django's own auth URLs, which serve the rest (reset confirm, sign out ...).
    path("accounts/login/", login, name="login"),
    path("accounts/password_reset/", password_reset, name="password_reset"),
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
