"""Reads of meetings, proposals and resolutions, all starting from the subtree rule.

Who sees a meeting: whoever sees all of the alliance's units (secretaries, staff, observers
and those above them), the same for the other alliances of a joint meeting, and the liaison of
a unit invited to it. Who sees a proposal: the same people as its alliance, the liaison of the
unit that raised it, and the liaisons of the units invited to the meeting it is scheduled on.
Who sees a resolution: those who see its meeting, and the liaison of the unit that raised its
proposal (it follows its own proposal to the outcome).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils.translation import gettext as _

from alliance.models import Alliance, AllianceUserObjectPermission
from alliance.roles import HANDLE_ITEMS, VIEW_ALL_UNITS
from alliance.selectors import alliance_ancestor_paths, user_scope
from members.models import Membership, MemberUnit, User
from members.selectors import liaison_unit_ids, member_unit_list
from tasks.models import OPEN_STATUSES, ItemSource
from tasks.models import Status as ItemStatus

from .models import (
    ActionItem,
    Attendance,
    Invitation,
    Meeting,
    MeetingRules,
    MeetingStatus,
    Proposal,
    ProposalAttachment,
    ProposalStatus,
    Proxy,
    PublishScope,
    Resolution,
    Vote,
    VoteChoice,
)


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


def _attachments() -> Prefetch:
    return Prefetch("attachments", queryset=ProposalAttachment.objects.order_by("pk"))


def proposal_list(*, user) -> QuerySet[Proposal]:
    scope = user_scope(user)
    qs = Proposal.objects.select_related(
        "alliance", "raised_by_unit", "raised_by_user", "meeting", "merged_into").prefetch_related(_attachments())
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
    """Resolutions of the meetings the user sees, and those of the proposals its units raised:
    a liaison sees how its own proposal came out (adopted or not, the tally) even when its unit
    was not invited to the meeting."""
    qs = Resolution.objects.select_related("proposal", "meeting", "alliance")
    q = _visible_meetings_q(user)
    if q is None:
        return qs
    visible = Q(meeting_id__in=Meeting.objects.filter(q).values("pk"))
    own = liaison_unit_ids(user)
    if own:
        visible |= Q(proposal__raised_by_unit_id__in=sorted(own))
    return qs.filter(visible)


def resolution_get_for_user(*, user, pk) -> Resolution:
    try:
        return resolution_list(user=user).get(pk=pk)
    except (Resolution.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该决议。")) from None


def action_items_of(*, resolution: Resolution) -> QuerySet[ActionItem]:
    """A resolution's action items with their items and assignees (a unit or a staff member).
    `resolution` must come from resolution_get_for_user."""
    return ActionItem.objects.filter(resolution_id=resolution.pk).select_related(
        "item", "unit", "user").order_by("pk")


def live_tally() -> dict:
    """Annotations counting a proposal's votes that count (not voided), by choice."""
    live = Q(votes__voided_at__isnull=True)
    return {
        "n_for": Count("votes", filter=live & Q(votes__choice=VoteChoice.FOR)),
        "n_against": Count("votes", filter=live & Q(votes__choice=VoteChoice.AGAINST)),
        "n_abstain": Count("votes", filter=live & Q(votes__choice=VoteChoice.ABSTAIN)),
    }


def meeting_agenda(*, meeting: Meeting) -> QuerySet[Proposal]:
    """The proposals on a meeting's agenda, in the order they were scheduled."""
    return meeting.proposals.select_related("raised_by_unit", "raised_by_user").prefetch_related(
        _attachments()).order_by("pk")


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
    return qs.select_related("item", "unit", "user", "resolution", "resolution__meeting").order_by(
        "resolution__decided_at", "pk"
    )


def upcoming_meetings(*, user) -> QuerySet[Meeting]:
    return meeting_list(user=user).filter(status=MeetingStatus.PLANNED).order_by("starts_at", "pk")


# --- the voting rules, who is present, proxies and votes (议事规则, 签到, 委托表决, 表决票) --------

def meeting_rules_for(alliance: Alliance) -> MeetingRules:
    """The alliance's meeting rules (议事规则), or the defaults (unsaved) where it has set none."""
    rules = MeetingRules.objects.filter(alliance_id=alliance.pk).first()
    return rules if rules is not None else MeetingRules(alliance=alliance)


