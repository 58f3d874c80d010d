from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("事件推送")

    def ready(self):
        from . import checks  # noqa: F401 - registers the deploy checks
