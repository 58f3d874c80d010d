"""The meeting chain on an item's page: item → proposal → resolution → action items → result.

tasks/ never imports meetings/ (DESIGN.md: meetings depends on tasks, not the reverse), so the
item page (templates/tasks/item_detail.html) loads this library, and meetings reads its own rows,
each through its scoped selector: a viewer sees a proposal, resolution or meeting on the item page
only if it could open it.
"""

from django import template

from meetings.selectors import ItemChain, item_chain

register = template.Library()


@register.simple_tag
def meeting_chain(user, item) -> ItemChain:
    """{% meeting_chain request.user item as chain %}: the proposals raised from the item and, for
    an action item, its resolution, proposal and meeting, each None where the user may not see it."""
    return item_chain(user=user, item=item)
