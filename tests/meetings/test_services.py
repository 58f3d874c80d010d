import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from alliance.roles import Role
from meetings.models import (
    ActionItem,
    Attendance,
    Invitation,
    MeetingKind,
    MeetingStatus,
    Proposal,
    ProposalStatus,
    Resolution,
    Vote,
)
from meetings.selectors import (
    meeting_get_for_user,
    meeting_list,
    proposal_get_for_user,
    proposal_list,
    report_back_items,
)
from meetings.services import (
    Action,
    decide_outcome,
    meeting_close,
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    meeting_schedule,
    proposal_decide,
    proposal_review,
    proposal_schedule,
    proposal_submit,
    resolution_assign_actions,
    resolution_publish,
    vote_cast,
)
from tasks.models import Item, ItemSource, Status
from tasks.services import item_create, item_resolve

from .. import factories
from ..conftest import fresh


@pytest.fixture
def m(tree):
    """community_a1 with four member units; unit_a1 and unit_a1_other each have a liaison."""
    tree.unit_c = factories.unit(tree.community_a1, by=tree.root, name="锦霞幼儿园")
    tree.unit_d = factories.unit(tree.community_a1, by=tree.root, name="锦霞超市")
    tree.liaison_a1_other = factories.user_with_role(
        tree.community_a1, Role.LIAISON, unit=tree.unit_a1_other, username="liaison_a1_other")
    tree.units = [tree.unit_a1, tree.unit_a1_other, tree.unit_c, tree.unit_d]
    return tree


# The due date of the action items these tests assign.
DUE = timezone.localdate() + dt.timedelta(days=14)


def sec(m):
    return fresh(m.community_secretary_a1)


def schedule(m, *, days=1, alliance=None, user=None, **extra):
    extra.setdefault("title", "锦霞社区党建共同体例会")
    return meeting_schedule(user=fresh(user or m.community_secretary_a1), alliance=alliance or m.community_a1,
                            starts_at=timezone.now() + dt.timedelta(days=days), place="社区党群服务中心",
                            **extra)


def approved(m, title="老旧小区加装电梯", **extra):
    proposal = proposal_submit(user=sec(m), alliance=m.community_a1, title=title, **extra)
    return proposal_review(user=sec(m), proposal=proposal, approve=True)


def sitting(m, *, present=None, proposals=1, days=1):
    """A meeting in session with all four units invited, `present` signed in, proposals on it."""
    meeting = schedule(m, days=days)
    meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
    props = [proposal_schedule(user=sec(m), proposal=approved(m, title=f"议题{i}"), meeting=meeting)
             for i in range(proposals)]
    meeting = meeting_open(user=sec(m), meeting=meeting)
    for unit in m.units if present is None else present:
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    return meeting, props


def vote(m, proposal, unit, choice):
    """The secretary records the vote of a unit in the room."""
    return vote_cast(user=sec(m), proposal=proposal, unit=unit, choice=choice)


def snapshot():
    return (
        list(Proposal.objects.order_by("pk").values_list("status", "meeting_id", "returned_reason")),
        list(Vote.objects.order_by("pk").values_list("unit_id", "choice")),
        Resolution.objects.count(), ActionItem.objects.count(), Item.objects.count(),
        list(Attendance.objects.order_by("pk").values_list("unit_id", "present")),
        Invitation.objects.count(),
        list(Resolution.objects.order_by("pk").values_list("published", flat=True)),
    )


def meeting_status(meeting):
    meeting.refresh_from_db()
    return meeting.status


# --- the rule ------------------------------------------------------------------------------

@pytest.mark.parametrize(("members", "present", "f", "a", "ab", "quorum", "adopted"), [
    (4, 3, 2, 1, 0, True, True),
    (4, 2, 2, 0, 0, False, False),   # exactly half present is no quorum
    (5, 3, 2, 1, 0, True, True),
    (4, 4, 2, 2, 0, True, False),    # a tie is not adopted
    (4, 3, 1, 0, 1, True, False),    # an abstention is cast but is not support
    (4, 3, 2, 0, 1, True, True),
    (4, 3, 0, 0, 0, True, False),    # nobody voted for it
    (0, 0, 0, 0, 0, False, False),
])
def test_the_quorum_and_majority_rule(members, present, f, a, ab, quorum, adopted):
    outcome = decide_outcome(members=members, present=present, votes_for=f, votes_against=a, votes_abstain=ab)
    assert (outcome.quorum, outcome.adopted) == (quorum, adopted)