def present_unit_ids(*, attended: Iterable[int], proxies: Iterable[tuple[int, int]]) -> set[int]:
    """The units counted present: those signed in, and those that handed their vote to a unit
    signed in (`proxies` as (from_unit_id, to_unit_id)). Each unit counts once."""
    present = set(attended)
    return present | {from_id for from_id, to_id in proxies if to_id in present}


def _meeting_members(meeting_id) -> QuerySet[Membership]:
    """Active memberships in the meeting's alliance or in one of its joint alliances."""
    joint = Meeting.joint_alliances.through.objects.filter(meeting_id=meeting_id).values("alliance_id")
    host = Meeting.objects.filter(pk=meeting_id).values("alliance_id")[:1]
    return Membership.objects.filter(left_on__isnull=True).filter(
        Q(alliance_id=Subquery(host)) | Q(alliance_id__in=joint))


def meeting_member_units(*, meeting: Meeting) -> QuerySet[MemberUnit]:
    """The active member units of the meeting's alliance and of its joint alliances, each once:
    the units that may be invited, and whose number is the base of the quorum."""
    return MemberUnit.objects.filter(pk__in=_meeting_members(meeting.pk).values("unit_id")).order_by("name", "pk")


def meeting_member_count(*, meeting: Meeting) -> int:
    """应到单位: the member units counted when the meeting opened (Meeting.member_count); while it
    is planned, the number it would open with now."""
    if meeting.member_count is not None:
        return meeting.member_count
    return _meeting_members(meeting.pk).values("unit_id").distinct().count()


def meeting_present_unit_ids(*, meeting_id: int) -> set[int]:
    """Invited member units present in person or by proxy: counted against the quorum base (the
    meeting's member units) and the base of the majority. A unit that left the alliance in the
    meeting counts no more."""
    members = _meeting_members(meeting_id).values("unit_id")
    attended = Attendance.objects.filter(
        meeting_id=meeting_id, present=True,
        unit_id__in=Invitation.objects.filter(meeting_id=meeting_id).values("unit_id"),
    ).filter(unit_id__in=members).values_list("unit_id", flat=True)
    proxies = Proxy.objects.filter(meeting_id=meeting_id, from_unit_id__in=members).values_list(
        "from_unit_id", "to_unit_id")
    return present_unit_ids(attended=attended, proxies=proxies)


def meeting_proxies(*, meeting: Meeting) -> QuerySet[Proxy]:
    """Who holds whose vote at the meeting. `meeting` must come from meeting_get_for_user."""
    return Proxy.objects.filter(meeting_id=meeting.pk).select_related("from_unit", "to_unit").order_by("pk")


@dataclass
class MeetingRoll:
    """The attendance list of a meeting. Each invitation carries `present` (True, False or None:
    not recorded), `representative` (the unit's named representative, or ""), `proxy` (the
    proxy it gave, or None), `proxies_held`, `member` (still a member unit of the meeting's
    alliances) and `counted` (a member present in person or by proxy).

    member_count (应到) is the quorum base: the meeting's member units, invited or not;
    invited_count only says how many were asked to come."""

    invitations: list[Invitation]
    proxies: list[Proxy]
    rules: MeetingRules
    member_count: int
    invited_count: int
    present_count: int
    proxy_count: int


def meeting_roll(*, meeting: Meeting) -> MeetingRoll:
    """Attendance, representatives and proxies of a meeting in four queries (five while it is
    planned: its member units are counted), whatever its size. `meeting` must come from
    meeting_get_for_user."""
    joint = Meeting.joint_alliances.through.objects.filter(meeting_id=meeting.pk).values("alliance_id")
    # The meeting's own alliance first: its representative wins over a joint alliance's.
    representative = (
        Membership.objects.filter(unit_id=OuterRef("unit_id"), left_on__isnull=True)
        .filter(Q(alliance_id=meeting.alliance_id) | Q(alliance_id__in=joint))
        .exclude(representative="")
        .order_by(Case(When(alliance_id=meeting.alliance_id, then=Value(0)), default=Value(1)), "pk")
        .values("representative")[:1]
    )
    present = Attendance.objects.filter(meeting_id=meeting.pk, unit_id=OuterRef("unit_id")).values("present")[:1]
    member = _meeting_members(meeting.pk).filter(unit_id=OuterRef("unit_id"))
    invitations = list(
        Invitation.objects.filter(meeting_id=meeting.pk).select_related("unit")
        .annotate(present=Subquery(present), representative=Subquery(representative), member=Exists(member))
        .order_by("unit__name", "pk")
    )
    proxies = list(meeting_proxies(meeting=meeting))
    given = {p.from_unit_id: p for p in proxies}
    members = {i.unit_id for i in invitations if i.member}
    counted = present_unit_ids(attended=[i.unit_id for i in invitations if i.present and i.member],
                               proxies=[(p.from_unit_id, p.to_unit_id) for p in proxies
                                        if p.from_unit_id in members])
    for invitation in invitations:
        invitation.representative = invitation.representative or ""
        invitation.proxy = given.get(invitation.unit_id)
        invitation.proxies_held = [p for p in proxies if p.to_unit_id == invitation.unit_id]
        invitation.counted = invitation.unit_id in counted
    return MeetingRoll(
        invitations=invitations, proxies=proxies, rules=meeting_rules_for(meeting.alliance),
        member_count=meeting_member_count(meeting=meeting), invited_count=len(invitations),
        present_count=len(counted),
        proxy_count=sum(1 for i in invitations if i.counted and not i.present),
    )


