"""The API's OpenAPI schema is valid and generates without a warning (drf-spectacular)."""
import subprocess
import sys

import pytest
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


@pytest.mark.parametrize("url", [
    "/api/customers/?store=-1.7976931348623157e%2B308", "/api/orders/?customer=1.5",
    "/api/callbacks/?assigned_to=-2.8e%2B16", "/api/bookings/?person=1e%2B400",
    "/api/members/?tier=99999999999999999999999", "/api/complaints/?department=abc",
])
@pytest.mark.django_db
def test_an_id_filter_out_of_range_is_a_400_not_a_500(client, general_manager, url):
    """Found by schemathesis (make fuzz): a huge or fractional id in a filter overflowed the
    database's integer; the list now refuses it with the field's error."""
    client.force_login(general_manager)
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