# --- the whole flow ------------------------------------------------------------------------

def test_from_a_units_proposal_to_action_items_reported_at_the_next_meeting(m):
    source, _created = item_create(user=sec(m), alliance=m.community_a1, title="小区电梯加装意见不一",
                                   source="grid")
    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1,
                               title="老旧小区加装电梯", body="请共同体统筹协调。", source_item=source)
    assert proposal.status == ProposalStatus.SUBMITTED and proposal.raised_by_unit_id == m.unit_a1.pk
    # The liaison follows its own proposal; another unit's liaison does not see it.
    assert list(proposal_list(user=fresh(m.liaison_a1))) == [proposal]
    assert not proposal_list(user=fresh(m.liaison_a1_other)).exists()

    proposal = proposal_review(user=sec(m), proposal=proposal, approve=True)
    assert proposal.status == ProposalStatus.APPROVED and proposal.reviewed_by_id == m.community_secretary_a1.pk

    meeting = schedule(m, days=-1)
    meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1, m.unit_a1_other, m.unit_c])
    meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1, m.unit_d])  # twice is harmless
    assert meeting.invitations.count() == 4
    proposal = proposal_schedule(user=sec(m), proposal=proposal, meeting=meeting)
    assert proposal.status == ProposalStatus.SCHEDULED and proposal.meeting_id == meeting.pk
    assert meeting_get_for_user(user=fresh(m.liaison_a1), pk=meeting.pk) == meeting

    meeting = meeting_open(user=sec(m), meeting=meeting)
    assert meeting.status == MeetingStatus.IN_SESSION
    for unit in (m.unit_a1, m.unit_a1_other, m.unit_c):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_d, present=False)

    vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_a1, choice="for")
    vote_cast(user=fresh(m.liaison_a1_other), proposal=proposal, unit=m.unit_a1_other, choice="for")
    vote(m, proposal, m.unit_c, "against")

    resolution = proposal_decide(user=sec(m), proposal=proposal, text="同意在3号楼试点加装电梯")
    assert resolution.adopted
    assert (resolution.member_count, resolution.present_count) == (4, 3)
    assert (resolution.votes_for, resolution.votes_against, resolution.votes_abstain) == (2, 1, 0)
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.DECIDED

    actions = resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
        Action(due=DUE, unit=m.unit_a1, title="制定加装方案"),
        Action(due=DUE, unit=m.unit_a1_other, title="征求住户意见"),
    ])
    items = [a.item for a in actions]
    assert {i.source for i in items} == {ItemSource.MEETING}
    assert {i.status for i in items} == {Status.IN_PROGRESS}
    assert [i.assignee_unit_id for i in items] == [m.unit_a1.pk, m.unit_a1_other.pk]
    # The chain is visible from every link: item → resolution → proposal → source item.
    item = Item.objects.get(pk=items[0].pk)
    assert item.meeting_action.resolution.proposal.source_item == source
    assert list(source.proposals.all()) == [Proposal.objects.get(pk=proposal.pk)]

    resolution = resolution_publish(user=sec(m), resolution=resolution)
    assert resolution.published and resolution.published_at is not None
    meeting = meeting_close(user=sec(m), meeting=meeting)
    assert meeting.status == MeetingStatus.CLOSED

    # One action is done before the next meeting; both are reported there (通报).
    item_resolve(user=fresh(m.liaison_a1), item=items[0], note="方案已报街道")
    following = schedule(m, days=1, title="下一次例会")
    reported = list(report_back_items(meeting=following))
    assert [(a.item_id, a.item.status) for a in reported] == [
        (items[0].pk, Status.RESOLVED), (items[1].pk, Status.IN_PROGRESS)]
    # At the meeting after that, only what is still open is reported again.
    later = schedule(m, days=30, title="再下一次例会")
    assert [a.item_id for a in report_back_items(meeting=later)] == [items[1].pk]
    # The meeting itself does not report its own resolutions.
    assert not report_back_items(meeting=meeting).exists()


def test_a_liaison_sees_only_the_meetings_its_unit_is_invited_to(m):
    meeting = schedule(m)
    meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1_other])
    assert not meeting_list(user=fresh(m.liaison_a1)).exists()
    with pytest.raises(Http404):
        meeting_get_for_user(user=fresh(m.liaison_a1), pk=meeting.pk)
    assert list(meeting_list(user=fresh(m.liaison_a1_other))) == [meeting]
    assert list(meeting_list(user=fresh(m.secretary_a))) == [meeting]  # the street above
    assert not meeting_list(user=fresh(m.community_secretary_a2)).exists()


