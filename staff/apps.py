from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(**kwargs) -> None:
    from .roles import roles_sync_groups

    roles_sync_groups()


def _export_store_label(user, params) -> str:
    """The 门店 line of a list export: the store its filters are for, the user's own, or
    全部门店 for a general manager who picked none; nothing if the pick is not theirs."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from .scoping import store_for

    try:
        store = store_for(user, params.get("store") or None, writing=False)
    except (PermissionDenied, ValidationError):
        return ""
    return store.name if store is not None else str(_("全部门店"))


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("门店与员工")

    def ready(self) -> None:
        # Groups and their permissions follow the code after every migrate.
        post_migrate.connect(_sync_role_groups, dispatch_uid="staff.roles_sync")
        # The kernel's exports name the store above the table; the kernel knows no store.
        from studio.exports import register_store_label

        register_store_label(_export_store_label)
