"""Every change to meetings, proposals, votes and resolutions.

Meeting: planned → in_session → closed.
Proposal (议题): submitted → approved (审定) | returned (with a reason) → scheduled on a planned
meeting → decided (the vote is closed and a Resolution records the outcome).
The initiating organisation acts through the alliance's secretaries and staff (HANDLE_ITEMS);
a member unit acts through its liaison. A user who cannot see the meeting or proposal gets 404,
one who sees it but may not act 403; a move the state does not allow is a ValidationError and
changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import HANDLE_ITEMS, VIEW
from alliance.selectors import user_scope
from alliance.services import require_permission
from members.models import Membership, MemberUnit
from members.selectors import liaison_unit_ids
from tasks.models import Category, Item, ItemSource
from tasks.selectors import item_list
from tasks.services import item_create, item_start

from .models import (
    ActionItem,
    Attendance,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Proposal,
    ProposalStatus,
    Resolution,
    Vote,
    VoteChoice,
)
from .selectors import meeting_list, proposal_list

MAX_TITLE = 200


# --- the rule ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    quorum: bool
    adopted: bool


def decide_outcome(*, invited: int, present: int, votes_for: int, votes_against: int,
                   votes_abstain: int) -> Outcome:
    """The one rule by which an alliance meeting decides.

    Quorum: more than half of the invited units are present (2 × present > invited); without
    it nothing is decided. Majority: more than half of the votes cast are for it
    (2 × for > for + against + abstain). An abstention is a vote cast that is not support, so it
    counts like against; a tie is not adopted, and neither is a proposal nobody voted for.
    Every unit counts once, whatever its rank or size.
    """
    quorum = invited > 0 and 2 * present > invited
    cast = votes_for + votes_against + votes_abstain
    adopted = quorum and 2 * votes_for > cast
    return Outcome(quorum=quorum, adopted=adopted)


# --- helpers -------------------------------------------------------------------------------

def _clean_title(title: str, field: str = "title") -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({field: [_("请填写标题。")]})
    if len(title) > MAX_TITLE:
        raise ValidationError({field: [_("标题不能超过%(n)d个字。") % {"n": MAX_TITLE}]})
    return title


def _require_meeting_handler(user, meeting: Meeting) -> None:
    """404 where the user cannot see the meeting, 403 where it sees it but does not run it."""
    if not meeting_list(user=user).filter(pk=meeting.pk).exists():
        raise Http404(_("没有找到该会议。"))
    if not user_scope(user).allows(HANDLE_ITEMS, meeting.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以主持会议。"))


def _require_proposal_handler(user, proposal: Proposal) -> None:
    if not proposal_list(user=user).filter(pk=proposal.pk).exists():
        raise Http404(_("没有找到该议题。"))
    if not user_scope(user).allows(HANDLE_ITEMS, proposal.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以审定和表决议题。"))


def _meeting_status(meeting: Meeting, allowed, action: str) -> None:
    if meeting.status not in allowed:
        raise ValidationError(
            _("会议当前状态为“%(status)s”,不能%(action)s。") % {"status": meeting.get_status_display(),
                                                              "action": action}
        )


def _proposal_status(proposal: Proposal, allowed, action: str) -> None:
    if proposal.status not in allowed:
        raise ValidationError(
            _("议题当前状态为“%(status)s”,不能%(action)s。") % {"status": proposal.get_status_display(),
                                                              "action": action}
        )


def _lock_meeting(meeting: Meeting) -> Meeting:
    """Re-read under a row lock: the check and the write see the same state."""
    return Meeting.objects.select_for_update(of=("self",)).select_related("alliance").get(pk=meeting.pk)


def _lock_proposal(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


def _lock_meeting_and_proposal(proposal: Proposal, action: str) -> tuple[Meeting, Proposal]:
    """Lock the meeting, then the proposal (the order every service keeps), for a vote or its count.

    The proposal must be on the agenda of a meeting in session.
    """
    meeting_id = Proposal.objects.filter(pk=proposal.pk).values_list("meeting_id", flat=True).first()
    meeting = _lock_meeting(Meeting(pk=meeting_id)) if meeting_id is not None else None
    proposal = _lock_proposal(proposal)
    if meeting is None or proposal.meeting_id != meeting.pk:
        _proposal_status(proposal, (ProposalStatus.SCHEDULED,), action)
        raise ValidationError(_("议题不在会议议程中,不能%(action)s。") % {"action": action})
    _proposal_status(proposal, (ProposalStatus.SCHEDULED,), action)
    _meeting_status(meeting, (MeetingStatus.IN_SESSION,), action)
    return meeting, proposal


def _meeting_alliance_ids(meeting: Meeting) -> list[int]:
    return [meeting.alliance_id, *meeting.joint_alliances.values_list("pk", flat=True)]


def _member_unit_ids(alliance_ids: Iterable[int], unit_ids: Iterable[int]) -> set[int]:
    """Of `unit_ids`, those with an active membership in one of the alliances."""
    return set(
        Membership.objects.filter(
            alliance_id__in=list(alliance_ids), unit_id__in=list(unit_ids), left_on__isnull=True
        ).values_list("unit_id", flat=True)
    )


def _tenant_owned(model, *, owner: Alliance, **fields):
    """A new row of `model` carrying its alliance's tenant and path."""
    return model(tenant_id=owner.tenant_id, alliance_path=owner.path, **fields)


