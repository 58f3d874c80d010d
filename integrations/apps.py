from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("系统对接")

    def ready(self):
        from . import schema  # noqa: F401 - registers the OpenAPI extension
