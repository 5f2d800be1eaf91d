"""All settings of e-soutien. The environment is read here and nowhere else.

Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ
from whitenoise.compress import Compressor

PACKAGE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("ESOUTIEN_DATA_DIR", default="var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the data dir."""
    from_env = env.str("SECRET_KEY", default="")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("ESOUTIEN_DEBUG", default=False)
ESOUTIEN_BASE_URL = env.str("ESOUTIEN_BASE_URL", default="https://localhost:8443").rstrip("/")
ALLOWED_HOSTS = env.list("ESOUTIEN_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("ESOUTIEN_CSRF_TRUSTED_ORIGINS", default=[ESOUTIEN_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "ninja",  # serves Swagger UI from /static/, as the CSP requires
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "esoutien.core",
    "esoutien.accounts",
    "esoutien.audit",
    "esoutien.catalogue",
    "esoutien.mail",
    "esoutien.webhooks",
    "esoutien.tickets",
    "esoutien.operations",
    "esoutien.status",
    "esoutien.api",
]

MIDDLEWARE = [
    "esoutien.core.security.trusted_proxy_middleware",
    # status app: request counters for /metrics; public status pages read no session
    "esoutien.status.middleware.request_metrics_middleware",
    "esoutien.status.middleware.public_pages_middleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "esoutien.core.security.permissions_policy_middleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "esoutien.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "esoutien.api.middleware.ApiBodyLimitMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "esoutien.accounts.middleware.StaffMfaMiddleware",
    # operations: during a maintenance of e-soutien itself, 503 except for provider staff
    "esoutien.operations.middleware.MaintenanceModeMiddleware",
]

ROOT_URLCONF = "esoutien.config.urls"
WSGI_APPLICATION = "esoutien.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "esoutien.accounts.context.navigation",
                # operations: the maintenance banner (cached, one query every 30 s)
                "esoutien.operations.context.maintenance",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'esoutien.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
    # two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests use a file (not :memory:) so threads share it with the same locking as production.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-esoutien.sqlite3")}
    # Performance (issue 9): keep each thread's connection instead of opening the file and
    # running the PRAGMAs above on every request.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("ESOUTIEN_CONN_MAX_AGE", default=60))
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("ESOUTIEN_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"
# Sliding idle timeout: the session expires after this many idle minutes.
SESSION_COOKIE_AGE = 60 * env.int("ESOUTIEN_SESSION_IDLE_MINUTES", default=30)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-allauth: login by e-mail, no self-registration (accounts.adapters), MFA for staff.
ACCOUNT_ADAPTER = "esoutien.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "esoutien.accounts.sso.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # After 5 failures for one account in 15 minutes it is locked for the rest of the period.
    "login_failed": env.str("ESOUTIEN_LOGIN_FAILED_LIMIT", default="20/m/ip,5/15m/key"),
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[e-soutien] "
# Callback URLs sent to the IdP must match what it registered, also behind a proxy.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if ESOUTIEN_BASE_URL.startswith("https://") else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "e-soutien"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
USERSESSIONS_TRACK_ACTIVITY = True
# Records "log out everywhere" in the audit log (allauth sends no signal for it).
USERSESSIONS_ADAPTER = "esoutien.audit.usersessions.UserSessionsAdapter"

# Single sign-on with the Espace Opérateurs (OpenID Connect). Unset issuer: no SSO button.
ESOUTIEN_SSO_ISSUER = env.str("ESOUTIEN_SSO_ISSUER", default="")
ESOUTIEN_SSO_CLIENT_ID = env.str("ESOUTIEN_SSO_CLIENT_ID", default="")
ESOUTIEN_SSO_CLIENT_SECRET = env.str("ESOUTIEN_SSO_CLIENT_SECRET", default="")
ESOUTIEN_SSO_SCOPES = env.list("ESOUTIEN_SSO_SCOPES", default=["openid", "email", "profile"])
ESOUTIEN_SSO_OPERATOR_CLAIM = env.str("ESOUTIEN_SSO_OPERATOR_CLAIM", default="operator_code")
ESOUTIEN_SSO_ROLE_CLAIM = env.str("ESOUTIEN_SSO_ROLE_CLAIM", default="esoutien_role")
SOCIALACCOUNT_PROVIDERS = (
    {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "espace-operateurs",
                    "name": "Espace Opérateurs",
                    "client_id": ESOUTIEN_SSO_CLIENT_ID,
                    "secret": ESOUTIEN_SSO_CLIENT_SECRET,
                    "settings": {
                        "server_url": ESOUTIEN_SSO_ISSUER,
                        "scope": ESOUTIEN_SSO_SCOPES,
                        "token_auth_method": "client_secret_basic",
                    },
                }
            ],
        }
    }
    if ESOUTIEN_SSO_ISSUER
    else {}
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # CNIL: at least 12 characters mixing the four classes.
    {"NAME": "esoutien.accounts.passwords.CharacterClassesValidator"},
    {"NAME": "esoutien.accounts.passwords.CommonBaseValidator"},
]