# --- meetings ------------------------------------------------------------------------------

@transaction.atomic
def meeting_schedule(*, user, alliance: Alliance, title: str, starts_at: dt.datetime,
                     kind: str = MeetingKind.REGULAR, ends_at: dt.datetime | None = None, place: str = "",
                     agenda: str = "", convener=None, joint_alliances: Iterable[Alliance] = (),
                     units: Iterable[MemberUnit] = ()) -> Meeting:
    """Plan a meeting of the alliance; a joint meeting (联席) names the other alliances taking part.
    `units`, if given, are invited at once, in the same transaction (all or nothing)."""
    require_permission(user=user, alliance=alliance, perm=HANDLE_ITEMS)
    errors: dict[str, list[str]] = {}
    try:
        title = _clean_title(title)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if kind not in MeetingKind.values:
        errors["kind"] = [_("未知的会议类型。")]
    if starts_at is None or timezone.is_naive(starts_at):
        errors["starts_at"] = [_("请填写会议开始时间。")]
    elif ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间应晚于开始时间。")]
    joint = list({a.pk: a for a in joint_alliances if a.pk != alliance.pk}.values())
    if kind == MeetingKind.JOINT and not joint:
        errors["joint_alliances"] = [_("联席会议至少要有一个其他共同体参加。")]
    elif kind != MeetingKind.JOINT and joint:
        errors["joint_alliances"] = [_("只有联席会议可以邀请其他共同体。")]
    scope = user_scope(user)
    for other in joint:
        if other.tenant_id != alliance.tenant_id or not scope.allows(VIEW, other.path):
            raise Http404(_("没有找到该党建共同体。"))
    if convener is not None and not user_scope(convener).allows(VIEW, alliance.path):
        errors["convener"] = [_("召集人应是本共同体的书记或工作人员。")]
    if errors:
        raise ValidationError(errors)
    meeting = _tenant_owned(
        Meeting, owner=alliance, alliance=alliance, kind=kind, title=title, starts_at=starts_at, ends_at=ends_at,
        place=(place or "").strip(), agenda=(agenda or "").strip(), convener=convener or user,
        created_by=user, status=MeetingStatus.PLANNED,
    )
    meeting.save()
    if joint:
        meeting.joint_alliances.set(joint)
    units = list(units)
    if units:
        meeting_invite_units(user=user, meeting=meeting, units=units)
    return meeting


@transaction.atomic
def meeting_invite_units(*, user, meeting: Meeting, units: Iterable[MemberUnit]) -> list[Invitation]:
    """Invite member units of the alliance (or, for a joint meeting, of its other alliances).

    Only while the meeting is planned: the invited units are the base of the quorum. Inviting a
    unit twice is harmless. Returns the new invitations.
    """
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.PLANNED,), _("邀请成员单位"))
    units = list({u.pk: u for u in units}.values())
    if not units:
        raise ValidationError({"units": [_("请选择要邀请的成员单位。")]})
    members = _member_unit_ids(_meeting_alliance_ids(meeting), [u.pk for u in units])
    outsiders = [u.name for u in units if u.pk not in members]
    if outsiders:
        raise ValidationError({"units": [_("以下单位不是参会共同体的成员单位:%(names)s") % {
            "names": "、".join(outsiders)}]})
    already = set(meeting.invitations.values_list("unit_id", flat=True))
    alliance = meeting.alliance
    new = [
        _tenant_owned(Invitation, owner=alliance, meeting=meeting, unit=u, invited_by=user)
        for u in units if u.pk not in already
    ]
    Invitation.objects.bulk_create(new)
    return new


