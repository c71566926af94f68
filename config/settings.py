"""Settings for the engagement hub, every one read from the environment (see README, "Settings").

The defaults are for development: SQLite, django-q2's ORM broker and a local-memory cache. Production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, SITE_URL and usually DATABASE_URL and REDIS_URL; nothing else changes.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-never-used-when-DEBUG-is-off-0123456789"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "accounts",
    "preferences",
    "messaging",
    "campaigns",
    "links",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
# SQLite goes through our thin backend (config/sqlite3) that lifts Django 5.2's fixed 999-parameter limit to
# what the linked SQLite allows, so bulk writes take one statement instead of dozens.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hub.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "config.sqlite3"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # Several checkouts may run their suites against one server at once; each can name its test database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_hub")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2: a task's timeout stays below its retry, so a slow task is never run twice at once.
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="hub"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=60),
    "retry": env.int("Q_RETRY", default=90),
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 1000,
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

# --- Email ----------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Engagement Hub <hello@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth, i18n, time -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch"), ("pl", "Polski"), ("sv", "Svenska")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")  # display time zone of admin; storage is always UTC
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"

# Bulk customer upserts (10,000 rows) are larger than Django's 2.5 MB default request body.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=20 * 1024 * 1024)

# --- Security (production defaults when DEBUG is off) ---------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Engagement Hub API",
    "DESCRIPTION": "Customers, events, transactional messages, push subscriptions and links for the "
    "retailer's systems. Authenticate with `Authorization: Bearer <api key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Domain settings ------------------------------------------------------------------------------------
# Dotted paths of tasks that receive the ids of newly stored events, after the transaction commits.
EVENT_CONSUMERS = env.list("EVENT_CONSUMERS", default=["campaigns.tasks.events_evaluate"])
# Admin account made by `make run` (seed_demo); the password is generated and kept in var/ when unset.
ADMIN_USERNAME = env.str("ADMIN_USERNAME", default="admin")
ADMIN_PASSWORD = env.str("ADMIN_PASSWORD", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- messaging ------------------------------------------------------------------------------------------
# Web push (VAPID, RFC 8292). Generate a pair with `manage.py generate_vapid_keys`. With DEBUG on and no
# keys set, a pair is generated once into var/vapid.json (ignored by git) and used from there.
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:admin@localhost" if DEBUG else "")
VAPID_DEV_KEY_FILE = VAR_DIR / "vapid.json"
# Seconds a signed VAPID JWT is used before it is re-signed (push services accept at most 24 h).
VAPID_TOKEN_LIFETIME = env.int("VAPID_TOKEN_LIFETIME", default=12 * 3600)
WEBPUSH_TIMEOUT = env.float("WEBPUSH_TIMEOUT", default=10.0)  # seconds to connect / to read a push response
WEBPUSH_CONCURRENCY = env.int("WEBPUSH_CONCURRENCY", default=32)  # parallel pushes per worker process
# Email: seconds before an SMTP connection or command gives up (retried later).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# SMS: dotted path of the backend, like EMAIL_BACKEND. HttpSmsBackend reads the SMS_HTTP_* settings.
SMS_BACKEND = env.str("SMS_BACKEND", default="messaging.channels.sms.ConsoleSmsBackend")
SMS_FROM = env.str("SMS_FROM", default="Hub")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_AUTH = env.str("SMS_HTTP_AUTH", default="none")  # none | basic | header
SMS_HTTP_USERNAME = env.str("SMS_HTTP_USERNAME", default="")  # basic auth
SMS_HTTP_PASSWORD = env.str("SMS_HTTP_PASSWORD", default="")  # basic auth
SMS_HTTP_HEADER = env.str("SMS_HTTP_HEADER", default="Authorization")  # header auth: its name ...
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")  # ... and value, e.g. "AccessKey xyz" or "Bearer xyz"
SMS_HTTP_BODY = env.str("SMS_HTTP_BODY", default="form")  # form | json
# The request body as a template: "{to}", "{from}" and "{text}" are filled in, e.g. Twilio
# {"To": "{to}", "From": "{from}", "Body": "{text}"}; MessageBird {"recipients": ["{to}"], ...}.
SMS_HTTP_FIELDS = env.json("SMS_HTTP_FIELDS", default={"To": "{to}", "From": "{from}", "Body": "{text}"})
SMS_HTTP_ID_FIELD = env.str("SMS_HTTP_ID_FIELD", default="sid")  # dotted path of the message id in the answer
SMS_HTTP_RETRY_STATUSES = env.list("SMS_HTTP_RETRY_STATUSES", cast=int, default=[408, 425, 429, 500, 502, 503, 504])
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
# The send pipeline (README "Messaging"): deliveries are planned in chunks and sent in batches, one task each.
MESSAGING_PLAN_CHUNK = env.int("MESSAGING_PLAN_CHUNK", default=2000)  # plans inserted per transaction
MESSAGING_SEND_BATCH = env.int("MESSAGING_SEND_BATCH", default=500)  # deliveries per send task
MESSAGING_MAX_ATTEMPTS = env.int("MESSAGING_MAX_ATTEMPTS", default=5)  # sends tried before a delivery fails
MESSAGING_RETRY_BASE_SECONDS = env.int("MESSAGING_RETRY_BASE_SECONDS", default=30)  # doubles per attempt ...
MESSAGING_RETRY_MAX_SECONDS = env.int("MESSAGING_RETRY_MAX_SECONDS", default=3600)  # ... up to this
# Queued or sending rows older than this are re-queued by the sweep; must exceed Q_TIMEOUT (system check).
MESSAGING_STUCK_AFTER_SECONDS = env.int("MESSAGING_STUCK_AFTER_SECONDS", default=300)
# The mailto: of List-Unsubscribe on marketing email; point it at a mailbox that processes unsubscribes.
MESSAGING_UNSUBSCRIBE_MAILTO = env.str("MESSAGING_UNSUBSCRIBE_MAILTO", default="")

# --- preferences ---
# Signed links to the preference center and inbox stay valid this long (unsubscribe links never expire).
PREFERENCES_LINK_MAX_AGE_DAYS = env.int("PREFERENCES_LINK_MAX_AGE_DAYS", default=90)
PREFERENCES_DOUBLE_OPT_IN_MAX_AGE_DAYS = env.int("PREFERENCES_DOUBLE_OPT_IN_MAX_AGE_DAYS", default=7)
# Stored on each consent record given on our pages: bump it whenever the wording of the page changes.
PREFERENCES_WORDING_VERSION = env.str("PREFERENCES_WORDING_VERSION", default="2026-11")
# Public pages need no login, so they are rate limited per IP and the "email me a new link" per customer.
PREFERENCES_PAGE_HITS_PER_MINUTE = env.int("PREFERENCES_PAGE_HITS_PER_MINUTE", default=60)
PREFERENCES_LINK_EMAILS_PER_HOUR = env.int("PREFERENCES_LINK_EMAILS_PER_HOUR", default=3)
# Global cap on marketing messages per customer in any 24 hours, on top of their own choice; 0 = none.
MARKETING_MAX_PER_DAY = env.int("MARKETING_MAX_PER_DAY", default=3)
# IP and user agent on consent records are cleared after this many days (consent_ip_purge).
CONSENT_IP_RETENTION_DAYS = env.int("CONSENT_IP_RETENTION_DAYS", default=3 * 365)
# One name in the OpenAPI schema for the channel choices used by several fields.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["ChannelEnum"] = "preferences.models.Channel"

# --- links ---
# The redirect reads a cached snapshot of each link. Edits clear it at once in a shared cache (REDIS_URL); with
# the default per-process local-memory cache, other processes see an edit within this many seconds.
LINKS_CACHE_SECONDS = env.int("LINKS_CACHE_SECONDS", default=60)
# Largest PNG a client may ask for with /l/<slug>/qr.png?size=N (pixels per side).
LINKS_QR_PNG_MAX_SIZE = env.int("LINKS_QR_PNG_MAX_SIZE", default=2048)
# Behind a reverse proxy the client's address is the first X-Forwarded-For hop; only trust it when the proxy
# sets it, or anyone can choose the address that gets hashed.
LINKS_TRUST_X_FORWARDED_FOR = env.bool("LINKS_TRUST_X_FORWARDED_FOR", default=False)
# Plain clicks are appended to a local spool file and inserted in batches by a thread in each web process
# (links/spool.py): on by default in production, off in development and tests, where each click is one INSERT.
LINKS_CLICK_SPOOL = env.bool("LINKS_CLICK_SPOOL", default=not DEBUG)
LINKS_CLICK_SPOOL_DIR = env.path("LINKS_CLICK_SPOOL_DIR", default=VAR_DIR / "click-spool")
LINKS_CLICK_SPOOL_SECONDS = env.float("LINKS_CLICK_SPOOL_SECONDS", default=1.0)
# Adds /__bench__/redirect, a constant redirect that `python -m bench.links` compares /l/<slug> with.
BENCH_BASELINE = env.bool("BENCH_BASELINE", default=False)

# --- campaigns ---
# Customers entered per committed batch when a broadcast fans out (each batch: entries and deliveries).
CAMPAIGNS_FANOUT_BATCH = env.int("CAMPAIGNS_FANOUT_BATCH", default=2000)
