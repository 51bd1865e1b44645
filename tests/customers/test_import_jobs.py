"""The customer import as a job for the worker (issue 10): the upload's request only checks the
file and queues it; the worker parses it in a child process under memory, CPU and time limits,
previews, and after the confirmation imports in one transaction. Each task is safe to run twice,
a lost message is re-sent by the sweep, an abandoned job ends failed with nothing written, and a
job is its uploader's alone."""
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import openpyxl.xml
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from imports import reader as import_reader
from imports import services as imports
from imports.services import import_folder, import_job_apply, import_job_preview, import_jobs_sweep
from imports.tasks import import_apply_task, import_preview_task, sweep_import_jobs_task
from orders.models import Order, Package
from studio.models import AuditAction, AuditEntry, ImportJob, ImportStatus

from . import test_imports
from .test_imports import FIXTURE_ROWS, XLSX, _workbook

pytestmark = pytest.mark.django_db
world = test_imports.world  # the fixture: the store's customers and packages of the sheet

LIMITS_MESSAGE = "文件过大或格式异常，无法解析"


SHEET = _workbook(FIXTURE_ROWS)


def _post_upload(client, data: bytes = SHEET, **fields):
    return client.post(reverse("imports:upload"), {
        "file": SimpleUploadedFile("客户资料.xlsx", data, content_type=XLSX), **fields})


@pytest.fixture
def queued(client, world, front_desk, django_capture_on_commit_callbacks) -> ImportJob:
    """An uploaded job whose message has not reached the worker yet."""
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post_upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/customers/import/{job.pk}/"
    assert len(callbacks) == 1  # the preview, sent once the job is committed
    return job


@pytest.fixture
def ready(queued) -> ImportJob:
    import_job_preview(queued.pk)
    queued.refresh_from_db()
    assert queued.status == ImportStatus.READY
    return queued


def _confirm(client, job: ImportJob, capture, execute: bool = True):
    with capture(execute=execute):
        return client.post(reverse("imports:confirm", args=[job.pk]),
                           {"digest": job.summary["digest"]})


def _files(job: ImportJob) -> list[str]:
    folder = import_folder()
    return sorted(p.name.removeprefix(f"{job.user_id}-{job.pk}")
                  for p in folder.glob(f"{job.user_id}-{job.pk}.*"))


def _files_dated_now() -> None:
    """Date the waiting files by the app's clock. The file system dates them by the real one,
    which a travelled clock (STUDIO_TEST_CLOCK="2026-12-31 23:50") leaves days behind: the
    sweep would take them for files of a day ago and delete them."""
    stamp = timezone.now().timestamp()
    for path in import_folder().glob("*"):
        os.utime(path, (stamp, stamp))


# --- the request only checks and queues ----------------------------------------------------------

def test_the_upload_is_kept_for_the_worker_and_its_page_waits(client, queued, front_desk):
    assert (queued.status, queued.user, queued.filename, queued.ip_address) == (
        ImportStatus.QUEUED, front_desk, "客户资料.xlsx", "127.0.0.1")
    upload = import_folder() / f"{front_desk.pk}-{queued.pk}.xlsx"
    assert upload.read_bytes() == SHEET
    assert upload.stat().st_mode & 0o077 == 0  # personal data: the server's user only
    page = client.get(f"/customers/import/{queued.pk}/").content.decode()
    assert 'data-testid="import-status">排队中<' in page
    # it asks for itself every second (htmx, no script of its own: CSP)
    assert f'hx-get="/customers/import/{queued.pk}/" hx-trigger="every 1s"' in page
    assert client.get(f"/customers/import/{queued.pk}/status").json() == {
        "status": "queued", "status_label": "排队中", "running": True, "error": ""}
    assert client.get(f"/customers/import/{queued.pk}/rejected.xlsx").status_code == 404
    assert not Customer.objects.filter(mobile="13800000001").exists()


def test_the_worker_previews_then_the_page_shows_it(client, queued):
    assert import_preview_task.delay(queued.pk).get() == ImportStatus.READY
    queued.refresh_from_db()
    assert queued.summary == {"valid": 3, "rejected": 13, "orders": 2,
                              "digest": queued.summary["digest"], "ignored": ["旧系统编号"],
                              "headers": ["姓名", "手机号", "称呼", "微信", "来源", "婚期", "宝宝生日",
                                          "备注", "套系", "订单金额", "已付定金"]}
    assert _files(queued) == [".json", ".sheet.json"]  # the upload is gone once parsed
    assert client.get(f"/customers/import/{queued.pk}/status").json()["running"] is False
    page = client.get(f"/customers/import/{queued.pk}/").content.decode()
    assert 'data-testid="import-summary"' in page and "hx-trigger" not in page
    assert f'action="/customers/import/{queued.pk}/confirm/"' in page


