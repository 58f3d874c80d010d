"""Behaviour shared by every environment. The environment chooses databases, secrets and hosts."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-dev-key-change-me-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "treebeard",
    "pgtrigger",
    "pghistory",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # ours, in the direction they depend in
    "alliance",
    "members",
    "accounts",
    "integrations",
    "webhooks",
    "tasks",
    "party",
    "agreements",
    "meetings",
    "dashboard",
    "audit",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After auth: who, from which address and URL, for the audit trail's triggers (audit app).
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages: the second sign-in step and the idle timeout (accounts.middleware).
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes wants to be last: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

# Audit trail (audit app, django-pghistory). Its triggers sit on other apps' tables: pgtrigger
# installs them after every `migrate` instead of writing migrations into those apps.
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True
# The time of the change itself, not of its transaction's start: events of one request keep their order.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

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
                "meetings.context_processors.liaison_nav",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs more than it saves on our short, indexed queries (measured in bench/).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    # The dashboard's covering indexes (INCLUDE columns) are a PostgreSQL optimisation; SQLite, the
    # embedded demo, builds them without those columns, which is all the demo needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+IP before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian anonymous user row: public pages do not go through object permissions.
ANONYMOUS_USER_NAME = None
# Direct foreign-key permission models (guardian's performance guide): rows on alliances only.
GUARDIAN_USER_OBJ_PERMS_MODEL = "alliance.AllianceUserObjectPermission"
GUARDIAN_GROUP_OBJ_PERMS_MODEL = "alliance.AllianceGroupObjectPermission"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.password_validation.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in protection (issue #9). Lock-out: a username from one IP address is locked after
# AXES_FAILURE_LIMIT failed logins (page, admin) for AXES_COOLOFF_TIME; a success resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
# Number of reverse proxies that append to X-Forwarded-For in front of the app (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_VERBOSE = False
# Sessions: at most 8 hours, ended when the browser closes, and after 30 idle minutes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_COOKIE_SAMESITE = "Lax"
# Second factor (TOTP, django-otp): optional for everyone; required for district admins when on.
OTP_REQUIRED_FOR_DISTRICT_ADMINS = env_bool("OTP_REQUIRED_FOR_DISTRICT_ADMINS", False)
OTP_TOTP_ISSUER = "党建共同体平台"

# Content-Security-Policy (django-csp 4): no inline script or style anywhere; the API docs pages
# relax it for themselves (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Where `manage.py backup` writes (privacy/backups.py); copy it off the machine (docs/operations.md).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "backups"))

# Redis is optional: without it the cache is local and Celery runs tasks eagerly.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", str(30 * 60)))
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
# An unacknowledged task comes back after the visibility timeout: keep it above the hard limit.
# Kombu scans for such tasks every unacked_restore_interval × throttle seconds (about 100 s), so
# a killed worker's task comes back after visibility_timeout plus up to that. A worker killed while
# it holds the scan's mutex blocks the scans until the mutex expires: keep that short.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(2 * CELERY_TASK_TIME_LIMIT))),
    "unacked_mutex_expire": 60,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an unauthenticated request is answered 401 with `WWW-Authenticate: Bearer`.
        "integrations.auth.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # An API client needs the scope its view declares in `client_scopes` (deny by default).
        "integrations.permissions.ClientScopePermission",
    ],
    # Per API client (`ApiClient.rate_limit_per_minute`); people are not throttled.
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.ApiClientRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "alliance.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "alliance.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "党建共同体平台 API",
    "DESCRIPTION": "Alliance tree, member units and memberships of the party-building alliance platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The one error shape (components/schemas/Error) on every operation; Idempotency-Key on POSTs.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrations.schema.error_responses_hook",
    ],
    # Choice sets that share a field name across models get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "AllianceKindEnum": "alliance.models.Kind",
        "AllianceLevelEnum": "alliance.models.Level",
        "UnitCategoryEnum": "members.models.Category",
        "ItemCategoryEnum": "tasks.models.Category",
        "ItemStatusEnum": "tasks.models.Status",
        "ItemEventKindEnum": "tasks.models.EventKind",
        "RatingStatusEnum": "tasks.models.RatingStatus",
        "MeetingKindEnum": "meetings.models.MeetingKind",
        "MeetingStatusEnum": "meetings.models.MeetingStatus",
        "ProposalStatusEnum": "meetings.models.ProposalStatus",
        "VoteChoiceEnum": "meetings.models.VoteChoice",
        "PublishScopeEnum": "meetings.models.PublishScope",
        # Agreements (#3): "category", "status" and "source" are shared with items and meetings.
        "ItemSourceEnum": "tasks.models.ItemSource",
        "ResourceCategoryEnum": "agreements.models.ResourceCategory",
        "NeedSourceEnum": "agreements.models.NeedSource",
        "NeedStatusEnum": "agreements.models.NeedStatus",
        "ClaimStatusEnum": "agreements.models.ClaimStatus",
        "ProjectStatusEnum": "agreements.models.ProjectStatus",
        # Party members (#8): "kind" and "status" are shared with meetings and items.
        "PostKindEnum": "party.models.PostKind",
        "PointKindEnum": "party.models.PointKind",
        # Webhooks (#7)
        "WebhookEventKindEnum": "webhooks.models.EventKind",
        "WebhookDeliveryStatusEnum": "webhooks.models.DeliveryStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # A scanner's wrong Host header is not an application error worth a traceback.
        "django.security.DisallowedHost": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # WeasyPrint logs every layout step of every PDF at INFO.
        "weasyprint.progress": {"level": "WARNING"},
        # pgtrigger names each of the audit triggers it installs after every migrate.
        "pgtrigger": {"level": "WARNING"},
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@alliance.local")
# Links in e-mails point here (the address users open the platform at).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

DEMO_DATA_ALLOWED = False  # seed_demo refuses to run unless a development setting turns this on

ALLIANCE_PLATFORM_NAME = _("党建共同体平台")

# Items (tasks app): the escalation sweep and the rating window.
ITEM_SWEEP_BATCH_SIZE = int(os.environ.get("ITEM_SWEEP_BATCH_SIZE", "500"))
ITEM_RATING_WINDOW_DAYS = int(os.environ.get("ITEM_RATING_WINDOW_DAYS", "7"))
# In-service party members come to their community on this day of each month (报到日; Dadukou: the 15th).
PARTY_REPORT_DAY = int(os.environ.get("PARTY_REPORT_DAY", "15"))

# Webhooks (#7): deliveries to other systems. http:// and private or loopback addresses are refused
# unless DEBUG or these are on (local development and tests only: they open the door to SSRF).
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
# Retry n waits WEBHOOK_RETRY_BASE_SECONDS × 2^(n-1): 30 s, 1 min, 2 min … 32 min before the 8th attempt.
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
# A subscription whose deliveries failed (every retry spent) this many times in a row is paused.
WEBHOOK_PAUSE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_PAUSE_AFTER_FAILURES", "5"))

# Beat schedules live here, in one place. With Redis, RedBeat holds a lock in Redis so that a
# second beat process stays idle instead of sending every periodic task twice.
CELERY_BEAT_SCHEDULE = {
    "escalate-overdue-items": {
        "task": "tasks.tasks.escalate_overdue_items_task",
        "schedule": float(os.environ.get("ITEM_SWEEP_INTERVAL", "60")),
    },
    "close-unrated-items": {"task": "tasks.tasks.close_unrated_items_task", "schedule": 3600.0},
    # Each invited unit is reminded once (Invitation.reminded_at), however often this runs.
    "send-meeting-reminders": {"task": "meetings.tasks.send_meeting_reminders_task", "schedule": 15 * 60.0},
    # Agreements: the due dates within the horizon become items (idempotent, so a missed or doubled
    # run is harmless); fulfilled occurrences earn their points.
    "generate-commitment-items": {
        "task": "agreements.tasks.commitment_items_generate_task", "schedule": 24 * 3600.0,
    },
    "award-points": {"task": "agreements.tasks.points_award_task", "schedule": 3600.0},
    # Webhooks: deliveries whose message was lost (broker down at commit) are enqueued again.
    "requeue-stale-webhooks": {"task": "webhooks.tasks.webhook_requeue_stale_task", "schedule": 600.0},
    # Party members (#8): orders on residents' demands that were rated well earn their points.
    "award-party-rating-points": {"task": "party.tasks.award_party_rating_points_task", "schedule": 3600.0},
    # Dashboard exports (.xlsx, quarterly PDF) and their files are kept 7 days.
    "purge-dashboard-exports": {"task": "dashboard.tasks.dashboard_exports_purge_task", "schedule": 24 * 3600.0},
    # API idempotency keys live 24 hours.
    "expire-idempotency-keys": {
        "task": "integrations.tasks.idempotency_records_expire_task", "schedule": 3600.0,
    },
}
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = os.environ.get("REDBEAT_KEY_PREFIX", "redbeat:")
    # The standby beat retries the lock every loop: short loops and a short lock mean a dead
    # leader is replaced within a minute, not ten.
    CELERY_BEAT_MAX_LOOP_INTERVAL = 10
    CELERY_REDBEAT_LOCK_TIMEOUT = 60
