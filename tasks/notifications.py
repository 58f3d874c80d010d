"""Who hears about what: an in-app notification for each receiver, e-mail sent after commit."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.models import Alliance
from alliance.roles import Role
from members.models import RoleAssignment

from .models import Notification


class EscalationTally:
    """What a sweep escalated to each receiving alliance: how many items and the first titles.
    A sweep run gathers its batches' tallies (each added once its batch has committed) and notifies
    once at the end, so a secretary hears once per run, however many batches the run took."""

    SHOWN = 20  # titles listed in a notification; the rest are counted

    def __init__(self) -> None:
        self.counts: dict[int, int] = defaultdict(int)
        self.titles: dict[int, list[str]] = defaultdict(list)

    def add(self, alliance_id: int, title: str) -> None:
        self.counts[alliance_id] += 1
        if len(self.titles[alliance_id]) < self.SHOWN:
            self.titles[alliance_id].append(title)

    def merge(self, other: EscalationTally) -> None:
        for alliance_id, n in other.counts.items():
            self.counts[alliance_id] += n
            room = self.SHOWN - len(self.titles[alliance_id])
            self.titles[alliance_id].extend(other.titles[alliance_id][:max(room, 0)])

    def __bool__(self) -> bool:
        return bool(self.counts)


def notify_escalations(*, tally: EscalationTally) -> list[Notification]:
    """One notification per secretary of each receiving alliance, with the number of items it got
    and their titles (the first EscalationTally.SHOWN). Call it inside a transaction: the e-mails
    are sent after it commits."""
    received = list(tally.counts)
    if not received:
        return []
    alliances = {a.pk: a for a in Alliance.objects.filter(pk__in=received).only("pk", "tenant_id", "name")}
    secretaries = RoleAssignment.objects.filter(
        alliance_id__in=received, role=Role.SECRETARY, user__is_active=True
    ).values_list("alliance_id", "user_id")
    rows = []
    for alliance_id, user_id in secretaries:
        alliance = alliances[alliance_id]
        count = tally.counts[alliance_id]
        lines = [f"· {title}" for title in tally.titles[alliance_id]]
        if count > len(lines):
            lines.append(_("……等共%(n)d项") % {"n": count})
        rows.append(Notification(
            tenant_id=alliance.tenant_id, user_id=user_id,
            title=ngettext("%(alliance)s收到%(n)d项下级上报的事项", "%(alliance)s收到%(n)d项下级上报的事项",
                           count) % {"alliance": alliance.name, "n": count},
            body="\n".join(lines),
            url=reverse("item-inbox", kwargs={"pk": alliance_id}) + "?box=escalated_to_us",
        ))
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk is not None]
    if ids:
        from .tasks import send_notification_emails_task

        transaction.on_commit(lambda: send_notification_emails_task.delay(ids))
    return created
