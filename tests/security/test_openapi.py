"""The API's OpenAPI schema is valid and generates without a warning (drf-spectacular)."""
import subprocess
import sys

from django.conf import settings


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn`, as CI runs it: in a process of its own,
    so warnings counted by other tests in this process cannot leak into the verdict."""
    out = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
         "--file", str(out)],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr
    schema = out.read_text()
    assert "/api/customers/{id}/" in schema and "tokenAuth" in schema
