from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Personal data (个人信息保护法): masking, a person's data export and erasure; backups."""

    name = "privacy"
    verbose_name = _("个人信息与备份")