# --- HTTPS ------------------------------------------------------------------
# Deployment (real certificate, TLS proxy, redirect port, HSTS): docs/operations.md.
_https = ESOUTIEN_BASE_URL.startswith("https://")
_enforce_https = _https and not DEBUG
# /healthz stays reachable over HTTP for load balancers.
SECURE_SSL_REDIRECT = env.bool("ESOUTIEN_SSL_REDIRECT", default=_enforce_https)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # readyz: status app
SECURE_HSTS_SECONDS = env.int("ESOUTIEN_HSTS_SECONDS", default=31536000 if _enforce_https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False  # preloading is a one-way decision for the whole domain
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # "HSTS preload is off": deliberately
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
LANGUAGE_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: every form carries the token
LANGUAGE_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy: believe its X-Forwarded-Proto, but only from the peers
# listed (gunicorn --forwarded-allow-ips, esoutien.core.security.trusted_proxy_middleware).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("ESOUTIEN_BEHIND_PROXY", default=False)
    else None
)
ESOUTIEN_FORWARDED_ALLOW_IPS = env.list(
    "ESOUTIEN_FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"]
)
# A real certificate for `esoutien serve`; unset: one generated for localhost in DATA_DIR/tls.
ESOUTIEN_TLS_CERT = env.str("ESOUTIEN_TLS_CERT", default="")
ESOUTIEN_TLS_KEY = env.str("ESOUTIEN_TLS_KEY", default="")
# Content-Security-Policy (django-csp): no inline script or style anywhere, no framing.
# The SSO button posts to our own URL, which redirects to the issuer: Chrome applies
# form-action to that redirect, so the issuer's origin is allowed as a form target.
_sso_issuer = urlsplit(ESOUTIEN_SSO_ISSUER)
_form_action = ["'self'"]
if _sso_issuer.scheme and _sso_issuer.netloc:
    _form_action.append(f"{_sso_issuer.scheme}://{_sso_issuer.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # data: for the TOTP QR code of allauth MFA
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": _form_action,
        "frame-ancestors": ["'none'"],
    }
}

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

