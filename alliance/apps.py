from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = _("党建共同体")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
