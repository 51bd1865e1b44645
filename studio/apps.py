from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = _("系统")

    def ready(self) -> None:
        # Each app's list exporters (`<app>/exports.py`) register with studio.exports, so that
        # a worker rebuilds the same list as the page did.
        autodiscover_modules("exports")
        from . import client_ip  # noqa: F401 (registers the STUDIO_TRUSTED_PROXIES check)
