"""Large exports run as a job for the worker: progress, the same rows as the page's export,
owner-only download, permission re-checked, safe to run twice, lost messages re-sent."""
import tempfile
import tracemalloc
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from staff.models import Role
from studio import exports
from studio.exports import XlsxColumn, _write_list, export_job_run, export_jobs_sweep
from studio.models import AuditAction, AuditEntry, ExportJob, ExportStatus

from ..factories import CustomerFactory
from ..xlsx import rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(store, specialist):
    made = [CustomerFactory(store=store, assigned_to=specialist, name=f"客户{i}") for i in range(5)]
    made.append(CustomerFactory(store=store, name="=HYPERLINK(\"http://x\")"))
    return made


def sheet_rows(content: bytes) -> list[tuple]:
    return rows_of(content)  # the header row and the rows under it


def start_job(client, django_capture_on_commit_callbacks, settings, user, url="/customers/",
              execute=True, threshold=2):
    settings.EXPORT_BACKGROUND_ROWS = threshold
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=execute):
        response = client.get(url, {"export": "xlsx"})
    return response


def test_a_small_export_is_the_file_at_once(client, supervisor, customers, settings):
    settings.EXPORT_BACKGROUND_ROWS = 100
    client.force_login(supervisor)
    response = client.get("/customers/", {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert len(sheet_rows(b"".join(response.streaming_content))) == 1 + len(customers)
    assert not ExportJob.objects.exists()


def test_a_large_export_becomes_a_job_with_the_same_rows(
        client, supervisor, customers, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_BACKGROUND_ROWS = 100
    client.force_login(supervisor)
    direct = sheet_rows(b"".join(client.get("/customers/", {"export": "xlsx"}).streaming_content))

    response = start_job(client, django_capture_on_commit_callbacks, settings, supervisor)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.done_rows) == (ExportStatus.DONE, 6, 6)
    download = client.get(f"/exports/{job.pk}/download")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert sheet_rows(b"".join(download.streaming_content)) == direct
    # Formula injection is neutralised in the job's file too.
    assert any(row[0] == "'=HYPERLINK(\"http://x\")女士" or str(row[0]).startswith("'=")
               for row in direct[1:])


def test_the_job_page_and_status_report_progress(
        client, supervisor, customers, settings, django_capture_on_commit_callbacks):
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor, execute=False)
    job = ExportJob.objects.get()
    page = client.get(f"/exports/{job.pk}/")
    assert page.status_code == 200
    assert "排队中" in page.content.decode() and 'data-testid="export-progress"' in page.content.decode()
    assert client.get(f"/exports/{job.pk}/status").json() == {
        "status": "queued", "status_label": "排队中", "percent": 0, "done_rows": 0,
        "total_rows": 6, "error": "", "download_url": None}
    assert client.get(f"/exports/{job.pk}/download").status_code == 404  # not written yet

    export_job_run(job.pk)
    status = client.get(f"/exports/{job.pk}/status").json()
    assert (status["status"], status["percent"], status["done_rows"]) == ("done", 100, 6)
    assert status["download_url"] == f"/exports/{job.pk}/download"
    assert f'href="/exports/{job.pk}/download"' in client.get("/exports/").content.decode()


def test_progress_is_written_as_the_rows_go(supervisor, customers, settings, monkeypatch,
                                             client, django_capture_on_commit_callbacks):
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor, execute=False)
    job = ExportJob.objects.get()
    seen = []
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(exports, "_progress", lambda job_id, rows: seen.append(
        (rows, ExportJob.objects.get(pk=job_id).status)))
    export_job_run(job.pk)
    assert seen == [(2, "running"), (4, "running"), (6, "running")]


def test_only_the_exporter_sees_the_job_and_its_file(
        client, supervisor, manager, customers, settings, django_capture_on_commit_callbacks):
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor)
    job = ExportJob.objects.get()
    client.force_login(manager)  # same store, more rights: still not theirs
    for url in (f"/exports/{job.pk}/", f"/exports/{job.pk}/status", f"/exports/{job.pk}/download"):
        assert client.get(url).status_code == 404, url
    assert "还没有后台导出" in client.get("/exports/").content.decode()
    client.logout()
    assert client.get(f"/exports/{job.pk}/download").status_code == 302  # to the login page


def test_a_role_without_export_permission_is_refused_before_a_job(
        client, specialist, customers, settings, django_capture_on_commit_callbacks):
    response = start_job(client, django_capture_on_commit_callbacks, settings, specialist)
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_the_job_rechecks_the_permission_when_it_runs(
        client, supervisor, customers, settings, django_capture_on_commit_callbacks):
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor, execute=False)
    job = ExportJob.objects.get()
    supervisor.is_active = False
    supervisor.save()
    export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error == "导出人已无导出权限。"
    assert not job.file


