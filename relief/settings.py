"""Settings for WarmWinter. Everything that differs between machines comes from the environment
(see `.env.example`). Without DATABASE_URL the embedded PostgreSQL server is used; without
CELERY_BROKER_URL tasks run in-process."""

from __future__ import annotations

from pathlib import Path

import environ

from relief import log_scrub

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
_INSECURE_DEV_KEY = "django-insecure-warmwinter-local-development-only-key-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "relief",
]
# The domain apps, lowest floor first (see ../shared/STYLE.md: which way imports run).
DOMAIN_APPS = [
    "people",
    "funds",
    "campaigns",
    "enrolments",
    "exchange",
    "patrols",
    "coldwaves",
    "charity",
    "institutions",
    "supervision",
    "volunteers",
    "reports",
]
INSTALLED_APPS += DOMAIN_APPS

MIDDLEWARE = [
    "relief.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "relief.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "relief.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "relief.urls"
WSGI_APPLICATION = "relief.wsgi.application"

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
                "relief.context_processors.shell",
            ],
        },
    },
]

# --- Database: always PostgreSQL --------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    EMBEDDED_POSTGRES = False
else:
    from relief import embedded_db

    DATABASES = {"default": env.db_url_config(embedded_db.server_uri(BASE_DIR))}
    # the server listens on a Unix socket only: keep its folder in HOST, as Django documents
    DATABASES["default"]["HOST"] = DATABASES["default"].pop("OPTIONS", {}).get("host", "")
    EMBEDDED_POSTGRES = True
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Read replica (optional): a streaming standby of the primary for reads that may be a few
# seconds stale (dashboards, lists, exports; relief/replica.py says which and when). Without
# DATABASE_REPLICA_URL there is one database and no router.
if env.str("DATABASE_REPLICA_URL", default=""):
    _replica = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"] = {
        **DATABASES["default"],
        **{k: _replica[k] for k in ("NAME", "USER", "PASSWORD", "HOST", "PORT") if k in _replica},
        # an unreachable replica must not hold a page up: connect briefly, then use the primary
        "OPTIONS": {
            "connect_timeout": env.int("REPLICA_CONNECT_TIMEOUT", default=2),
            **_replica.get("OPTIONS", {}),
        },
        # a test run uses the replica's copy of the test database (it replicates the primary's)
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["relief.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "relief.replica.ReplicaReadMiddleware",
    )
# Past this lag (seconds) reads go to the primary; a replica that does not answer is not tried again
# for REPLICA_RETRY_SECONDS; an export job waits up to REPLICA_JOB_WAIT_SECONDS for the replica to
# replay what was committed when it began (else reads the primary).
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30.0)
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=30.0)
REPLICA_JOB_WAIT_SECONDS = env.float("REPLICA_JOB_WAIT_SECONDS", default=10.0)

AUTH_USER_MODEL = "relief.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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

# django-axes: lock an account + address pair after repeated failed logins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password"]

