"""Reads of meetings, proposals and resolutions, all starting from the subtree rule.

Who sees a meeting: whoever sees all of the alliance's units (secretaries, staff, observers
and those above them), the same for the other alliances of a joint meeting, and the liaison of
a unit invited to it. Who sees a proposal: the same people as its alliance, the liaison of the
unit that raised it, and the liaisons of the units invited to the meeting it is scheduled on.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from alliance.roles import VIEW_ALL_UNITS
from alliance.selectors import user_scope
from members.selectors import liaison_unit_ids
from tasks.models import OPEN_STATUSES

from .models import ActionItem, Invitation, Meeting, MeetingStatus, Proposal, Resolution


def _visible_meetings_q(user) -> Q | None:
    """None means everything (superuser)."""
    scope = user_scope(user)
    if scope.is_superuser:
        return None
    q = scope.filter_q(VIEW_ALL_UNITS, path_field="alliance_path")
    if scope.prefixes.get(VIEW_ALL_UNITS):
        joint = Meeting.joint_alliances.through.objects.filter(
            scope.filter_q(VIEW_ALL_UNITS, path_field="alliance__path", tenant_field="alliance__tenant_id")
        ).values("meeting_id")
        q |= Q(pk__in=joint)
    own = liaison_unit_ids(user)
    if own:
        invited = Invitation.objects.filter(unit_id__in=sorted(own)).values("meeting_id")
        q |= Q(pk__in=invited)
    return q


def meeting_list(*, user) -> QuerySet[Meeting]:
    qs = Meeting.objects.select_related("alliance", "convener")
    q = _visible_meetings_q(user)
    return qs if q is None else qs.filter(q)


def meeting_get_for_user(*, user, pk) -> Meeting:
    """The one way to fetch a meeting for a user: missing and not yours are the same 404."""
    try:
        return meeting_list(user=user).get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该会议。")) from None


def proposal_list(*, user) -> QuerySet[Proposal]:
    scope = user_scope(user)
    qs = Proposal.objects.select_related("alliance", "raised_by_unit", "raised_by_user", "meeting")
    if scope.is_superuser:
        return qs
    q = scope.filter_q(VIEW_ALL_UNITS, path_field="alliance_path")
    own = liaison_unit_ids(user)
    if own:
        invited = Invitation.objects.filter(unit_id__in=sorted(own)).values("meeting_id")
        q |= Q(raised_by_unit_id__in=sorted(own)) | Q(meeting_id__in=invited)
    return qs.filter(q)


def proposal_get_for_user(*, user, pk) -> Proposal:
    try:
        return proposal_list(user=user).get(pk=pk)
    except (Proposal.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该议题。")) from None


def resolution_list(*, user) -> QuerySet[Resolution]:
    """Resolutions of the meetings the user sees."""
    qs = Resolution.objects.select_related("proposal", "meeting", "alliance")
    q = _visible_meetings_q(user)
    if q is None:
        return qs
    return qs.filter(meeting_id__in=Meeting.objects.filter(q).values("pk"))


def resolution_get_for_user(*, user, pk) -> Resolution:
    try:
        return resolution_list(user=user).get(pk=pk)
    except (Resolution.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该决议。")) from None


def action_items_of(*, resolution: Resolution) -> QuerySet[ActionItem]:
    """A resolution's action items with their items and units. `resolution` must come from
    resolution_get_for_user."""
    return ActionItem.objects.filter(resolution_id=resolution.pk).select_related("item", "unit").order_by("pk")


def meeting_agenda(*, meeting: Meeting) -> QuerySet[Proposal]:
    """The proposals on a meeting's agenda, in the order they were scheduled."""
    return meeting.proposals.select_related("raised_by_unit", "raised_by_user").order_by("pk")


def previous_meeting(*, meeting: Meeting) -> Meeting | None:
    """The alliance's last meeting that started before this one."""
    return (
        Meeting.objects.filter(alliance_id=meeting.alliance_id, starts_at__lt=meeting.starts_at)
        .exclude(pk=meeting.pk)
        .order_by("-starts_at", "-pk")
        .first()
    )


def report_back_items(*, meeting: Meeting) -> QuerySet[ActionItem]:
    """通报: the action items of earlier resolutions to report at this meeting, with their status.

    Those still open (annotated overdue or not through `item.due_at`), and those finished since
    the previous meeting began; what was finished before it was reported there already.
    `meeting` must come from meeting_get_for_user.
    """
    qs = ActionItem.objects.filter(
        tenant_id=meeting.tenant_id,
        resolution__alliance_id=meeting.alliance_id,
        resolution__meeting__starts_at__lt=meeting.starts_at,
    ).exclude(resolution__meeting_id=meeting.pk)
    previous = previous_meeting(meeting=meeting)
    if previous is not None:
        finished_since = Q(item__resolved_at__gte=previous.starts_at) | Q(
            item__resolved_at__isnull=True, item__closed_at__gte=previous.starts_at
        )
        qs = qs.filter(Q(item__status__in=OPEN_STATUSES) | finished_since)
    return qs.select_related("item", "unit", "resolution", "resolution__meeting").order_by(
        "resolution__decided_at", "pk"
    )


def upcoming_meetings(*, user) -> QuerySet[Meeting]:
    return meeting_list(user=user).filter(status=MeetingStatus.PLANNED).order_by("starts_at", "pk")
