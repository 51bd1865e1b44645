"""Import customers from Excel: upload and preview, confirm, and the sheet of rejected rows.

Between preview and confirmation the uploaded bytes wait on the server, under
MEDIA_ROOT/imports/<uploader id>-<token>.xlsx, with a state file beside them (the store, and the
rejected rows for the download). The client only ever sends the token back: the path is built
from it and from the logged-in user, so nobody reaches another user's upload. Files are swept a
day after upload.
"""
import json
import os
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from staff.models import Store
from staff.scoping import scope_for
from studio.audit import audit_record
from studio.exports import XlsxColumn, xlsx_response
from studio.models import AuditAction

from .imports import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    ImportPreview,
    customers_import,
    import_file_check_size,
    import_preview,
    rejected_sheet_rows,
)

TTL = timedelta(days=1)
PREVIEW_ROWS = 300  # rows of each table on the preview page; the download has them all
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
_TOKEN_CHARS = "0123456789abcdef"


# --- the waiting files -----------------------------------------------------------------------

def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _paths(user, token: str) -> tuple[Path, Path]:
    """The upload and its state file: named by the server from the user and a checked token."""
    if not _TOKEN_RE.match(token or ""):
        raise Http404
    stem = _folder() / f"{user.pk}-{token}"
    return stem.with_suffix(".xlsx"), stem.with_suffix(".json")


