from django import template

from ..selectors import audit_allowed

register = template.Library()


@register.simple_tag(takes_context=True)
def can_read_audit(context, alliance) -> bool:
    """True when the user may read `alliance`'s audit trail (from the cached scope: no query)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return audit_allowed(user=request.user, path=alliance.path)