# --- quorum and majority -------------------------------------------------------------------

def test_without_quorum_nothing_is_voted_or_decided(m):
    # Rule change (#4 voting rules): without a quorum no vote can be opened, so casting is refused
    # as well as deciding; before, votes could be cast and only the decision waited for a quorum.
    meeting, (proposal,) = sitting(m, present=[m.unit_a1, m.unit_a1_other])
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        vote(m, proposal, m.unit_a1, "for")
    assert "应到4个,实到2个" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        proposal_decide(user=sec(m), proposal=proposal)
    assert "应到4个,实到2个" in exc.value.messages[0]
    assert snapshot() == before
    # A third unit arrives: now the units vote and it is decided.
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_c, present=True)
    vote(m, proposal, m.unit_a1, "for")
    vote(m, proposal, m.unit_a1_other, "for")
    assert proposal_decide(user=sec(m), proposal=proposal).adopted


def test_a_tie_is_not_adopted_and_has_no_actions_to_assign_or_publish(m):
    meeting, (proposal,) = sitting(m)
    for unit, choice in zip(m.units, ["for", "for", "against", "against"], strict=True):
        vote(m, proposal, unit, choice)
    resolution = proposal_decide(user=sec(m), proposal=proposal)
    assert not resolution.adopted and (resolution.votes_for, resolution.votes_against) == (2, 2)
    before = snapshot()
    with pytest.raises(ValidationError):
        resolution_assign_actions(user=sec(m), resolution=resolution, actions=[Action(due=DUE, unit=m.unit_a1, title="x")])
    with pytest.raises(ValidationError):
        resolution_publish(user=sec(m), resolution=resolution)
    assert snapshot() == before


# --- one unit, one vote --------------------------------------------------------------------

def test_a_second_vote_is_refused_and_not_counted_twice(m):
    # Rule change (#4 voting rules): a vote is cast once and never changed; before, a second vote
    # replaced the first until the vote closed.
    meeting, (proposal,) = sitting(m)
    vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_a1, choice="for")
    for user in (m.liaison_a1, m.community_secretary_a1):
        with pytest.raises(ValidationError) as exc:
            vote_cast(user=fresh(user), proposal=proposal, unit=m.unit_a1, choice="against")
        assert "已经对该议题投票,不能重复投票或更改" in exc.value.messages[0]
    assert list(Vote.objects.filter(proposal=proposal).values_list("unit_id", "choice")) == [
        (m.unit_a1.pk, "for")]
    vote(m, proposal, m.unit_a1_other, "against")
    resolution = proposal_decide(user=sec(m), proposal=proposal)
    assert (resolution.votes_for, resolution.votes_against) == (1, 1) and not resolution.adopted
    # Once the vote is closed nothing can be cast.
    with pytest.raises(ValidationError):
        vote(m, proposal, m.unit_c, "for")
    assert Vote.objects.filter(proposal=proposal).count() == 2


def test_the_database_refuses_a_second_vote_row(m):
    meeting, (proposal,) = sitting(m)
    first = vote(m, proposal, m.unit_a1, "for")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(tenant_id=first.tenant_id, alliance_path=first.alliance_path, proposal=proposal,
                            unit=m.unit_a1, choice="against")


def test_a_liaison_votes_only_for_its_own_unit(m):
    meeting, (proposal,) = sitting(m)
    with pytest.raises(PermissionDenied):
        vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_a1_other, choice="for")
    assert not Vote.objects.exists()


def test_a_unit_not_invited_or_not_present_cannot_vote(m):
    meeting = schedule(m)
    meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1_other, m.unit_c, m.unit_d])
    proposal = proposal_schedule(user=sec(m), proposal=approved(m), meeting=meeting)
    meeting_open(user=sec(m), meeting=meeting)
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_c, present=True)
    # The liaison of a unit not invited does not even see the proposal.
    with pytest.raises(Http404):
        vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_a1, choice="for")
    with pytest.raises(ValidationError) as exc:
        vote(m, proposal, m.unit_a1, "for")
    assert "未受邀" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        vote_cast(user=fresh(m.liaison_a1_other), proposal=proposal, unit=m.unit_a1_other, choice="for")
    assert "未签到" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_a1, present=True)
    assert not Vote.objects.exists()


