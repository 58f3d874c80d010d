"""Every change to meetings, proposals, votes and resolutions.

Meeting: planned → in_session → closed.
Proposal (议题): submitted → approved (审定) | returned (with a reason) | merged into another →
scheduled on a planned meeting → decided (the vote is closed and a Resolution records the outcome).
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
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import CHANGE, HANDLE_ITEMS, VIEW
from alliance.selectors import user_scope
from alliance.services import require_permission
from alliance.uploads import UPLOAD_EXTENSIONS, UPLOAD_MAX_BYTES, upload_clean_name, upload_store
from members.models import Membership, MemberUnit, User
from members.selectors import liaison_unit_ids
from tasks.models import Category, Item, ItemSource
from tasks.selectors import item_list
from tasks.services import item_create, item_start
from webhooks.models import EventKind as WebhookEvent
from webhooks.payloads import emit_resolution

from .models import (
    ActionItem,
    Attendance,
    Invitation,
    Meeting,
    MeetingKind,
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
from .selectors import (
    MERGEABLE,
    meeting_list,
    meeting_member_count,
    meeting_present_unit_ids,
    meeting_rules_for,
    proposal_list,
    report_back_for_new_meeting,
    resolution_list,
)

MAX_TITLE = 200


# --- the rule ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    quorum: bool
    adopted: bool


def has_quorum(*, members: int, present: int, rules: MeetingRules | None = None) -> bool:
    """Quorum (法定人数): more than quorum_numerator/quorum_denominator of the member units (应到:
    every active member unit of the meeting's alliances, invited or not, counted when the meeting
    opened) are present (present × den > members × num; by default more than half). Counting
    against the member units, not the invited ones, keeps a secretary from making a quorum by
    inviting only the units it expects to agree."""
    rules = rules or MeetingRules()
    return members > 0 and present * rules.quorum_denominator > members * rules.quorum_numerator


def decide_outcome(*, members: int, present: int, votes_for: int, votes_against: int = 0,
                   votes_abstain: int = 0, major: bool = False, rules: MeetingRules | None = None) -> Outcome:
    """The one rule by which an alliance meeting decides (议事规则; `rules` of the alliance, or
    the defaults).

    Without a quorum (has_quorum) nothing is decided. An ordinary matter passes with a simple
    majority of the units PRESENT (2 × for > present): votes against, abstentions and units
    present that did not vote all count as not-for, so a tie is not adopted. A major matter
    (重大事项) needs at least major_numerator/major_denominator of the units present
    (for × den ≥ present × num; by default two thirds). `present` counts the units that handed
    their vote to a unit present (委托表决). Every unit counts once, whatever its rank or size.
    """
    rules = rules or MeetingRules()
    quorum = has_quorum(members=members, present=present, rules=rules)
    if major:
        passed = votes_for * rules.major_denominator >= present * rules.major_numerator
    else:
        passed = 2 * votes_for > present
    return Outcome(quorum=quorum, adopted=quorum and votes_for > 0 and passed)


def _no_quorum(*, members: int, present: int, rules: MeetingRules) -> ValidationError:
    return ValidationError(
        _("出席单位未达到法定人数(应到%(invited)d个,实到%(present)d个,须超过应到单位的%(num)d/%(den)d),"
          "不能表决。") % {"invited": members, "present": present, "num": rules.quorum_numerator,
                          "den": rules.quorum_denominator}
    )


RULES_MAX_DENOMINATOR = 100
RULES_MAX_PROXIES = 10


@transaction.atomic
def meeting_rules_update(*, user, alliance: Alliance, quorum_numerator: int, quorum_denominator: int,
                         major_numerator: int, major_denominator: int, max_proxies_per_unit: int) -> MeetingRules:
    """议事规则: a secretary (or the district) sets the alliance's quorum, the threshold for major
    matters and how many proxies one unit may hold. Not while one of its meetings is in session:
    a vote is counted by the rules it was opened under."""
    require_permission(user=user, alliance=alliance, perm=CHANGE)
    values = {"quorum_numerator": quorum_numerator, "quorum_denominator": quorum_denominator,
              "major_numerator": major_numerator, "major_denominator": major_denominator,
              "max_proxies_per_unit": max_proxies_per_unit}
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool):
            errors[field] = [_("请填写整数。")]
    if not errors:
        for field in ("quorum_denominator", "major_denominator"):
            if not 1 <= values[field] <= RULES_MAX_DENOMINATOR:
                errors[field] = [_("分母应是1到%(n)d之间的整数。") % {"n": RULES_MAX_DENOMINATOR}]
        if "quorum_denominator" not in errors and not 0 < quorum_numerator < quorum_denominator:
            errors["quorum_numerator"] = [_("法定人数的分子应大于0且小于分母(例如1/2:出席单位超过应到单位的半数)。")]
        if "major_denominator" not in errors and not (
                major_denominator <= 2 * major_numerator and major_numerator <= major_denominator):
            errors["major_numerator"] = [_("重大事项的通过比例应在1/2到1之间(例如2/3:实到单位的三分之二以上赞成)。")]
        if not 0 <= max_proxies_per_unit <= RULES_MAX_PROXIES:
            errors["max_proxies_per_unit"] = [
                _("每个单位最多受托票数应在0到%(n)d之间(0表示不允许委托表决)。") % {"n": RULES_MAX_PROXIES}]
    if errors:
        raise ValidationError(errors)
    # The alliance row serialises two secretaries saving at once (the rules row may not exist yet).
    Alliance.objects.select_for_update().filter(pk=alliance.pk).values_list("pk", flat=True).first()
    if Meeting.objects.filter(alliance_id=alliance.pk, status=MeetingStatus.IN_SESSION).exists():
        raise ValidationError(_("本共同体有正在进行的会议,散会后才能修改议事规则。"))
    rules = MeetingRules.objects.filter(alliance_id=alliance.pk).first() or MeetingRules(alliance=alliance)
    for field, value in values.items():
        setattr(rules, field, value)
    rules.save()
    return rules


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

def report_back_agenda(*, alliance: Alliance, starts_at: dt.datetime | None = None) -> str:
    """The agenda a new meeting starts with (通报): the alliance's action items finished since its
    previous meeting and those overdue, one line each; empty when there is nothing to report.
    The caller has checked that the user runs the alliance's meetings."""
    now = timezone.now()
    actions = list(report_back_for_new_meeting(alliance=alliance, starts_at=starts_at or now, now=now))
    if not actions:
        return ""
    finished = [a for a in actions if not a.item.is_open]
    overdue = [a for a in actions if a.item.is_open]
    lines = [_("一、通报上次会议决议事项办理情况")]
    for n, action in enumerate(finished + overdue, start=1):
        values = {"n": n, "title": action.item.title, "unit": action.assignee_name,
                  "due": timezone.localtime(action.item.due_at).strftime("%Y-%m-%d")}
        if action.item.is_open:
            lines.append(_("%(n)d. 【已超期】%(title)s(%(unit)s,期限%(due)s)") % values)
        else:
            lines.append(_("%(n)d. 【已办结】%(title)s(%(unit)s)") % values)
    return "\n".join(lines)


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
        place=(place or "").strip(),
        agenda=(agenda or "").strip() or report_back_agenda(alliance=alliance, starts_at=starts_at),
        convener=convener or user, created_by=user, status=MeetingStatus.PLANNED,
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

    Only while the meeting is planned: the invited units are those asked to come and the only ones
    that vote (the quorum is counted against all member units). Inviting a unit twice is
    harmless. Returns the new invitations.
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
    if new:
        # Imported late, as tasks.notifications does, so the modules never import each other at load.
        from .tasks import send_meeting_invitations_task

        meeting_id = meeting.pk
        transaction.on_commit(lambda: send_meeting_invitations_task.delay(meeting_id))
    return new


