from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(**kwargs) -> None:
    from .roles import roles_sync_groups

    roles_sync_groups()


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("门店与员工")

    def ready(self) -> None:
        # Groups and their permissions follow the code after every migrate.
        post_migrate.connect(_sync_role_groups, dispatch_uid="staff.roles_sync")