def test_a_unit_that_voted_cannot_be_marked_absent(m):
    meeting, (proposal,) = sitting(m)
    vote(m, proposal, m.unit_a1, "for")
    with pytest.raises(ValidationError):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_a1, present=False)
    assert Attendance.objects.get(meeting=meeting, unit=m.unit_a1).present


# --- proposals -----------------------------------------------------------------------------

def test_a_returned_proposal_cannot_be_scheduled(m):
    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="增设停车位")
    with pytest.raises(ValidationError):
        proposal_review(user=sec(m), proposal=proposal, approve=False)  # a reason is required
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.SUBMITTED
    proposal = proposal_review(user=sec(m), proposal=proposal, approve=False, reason="属物业公司自身职责")
    assert proposal.status == ProposalStatus.RETURNED and proposal.returned_reason == "属物业公司自身职责"
    meeting = schedule(m)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        proposal_schedule(user=sec(m), proposal=proposal, meeting=meeting)
    assert "已退回" in exc.value.messages[0]
    assert snapshot() == before


def test_who_may_raise_and_review_a_proposal(m):
    # A liaison raises only for its own unit, and only in an alliance its unit belongs to.
    with pytest.raises(PermissionDenied):
        proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1_other, title="x")
    with pytest.raises(Http404):
        proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a2, unit=m.unit_a1, title="x")
    # Without a unit it is the initiating organisation's proposal: secretaries and staff only.
    with pytest.raises(PermissionDenied):
        proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, title="x")
    with pytest.raises(ValidationError):
        proposal_submit(user=sec(m), alliance=m.community_a1, title="  ")
    proposal = proposal_submit(user=fresh(m.staff_a), alliance=m.community_a1, title="共建“红色物业”")
    assert proposal.raised_by_unit is None
    # Review is the initiating organisation's: a liaison may see its proposal but not review it.
    own = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="y")
    with pytest.raises(PermissionDenied):
        proposal_review(user=fresh(m.liaison_a1), proposal=own, approve=True)
    assert not Proposal.objects.filter(status=ProposalStatus.APPROVED).exists()


def test_a_proposal_goes_only_on_its_own_alliances_meeting(m):
    proposal = approved(m)
    other = schedule(m, alliance=m.street_a, user=m.secretary_a)
    with pytest.raises(ValidationError):
        proposal_schedule(user=fresh(m.secretary_a), proposal=proposal, meeting=other)
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.APPROVED


def test_closing_defers_undecided_proposals_and_voids_their_uncounted_votes(m):
    meeting, (decided, open_one) = sitting(m, proposals=2)
    vote(m, decided, m.unit_a1, "for")
    vote(m, open_one, m.unit_a1, "for")
    vote(m, open_one, m.unit_c, "against")
    proposal_decide(user=sec(m), proposal=decided)
    meeting_close(user=sec(m), meeting=meeting)
    open_one.refresh_from_db()
    assert (open_one.status, open_one.meeting_id) == (ProposalStatus.APPROVED, None)
    # Each unit's vote is kept, as the record of it, but voided: it counts nowhere.
    kept = Vote.objects.filter(proposal=open_one).order_by("unit__name")
    assert sorted(kept.values_list("unit_id", "choice")) == sorted([(m.unit_a1.pk, "for"), (m.unit_c.pk, "against")])
    assert not kept.filter(voided_at__isnull=True).exists()
    assert Vote.objects.get(proposal=decided).voided_at is None
    # It goes on the next meeting's agenda, where the units vote afresh and only the new votes count.
    following = schedule(m, days=7)
    meeting_invite_units(user=sec(m), meeting=following, units=m.units)
    assert proposal_schedule(user=sec(m), proposal=open_one, meeting=following).meeting_id == following.pk
    meeting_open(user=sec(m), meeting=following)
    for unit in m.units:
        meeting_record_attendance(user=sec(m), meeting=following, unit=unit, present=True)
    vote(m, open_one, m.unit_a1, "against")
    vote(m, open_one, m.unit_c, "for")
    vote(m, open_one, m.unit_d, "for")
    with pytest.raises(ValidationError, match="不能重复投票"):
        vote(m, open_one, m.unit_a1, "for")
    resolution = proposal_decide(user=sec(m), proposal=open_one)
    assert (resolution.votes_for, resolution.votes_against, resolution.votes_abstain) == (2, 1, 0)
    assert Vote.objects.filter(proposal=open_one).count() == 5


# --- joint meetings ------------------------------------------------------------------------