def _write(path: Path, data: bytes) -> None:
    # Personal data: readable by the server's user only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def _sweep() -> None:
    """Forget uploads nobody confirmed within a day (and finished imports' states)."""
    cutoff = time.time() - TTL.total_seconds()
    for path in _folder().glob("*-*.*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # swept by a neighbour request
            pass


def _save_state(path: Path, state: dict[str, Any]) -> None:
    _write(path, json.dumps(state, ensure_ascii=False).encode())


def _load_state(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_mtime < time.time() - TTL.total_seconds():
            raise Http404
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        raise Http404 from None


def _state(preview: ImportPreview, *, filename: str, done: dict[str, int] | None = None) -> dict:
    return {"store": preview.store.pk, "file": filename, "done": done,
            "rejected": rejected_sheet_rows(preview.rows)}


# --- the store -------------------------------------------------------------------------------

def _import_store(user, store_id: Any = None) -> Store:
    """The store imported into: one's own; a general manager (all stores) picks one."""
    scope = scope_for(user)
    if scope.all_stores:
        return get_object_or_404(Store.objects.filter(is_active=True), pk=store_id or 0)
    if scope.nothing or scope.store_id is None:
        raise PermissionDenied
    return get_object_or_404(Store, pk=scope.store_id)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件（.xlsx）"))
    store = forms.ModelChoiceField(queryset=Store.objects.none(), label=gettext_lazy("导入到门店"))

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scope_for(user).all_stores:
            self.fields["store"].queryset = Store.objects.filter(is_active=True)
            profile = getattr(user, "staff_profile", None)
            self.fields["store"].initial = profile.store_id if profile else None
        else:
            del self.fields["store"]


def _may_order(user) -> bool:
    return user.has_perm("orders.add_order") and user.has_perm("orders.take_payment")


def _filename(upload) -> str:
    return Path(upload.name or "").name[:100] or "import.xlsx"


# --- the views -------------------------------------------------------------------------------

@login_required
@permission_required("customers.add_customer", raise_exception=True)
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a sheet and see, row by row, what would be imported and what not, and why."""
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        store = form.cleaned_data.get("store") or _import_store(request.user)
        upload = form.cleaned_data["file"]
        try:
            import_file_check_size(upload.size)  # before a byte is read
            data = upload.read()
            preview = import_preview(data=data, store=store, may_order=_may_order(request.user))
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            _folder().mkdir(parents=True, exist_ok=True)
            _sweep()
            token = get_random_string(32, _TOKEN_CHARS)
            xlsx_path, state_path = _paths(request.user, token)
            _write(xlsx_path, data)
            _save_state(state_path, _state(preview, filename=_filename(upload)))
            return _render_preview(request, preview, token)
    return render(request, "customers/import_upload.html", {
        "form": form, "columns": COLUMNS.values(), "max_mb": MAX_FILE_BYTES // 1024 // 1024,
        "max_rows": MAX_ROWS,
    })


def _render_preview(request: HttpRequest, preview: ImportPreview, token: str) -> HttpResponse:
    valid, rejected = preview.valid, preview.rejected
    return render(request, "customers/import_preview.html", {
        "preview": preview, "token": token, "store": preview.store,
        "valid_count": len(valid), "rejected_count": len(rejected),
        "valid_rows": valid[:PREVIEW_ROWS], "rejected_rows": rejected[:PREVIEW_ROWS],
        "more_valid": max(len(valid) - PREVIEW_ROWS, 0),
        "more_rejected": max(len(rejected) - PREVIEW_ROWS, 0),
        "ignored": preview.sheet.ignored,
        "headers": [COLUMNS[key] for key in preview.sheet.columns],
    })


@login_required
@require_POST
@permission_required("customers.add_customer", raise_exception=True)
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Import the valid rows of a previewed upload, all or nothing. Confirming twice shows the
    result again; if the rows that would go in changed since the preview, the preview again."""
    xlsx_path, state_path = _paths(request.user, token)
    state = _load_state(state_path)
    if state["done"] is not None:
        return _render_done(request, state, token)
    store = _import_store(request.user, state["store"])
    try:
        preview = import_preview(data=xlsx_path.read_bytes(), store=store,
                                 may_order=_may_order(request.user))
    except (FileNotFoundError, ValidationError):
        messages.error(request, _("上传的文件已过期，请重新上传。"))
        return redirect("imports:upload")
    if preview.digest != request.POST.get("digest"):
        _save_state(state_path, _state(preview, filename=state["file"]))
        messages.warning(request, _("预览之后数据有变化（例如门店刚登记了其中的客户），请核对后重新确认。"))
        return _render_preview(request, preview, token)
    try:
        result = customers_import(rows=preview.rows, store=store, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_preview(request, preview, token)
    except IntegrityError:  # a customer registered at the same moment: the unique constraint
        messages.error(request, _("导入时与其他操作冲突，本次未导入任何数据，请重新确认。"))
        return _render_preview(request, preview, token)
    done = {"customers": result.customers, "orders": result.orders, "payments": result.payments}
    audit_record(request=request, action=AuditAction.IMPORT, detail={
        "file": state["file"], "store": store.pk, **done,
        "rejected": len(preview.rejected)})
    state = _state(preview, filename=state["file"], done=done)
    _save_state(state_path, state)
    xlsx_path.unlink(missing_ok=True)
    return _render_done(request, state, token)


def _render_done(request: HttpRequest, state: dict[str, Any], token: str) -> HttpResponse:
    return render(request, "customers/import_done.html", {
        "done": state["done"], "token": token, "file": state["file"],
        "store": Store.objects.filter(pk=state["store"]).first(),
        "rejected": state["rejected"][:PREVIEW_ROWS], "rejected_count": len(state["rejected"]),
    })


@login_required
@permission_required("customers.add_customer", raise_exception=True)
def import_rejected(request: HttpRequest, token: str) -> HttpResponse:
    """The rows that are (or were) not imported, each with its reason, as a sheet to fix and
    upload again. Written to the audit log as an export."""
    _xlsx_path, state_path = _paths(request.user, token)
    state = _load_state(state_path)
    columns = [XlsxColumn("行号", 6), *(XlsxColumn(header, 16 if key == "notes" else 12)
                                       for key, header in COLUMNS.items()), XlsxColumn("原因", 48)]
    return xlsx_response(
        request=request, filename=f"{_('未导入的行')}-{timezone.localdate():%Y%m%d}.xlsx",
        title=_("未导入的行"), columns=columns, rows=state["rejected"],
        audit_detail={"list": "customer_import_rejected", "source": state["file"],
                      "store": state["store"]})
