from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计日志")

    def ready(self):
        from . import context

        context.guard_non_postgresql()
        context.connect_celery_signals()
