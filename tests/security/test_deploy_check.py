"""Production settings (studio.settings_production) pass Django's deployment checklist, refuse to
start without a real secret, and silence no check without saying why."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PRODUCTION = Path(settings.BASE_DIR) / "studio" / "settings_production.py"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("DJANGO_", "AXES_"))}  # nothing from this shell leaks in
    environ.update({"DJANGO_SETTINGS_MODULE": "studio.settings_production", **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR,
                          env=environ, capture_output=True, text=True, timeout=120)


def test_the_deployment_checklist_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                    DJANGO_ALLOWED_HOSTS="backoffice.example.com")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_ALLOWED_HOSTS="backoffice.example.com")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_the_development_key():
    result = manage("check", DJANGO_SECRET_KEY="dev-only-insecure-key-change-me-in-production",
                    DJANGO_ALLOWED_HOSTS="backoffice.example.com")
    assert result.returncode != 0 and "development key" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_each_silenced_check_says_why():
    from studio import settings as base

    assert not getattr(base, "SILENCED_SYSTEM_CHECKS", [])  # development and tests hide nothing
    source = PRODUCTION.read_text(encoding="utf-8")
    block = re.search(r"SILENCED_SYSTEM_CHECKS = \[(.*?)\n\]", source, re.DOTALL).group(1)
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith('"'):
            # Comment lines right above each silenced id, saying why.
            assert i > 0 and lines[i - 1].startswith("#"), line