def meeting_voting_units(*, user, meeting: Meeting, roll: MeetingRoll) -> list[tuple[MemberUnit, MemberUnit | None]]:
    """The units whose vote this user may cast at the meeting, as (unit, proxy holder or None):
    a secretary or staff member records any unit counted present; a liaison casts its own
    invited units' votes (unless they gave their proxy) and the votes its units hold by proxy."""
    handler = user_scope(user).allows(HANDLE_ITEMS, meeting.alliance_path)
    own = liaison_unit_ids(user)
    held_by_own = {p.from_unit_id for p in roll.proxies if p.to_unit_id in own}
    units = []
    for invitation in roll.invitations:
        holder = invitation.proxy.to_unit if invitation.proxy is not None else None
        if handler:
            if invitation.counted:
                units.append((invitation.unit, holder))
        elif (invitation.unit_id in own and holder is None) or invitation.unit_id in held_by_own:
            units.append((invitation.unit, holder))
    return units


def meeting_open_votes(*, meeting: Meeting) -> set[tuple[int, int]]:
    """(proposal id, unit id) of the votes standing on the meeting's proposals still open to the
    vote: who may still vote on which, and which units may no longer hand over their vote. One query."""
    return set(
        Vote.objects.filter(proposal__meeting_id=meeting.pk, proposal__status=ProposalStatus.SCHEDULED,
                            voided_at__isnull=True).values_list("proposal_id", "unit_id")
    )


def proposals_awaiting(*, user, alliance) -> list[Proposal]:
    """The alliance's proposals waiting on its secretary: those to review (待审定) and those approved
    but not yet on an agenda (待列入议程), oldest first, with who raised them. One query."""
    return list(
        proposal_list(user=user).filter(
            alliance_id=alliance.pk, status__in=(ProposalStatus.SUBMITTED, ProposalStatus.APPROVED))
        .select_related("raised_by_unit", "raised_by_user").order_by("created_at", "pk")
    )


