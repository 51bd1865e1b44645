"""Every file the product keeps goes through Django's storage API (issue 18, docs/storage.md):
the web container and the worker then share it whether the storage is the file system (one
volume mounted in each container) or an S3-compatible object store. Each path runs against
both: the file system under MEDIA_ROOT, and a local S3-protocol server (moto) started here."""
import uuid
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from storages.backends.s3 import S3Storage

from complaints.models import ComplaintStatus
from customers.models import Customer
from frontdesk.models import Gown
from studio.models import ExportJob, ExportStatus, ImportJob, ImportStatus

from ..complaints.conftest import (  # noqa: F401 (fixtures of the complaint's steps)
    SIGNATURE,
    approved,
    cs_department,
    investigated,
    judged,
    proposed,
    registered,
)
from ..customers import test_imports
from ..customers.test_imports import FIXTURE_ROWS, XLSX, _workbook
from ..factories import CustomerFactory
from ..xlsx import rows_of

pytestmark = pytest.mark.django_db
world = test_imports.world  # the store's customers and packages of the import sheet

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "studio-test", "aws_secret_access_key": "studio-test-secret"}


@pytest.fixture(scope="module")
def s3_server():
    """A local S3-protocol server on a free port of 127.0.0.1 (no cloud is reachable here)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class Files:
    """Where the test's files went: the names kept, read back from the backend itself."""

    def __init__(self, kind: str, media_root: Path, bucket: str | None = None,
                 endpoint: str | None = None) -> None:
        self.kind, self.media_root, self.bucket, self.endpoint = kind, media_root, bucket, endpoint

    def names(self) -> set[str]:
        if self.kind == "s3":
            client = boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **KEYS)
            listing = client.list_objects_v2(Bucket=self.bucket)
            return {item["Key"] for item in listing.get("Contents", [])}
        return {path.relative_to(self.media_root).as_posix()
                for path in self.media_root.rglob("*") if path.is_file()}


