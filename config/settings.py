"""Every setting comes from the environment (see the README's table).

The embedded default needs no other server: SQLite and Celery's filesystem transport under
``var/``. ``HOTLINE_ENV=production`` switches to production defaults and then requires
``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import zoneinfo
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

HOTLINE_ENV = env.str("HOTLINE_ENV", default="development")
if HOTLINE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"HOTLINE_ENV must be 'development' or 'production', not {HOTLINE_ENV!r}."
    )
PRODUCTION = HOTLINE_ENV == "production"

VAR_DIR = Path(env.str("HOTLINE_VAR_DIR", default=str(BASE_DIR / "var")))

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    # Production never falls back to the laptop's SQLite, filesystem queue or per-process cache.
    required = (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
        "HOTLINE_AUDIT_SIGNING_KEY",
        "HOTLINE_SECRETS_KEY",
    )
    missing = [name for name in required if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            f"HOTLINE_ENV=production requires {', '.join(missing)} to be set."
        )
else:
    # Laptop default only: production refuses to start without its own SECRET_KEY.
    SECRET_KEY = env.str("SECRET_KEY", default="hotline-development-only-not-a-secret")
    ALLOWED_HOSTS = env.list(
        "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"]
    )

DEBUG = env.bool("DEBUG", default=not PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "hotline",
    "reports",
    # After the apps: their admin templates (the delivery-alert banner's base_site) come first.
    "django.contrib.admin",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hotline.middleware.RefuseMaterialMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hotline.middleware.AdminTimeZoneMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it locks out repeated failed sign-ins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes, hotline/login_lockout.py): failures lock a user name and
# address pair after 5, a user name alone (from any addresses) after 20, an address alone
# (whatever the names) after 50, for an hour. Only staff sign in: reporters never do, so no
# reporter address is kept.
HOTLINE_LOGIN_FAILURE_LIMIT = env.int("HOTLINE_LOGIN_FAILURE_LIMIT", default=5)
HOTLINE_LOGIN_USERNAME_FAILURE_LIMIT = env.int("HOTLINE_LOGIN_USERNAME_FAILURE_LIMIT", default=20)
HOTLINE_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("HOTLINE_LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_FAILURE_LIMIT = "hotline.login_lockout.failure_limit"
AXES_LOCKOUT_CALLABLE = "hotline.login_lockout.lockout_response"
AXES_COOLOFF_TIME = env.float("HOTLINE_LOGIN_COOLOFF_HOURS", default=1.0)
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; successful sign-ins are not logged
AXES_IPWARE_PROXY_COUNT = env.int("HOTLINE_NUM_PROXIES", default=0)

# Two-factor sign-in (TOTP, django-otp) for the admin: on by default in production.
HOTLINE_REQUIRE_2FA = env.bool("HOTLINE_REQUIRE_2FA", default=PRODUCTION)
OTP_TOTP_ISSUER = env.str("HOTLINE_ORG_NAME", default="Hotline (development)")

# No third-party origin anywhere: scripts, styles, images, fonts and API calls come from here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Django's admin sets a few style attributes; still only this origin's style sheets.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotline.languages.public_languages",
                "reports.context_processors.delivery_alerts",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hotline.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat share the file: WAL lets readers and one writer work together.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://hotline")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that hangs rather than refuses costs a request this long (redis-py waits 5 s),
    # after which the throttles count per process (hotline/throttling.py). CACHE_URL's query
    # string can set other values.
    for option in ("socket_connect_timeout", "socket_timeout"):
        CACHES["default"].setdefault("OPTIONS", {}).setdefault(option, 0.5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
# Every language the service speaks: providers' notices can be in any of these.
LANGUAGES = [
    ("en", "English"),
    ("nl", "Nederlands"),
    ("de", "Deutsch"),
    ("fr", "Français"),
]
# The languages the public pages (/report/, /report/status/) are offered in: only those whose
# public texts are fully translated. A browser asking for another gets English.
HOTLINE_PUBLIC_LANGUAGES = ["en", "nl"]
# The catalogues (.po and the committed .mo) live in the repository: `make messages`.
LOCALE_PATHS = [BASE_DIR / "locale"]
# Stored, e-mailed and served by the API in UTC; staff admin pages show and read times in the
# hotline's own zone (hotline.middleware.AdminTimeZoneMiddleware), each time saying its zone.
TIME_ZONE = "UTC"
HOTLINE_TIME_ZONE = env.str("HOTLINE_TIME_ZONE", default="Europe/Amsterdam")
try:
    zoneinfo.ZoneInfo(HOTLINE_TIME_ZONE)
except (ValueError, zoneinfo.ZoneInfoNotFoundError):
    raise ImproperlyConfigured(
        f"HOTLINE_TIME_ZONE={HOTLINE_TIME_ZONE!r}: not an IANA time zone (e.g. Europe/Amsterdam)."
    ) from None
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
# Development serves static files straight from the apps; production from collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Nothing is ever uploaded: file parts are refused before Django parses them.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
DATA_UPLOAD_MAX_NUMBER_FILES = 0

# Security headers; production turns on the HTTPS-only ones.
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: no Referer leaves for another site either way, but under
# no-referrer browsers send "Origin: null" with every POST, which Django's CSRF check refuses
# (sign-in, the admin's buttons, the public form). reports/base.html's meta tag says the same.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("HOTLINE_SESSION_SECONDS", default=8 * 3600)  # one working day
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Hotline policy -------------------------------------------------------------------------
# The hotline's own identity: the sender of notices, and "abroad" means outside HOTLINE_COUNTRY.
HOTLINE_ORG_NAME = env.str("HOTLINE_ORG_NAME", default="Hotline (development)")
HOTLINE_ORG_EMAIL = env.str("HOTLINE_ORG_EMAIL", default="reports@hotline.example.org")
HOTLINE_ORG_DOMAIN = env.str("HOTLINE_ORG_DOMAIN", default="hotline.example.org")
# Whom staff ask when something stops them (the sign-in lockout page names it).
HOTLINE_STAFF_HELP = env.str("HOTLINE_STAFF_HELP", default=HOTLINE_ORG_EMAIL)
HOTLINE_COUNTRY = env.str("HOTLINE_COUNTRY", default="NL").upper()
# Where providers reach the API (named in notices). The default is runserver's own address;
# `make run HOST=… PORT=…` sets it to the address it serves.
HOTLINE_PUBLIC_URL = env.str("HOTLINE_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# A newer Public Suffix List than the pinned package's, if this file exists (hotline/domains.py).
HOTLINE_PUBLIC_SUFFIX_FILE = Path(
    env.str("HOTLINE_PUBLIC_SUFFIX_FILE", default=str(VAR_DIR / "public_suffix_list.dat"))
)

# Deadlines: durations like 24h, 90m, 30s, 2d (see hotline/policy.py).
HOTLINE_TAKEDOWN_DEADLINE = env.str("HOTLINE_TAKEDOWN_DEADLINE", default="24h")
HOTLINE_LEGAL_ORDER_DEADLINE = env.str("HOTLINE_LEGAL_ORDER_DEADLINE", default="12h")
HOTLINE_REMINDER_BEFORE = env.str("HOTLINE_REMINDER_BEFORE", default="4h")
HOTLINE_REPEAT_INTERVAL = env.str("HOTLINE_REPEAT_INTERVAL", default="24h")
HOTLINE_MAX_REPEATS = env.int("HOTLINE_MAX_REPEATS", default=3)
# Empty: never. Otherwise a non_compliance escalation this long past the deadline, to the
# agency named by HOTLINE_ESCALATION_AGENCY.
HOTLINE_ESCALATE_AFTER = env.str("HOTLINE_ESCALATE_AFTER", default="")
HOTLINE_ESCALATION_AGENCY = env.str("HOTLINE_ESCALATION_AGENCY", default="")
# Empty: notices go out at once. Otherwise a notice waits this long after the police were told.
HOTLINE_LEA_WINDOW = env.str("HOTLINE_LEA_WINDOW", default="")
# The four-eyes rule: an illegal assessment needs a second analyst's confirmation before any
# notice goes out.
HOTLINE_FOUR_EYES = env.bool("HOTLINE_FOUR_EYES", default=False)
# The sweep is the clock: every few seconds it fires what the database says is due (~4 ms idle).
HOTLINE_SWEEP_INTERVAL_SECONDS = env.int("HOTLINE_SWEEP_INTERVAL_SECONDS", default=5)
# Wake-up tasks with an ETA only for moments this close; the sweep fires everything later.
HOTLINE_WAKE_HORIZON = env.str("HOTLINE_WAKE_HORIZON", default="2m")
# /healthz/clock answers 503 when no worker swept for this long, or a due notice waited this long.
HOTLINE_CLOCK_STALL_SECONDS = env.int("HOTLINE_CLOCK_STALL_SECONDS", default=60)
HOTLINE_SWEEP_BATCH = env.int("HOTLINE_SWEEP_BATCH", default=500)

# --- Delivery (README: reaching providers) ---------------------------------------------------
# Notices to one provider within this window go as one message (0: each at once), at most this
# many URLs per message: with URLs capped at 2,048 characters a full message stays near 2 MB,
# far below the 10-25 MB mail servers refuse.
HOTLINE_NOTICE_GROUP_WINDOW = env.str("HOTLINE_NOTICE_GROUP_WINDOW", default="5m")
HOTLINE_NOTICE_GROUP_MAX = env.int("HOTLINE_NOTICE_GROUP_MAX", default=200)
# A message still not accepted this long after it was formed gives up (its notices become
# undeliverable); a channel failing this long raises an alert to the supervisors.
HOTLINE_DELIVERY_GIVE_UP = env.str("HOTLINE_DELIVERY_GIVE_UP", default="72h")
HOTLINE_DELIVERY_ALERT_AFTER = env.str("HOTLINE_DELIVERY_ALERT_AFTER", default="1h")
# How often the delivery queue looks for due messages, and how many attempts one run makes.
HOTLINE_DELIVERY_SWEEP_SECONDS = env.int("HOTLINE_DELIVERY_SWEEP_SECONDS", default=5)
HOTLINE_DELIVERY_BATCH = env.int("HOTLINE_DELIVERY_BATCH", default=50)
HOTLINE_WEBHOOK_TIMEOUT = env.float("HOTLINE_WEBHOOK_TIMEOUT", default=10.0)

# E-mail: EMAIL_URL (e.g. smtp+tls://user:pass@host:587); else SMTP on localhost in production,
# and files under var/mail/ (one per message, attachments included) on the embedded default.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
if not PRODUCTION and EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    EMAIL_HOST = globals().get("EMAIL_HOST", "localhost")
    if EMAIL_HOST not in ("localhost", "127.0.0.1", "::1"):
        raise ImproperlyConfigured(
            f"EMAIL_URL names {EMAIL_HOST}: outside production, mail goes only to a server on "
            "127.0.0.1 (e.g. smtp://127.0.0.1:1025)."
        )
# A mail server that hangs must not hold a delivery (and the report it locks) for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=HOTLINE_ORG_EMAIL)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
HOTLINE_MAX_BODY_BYTES = env.int("HOTLINE_MAX_BODY_BYTES", default=64 * 1024)
# A partner batch of 1,000 items cannot fit in 64 KiB; each item is still checked one by one.
HOTLINE_PARTNER_MAX_BODY_BYTES = env.int("HOTLINE_PARTNER_MAX_BODY_BYTES", default=5 * 1024 * 1024)
HOTLINE_PARTNER_BATCH_MAX = env.int("HOTLINE_PARTNER_BATCH_MAX", default=1000)
# The analysts' "Paste URLs" page: up to 1,000 URLs in one form, with a body cap of its own.
HOTLINE_PASTE_MAX_URLS = env.int("HOTLINE_PASTE_MAX_URLS", default=1000)
HOTLINE_PASTE_MAX_BYTES = env.int("HOTLINE_PASTE_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(HOTLINE_PARTNER_MAX_BODY_BYTES, HOTLINE_PASTE_MAX_BYTES)
# The most reports one bulk admin action takes; each selected report is one posted field.
HOTLINE_BULK_MAX = env.int("HOTLINE_BULK_MAX", default=500)
DATA_UPLOAD_MAX_NUMBER_FIELDS = max(1000, HOTLINE_BULK_MAX + 100)
HOTLINE_PUBLIC_INTAKE_RATE = env.str("HOTLINE_PUBLIC_INTAKE_RATE", default="30/min")
HOTLINE_PARTNER_RATE = env.str("HOTLINE_PARTNER_RATE", default="120/min")
HOTLINE_STATUS_RATE = env.str("HOTLINE_STATUS_RATE", default="60/min")
HOTLINE_PROVIDER_RATE = env.str("HOTLINE_PROVIDER_RATE", default="600/min")
# The one-click answer page: requests (views and answers) per client address, and per link.
HOTLINE_ANSWER_PAGE_RATE = env.str("HOTLINE_ANSWER_PAGE_RATE", default="60/min")
HOTLINE_ANSWER_LINK_RATE = env.str("HOTLINE_ANSWER_LINK_RATE", default="60/min")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PARSER_CLASSES": ["hotline.api.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_RATES": {
        "public_intake": HOTLINE_PUBLIC_INTAKE_RATE,
        "partner": HOTLINE_PARTNER_RATE,
        "report_status": HOTLINE_STATUS_RATE,
        "provider": HOTLINE_PROVIDER_RATE,
        "answer_page": HOTLINE_ANSWER_PAGE_RATE,
        "answer_link": HOTLINE_ANSWER_LINK_RATE,
    },
    "EXCEPTION_HANDLER": "hotline.api.exception_handler",
    # Behind a reverse proxy, how many X-Forwarded-For hops to trust for throttling.
    "NUM_PROXIES": env.int("HOTLINE_NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hotline API",
    "DESCRIPTION": (
        "Report URLs to the hotline, follow a report with its tracking secret, and (partners) "
        "submit reports in bulk. The service accepts URLs and short text only: never files."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
    CELERY_QUEUE_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        "polling_interval": 0.2,  # seconds between looks at the folder (default 1)
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker is gone keeps retrying, however long the outage (Celery gives up after
# 100 attempts by default, about 47 minutes).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# --- Outside systems and the hosting lookup (README: hosting lookup) ------------------------
# Outside production every client of an outside system reaches only 127.0.0.1: HOTLINE_SANDBOX
# maps names and documentation ranges to loopback ports (hotline/outside.py); by default, the
# stand-in DNS, RDAP and web servers that `make run` starts (python -m sandbox).
SANDBOX_DNS_PORT = 8053
SANDBOX_RDAP_PORT = 8443
SANDBOX_RDAP_NAMES = (
    "rdap.example.net",
    "rdap.arin.net",
    "rdap.db.ripe.net",
    "rdap.apnic.net",
    "rdap.lacnic.net",
    "rdap.afrinic.net",
)
# The demo hosts live in the documentation ranges; their HTTP and HTTPS go to one web host.
SANDBOX_WEB_PORT = 8081
SANDBOX_WEB_HTTPS_PORT = 8444
SANDBOX_WEB_RANGES = ("198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24", "[2001:db8::/32]")
# The demo provider's webhook address (sandbox/demo.py), to the sandbox's webhook receiver: before
# the web ranges, since the first entry that matches wins.
SANDBOX_WEBHOOK_ADDRESS = "198.51.100.200"
SANDBOX_WEBHOOK_PORT = 8090
SANDBOX_WEBHOOK_HTTPS_PORT = 8091
SANDBOX_DEFAULT = ",".join(
    [
        f"{SANDBOX_WEBHOOK_ADDRESS}/32:80=127.0.0.1:{SANDBOX_WEBHOOK_PORT}",
        f"{SANDBOX_WEBHOOK_ADDRESS}/32:443=127.0.0.1:{SANDBOX_WEBHOOK_HTTPS_PORT}",
        *(f"{name}:443=127.0.0.1:{SANDBOX_RDAP_PORT}" for name in SANDBOX_RDAP_NAMES),
        *(
            f"{cidr}:{port}=127.0.0.1:{web_port}"
            for cidr in SANDBOX_WEB_RANGES
            for port, web_port in ((80, SANDBOX_WEB_PORT), (443, SANDBOX_WEB_HTTPS_PORT))
        ),
    ]
)
if PRODUCTION and env.str("HOTLINE_SANDBOX", default=""):
    raise ImproperlyConfigured(
        "HOTLINE_SANDBOX is for development and tests: production reaches the real systems."
    )
HOTLINE_SANDBOX = None if PRODUCTION else env.str("HOTLINE_SANDBOX", default=SANDBOX_DEFAULT)
# Certificates of outside servers are checked against this bundle (default: certifi's); the
# sandbox's stand-ins are all signed by one CA of their own.
HOTLINE_OUTSIDE_CA_FILE = env.str(
    "HOTLINE_OUTSIDE_CA_FILE", default="" if PRODUCTION else str(VAR_DIR / "sandbox" / "ca.pem")
)
# Resolvers the lookup asks (host:port, comma-separated), never the system's resolv.conf.
HOTLINE_DNS_RESOLVERS = env.str(
    "HOTLINE_DNS_RESOLVERS", default="" if PRODUCTION else f"127.0.0.1:{SANDBOX_DNS_PORT}"
)
HOTLINE_DNS_TIMEOUT = env.float("HOTLINE_DNS_TIMEOUT", default=3.0)
# Team Cymru's IP-to-ASN DNS zones (IPv4, IPv6): they see every address looked up. Empty: no
# ASN step.
HOTLINE_ASN_ZONES = env.list(
    "HOTLINE_ASN_ZONES", default=["origin.asn.cymru.com", "origin6.asn.cymru.com"]
)
HOTLINE_RDAP_TIMEOUT = env.float("HOTLINE_RDAP_TIMEOUT", default=5.0)
HOTLINE_RDAP_MAX_BYTES = env.int("HOTLINE_RDAP_MAX_BYTES", default=1_000_000)
HOTLINE_RDAP_BOOTSTRAP_DIR = Path(
    env.str("HOTLINE_RDAP_BOOTSTRAP_DIR", default=str(BASE_DIR / "hotline" / "data" / "rdap"))
)
# How long DNS and registry answers are reused (a batch of URLs on one host costs one lookup).
HOTLINE_LOOKUP_TTL = env.str("HOTLINE_LOOKUP_TTL", default="12h")
# How often lookups lost with the broker, or due for a retry, are taken from the database.
HOTLINE_LOOKUP_RESUME_SECONDS = env.int("HOTLINE_LOOKUP_RESUME_SECONDS", default=30)
HOTLINE_LOOKUP_USER_AGENT = env.str(
    "HOTLINE_LOOKUP_USER_AGENT",
    default=f"{HOTLINE_ORG_NAME} hosting lookup (+{HOTLINE_PUBLIC_URL})",
)
# --- Removal verification (README: removal verification) ------------------------------------
# Status-only checks of reported URLs: on outside production (the sandbox's demo web host), off
# in production until configured.
HOTLINE_PROBES_ENABLED = env.bool("HOTLINE_PROBES_ENABLED", default=not PRODUCTION)
HOTLINE_CHECK_INTERVAL = env.str("HOTLINE_CHECK_INTERVAL", default="4h")
# Gone only after this many misses in a row, at least this far apart.
HOTLINE_GONE_CHECKS = env.int("HOTLINE_GONE_CHECKS", default=3)
HOTLINE_GONE_SPACING = env.str("HOTLINE_GONE_SPACING", default="3m")
HOTLINE_RECHECK_DAYS = [
    int(day) for day in env.list("HOTLINE_RECHECK_DAYS", default=["1", "7", "30"])
]
# Politeness: checks of one host per round, seconds between rounds on one host, checks per
# round and at once, and how often a round runs.
HOTLINE_PROBE_PER_HOST = env.int("HOTLINE_PROBE_PER_HOST", default=2)
HOTLINE_PROBE_HOST_INTERVAL_SECONDS = env.int("HOTLINE_PROBE_HOST_INTERVAL_SECONDS", default=10)
HOTLINE_PROBE_BATCH = env.int("HOTLINE_PROBE_BATCH", default=100)
HOTLINE_PROBE_CONCURRENCY = env.int("HOTLINE_PROBE_CONCURRENCY", default=8)
HOTLINE_PROBE_SWEEP_SECONDS = env.int("HOTLINE_PROBE_SWEEP_SECONDS", default=10)
HOTLINE_PROBE_CONNECT_TIMEOUT = env.float("HOTLINE_PROBE_CONNECT_TIMEOUT", default=5.0)
HOTLINE_PROBE_HEADER_TIMEOUT = env.float("HOTLINE_PROBE_HEADER_TIMEOUT", default=10.0)
# An egress proxy (HTTP CONNECT, host:port), so that hosts do not see the hotline's address.
HOTLINE_PROBE_PROXY = env.str("HOTLINE_PROBE_PROXY", default="")
HOTLINE_PROBE_USER_AGENT = env.str(
    "HOTLINE_PROBE_USER_AGENT",
    default=f"{HOTLINE_ORG_NAME} URL check (+{HOTLINE_PUBLIC_URL}); status and headers only",
)
# Reporter e-mail addresses and tracking secrets are erased after this many days.
HOTLINE_RETENTION_DAYS = env.int("HOTLINE_RETENTION_DAYS", default=365)
# The audit trail (reports/audit.py): the checkpoint signing key (a PEM Ed25519 private key or
# its file; development generates var/audit-signing-key.pem), where checkpoints go (file paths
# and/or e-mail addresses), and how often one is written.
HOTLINE_AUDIT_SIGNING_KEY = env.str("HOTLINE_AUDIT_SIGNING_KEY", default="")
HOTLINE_AUDIT_ANCHOR = env.list("HOTLINE_AUDIT_ANCHOR", default=[])
HOTLINE_AUDIT_CHECKPOINT_SECONDS = env.int("HOTLINE_AUDIT_CHECKPOINT_SECONDS", default=300)
# Encrypts the secrets the service reads back, such as providers' webhook secrets
# (hotline/secrets.py): Fernet keys, comma-separated, the first encrypting and all decrypting, so
# that a key can be rotated. Development generates var/secrets-key; production requires it.
HOTLINE_SECRETS_KEY = env.str("HOTLINE_SECRETS_KEY", default="")
# Extra sections of /healthz, each a function returning a dict (the lower app cannot import them).
HOTLINE_HEALTH_DETAILS = {
    "audit": "reports.audit.audit_health",
    "delivery": "reports.outbox.outbox_health",
}
# Each kind of work in its own queue with its own worker (README: processes), so a slow DNS
# server or registry never holds up the deadlines.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "reports.tasks.hosting_lookups_run": {"queue": "lookups"},
    "reports.tasks.hosting_intake_lookups_run": {"queue": "lookups"},
    "reports.tasks.hosting_lookups_resume": {"queue": "lookups"},
    "reports.tasks.probes_run": {"queue": "probes"},
    "reports.tasks.outbox_drain": {"queue": "delivery"},
}
CELERY_BEAT_SCHEDULE = {
    # Removal checks that are due, in the probes queue.
    "run-due-checks": {
        "task": "reports.tasks.probes_run",
        "schedule": float(HOTLINE_PROBE_SWEEP_SECONDS),
    },
    # Lookups whose task was lost with the broker or whose retry is due.
    "resume-hosting-lookups": {
        "task": "reports.tasks.hosting_lookups_resume",
        "schedule": float(HOTLINE_LOOKUP_RESUME_SECONDS),
    },
    # Seals the events written since the last second, and writes the checkpoints.
    "audit-seal": {
        "task": "reports.tasks.audit_tick",
        "schedule": 1.0,
    },
    "erase-expired-personal-data": {
        "task": "reports.tasks.personal_data_erase",
        "schedule": 3600.0,
    },
    # The guarantee behind every timer: due work is found in the database, whatever the broker lost.
    "sweep-due": {
        "task": "reports.tasks.sweep_due",
        "schedule": float(HOTLINE_SWEEP_INTERVAL_SECONDS),
    },
    # The outbox, in the delivery queue: groups whose window closed, due attempts and retries.
    # Apart from the sweep's worker, so a slow mail server or webhook never holds up a deadline.
    "drain-outbox": {
        "task": "reports.tasks.outbox_drain",
        "schedule": float(HOTLINE_DELIVERY_SWEEP_SECONDS),
    },
}

# --- Logging: request lines and errors, never reporters' free text or addresses, nor the
# answer page's tokens ------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"}},
    "filters": {"answer_tokens": {"()": "hotline.log_redaction.AnswerTokenRedaction"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["answer_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