def meeting_unit_get_for_user(*, user, meeting: Meeting, pk) -> MemberUnit:
    """A unit the user may name at the meeting (attendance, proxies): one it sees, or one invited
    to the meeting (a liaison names the unit that is to hold its proxy; the host's secretary
    records a joint alliance's unit). `meeting` must come from meeting_get_for_user."""
    invited = Invitation.objects.filter(meeting_id=meeting.pk).values("unit_id")
    try:
        return MemberUnit.objects.filter(
            Q(pk__in=member_unit_list(user=user).values("pk")) | Q(pk__in=invited)).get(pk=pk)
    except (MemberUnit.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该成员单位。")) from None


def meeting_invitable_units(*, meeting: Meeting) -> QuerySet[MemberUnit]:
    """The member units of the meeting's alliances (the host's and, for a joint meeting, the
    other alliances') not invited yet. `meeting` must come from meeting_get_for_user."""
    invited = Invitation.objects.filter(meeting_id=meeting.pk).values("unit_id")
    return meeting_member_units(meeting=meeting).exclude(pk__in=invited)


def meeting_member_unit_get_for_user(*, user, meeting: Meeting, pk) -> MemberUnit:
    """A unit the user may name when inviting, or when assigning an action item of the meeting's
    resolution: a member unit of the meeting's alliances (the joint alliances' too, outside the
    host's subtree), or one it sees (the service then says why it cannot be named). `meeting` must
    come from meeting_get_for_user."""
    members = _meeting_members(meeting.pk).values("unit_id")
    try:
        return MemberUnit.objects.filter(
            Q(pk__in=members) | Q(pk__in=member_unit_list(user=user).values("pk"))).get(pk=pk)
    except (MemberUnit.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该成员单位。")) from None


def vote_unit_get_for_user(*, user, proposal: Proposal, pk) -> MemberUnit:
    """A unit the user may name when voting on the proposal: one it sees, one whose proxy a unit
    of its own holds at the proposal's meeting, and, for whoever runs the meeting, any unit
    invited to it (a joint meeting's units of the other alliances lie outside the host's subtree).
    `proposal` must come from proposal_get_for_user."""
    held = Proxy.objects.filter(
        meeting_id=proposal.meeting_id, to_unit_id__in=sorted(liaison_unit_ids(user))).values("from_unit_id")
    named = Q(pk__in=member_unit_list(user=user).values("pk")) | Q(pk__in=held)
    if proposal.meeting_id is not None and user_scope(user).allows(HANDLE_ITEMS, proposal.alliance_path):
        named |= Q(pk__in=Invitation.objects.filter(meeting_id=proposal.meeting_id).values("unit_id"))
    try:
        return MemberUnit.objects.filter(named).get(pk=pk)
    except (MemberUnit.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该成员单位。")) from None


def vote_list(*, user) -> QuerySet[Vote]:
    """The votes on the proposals the user sees."""
    qs = Vote.objects.select_related("proposal", "unit", "proxy_unit")
    if user_scope(user).is_superuser:
        return qs
    return qs.filter(proposal_id__in=proposal_list(user=user).values("pk"))


def vote_get_for_user(*, user, pk) -> Vote:
    try:
        return vote_list(user=user).get(pk=pk)
    except (Vote.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该表决票。")) from None


def proposal_votes(*, proposal: Proposal) -> QuerySet[Vote]:
    """Each unit's vote on a proposal, those that count first, then those voided when an earlier
    meeting closed without deciding it. `proposal` must come from proposal_get_for_user."""
    return Vote.objects.filter(proposal_id=proposal.pk).select_related("unit", "proxy_unit").order_by(
        F("voided_at").desc(nulls_first=True), "unit__name", "pk")


# --- action items: who they may be assigned to ---------------------------------------------

def alliance_handler_users(*, alliance: Alliance) -> QuerySet[User]:
    """The active users who handle items at the alliance (HANDLE_ITEMS on it or on an ancestor:
    its secretaries and staff, and those above): the staff an action item may be assigned to.
    The same rule as user_scope(user).allows(HANDLE_ITEMS, alliance.path), read the other way."""
    holders = AllianceUserObjectPermission.objects.filter(
        permission__codename=HANDLE_ITEMS, content_object__is_active=True,
        content_object__tenant_id=alliance.tenant_id,
        content_object__path__in=[*alliance_ancestor_paths(alliance.path), alliance.path],
    ).values("user_id")
    return User.objects.filter(pk__in=holders, is_active=True).order_by("name", "username", "pk")


def resolution_assignees(*, resolution: Resolution) -> tuple[QuerySet[MemberUnit], QuerySet[User]]:
    """Who a resolution's action items may go to: the member units of its meeting's alliances,
    and the staff of its alliance. `resolution` must come from resolution_get_for_user."""
    return (meeting_member_units(meeting=resolution.meeting),
            alliance_handler_users(alliance=resolution.alliance))


def resolution_assignee_user_get(*, resolution: Resolution, pk) -> User:
    """A staff member an action item of the resolution may be assigned to (alliance_handler_users);
    anyone else, or no one, is the same 404. `resolution` must come from resolution_get_for_user."""
    try:
        return alliance_handler_users(alliance=resolution.alliance).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该用户。")) from None


# --- the chain on an item's page (item → proposal → resolution → meeting) -------------------

@dataclass
class ItemChain:
    """What of the meeting chain an item's viewer may see: the proposals raised from the item,
    and, for an action item, its resolution, proposal and meeting; None where the viewer would
    get 404 on it (only the action's assignee is always shown: it is on the item itself)."""

    proposals: list[Proposal]
    action: ActionItem | None = None
    resolution: Resolution | None = None
    proposal: Proposal | None = None
    meeting: Meeting | None = None
    # The viewer may raise a proposal from this open item for the alliance handling it.
    can_propose: bool = False

    def __bool__(self) -> bool:
        return bool(self.proposals or self.resolution or self.proposal or self.meeting)


def item_chain(*, user, item) -> ItemChain:
    """The meeting chain of an item, scoped to the user: each link read through its own list
    selector, so a link is shown exactly to those who could open it. At most five queries, whatever
    the number of proposals; `item` must come from tasks' item_get_for_user."""
    proposals = list(
        proposal_list(user=user).filter(source_item_id=item.pk).prefetch_related(None).order_by("pk"))
    chain = ItemChain(
        proposals=proposals,
        can_propose=item.is_open and user_scope(user).allows(HANDLE_ITEMS, item.alliance_path),
    )
    if item.source != ItemSource.MEETING:
        return chain
    chain.action = ActionItem.objects.select_related("resolution").filter(item_id=item.pk).first()
    if chain.action is not None:
        resolution = chain.action.resolution
        if resolution_list(user=user).filter(pk=resolution.pk).exists():
            chain.resolution = resolution
        chain.proposal = proposal_list(user=user).filter(pk=resolution.proposal_id).prefetch_related(None).first()
        chain.meeting = meeting_list(user=user).filter(pk=resolution.meeting_id).first()
    return chain


# --- merging and attachments ---------------------------------------------------------------

MERGEABLE = (ProposalStatus.SUBMITTED, ProposalStatus.APPROVED)


def proposal_merge_targets(*, user, proposal: Proposal) -> QuerySet[Proposal]:
    """The proposals of the same alliance that `proposal` may be merged into: approved ones only
    (a proposal still awaiting review may yet be returned), not itself."""
    return (
        proposal_list(user=user).filter(alliance_id=proposal.alliance_id, status=ProposalStatus.APPROVED)
        .exclude(pk=proposal.pk).order_by("-created_at", "-pk")
    )


def proposal_merged_from(*, user, proposal: Proposal) -> QuerySet[Proposal]:
    """The proposals the user sees that were merged into `proposal`."""
    return proposal_list(user=user).filter(merged_into_id=proposal.pk).order_by("pk")


def proposal_attachment_get(*, proposal: Proposal, pk) -> ProposalAttachment:
    """An attachment of a proposal the user sees (`proposal` from proposal_get_for_user): another
    proposal's attachment is the same 404 as a missing one."""
    try:
        return ProposalAttachment.objects.get(proposal_id=proposal.pk, pk=pk)
    except (ProposalAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该附件。")) from None


# --- what leaves the meeting: the report-back agenda, the minutes ---------------------------

def report_back_for_new_meeting(*, alliance: Alliance, starts_at: dt.datetime,
                                now: dt.datetime) -> QuerySet[ActionItem]:
    """通报 for a meeting about to be planned at `starts_at`: the alliance's action items finished
    (resolved or closed) since its previous meeting began, all of them if it had none, and those
    overdue at `now` (still open past their due date). The caller has checked the alliance."""
    previous = (
        Meeting.objects.filter(alliance_id=alliance.pk, starts_at__lt=starts_at)
        .order_by("-starts_at", "-pk").values_list("starts_at", flat=True).first()
    )
    finished = Q(item__status__in=(ItemStatus.RESOLVED, ItemStatus.CLOSED))
    if previous is not None:
        finished &= Q(item__resolved_at__gte=previous) | Q(item__resolved_at__isnull=True,
                                                           item__closed_at__gte=previous)
    overdue = Q(item__status__in=OPEN_STATUSES, item__due_at__lt=now)
    return (
        ActionItem.objects.filter(
            tenant_id=alliance.tenant_id, resolution__alliance_id=alliance.pk,
            resolution__meeting__starts_at__lt=starts_at,
        )
        .filter(finished | overdue)
        .select_related("item", "unit", "user")
        .order_by("resolution__decided_at", "pk")
    )


def meeting_minutes(*, meeting: Meeting) -> dict:
    """What the minutes (会议纪要) print, in a fixed number of queries whatever the meeting's size:
    the roll (attendance per invited unit with its representative and proxies, the quorum's
    counts and rules), the proposals with their tallies and resolutions, this meeting's action
    items and the report-back. `meeting` must come from meeting_get_for_user."""
    proposals = list(meeting_agenda(meeting=meeting).select_related("resolution").annotate(**live_tally()))
    for proposal in proposals:
        resolution = getattr(proposal, "resolution", None)
        if resolution is not None:  # the tally the vote was decided by, not a recount
            proposal.n_for, proposal.n_against, proposal.n_abstain = (
                resolution.votes_for, resolution.votes_against, resolution.votes_abstain)
        proposal.decision = resolution
    actions = list(
        ActionItem.objects.filter(tenant_id=meeting.tenant_id, resolution__meeting_id=meeting.pk)
        .select_related("item", "unit", "user", "resolution__proposal").order_by("resolution__decided_at", "pk")
    )
    return {
        "roll": meeting_roll(meeting=meeting),
        "proposals": proposals,
        "actions": actions,
        "report_back": list(report_back_items(meeting=meeting)),
    }


# --- published resolutions (公开): public pages, no login ---------------------------------

# An action item counts as done (已办结) once its item is resolved, confirmed or not.
DONE_STATUSES = (ItemStatus.RESOLVED, ItemStatus.CLOSED)


def public_scopes(*, user, tenant_id: int) -> list[str]:
    """The publication scopes a visitor may read in a tenant.

    What is published to everyone (全体居民) is for anyone, signed in or not. What is published to
    party members only (仅党员) is for signed-in users of the same tenant: party members get accounts
    of their own in a later issue; until then the tenant's secretaries, staff and liaisons are the
    signed-in readers. A user of another tenant reads like an anonymous visitor.
    """
    scopes = [PublishScope.EVERYONE]
    if getattr(user, "is_authenticated", False) and (user.is_superuser or user.tenant_id == tenant_id):
        scopes.append(PublishScope.PARTY_MEMBERS)
    return scopes


def public_alliance_get(*, pk) -> Alliance:
    """An active alliance for its public page; a missing or deactivated one is 404."""
    try:
        return Alliance.objects.get(pk=pk, is_active=True)
    except (Alliance.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该党建共同体。")) from None


def public_resolution_list(*, user, alliance: Alliance) -> QuerySet[Resolution]:
    """The alliance's published resolutions the visitor may read, newest first, each with its
    meeting and the progress of its action items (actions_done of actions_total)."""
    return (
        Resolution.objects.filter(
            tenant_id=alliance.tenant_id, alliance_id=alliance.pk, published=True, adopted=True,
            publish_scope__in=public_scopes(user=user, tenant_id=alliance.tenant_id),
        )
        .select_related("meeting", "proposal")
        .annotate(
            actions_total=Count("action_items"),
            actions_done=Count("action_items", filter=Q(action_items__item__status__in=DONE_STATUSES)),
        )
        .order_by("-published_at", "-pk")
    )


def public_resolution_get(*, user, pk) -> Resolution:
    """One published resolution: unpublished, not adopted, of a deactivated alliance or outside
    the visitor's scope is the same 404."""
    try:
        resolution = Resolution.objects.select_related("meeting", "proposal", "alliance").get(
            pk=pk, published=True, adopted=True, alliance__is_active=True)
    except (Resolution.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该决议。")) from None
    if resolution.publish_scope not in public_scopes(user=user, tenant_id=resolution.tenant_id):
        raise Http404(_("没有找到该决议。"))
    return resolution


# --- the liaison's meetings (/my/meetings/) ------------------------------------------------
# Each read starts from the units the user is liaison of: a user sees its own units' rows only.

def liaison_invitations(*, user) -> QuerySet[Invitation]:
    """The planned and in-session meetings the user's units are invited to, soonest first."""
    return (
        Invitation.objects.filter(unit_id__in=sorted(liaison_unit_ids(user)),
                                  meeting__status__in=(MeetingStatus.PLANNED, MeetingStatus.IN_SESSION))
        .select_related("meeting", "meeting__alliance", "unit")
        .order_by("meeting__starts_at", "meeting_id", "unit__name", "pk")
    )


@dataclass(frozen=True)
class PendingVote:
    meeting: Meeting
    proposal: Proposal
    unit: MemberUnit
    # The user's unit that casts this vote as proxy (委托表决), or None for the unit's own vote.
    holder: MemberUnit | None = None


def liaison_votes_to_cast(*, user) -> list[PendingVote]:
    """Proposals open to the vote at meetings in session that the user may still vote on: for its
    units signed in there, and for the units whose proxy they hold; a unit that handed its own vote
    to another is left out. Four queries, whatever the number of rows."""
    own = sorted(liaison_unit_ids(user))
    present = list(
        Attendance.objects.filter(unit_id__in=own, present=True, meeting__status=MeetingStatus.IN_SESSION)
        .select_related("unit").order_by("unit__name", "pk")
    )
    # meeting id → id of a unit the user votes for → (that unit, the own unit holding its proxy)
    voters: dict[int, dict[int, tuple[MemberUnit, MemberUnit | None]]] = {}
    for attendance in present:
        voters.setdefault(attendance.meeting_id, {})[attendance.unit_id] = (attendance.unit, None)
    proxies = list(
        Proxy.objects.filter(meeting__status=MeetingStatus.IN_SESSION)
        .filter(Q(to_unit_id__in=own) | Q(from_unit_id__in=own)).select_related("from_unit", "to_unit")
    ) if own else []
    for proxy in proxies:
        if proxy.from_unit_id in own:
            voters.get(proxy.meeting_id, {}).pop(proxy.from_unit_id, None)
    for proxy in proxies:
        if proxy.to_unit_id in voters.get(proxy.meeting_id, {}) and proxy.from_unit_id not in own:
            voters[proxy.meeting_id][proxy.from_unit_id] = (proxy.from_unit, proxy.to_unit)
    proposals = list(
        Proposal.objects.filter(meeting_id__in=sorted(voters), status=ProposalStatus.SCHEDULED)
        .select_related("meeting", "meeting__alliance").order_by("meeting__starts_at", "meeting_id", "pk")
    )
    unit_ids = sorted({unit_id for units in voters.values() for unit_id in units})
    voted = set(
        Vote.objects.filter(proposal_id__in=[p.pk for p in proposals], unit_id__in=unit_ids, voided_at__isnull=True)
        .values_list("proposal_id", "unit_id")
    )
    return [
        PendingVote(meeting=p.meeting, proposal=p, unit=unit, holder=holder)
        for p in proposals for unit, holder in voters[p.meeting_id].values() if (p.pk, unit.pk) not in voted
    ]


def liaison_past_invitations(*, user) -> QuerySet[Invitation]:
    """The closed meetings the user's units were invited to, latest first."""
    return (
        Invitation.objects.filter(unit_id__in=sorted(liaison_unit_ids(user)), meeting__status=MeetingStatus.CLOSED)
        .select_related("meeting", "meeting__alliance", "unit")
        .order_by("-meeting__starts_at", "-meeting_id", "unit__name", "pk")
    )


def with_unit_votes(invitations: list[Invitation]) -> list[Invitation]:
    """Sets `present` and `decisions` (each decided proposal's resolution with the unit's vote, or
    None) on invitations of closed meetings: three queries for a whole page of them."""
    meeting_ids = sorted({i.meeting_id for i in invitations})
    unit_ids = sorted({i.unit_id for i in invitations})
    resolutions = list(
        Resolution.objects.filter(meeting_id__in=meeting_ids).select_related("proposal").order_by("decided_at", "pk")
    )
    votes = {
        (v.proposal_id, v.unit_id): v
        for v in Vote.objects.filter(proposal__meeting_id__in=meeting_ids, unit_id__in=unit_ids,
                                     voided_at__isnull=True)
    }
    present = set(
        Attendance.objects.filter(meeting_id__in=meeting_ids, unit_id__in=unit_ids, present=True)
        .values_list("meeting_id", "unit_id")
    )
    for invitation in invitations:
        invitation.present = (invitation.meeting_id, invitation.unit_id) in present
        invitation.decisions = [
            (r, votes.get((r.proposal_id, invitation.unit_id)))
            for r in resolutions if r.meeting_id == invitation.meeting_id
        ]
    return invitations


def liaison_proposals(*, user) -> QuerySet[Proposal]:
    """The proposals raised by the user's units, newest first, with where each one stands; each
    carries `outcome`, its resolution read through resolution_list (the rule of the proposal page),
    or None."""
    return (
        Proposal.objects.filter(raised_by_unit_id__in=sorted(liaison_unit_ids(user)))
        .select_related("alliance", "raised_by_unit", "meeting", "merged_into")
        .prefetch_related(Prefetch("resolution", queryset=resolution_list(user=user), to_attr="outcome"))
        .order_by("-created_at", "-pk")
    )
