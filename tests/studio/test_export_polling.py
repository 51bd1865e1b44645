"""A large export's page asks for its card every second while the worker has the job (htmx, no
script of its own): the view answers that request with the card alone, which stops asking once
the file is written (and shows the download) or the job failed."""
import pytest

from studio.models import ExportJob, ExportStatus

from .test_export_jobs import customers, start_job  # noqa: F401 (a fixture, a helper)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_job_card_polls_until_the_file_is_written(
        client, supervisor, customers, settings, django_capture_on_commit_callbacks):  # noqa: F811
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor, execute=False)
    job = ExportJob.objects.get()
    url = f"/exports/{job.pk}/"
    page = client.get(url)
    assert "<nav" in page.content.decode()  # the whole page, without JavaScript too
    assert "HX-Request" in page["Vary"] and "no-cache" in page["Cache-Control"]
    card = client.get(url, **HTMX).content.decode()
    assert "<nav" not in card and card.lstrip().startswith('<div class="card export-card"')
    assert f'hx-get="{url}" hx-trigger="every 1s" hx-swap="outerHTML"' in card
    assert 'data-testid="export-status">排队中<' in card and "export-download" not in card

    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, done_rows=3,
                                               total_rows=6)
    card = client.get(url, **HTMX).content.decode()
    assert 'aria-valuenow="50"' in card and 'style="width: 50%"' in card
    assert "hx-trigger" in card

    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error="磁盘已满")
    card = client.get(url, **HTMX).content.decode()
    assert "hx-trigger" not in card  # done asking
    assert 'data-testid="export-error">磁盘已满<' in card
