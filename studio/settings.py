"""Settings for the studio back office: one file, driven by the environment.

Embedded defaults (SQLite, a file-system Celery broker) need no server; set DATABASE_URL and
CELERY_BROKER_URL to use PostgreSQL and Redis.
"""
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # runtime files: SQLite database, broker folders, exports
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its templates, for the project's form renderer (FORM_RENDERER below)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "template_partials",
    "django_htmx",
    "axes",  # login lockout (see Security below)
    "csp",  # Content-Security-Policy header and its settings checks
    # Project apps, in their layers (each imports only the ones above it).
    "studio",
    "staff",
    "messaging",
    "webhooks",
    "customers",
    "orders",
    "frontdesk",
    "imports",
    "membership",
    "callbacks",
    "complaints",
    "dashboards",
    "devtools",
]

MIDDLEWARE = [
    "studio.request_id.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # outermost after security: every response gets the policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "studio.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: turns a locked-out login into the lockout page (429).
    "axes.middleware.AxesMiddleware",
    "studio.db_errors.DatabaseErrorMiddleware",  # a failing database: 503 with a message, not a trace
    "studio.middleware.BadInputMiddleware",  # a page's ValidationError: 400 with the message
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"
ASGI_APPLICATION = "studio.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "staff.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "staff.context_processors.current_staff",
            ],
        },
    },
]
# Every form field renders through templates/components/field.html (Bootstrap classes, label,
# help text, errors): {{ form }}, {{ field.as_field_group }} and the pages' includes alike.
FORM_RENDERER = "studio.forms.StudioFormRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'studio.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file, and staff write at the same moment: each write
    # waits its turn instead of failing with "database is locked". IMMEDIATE transactions take
    # the write lock when they begin (a deferred one that reads first and then writes cannot
    # wait: SQLite refuses it at once), the busy timeout is how long a writer waits, and WAL
    # lets pages read while someone writes (tests/integrity/test_sqlite_writers.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20, "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's default random_page_cost (4) assumes spinning disks and makes the planner
    # prefer a parallel scan of every order to following a specialist's customers by index
    # (bench/explain). On SSD storage 1.1 is the usual value; set the env var to change it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={env.float('DATABASE_RANDOM_PAGE_COST', default=1.1)}")

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout check first: it refuses a locked-out person before any password is checked.
AUTHENTICATION_BACKENDS = [
    "studio.middleware.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time (Chinese first, store-local time) ------------------------------------
LANGUAGE_CODE = "zh-hans"
# Each language named in its own script, as language switches do.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files (installed from the npm registry into node_modules, served locally) ------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on a missing folder before collectstatic
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules/bootstrap-icons/font"),
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/echarts", BASE_DIR / "node_modules/echarts/dist"),
]
# Every file the product keeps (exports, imports waiting for the worker, signatures, gown photos)
# goes through Django's storage API (default_storage or a FileField), so web, worker and beat
# read the same files (docs/storage.md): the file system under MEDIA_ROOT by default (in
# docker-compose.yml one `media` volume mounted there in each), or an S3-compatible object store
# when STUDIO_S3_BUCKET is set (several web servers). Files are personal data: readable by the
# server's user only, and downloads are streamed through Django after its permission checks, so
# no public or signed URL is ever handed out.
_FILES_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                  "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}}
if env("STUDIO_S3_BUCKET", default=""):
    _FILES_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": env("STUDIO_S3_BUCKET"),
        "endpoint_url": env("STUDIO_S3_ENDPOINT_URL", default="") or None,  # empty: AWS itself
        "region_name": env("STUDIO_S3_REGION", default="") or None,
        "addressing_style": env("STUDIO_S3_ADDRESSING_STYLE", default="") or None,  # "path" or "virtual"
        "location": env("STUDIO_S3_PREFIX", default=""),  # a folder of a shared bucket
        # Keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the machine's role), read by boto3.
        "default_acl": env("STUDIO_S3_DEFAULT_ACL", default="") or None,  # none: the bucket's (private)
        "querystring_auth": False,  # no links handed out: Django streams each download
        "file_overwrite": False,  # as on the file system: a taken name gets a suffix
    }}