def test_a_joint_meeting_invites_units_of_the_alliances_taking_part(m):
    with pytest.raises(ValidationError):
        schedule(m, alliance=m.community_a1, user=m.secretary_a, kind=MeetingKind.JOINT)
    with pytest.raises(ValidationError):
        schedule(m, alliance=m.community_a1, user=m.secretary_a, joint_alliances=[m.community_a2])
    with pytest.raises(Http404):  # a neighbour's alliance cannot be brought in
        schedule(m, kind=MeetingKind.JOINT, joint_alliances=[m.community_a2])
    meeting = schedule(m, alliance=m.community_a1, user=m.secretary_a, kind=MeetingKind.JOINT,
                       joint_alliances=[m.community_a2])
    with pytest.raises(ValidationError):
        meeting_invite_units(user=fresh(m.secretary_a), meeting=meeting, units=[m.unit_a1, m.unit_b1])
    assert not Invitation.objects.exists()
    meeting_invite_units(user=fresh(m.secretary_a), meeting=meeting, units=[m.unit_a1, m.unit_a2])
    assert meeting.invitations.count() == 2
    assert list(meeting_list(user=fresh(m.community_secretary_a2))) == [meeting]


# --- neighbours and illegal moves ----------------------------------------------------------

@pytest.mark.parametrize("who", ["community_secretary_a2", "secretary_b", "other_tenant_admin"])
def test_a_neighbour_gets_404_everywhere(m, who):
    meeting, (proposal,) = sitting(m)
    vote(m, proposal, m.unit_a1, "for")
    submitted = proposal_submit(user=sec(m), alliance=m.community_a1, title="待审定议题")
    neighbour = getattr(m, who)
    before = snapshot()
    calls = [
        lambda u: meeting_get_for_user(user=u, pk=meeting.pk),
        lambda u: proposal_get_for_user(user=u, pk=proposal.pk),
        lambda u: meeting_schedule(user=u, alliance=m.community_a1, title="x", starts_at=timezone.now()),
        lambda u: meeting_invite_units(user=u, meeting=meeting, units=[m.unit_a1]),
        lambda u: meeting_record_attendance(user=u, meeting=meeting, unit=m.unit_d, present=False),
        lambda u: meeting_close(user=u, meeting=meeting),
        lambda u: proposal_submit(user=u, alliance=m.community_a1, title="x"),
        lambda u: proposal_review(user=u, proposal=submitted, approve=True),
        lambda u: vote_cast(user=u, proposal=proposal, unit=m.unit_a1, choice="against"),
        lambda u: proposal_decide(user=u, proposal=proposal),
    ]
    for call in calls:
        with pytest.raises(Http404):
            call(fresh(neighbour))
    assert not meeting_list(user=fresh(neighbour)).exists()
    assert not proposal_list(user=fresh(neighbour)).exists()
    assert snapshot() == before and meeting_status(meeting) == MeetingStatus.IN_SESSION