@transaction.atomic
def meeting_open(*, user, meeting: Meeting) -> Meeting:
    """开会: planned → in_session, once at least one unit is invited. The member units of the
    meeting's alliances are counted now (Meeting.member_count, 应到): the quorum's base stays
    the same for the whole meeting, whoever joins or leaves the alliance meanwhile."""
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.PLANNED,), _("开会"))
    if not meeting.invitations.exists():
        raise ValidationError(_("还没有邀请任何成员单位,不能开会。"))
    meeting.member_count = meeting_member_count(meeting=meeting)
    meeting.status = MeetingStatus.IN_SESSION
    meeting.opened_at = timezone.now()
    meeting.save(update_fields=["status", "opened_at", "member_count", "updated_at"])
    return meeting


@transaction.atomic
def meeting_record_attendance(*, user, meeting: Meeting, unit: MemberUnit, present: bool) -> Attendance:
    """签到: record an invited unit present or absent, before or during the meeting.

    A unit that has voted on a proposal still open (for itself or by proxy) cannot be marked
    absent: only present units vote, and the quorum is counted from the same rows.
    """
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION), _("登记出席"))
    if not meeting.invitations.filter(unit_id=unit.pk).exists():
        raise ValidationError({"unit": [_("“%(unit)s”未受邀参加本次会议。") % {"unit": unit.name}]})
    if not present and Vote.objects.filter(
        Q(unit_id=unit.pk) | Q(proxy_unit_id=unit.pk),
        proposal__meeting_id=meeting.pk, proposal__status=ProposalStatus.SCHEDULED, voided_at__isnull=True,
    ).exists():
        # Nor can a unit that cast votes it holds by proxy: those units count present through it.
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
    later meeting. The votes cast on them were never counted: each is kept, as the record of how
    the unit voted, but voided, so the units vote afresh when the proposal comes up again."""
    _require_meeting_handler(user, meeting)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.IN_SESSION,), _("散会"))
    now = timezone.now()
    deferred = list(
        Proposal.objects.select_for_update().filter(meeting_id=meeting.pk, status=ProposalStatus.SCHEDULED)
        .values_list("pk", flat=True)
    )
    if deferred:
        Vote.objects.filter(proposal_id__in=deferred, voided_at__isnull=True).update(voided_at=now, updated_at=now)
        Proposal.objects.filter(pk__in=deferred).update(
            status=ProposalStatus.APPROVED, meeting=None, updated_at=now
        )
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    meeting.save(update_fields=["status", "closed_at", "updated_at"])
    return meeting


# --- proposals -----------------------------------------------------------------------------

@transaction.atomic
def proposal_submit(*, user, alliance: Alliance, title: str, body: str = "", unit: MemberUnit | None = None,
                    source_item: Item | None = None, major: bool = False) -> Proposal:
    """提出议题: without a unit, by a secretary or staff member for the initiating organisation;
    with a unit, by that unit's liaison, and only for a unit that is a member of the alliance.
    Only the initiating organisation marks its own proposal major (重大事项) when raising it; a
    unit's proposal is marked at review."""
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
    if major and unit is not None:
        raise ValidationError({"major": [_("成员单位提出的议题是否为重大事项,由发起党组织在审定时确定。")]})
    if source_item is not None and (
        source_item.tenant_id != alliance.tenant_id
        or not item_list(user=user).filter(pk=source_item.pk).exists()
    ):
        raise Http404(_("没有找到该事项。"))
    proposal = _tenant_owned(
        Proposal, owner=alliance, alliance=alliance, title=title, body=(body or "").strip(), raised_by_user=user,
        raised_by_unit=unit, source_item=source_item, status=ProposalStatus.SUBMITTED, major=bool(major),
    )
    proposal.save()
    return proposal


