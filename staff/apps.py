from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("门店与员工")

    def ready(self) -> None:
        from .roles import roles_sync_groups

        # Groups and their permissions follow the code after every migrate.
        post_migrate.connect(lambda **kwargs: roles_sync_groups(), dispatch_uid="staff.roles_sync")
