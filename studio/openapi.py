"""The API's error responses in its OpenAPI schema, declared once for every operation.

A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): each view
declares only its successes; this adds what studio.api.exception_handler and DRF answer when
they refuse, by rules a new endpoint inherits without a decorator:

- 400 where there is something to refuse: a request body, or query parameters beyond paging;
- 401 and 403 everywhere (every operation authenticates: a bad token is 401; a missing
  permission, or a session POST without its CSRF token, is 403);
- 404 for an id in the path (out of the user's scope or missing) and for a page past the end;
- 409 for an action that the object's state can refuse (DomainError, TransitionNotAllowed):
  every POST on one object, except those whose services refuse only with 400, plus the
  creations that check the state of what they attach to (NOT_STATE_CHECKED, STATE_CHECKED);
- 429 on a view with DRF throttles (none today: the login lockout answers 400 "unable to log
  in" on /api/auth/token/, not 429);
- 503 everywhere: a failing database, with Retry-After (studio.db_errors).

It also makes three things the views' schema gets wrong true: an IdFilter's query parameter is a
whole number from 1 (drf-spectacular calls it a number); an optional query parameter may be sent
empty (`allowEmptyValue`: `?start=` is no filter, as from the pages' forms); and a request body
sent as an HTML form may leave a boolean out (DRF reads it as false, an unticked checkbox).

An operation's own declaration of a status wins over these.
"""
from copy import deepcopy

from .api import Pagination
from .db_errors import RETRY_AFTER_SECONDS
from .filters import MAX_ID, IdFilter

ERROR = "Error"
VALIDATION_ERROR = "ValidationError"

ERROR_SCHEMA = {
    "type": "object",
    "description": "拒绝的原因 (why the request was refused): {\"detail\": ...}; 409 and 503 "
                   "add a machine-readable `code`.",
    "properties": {
        "detail": {"type": "string", "description": "给人看的说明（按请求的语言）"},
        "code": {"type": "string",
                 "description": "409: the rule that refused, e.g. `transition_not_allowed`, "
                                "`order_cancelled`; 503: `database_unavailable`"},
    },
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "逐字段的错误 (errors by field): each refused field or query parameter "
                   "with its messages; `non_field_errors` for the request as a whole; a nested "
                   "field nests the same way (an object, or a list with one entry per item).",
    "additionalProperties": {"anyOf": [{"type": "array", "items": {}}, {"type": "object"}]},
    "example": {"amount": ["请确保该值大于或者等于 0.01。"]},
}

# POSTs on one object whose services refuse with 400 only: nothing in them depends on a state.
NOT_STATE_CHECKED = {
    "members_redeem_create",  # the balance and an active card: ValidationError (400)
    "members_adjust_create",
}
# POSTs that create an object and refuse by the state of what it belongs to (DomainError):
# a booking for a stage already done, a flow card or rework for a cancelled order, a
# production item for a cancelled order, a second walk-out for the same customer and day.
STATE_CHECKED = {
    "bookings_create",
    "flow_cards_create",
    "reworks_create",
    "production_items_create",
    "walkouts_create",
}
PAGING = {"page", "page_size"}
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"content": {"application/json": {"schema": schema}}, "description": description}


def _views(generator) -> dict[tuple[str, str], object]:
    """The view of each operation, by (path as in the schema, method)."""
    views = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        view = generator.create_view(callback, method)
        views[(generator.coerce_path(path, method, view), method.lower())] = view
    return views


def _id_filters(view) -> set[str]:
    """The query parameters of the view's filters that are IdFilters (drf-spectacular calls
    them numbers, as it cannot see an `*_id` field's type)."""
    filterset = getattr(view, "filterset_class", None)
    return {name for name, filter_ in (filterset.base_filters.items() if filterset else ())
            if isinstance(filter_, IdFilter)}