@transaction.atomic
def proposal_review(*, user, proposal: Proposal, approve: bool, reason: str = "",
                    major: bool | None = None) -> Proposal:
    """审定: the initiating organisation accepts a submitted proposal or returns it with a reason,
    and decides whether it is a major matter (重大事项, `major`; None leaves it as it is)."""
    _require_proposal_handler(user, proposal)
    proposal = _lock_proposal(proposal)
    _proposal_status(proposal, (ProposalStatus.SUBMITTED,), _("审定"))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": [_("请填写退回理由。")]})
    proposal.status = ProposalStatus.APPROVED if approve else ProposalStatus.RETURNED
    proposal.returned_reason = "" if approve else reason
    if major is not None:
        proposal.major = bool(major)
    proposal.reviewed_by = user
    proposal.reviewed_at = timezone.now()
    proposal.save(update_fields=["status", "returned_reason", "major", "reviewed_by", "reviewed_at", "updated_at"])
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


@transaction.atomic
def proposal_merge(*, user, proposal: Proposal, into: Proposal) -> Proposal:
    """合并 (at review): the initiating organisation merges a proposal awaiting review or approved
    into an APPROVED proposal of the same alliance; it is then "merged" and decided with the other.
    A target still awaiting review could yet be returned and strand what was merged into it, so it
    is refused. Proposals merged into it earlier follow it, so a merge is never more than one link
    deep."""
    _require_proposal_handler(user, proposal)
    if not proposal_list(user=user).filter(pk=into.pk).exists():
        raise Http404(_("没有找到该议题。"))
    if proposal.pk == into.pk:
        raise ValidationError({"into": [_("不能把议题合并到它自己。")]})
    locked = {p.pk: p for p in Proposal.objects.select_for_update().filter(pk__in=[proposal.pk, into.pk])
              .order_by("pk")}
    proposal, into = locked[proposal.pk], locked[into.pk]
    _proposal_status(proposal, MERGEABLE, _("合并"))
    if into.alliance_id != proposal.alliance_id:
        raise ValidationError({"into": [_("只能合并到本共同体的议题。")]})
    if into.status == ProposalStatus.MERGED:
        raise ValidationError({"into": [_("“%(title)s”已合并到其他议题,请选择合并后的议题。") % {"title": into.title}]})
    if into.status != ProposalStatus.APPROVED:
        raise ValidationError({"into": [_("只能合并到已审定(尚未列入议程)的议题,“%(title)s”当前状态为“%(status)s”;"
                                          "待审定的议题请先审定。") % {
            "title": into.title, "status": into.get_status_display()}]})
    now = timezone.now()
    Proposal.objects.filter(merged_into_id=proposal.pk).update(merged_into=into, updated_at=now)
    proposal.status = ProposalStatus.MERGED
    proposal.merged_into = into
    proposal.reviewed_by = user
    proposal.reviewed_at = now
    proposal.save(update_fields=["status", "merged_into", "reviewed_by", "reviewed_at", "updated_at"])
    return proposal