# --- Static and uploaded files -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start when it is missing
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Source maps (11 MB of the API docs' assets) are never sent to browsers we serve: not
# compressing them halves collectstatic, which `esoutien serve` runs at every start.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Attachments live outside the web root; only an access-checked view serves them.
ESOUTIEN_ATTACHMENT_DIR = DATA_DIR / "attachments"
ESOUTIEN_ATTACHMENT_MAX_BYTES = env.int("ESOUTIEN_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ESOUTIEN_ATTACHMENT_MAX_FILES = env.int("ESOUTIEN_ATTACHMENT_MAX_FILES", default=5)
ESOUTIEN_ATTACHMENT_EXTENSIONS = env.list(
    "ESOUTIEN_ATTACHMENT_EXTENSIONS",
    default=[
        "pdf",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "txt",
        "log",
        "csv",
        "xml",
        "json",
        "zip",
        "eml",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "odt",
        "ods",
        "pcap",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Mail -------------------------------------------------------------------
ESOUTIEN_SUPPORT_ADDRESS = env.str(
    "ESOUTIEN_SUPPORT_ADDRESS", default="support@e-soutien.localhost"
)
ESOUTIEN_HOTLINE_ADDRESS = env.str(
    "ESOUTIEN_HOTLINE_ADDRESS", default="hotline@e-soutien.localhost"
)
# Accessibility statement (issue 8): where people write when they cannot use a page.
ESOUTIEN_ACCESSIBILITY_CONTACT = env.str(
    "ESOUTIEN_ACCESSIBILITY_CONTACT", default=ESOUTIEN_SUPPORT_ADDRESS
)
DEFAULT_FROM_EMAIL = env.str(
    "ESOUTIEN_FROM_ADDRESS", default=f"e-soutien <{ESOUTIEN_SUPPORT_ADDRESS}>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ESOUTIEN_MAIL_DIR = DATA_DIR / "mail"
_email_url = env.str("EMAIL_URL", default="")
if not _email_url or _email_url.startswith(("file:", "filemail:")):
    # Default: one .eml file per message, so a person can open what would have been sent.
    EMAIL_BACKEND = "esoutien.mail.backends.EmlDirectoryBackend"
    if _email_url:
        ESOUTIEN_MAIL_DIR = Path(urlsplit(_email_url).path or ESOUTIEN_MAIL_DIR)
else:
    vars().update(env.email_url("EMAIL_URL"))
EMAIL_TIMEOUT = env.int("ESOUTIEN_EMAIL_TIMEOUT", default=20)
ESOUTIEN_MAIL_MAX_ATTEMPTS = env.int("ESOUTIEN_MAIL_MAX_ATTEMPTS", default=12)
ESOUTIEN_MAIL_RETRY_BASE_SECONDS = env.int("ESOUTIEN_MAIL_RETRY_BASE_SECONDS", default=30)
# Inbound gateway (smtpd, mailgate, fetchmail): larger messages are stored, not parsed, and
# quarantined as too_large; the SMTP listener refuses more than twice this size outright.
ESOUTIEN_INBOUND_MAX_BYTES = env.int("ESOUTIEN_INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
# Who handles a stored message, by the address it came to: hotline, else support.
ESOUTIEN_INBOUND_ROUTERS = {
    "support": "esoutien.tickets.inbound.route",
    # status: tickets only while e-soutien is not operational (docs/status.md)
    "hotline": "esoutien.status.hotline.route_hotline",
}
# `esoutien fetchmail`: the IMAP mailbox to poll (TLS unless ESOUTIEN_IMAP_SSL=false).
ESOUTIEN_IMAP_HOST = env.str("ESOUTIEN_IMAP_HOST", default="")
ESOUTIEN_IMAP_PORT = env.int("ESOUTIEN_IMAP_PORT", default=993)
ESOUTIEN_IMAP_USER = env.str("ESOUTIEN_IMAP_USER", default="")
ESOUTIEN_IMAP_PASSWORD = env.str("ESOUTIEN_IMAP_PASSWORD", default="")
ESOUTIEN_IMAP_FOLDER = env.str("ESOUTIEN_IMAP_FOLDER", default="INBOX")
# Empty: stored messages stay in the folder, flagged \Seen and $ESoutienStored.
ESOUTIEN_IMAP_PROCESSED_FOLDER = env.str("ESOUTIEN_IMAP_PROCESSED_FOLDER", default="")
ESOUTIEN_IMAP_SSL = env.bool("ESOUTIEN_IMAP_SSL", default=True)
# A private CA that signed the IMAP server's certificate (PEM); empty: the system's CAs.
ESOUTIEN_IMAP_CA_FILE = env.str("ESOUTIEN_IMAP_CA_FILE", default="")
# Inbound mail: at most this many automatic answers (not a reply, ticket closed) per sender
# address per hour, whatever it sends.
ESOUTIEN_INBOUND_AUTOREPLY_PER_HOUR = env.int("ESOUTIEN_INBOUND_AUTOREPLY_PER_HOUR", default=3)

# --- Service state, health checks, metrics (status app, docs/status.md) -------------------
# Health checks failing this many consecutive minutes make e-soutien "degraded".
ESOUTIEN_HEALTH_FAILURE_MINUTES = env.int("ESOUTIEN_HEALTH_FAILURE_MINUTES", default=5)
# host:port of the inbound SMTP/LMTP listener (`esoutien smtpd`) the health check connects
# to; empty: not checked.
ESOUTIEN_SMTPD_ADDRESS = env.str("ESOUTIEN_SMTPD_ADDRESS", default="")
# Bearer token Prometheus sends to /metrics; empty: /metrics answers 404.
ESOUTIEN_METRICS_TOKEN = env.str("ESOUTIEN_METRICS_TOKEN", default="")
# The last known state (served by /statut while the database is unreachable), health checks
# the database could not take yet, and the metrics files shared by the web workers.
ESOUTIEN_STATUS_DIR = DATA_DIR / "status"
ESOUTIEN_METRICS_DIR = DATA_DIR / "metrics"

# --- Cache (login rate limits, lockouts): shared by every web worker -----------------
if env.str("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_URL"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Queue (Huey) -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "esoutien",
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "esoutien",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
    }
HUEY["consumer"] = {
    "workers": env.int("ESOUTIEN_WORKER_THREADS", default=2),
    "worker_type": "thread",
}
if env.bool("ESOUTIEN_HUEY_IMMEDIATE", default=False):
    HUEY["immediate"] = True

# --- Product rules ----------------------------------------------------------
ESOUTIEN_CONTEST_DAYS = env.int("ESOUTIEN_CONTEST_DAYS", default=7)
ESOUTIEN_INVITATION_DAYS = env.int("ESOUTIEN_INVITATION_DAYS", default=7)
# Requests per token (or signed-in user) to the API: "N/s", "N/m", "N/h" or "N/d".
ESOUTIEN_API_RATE_LIMIT = env.str("ESOUTIEN_API_RATE_LIMIT", default="300/m")
ESOUTIEN_PAGE_SIZE = env.int("ESOUTIEN_PAGE_SIZE", default=25)
# --- Search and lists (h7: tickets/search.py, core/paging.py; docs/search.md) ---
# Lists count at most this many rows and then show "10 000+" (no unbounded COUNT(*)).
ESOUTIEN_COUNT_CAP = env.int("ESOUTIEN_COUNT_CAP", default=10_000)
# Search ranks the N most recent matches (a common word among a million tickets stays fast).
ESOUTIEN_SEARCH_WINDOW = env.int("ESOUTIEN_SEARCH_WINDOW", default=300)
# --- Maintenance windows (operations app; docs/maintenance.md) ---
# Hours before a window's start when the reminder e-mail goes (once).
ESOUTIEN_MAINTENANCE_REMINDER_HOURS = env.int("ESOUTIEN_MAINTENANCE_REMINDER_HOURS", default=24)
# Maintenance mode lets provider staff through on the API too: this callable turns a bearer
# token into its ApiToken (or None); operations sits below api, hence a setting.
ESOUTIEN_API_TOKEN_AUTHENTICATOR = "esoutien.api.tokens.authenticate_token"  # noqa: S105 - a dotted path
# Webhooks: seconds to wait for a receiver (connect, then each read); plain http:// to
# 127.0.0.1/localhost is accepted only with ESOUTIEN_DEBUG or this switch (tests, demos).
ESOUTIEN_WEBHOOK_TIMEOUT_SECONDS = env.int("ESOUTIEN_WEBHOOK_TIMEOUT_SECONDS", default=10)
ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = env.bool(
    "ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK", default=False
)
# Payload formats of webhook endpoints other than the native one: format → callable path.
ESOUTIEN_WEBHOOK_FORMATTERS = {"tmf621": "esoutien.api.tmf.events.webhook_payload"}
# CNIL: access logs are kept six months to one year, then deleted (daily purge task).
ESOUTIEN_AUDIT_RETENTION_DAYS = env.int("ESOUTIEN_AUDIT_RETENTION_DAYS", default=365)
ESOUTIEN_DEMO_PASSWORD = env.str("ESOUTIEN_DEMO_PASSWORD", default="Demo-esoutien-2026!")
# Base32 TOTP secret the demo staff accounts are enrolled with (demo data only).
ESOUTIEN_DEMO_TOTP_SECRET = env.str(
    "ESOUTIEN_DEMO_TOTP_SECRET", default="ESOUTIENDEMOTOTPSECRETXYZ234567A"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("ESOUTIEN_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint's font subsetting logs hundreds of INFO lines per PDF.
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        # The Huey consumer installs its own handler; do not print every line twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}