def _form_variant(schemas: dict, name: str) -> str | None:
    """The body schema as an HTML form submits it: DRF reads a boolean left out of a form as
    false (an unticked checkbox), so no boolean is required there. None if nothing differs."""
    schema = schemas.get(name, {})
    required = schema.get("required", [])
    booleans = [field for field in required
                if schema.get("properties", {}).get(field, {}).get("type") == "boolean"]
    if not booleans:
        return None
    form_name = f"{name}Form"
    if form_name not in schemas:
        form = deepcopy(schema)
        form["required"] = [field for field in required if field not in booleans]
        if not form["required"]:
            del form["required"]
        form["description"] = ((schema.get("description", "") + "\n\n").lstrip()
                               + "As a form: a boolean left out is false (an unticked checkbox).")
        schemas[form_name] = form
    return form_name


def _true_query_parameter(param: dict, *, is_id: bool) -> None:
    """Say what the API really does with this query parameter."""
    if is_id:
        param["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    if param["name"] == "page_size":
        # studio.api.Pagination refuses anything else with a 400.
        top, default = Pagination.max_page_size, Pagination.page_size
        param["schema"] = {"type": "integer", "minimum": 1, "maximum": top}
        param["description"] = f"每页条数：1–{top}，默认 {default}"
    # django-filter and DRF read a query string as the pages' forms submit it: an optional
    # parameter sent empty (?start=, an empty date input) is not given, not refused
    # (tests/security/test_openapi.py checks every one). A plain string admits "" already.
    if not param.get("required") and param.get("schema", {}) != {"type": "string"}:
        param.setdefault("allowEmptyValue", True)


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Declare every operation's refusals (see the module's docstring)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR, ERROR_SCHEMA)
    schemas.setdefault(VALIDATION_ERROR, VALIDATION_ERROR_SCHEMA)
    views = _views(generator)
    error = _ref(ERROR)
    page_past_end = "页码超出 (a page past the end)"
    not_in_scope = ("不存在或不在您的范围内 (not found or out of your scope); an id that is not "
                    "a whole number does not match the URL: Django's HTML 404 page")

    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            in_path = any(p.get("in") == "path" for p in params)
            query = {p["name"] for p in params if p.get("in") == "query"}
            body = operation.get("requestBody")
            responses = operation.setdefault("responses", {})
            declare = responses.setdefault

            if body or query - PAGING:
                declare("400", _json({"anyOf": [_ref(VALIDATION_ERROR), error]},
                                     "请求无效 (invalid input: errors by field, or a body that "
                                     "cannot be parsed)"))
            declare("401", _json(error, "未登录或令牌无效 (not authenticated)"))
            declare("403", _json(error, "没有权限 (not permitted; or a session POST without "
                                        "its CSRF token)"))
            if in_path or "page" in query:
                why = [not_in_scope] if in_path else []
                why += [page_past_end] if "page" in query else []
                not_found = _json(error, "; ".join(why))
                if in_path:
                    not_found["content"]["text/html"] = {"schema": {"type": "string"}}
                declare("404", not_found)
            view = views.get((path, method))
            ids = _id_filters(view) if view is not None else set()
            for param in params:
                if param.get("in") == "query":
                    _true_query_parameter(param, is_id=param["name"] in ids)
            operation_id = operation.get("operationId", "")
            if method == "post" and ((in_path and operation_id not in NOT_STATE_CHECKED)
                                     or operation_id in STATE_CHECKED):
                declare("409", _json(error, "当前状态不允许 (refused by the object's state)"))
            if view is not None and view.get_throttles():
                declare("429", {**_json(error, "请求过于频繁 (throttled)"),
                                "headers": {"Retry-After": {"schema": {"type": "integer"}}}})
            declare("503", {**_json(error, "数据库暂时无法处理，未保存 (database unavailable: "
                                           "nothing was saved; retry)"),
                            "headers": {"Retry-After": {
                                "schema": {"type": "integer", "example": RETRY_AFTER_SECONDS},
                                "description": "seconds"}}})

            for media_type in FORM_MEDIA_TYPES:
                content = (body or {}).get("content", {}).get(media_type)
                ref = (content or {}).get("schema", {}).get("$ref", "")
                if form_name := _form_variant(schemas, ref.rsplit("/", 1)[-1]) if ref else None:
                    content["schema"] = _ref(form_name)
    return result

