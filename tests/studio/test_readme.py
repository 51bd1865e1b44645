"""The README is the newcomer's page (issue 18): short, the two commands first, and everything it
names is there — the files it links, the pages it sends people to, the demo logins."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from devtools.demo.orders import DEMO_LOGINS, DEMO_PASSWORD

ROOT = Path(settings.BASE_DIR)
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

# Written alongside this README by other work of issue 18; linked before they land.
ANNOUNCED = {"docs/storage.md", "docs/operations.md", "docs/operations-health.md"}

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
# A site path in backticks: `/customers/`, `/desk/schedule/`, `/healthz`.
SITE_PATH = re.compile(r"`(/(?:[a-z][^` ]*)?)`")
# ...unless it is a file on a server (`/app/var/media`, `/var/backups/`): no page is under these.
FILE_ROOTS = {"app", "bin", "data", "dev", "etc", "home", "mnt", "opt", "proc", "root", "run", "srv",
              "tmp", "usr", "var"}


def _links(path: Path):
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http(s)://, mailto:, an anchor in the same page
        yield (path.parent / target.split("#")[0]).resolve()


def test_readme_is_short_with_the_quick_start_first():
    text = README.read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 8 * 1024
    head = "\n".join(text.splitlines()[:40])
    assert "make run" in head and "make test" in head
    assert head.index("make run") < head.index("make test")


def test_readme_names_the_demo_logins_and_their_password():
    text = README.read_text(encoding="utf-8")
    assert DEMO_PASSWORD in text
    for username, *_ in DEMO_LOGINS:
        assert f"`{username}`" in text, username
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert DEMO_PASSWORD in makefile
    for username, *_ in DEMO_LOGINS:
        assert username in makefile, username


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_points_to_a_file(doc):
    missing = [target.relative_to(ROOT).as_posix() if target.is_relative_to(ROOT) else str(target)
               for target in _links(doc) if not target.exists()]
    missing = [m for m in missing if m not in ANNOUNCED]
    assert not missing, f"{doc.name} links to files that are not there: {missing}"


@pytest.mark.parametrize("name", sorted(ANNOUNCED))
def test_announced_docs_are_linked_and_present(name):
    linked = {t.relative_to(ROOT).as_posix() for t in _links(README) if t.is_relative_to(ROOT)}
    assert name in linked
    if not (ROOT / name).exists():
        pytest.skip(f"{name} is being written alongside this README (issue 18)")


def _site_paths(text: str) -> list[str]:
    paths = []
    for found in SITE_PATH.findall(text):
        path = found.split("?")[0]
        if "<" in path or "…" in path or path.strip("/").split("/")[0] in FILE_ROOTS:
            continue  # a pattern (`/customers/<id>/`) or a file, not an address
        paths.append(path)
    return sorted(set(paths))


def test_readme_names_pages():
    paths = _site_paths(README.read_text(encoding="utf-8"))
    for page in ("/", "/desk/schedule/", "/accounts/login/", "/admin/", "/api/docs/", "/healthz"):
        assert page in paths


@pytest.mark.django_db
def test_every_page_the_readme_names_answers(client, general_manager):
    client.force_login(general_manager)
    not_found = []
    for path in _site_paths(README.read_text(encoding="utf-8")):
        response = client.get(path)
        if response.status_code == 404:
            not_found.append(path)
    assert not not_found, f"the README names pages that answer 404: {not_found}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_page_the_docs_name_is_in_the_urlconf(doc):
    """docs/ names patterns too (`/customers/<id>/`): an id stands for any, so each must resolve."""
    unknown = []
    for found in set(SITE_PATH.findall(doc.read_text(encoding="utf-8"))):
        if found.strip("/").split("/")[0] in FILE_ROOTS:
            continue
        path = re.sub(r"<[^>]*>", "1", found.split("?")[0].replace("…", ""))
        try:
            resolve(path)
        except Resolver404:
            unknown.append(found)
    assert not unknown, f"{doc.name} names paths that are no page: {unknown}"


@pytest.mark.django_db
def test_the_bare_desk_prefix_is_no_entry_page(client, general_manager):
    """Issue 18: the README used to send the front desk to /desk/, which is a 404; the entry is
    the home page and the schedule."""
    client.force_login(general_manager)
    assert client.get("/desk/").status_code == 404
    assert "`/desk/`" not in README.read_text(encoding="utf-8")
    assert client.get("/desk/schedule/").status_code == 200