STORAGES = {
    "default": _FILES_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# make run serves the static files from their sources (no collectstatic: compressing 100 MB of
# vendor files takes minutes on a small machine); production collects them (Dockerfile).
WHITENOISE_USE_FINDERS = env.bool("STUDIO_STATIC_FROM_SOURCE", default=DEBUG)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a bad token answers 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["studio.permissions.HasRequiredPerm"],
    "DEFAULT_PAGINATION_CLASS": "studio.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studio.api.exception_handler",
    # The browsable API (HTML) for logged-in staff only; everyone else gets JSON.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "studio.middleware.StaffBrowsableApiNegotiation",
}
SPECTACULAR_SETTINGS = {
    # ASCII: client generators name their package after the title (openapi-python-client:
    # studio_back_office_api_client), and `pip install` refuses a Chinese one (docs/api.md).
    "TITLE": "Studio back office API",
    "DESCRIPTION": "影楼客服后台 API：customers, orders and their stages; token or session "
                   "authentication. Webhooks: the events a store's endpoints receive (docs/api.md).",
    "VERSION": "1.0.0",
    # 3.1: the schema's `webhooks` describe the events sent to integrators (webhooks.payloads).
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": "webhooks.payloads.WEBHOOKS",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["studio.permissions.IsActiveStaff"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `kind` and a `status`: name their enums after the model's class.
    "ENUM_NAME_OVERRIDES": {
        "StageKindEnum": "orders.models.StageKind",
        "StageStatusEnum": "orders.models.StageStatus",
        "OrderStatusEnum": "orders.models.OrderStatus",
        "PaymentKindEnum": "orders.models.PaymentKind",
        "SmsChannelEnum": "studio.models.SmsChannel",
        "ChannelEnum": "callbacks.models.Channel",
    },
    # Every operation's refusals (400/401/403/404/409/429/503) declared in one place.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "studio.openapi.add_error_responses",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
# The embedded default broker is a folder: no server to run. Redis in production.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env(
    "CELERY_RESULT_BACKEND",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None,
)
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    # Short timeouts: a hung Redis fails a publish in seconds instead of blocking a web worker.
    else {"socket_timeout": 3, "socket_connect_timeout": 3, "max_retries": 2}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_REDIS_SOCKET_TIMEOUT = 3
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 3
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat only starts short set-based sweeps; every deadline lives in a database row (DESIGN.md).
CELERY_BEAT_SCHEDULE: dict = {
    # Beat's tick, run by a worker: /healthz shows the last, /healthz/jobs fails after 10 minutes.
    "heartbeat": {"task": "studio.tasks.heartbeat_task", "schedule": 60.0,
                  "options": {"expires": 300}},  # ticks kept while no worker runs are dropped
    "find-late-stages": {"task": "orders.tasks.find_late_stages_task", "schedule": 300.0},
    "callbacks-for-completed-stages": {"task": "callbacks.tasks.sweep_completed_stages_task",
                                       "schedule": 120.0},
    "mark-overdue-callbacks": {"task": "callbacks.tasks.mark_overdue_callbacks_task",
                               "schedule": 300.0},
    "escalate-late-complaints": {"task": "complaints.tasks.escalate_late_complaints_task",
                                 "schedule": 300.0},
    "expire-points": {"task": "membership.tasks.expire_points_task", "schedule": 3600.0},
    "expire-member-cards": {"task": "membership.tasks.expire_member_cards_task",
                            "schedule": 3600.0},
    "sweep-member-payments": {"task": "membership.tasks.sweep_member_payments_task",
                              "schedule": 600.0},
    "resend-queued-sms": {"task": "studio.tasks.resend_queued_sms_task", "schedule": 60.0},
    # Webhook deliveries due: lost messages, retries whose time has come (webhooks.services).
    "sweep-webhooks": {"task": "webhooks.tasks.sweep_webhooks_task", "schedule": 60.0},
    "poll-sms-receipts": {"task": "studio.tasks.poll_sms_receipts_task", "schedule": 600.0},
    # Local time (CELERY_TIMEZONE): the evening call round for tomorrow's shoots and selections.
    "queue-reminders": {"task": "callbacks.tasks.queue_reminders_task",
                        "schedule": crontab(hour=19, minute=0)},
    "queue-greetings": {"task": "callbacks.tasks.queue_greetings_task",
                        "schedule": crontab(hour=10, minute=0)},
    "sweep-walkouts": {"task": "callbacks.tasks.sweep_walkouts_task", "schedule": 300.0},
    "sweep-export-jobs": {"task": "studio.tasks.sweep_export_jobs_task", "schedule": 120.0},
    "sweep-import-jobs": {"task": "imports.tasks.sweep_import_jobs_task", "schedule": 60.0},
    # Nightly: stages whose copy of their customer's specialist drifted (orders.services).
    "repair-stage-specialists": {"task": "orders.tasks.repair_stage_specialists_task",
                                 "schedule": crontab(hour=3, minute=10)},
    # Nightly: open callbacks whose owner drifted from their customer's specialist.
    "repair-callback-owners": {"task": "callbacks.tasks.repair_callback_owners_task",
                               "schedule": crontab(hour=3, minute=15)},
    # Nightly, when the stores are closed: balances against their ledgers (membership.reconcile).
    "reconcile-ledgers": {"task": "membership.tasks.reconcile_ledgers_task",
                          "schedule": crontab(hour=3, minute=30)},
    # Nightly: the database and the media files into BACKUP_DIR, older ones pruned (studio.backup).
    "backup": {"task": "studio.tasks.backup_task", "schedule": crontab(hour=3, minute=45)},
}