@transaction.atomic
def meeting_open(*, user, meeting: Meeting) -> Meeting:
    """开会: planned → in_session, once at least one unit is invited."""
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.PLANNED,), _("开会"))
    if not meeting.invitations.exists():
        raise ValidationError(_("还没有邀请任何成员单位,不能开会。"))
    meeting.status = MeetingStatus.IN_SESSION
    meeting.opened_at = timezone.now()
    meeting.save(update_fields=["status", "opened_at", "updated_at"])
    return meeting


@transaction.atomic
def meeting_record_attendance(*, user, meeting: Meeting, unit: MemberUnit, present: bool) -> Attendance:
    """签到: record an invited unit present or absent, before or during the meeting.

    A unit that has voted on a proposal still open cannot be marked absent: only present units
    vote, and the quorum is counted from the same rows.
    """
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION), _("登记出席"))
    if not meeting.invitations.filter(unit_id=unit.pk).exists():
        raise ValidationError({"unit": [_("“%(unit)s”未受邀参加本次会议。") % {"unit": unit.name}]})
    if not present and Vote.objects.filter(
        proposal__meeting_id=meeting.pk, proposal__status=ProposalStatus.SCHEDULED, unit_id=unit.pk
    ).exists():
        raise ValidationError({"unit": [_("“%(unit)s”已经对未结束表决的议题投票,不能登记为缺席。") % {
            "unit": unit.name}]})
    attendance = Attendance.objects.filter(meeting_id=meeting.pk, unit_id=unit.pk).first()
    if attendance is None:
        attendance = _tenant_owned(Attendance, owner=meeting.alliance, meeting=meeting, unit=unit,
                                   present=bool(present), recorded_by=user)
        attendance.save()
    else:
        attendance.present = bool(present)
        attendance.recorded_by = user
        attendance.save(update_fields=["present", "recorded_by", "recorded_at"])
    return attendance


@transaction.atomic
def meeting_close(*, user, meeting: Meeting) -> Meeting:
    """散会: in_session → closed. Proposals left undecided go back to the approved list (顺延) for a
    later meeting; the votes cast on them were never counted and are dropped."""
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.IN_SESSION,), _("散会"))
    deferred = list(
        Proposal.objects.select_for_update().filter(meeting_id=meeting.pk, status=ProposalStatus.SCHEDULED)
        .values_list("pk", flat=True)
    )
    if deferred:
        Vote.objects.filter(proposal_id__in=deferred).delete()
        Proposal.objects.filter(pk__in=deferred).update(
            status=ProposalStatus.APPROVED, meeting=None, updated_at=timezone.now()
        )
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = timezone.now()
    meeting.save(update_fields=["status", "closed_at", "updated_at"])
    return meeting


# --- proposals -----------------------------------------------------------------------------

@transaction.atomic
def proposal_submit(*, user, alliance: Alliance, title: str, body: str = "", unit: MemberUnit | None = None,
                    source_item: Item | None = None) -> Proposal:
    """提出议题: without a unit, by a secretary or staff member for the initiating organisation;
    with a unit, by that unit's liaison, and only for a unit that is a member of the alliance."""
    scope = user_scope(user)
    if unit is None:
        require_permission(user=user, alliance=alliance, perm=HANDLE_ITEMS)
    else:
        member = bool(_member_unit_ids([alliance.pk], [unit.pk]))
        visible = scope.allows(VIEW, alliance.path) or (member and unit.pk in liaison_unit_ids(user))
        if not visible:
            raise Http404(_("没有找到该党建共同体。"))
        if unit.pk not in liaison_unit_ids(user):
            raise PermissionDenied(_("只能以本单位名义提出议题。"))
        if not member:
            raise ValidationError({"unit": [_("“%(unit)s”不是本共同体的成员单位。") % {"unit": unit.name}]})
    title = _clean_title(title)
    if source_item is not None and (
        source_item.tenant_id != alliance.tenant_id
        or not item_list(user=user).filter(pk=source_item.pk).exists()
    ):
        raise Http404(_("没有找到该事项。"))
    proposal = _tenant_owned(
        Proposal, owner=alliance, alliance=alliance, title=title, body=(body or "").strip(), raised_by_user=user,
        raised_by_unit=unit, source_item=source_item, status=ProposalStatus.SUBMITTED,
    )
    proposal.save()
    return proposal


