"""Settings: safe, self-contained defaults; production overrides them by environment variables.

With nothing set the portal runs on a SQLite file, runs Celery tasks in-process and writes
notifications to the console (and keeps them in the database). See README "Configuration".
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
# Without a key the web process and the workers refuse to start (portal/startup.py); commands
# that need no secret, such as makemigrations, still run.
SECRET_KEY_MISSING = not SECRET_KEY

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Absolute address of the portal, used in links inside e-mails and text messages.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # allauth's list of security keys loads it
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_fsm",
    "requests_app",
    "workflows",
    "portal",
    "demo",  # demo data, the demo platform and their commands (never imported by the rest)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.NoStoreMiddleware",
    "portal.middleware.RefuseUnstorableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.AuditOriginMiddleware",
    "portal.middleware.StaffSecondFactorMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.staff_roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# The processor's platform database, which the platform connector reads and erases in. Without
# PLATFORM_DATABASE_URL it is the portal's own database (the demo platform tables live there).
if os.environ.get("PLATFORM_DATABASE_URL"):
    DATABASES["platform"] = dj_database_url.parse(os.environ["PLATFORM_DATABASE_URL"])
PLATFORM_DATABASE = "platform" if "platform" in DATABASES else "default"
PLATFORM_MAPPING = os.environ.get(
    "PLATFORM_MAPPING", "workflows.assistance.connectors.platform_mapping.DEMO_MAPPING"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits and sign-in attempt counters live in the cache: share it between web workers in
# production (CACHE_URL=redis://…); without it each process counts on its own.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Intake: per e-mail address (web and app) and per IP address (web), per hour.
INTAKE_LIMIT_PER_EMAIL = int(os.environ.get("INTAKE_LIMIT_PER_EMAIL", "5"))
INTAKE_LIMIT_PER_IP = int(os.environ.get("INTAKE_LIMIT_PER_IP", "20"))

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Staff sign in with a personal account; there is no public sign-up.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "portal.accounts.StaffAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
# Mail subjects carry the portal's name in their own text, not "[site domain] ".
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# allauth names the signed-in user in its pages and messages: never the internal user name
# (a patient's is "patient-<digest>"), only the address they know.
ACCOUNT_USER_DISPLAY = "portal.accounts.user_display"
# Patients sign in with a 6-digit code mailed to the address of their request, through our own
# flow (portal.views.signin, workflows.accounts.patient_signin), not allauth's: staff never sign
# in by code, and tries are counted per account on the server.
ACCOUNT_LOGIN_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False

# Patients may instead sign in through an OpenID Connect identity broker (the usual way to reach
# DigiD). It then replaces both codes: the e-mail code and the SMS code before a download. The
# broker's BSN claim (or a verified e-mail claim) finds the patient's requests; staff never sign
# in this way.
OIDC_SERVER_URL = os.environ.get("OIDC_SERVER_URL", "")  # the broker's issuer URL
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_NAME = os.environ.get("OIDC_NAME", "DigiD")
OIDC_BSN_CLAIM = os.environ.get("OIDC_BSN_CLAIM", "bsn")
OIDC_PROVIDER_ID = "broker"
SOCIALACCOUNT_ADAPTER = "portal.accounts.PatientBrokerAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # matching is done by the adapter, never by allauth
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": OIDC_PROVIDER_ID,
                    "name": OIDC_NAME,
                    "client_id": OIDC_CLIENT_ID,
                    "secret": OIDC_CLIENT_SECRET,
                    "settings": {"server_url": OIDC_SERVER_URL},
                }
            ]
            if OIDC_SERVER_URL and OIDC_CLIENT_ID
            else []
        ),
    }
}

# Staff need a second factor before they see any patient data (portal.middleware).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Privacyverzoeken"
# A code is accepted in the step before and after the current one (a code typed just as it
# rolled over still works); allauth marks each accepted code used, so none works twice.
MFA_TOTP_TOLERANCE = 1
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG  # the demo runs on http://127.0.0.1

# Staff are invited by e-mail (workflows.onboarding.invitations): the link works once, for this
# many hours. A practice administrator is reminded once a year, from this month on, to review who
# has access to the practice (accounts not used for 90 days are listed).
STAFF_INVITATION_HOURS = int(os.environ.get("STAFF_INVITATION_HOURS", "72"))
ACCESS_REVIEW_MONTH = int(os.environ.get("ACCESS_REVIEW_MONTH", "1"))

# Sessions end after 15 minutes without activity.
SESSION_COOKIE_AGE = 15 * 60
SESSION_SAVE_EVERY_REQUEST = True
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "staff:queue"  # patients: see StaffAccountAdapter.get_login_redirect_url
ACCOUNT_LOGOUT_REDIRECT_URL = "intake:start"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Amsterdam"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# HTTPS=1 in production (behind TLS): redirects, HSTS and secure cookies.
HTTPS = env_bool("HTTPS", PORTAL_BASE_URL.startswith("https"))
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script anywhere; images may be data: URIs (the authenticator QR code).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# --- Background work -------------------------------------------------------------------------
# No broker configured: tasks run eagerly inside the web process (embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down: fail fast, the sweep catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "workflows.tasks.sweep_outbox", "schedule": 60.0},
    "daily-digest": {
        "task": "workflows.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    "purge-expired": {
        "task": "workflows.tasks.purge_expired",
        "schedule": crontab(hour=3, minute=15),
    },
    "escalate-unacknowledged": {
        "task": "workflows.tasks.escalate_unacknowledged",
        "schedule": crontab(minute="*/30"),
    },
    "subprocessor-changes-take-effect": {
        "task": "workflows.tasks.subprocessor_changes_take_effect",
        "schedule": crontab(hour=0, minute=5),
    },
    # Practices not yet told of an incident, and incidents left waiting (agreement art. 5).
    "watch-incidents": {
        "task": "workflows.tasks.watch_incidents",
        "schedule": crontab(minute="*/15"),
    },
    # Support's operations: tasks past their turnaround, deadlines near, the decree days of the
    # coming year (workflows/casework/escalations.py); each message once.
    "escalate-operations": {
        "task": "workflows.tasks.escalate_operations",
        "schedule": crontab(hour=7, minute=15),
    },
    # The yearly access review: checked daily, sent once a year to each practice administrator.
    "remind-access-review": {
        "task": "workflows.tasks.remind_access_review",
        "schedule": crontab(hour=8, minute=10),
    },
    "anchor-audit-log": {
        "task": "workflows.tasks.anchor_audit_log",
        "schedule": crontab(hour=0, minute=30),
    },
    # Records since the last checkpoint are the only ones someone holding the database could cut
    # off unseen: keep that window to minutes.
    "anchor-audit-log-often": {
        "task": "workflows.tasks.anchor_audit_log_often",
        "schedule": crontab(minute="*/5"),
    },
}

# Audit records are kept at least this many years (the minimum is 5: `check` errors below it),
# and longer while a request they concern is still held. Only `manage.py prune_audit_log`, run
# as the tables' owner, removes older ones, a month at a time (docs/security.md).
AUDIT_RETENTION_YEARS = int(os.environ.get("AUDIT_RETENTION_YEARS", "5"))
# The audit chain's HMAC key. It must never be stored in the database, and must stay the same
# for the life of the log (a new key makes every record look changed). Without it a key is
# derived from SECRET_KEY; `check --deploy` asks for one of its own, so that SECRET_KEY can rotate.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
# Daily checkpoints of the chain's head are appended here, outside the database; in production
# a write-once store (object lock, WORM volume) or a mount the database's administrators cannot
# write. `verify_audit_log` checks the chain against every checkpoint it finds.
AUDIT_ANCHOR_DIR = Path(os.environ.get("AUDIT_ANCHOR_DIR", BASE_DIR / "var" / "audit-anchors"))

# Incidents (agreement art. 5): processor support and the processor's administrators hear of an
# incident whose four fields of art. 5.2 are still incomplete this many hours after it was
# recorded, and of an open incident without an update for this many days; once per such period.
INCIDENT_INCOMPLETE_HOURS = int(os.environ.get("INCIDENT_INCOMPLETE_HOURS", "4"))
INCIDENT_STALE_DAYS = int(os.environ.get("INCIDENT_STALE_DAYS", "3"))

# A request still unanswered this many working days before its legal deadline is escalated to
# its handler (or the practice's handlers) and the practice's FG, once per deadline.
DEADLINE_WARNING_WORKING_DAYS = int(os.environ.get("DEADLINE_WARNING_WORKING_DAYS", "5"))
# From this day of the year (month-day), processor support and administrators hear once when the
# table of days equated with public holidays has no day for the coming year.
DECREE_DAYS_CHECK_FROM = os.environ.get("DECREE_DAYS_CHECK_FROM", "10-01")

# A flood of new requests for one practice (more than this many within 10 minutes) is announced
# to its contacts in one combined message per 10 minutes instead of one message per request.
PRACTICE_FLOOD_THRESHOLD = int(os.environ.get("PRACTICE_FLOOD_THRESHOLD", "10"))

# The processor as the register of processing names it (GDPR art. 30(2)(a); agreement art. 3.5).
# Its incident contacts of Bijlage 5 are kept in the admin (processor contacts).
PROCESSOR_NAME = os.environ.get("PROCESSOR_NAME", "BeterDichtbij B.V.")
PROCESSOR_ADDRESS = os.environ.get("PROCESSOR_ADDRESS", "Oudlaan 4, Utrecht")
PROCESSOR_EMAIL = os.environ.get("PROCESSOR_EMAIL", "")
# A planned change of sub-processors is announced at least this many days before it takes effect,
# so each practice can consent or object in time (agreement art. 7.1).
SUBPROCESSOR_NOTICE_DAYS = int(os.environ.get("SUBPROCESSOR_NOTICE_DAYS", "30"))

# --- Notification channels -------------------------------------------------------------------
# Without credentials, messages go to the development channel (console + database).
SENDGRID_API_KEY = os.environ.get("SENDGRID_API_KEY", "")
SENDGRID_API_HOST = os.environ.get("SENDGRID_API_HOST", "https://api.sendgrid.com")
NOTIFY_FROM_EMAIL = os.environ.get("NOTIFY_FROM_EMAIL", "privacy@portal.example")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "https://api.twilio.com")

# Webhooks to API clients (issue 15). In production an address must be HTTPS and resolve to a
# public address, so a client's webhook cannot be pointed at the portal's own network (SSRF).
# Development and tests post to receivers on this machine.
WEBHOOK_ALLOW_LOCAL = env_bool("WEBHOOK_ALLOW_LOCAL", DEBUG)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))

# --- Data sources for access and erasure (agreement art. 6) --------------------------------
# The platform is always searched; a sub-processor's connector only once it has credentials.
DATA_CONNECTORS = (
    os.environ.get("DATA_CONNECTORS", "").split(",")
    if os.environ.get("DATA_CONNECTORS")
    else [
        "workflows.assistance.connectors.platform.PlatformConnector",
        *(
            ["workflows.assistance.connectors.twilio_sms.TwilioSmsConnector"]
            if TWILIO_ACCOUNT_SID
            else []
        ),
        *(
            ["workflows.assistance.connectors.sendgrid_contacts.SendGridContactsConnector"]
            if SENDGRID_API_KEY
            else []
        ),
    ]
)
# Data packages: encrypted files outside any public path; the patient's download link works for
# PACKAGE_LINK_DAYS after release and the file is removed PACKAGE_RETENTION_DAYS after release.
PACKAGE_STORAGE_DIR = Path(os.environ.get("PACKAGE_STORAGE_DIR", BASE_DIR / "var" / "packages"))
PACKAGE_LINK_DAYS = int(os.environ.get("PACKAGE_LINK_DAYS", "14"))
PACKAGE_RETENTION_DAYS = int(os.environ.get("PACKAGE_RETENTION_DAYS", "30"))
# A practice's exit archive made in the screens (AES-256 ZIP) waits here for the download; the
# destruction removes it (agreement art. 11.2). `export_practice --out DIR` writes elsewhere.
EXIT_ARCHIVE_DIR = Path(os.environ.get("EXIT_ARCHIVE_DIR", BASE_DIR / "var" / "exits"))
# The practice's own documents in an answer (PDF, images, text, XML, HL7, CSV) are stored,
# released and purged with the packages; each at most this big, at most this many per request.
PRACTICE_DOCUMENT_MAX_BYTES = int(os.environ.get("PRACTICE_DOCUMENT_MAX_BYTES", 25 * 1024 * 1024))
PRACTICE_DOCUMENT_MAX_COUNT = int(os.environ.get("PRACTICE_DOCUMENT_MAX_COUNT", "20"))
# Uploads stay in memory up to that size and are sealed from there: Django's default would write
# a large one to a plaintext temporary file first. The rest of a larger file is counted, not kept.
FILE_UPLOAD_HANDLERS = ["portal.uploads.CappedMemoryUploadHandler"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "twilio.http_client": {"level": "WARNING"},  # logs every request's headers at INFO
        "weasyprint": {"level": "WARNING"},  # logs every step of every letter's PDF at INFO
        "fontTools": {"level": "WARNING"},  # WeasyPrint's font subsetting, as chatty
    },
}
