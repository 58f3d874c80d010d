"""Celery entry points of meetings: the invitation and reminder e-mails to the invited units.
The beat sweep also sends the invitations that could not go out when the unit was invited.

Each e-mail goes to the liaisons of one invited unit, with the meeting's .ics attached. An
invitation counts as notified (or reminded) when a conditional UPDATE … WHERE notified_at IS NULL
claims it; the claim and the sending share a transaction, so a failed send is retried and a
second run, or a second worker at the same moment, sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.roles import Role
from members.models import RoleAssignment

from .ics import meeting_calendar, meeting_url
from .models import Invitation, MeetingStatus

# Reminders go out for meetings starting within this window (beat runs the sweep every 15 minutes);
# an invitation sent inside it is the reminder already.
REMIND_AHEAD = dt.timedelta(hours=24)


def _liaison_emails(unit_ids) -> dict[int, list[str]]:
    """The e-mail addresses of each unit's active liaisons, in one query."""
    emails: dict[int, list[str]] = defaultdict(list)
    rows = (
        RoleAssignment.objects.filter(role=Role.LIAISON, member_unit_id__in=sorted(unit_ids), user__is_active=True,
                                      alliance__is_active=True)
        .exclude(user__email="").order_by("member_unit_id", "user__email")
        .values_list("member_unit_id", "user__email").distinct()
    )
    for unit_id, email in rows:
        emails[unit_id].append(email)
    return emails


def _message(invitation: Invitation, recipients: list[str], *, reminder: bool, ics: bytes) -> EmailMessage:
    meeting = invitation.meeting
    with translation.override(settings.LANGUAGE_CODE):
        context = {"meeting": meeting, "unit": invitation.unit, "url": meeting_url(meeting)}
        if reminder:
            subject = _("会议提醒:%(title)s(%(time)s)") % {
                "title": meeting.title, "time": timezone.localtime(meeting.starts_at).strftime("%m-%d %H:%M")}
            body = render_to_string("meetings/email/reminder.txt", context)
        else:
            subject = _("会议通知:%(title)s") % {"title": meeting.title}
            body = render_to_string("meetings/email/invitation.txt", context)
    message = EmailMessage(subject, body, to=recipients)
    message.attach(f"meeting-{meeting.pk}.ics", ics, "text/calendar")
    return message


def _send(invitations: list[Invitation], *, reminder: bool) -> int:
    """Claim and send each invitation's e-mail once; a unit without a liaison's address is skipped
    (and stays unclaimed, so it is sent once one is added)."""
    field = "reminded_at" if reminder else "notified_at"
    emails = _liaison_emails({i.unit_id for i in invitations})
    calendars: dict[int, bytes] = {}
    sent = 0
    for invitation in invitations:
        recipients = emails.get(invitation.unit_id)
        if not recipients:
            continue
        meeting = invitation.meeting
        if meeting.pk not in calendars:
            calendars[meeting.pk] = meeting_calendar(meeting=meeting)
        message = _message(invitation, recipients, reminder=reminder, ics=calendars[meeting.pk])
        now = timezone.now()
        changes = {field: now}
        if not reminder and meeting.starts_at - now <= REMIND_AHEAD:
            changes["reminded_at"] = Coalesce(F("reminded_at"), now)  # the invitation is the reminder
        with transaction.atomic():
            claimed = Invitation.objects.filter(pk=invitation.pk, **{f"{field}__isnull": True}).update(**changes)
            if claimed:
                message.send()  # raises on failure: the claim rolls back and the task retries
        sent += claimed
    return sent


def _pending(**filters):
    return (
        Invitation.objects.filter(meeting__status=MeetingStatus.PLANNED, meeting__starts_at__gt=timezone.now(),
                                  **filters)
        .select_related("unit", "meeting", "meeting__alliance", "meeting__convener")
        .order_by("meeting__starts_at", "pk")
    )


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_meeting_invitations_task(meeting_id: int) -> int:
    """邀请: e-mail the liaisons of each unit invited to a planned meeting that was not told yet."""
    return _send(list(_pending(meeting_id=meeting_id, notified_at__isnull=True)), reminder=False)


def _send_in_batches(pending, *, reminder: bool, batch_size: int) -> int:
    sent = 0
    batch: list[Invitation] = []
    for invitation in pending.iterator(chunk_size=batch_size):
        batch.append(invitation)
        if len(batch) == batch_size:
            sent += _send(batch, reminder=reminder)
            batch = []
    return sent + (_send(batch, reminder=reminder) if batch else 0)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_meeting_reminders_task(batch_size: int = 500) -> int:
    """The beat sweep (every 15 minutes): first the invitations of planned future meetings not sent
    yet (a unit that had no liaison's address when it was invited gets its invitation once one is
    added), then a reminder to each unit invited to a planned meeting starting within 24 hours.
    Each e-mail once: both are claimed by a conditional update (_send)."""
    sent = _send_in_batches(_pending(notified_at__isnull=True), reminder=False, batch_size=batch_size)
    pending = _pending(reminded_at__isnull=True, meeting__starts_at__lte=timezone.now() + REMIND_AHEAD)
    return sent + _send_in_batches(pending, reminder=True, batch_size=batch_size)