# --- Excel exports: above this many rows a list's export is a job for the worker (studio.exports)
EXPORT_BACKGROUND_ROWS = env.int("EXPORT_BACKGROUND_ROWS", default=5000)
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", default=7)

# --- Backups: `manage.py backup` / `restore` and the nightly job (studio.backup, docs/operations.md)
BACKUP_DIR = env.path("STUDIO_BACKUP_DIR", default=VAR_DIR / "backups")
BACKUP_KEEP_DAYS = env.int("STUDIO_BACKUP_KEEP_DAYS", default=14)

# --- Messages to customers: the one outbox (studio.sms) and its gateways (messaging.gateways,
# docs/messaging.md). The default keeps messages in the outbox; SMS_GATEWAY=aliyun or tencent
# sends them through that gateway with the keys below (SMS_SENDER names any other class).
SMS_GATEWAYS = {
    "outbox": "studio.sms.OutboxSender",
    "aliyun": "messaging.gateways.aliyun.AliyunSmsSender",
    "tencent": "messaging.gateways.tencent.TencentSmsSender",
}
SMS_SENDER = env("SMS_SENDER", default=SMS_GATEWAYS[env("SMS_GATEWAY", default="outbox")])
# Aliyun SMS (dysmsapi 2017-05-25): an AccessKey with SMS rights and an approved sign name.
ALIYUN_SMS = {
    "access_key_id": env("ALIYUN_SMS_ACCESS_KEY_ID", default=""),
    "access_key_secret": env("ALIYUN_SMS_ACCESS_KEY_SECRET", default=""),
    "sign_name": env("ALIYUN_SMS_SIGN_NAME", default=""),
    "endpoint": env("ALIYUN_SMS_ENDPOINT", default="dysmsapi.aliyuncs.com"),
    "protocol": env("ALIYUN_SMS_PROTOCOL", default="HTTPS"),
}
# Tencent Cloud SMS (2021-01-11): a SecretId/SecretKey, the SMS application and its sign name.
TENCENT_SMS = {
    "secret_id": env("TENCENT_SMS_SECRET_ID", default=""),
    "secret_key": env("TENCENT_SMS_SECRET_KEY", default=""),
    "app_id": env("TENCENT_SMS_APP_ID", default=""),
    "sign_name": env("TENCENT_SMS_SIGN_NAME", default=""),
    "region": env("TENCENT_SMS_REGION", default="ap-guangzhou"),
    "endpoint": env("TENCENT_SMS_ENDPOINT", default="sms.tencentcloudapi.com"),
    "protocol": env("TENCENT_SMS_PROTOCOL", default="https"),
}
# Seconds a gateway may take to answer before the attempt counts as in doubt (studio.sms).
SMS_GATEWAY_TIMEOUT = env.int("SMS_GATEWAY_TIMEOUT", default=10)
# The secret part of the receipt URLs given to the gateways (/messaging/receipts/<gateway>/<token>/):
# their reports carry no signature, so a report is believed only at the URL that holds this.
SMS_RECEIPT_TOKEN = env("SMS_RECEIPT_TOKEN", default="")
# Per-mobile limits, (seconds, messages): a message over them waits; a one-time code is refused.
SMS_RATE_LIMITS = [(60, 1), (3600, 5), (86400, 10)]
# WeChat: an Official Account's template messages ("template") or a mini program's subscribe
# messages ("subscribe") to customers who linked their WeChat; SMS when that fails.
WECHAT = {
    "app_id": env("WECHAT_APP_ID", default=""),
    "app_secret": env("WECHAT_APP_SECRET", default=""),
    "kind": env("WECHAT_KIND", default="template"),
    "api_base": env("WECHAT_API_BASE", default="https://api.weixin.qq.com"),
    # The token of the server URL set in the WeChat console: signs the events WeChat pushes.
    "token": env("WECHAT_TOKEN", default=""),
}
WECHAT_SENDER = env("WECHAT_SENDER", default="messaging.gateways.wechat.WechatSender"
                    if WECHAT["app_id"] else "")
