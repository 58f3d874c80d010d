"""Who hears about what: an in-app notification for each receiver, e-mail sent after commit."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.models import Alliance
from alliance.roles import Role
from members.models import RoleAssignment

from .models import Notification


def notify_escalations(*, received: dict[int, list[tuple[int, str]]]) -> list[Notification]:
    """One notification per secretary of each receiving alliance, listing the items it got
    (each as (id, title), so the titles are not read again)."""
    alliances = {a.pk: a for a in Alliance.objects.filter(pk__in=list(received)).only("pk", "tenant_id", "name")}
    secretaries = RoleAssignment.objects.filter(
        alliance_id__in=list(received), role=Role.SECRETARY, user__is_active=True
    ).values_list("alliance_id", "user_id")
    rows = []
    for alliance_id, user_id in secretaries:
        alliance = alliances[alliance_id]
        item_ids = received[alliance_id]
        lines = [f"· {title}" for _pk, title in item_ids[:20]]
        if len(item_ids) > 20:
            lines.append(_("……等共%(n)d项") % {"n": len(item_ids)})
        rows.append(Notification(
            tenant_id=alliance.tenant_id, user_id=user_id,
            title=ngettext("%(alliance)s收到%(n)d项下级上报的事项", "%(alliance)s收到%(n)d项下级上报的事项",
                           len(item_ids)) % {"alliance": alliance.name, "n": len(item_ids)},
            body="\n".join(lines),
            url=reverse("item-inbox", kwargs={"pk": alliance_id}) + "?box=escalated_to_us",
        ))
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk is not None]
    if ids:
        from .tasks import send_notification_emails_task

        transaction.on_commit(lambda: send_notification_emails_task.delay(ids))
    return created