ATTACHMENT_MAX_BYTES = UPLOAD_MAX_BYTES  # the shared upload limit and types (alliance.uploads)
ATTACHMENT_EXTENSIONS = UPLOAD_EXTENSIONS


@transaction.atomic
def proposal_attach(*, user, proposal: Proposal, uploaded_file) -> ProposalAttachment:
    """材料: the raiser of a proposal (its user, or the liaison of its unit) or the initiating
    organisation attaches a file (PDF, Word, Excel or an image, at most 10 MB) until the proposal
    is decided or merged. The file is stored under a random name; it is served only through the
    scoped download view, never from MEDIA_URL. The row is written first and the file after it: a
    file that cannot be stored rolls the row back, and a file stored for a row that then fails is
    deleted, so neither is left without the other. (The views refuse an oversized request before
    it is read: alliance.uploads.upload_too_large.)"""
    if not proposal_list(user=user).filter(pk=proposal.pk).exists():
        raise Http404(_("没有找到该议题。"))
    raiser = proposal.raised_by_user_id == user.pk or (
        proposal.raised_by_unit_id is not None and proposal.raised_by_unit_id in liaison_unit_ids(user))
    if not raiser and not user_scope(user).allows(HANDLE_ITEMS, proposal.alliance_path):
        raise PermissionDenied(_("只有议题的提出方或发起党组织可以上传材料。"))
    proposal = _lock_proposal(proposal)
    _proposal_status(proposal, (ProposalStatus.SUBMITTED, ProposalStatus.APPROVED, ProposalStatus.RETURNED,
                                ProposalStatus.SCHEDULED), _("上传附件"))
    if uploaded_file is None:
        raise ValidationError({"file": [_("请选择要上传的文件。")]})
    name, extension = upload_clean_name(uploaded_file)
    attachment = ProposalAttachment(tenant_id=proposal.tenant_id, alliance_path=proposal.alliance_path,
                                    proposal=proposal, name=name, uploaded_by=user)
    return upload_store(attachment, uploaded_file, extension=extension)


# --- voting --------------------------------------------------------------------------------

def _already_voted(unit: MemberUnit) -> ValidationError:
    return ValidationError({"unit": [_("“%(unit)s”已经对该议题投票,不能重复投票或更改。") % {"unit": unit.name}]})


