"""Settings for the dry needling clinic app: one module, driven by the environment.

Every value comes from an environment variable parsed strictly (see clinic/env.py). A bad
value stops start-up with a message naming the variable. There is no fallback SECRET_KEY
outside DEBUG.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from clinic.common.security_headers import content_security_policy
from clinic.env import env_bool, env_int, env_list, env_str, env_time_zone

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. It is required unless DEBUG=1; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    # Development only: a key generated once per checkout, kept out of git.
    key_file = BASE_DIR / ".dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "auditlog",
    "clinic",
    "patients",
    "needling",
    "patients.intake",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.common.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clinic.common.session_renewal.SessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # AxesMiddleware must be last: it turns lockouts into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "clinic.common.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------

_DEFAULT_DATABASE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
_database_url = env_str("DATABASE_URL", _DEFAULT_DATABASE_URL)
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["CONN_MAX_AGE"] = 0
    # IMMEDIATE transactions take the write lock at BEGIN, so two bookings of one slot are
    # serialised instead of both reading "free" and both writing.
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off on long analytic queries, and costs a report page 20 ms
    # or more whenever a short query's estimated cost crosses jit_above_cost (an outcomes
    # report over a longer range did; docs/performance.md). Options from the URL are kept.
    _options = _database.setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
else:
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL (postgres://...) or SQLite (sqlite:///...)."
    )
DATABASES = {"default": _database}
IS_POSTGRES = _database["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------

AUTH_USER_MODEL = "clinic.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# URL names reachable without logging in. tests/clinic/test_access.py proves that every
# other URL pattern requires login. The screening API authenticates itself (session or API
# token) and answers 401 JSON instead of redirecting a machine client to a login page. A
# therapist's calendar feed is read by calendar clients with no session: its secret token is
# the key (clinic/booking/feed.py).
PUBLIC_URL_NAMES = frozenset(
    {
        "login",
        "health",
        "admin:login",
        "api_screening_evaluate",
        "booking:calendar_feed",
        # Patient links (patients/intake/): the token (and the date of birth) is the check.
        "intake:open",
        "intake:step",
        "intake:done",
        "intake:appointment",
    }
)

# Idle expiry: a session lives SESSION_IDLE_MINUTES after its last renewal. Requests renew it
# at most once a minute (clinic/common/session_renewal.py), not with a write on every request: the
# user is logged out after SESSION_IDLE_MINUTES idle minutes, at most one minute early.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes): lock a username from an address after repeated failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0) or None
AXES_VERBOSE = False

# Audit trail (django-auditlog): the audited models are listed in clinic/audit.py.
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Security (behind a TLS-terminating proxy in production) ------------------------------

HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) and Permissions-Policy: clinic/common/security_headers.py.
CONTENT_SECURITY_POLICY = content_security_policy(https=HTTPS)

# --- Internationalisation and time ---------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("CLINIC_TIME_ZONE", "America/Los_Angeles")
USE_I18N = True
USE_TZ = True

# --- Static and private files --------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `collectstatic` writes here; WhiteNoise serves it (with DEBUG off) from the manifest.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
# Files that only authorised views may hand out (PDF plans, consent copies, exports).
# Deliberately not under STATIC_ROOT and never served by a public URL.
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(BASE_DIR / "private")) or "")
STORAGES = {
    "default": {
        "BACKEND": "clinic.common.storage.PrivateStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT},
    },
    # The manifest storage whatever DEBUG says, so that `collectstatic` always writes
    # staticfiles.json (with DEBUG off every page needs it: a missing entry is a 500). With
    # DEBUG on, Django's manifest storage links the unhashed names, so `make run` needs no
    # collectstatic. STATIC_MANIFEST=0 (the test settings) serves straight from the folders.
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# crispy adds the widget's class name as a CSS class: clinic.common.widgets.FastSelect renders as a
# Django Select does, so it gets Select's class too.
CRISPY_CLASS_CONVERTERS = {"fastselect": "select"}

# --- Redis, cache and Celery ----------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
# Without a broker there is no worker: tasks run in-process and errors propagate.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", REDIS_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}
# Appointment reminders: every 10 minutes, send those due (see patients/intake/reminders.py).
CELERY_BEAT_SCHEDULE["appointment-reminders"] = {
    "task": "clinic.send_due_reminders",
    "schedule": 600.0,
}
# PDF plan jobs still pending (e.g. the broker was down at approval) are sent again.
CELERY_BEAT_SCHEDULE["needling-plan-documents-sweep"] = {
    "task": "needling.plans.tasks.plan_documents_sweep_task",
    "schedule": 60.0,
}

# --- Email ---------------------------------------------------------------------------------

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "clinic@localhost")

# --- Clinic --------------------------------------------------------------------------------

CLINIC_NAME = env_str("CLINIC_NAME", "Bay Dry Needling Clinics")
# The patient page names the screening engine's patient-level findings through this hook, so
# that `patients` never imports `needling`.
PATIENT_FINDINGS_PROVIDER = "needling.plans.patient_findings.patient_findings"
# Appointment reminder emails go out this many hours before the appointment.
APPOINTMENT_REMINDER_HOURS = env_int("APPOINTMENT_REMINDER_HOURS", 24, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}
# Reports: export files are deleted after 7 days (clinic/reports/services.py).
CELERY_BEAT_SCHEDULE["reports-export-purge"] = {
    "task": "clinic.reports.tasks.export_jobs_purge_task",
    "schedule": 3600.0,
}
# Export jobs left pending (the broker was down) or whose worker died are sent again.
CELERY_BEAT_SCHEDULE["reports-export-sweep"] = {
    "task": "clinic.reports.tasks.export_jobs_sweep_task",
    "schedule": 60.0,
}

# --- Patient intake links (patients/intake/) ------------------------------------------------

# The address patients reach the clinic at, for links in emails sent without a request (the
# appointment reminders).
CLINIC_BASE_URL = env_str("CLINIC_BASE_URL", "http://127.0.0.1:8000") or ""
# Text messages: patients.intake.sms.ConsoleSmsBackend (log only) or .TwilioSmsBackend.
SMS_BACKEND = env_str("SMS_BACKEND", "patients.intake.sms.ConsoleSmsBackend")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "") or ""
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "") or ""
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "") or ""
# Opening a patient link: at most this many requests per window per client address and per
# token.
INTAKE_THROTTLE_WINDOW_SECONDS = env_int("INTAKE_THROTTLE_WINDOW_SECONDS", 600, minimum=1)
INTAKE_THROTTLE_PER_IP = env_int("INTAKE_THROTTLE_PER_IP", 120, minimum=1)
INTAKE_THROTTLE_PER_TOKEN = env_int("INTAKE_THROTTLE_PER_TOKEN", 60, minimum=1)

# Exports with more rows than this run as a background job with a progress bar.
REPORTS_EXPORT_ASYNC_ROWS = env_int("REPORTS_EXPORT_ASYNC_ROWS", 5000)
