"""The import job's page asks for itself every second while the worker has the job (htmx, no
script of its own): the view answers that request with the page's job part alone, its <title>
at the root, and the part stops asking once the preview or the result is there."""
import pytest

from imports.services import import_job_preview

from .test_import_jobs import queued, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_waiting_page_polls_and_gets_its_part_alone(client, queued):  # noqa: F811
    url = f"/customers/import/{queued.pk}/"
    page = client.get(url)
    assert "<nav" in page.content.decode()  # the whole page, without JavaScript too
    assert f'hx-get="{url}" hx-trigger="every 1s" hx-swap="outerHTML"' in page.content.decode()
    assert "HX-Request" in page["Vary"] and "no-cache" in page["Cache-Control"]
    part = client.get(url, **HTMX)
    html = part.content.decode()
    assert part.status_code == 200 and "<nav" not in html and "<body" not in html
    assert html.lstrip().startswith("<title>导入客户</title>")
    assert 'data-testid="import-job" data-status="queued"' in html and 'hx-trigger="every 1s"' in html
    assert "HX-Request" in part["Vary"]


def test_once_previewed_the_part_is_the_preview_and_asks_no_more(client, queued):  # noqa: F811
    import_job_preview(queued.pk)
    html = client.get(f"/customers/import/{queued.pk}/", **HTMX).content.decode()
    assert html.lstrip().startswith("<title>导入客户 · 预览</title>")
    assert 'data-testid="import-summary"' in html and "hx-trigger" not in html
