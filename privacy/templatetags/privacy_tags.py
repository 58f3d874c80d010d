"""Personal data in templates, shown through the owning app's one rule of who sees it in full."""

from django import template

from alliance import privacy
from members.selectors import unit_contact_phone
from tasks.selectors import item_requester

register = template.Library()

register.filter("mask_phone", privacy.mask_phone)
register.filter("mask_id_number", privacy.mask_id_number)


@register.simple_tag
def item_requester_for(user, item) -> tuple[str, str]:
    """`{% item_requester_for request.user item as requester %}`: (name, phone), masked or not."""
    return item_requester(user=user, item=item)


@register.simple_tag
def unit_contact_phone_for(user, unit) -> str:
    return unit_contact_phone(user=user, unit=unit)
