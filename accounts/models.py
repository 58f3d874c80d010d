"""Which sessions belong to which user, so that "log out everywhere" ends them without decoding
every session row (the session store is keyed by session key only)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="+")
    session_key = models.CharField(_("会话标识"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("登录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_session_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.created_at:%Y-%m-%d %H:%M}"