# When a message to a customer may go: the store's quiet hours (callbacks' policy). Studio
# knows no app, so the rule is named here (issue 17).
SMS_NOT_BEFORE = env("STUDIO_SMS_NOT_BEFORE", default="callbacks.services.sms_not_before")

# --- Security -------------------------------------------------------------------------------
# Production pins the HTTPS settings in studio/settings_production.py (README, "Deployment");
# here they follow the environment so that `make run` and the tests work over plain HTTP.
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4). Scripts only from our own files or a <script> carrying
# the request's nonce (request.csp_nonce): no inline handlers, no eval. <style> elements the
# same (htmx's indicator style takes the nonce from base.html). style="" attributes are allowed:
# templates size progress bars and chart boxes with them, an attribute holds no selector (so no
# CSS exfiltration of tokens) and runs no script, and autoescaping keeps visitors' text out of
# them. data: images are Bootstrap's CSS icons (select arrows, check marks, close buttons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],  # as X-Frame-Options: DENY, for browsers that read only CSP
    },
}

# Login lockout (django-axes): 5 failed logins for one user name from one address lock that
# pair out until an administrator resets it (admin: Axes › Access attempts, or
# `manage.py axes_reset_username <name>`). Per pair, so that a stranger guessing at a name
# cannot lock its owner out at the studio; every failure is recorded there, with its address.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = None  # no automatic unlock: an administrator resets it
AXES_RESET_ON_SUCCESS = True  # five failures in a row, not five in a lifetime
AXES_CLIENT_IP_CALLABLE = "studio.audit.client_ip"  # the address the audit log records
# The proxies in front of the web (issue 18, studio/client_ip.py): a count ("1") or their
# addresses/networks ("10.0.0.5,172.16.0.0/12"). Unset: REMOTE_ADDR, X-Forwarded-For ignored.
STUDIO_TRUSTED_PROXIES = env("STUDIO_TRUSTED_PROXIES", default="")
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # [request id]: the same id on the web's lines and on the worker's for the tasks it sent
    # (studio.request_id; "-" outside a request). The proxy may send its own in X-Request-ID.
    "filters": {"request_id": {"()": "studio.request_id.RequestIdFilter"}},
    "formatters": {"plain": {
        "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