@transaction.atomic
def proposal_review(*, user, proposal: Proposal, approve: bool, reason: str = "") -> Proposal:
    """审定: the initiating organisation accepts a submitted proposal or returns it with a reason."""
    _require_proposal_handler(user, proposal)
    proposal = _lock_proposal(proposal)
    _proposal_status(proposal, (ProposalStatus.SUBMITTED,), _("审定"))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("请填写退回理由。")]})
    proposal.status = ProposalStatus.APPROVED if approve else ProposalStatus.RETURNED
    proposal.returned_reason = "" if approve else reason
    proposal.reviewed_by = user
    proposal.reviewed_at = timezone.now()
    proposal.save(update_fields=["status", "returned_reason", "reviewed_by", "reviewed_at", "updated_at"])
    return proposal


@transaction.atomic
def proposal_schedule(*, user, proposal: Proposal, meeting: Meeting) -> Proposal:
    """Put an approved proposal on the agenda of a planned meeting of the same alliance."""
    _require_proposal_handler(user, proposal)
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    proposal = _lock_proposal(proposal)
    _proposal_status(proposal, (ProposalStatus.APPROVED,), _("列入议程"))
    _meeting_status(meeting, (MeetingStatus.PLANNED,), _("增加议题"))
    if meeting.alliance_id != proposal.alliance_id:
        raise ValidationError({"meeting": [_("议题只能列入本共同体的会议。")]})
    proposal.status = ProposalStatus.SCHEDULED
    proposal.meeting = meeting
    proposal.save(update_fields=["status", "meeting", "updated_at"])
    return proposal


# --- voting --------------------------------------------------------------------------------

@transaction.atomic
def vote_cast(*, user, proposal: Proposal, unit: MemberUnit | None, choice: str) -> Vote:
    """One unit, one vote: cast by the unit's liaison (or recorded by the secretary for a unit in
    the room) while the meeting is in session, for an invited unit that is present. Voting again
    replaces the unit's vote until the vote is closed by proposal_decide.

    The proposal row is locked, so two votes of the same unit at once are serialised; the unique
    (proposal, unit) constraint backs the rule.
    """
    if not proposal_list(user=user).filter(pk=proposal.pk).exists():
        raise Http404(_("没有找到该议题。"))
    if unit is None:
        # A liaison who speaks for one invited unit need not name it.
        invited = set(Invitation.objects.filter(meeting_id=proposal.meeting_id).values_list("unit_id", flat=True))
        own_invited = sorted(liaison_unit_ids(user) & invited)
        if len(own_invited) != 1:
            raise ValidationError({"unit": [_("请选择投票的成员单位。")]})
        unit = MemberUnit.objects.get(pk=own_invited[0])
    own = unit.pk in liaison_unit_ids(user)
    if not own and not user_scope(user).allows(HANDLE_ITEMS, proposal.alliance_path):
        raise PermissionDenied(_("只能以本单位名义投票。"))
    meeting, proposal = _lock_meeting_and_proposal(proposal, _("投票"))
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": [_("表决意见只能是赞成、反对或弃权。")]})
    if not meeting.invitations.filter(unit_id=unit.pk).exists():
        raise ValidationError({"unit": [_("“%(unit)s”未受邀参加本次会议,不能投票。") % {"unit": unit.name}]})
    if not meeting.attendances.filter(unit_id=unit.pk, present=True).exists():
        raise ValidationError({"unit": [_("“%(unit)s”未签到出席,不能投票。") % {"unit": unit.name}]})
    vote = Vote.objects.select_for_update().filter(proposal_id=proposal.pk, unit_id=unit.pk).first()
    if vote is None:
        vote = _tenant_owned(Vote, owner=meeting.alliance, proposal=proposal, unit=unit, choice=choice,
                             cast_by=user)
        vote.save()
    else:
        vote.choice = choice
        vote.cast_by = user
        vote.save(update_fields=["choice", "cast_by", "updated_at"])
    return vote


def proposal_tally(*, proposal: Proposal) -> dict[str, int]:
    """Counts for the proposal's meeting and votes: invited, present, for, against, abstain."""
    meeting_id = proposal.meeting_id
    invited = Invitation.objects.filter(meeting_id=meeting_id).count()
    present = Attendance.objects.filter(
        meeting_id=meeting_id, present=True, unit_id__in=Invitation.objects.filter(meeting_id=meeting_id)
        .values("unit_id")
    ).count()
    votes = Vote.objects.filter(proposal_id=proposal.pk).aggregate(
        votes_for=Count("pk", filter=Q(choice=VoteChoice.FOR)),
        votes_against=Count("pk", filter=Q(choice=VoteChoice.AGAINST)),
        votes_abstain=Count("pk", filter=Q(choice=VoteChoice.ABSTAIN)),
    )
    return {"invited": invited, "present": present, **votes}


