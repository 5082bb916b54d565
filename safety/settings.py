"""Settings, all from the environment (django-environ).

The embedded default needs no servers: SQLite in var/ and Celery's filesystem broker. Production sets
DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis); see README "Production".
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SAFETY_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    SECURE_SSL_REDIRECT=(bool, True),
    SECURE_HSTS_SECONDS=(int, 31536000),
    SECURE_PROXY_SSL_HEADER=(bool, False),
    SECURE_HSTS_INCLUDE_SUBDOMAINS=(bool, True),
    SECURE_HSTS_PRELOAD=(bool, True),
    USE_X_FORWARDED_FOR=(bool, False),
)
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "guardian",
    "axes",
    "django_tables2",
    "django_filters",
    "treebeard",
    "csp",
    "safety",
    "enterprises",
    "approvals",
    "hazards",
    "chemicals",
    "emergency",
    "training",
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
    "csp.middleware.CSPMiddleware",
    "safety.tenancy.ActorMiddleware",
    "enterprises.middleware.LabProfileMiddleware",  # university lab users: profile first
    # Axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safety.urls"
WSGI_APPLICATION = "safety.wsgi.application"

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
                "safety.context_processors.shell",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "enterprises.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after 5 failures for a username (not per IP: offices share one NAT address).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# axes.W006 suggests locking per IP too; our users sit behind shared NAT, so per-username is the rule.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous-user row; grants are for real users only

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# ISO date input formats first (safety/formats/zh_Hans): <input type="date"> reads nothing else.
FORMAT_MODULE_PATH = ["safety.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Mail: console in development, SMTP from EMAIL_URL in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="safety@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. The embedded default is kombu's filesystem transport: no broker server, works across the
# web and worker processes. Production uses Redis.
# "localhost" only names the machine: the filesystem transport has no server (it silences kombu's warning).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_queue_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
from celery.schedules import crontab  # noqa: E402  (only the beat schedule needs it)

# Beat only enqueues; each task claims its own rows (see approvals/tasks.py).
CELERY_BEAT_SCHEDULE = {
    "deliver-notifications": {
        "task": "approvals.tasks.deliver_pending_notifications",
        "schedule": 60.0,
    },
    # Licence and certificate expiry reminders (enterprises.tasks), daily just after 00:30 local time.
    "licence-expiry-reminders": {
        "task": "enterprises.tasks.sweep_expiry_reminders",
        "schedule": crontab(hour=0, minute=35),
    },
    # Inspection tasks of filed risk lists for the new day, and past ones marked missed (hazards.tasks), just
    # after midnight local time (Asia/Shanghai): the day's checks exist when the first shift starts.
    "inspection-tasks": {
        "task": "hazards.tasks.generate_inspection_tasks",
        "schedule": crontab(hour=0, minute=5),
    },
    # Hidden hazards past their deadline become overdue (hazards.tasks), every five minutes.
    "hazard-overdue-sweep": {
        "task": "hazards.tasks.sweep_overdue_hazards",
        "schedule": 300.0,
    },
    # Hazard photos kept from failed form submissions, a day old, are deleted (hazards.tasks), daily.
    "hazard-kept-photos-purge": {
        "task": "hazards.tasks.purge_kept_hazard_photos",
        "schedule": crontab(hour=3, minute=20),
    },
    # ==== chemicals area: termination ====
    # Overdue requisitions and purchase requests terminated as a system decision (chemicals.tasks), daily just
    # after midnight local time (CELERY_TIMEZONE = Asia/Shanghai), as seed 000's records show (00:00:01).
    "chemicals-terminate-overdue-orders": {
        "task": "chemicals.tasks.terminate_overdue_orders",
        "schedule": crontab(hour=0, minute=1),
    },
    # ==== chemicals area: waste ====
    # Next Thursday's waste collection per university with routes, and collections past their registration
    # deadline (Wednesday 23:59) closed (chemicals.tasks), daily just after midnight local time.
    "waste-collections": {
        "task": "chemicals.tasks.ensure_waste_collections",
        "schedule": crontab(hour=0, minute=10),
    },
}

# Notification channels besides the in-app list. Each entry is a dotted path to an
# approvals.channels.Channel subclass; a webhook (enterprise WeChat, DingTalk) is configured by URL.
NOTIFICATION_CHANNELS = env.list("NOTIFICATION_CHANNELS", default=["approvals.channels.EmailChannel"])
NOTIFICATION_WEBHOOK_URL = env.str("NOTIFICATION_WEBHOOK_URL", default="")

# The address users reach the site at, for links in e-mails and webhooks (no request there to ask).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Only behind a proxy that overwrites X-Forwarded-For may the operation log take the client address from it.
USE_X_FORWARDED_FOR = env("USE_X_FORWARDED_FOR")

# Map: intranets have no tile server, so tiles are off unless a deployment configures its own.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")

FORM_RENDERER = "safety.forms.BootstrapFormRenderer"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# Content Security Policy: everything is served from here (vendored assets, no CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"] + ([MAP_TILE_URL.split("/{")[0]] if MAP_TILE_URL else []),
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env("SECURE_HSTS_SECONDS")
    # Intranet domains may host plain-HTTP siblings: both are switchable (README "Production").
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env("SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = env("SECURE_HSTS_PRELOAD")
    # Load balancers probe /healthz over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_CONTENT_TYPE_NOSNIFF = True
    if env("SECURE_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Excel exports bigger than this run in Celery with a progress bar (see safety/exports.py).
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=5000)

# Licences and staff certificates count as "expiring" this many days before their end date.
LICENCE_REMINDER_DAYS = env.int("LICENCE_REMINDER_DAYS", default=30)
# Largest accepted licence scan (PDF or image), in bytes.
LICENCE_SCAN_MAX_BYTES = env.int("LICENCE_SCAN_MAX_BYTES", default=10 * 1024 * 1024)
# Largest accepted hazard photo, in bytes (capped by the enterprise app's image check, 5 MB by default).
HAZARD_PHOTO_MAX_BYTES = env.int("HAZARD_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# Largest accepted image of a staff certificate (JPEG, PNG or WebP), in bytes.
CERTIFICATE_IMAGE_MAX_BYTES = env.int("CERTIFICATE_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
# Most data rows one staff Excel import may hold (bigger files are refused with a message).
STAFF_IMPORT_MAX_ROWS = env.int("STAFF_IMPORT_MAX_ROWS", default=2000)

VERBOSE_NAMES = {"site_title": _("Workplace Safety Platform")}