@transaction.atomic
def vote_cast(*, user, proposal: Proposal, unit: MemberUnit | None, choice: str) -> Vote:
    """One unit, one vote, cast once and never changed: by the unit's liaison, by the liaison of
    the unit holding its proxy (委托表决, recorded in Vote.proxy_unit), or recorded by the
    secretary for a unit in the room; while the meeting is in session and has its quorum, for an
    invited unit that is present (or whose proxy holder is).

    The meeting row is locked, so two votes of the same unit at once are serialised and the second
    is refused; the unique (proposal, unit) constraint, caught in a savepoint, backs the rule.
    """
    if not proposal_list(user=user).filter(pk=proposal.pk).exists():
        raise Http404(_("没有找到该议题。"))
    own_units = liaison_unit_ids(user)
    if unit is None:
        # A liaison who speaks for one invited unit need not name it.
        invited = set(Invitation.objects.filter(meeting_id=proposal.meeting_id).values_list("unit_id", flat=True))
        own_invited = sorted(own_units & invited)
        if len(own_invited) != 1:
            raise ValidationError({"unit": [_("请选择投票的成员单位。")]})
        unit = MemberUnit.objects.get(pk=own_invited[0])
    handler = user_scope(user).allows(HANDLE_ITEMS, proposal.alliance_path)
    holds_proxy = bool(own_units) and proposal.meeting_id is not None and Proxy.objects.filter(
        meeting_id=proposal.meeting_id, from_unit_id=unit.pk, to_unit_id__in=sorted(own_units)).exists()
    if not (handler or unit.pk in own_units or holds_proxy):
        raise PermissionDenied(_("只能以本单位的名义,或以委托本单位代为表决的单位的名义投票。"))
    meeting, proposal = _lock_meeting_and_proposal(proposal, _("投票"))
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": [_("表决意见只能是赞成、反对或弃权。")]})
    if not meeting.invitations.filter(unit_id=unit.pk).exists():
        raise ValidationError({"unit": [_("“%(unit)s”未受邀参加本次会议,不能投票。") % {"unit": unit.name}]})
    if not _member_unit_ids(_meeting_alliance_ids(meeting), [unit.pk]):
        # It left the alliance during the meeting: it no longer counts present, nor votes.
        raise ValidationError({"unit": [_("“%(unit)s”已不是参会共同体的成员单位,不能投票。") % {"unit": unit.name}]})
    if Vote.objects.filter(proposal_id=proposal.pk, unit_id=unit.pk, voided_at__isnull=True).exists():
        raise _already_voted(unit)
    proxy = Proxy.objects.filter(meeting_id=meeting.pk, from_unit_id=unit.pk).select_related("to_unit").first()
    if proxy is None:
        if not handler and unit.pk not in own_units:  # the proxy was revoked in the meantime
            raise PermissionDenied(_("只能以本单位的名义,或以委托本单位代为表决的单位的名义投票。"))
        if not meeting.attendances.filter(unit_id=unit.pk, present=True).exists():
            raise ValidationError({"unit": [_("“%(unit)s”未签到出席,不能投票。") % {"unit": unit.name}]})
    else:
        if not handler and proxy.to_unit_id not in own_units:
            raise ValidationError({"unit": [_("“%(unit)s”已委托“%(holder)s”代为表决;如要自行表决,请先撤销委托。") % {
                "unit": unit.name, "holder": proxy.to_unit.name}]})
        if not meeting.attendances.filter(unit_id=proxy.to_unit_id, present=True).exists():
            raise ValidationError({"unit": [_("受托单位“%(holder)s”未签到出席,不能代为表决。") % {
                "holder": proxy.to_unit.name}]})
    rules = meeting_rules_for(meeting.alliance)
    member_count = meeting_member_count(meeting=meeting)
    present_count = len(meeting_present_unit_ids(meeting_id=meeting.pk))
    if not has_quorum(members=member_count, present=present_count, rules=rules):
        raise _no_quorum(members=member_count, present=present_count, rules=rules)
    vote = _tenant_owned(Vote, owner=meeting.alliance, proposal=proposal, unit=unit, choice=choice, cast_by=user,
                         proxy_unit=proxy.to_unit if proxy is not None else None)
    try:
        with transaction.atomic():
            vote.save()
    except IntegrityError:
        raise _already_voted(unit) from None
    return vote


def proposal_tally(*, proposal: Proposal, meeting: Meeting | None = None) -> dict[str, int]:
    """Counts for the proposal's meeting and votes: members (应到, the quorum base), present (in
    person or by proxy), for, against, abstain. Voided votes count nowhere."""
    meeting = meeting or Meeting.objects.get(pk=proposal.meeting_id)
    members = meeting_member_count(meeting=meeting)
    present = len(meeting_present_unit_ids(meeting_id=meeting.pk))
    votes = Vote.objects.filter(proposal_id=proposal.pk, voided_at__isnull=True).aggregate(
        votes_for=Count("pk", filter=Q(choice=VoteChoice.FOR)),
        votes_against=Count("pk", filter=Q(choice=VoteChoice.AGAINST)),
        votes_abstain=Count("pk", filter=Q(choice=VoteChoice.ABSTAIN)),
    )
    return {"members": members, "present": present, **votes}


