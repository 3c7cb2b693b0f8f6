"""Settings for Commons, read from the environment (see README "Configuration")."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KB_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a random key kept in var/ so sessions survive
    restarts on a single machine. Several web servers must share SECRET_KEY explicitly."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "taggit",
    "markdownx",
    "rest_framework",
    "drf_spectacular",
    "reversion",
    "knowledgebase",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "knowledgebase.middleware.content_security_policy",
]
# A Server-Timing header on every response: the request's time in the application, its own
# CPU time and the CPU time of its process meanwhile (for `make loadtest`; off in production).
KB_SERVER_TIMING = env_bool("KB_SERVER_TIMING", False)
if KB_SERVER_TIMING:
    MIDDLEWARE.insert(0, "knowledgebase.middleware.server_timing")

# The cache every worker and every server shares: a table of the database (made by
# migration 0016). It keeps rendered parts of pages (knowledgebase/caching.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kb_cache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "knowledgebase.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=600, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a real embedded database for several workers: readers never wait for a
    # writer (WAL), a writer waits its turn instead of failing with "database is locked"
    # (busy timeout), and a write transaction takes the write lock when it begins
    # (IMMEDIATE), so it cannot fail half way when it tries to upgrade a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "kb:home"
LOGOUT_REDIRECT_URL = "kb:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("KB_MEDIA_DIR", VAR_DIR / "media"))
# Uploads (the images in entries): a folder on this machine by default; several web servers
# share an S3-compatible bucket instead (pip extra `s3`: django-storages with boto3, which
# takes its credentials the usual way: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a role).
KB_MEDIA_STORAGE = os.environ.get("KB_MEDIA_STORAGE", "local")
if KB_MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("KB_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("KB_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("KB_S3_REGION") or None,
            "custom_domain": os.environ.get("KB_S3_CUSTOM_DOMAIN") or None,
            "location": "media",
            "file_overwrite": False,  # two servers saving "chart.png" keep both
            "querystring_auth": env_bool("KB_S3_SIGNED_URLS", False),
        },
    }
    if not STORAGES["default"]["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("KB_MEDIA_STORAGE=s3 needs KB_S3_BUCKET.")
elif KB_MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(
        f"Unknown KB_MEDIA_STORAGE {KB_MEDIA_STORAGE!r}; expected 'local' or 's3'."
    )

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "commons@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Where links in notification emails point.
KB_SITE_URL = os.environ.get("KB_SITE_URL", "http://127.0.0.1:8000")
# Where people without an account can ask for one (shown on the sign-in page); may be empty.
KB_SUPPORT_EMAIL = os.environ.get("KB_SUPPORT_EMAIL", "")

# Production hardening; all of it follows DEBUG so `manage.py check --deploy` is clean
# whenever DEBUG is off. KB_SSL_REDIRECT=0 where a proxy in front already redirects.
SECURE_SSL_REDIRECT = env_bool("KB_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"knowledgebase": {"handlers": ["console"], "level": "INFO"}},
}

# Markdown: one sanitizing renderer serves pages and the editor preview.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "knowledgebase.links.render"
MARKDOWNX_UPLOAD_MAX_SIZE = 2 * 1024 * 1024
MARKDOWNX_UPLOAD_CONTENT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"]
MARKDOWNX_MEDIA_PATH = "uploads/"

TAGGIT_CASE_INSENSITIVE = True

REST_FRAMEWORK = {
    # The API serves the site's own pages and signed-in users: sessions (with CSRF) only.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
SPECTACULAR_SETTINGS = {"TITLE": "Commons API", "VERSION": "1"}

# Commons
KB_PUBLIC_READ = env_bool("KB_PUBLIC_READ", True)
KB_SEARCH_BACKEND = os.environ.get("KB_SEARCH_BACKEND", "whoosh")
KB_INDEX_DIR = Path(os.environ.get("KB_INDEX_DIR", VAR_DIR / "index"))
KB_BODY_MAX_CHARS = 100_000
# Index (and compute vectors) after a save in a thread of the process, so the save answers
# at once; 0 does it before the response (simpler to reason about, slower saves).
KB_INDEX_IN_BACKGROUND = env_bool("KB_INDEX_IN_BACKGROUND", True)
# Search by meaning (pip extra `semantic`): on when installed unless KB_SEMANTIC=0. An
# agency may supply its own approved model: a directory with model.onnx and tokenizer.json,
# pinned by their sha256 (the defaults pin the files of the packages the extra installs).
KB_SEMANTIC = env_bool("KB_SEMANTIC", True)
KB_EMBEDDING_MODEL_DIR = os.environ.get("KB_EMBEDDING_MODEL_DIR", "")
KB_EMBEDDING_MODEL_SHA256 = os.environ.get("KB_EMBEDDING_MODEL_SHA256", "")
KB_EMBEDDING_TOKENIZER_SHA256 = os.environ.get("KB_EMBEDDING_TOKENIZER_SHA256", "")
# Threads the model computes a vector with: 0 for the machine's cores (commands), 1 in each
# web worker (gunicorn.conf.py), where the workers already share the cores.
KB_MODEL_THREADS = int(os.environ.get("KB_MODEL_THREADS", "0"))
