from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号安全")

    def ready(self):
        from . import receivers  # noqa: F401  (session bookkeeping on login and logout)