@transaction.atomic
def proposal_decide(*, user, proposal: Proposal, text: str = "") -> Resolution:
    """Close the vote: count it, apply `decide_outcome` with the alliance's rules (and the higher
    threshold if the proposal is a major matter), and record the Resolution.

    Without a quorum nothing is decided and nothing changes; the proposal stays on the agenda.
    """
    _require_proposal_handler(user, proposal)
    meeting, proposal = _lock_meeting_and_proposal(proposal, _("表决"))
    tally = proposal_tally(proposal=proposal, meeting=meeting)
    rules = meeting_rules_for(meeting.alliance)
    outcome = decide_outcome(**tally, major=proposal.major, rules=rules)
    if not outcome.quorum:
        raise _no_quorum(members=tally["members"], present=tally["present"], rules=rules)
    now = timezone.now()
    resolution = _tenant_owned(
        Resolution, owner=meeting.alliance, alliance=meeting.alliance, proposal=proposal, meeting=meeting,
        text=(text or "").strip() or proposal.title, adopted=outcome.adopted,
        member_count=tally["members"], present_count=tally["present"], votes_for=tally["votes_for"],
        votes_against=tally["votes_against"], votes_abstain=tally["votes_abstain"], decided_by=user,
        decided_at=now,
    )
    resolution.save()
    proposal.status = ProposalStatus.DECIDED
    proposal.decided_at = now
    proposal.save(update_fields=["status", "decided_at", "updated_at"])
    return resolution


# --- proxies (委托表决) -----------------------------------------------------------------------

def _require_proxy_actor(user, meeting: Meeting, from_unit_id: int) -> None:
    """404 where the user cannot see the meeting; 403 unless it runs the meeting or is the liaison
    of the unit handing its vote over."""
    if not meeting_list(user=user).filter(pk=meeting.pk).exists():
        raise Http404(_("没有找到该会议。"))
    if from_unit_id not in liaison_unit_ids(user) and not user_scope(user).allows(
            HANDLE_ITEMS, meeting.alliance_path):
        raise PermissionDenied(_("只有委托单位的联络员或发起党组织可以办理委托表决。"))


@transaction.atomic
def proxy_grant(*, user, meeting: Meeting, from_unit: MemberUnit, to_unit: MemberUnit) -> Proxy:
    """委托表决: for one meeting, an invited unit hands its vote to another invited unit, by its
    liaison or through the secretary, while the meeting is planned or in session and before it
    has voted on a proposal still open. No chains: a unit that gave its proxy holds none, and one
    holding proxies gives none. A unit holds at most the alliance's max_proxies_per_unit."""
    _require_proxy_actor(user, meeting, from_unit.pk)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION), _("办理委托表决"))
    if from_unit.pk == to_unit.pk:
        raise ValidationError({"to_unit": [_("不能委托本单位代为表决。")]})
    invited = set(meeting.invitations.filter(unit_id__in=[from_unit.pk, to_unit.pk])
                  .values_list("unit_id", flat=True))
    for field, unit in (("from_unit", from_unit), ("to_unit", to_unit)):
        if unit.pk not in invited:
            raise ValidationError({field: [_("“%(unit)s”未受邀参加本次会议。") % {"unit": unit.name}]})
    given = Proxy.objects.filter(meeting_id=meeting.pk, from_unit_id=from_unit.pk).select_related("to_unit").first()
    if given is not None:
        raise ValidationError({"from_unit": [_("“%(unit)s”已委托“%(holder)s”代为表决;如要改变,请先撤销原委托。") % {
            "unit": from_unit.name, "holder": given.to_unit.name}]})
    if Proxy.objects.filter(meeting_id=meeting.pk, to_unit_id=from_unit.pk).exists():
        raise ValidationError({"from_unit": [_("“%(unit)s”已接受其他单位的委托,不能再委托他人(不能转委托)。") % {
            "unit": from_unit.name}]})
    if Proxy.objects.filter(meeting_id=meeting.pk, from_unit_id=to_unit.pk).exists():
        raise ValidationError({"to_unit": [_("“%(unit)s”已将本单位的表决委托他人,不能再接受委托。") % {
            "unit": to_unit.name}]})
    rules = meeting_rules_for(meeting.alliance)
    held = Proxy.objects.filter(meeting_id=meeting.pk, to_unit_id=to_unit.pk).count()
    if rules.max_proxies_per_unit == 0:
        raise ValidationError(_("本共同体的议事规则不允许委托表决。"))
    if held >= rules.max_proxies_per_unit:
        raise ValidationError({"to_unit": [_("“%(unit)s”已受托%(held)d票,每个单位最多受托%(max)d票。") % {
            "unit": to_unit.name, "held": held, "max": rules.max_proxies_per_unit}]})
    if Vote.objects.filter(proposal__meeting_id=meeting.pk, proposal__status=ProposalStatus.SCHEDULED,
                           unit_id=from_unit.pk, voided_at__isnull=True).exists():
        raise ValidationError({"from_unit": [_("“%(unit)s”已经对未结束表决的议题投票,不能再委托。") % {
            "unit": from_unit.name}]})
    proxy = _tenant_owned(Proxy, owner=meeting.alliance, meeting=meeting, from_unit=from_unit, to_unit=to_unit,
                          recorded_by=user)
    proxy.save()
    return proxy