# --- Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Uploaded spreadsheets are inspected before any parser sees them (relief/uploads.py).
UPLOAD_XLSX_MAX_ROWS = env.int("UPLOAD_XLSX_MAX_ROWS", default=200_000)
UPLOAD_XLSX_MAX_COLUMNS = env.int("UPLOAD_XLSX_MAX_COLUMNS", default=200)
UPLOAD_XLSX_MAX_PARTS = env.int("UPLOAD_XLSX_MAX_PARTS", default=500)
UPLOAD_XLSX_MAX_SHEET_BYTES = env.int("UPLOAD_XLSX_MAX_SHEET_BYTES", default=256 * 1024 * 1024)
UPLOAD_XLSX_MAX_PART_BYTES = env.int("UPLOAD_XLSX_MAX_PART_BYTES", default=32 * 1024 * 1024)
UPLOAD_XLSX_MAX_TOTAL_BYTES = env.int("UPLOAD_XLSX_MAX_TOTAL_BYTES", default=512 * 1024 * 1024)
UPLOAD_XLSX_MAX_RATIO = env.int("UPLOAD_XLSX_MAX_RATIO", default=100)
UPLOAD_XLSX_MAX_SHARED_STRINGS = env.int("UPLOAD_XLSX_MAX_SHARED_STRINGS", default=1_000_000)
# a sheet is read as a grid from its first cell to its last (rows x columns, ~32 bytes a cell)
UPLOAD_SHEET_MAX_CELLS = env.int("UPLOAD_SHEET_MAX_CELLS", default=4_000_000)
UPLOAD_SHEET_MAX_BYTES = env.int("UPLOAD_SHEET_MAX_BYTES", default=50 * 1024 * 1024)
# Department data (exchange/): a province's monthly file may hold a million lines of a few columns.
EXCHANGE_MAX_ROWS = env.int("EXCHANGE_MAX_ROWS", default=2_000_000)
EXCHANGE_MAX_BYTES = env.int("EXCHANGE_MAX_BYTES", default=200 * 1024 * 1024)
# a batch up to this many bytes is matched in the request; a larger one in a background job
EXCHANGE_INLINE_BYTES = env.int("EXCHANGE_INLINE_BYTES", default=512 * 1024)
# a large department batch's warning rules run over its counties on this many database connections
# at once (threads of the process that matched it; each county in its own transaction)
EXCHANGE_RULE_WORKERS = env.int("EXCHANGE_RULE_WORKERS", default=2)
# Wall-clock budget of one roster import job (reading, checking and writing), in seconds.
ROSTER_IMPORT_SECONDS = env.int("ROSTER_IMPORT_SECONDS", default=900)
# Evidence and photos: images (JPEG/PNG/WebP) or PDF, checked by content, at most this size.
UPLOAD_ATTACHMENT_MAX_BYTES = env.int("UPLOAD_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
# Documents (emergency plans): PDF, Word or OFD, checked by content, at most this size.
UPLOAD_DOCUMENT_MAX_BYTES = env.int("UPLOAD_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)

# --- Security (production) ----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy and Permissions-Policy: relief/middleware.py. CSP_REPORT_ONLY=1 sends the
# policy as Content-Security-Policy-Report-Only (to try a change on a live site without breaking it).
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is a promise to browsers that is slow to undo: only when the deployment asks for it.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # check --deploy warns when preload is off (security.W021); off is our considered default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Cache: shared by all processes in production (API rate limits count across workers) ---------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# The dashboard's live figures (roll calls, campaigns: computed when read) are kept this long per
# region in the cache above and shown with the time they were computed; 0 computes them every read
# (relief/dashboard/live_cache.py).
DASHBOARD_LIVE_SECONDS = env.int("DASHBOARD_LIVE_SECONDS", default=60)
# The household search page counts at most this many results ("超过 10,000 户" beyond), so a
# province-wide search by category does not count the province (relief/paginator.py).
PEOPLE_SEARCH_COUNT_CAP = env.int("PEOPLE_SEARCH_COUNT_CAP", default=10_000)

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call answers 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["relief.api.permissions.RegionRolePermission"],
    "DEFAULT_PAGINATION_CLASS": "relief.api.pagination.Pagination",
    # A body nested too deep answers 400 (relief/api/parsers.py), not a RecursionError.
    "DEFAULT_PARSER_CLASSES": [
        "relief.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "relief.api.filters.FilterBackend",  # foreign keys filter by plain id: no existence oracle
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "relief.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Accounts of other systems (role api_client) are rate limited per account; see docs/api-clients.md.
    "DEFAULT_THROTTLE_CLASSES": ["relief.api.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_client": env.str("API_CLIENT_RATE", default="1000/minute")},
}
# Searches by a whole ID or phone number per user and hour, for roles that see masked numbers
# (relief/privacy.py: number_search); each one is logged.
PERSONAL_NUMBER_SEARCHES_PER_HOUR = env.int("PERSONAL_NUMBER_SEARCHES_PER_HOUR", default=20)
SPECTACULAR_SETTINGS = {
    "TITLE": "暖冬 WarmWinter API",
    "DESCRIPTION": "Case management for civil-affairs winter relief. Every list is limited to the "
    "caller's region; records outside it answer 404.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "relief.api.schema.add_error_responses",
    ],
    # Choice sets that share a field name across apps get their own names in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PersonSexEnum": "people.models.Sex",
        "VisitChannelEnum": "people.models.VisitChannel",
        "HouseholdHeatingTypeEnum": "people.models.HeatingType",
        "AssistanceCategoryEnum": "people.models.Category",
        "PatrolSexEnum": "patrols.models.Sex.choices",
        "ClueStatusEnum": "patrols.models.ClueStatus.choices",
        "ClueChannelEnum": "patrols.models.ClueChannel.choices",
        "ClueOutcomeEnum": "patrols.models.ClueOutcome.choices",
        "StationCaseStatusEnum": "patrols.models.CaseStatus.choices",
        "ColdWaveLevelEnum": "patrols.models.ColdWaveLevel.choices",
        "CapOutcomeEnum": "patrols.models.CapOutcome.choices",
        "CapAreaActionEnum": "patrols.models.CapAreaAction.choices",
        "AlertSeverityEnum": "relief.models.Severity",
        "JobStateEnum": "relief.models.JobState",
        "HazardSeverityEnum": "institutions.models.HazardSeverity",
        "HazardStateEnum": "institutions.models.HazardState",
        "FindingSeverityEnum": "supervision.models.Severity",
        "FindingStateEnum": "supervision.models.FindingState",
        "FindingAreaEnum": "supervision.models.Area",
        "SupervisionTripStateEnum": "supervision.models.TripState",
        "ReportKindEnum": "reports.models.Kind",
        "ReportStateEnum": "reports.models.State",
        "BatchStatusEnum": "funds.models.BatchStatus",
        "ApplicationStatusEnum": "funds.models.AppStatus",
        "ProgramKindEnum": "funds.models.ProgramKind",
        "ApplicationKindEnum": "funds.models.ApplicationKind",
        "EnrolmentKindEnum": "enrolments.models.Kind",
        "EnrolmentStatusEnum": "enrolments.models.Status",
        "ReviewStatusEnum": "enrolments.models.ReviewStatus",
        "ReviewOutcomeEnum": "enrolments.models.ReviewOutcome",
        "AppealKindEnum": "enrolments.models.AppealKind",
        "AppealStatusEnum": "enrolments.models.AppealStatus",
        "AppealOutcomeEnum": "enrolments.models.AppealOutcome",
        "DibaoClassEnum": "people.choices.DibaoClass",
        "ExchangeDepartmentEnum": "exchange.models.Department",
        "VerificationMethodEnum": "exchange.models.Verification",
        "DonorKindEnum": "charity.models.DonorKind",
        "CharityNeedKindEnum": "charity.models.NeedKind",
        "CharityNeedOriginEnum": "charity.models.NeedOrigin",
        "OriginEnum": "enrolments.models.Origin",  # its name before charity had an origin too
        "VolunteerKindEnum": "volunteers.models.VolunteerKind",
        "VolunteerAssignmentKindEnum": "volunteers.models.AssignmentKind",
        "VolunteerAssignmentStateEnum": "volunteers.models.AssignmentState",
        "VolunteerRecordKindEnum": "volunteers.models.RecordKind",
        "VolunteerReviewStateEnum": "volunteers.models.ReviewState",
    },
}

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process (the demo needs no Redis).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A page that queues a task must not hang when Redis is down: fail fast, the job stays pending and
# the watchdog queues it again once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# A task taken by a worker that dies (its machine lost) goes back to its queue once it has been
# unacknowledged for visibility_timeout seconds (it must be longer than the longest task); each worker
# looks for such tasks every unacked_restore_interval seconds (throttle 1: at each look; kombu's
# default scans every 10th look only, i.e. every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_RESTORE_SECONDS", default=10),
    "unacked_restore_throttle": 1,
}
# Queues per kind of work (sweeps, imports, exports, interactive, the default): relief/queues.py.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = ("relief.queues.route",)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# Without a broker, a web process runs jobs in a few threads of its own (relief/jobs/pool.py), so an
# upload answers at once and its page shows the progress; JOBS_WATCH_SECONDS is how often each web
# process looks for jobs left by a process that ended (relief/jobs/watch.py).
JOBS_RUN_IN_THREAD = env.bool("JOBS_RUN_IN_THREAD", default=not CELERY_BROKER_URL)
JOBS_THREADS = env.int("JOBS_THREADS", default=2)
JOBS_WATCH_SECONDS = env.int("JOBS_WATCH_SECONDS", default=60)
# A running job whose worker has not reported for this long is considered lost.
JOB_STALL_SECONDS = env.int("JOB_STALL_SECONDS", default=300)
# A job split into tasks (a sweep over counties) is not lost while one of its tasks still waits in
# the queue, for up to this long (the queue may hold the nightly sweeps first).
JOB_PART_QUEUE_SECONDS = env.int("JOB_PART_QUEUE_SECONDS", default=3600)

# --- Logging: never log request bodies or URLs with personal data ------------------------------
# No ID or mobile number in any log (an access line's query string, SQL, an exception's text):
# every record is scrubbed at creation, and the console handler filters again (relief/log_scrub.py).
log_scrub.install()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "relief.log_scrub.ScrubFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}
AXES_VERBOSE = False