def test_defusedxml_is_what_openpyxl_parses_with_and_the_reader_requires_it(monkeypatch, tmp_path):
    assert openpyxl.xml.DEFUSEDXML is True
    path = tmp_path / "a.xlsx"
    path.write_bytes(_workbook(FIXTURE_ROWS))
    assert import_reader.main([str(path), "10", "5"]) == 0
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    assert import_reader.main([str(path), "10", "5"]) == import_reader.EXIT_NO_DEFUSEDXML


def test_the_reader_refuses_to_hand_back_more_text_than_the_parent_takes(monkeypatch, tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(SHEET)
    monkeypatch.setattr(import_reader, "MAX_OUTPUT_BYTES", 100)
    assert import_reader.main([str(path), "100", "60"]) == import_reader.EXIT_MEMORY


# --- the child's limits ------------------------------------------------------------------------

@pytest.mark.parametrize(("limits", "command"), [
    # A cap the interpreter cannot even start under: the reader dies of it.
    pytest.param({"PARSE_MEMORY_BYTES": 16 * 1024 * 1024}, None, id="memory cap, real reader"),
    # A reader that grabs a gigabyte: MemoryError under the default 512 MB cap.
    pytest.param({}, "x = bytearray(1024 ** 3)", id="memory cap, greedy reader"),
    # A reader that computes forever: SIGXCPU after a second of CPU.
    pytest.param({"PARSE_CPU_SECONDS": 1}, "while True: pass", id="cpu cap"),
    # A reader that hangs without computing: the wall-clock timeout kills it.
    pytest.param({"PARSE_TIMEOUT_SECONDS": 1}, "import time; time.sleep(30)", id="timeout"),
    # A reader that says something that is not its JSON.
    pytest.param({}, "print('[1, 2')", id="garbled output"),
])
def test_a_reader_over_its_limits_fails_the_job_with_a_message(
        client, queued, monkeypatch, limits, command):
    for name, value in limits.items():
        monkeypatch.setattr(imports, name, value)
    if command is not None:
        monkeypatch.setattr(imports, "PARSE_COMMAND", [sys.executable, "-c", command])
    job = import_job_preview(queued.pk)
    assert job.status == ImportStatus.FAILED
    assert job.error == LIMITS_MESSAGE + "。"
    assert job.summary == {}
    assert _files(job) == []  # nothing of the upload is left
    assert not Customer.objects.filter(mobile="13800000001").exists()
    page = client.get(f"/customers/import/{job.pk}/")
    assert page.status_code == 200
    assert LIMITS_MESSAGE in page.content.decode()
    assert 'data-testid="import-error"' in page.content.decode()


def test_a_worker_that_raises_fails_the_job_not_the_page(client, queued, monkeypatch):
    def broken(path):
        raise RuntimeError("a bug")

    monkeypatch.setattr(imports, "import_file_parse", broken)
    job = import_job_preview(queued.pk)
    assert job.status == ImportStatus.FAILED and "未导入任何数据" in job.error
    assert client.get(f"/customers/import/{job.pk}/").status_code == 200


def test_the_uploader_losing_the_right_fails_the_job(queued, front_desk):
    front_desk.is_active = False
    front_desk.save()
    job = import_job_preview(queued.pk)
    assert job.status == ImportStatus.FAILED and job.error == "上传人已无导入该门店客户的权限。"


# --- each task twice, and the confirmation -----------------------------------------------------

def test_each_task_run_twice_does_its_work_once(
        client, ready, front_desk, django_capture_on_commit_callbacks):
    summary = ready.summary
    assert import_preview_task.delay(ready.pk).get() is None  # a redelivered message: taken
    ready.refresh_from_db()
    assert (ready.status, ready.summary) == (ImportStatus.READY, summary)

    response = _confirm(client, ready, django_capture_on_commit_callbacks, execute=False)
    assert response.status_code == 302 and response["Location"] == f"/customers/import/{ready.pk}/"
    ready.refresh_from_db()
    assert ready.status == ImportStatus.CONFIRMED
    assert import_apply_task.delay(ready.pk).get() == ImportStatus.DONE
    assert import_apply_task.delay(ready.pk).get() is None
    assert import_preview_task.delay(ready.pk).get() is None
    assert Customer.objects.filter(store=ready.store, mobile__in=[
        "13800000001", "13800000002", "13900000002"]).count() == 3
    assert Order.objects.count() == 2
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 1
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert (entry.actor, entry.object_type, entry.object_id) == (
        front_desk, "studio.importjob", str(ready.pk))
    # Confirming the done job again shows it; nothing is queued.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("imports:confirm", args=[ready.pk]), {"digest": summary["digest"]})
    assert callbacks == []
    assert Customer.objects.filter(store=ready.store).count() == 4


def test_the_confirmation_is_queued_once_and_the_page_waits(
        client, ready, django_capture_on_commit_callbacks):
    for queued_messages in (1, 0):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(reverse("imports:confirm", args=[ready.pk]),
                        {"digest": ready.summary["digest"]})
        assert len(callbacks) == queued_messages
    page = client.get(f"/customers/import/{ready.pk}/").content.decode()
    assert "待导入" in page and 'hx-trigger="every 1s"' in page


def test_a_package_withdrawn_after_the_preview_brings_the_preview_back(
        client, ready, django_capture_on_commit_callbacks):
    # Row 13's package is withdrawn after the preview: validation now refuses the row, so the
    # rows that would go in changed and the uploader sees the new preview.
    Package.objects.filter(name="宝宝成长套系").update(is_active=False)
    _confirm(client, ready, django_capture_on_commit_callbacks)
    ready.refresh_from_db()
    assert ready.status == ImportStatus.READY
    assert "预览之后数据有变化" in ready.summary["notice"]
    assert not Customer.objects.filter(mobile="13800000001").exists()


def test_an_import_that_fails_half_way_writes_nothing(
        client, ready, monkeypatch, django_capture_on_commit_callbacks):
    real = imports.payment_record

    def fail_on_the_second_deposit(**kwargs):
        if Order.objects.count() == 2:
            from django.core.exceptions import ValidationError
            raise ValidationError("收款失败")
        return real(**kwargs)

    monkeypatch.setattr(imports, "payment_record", fail_on_the_second_deposit)
    _confirm(client, ready, django_capture_on_commit_callbacks)
    ready.refresh_from_db()
    assert ready.status == ImportStatus.READY
    assert ready.summary["notice"] == "第 13 行导入失败：收款失败 本次未导入任何数据。"
    assert not Customer.objects.filter(mobile="13800000001").exists()
    assert not Order.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()
    assert "本次未导入任何数据" in client.get(f"/customers/import/{ready.pk}/").content.decode()


def test_a_job_the_sweep_gave_up_during_its_import_writes_nothing(
        client, ready, monkeypatch, django_capture_on_commit_callbacks):
    real, real_import = imports.import_rows_validate, imports.customers_import

    def slow_validation(**kwargs):
        result = real(**kwargs)
        # Meanwhile the sweep found the job past its time limit and failed it (committed before
        # the worker, whose import then finds the job no longer its own and rolls back).
        ImportJob.objects.filter(pk=ready.pk).update(status=ImportStatus.FAILED, error="导入中断")
        return result

    imported = []

    def spied_import(**kwargs):
        imported.append(real_import(**kwargs))
        return imported[-1]

    monkeypatch.setattr(imports, "import_rows_validate", slow_validation)
    monkeypatch.setattr(imports, "customers_import", spied_import)
    _confirm(client, ready, django_capture_on_commit_callbacks, execute=False)
    assert import_job_apply(ready.pk) is None
    assert imported[0].customers == 3  # the rows went in, then were rolled back
    ready.refresh_from_db()
    assert ready.status == ImportStatus.FAILED
    assert not Customer.objects.filter(mobile="13800000001").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()


def test_a_preview_whose_rows_were_swept_says_so(client, ready):
    (import_folder() / f"{ready.user_id}-{ready.pk}.json").unlink()
    page = client.get(f"/customers/import/{ready.pk}/")
    assert page.status_code == 200
    assert "上传的文件已过期，请重新上传。" in page.content.decode()
    assert client.get(f"/customers/import/{ready.pk}/rejected.xlsx").status_code == 404


# --- whose job ----------------------------------------------------------------------------------

def test_the_job_is_its_uploaders_alone(client, ready, manager, general_manager):
    for user in (manager, general_manager):  # same store, more rights; all stores
        client.force_login(user)
        for url in (f"/customers/import/{ready.pk}/", f"/customers/import/{ready.pk}/status",
                    f"/customers/import/{ready.pk}/rejected.xlsx"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/customers/import/{ready.pk}/confirm/",
                           {"digest": ready.summary["digest"]}).status_code == 404
    ready.refresh_from_db()
    assert ready.status == ImportStatus.READY
    client.logout()
    assert client.get(f"/customers/import/{ready.pk}/").status_code == 302  # to the login page


# --- the broker down, the sweep ---------------------------------------------------------------

@pytest.mark.clock
def test_with_the_broker_down_the_job_waits_for_the_sweep(
        client, world, front_desk, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    client.force_login(front_desk)
    with monkeypatch.context() as patched:
        patched.setattr(import_preview_task, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            response = _post_upload(client)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.QUEUED
    assert client.get(response["Location"]).status_code == 200
    _files_dated_now()
    assert import_jobs_sweep(now=timezone.now()) == ([], [])  # not yet: it may be on its way
    assert import_jobs_sweep(now=timezone.now() + timedelta(minutes=2)) == ([job.pk], [])
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert sweep_import_jobs_task.delay().get() == 1  # the broker is back: sent, and run
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


@pytest.mark.clock
def test_a_lost_confirmation_is_sent_again_by_the_sweep(
        client, ready, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    with monkeypatch.context() as patched:
        patched.setattr(import_apply_task, "delay", broker_down)
        _confirm(client, ready, django_capture_on_commit_callbacks)
    ready.refresh_from_db()
    assert ready.status == ImportStatus.CONFIRMED
    _files_dated_now()
    assert import_jobs_sweep(now=timezone.now()) == ([], [])
    assert import_jobs_sweep(now=timezone.now() + timedelta(minutes=2)) == ([], [ready.pk])
    ImportJob.objects.filter(pk=ready.pk).update(
        confirmed_at=timezone.now() - timedelta(minutes=2))
    assert sweep_import_jobs_task.delay().get() == 1
    ready.refresh_from_db()
    assert ready.status == ImportStatus.DONE
    assert Customer.objects.filter(mobile="13800000001").count() == 1


@pytest.mark.clock
def test_the_sweep_fails_abandoned_jobs_and_forgets_old_files(world, front_desk):
    now = timezone.now()

    def job(status, **fields):
        return ImportJob.objects.create(user=front_desk, store=world, filename="a.xlsx",
                                        status=status, **fields)

    parsing = job(ImportStatus.PARSING, started_at=now - timedelta(
        seconds=imports.PREVIEW_TIME_LIMIT + 61))
    parsing_now = job(ImportStatus.PARSING, started_at=now - timedelta(seconds=30))
    importing = job(ImportStatus.IMPORTING, started_at=now - timedelta(
        seconds=imports.APPLY_TIME_LIMIT + 61))
    stale = job(ImportStatus.READY)
    ImportJob.objects.filter(pk=stale.pk).update(created_at=now - timedelta(days=1, minutes=1))
    import_folder().mkdir(parents=True)
    old, fresh = import_folder() / f"{front_desk.pk}-{stale.pk}.json", import_folder() / "1-2.json"
    for path in (old, fresh):
        path.write_text("{}")
    _files_dated_now()
    day_ago = (now - timedelta(days=1, minutes=1)).timestamp()
    os.utime(old, (day_ago, day_ago))

    assert import_jobs_sweep(now=now) == ([], [])
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert statuses == {parsing.pk: ImportStatus.FAILED, parsing_now.pk: ImportStatus.PARSING,
                        importing.pk: ImportStatus.FAILED, stale.pk: ImportStatus.FAILED}
    importing.refresh_from_db()
    assert importing.error == "导入中断，本次未导入任何数据，请重新上传。"
    assert [Path(p).name for p in import_folder().iterdir()] == ["1-2.json"]


def test_the_beat_schedule_runs_the_sweep(settings):
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "imports.tasks.sweep_import_jobs_task" in entries
    from studio.celery import app

    assert "imports.tasks.sweep_import_jobs_task" in app.tasks


def test_the_reader_prints_the_rows_as_text(tmp_path):
    """The child's whole output: row numbers as Excel shows them, cells as the sheet shows them
    (a date as YYYY-MM-DD, a mobile typed as a number without .0), empty rows left out."""
    path = tmp_path / "a.xlsx"
    path.write_bytes(_workbook({3: ["王芳", 13800000001.0], 5: ["李雷", "138"]},
                               header=["姓名", "手机号"]))
    child = imports.subprocess.run(
        [*imports.PARSE_COMMAND, str(path), "10", "60"], capture_output=True, check=True,
        cwd=imports._PROJECT_DIR)
    assert json.loads(child.stdout) == {"rows": [
        [1, ["老系统客户资料导出"]], [2, ["姓名", "手机号"]], [3, ["王芳", "13800000001"]],
        [5, ["李雷", "138"]]], "truncated": False}
    child = imports.subprocess.run(
        [*imports.PARSE_COMMAND, str(path), "2", "1"], capture_output=True, check=True,
        cwd=imports._PROJECT_DIR)
    assert json.loads(child.stdout) == {"rows": [[1, ["老系统客户资料导出"]], [2, ["姓名"]]],
                                        "truncated": True}