@transaction.atomic
def proposal_decide(*, user, proposal: Proposal, text: str = "") -> Resolution:
    """Close the vote: count it, apply `decide_outcome`, and record the Resolution.

    Without a quorum nothing is decided and nothing changes; the proposal stays on the agenda.
    """
    _require_proposal_handler(user, proposal)
    meeting, proposal = _lock_meeting_and_proposal(proposal, _("表决"))
    tally = proposal_tally(proposal=proposal)
    outcome = decide_outcome(**tally)
    if not outcome.quorum:
        raise ValidationError(
            _("出席单位未超过应到单位的半数(应到%(invited)d个,实到%(present)d个),不能表决。") % tally
        )
    now = timezone.now()
    resolution = _tenant_owned(
        Resolution, owner=meeting.alliance, alliance=meeting.alliance, proposal=proposal, meeting=meeting,
        text=(text or "").strip() or proposal.title, adopted=outcome.adopted,
        invited_count=tally["invited"], present_count=tally["present"], votes_for=tally["votes_for"],
        votes_against=tally["votes_against"], votes_abstain=tally["votes_abstain"], decided_by=user,
        decided_at=now,
    )
    resolution.save()
    proposal.status = ProposalStatus.DECIDED
    proposal.decided_at = now
    proposal.save(update_fields=["status", "decided_at", "updated_at"])
    return resolution


# --- resolutions ---------------------------------------------------------------------------

def _require_resolution_handler(user, resolution: Resolution) -> None:
    _require_meeting_handler(user, resolution.meeting)


def _lock_resolution(resolution: Resolution) -> Resolution:
    return Resolution.objects.select_for_update().select_related("alliance", "meeting").get(pk=resolution.pk)


@dataclass(frozen=True)
class Action:
    unit: MemberUnit
    title: str
    description: str = ""
    category: str = Category.OTHER


@transaction.atomic
def resolution_assign_actions(*, user, resolution: Resolution, actions: Iterable[Action]) -> list[ActionItem]:
    """Turn an adopted resolution's actions into items (source "meeting") assigned to member units.

    Each is an item in `tasks/`, started at once for its unit, so it is tracked and escalated like
    any other and comes back in report_back_items at the next meeting.
    """
    _require_resolution_handler(user, resolution)
    resolution = _lock_resolution(resolution)
    if not resolution.adopted:
        raise ValidationError(_("该议题未获通过,不能分派决议事项。"))
    actions = list(actions)
    if not actions:
        raise ValidationError({"actions": [_("请至少填写一项决议事项。")]})
    meeting = resolution.meeting
    members = _member_unit_ids(_meeting_alliance_ids(meeting), [a.unit.pk for a in actions])
    errors = []
    for action in actions:
        if action.unit.pk not in members:
            errors.append(_("“%(unit)s”不是参会共同体的成员单位。") % {"unit": action.unit.name})
        if not (action.title or "").strip():
            errors.append(_("请填写决议事项的标题。"))
    if errors:
        raise ValidationError({"actions": errors})
    created = []
    for action in actions:
        item, _created = item_create(
            user=user, alliance=resolution.alliance, title=action.title, source=ItemSource.MEETING,
            description=action.description or resolution.text, category=action.category,
            assignee_unit=action.unit,
        )
        item = item_start(user=user, item=item, assignee_unit=action.unit,
                          note=_("会议决议:%(text)s") % {"text": resolution.text[:100]})
        created.append(_tenant_owned(ActionItem, owner=resolution.alliance, resolution=resolution,
                                     item=item, unit=action.unit))
    ActionItem.objects.bulk_create(created)
    return created


@transaction.atomic
def resolution_publish(*, user, resolution: Resolution) -> Resolution:
    """公开: publish an adopted resolution for party members and residents; once only."""
    _require_resolution_handler(user, resolution)
    resolution = _lock_resolution(resolution)
    if not resolution.adopted:
        raise ValidationError(_("未通过的议题没有决议可以公开。"))
    if resolution.published:
        raise ValidationError(_("该决议已经公开。"))
    resolution.published = True
    resolution.published_at = timezone.now()
    resolution.save(update_fields=["published", "published_at"])
    return resolution
