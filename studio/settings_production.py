"""Production: studio.settings with the HTTPS protections pinned on (docs/deployment.md).

Select it with DJANGO_SETTINGS_MODULE=studio.settings_production behind a TLS-terminating proxy
that sets X-Forwarded-Proto. Start-up fails without a real DJANGO_SECRET_KEY and
DJANGO_ALLOWED_HOSTS. `manage.py check --deploy --fail-level WARNING` passes with it
(tests/security/test_deploy_check.py).
"""
from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403 (the one env-driven settings file, then the pins below)
from .settings import env

DEBUG = False
WHITENOISE_USE_FINDERS = False  # collectstatic has run: serve the collected, hashed files

SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: a missing key stops the start
if SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is the development key: set a secret one.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")  # no default: name the host(s) served

SECURE_SSL_REDIRECT = True
# The container's health probe asks over plain HTTP from inside (docker-compose.yml); it
# carries no personal data.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)

SILENCED_SYSTEM_CHECKS = [
    # security.W021 asks for SECURE_HSTS_PRELOAD. Preloading is a promise for the whole
    # registrable domain (every sub-domain HTTPS-only, in browsers' built-in lists, slow to
    # undo), which a studio cannot make for the domain its public site and e-mail share just by
    # deploying the back office. HSTS itself is on; DJANGO_SECURE_HSTS_PRELOAD=1 opts in.
    "security.W021",
]
