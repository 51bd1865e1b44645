"""The house's layout (issue 15): apps in layers that import only downwards, no app holding
most of the code, and every URL and API operation that existed before the rebuild still there."""
import ast
import json
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent

# Lowest first: an app may import the apps before it, never those after it (docs/architecture.md).
LAYERS = ["studio", "staff", "messaging", "webhooks", "customers", "orders", "frontdesk",
          "imports", "membership", "callbacks", "complaints", "dashboards", "devtools"]
# Wiring that looks at every app by design.
WIRING = {"studio/urls.py", "studio/settings.py", "studio/settings_production.py"}


def _app_files(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" not in rel and rel not in WIRING:
            yield rel, path


def _imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & set(LAYERS)


def _code_lines(app: str) -> int:
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for _, path in _app_files(app))


@pytest.mark.parametrize("app", LAYERS)
def test_each_app_imports_only_the_apps_below_it(app):
    below = set(LAYERS[:LAYERS.index(app) + 1])
    upward = {rel: sorted(_imported_apps(path) - below) for rel, path in _app_files(app)}
    assert {rel: apps for rel, apps in upward.items() if apps} == {}


def test_no_app_holds_more_than_thirty_percent_of_the_app_code():
    lines = {app: _code_lines(app) for app in LAYERS}
    total = sum(lines.values())
    assert {app: n for app, n in lines.items() if n > 0.30 * total} == {}, lines


def test_the_front_desk_the_import_and_the_benchmark_data_are_not_in_orders():
    names = {p.relative_to(ROOT / "orders").as_posix() for p in (ROOT / "orders").rglob("*.py")}
    assert not any(n.startswith(("frontdesk", "import", "management", "demo")) for n in names)


def _url_names() -> set[tuple[str, str]]:
    found = set()

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern),
                     f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                found.add((namespace + p.name, prefix + str(p.pattern)))

    walk(get_resolver().url_patterns)
    return found


def test_every_url_name_of_before_the_rebuild_still_resolves_to_the_same_path():
    before = {tuple(pair) for pair in json.loads((HERE / "urls_before_issue15.json").read_text())}
    assert before - _url_names() == set()


def test_the_api_schema_is_the_same_as_before_the_rebuild_or_larger(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    now = {f"{method.upper()} {path}": op for path, methods in schema["paths"].items()
           for method, op in methods.items()}
    before = json.loads((HERE / "openapi_before_issue15.json").read_text())
    missing = {}
    for key, old in before["operations"].items():
        op = now.get(key)
        if op is None:
            missing[key] = "operation"
            continue
        params = {p["name"] for p in op.get("parameters", [])}
        lost = (set(old["parameters"]) - params) | (set(old["responses"]) - set(op["responses"]))
        if lost:
            missing[key] = sorted(lost)
    assert missing == {}
    assert set(before["schemas"]) - set(schema["components"]["schemas"]) == set()
