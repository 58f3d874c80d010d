"""A production setting left open to SSRF is reported at start (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def webhook_targets_check(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    return [
        Warning(f"{name} is on: webhooks may be sent to {what}.",
                hint=f"Turn {name} off outside local development and tests.", id=f"webhooks.W00{n}")
        for n, (name, what) in enumerate((
            ("WEBHOOKS_ALLOW_HTTP", "plain http:// URLs"),
            ("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", "private, loopback and reserved addresses (SSRF)"),
        ), start=1)
        if getattr(settings, name, False)
    ]