@pytest.fixture(params=["filesystem", "s3"])
def files(request, settings, monkeypatch):
    """The default storage as each deployment has it (studio/settings.py, STORAGES): the
    settings fixture's setting_changed signal resets django.core.files.storage.storages and
    default_storage, and the FileFields use default_storage."""
    media_root = Path(settings.MEDIA_ROOT)
    if request.param == "filesystem":
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}}}
        default_storage._setup()
        assert isinstance(default_storage._wrapped, FileSystemStorage)
        yield Files("filesystem", media_root)
        return
    endpoint = request.getfixturevalue("s3_server")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    bucket = f"studio-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **KEYS).create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": bucket, "endpoint_url": endpoint, "region_name": REGION,
            "addressing_style": "path", "access_key": KEYS["aws_access_key_id"],
            "secret_key": KEYS["aws_secret_access_key"], "default_acl": None,
            "querystring_auth": False, "file_overwrite": False}}}
    default_storage._setup()
    assert isinstance(default_storage._wrapped, S3Storage)
    yield Files("s3", media_root, bucket, endpoint)
    # Nothing was written to the container's own file system.
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_a_large_export_written_by_the_worker_is_downloaded_by_the_web(
        client, files, supervisor, store, specialist, settings, django_capture_on_commit_callbacks):
    for i in range(30):
        CustomerFactory(store=store, assigned_to=specialist, name=f"客户{i}")
    settings.EXPORT_BACKGROUND_ROWS = 10
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task (eager)
        response = client.get("/customers/", {"export": "xlsx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.done_rows) == (ExportStatus.DONE, 30)
    assert files.names() == {job.file.name}  # in the storage, under exports/
    assert job.file.name.startswith("exports/")

    download = client.get(f"/exports/{job.pk}/download")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    rows = rows_of(b"".join(download.streaming_content))
    assert len(rows) == 1 + 30 and any("客户7" in str(cell) for row in rows for cell in row)


def test_an_import_uploaded_by_the_web_is_parsed_by_the_worker_and_its_rejects_downloaded(
        client, files, world, front_desk, django_capture_on_commit_callbacks):
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):  # the preview task (eager)
        response = client.post(reverse("imports:upload"), {
            "file": SimpleUploadedFile("客户资料.xlsx", _workbook(FIXTURE_ROWS), content_type=XLSX)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.READY, job.error
    assert (job.summary["valid"], job.summary["rejected"]) == (3, 13)
    stem = f"imports/{front_desk.pk}-{job.pk}"
    assert files.names() == {f"{stem}.json", f"{stem}.sheet.json"}  # the upload went once parsed

    rejected = client.get(f"/customers/import/{job.pk}/rejected.xlsx")
    assert rejected.status_code == 200
    assert len(rows_of(b"".join(rejected.streaming_content))) == 1 + 13
    page = client.get(f"/customers/import/{job.pk}/").content.decode()
    assert 'data-testid="import-summary"' in page

    with django_capture_on_commit_callbacks(execute=True):  # the import task (eager)
        client.post(reverse("imports:confirm", args=[job.pk]), {"digest": job.summary["digest"]})
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error
    assert Customer.objects.filter(mobile="13800000001").exists()
    assert files.names() == {f"{stem}.json"}  # the cells went with the import


@pytest.mark.clock
def test_a_complaint_signature_is_stored_and_read_back(client, files, supervisor, approved):  # noqa: F811
    client.force_login(supervisor)
    response = client.post(reverse("complaints:step", args=[approved.pk, "implement"]), {
        "accepted": "on", "signature": SIGNATURE, "feedback": "满意"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == ComplaintStatus.CLOSED
    assert files.names() == {approved.signature.name}
    assert approved.signature.name.startswith("signatures/")
    image = client.get(reverse("complaints:signature", args=[approved.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_gown_photo_is_stored_and_read_back(client, files, manager, store):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    gown = Gown.objects.create(store=store, code="G1", style="白纱")
    gown.photo.save("g1.png", ContentFile(png))
    assert files.names() == {gown.photo.name}
    client.force_login(manager)
    photo = client.get(reverse("frontdesk:gown_photo", args=[gown.pk]))
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == png


def test_old_import_files_are_swept_from_the_storage(files, world, front_desk):
    from datetime import timedelta

    from django.utils import timezone

    from imports.services import _job_name, _store, import_files_sweep

    job = ImportJob.objects.create(user=front_desk, store=world, filename="a.xlsx")
    _store(_job_name(job, ".json"), b"{}")
    _store(_job_name(job, ".json"), b"[]")  # replaced, not kept twice
    assert files.names() == {_job_name(job, ".json")}
    assert import_files_sweep(now=timezone.now()) == 0
    assert import_files_sweep(now=timezone.now() + timedelta(days=2)) == 1
    assert files.names() == set()


def test_a_large_file_streams_back_whole(client, files, supervisor):
    """Above the S3 transfer's multipart threshold (8 MB): written in parts, read back whole."""
    data = uuid.uuid4().bytes * (9 * 1024 * 1024 // 16)
    job = ExportJob.objects.create(user=supervisor, exporter="customers", title="客户",
                                   filename="客户.xlsx", status=ExportStatus.DONE)
    job.file.save("big.xlsx", ContentFile(data))
    client.force_login(supervisor)
    download = client.get(f"/exports/{job.pk}/download")
    assert download.status_code == 200 and int(download["Content-Length"]) == len(data)
    assert b"".join(download.streaming_content) == data


ROOT = Path(__file__).resolve().parents[2]


def test_web_worker_and_beat_share_one_media_volume_at_media_root():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        assert "media:/app/var/media" in compose["services"][name]["volumes"], name
    assert "media" in compose["volumes"]
    assert "mkdir -p /app/var/media" in (ROOT / "Dockerfile").read_text()  # owned by the app's user


def test_the_environment_chooses_the_object_store():
    """studio/settings.py: the file system by default, S3 when STUDIO_S3_BUCKET is set."""
    import json
    import os
    import subprocess
    import sys

    script = ("import django, json; django.setup(); from django.conf import settings; "
              "print(json.dumps(settings.STORAGES['default']))")

    def default_storage_with(**variables: str) -> dict:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("STUDIO_S3_", "AWS_"))}
        env.update(DJANGO_SETTINGS_MODULE="studio.settings", **variables)
        out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    assert default_storage_with()["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    s3 = default_storage_with(STUDIO_S3_BUCKET="studio-media", STUDIO_S3_ENDPOINT_URL="http://minio:9000",
                              STUDIO_S3_REGION="us-east-1", STUDIO_S3_ADDRESSING_STYLE="path")
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert {key: s3["OPTIONS"][key] for key in (
        "bucket_name", "endpoint_url", "region_name", "addressing_style", "querystring_auth",
        "default_acl")} == {"bucket_name": "studio-media", "endpoint_url": "http://minio:9000",
                            "region_name": "us-east-1", "addressing_style": "path",
                            "querystring_auth": False, "default_acl": None}
