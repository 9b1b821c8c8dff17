"""Claimtrack settings: one module, every value from the environment.

Laptop defaults (CLAIMTRACK_ENV=development): SQLite in ./var, tasks run in process.
Production (CLAIMTRACK_ENV=production, or DEBUG off): PostgreSQL via DATABASE_URL, Redis via
CELERY_BROKER_URL, and a real SECRET_KEY or the process refuses to start.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.dbrouter import replica_database
from config.env import (
    env_bool,
    env_database,
    env_float,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CLAIMTRACK_VAR_DIR", str(BASE_DIR / "var")))

CLAIMTRACK_ENV = env_str("CLAIMTRACK_ENV", "development").strip().lower()
if CLAIMTRACK_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"CLAIMTRACK_ENV={CLAIMTRACK_ENV!r}: use 'development' or 'production'."
    )
PRODUCTION = CLAIMTRACK_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

_DEV_SECRET_KEY = "claimtrack-development-only-insecure-secret-key-do-not-deploy"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if (PRODUCTION or not DEBUG) and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when "
        "CLAIMTRACK_ENV=production or DEBUG is off; the development key is refused."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names served in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:
    # gunicorn serves the admin's static files itself; runserver does so in DEBUG.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project templates win over every app's: admin/base_site.html here (the inbox count
        # in every admin page's header) would otherwise lose to django.contrib.admin's own.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when CLAIMTRACK_ENV=production.")
    # CACHE_URL: throttling counts and the API's Last-Modified moments must be shared by every
    # web process; per-process caches throttle each one apart and could answer a stale 304.
    for _required in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        if not env_str(_required).strip():
            raise ImproperlyConfigured(
                f"{_required} must be set when CLAIMTRACK_ENV=production (PostgreSQL and Redis)."
            )

_default_db = f"sqlite:///{VAR_DIR / 'claimtrack.sqlite3'}"
DATABASES = {"default": env_database("DATABASE_URL", _default_db)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite waits for a writer lock instead of failing at once when the demo server and
    # an in-process task write at the same moment.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
# Only behind a TLS proxy that sets the header itself; otherwise clients could forge it.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Messages in the session, not in a cookie: a new API token is shown once as a message, and a
# signed cookie is readable by whoever holds it.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    # No anonymous writes anywhere; each view opens what it serves explicitly.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "claims.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the browsable API, staff
    ],
    "DEFAULT_THROTTLE_CLASSES": ["claims.api.auth.ClientRateThrottle"],
    # Anonymous readers are throttled per address: REMOTE_ADDR unless this many proxies of
    # ours stand in front and append to X-Forwarded-For. Left unset, DRF would take the whole
    # header as the address, and a client could pick a new one with every request.
    "NUM_PROXIES": env_int("CLAIMTRACK_API_NUM_PROXIES", 0, minimum=0),
    "DEFAULT_THROTTLE_RATES": {
        # Anonymous readers, per address; token holders get their client's own rate.
        "anon": env_str("CLAIMTRACK_API_ANON_RATE", "120/min"),
        "user": env_str("CLAIMTRACK_API_USER_RATE", "1200/min"),
    },
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "claims.api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "claims.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Claimtrack API",
    "DESCRIPTION": "Published fact-checks of claims in the news, as JSON and ClaimReview; "
                   "article submission; webhooks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs UI's scripts ship in a package (drf-spectacular-sidecar): nothing from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
# The organisation that publishes the verdicts (ClaimReview "author").
CLAIMTRACK_PUBLISHER_NAME = env_str("CLAIMTRACK_PUBLISHER_NAME", "Claimtrack desk")
CLAIMTRACK_PUBLISHER_URL = env_str("CLAIMTRACK_PUBLISHER_URL", "")
# Webhooks may go to localhost and private networks (development and tests only): otherwise any
# API client could make the server call internal services.
CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE = env_bool("CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE", False)
if PRODUCTION and CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE:
    raise ImproperlyConfigured(
        "CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE must be off when CLAIMTRACK_ENV=production.")
# Throttling counts in the cache: shared between web processes only with a shared cache.
_cache_url = env_redis_url("CACHE_URL")
CACHES = {"default": (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
    if _cache_url else
    {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
)}

# --- Celery -------------------------------------------------------------------------------
# Unset broker: the embedded default runs every task in process, right after the commit.
CELERY_BROKER_URL = env_redis_url("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    # Never used while tasks run in process; named so Celery does not look for a local broker.
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str(
    "CELERY_RESULT_BACKEND", "" if CELERY_TASK_ALWAYS_EAGER else CELERY_BROKER_URL
) or None
# Tasks write their outcome to the database (the source of truth); results are not read.
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only after it finished, and re-queued if its worker dies, so a
# killed worker loses nothing; tasks are idempotent, so a second delivery is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: long extraction jobs don't sit behind each other.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 30, 5)
# Redis re-delivers an unacknowledged message after this long; above the hard time limit so
# a running task is never delivered twice just for being slow.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 4}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When the broker is down, a web request gives up publishing quickly: the article row is
# already committed as pending and the sweep enqueues it once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "claimtrack")
# One queue per stage (config/celery.py routes each task): extraction on the default queue,
# then "<default>.match", "<default>.webhooks" and "<default>.sweeps". A worker started
# without -Q consumes all of them; -Q picks stages to scale one on its own.
CELERY_TASK_QUEUES = [
    Queue(name) for name in (CELERY_TASK_DEFAULT_QUEUE, *(
        f"{CELERY_TASK_DEFAULT_QUEUE}.{stage}"
        for stage in ("match", "webhooks", "sweeps", "fetch")))
]
CELERY_TASK_ROUTES = ("config.celery.route_task",)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = True

# --- Claimtrack -----------------------------------------------------------------------------
# Largest article accepted, in bytes of UTF-8 text or HTML (a long feature is ~100 kB).
CLAIMTRACK_ARTICLE_MAX_BYTES = env_int("CLAIMTRACK_ARTICLE_MAX_BYTES", 2_000_000, minimum=1000)
# The largest API request body: an article's text or HTML at the limit, JSON-escaped (a byte
# may take up to six, "\u0001"), plus room for the metadata. Django refuses bodies over
# DATA_UPLOAD_MAX_MEMORY_SIZE on its own (2.5 MiB by default); the two agree, so an article
# the API accepts is never refused below it, and anything over gets the API's JSON 413.
CLAIMTRACK_API_MAX_BODY_BYTES = CLAIMTRACK_ARTICLE_MAX_BYTES * 6 + 65536
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, CLAIMTRACK_API_MAX_BODY_BYTES)
# Recovery (docs/reliability.md). A message the broker took but no worker ran is sent again
# once it is this old and the stage's queue is empty or the broker restarted since: longer
# than the hard time limit, so a message a worker holds while it finishes another task is
# not mistaken for a lost one.
CLAIMTRACK_PENDING_TIMEOUT = env_int(
    "CLAIMTRACK_PENDING_TIMEOUT", CELERY_TASK_TIME_LIMIT * 2, minimum=CELERY_TASK_TIME_LIMIT + 1)
# A lease (extraction or a matching pass) older than this belongs to a dead worker and is
# handed back; longer than the hard time limit, so a task still running is never taken over.
CLAIMTRACK_PROCESSING_TIMEOUT = env_int(
    "CLAIMTRACK_PROCESSING_TIMEOUT", CELERY_TASK_TIME_LIMIT * 2,
    minimum=CELERY_TASK_TIME_LIMIT + 1,
)
CLAIMTRACK_MAX_ATTEMPTS = env_int("CLAIMTRACK_MAX_ATTEMPTS", 5, minimum=1)
CLAIMTRACK_SWEEP_INTERVAL = env_int("CLAIMTRACK_SWEEP_INTERVAL", 60, minimum=5)
# A matching pass handles at most this many claims, and stops early at half the soft time
# limit, then hands the rest to a new task: a long article is matched in chunks that each
# finish inside the limit (~0.5 s a claim measured in docs/benchmarks.md: 100 take ~50 s).
CLAIMTRACK_MATCH_CHUNK = env_int("CLAIMTRACK_MATCH_CHUNK", 100, minimum=1)
# At most this many claims an article (the most check-worthy): a long article costs bounded
# work in extraction, matching and on the desk's pages.
CLAIMTRACK_ARTICLE_MAX_CLAIMS = env_int("CLAIMTRACK_ARTICLE_MAX_CLAIMS", 120, minimum=1)

# Matching compares the propositions claims bear on (claims/engine/propositions.py): the
# thresholds for joining a proposition and for a suggested link are the engine's, chosen on
# training data for a measured precision (docs/quality.md), with and without the dense extra.
# After a bulk import of fact-checks, the claims of this many recent days are matched again.
CLAIMTRACK_REMATCH_DAYS = env_int("CLAIMTRACK_REMATCH_DAYS", 30, minimum=0)
CLAIMTRACK_MATCH_CANDIDATES = env_int("CLAIMTRACK_MATCH_CANDIDATES", 20, minimum=1)
# On PostgreSQL, more than 0: candidates come from a claim's rarest words, as many as the
# claims holding them stay within this many index entries, so the query's cost no longer
# grows with the table. Off (0, every word) until it keeps the dev files' figures: at 5000
# the propositions' B3-F1 x side fell from 0.681 to 0.679 (docs/benchmarks.md, quality.md).
CLAIMTRACK_MATCH_CANDIDATE_ROWS = env_int("CLAIMTRACK_MATCH_CANDIDATE_ROWS", 0, minimum=0)
# Suggested claim-to-claim links kept per claim, the best first.
CLAIMTRACK_MATCH_LINKS_MAX = env_int("CLAIMTRACK_MATCH_LINKS_MAX", 3, minimum=1)
# Sentence embeddings in matching: "auto" uses the optional dense extra when it is installed,
# "off" never does, "on" requires it (a worker without it fails at its first match).
CLAIMTRACK_MATCH_DENSE = env_str("CLAIMTRACK_MATCH_DENSE", "auto").lower()
if CLAIMTRACK_MATCH_DENSE not in ("auto", "on", "off"):
    raise ImproperlyConfigured(
        f"CLAIMTRACK_MATCH_DENSE must be auto, on or off, not {CLAIMTRACK_MATCH_DENSE!r}.")
# Fact-checks are compared with the claim's content alone, and must share 3 terms or more.
# 0.65 has the best F0.5 (precision weighted) on the retrieval train qrels, Snopes and
# PolitiFact pooled: P 0.66, R 0.16 (`manage.py calibrate_matching`; docs/quality.md,
# "Fact-check suggestion threshold"). Queries there are tweets, longer than extracted claims.
CLAIMTRACK_MATCH_FACTCHECK_MIN = env_float("CLAIMTRACK_MATCH_FACTCHECK_MIN", 0.65)

CELERY_BEAT_SCHEDULE = {
    "articles-sweep": {
        "task": "claims.tasks.articles_sweep_task",
        "schedule": CLAIMTRACK_SWEEP_INTERVAL,
    },
    # Webhook retries wait 30 s and more: a minute's sweep keeps them near their time.
    "webhooks-sweep": {"task": "claims.tasks.webhooks_sweep_task", "schedule": 60},
}

# --- Operations: health, readiness, metrics ---------------------------------------------------
# docs/operations.md. /health/, /ready/ and /metrics are answered first, before anything asks
# for the request's host (claims/health.py); every other request is timed from the next layer.
MIDDLEWARE[0:0] = ["claims.health.OperationsMiddleware",
                   "claims.metrics.RequestMetricsMiddleware"]
# Seconds /ready/ waits for the broker to accept a connection.
CLAIMTRACK_READY_TIMEOUT = env_float("CLAIMTRACK_READY_TIMEOUT", 2.0, low=0.1, high=30.0)
# A cache or database that stops answering fails a request within seconds instead of holding
# it for minutes, and /ready/ says which; a connect_timeout in DATABASE_URL wins.
if _cache_url:
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 2, "socket_timeout": 5})
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
# /metrics answers requests that come straight (not through a proxy) from these addresses
# (IPs or CIDR networks, comma-separated; empty: none), and any bearer of the token.
CLAIMTRACK_METRICS_ALLOW = env_list("CLAIMTRACK_METRICS_ALLOW", ["127.0.0.1/32", "::1/128"])
for _network in CLAIMTRACK_METRICS_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"CLAIMTRACK_METRICS_ALLOW: {_network!r} is not an IP address or network.") from None
CLAIMTRACK_METRICS_TOKEN = env_str("CLAIMTRACK_METRICS_TOKEN", "").strip()
if CLAIMTRACK_METRICS_TOKEN and len(CLAIMTRACK_METRICS_TOKEN) < 24:
    raise ImproperlyConfigured(
        "CLAIMTRACK_METRICS_TOKEN must be at least 24 characters (a random value), or unset.")

# --- Read replica ------------------------------------------------------------------------------
# docs/scaling.md, "Read replicas". Optional: a PostgreSQL standby of DATABASE_URL that read-only
# API requests read from (config/dbrouter.py); unset or empty, everything reads the primary.
# The router and the middleware stay installed either way and change nothing without it.
if env_str("DATABASE_REPLICA_URL").strip():
    DATABASES["replica"] = replica_database(
        replica=env_database("DATABASE_REPLICA_URL", ""), primary=DATABASES["default"],
        variable="DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        # As the primary's, above: a standby that stops answering fails a request in seconds.
        DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", 5)
DATABASE_ROUTERS = ["config.dbrouter.ReplicaRouter"]
MIDDLEWARE.append("config.dbrouter.ApiReadsMiddleware")

# --- Ingestion channels: articles by URL, RSS/Atom feeds, fact-check import ---------------------
# Fetching pages (claims/fetch.py, docs/ingestion.md). Seconds: a server that cannot accept the
# connection in 5 s or send the next bytes within 15 s is treated as down, and no fetch takes
# longer than 30 s in all, so a few slow sites cannot tie up the workers.
CLAIMTRACK_FETCH_CONNECT_TIMEOUT = env_int("CLAIMTRACK_FETCH_CONNECT_TIMEOUT", 5, minimum=1)
CLAIMTRACK_FETCH_READ_TIMEOUT = env_int("CLAIMTRACK_FETCH_READ_TIMEOUT", 15, minimum=1)
CLAIMTRACK_FETCH_TOTAL_TIMEOUT = env_int("CLAIMTRACK_FETCH_TOTAL_TIMEOUT", 30, minimum=1)
CLAIMTRACK_FETCH_MAX_REDIRECTS = env_int("CLAIMTRACK_FETCH_MAX_REDIRECTS", 5, minimum=0)
# A page larger than the largest article accepted would be refused after the download anyway.
CLAIMTRACK_FETCH_MAX_BYTES = env_int(
    "CLAIMTRACK_FETCH_MAX_BYTES", CLAIMTRACK_ARTICLE_MAX_BYTES, minimum=1000)
# Hosts ("host" or "host:port") that may be local or private, for development and tests;
# otherwise anyone who can submit a URL or a feed could make the server call internal services.
CLAIMTRACK_FETCH_ALLOW_HOSTS = env_list("CLAIMTRACK_FETCH_ALLOW_HOSTS", [])
if PRODUCTION and CLAIMTRACK_FETCH_ALLOW_HOSTS:
    raise ImproperlyConfigured(
        "CLAIMTRACK_FETCH_ALLOW_HOSTS must be empty when CLAIMTRACK_ENV=production.")
# A feed failing this many polls in a row is flagged for the desk (and keeps being polled,
# further and further apart: interval x 2^failures, at most CLAIMTRACK_FEED_MAX_BACKOFF s).
CLAIMTRACK_FEED_FLAG_AFTER = env_int("CLAIMTRACK_FEED_FLAG_AFTER", 5, minimum=1)
CLAIMTRACK_FEED_MAX_BACKOFF = env_int("CLAIMTRACK_FEED_MAX_BACKOFF", 86400, minimum=300)
# Entries taken from one poll, newest first: a feed's first poll or a flood of entries is
# spread over several polls instead of one long task.
CLAIMTRACK_FEED_MAX_ENTRIES = env_int("CLAIMTRACK_FEED_MAX_ENTRIES", 100, minimum=1)
# Due feeds are looked for every minute; fetches whose message was lost are sent again.
CELERY_BEAT_SCHEDULE["feeds-poll"] = {"task": "claims.tasks.feeds_poll_due_task",
                                      "schedule": 60}
CELERY_BEAT_SCHEDULE["fetches-sweep"] = {"task": "claims.tasks.fetches_sweep_task",
                                         "schedule": CLAIMTRACK_SWEEP_INTERVAL}

# --- Desk notifications -----------------------------------------------------------------------
# E-mail for those who chose it (claims/notifications.py). The console backend prints mails to
# the log: the demo needs no mail server. SMTP: EMAIL_BACKEND=
# django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST and friends.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Mail goes out from a worker after the desk's change commits (claims.tasks, on the webhooks
# queue): a mail server that does not answer holds that worker this long, then it retries.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "claimtrack@localhost")
# The address the desk reaches this site at, for links in e-mails (e.g.
# https://claims.example.org); empty: mails carry the path alone.
CLAIMTRACK_PUBLIC_URL = env_str("CLAIMTRACK_PUBLIC_URL", "").strip()
if CLAIMTRACK_PUBLIC_URL and not CLAIMTRACK_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"CLAIMTRACK_PUBLIC_URL={CLAIMTRACK_PUBLIC_URL!r} must start with https:// or http://.")


LOG_LEVEL = env_str("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # In process, kombu notes that the unused memory:// broker has no host name.
        "kombu.connection": {"level": "ERROR" if CELERY_TASK_ALWAYS_EAGER else "WARNING"},
    },
}