def test_the_job_sees_only_the_exporters_scope(
        client, staff_of, store, other_store, customers, settings,
        django_capture_on_commit_callbacks):
    CustomerFactory.create_batch(3, store=other_store)
    supervisor_b = staff_of(Role.SUPERVISOR, other_store).user
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor_b)
    job = ExportJob.objects.get()
    rows = sheet_rows(job.file.read())
    assert len(rows) == 1 + 3
    assert {row[3] for row in rows[1:]} == {other_store.name}


def test_running_a_job_twice_writes_it_once(
        client, supervisor, customers, settings, django_capture_on_commit_callbacks):
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor)
    job = ExportJob.objects.get()
    name = job.file.name
    assert export_job_run(job.pk) is None  # a redelivered message finds the job taken
    job.refresh_from_db()
    assert job.file.name == name
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_the_export_is_audited_with_its_exporter_and_address(
        client, supervisor, customers, settings, django_capture_on_commit_callbacks):
    start_job(client, django_capture_on_commit_callbacks, settings, supervisor)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == supervisor and entry.ip_address == "127.0.0.1"
    assert entry.detail["rows"] == 6 and entry.detail["list"] == "customers"


@pytest.mark.clock
def test_with_the_broker_down_the_job_waits_for_the_sweep(
        client, supervisor, customers, settings, django_capture_on_commit_callbacks, monkeypatch):
    from studio.tasks import run_export_task

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(run_export_task, "delay", broker_down)
    response = start_job(client, django_capture_on_commit_callbacks, settings, supervisor)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.QUEUED
    assert export_jobs_sweep(now=timezone.now()) == []  # not yet: the message may be on its way
    assert export_jobs_sweep(now=timezone.now() + timedelta(minutes=2)) == [job.pk]


@pytest.mark.clock
def test_the_sweep_fails_abandoned_jobs_and_removes_old_files(supervisor, settings):
    now = timezone.now()
    abandoned = ExportJob.objects.create(user=supervisor, exporter="customers", title="t",
                                         filename="t.xlsx", status=ExportStatus.RUNNING,
                                         started_at=now - timedelta(hours=2))
    old = ExportJob.objects.create(user=supervisor, exporter="customers", title="t",
                                   filename="t.xlsx", status=ExportStatus.DONE,
                                   finished_at=now - timedelta(days=settings.EXPORT_KEEP_DAYS + 1))
    old.file.save("old.xlsx", ContentFile(b"x"))
    path = old.file.path
    export_jobs_sweep(now=now)
    abandoned.refresh_from_db()
    old.refresh_from_db()
    assert abandoned.status == ExportStatus.FAILED and abandoned.error
    assert not old.file
    import os
    assert not os.path.exists(path)


LIST_EXPORTS = {  # every list page with an export button, and the exporter it uses
    "/customers/": "customers", "/stages/order/": "stage_list:order",
    "/stages/shoot/": "stage_list:shoot", "/callbacks/?view=all": "callback_tasks",
    "/complaints/": "complaints", "/members/": "members", "/desk/production/": "production",
    "/desk/production/late/": "late_production", "/desk/walkouts/": "walkouts",
    "/desk/reworks/": "reworks",
}


def test_every_list_with_an_export_button_queues_a_job(
        client, manager, customers, order, settings, django_capture_on_commit_callbacks):
    for url in LIST_EXPORTS:
        response = start_job(client, django_capture_on_commit_callbacks, settings, manager,
                             url=url, threshold=-1)
        assert response.status_code == 302, url
    assert set(ExportJob.objects.values_list("exporter", "status")) == {
        (name, ExportStatus.DONE) for name in LIST_EXPORTS.values()}
    assert set(LIST_EXPORTS.values()) <= set(exports._EXPORTERS)


@pytest.mark.clock
def test_writing_rows_keeps_memory_flat():
    """Write-only mode: the peak Python memory of writing 8,000 rows is about that of 1,000
    rows (a workbook kept in memory would be eight times bigger). The 100,000-row figures
    are in the benchmark (docs/benchmark.md)."""
    from openpyxl import Workbook

    columns = [XlsxColumn(f"列{i}", 12) for i in range(8)]

    def peak(rows: int) -> int:
        tracemalloc.start()
        workbook = Workbook(write_only=True)
        _write_list(workbook, title="t", columns=columns,
                    rows=(["客户", "13800000000", i, timezone.now(), "x" * 20, i * 1.5, "", None]
                          for i in range(rows)))
        with tempfile.TemporaryFile() as target:  # the file, like the job's, is on disk
            workbook.save(target)
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(1_000), peak(8_000)
    assert large < small * 1.5, (small, large)
