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


# --- Every operation's refusals are declared (studio.openapi.add_error_responses) ---------------

@pytest.fixture(scope="module")
def schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_declares_401_and_403(schema):
    """A new endpoint inherits them: nobody has to remember a decorator."""
    missing = [(method, path) for path, method, operation in _operations(schema)
               if not {"401", "403"} <= set(operation["responses"])]
    assert not missing


def test_every_operation_with_an_id_in_its_path_declares_404(schema):
    missing = [(method, path) for path, method, operation in _operations(schema)
               if any(p["in"] == "path" for p in operation.get("parameters", []))
               and "404" not in operation["responses"]]
    assert not missing
    # An id that is not a whole number does not match the URL: Django's HTML 404 page.
    assert "text/html" in schema["paths"]["/api/orders/{id}/"]["get"]["responses"]["404"]["content"]


def test_a_workflow_action_declares_409_and_errors_share_one_shape(schema):
    from studio.openapi import NOT_STATE_CHECKED, STATE_CHECKED
    operations = {operation["operationId"]: operation for _, _, operation in _operations(schema)}
    assert NOT_STATE_CHECKED | STATE_CHECKED <= set(operations)  # renamed? update studio.openapi
    for path, method, operation in _operations(schema):
        on_one = method == "post" and "{" in path
        expected = ((on_one and operation["operationId"] not in NOT_STATE_CHECKED)
                    or operation["operationId"] in STATE_CHECKED)
        assert ("409" in operation["responses"]) == expected, (method, path)
    conflict = operations["complaints_judge_create"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    bad = operations["orders_payments_create"]["responses"]["400"]["content"]["application/json"]
    assert {"$ref": "#/components/schemas/ValidationError"} in bad["schema"]["anyOf"]


def test_blank_choices_in_responses_are_declared(schema):
    """Found by schemathesis: a finished order's current stage and an unreached call's
    satisfaction are "", which the response schema did not allow."""
    components = schema["components"]["schemas"]
    for component, field in [("Order", "current_stage"), ("CallbackRecord", "satisfaction")]:
        options = components[component]["properties"][field]["oneOf"]
        assert {"$ref": "#/components/schemas/BlankEnum"} in options, component


@pytest.mark.django_db
def test_every_optional_query_parameter_may_be_sent_empty(client, general_manager, schema):
    """The schema marks them allowEmptyValue: as in the pages' forms, `?start=` is no filter
    (django-filter and DRF read an empty value as not given), not a 400."""
    client.force_login(general_manager)
    checked = 0
    for path, method, operation in _operations(schema):
        params = operation.get("parameters", [])
        if method != "get" or any(p["in"] == "path" for p in params):
            continue
        required = {p["name"]: p["schema"]["enum"][0] for p in params
                    if p["in"] == "query" and p.get("required")}
        for param in params:
            if param["in"] != "query" or param.get("required") or param["schema"] == {"type": "string"}:
                continue  # a plain string admits "" anyway
            assert param.get("allowEmptyValue") is True, (path, param["name"])
            response = client.get(path, {**required, param["name"]: ""})
            assert response.status_code == 200, (path, param["name"], response.content[:200])
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("page_size", ["0", "-3", "201", "1.5", "abc"])
def test_a_bad_page_size_is_refused_with_a_400(client, supervisor, page_size):
    client.force_login(supervisor)
    response = client.get("/api/customers/", {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_good_page_size_is_honoured(client, supervisor, customer):
    client.force_login(supervisor)
    response = client.get("/api/customers/", {"page_size": "1"})
    assert response.status_code == 200 and len(response.json()["results"]) == 1


def test_the_stage_list_documents_its_filters_values():
    """Issue 17 item 20: the stage list's filters are typed, their fixed values listed."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/stages/"]["get"]["parameters"]}
    assert "late" in params["state"]["enum"] and "cancelled" in params["state"]["enum"]
    assert params["owing"]["enum"] == ["no", "yes"]
    assert params["booked_from"] == {"type": "string", "format": "date"}
    assert params["amount_min"]["type"] == "number"
    assert "/api/callback-summary/" in schema["paths"] and "/api/departments/" in schema["paths"]