def test_a_liaison_sees_its_meeting_but_may_not_run_it(m):
    meeting, (proposal,) = sitting(m)
    liaison = fresh(m.liaison_a1)
    for call in (
        lambda: meeting_close(user=liaison, meeting=meeting),
        lambda: meeting_record_attendance(user=liaison, meeting=meeting, unit=m.unit_a1, present=False),
        lambda: proposal_decide(user=liaison, proposal=proposal),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert meeting_status(meeting) == MeetingStatus.IN_SESSION


def _illegal_moves(m):
    """Each builds a state and returns the move that state does not allow."""
    def open_twice():
        meeting, _p = sitting(m)
        return lambda: meeting_open(user=sec(m), meeting=meeting)

    def open_without_invitations():
        meeting = schedule(m)
        return lambda: meeting_open(user=sec(m), meeting=meeting)

    def close_planned():
        meeting = schedule(m)
        return lambda: meeting_close(user=sec(m), meeting=meeting)

    def invite_in_session():
        meeting, _p = sitting(m)
        return lambda: meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a2])

    def attendance_after_close():
        meeting, _p = sitting(m, proposals=0)
        meeting_close(user=sec(m), meeting=meeting)
        return lambda: meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_a1, present=False)

    def review_twice():
        proposal = approved(m)
        return lambda: proposal_review(user=sec(m), proposal=proposal, approve=False, reason="x")

    def schedule_unreviewed():
        proposal = proposal_submit(user=sec(m), alliance=m.community_a1, title="未审定")
        meeting = schedule(m)
        return lambda: proposal_schedule(user=sec(m), proposal=proposal, meeting=meeting)

    def schedule_on_running_meeting():
        meeting, _p = sitting(m)
        proposal = approved(m, title="临时动议")
        return lambda: proposal_schedule(user=sec(m), proposal=proposal, meeting=meeting)

    def vote_before_opening():
        meeting = schedule(m)
        meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_a1, present=True)
        proposal = proposal_schedule(user=sec(m), proposal=approved(m), meeting=meeting)
        return lambda: vote(m, proposal, m.unit_a1, "for")

    def vote_unscheduled():
        proposal = approved(m)
        return lambda: vote(m, proposal, m.unit_a1, "for")

    def bad_choice():
        _meeting, (proposal,) = sitting(m)
        return lambda: vote(m, proposal, m.unit_a1, "maybe")

    def decide_twice():
        _meeting, (proposal,) = sitting(m)
        vote(m, proposal, m.unit_a1, "for")
        proposal_decide(user=sec(m), proposal=proposal)
        return lambda: proposal_decide(user=sec(m), proposal=proposal)

    def publish_twice():
        _meeting, (proposal,) = sitting(m)
        for unit in m.units[:3]:  # a majority of the four units present (one was enough before #4's rule)
            vote(m, proposal, unit, "for")
        resolution = resolution_publish(user=sec(m), resolution=proposal_decide(user=sec(m), proposal=proposal))
        return lambda: resolution_publish(user=sec(m), resolution=resolution)

    def assign_to_outsider():
        _meeting, (proposal,) = sitting(m)
        for unit in m.units[:3]:
            vote(m, proposal, unit, "for")
        resolution = proposal_decide(user=sec(m), proposal=proposal)
        return lambda: resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
            Action(due=DUE, unit=m.unit_a1, title="本单位事项"), Action(due=DUE, unit=m.unit_b1, title="外单位事项")])

    return {f.__name__: f for f in (
        open_twice, open_without_invitations, close_planned, invite_in_session, attendance_after_close,
        review_twice, schedule_unreviewed, schedule_on_running_meeting, vote_before_opening, vote_unscheduled,
        bad_choice, decide_twice, publish_twice, assign_to_outsider)}


@pytest.mark.parametrize("move", [
    "open_twice", "open_without_invitations", "close_planned", "invite_in_session", "attendance_after_close",
    "review_twice", "schedule_unreviewed", "schedule_on_running_meeting", "vote_before_opening",
    "vote_unscheduled", "bad_choice", "decide_twice", "publish_twice", "assign_to_outsider",
])
def test_every_illegal_move_is_refused_and_changes_nothing(m, move):
    attempt = _illegal_moves(m)[move]()
    meetings_before = list(meeting_list(user=sec(m)).order_by("pk").values_list("status", flat=True))
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        attempt()
    assert exc.value.messages and exc.value.messages[0]
    assert snapshot() == before
    assert list(meeting_list(user=sec(m)).order_by("pk").values_list("status", flat=True)) == meetings_before


@pytest.mark.django_db(transaction=True)
def test_two_votes_of_one_unit_at_the_same_moment_leave_one_vote(m):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the row locks are exercised on PostgreSQL")
    _meeting, (proposal,) = sitting(m)
    barrier = Barrier(2)

    def cast(choice):
        try:
            barrier.wait()
            return vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_a1, choice=choice).choice
        except ValidationError as exc:
            return exc.messages[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(cast, ["for", "against"]))
    # Rule change (#4): the second is refused (it used to replace the first).
    (kept,) = Vote.objects.filter(proposal=proposal, unit=m.unit_a1).values_list("choice", flat=True)
    assert kept in answers
    (refused,) = [a for a in answers if a != kept]
    assert "已经对该议题投票,不能重复投票或更改" in refused


def test_moving_the_alliance_carries_its_meetings_along(m):
    from alliance.services import alliance_move

    meeting, (proposal,) = sitting(m)
    vote(m, proposal, m.unit_a1, "for")
    alliance_move(user=fresh(m.root), alliance=m.community_a1, new_parent=m.street_b)
    assert list(meeting_list(user=fresh(m.secretary_b))) == [meeting]
    assert list(proposal_list(user=fresh(m.secretary_b))) == [proposal]
    assert not meeting_list(user=fresh(m.secretary_a)).exists()
    assert Vote.objects.get().alliance_path == Proposal.objects.get().alliance_path