@transaction.atomic
def proxy_revoke(*, user, proxy: Proxy) -> None:
    """撤销委托: by the same people who may grant it, while the meeting is planned or in session and
    no vote has been cast with the proxy (a vote once cast stands)."""
    meeting = Meeting.objects.get(pk=proxy.meeting_id)
    _require_proxy_actor(user, meeting, proxy.from_unit_id)
    meeting = _lock_meeting(meeting)
    _meeting_status(meeting, (MeetingStatus.PLANNED, MeetingStatus.IN_SESSION), _("撤销委托"))
    proxy = Proxy.objects.filter(pk=proxy.pk).select_related("from_unit", "to_unit").first()
    if proxy is None:
        raise ValidationError(_("该委托已经撤销。"))
    if Vote.objects.filter(proposal__meeting_id=meeting.pk, unit_id=proxy.from_unit_id,
                           proxy_unit_id=proxy.to_unit_id, voided_at__isnull=True).exists():
        raise ValidationError(_("“%(holder)s”已经代“%(unit)s”投票,不能撤销委托。") % {
            "holder": proxy.to_unit.name, "unit": proxy.from_unit.name})
    proxy.delete()


# --- resolutions ---------------------------------------------------------------------------

def _require_resolution_handler(user, resolution: Resolution) -> None:
    """404 where the user cannot see the resolution (resolution_list: its meeting, or its own
    unit's proposal), 403 where it sees it but does not run the alliance's meetings."""
    if not resolution_list(user=user).filter(pk=resolution.pk).exists():
        raise Http404(_("没有找到该决议。"))
    if not user_scope(user).allows(HANDLE_ITEMS, resolution.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以办理决议。"))


def _lock_resolution(resolution: Resolution) -> Resolution:
    return Resolution.objects.select_for_update().select_related("alliance", "meeting").get(pk=resolution.pk)


@dataclass(frozen=True, kw_only=True)
class Action:
    """One action of a resolution: for a member unit (`unit`) or for a secretary or staff member of
    the alliance (`assignee_user`), never both, due by the end of `due` (Asia/Shanghai)."""

    title: str
    due: dt.date | None
    unit: MemberUnit | None = None
    assignee_user: User | None = None
    description: str = ""
    category: str = Category.OTHER


def action_due_at(due: dt.date) -> dt.datetime:
    """An action's deadline: the end of its due day, local time (Asia/Shanghai)."""
    return dt.datetime.combine(due, dt.time(23, 59, 59), tzinfo=timezone.get_default_timezone())


def _assignee_name(action: Action) -> str:
    if action.unit is not None:
        return action.unit.name
    user = action.assignee_user
    return user.get_full_name() or user.username


def _action_errors(action: Action, *, resolution: Resolution, members: set[int], today: dt.date) -> list[str]:
    errors = []
    title = (action.title or "").strip()
    if not title:
        errors.append(_("请填写决议事项的标题。"))
    elif len(title) > MAX_TITLE:
        errors.append(_("标题不能超过%(n)d个字。") % {"n": MAX_TITLE})
    if action.unit is None and action.assignee_user is None:
        errors.append(_("请选择承办单位或承办人。"))
    elif action.unit is not None and action.assignee_user is not None:
        errors.append(_("承办单位和承办人只能选一个。"))
    elif action.unit is not None and action.unit.pk not in members:
        errors.append(_("“%(unit)s”不是参会共同体的成员单位。") % {"unit": action.unit.name})
    elif action.assignee_user is not None and not (
            action.assignee_user.is_active
            and user_scope(action.assignee_user).allows(HANDLE_ITEMS, resolution.alliance.path)):
        errors.append(_("“%(user)s”不是本共同体的书记或工作人员,不能承办决议事项。") % {
            "user": _assignee_name(action)})
    if not isinstance(action.due, dt.date) or isinstance(action.due, dt.datetime):
        errors.append(_("请填写办理期限。"))
    elif action.due < today:
        errors.append(_("办理期限不能早于今天。"))
    return errors


@transaction.atomic
def resolution_assign_actions(*, user, resolution: Resolution, actions: Iterable[Action]) -> list[ActionItem]:
    """Turn an adopted resolution's actions into items (source "meeting"), each assigned to a
    member unit of the meeting's alliances or to a secretary or staff member of the alliance, due
    by the end of its due day (not in the past). All or nothing.

    Each is an item in `tasks/`, started at once for its assignee, so it is tracked and escalated
    like any other and comes back in report_back_items at the next meeting. An action whose title
    and assignee the resolution already has is refused: a form submitted twice assigns nothing twice
    (the resolution row is locked, so two submissions at once are serialised).
    """
    _require_resolution_handler(user, resolution)
    resolution = _lock_resolution(resolution)
    if not resolution.adopted:
        raise ValidationError(_("该议题未获通过,不能分派决议事项。"))
    actions = list(actions)
    if not actions:
        raise ValidationError({"actions": [_("请至少填写一项决议事项。")]})
    meeting = resolution.meeting
    members = _member_unit_ids(_meeting_alliance_ids(meeting), [a.unit.pk for a in actions if a.unit is not None])
    assigned = {
        (title.strip(), unit_id, user_id)
        for title, unit_id, user_id in ActionItem.objects.filter(resolution_id=resolution.pk)
        .values_list("item__title", "unit_id", "user_id")
    }
    today = timezone.localdate()
    errors = []
    for n, action in enumerate(actions, start=1):
        row = _action_errors(action, resolution=resolution, members=members, today=today)
        if not row:
            key = ((action.title or "").strip(), action.unit.pk if action.unit else None,
                   action.assignee_user.pk if action.assignee_user else None)
            if key in assigned:
                row.append(_("“%(title)s”已经分派给%(who)s,不能重复分派。") % {
                    "title": key[0], "who": _assignee_name(action)})
            assigned.add(key)
        prefix = _("第%(n)d项:") % {"n": n} if len(actions) > 1 else ""
        errors += [prefix + message for message in row]
    if errors:
        raise ValidationError({"actions": errors})
    created = []
    note = _("会议决议:%(text)s") % {"text": resolution.text[:100]}
    for action in actions:
        item, _created = item_create(
            user=user, alliance=resolution.alliance, title=action.title, source=ItemSource.MEETING,
            description=action.description or resolution.text, category=action.category,
            assignee_unit=action.unit, due_at=action_due_at(action.due),
        )
        # Started at once for its assignee: a unit, or a person the secretary assigns it to (the
        # timeline says who assigned it to whom).
        item = item_start(user=user, item=item, assignee_unit=action.unit, assignee_user=action.assignee_user,
                          note=note)
        created.append(_tenant_owned(ActionItem, owner=resolution.alliance, resolution=resolution,
                                     item=item, unit=action.unit, user=action.assignee_user))
    ActionItem.objects.bulk_create(created)
    return created


@transaction.atomic
def resolution_publish(*, user, resolution: Resolution, scope: str = PublishScope.EVERYONE) -> Resolution:
    """公开: publish an adopted resolution on the alliance's public page, once, to the scope the
    secretary chooses: everyone (全体居民), or party members only (仅党员: signed-in users of the tenant)."""
    _require_resolution_handler(user, resolution)
    if scope not in PublishScope.values:
        raise ValidationError({"scope": [_("公开范围只能是“仅党员”或“全体居民”。")]})
    resolution = _lock_resolution(resolution)
    if not resolution.adopted:
        raise ValidationError(_("未通过的议题没有决议可以公开。"))
    if resolution.published:
        raise ValidationError(_("该决议已经公开。"))
    resolution.published = True
    resolution.published_at = timezone.now()
    resolution.publish_scope = scope
    resolution.save(update_fields=["published", "published_at", "publish_scope"])
    emit_resolution(WebhookEvent.RESOLUTION_PUBLISHED, resolution)
    return resolution
