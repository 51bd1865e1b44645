"""The one audit log: every view, reveal or export of personal data goes through here."""
from typing import Any

from django.db import models
from django.http import HttpRequest

from .client_ip import client_ip  # through STUDIO_TRUSTED_PROXIES: axes and the limits read it
from .models import AuditAction, AuditEntry

__all__ = ["audit_log", "audit_record", "client_ip"]


def audit_record(
    *, request: HttpRequest, action: AuditAction, obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit row for the request's user."""
    user = request.user if request.user.is_authenticated else None
    return audit_log(actor=user, action=action, obj=obj, detail=detail,
                     ip_address=client_ip(request))


def audit_log(
    *, actor, action: AuditAction, obj: models.Model | None = None,
    detail: dict[str, Any] | None = None, ip_address: str | None = None,
) -> AuditEntry:
    """Write one audit row; work done outside a request (an export job) names its actor."""
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail or {},
        ip_address=ip_address,
    )
