"""The voting rules of #4: per-alliance quorum and threshold, major matters, proxies (委托表决),
one vote per unit never changed, merging proposals at review, attachments, and their pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from meetings.models import (
    MeetingRules,
    Proposal,
    ProposalAttachment,
    ProposalStatus,
    Proxy,
    Resolution,
    Vote,
)
from meetings.selectors import meeting_present_unit_ids, meeting_roll, meeting_rules_for
from meetings.services import (
    decide_outcome,
    meeting_close,
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    meeting_rules_update,
    proposal_attach,
    proposal_decide,
    proposal_merge,
    proposal_review,
    proposal_schedule,
    proposal_submit,
    proxy_grant,
    proxy_revoke,
    vote_cast,
)
from members.models import Membership
from members.services import membership_update

from .. import factories
from ..conftest import fresh
from .test_services import approved, schedule, sec, sitting, snapshot, vote

DEFAULTS = {"quorum_numerator": 1, "quorum_denominator": 2, "major_numerator": 2, "major_denominator": 3,
            "max_proxies_per_unit": 1}


def rules(m, user=None, alliance=None, **values):
    return meeting_rules_update(user=fresh(user or m.community_secretary_a1), alliance=alliance or m.community_a1,
                                **{**DEFAULTS, **values})


def state():
    """Everything the rules of this file may change, to check that a refusal changes nothing."""
    return (
        snapshot(),
        list(Proxy.objects.order_by("pk").values_list("from_unit_id", "to_unit_id")),
        list(Vote.objects.order_by("pk").values_list("unit_id", "proxy_unit_id")),
        list(MeetingRules.objects.order_by("pk").values_list(*DEFAULTS)),
        list(Proposal.objects.order_by("pk").values_list("status", "merged_into_id", "major")),
        ProposalAttachment.objects.count(),
    )


@pytest.fixture
def six(m):
    """Community A1 with six member units."""
    m.unit_e = factories.unit(m.community_a1, by=m.root, name="锦霞社区卫生站")
    m.unit_f = factories.unit(m.community_a1, by=m.root, name="锦霞银行网点")
    m.units = [*m.units, m.unit_e, m.unit_f]
    return m


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name="加装电梯方案.pdf", size=None):
    content = b"%PDF-1.4\n" + b"0" * ((size or 100) - 9)
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- the decision rule ---------------------------------------------------------------------

@pytest.mark.parametrize(("members", "present", "f", "a", "ab", "major", "adopted"), [
    (6, 6, 4, 2, 0, False, True),    # ordinary: 4 of 6 present is a majority
    (6, 6, 3, 3, 0, False, False),   # 3 of 6 is not
    (6, 6, 4, 0, 2, True, True),     # major: 4 of 6 is two thirds
    (6, 6, 3, 0, 3, True, False),    # 3 of 6 is not
    (7, 7, 4, 3, 0, False, True),    # 4 of 7: a majority, but not two thirds
    (7, 7, 4, 3, 0, True, False),
    # Changed by #4: the base is the units present, not the votes cast. Two for and nobody
    # against used to pass; two of four present is not a majority of them.
    (4, 4, 2, 0, 0, False, False),
    (5, 4, 2, 1, 0, False, False),
    (4, 3, 2, 0, 0, False, True),
    (4, 2, 2, 0, 0, False, False),   # no quorum, whatever the votes
])
def test_a_simple_majority_of_the_units_present_or_two_thirds_for_a_major_matter(
        members, present, f, a, ab, major, adopted):
    outcome = decide_outcome(members=members, present=present, votes_for=f, votes_against=a, votes_abstain=ab,
                             major=major)
    assert outcome.adopted is adopted


def test_the_alliances_own_fractions_decide():
    three_quarters = MeetingRules(quorum_numerator=3, quorum_denominator=4, major_numerator=3, major_denominator=4)
    assert not decide_outcome(members=8, present=6, votes_for=6, rules=three_quarters).quorum  # 6/8 is not more
    assert decide_outcome(members=8, present=7, votes_for=6, rules=three_quarters).quorum
    assert not decide_outcome(members=8, present=8, votes_for=5, major=True, rules=three_quarters).adopted
    assert decide_outcome(members=8, present=8, votes_for=6, major=True, rules=three_quarters).adopted


def test_six_units_decide_major_and_ordinary_matters_by_their_thresholds(six):
    m = six
    meeting, proposals = sitting(m, proposals=4)
    major_4, major_3, ordinary_4, ordinary_3 = proposals
    for proposal in (major_4, major_3):
        Proposal.objects.filter(pk=proposal.pk).update(major=True)
    for proposal, n_for in ((major_4, 4), (major_3, 3), (ordinary_4, 4), (ordinary_3, 3)):
        for i, unit in enumerate(m.units):
            vote(m, proposal, unit, "for" if i < n_for else ("against" if i % 2 else "abstain"))
    decided = {p.pk: proposal_decide(user=sec(m), proposal=Proposal.objects.get(pk=p.pk)) for p in proposals}
    assert [decided[p.pk].adopted for p in proposals] == [True, False, True, False]
    assert {(r.member_count, r.present_count) for r in decided.values()} == {(6, 6)}


# --- the rules of an alliance --------------------------------------------------------------

def test_an_alliance_keeps_the_defaults_until_its_secretary_sets_its_own(m):
    default = meeting_rules_for(m.community_a1)
    assert default.pk is None and (default.quorum_numerator, default.quorum_denominator) == (1, 2)
    assert (default.major_numerator, default.major_denominator, default.max_proxies_per_unit) == (2, 3, 1)
    rules(m, quorum_numerator=2, quorum_denominator=3, max_proxies_per_unit=2)
    saved = meeting_rules_for(m.community_a1)
    assert saved.pk is not None and (saved.quorum_numerator, saved.quorum_denominator) == (2, 3)
    assert saved.max_proxies_per_unit == 2
    assert meeting_rules_for(m.community_a2).pk is None  # its neighbour keeps the defaults
    # Saving again changes the same row; the district admin may set them too.
    rules(m, user=m.district_admin, major_numerator=3, major_denominator=4)
    assert MeetingRules.objects.get().major_numerator == 3 and MeetingRules.objects.count() == 1


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"quorum_numerator": 0}, "quorum_numerator", "法定人数的分子应大于0且小于分母"),
    ({"quorum_numerator": 2, "quorum_denominator": 2}, "quorum_numerator", "法定人数的分子应大于0且小于分母"),
    ({"quorum_denominator": 0}, "quorum_denominator", "分母应是1到100之间的整数"),
    ({"major_numerator": 1, "major_denominator": 3}, "major_numerator", "重大事项的通过比例应在1/2到1之间"),
    ({"major_numerator": 4, "major_denominator": 3}, "major_numerator", "重大事项的通过比例应在1/2到1之间"),
    ({"major_denominator": 101}, "major_denominator", "分母应是1到100之间的整数"),
    ({"max_proxies_per_unit": -1}, "max_proxies_per_unit", "每个单位最多受托票数应在0到10之间"),
    ({"max_proxies_per_unit": "2"}, "max_proxies_per_unit", "请填写整数"),
])
def test_bad_rules_are_refused_with_a_clear_message(m, values, field, message):
    with pytest.raises(ValidationError) as exc:
        rules(m, **values)
    assert message in exc.value.message_dict[field][0]
    assert not MeetingRules.objects.exists()


def test_who_may_set_the_rules(m):
    for user in (m.staff_a, m.liaison_a1, m.observer):  # they see the alliance but may not change it
        with pytest.raises(PermissionDenied):
            rules(m, user=user, quorum_numerator=2, quorum_denominator=3)
    for user in (m.community_secretary_a2, m.secretary_b, m.other_tenant_admin):
        with pytest.raises(Http404):
            rules(m, user=user, quorum_numerator=2, quorum_denominator=3)
    assert not MeetingRules.objects.exists()


def test_the_rules_wait_while_a_meeting_is_in_session(m):
    meeting, _props = sitting(m)
    with pytest.raises(ValidationError) as exc:
        rules(m, quorum_numerator=3, quorum_denominator=4)
    assert "散会后才能修改议事规则" in exc.value.messages[0]
    meeting_close(user=sec(m), meeting=meeting)
    assert rules(m, quorum_numerator=3, quorum_denominator=4).quorum_numerator == 3


def test_no_vote_without_the_alliances_own_quorum(m):
    rules(m, quorum_numerator=3, quorum_denominator=4)
    meeting, (proposal,) = sitting(m, present=m.units[:3])  # 3 of 4: a majority, not more than 3/4
    before = state()
    with pytest.raises(ValidationError) as exc:
        vote(m, proposal, m.unit_a1, "for")
    assert "应到4个,实到3个,须超过应到单位的3/4" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        proposal_decide(user=sec(m), proposal=proposal)
    assert "不能表决" in exc.value.messages[0]
    assert state() == before
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_d, present=True)
    for unit in m.units[:3]:
        vote(m, proposal, unit, "for")
    assert proposal_decide(user=sec(m), proposal=proposal).adopted


# --- major matters -------------------------------------------------------------------------

def test_the_initiating_organisation_marks_a_major_matter_when_raising_it_or_at_review(m):
    own = proposal_submit(user=sec(m), alliance=m.community_a1, title="社区微改造资金使用", major=True)
    assert own.major
    before = state()
    with pytest.raises(ValidationError) as exc:
        proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="x", major=True)
    assert "审定时确定" in exc.value.message_dict["major"][0]
    assert state() == before
    raised = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    assert proposal_review(user=sec(m), proposal=raised, approve=True, major=True).major
    # Left out at review, the mark stays as it was.
    assert proposal_review(user=sec(m), proposal=own, approve=True).major


# --- proxies (委托表决) ----------------------------------------------------------------------

def test_a_unit_handing_its_vote_to_a_present_unit_counts_for_the_quorum_and_the_holder_casts_it(m):
    meeting, (proposal,) = sitting(m, present=[m.unit_a1, m.unit_a1_other])
    with pytest.raises(ValidationError):  # 2 of 4: no quorum yet
        vote(m, proposal, m.unit_a1, "for")
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_c, to_unit=m.unit_a1)
    # unit_d hands its vote to a unit that is absent: it does not count.
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_d, present=False)
    assert meeting_present_unit_ids(meeting_id=meeting.pk) == {m.unit_a1.pk, m.unit_a1_other.pk, m.unit_c.pk}
    roll = meeting_roll(meeting=meeting)
    assert (roll.invited_count, roll.present_count, roll.proxy_count) == (4, 3, 1)

    own = vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_a1, choice="for")
    held = vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_c, choice="for")
    assert (own.proxy_unit_id, held.proxy_unit_id) == (None, m.unit_a1.pk)
    assert held.cast_by_id == m.liaison_a1.pk
    resolution = proposal_decide(user=sec(m), proposal=proposal)
    assert resolution.adopted and (resolution.present_count, resolution.votes_for) == (3, 2)


def test_the_unit_that_gave_its_proxy_votes_only_through_its_holder(m):
    meeting, (proposal,) = sitting(m)
    proxy_grant(user=fresh(m.liaison_a1), meeting=meeting, from_unit=m.unit_a1, to_unit=m.unit_a1_other)
    with pytest.raises(ValidationError) as exc:
        vote_cast(user=fresh(m.liaison_a1), proposal=proposal, unit=m.unit_a1, choice="against")
    assert "已委托“锦霞小学”代为表决" in exc.value.messages[0]
    vote_cast(user=fresh(m.liaison_a1_other), proposal=proposal, unit=m.unit_a1, choice="for")
    # The secretary may record a proxy vote too; it names the holder.
    vote(m, proposal, m.unit_c, "for")
    assert list(Vote.objects.order_by("pk").values_list("unit_id", "proxy_unit_id", "cast_by_id")) == [
        (m.unit_a1.pk, m.unit_a1_other.pk, m.liaison_a1_other.pk), (m.unit_c.pk, None, m.community_secretary_a1.pk)]
    # A holder that has voted with a proxy cannot be marked absent while the vote is open.
    with pytest.raises(ValidationError):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_a1_other, present=False)
    # The liaison of an unrelated unit cannot cast the proxied vote.
    with pytest.raises(PermissionDenied):
        vote_cast(user=fresh(m.liaison_a1_other), proposal=proposal, unit=m.unit_c, choice="for")


def _proxy_refusals(m):
    """Each builds a state and returns a grant it does not allow, with the message expected."""
    def at(meeting=None, **units):
        meeting = meeting or m.meeting
        return lambda: proxy_grant(user=sec(m), meeting=meeting, **units)

    def self_proxy():
        return at(from_unit=m.unit_a1, to_unit=m.unit_a1), "不能委托本单位"

    def not_invited():
        outsider = factories.unit(m.community_a1, by=m.root, name="未受邀单位")
        return at(from_unit=m.unit_a1, to_unit=outsider), "未受邀参加本次会议"

    def twice():
        proxy_grant(user=sec(m), meeting=m.meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
        return at(from_unit=m.unit_a1, to_unit=m.unit_d), "已委托“锦霞幼儿园”代为表决"

    def holder_gives():
        proxy_grant(user=sec(m), meeting=m.meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
        return at(from_unit=m.unit_c, to_unit=m.unit_d), "不能转委托"

    def giver_holds():
        proxy_grant(user=sec(m), meeting=m.meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
        return at(from_unit=m.unit_d, to_unit=m.unit_a1), "不能再接受委托"

    def over_the_limit():
        proxy_grant(user=sec(m), meeting=m.meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
        return at(from_unit=m.unit_d, to_unit=m.unit_c), "每个单位最多受托1票"

    def voted_already():
        vote(m, m.proposal, m.unit_a1, "for")
        return at(from_unit=m.unit_a1, to_unit=m.unit_c), "已经对未结束表决的议题投票"

    def closed_meeting():
        meeting_close(user=sec(m), meeting=m.meeting)
        return at(from_unit=m.unit_a1, to_unit=m.unit_c), "不能办理委托表决"

    def proxies_not_allowed():
        meeting_close(user=sec(m), meeting=m.meeting)
        rules(m, max_proxies_per_unit=0)
        meeting = schedule(m, days=3)
        meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
        return at(meeting, from_unit=m.unit_a1, to_unit=m.unit_c), "不允许委托表决"

    return {f.__name__: f for f in (self_proxy, not_invited, twice, holder_gives, giver_holds, over_the_limit,
                                    voted_already, closed_meeting, proxies_not_allowed)}


@pytest.mark.parametrize("case", ["self_proxy", "not_invited", "twice", "holder_gives", "giver_holds",
                                  "over_the_limit", "voted_already", "closed_meeting", "proxies_not_allowed"])
def test_a_proxy_the_rules_do_not_allow_is_refused_and_changes_nothing(m, case):
    m.meeting, (m.proposal,) = sitting(m)
    attempt, message = _proxy_refusals(m)[case]()
    before = state()
    with pytest.raises(ValidationError) as exc:
        attempt()
    assert message in " ".join(exc.value.messages)
    assert state() == before


def test_a_unit_may_hold_as_many_proxies_as_its_alliance_allows(m):
    rules(m, max_proxies_per_unit=2)
    meeting, _props = sitting(m, present=[m.unit_a1])
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_c, to_unit=m.unit_a1)
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_d, to_unit=m.unit_a1)
    with pytest.raises(ValidationError) as exc:
        proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_a1_other, to_unit=m.unit_a1)
    assert "每个单位最多受托2票" in exc.value.message_dict["to_unit"][0]
    assert meeting_roll(meeting=meeting).present_count == 3


def test_who_may_grant_and_revoke_a_proxy(m):
    meeting, (proposal,) = sitting(m)
    with pytest.raises(PermissionDenied):  # a liaison hands over only its own unit's vote
        proxy_grant(user=fresh(m.liaison_a1), meeting=meeting, from_unit=m.unit_a1_other, to_unit=m.unit_a1)
    for neighbour in (m.community_secretary_a2, m.secretary_b, m.other_tenant_admin):
        with pytest.raises(Http404):
            proxy_grant(user=fresh(neighbour), meeting=meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
    assert not Proxy.objects.exists()
    proxy = proxy_grant(user=fresh(m.liaison_a1), meeting=meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
    assert proxy.recorded_by_id == m.liaison_a1.pk
    with pytest.raises(PermissionDenied):
        proxy_revoke(user=fresh(m.liaison_a1_other), proxy=proxy)
    with pytest.raises(Http404):
        proxy_revoke(user=fresh(m.community_secretary_a2), proxy=proxy)
    proxy_revoke(user=fresh(m.liaison_a1), proxy=proxy)
    assert not Proxy.objects.exists()


def test_a_proxy_cannot_be_revoked_once_a_vote_was_cast_with_it(m):
    meeting, (proposal,) = sitting(m)
    proxy = proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_a1, to_unit=m.unit_c)
    vote(m, proposal, m.unit_a1, "for")
    before = state()
    with pytest.raises(ValidationError) as exc:
        proxy_revoke(user=sec(m), proxy=proxy)
    assert "已经代“锦霞物业服务有限公司”投票,不能撤销委托" in exc.value.messages[0]
    assert state() == before


# --- one unit, one vote --------------------------------------------------------------------

def test_nothing_is_cast_once_the_vote_is_closed_or_the_meeting_is_over(m):
    meeting, (decided, deferred) = sitting(m, proposals=2)
    for unit in m.units[:3]:
        vote(m, decided, unit, "for")
    proposal_decide(user=sec(m), proposal=decided)
    before = state()
    with pytest.raises(ValidationError) as exc:
        vote(m, decided, m.unit_d, "for")
    assert "已表决" in exc.value.messages[0]
    assert state() == before
    meeting_close(user=sec(m), meeting=meeting)
    before = state()
    with pytest.raises(ValidationError):
        vote(m, Proposal.objects.get(pk=deferred.pk), m.unit_d, "for")
    assert state() == before


def test_a_unit_not_invited_cannot_vote_even_when_the_secretary_records_it(m):
    meeting = schedule(m, units=[m.unit_a1, m.unit_a1_other, m.unit_c])
    proposal = proposal_schedule(user=sec(m), proposal=approved(m), meeting=meeting)
    meeting_open(user=sec(m), meeting=meeting)
    for unit in (m.unit_a1, m.unit_a1_other, m.unit_c):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    with pytest.raises(ValidationError) as exc:
        vote(m, proposal, m.unit_d, "for")
    assert "未受邀参加本次会议,不能投票" in exc.value.messages[0]
    assert not Vote.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_holder_and_the_secretary_casting_one_proxied_vote_at_once_leave_one_vote(m):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the row locks are exercised on PostgreSQL")
    meeting, (proposal,) = sitting(m)
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_c, to_unit=m.unit_a1)
    barrier = Barrier(2)

    def cast(user, choice):
        try:
            barrier.wait()
            return vote_cast(user=fresh(user), proposal=proposal, unit=m.unit_c, choice=choice).choice
        except ValidationError as exc:
            return exc.messages[0]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(cast, [m.liaison_a1, m.community_secretary_a1], ["for", "against"]))
    (kept,) = Vote.objects.filter(proposal=proposal, unit=m.unit_c).values_list("choice", flat=True)
    assert sorted(answers) == sorted([kept, "“锦霞幼儿园”已经对该议题投票,不能重复投票或更改。"])


# --- merging at review ---------------------------------------------------------------------

def test_merging_a_proposal_into_another_at_review(m):
    lift = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    ramp = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="无障碍坡道")
    target = approved(m, title="老旧小区适老化改造")
    lift = proposal_review(user=sec(m), proposal=lift, approve=True)  # only an approved proposal takes others
    proposal_merge(user=sec(m), proposal=ramp, into=lift)
    merged = proposal_merge(user=sec(m), proposal=lift, into=target)
    assert (merged.status, merged.merged_into_id) == (ProposalStatus.MERGED, target.pk)
    assert merged.reviewed_by_id == m.community_secretary_a1.pk
    # What was merged into it follows it: a merge is one link deep.
    assert Proposal.objects.get(pk=ramp.pk).merged_into_id == target.pk
    # A merged proposal goes on no agenda.
    with pytest.raises(ValidationError):
        proposal_schedule(user=sec(m), proposal=merged, meeting=schedule(m))


def test_a_merge_the_rules_do_not_allow_is_refused_and_changes_nothing(m):
    first = approved(m, title="议题一")
    second = proposal_submit(user=sec(m), alliance=m.community_a1, title="议题二")
    third = proposal_submit(user=sec(m), alliance=m.community_a1, title="议题三")
    elsewhere = proposal_submit(user=fresh(m.community_secretary_a2), alliance=m.community_a2, title="翠园议题")
    _meeting, (scheduled,) = sitting(m)
    before = state()
    cases = [
        (lambda: proposal_merge(user=sec(m), proposal=first, into=first), "不能把议题合并到它自己"),
        (lambda: proposal_merge(user=fresh(m.secretary_a), proposal=first, into=elsewhere), "只能合并到本共同体的议题"),
        (lambda: proposal_merge(user=sec(m), proposal=scheduled, into=first), "不能合并"),
        (lambda: proposal_merge(user=sec(m), proposal=first, into=scheduled), "只能合并到已审定(尚未列入议程)的议题"),
        # A target still awaiting review could be returned and strand what was merged into it.
        (lambda: proposal_merge(user=sec(m), proposal=third, into=second), "待审定的议题请先审定"),
    ]
    for attempt, message in cases:
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert message in " ".join(exc.value.messages)
    assert state() == before
    proposal_merge(user=sec(m), proposal=second, into=first)
    before = state()
    with pytest.raises(ValidationError) as exc:
        proposal_merge(user=sec(m), proposal=scheduled, into=second)
    with pytest.raises(ValidationError) as exc:
        proposal_merge(user=sec(m), proposal=first, into=Proposal.objects.get(pk=second.pk))
    assert "已合并到其他议题" in exc.value.messages[0]
    with pytest.raises(PermissionDenied):
        proposal_merge(user=fresh(m.liaison_a1), proposal=Proposal.objects.get(pk=scheduled.pk), into=first)
    with pytest.raises(Http404):  # the community's secretary does not see its neighbour's proposal
        proposal_merge(user=sec(m), proposal=first, into=elsewhere)
    with pytest.raises(Http404):
        proposal_merge(user=fresh(m.community_secretary_a2), proposal=first, into=elsewhere)
    assert state() == before


# --- attachments ---------------------------------------------------------------------------

def test_the_raiser_attaches_files_until_the_proposal_is_decided(m, media):
    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    attachment = proposal_attach(user=fresh(m.liaison_a1), proposal=proposal, uploaded_file=pdf())
    assert attachment.name == "加装电梯方案.pdf" and attachment.uploaded_by_id == m.liaison_a1.pk
    # Stored under a random name inside MEDIA_ROOT, not the name the user gave.
    assert attachment.file.name.endswith(".pdf") and "加装电梯" not in attachment.file.name
    assert (media / attachment.file.name).read_bytes().startswith(b"%PDF")
    # The initiating organisation may add material too; an image is fine.
    png = SimpleUploadedFile("现场照片.PNG", b"\x89PNG\r\n" + b"0" * 50, content_type="image/png")
    assert proposal_attach(user=fresh(m.staff_a), proposal=proposal, uploaded_file=png).name == "现场照片.png"
    # Another unit's liaison sees the proposal once it is on its meeting's agenda, but did not raise it.
    proposal = proposal_review(user=sec(m), proposal=proposal, approve=True)
    proposal = proposal_schedule(user=sec(m), proposal=proposal, meeting=schedule(m, units=m.units))
    before = state()
    with pytest.raises(PermissionDenied):
        proposal_attach(user=fresh(m.liaison_a1_other), proposal=proposal, uploaded_file=pdf())
    for neighbour in (m.community_secretary_a2, m.secretary_b, m.other_tenant_admin):
        with pytest.raises(Http404):
            proposal_attach(user=fresh(neighbour), proposal=proposal, uploaded_file=pdf())
    assert state() == before and ProposalAttachment.objects.count() == 2
    # Still open to the raiser while it waits on the agenda.
    assert proposal_attach(user=fresh(m.liaison_a1), proposal=proposal, uploaded_file=pdf("补充材料.docx"))


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: SimpleUploadedFile("setup.exe", b"MZ" * 10), "只能上传PDF、Word、Excel或图片"),
    (lambda: SimpleUploadedFile("没有扩展名", b"data"), "只能上传PDF、Word、Excel或图片"),
    (lambda: SimpleUploadedFile("空文件.pdf", b""), "文件是空的"),
    (lambda: pdf(size=10 * 1024 * 1024 + 1), "文件不能超过10MB"),
    (lambda: None, "请选择要上传的文件"),
])
def test_a_file_of_the_wrong_kind_or_size_is_refused_and_nothing_is_stored(m, media, upload, message):
    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    with pytest.raises(ValidationError) as exc:
        proposal_attach(user=fresh(m.liaison_a1), proposal=proposal, uploaded_file=upload())
    assert message in exc.value.message_dict["file"][0]
    assert not ProposalAttachment.objects.exists() and not any(media.rglob("*.*"))


def test_a_decided_or_merged_proposal_takes_no_more_files(m, media):
    _meeting, (decided,) = sitting(m)
    for unit in m.units[:3]:
        vote(m, decided, unit, "for")
    proposal_decide(user=sec(m), proposal=decided)
    first = approved(m, title="议题一")
    merged = proposal_merge(user=sec(m), proposal=proposal_submit(user=sec(m), alliance=m.community_a1,
                                                                  title="议题二"), into=first)
    for proposal in (Proposal.objects.get(pk=decided.pk), merged):
        with pytest.raises(ValidationError) as exc:
            proposal_attach(user=sec(m), proposal=proposal, uploaded_file=pdf())
        assert "不能上传附件" in exc.value.messages[0]
    assert not ProposalAttachment.objects.exists()


# --- pages ---------------------------------------------------------------------------------

def test_the_meeting_list_shows_the_rules_and_the_secretary_changes_them_there(m, client):
    url = reverse("meeting-list", kwargs={"pk": m.community_a1.pk})
    client.force_login(m.staff_a)
    page = client.get(url).content.decode()
    assert "议事规则" in page and "出席单位超过应到单位的1/2才能表决" in page and "实到单位的2/3以上赞成" in page
    assert 'data-testid="meeting-rules-form"' not in page
    rules_url = reverse("meeting-rules", kwargs={"pk": m.community_a1.pk})
    assert client.post(rules_url, {**DEFAULTS, "quorum_numerator": 2, "quorum_denominator": 3}).status_code == 403
    client.force_login(m.community_secretary_a1)
    assert 'data-testid="meeting-rules-form"' in client.get(url).content.decode()
    bad = client.post(rules_url, {**DEFAULTS, "major_numerator": 1, "major_denominator": 4}, follow=True)
    assert "重大事项的通过比例应在1/2到1之间" in bad.content.decode() and not MeetingRules.objects.exists()
    saved = client.post(rules_url, {**DEFAULTS, "quorum_numerator": 2, "quorum_denominator": 3,
                                    "max_proxies_per_unit": 2}, follow=True).content.decode()
    assert "已保存议事规则。" in saved and "出席单位超过应到单位的2/3才能表决" in saved and "每个单位最多受托2票" in saved
    assert MeetingRules.objects.get(alliance=m.community_a1).quorum_denominator == 3


def test_the_meeting_page_shows_representatives_and_proxies_and_takes_a_liaisons_proxy(m, client):
    membership_update(user=sec(m), membership=Membership.objects.get(unit=m.unit_a1, alliance=m.community_a1),
                      representative="王建国")
    meeting, (proposal,) = sitting(m, present=[m.unit_a1, m.unit_a1_other])
    Proposal.objects.filter(pk=proposal.pk).update(major=True)
    client.force_login(m.liaison_a1)
    url = reverse("meeting-detail", kwargs={"pk": meeting.pk})
    page = client.get(url).content.decode()
    row = page.split(f'data-testid="invitation-{m.unit_a1.pk}"')[1].split("</tr>")[0]
    assert "王建国" in row
    assert "重大事项" in page.split(f'data-testid="proposal-{proposal.pk}"')[1].split("</tr>")[0]
    assert "未达到法定人数(须超过1/2)" in page  # 2 of 4 present: not more than half
    # The liaison hands its unit's vote to the kindergarten, which is absent: nobody more counts.
    granted = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "proxy"}),
                          {"from_unit": m.unit_a1.pk, "to_unit": m.unit_c.pk}, follow=True).content.decode()
    assert "已办理委托表决。" in granted and "锦霞物业服务有限公司 委托 锦霞幼儿园 代为表决" in granted
    proxy = Proxy.objects.get()
    assert (proxy.from_unit_id, proxy.to_unit_id, proxy.recorded_by_id) == (
        m.unit_a1.pk, m.unit_c.pk, m.liaison_a1.pk)
    # A second proxy of the same unit is refused with the service's message.
    again = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "proxy"}),
                        {"from_unit": m.unit_a1.pk, "to_unit": m.unit_d.pk}, follow=True).content.decode()
    assert "如要改变,请先撤销原委托" in again and Proxy.objects.count() == 1
    # The secretary signs the kindergarten in: with the proxy, three of four are present.
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_c, present=True)
    client.force_login(m.community_secretary_a1)
    page = client.get(url).content.decode()
    assert "应到4个单位,实到3个" in page and "已达到法定人数" in page
    revoked = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "revoke-proxy"}),
                          {"proxy": proxy.pk}, follow=True).content.decode()
    assert "已撤销委托。" in revoked and not Proxy.objects.exists()


def test_a_proxy_holders_liaison_votes_for_the_unit_through_the_page(m, client):
    meeting, (proposal,) = sitting(m, present=m.units[:3])
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_d, to_unit=m.unit_a1)
    client.force_login(m.liaison_a1)
    page = client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).content.decode()
    assert "(由锦霞物业服务有限公司代为表决)" in page
    url = reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "vote"})
    client.post(url, {"proposal": proposal.pk, "unit": m.unit_d.pk, "choice": "for"})
    client.post(url, {"proposal": proposal.pk, "unit": m.unit_a1.pk, "choice": "against"})
    twice = client.post(url, {"proposal": proposal.pk, "unit": m.unit_d.pk, "choice": "against"}, follow=True)
    assert "“锦霞超市”已经对该议题投票,不能重复投票或更改。" in twice.content.decode()
    assert sorted(Vote.objects.values_list("unit_id", "choice", "proxy_unit_id")) == sorted([
        (m.unit_d.pk, "for", m.unit_a1.pk), (m.unit_a1.pk, "against", None)])
    # Another unit's vote stays out of reach (404: the liaison does not see that unit).
    assert client.post(url, {"proposal": proposal.pk, "unit": m.unit_c.pk, "choice": "for"}).status_code == 404
    # The secretary records the votes of units in the room through the same form.
    client.force_login(m.community_secretary_a1)
    client.post(url, {"proposal": proposal.pk, "unit": m.unit_c.pk, "choice": "for"})
    proposal_page = client.get(reverse("proposal-detail", kwargs={"pk": proposal.pk})).content.decode()
    votes = proposal_page.split('data-testid="votes"')[1]
    assert "锦霞幼儿园" in votes and "锦霞超市" in votes and "赞成" in votes


def test_the_review_page_marks_a_major_matter_and_merges(m, client):
    lift = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    ramp = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="无障碍坡道")
    client.force_login(m.community_secretary_a1)
    client.post(reverse("proposal-action", kwargs={"pk": lift.pk, "action": "review"}),
                {"approve": "yes", "major": "yes"})
    assert Proposal.objects.get(pk=lift.pk).major
    page = client.get(reverse("proposal-detail", kwargs={"pk": ramp.pk})).content.decode()
    assert 'data-testid="merge"' in page and "加装电梯" in page.split('data-testid="merge"')[1]
    merged = client.post(reverse("proposal-action", kwargs={"pk": ramp.pk, "action": "merge"}),
                         {"into": lift.pk}, follow=True).content.decode()
    assert "已合并议题。" in merged and "已合并" in merged
    assert reverse("proposal-detail", kwargs={"pk": lift.pk}) in merged.split('data-testid="merged-into"')[1]
    target = client.get(reverse("proposal-detail", kwargs={"pk": lift.pk})).content.decode()
    assert "重大事项" in target
    assert reverse("proposal-detail", kwargs={"pk": ramp.pk}) in target.split('data-testid="merged-from"')[1]
    # The liaison who raised both sees the link too.
    client.force_login(m.liaison_a1)
    assert "无障碍坡道" in client.get(reverse("proposal-detail", kwargs={"pk": lift.pk})).content.decode()


def test_the_initiating_organisation_marks_its_proposal_major_on_the_form(m, client):
    client.force_login(m.community_secretary_a1)
    url = reverse("proposal-create", kwargs={"pk": m.community_a1.pk})
    assert 'name="major"' in client.get(url).content.decode()
    client.post(url, {"title": "社区微改造资金使用", "unit": "", "major": "on"})
    assert Proposal.objects.get().major
    client.force_login(m.liaison_a1)
    assert 'name="major"' not in client.get(url).content.decode()


def test_attachments_are_uploaded_and_downloaded_through_the_proposals_scope(m, client, media):
    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    client.force_login(m.liaison_a1)
    uploaded = client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "attach"}),
                           {"file": pdf()}, follow=True).content.decode()
    assert "已上传附件。" in uploaded and "加装电梯方案.pdf" in uploaded
    attachment = ProposalAttachment.objects.get()
    url = reverse("proposal-attachment", kwargs={"pk": proposal.pk, "attachment_pk": attachment.pk})
    assert url in uploaded
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    refused = client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "attach"}),
                          {"file": SimpleUploadedFile("a.exe", b"MZ")}, follow=True).content.decode()
    assert "只能上传PDF、Word、Excel或图片" in refused and ProposalAttachment.objects.count() == 1
    client.force_login(m.community_secretary_a1)
    assert client.get(url).status_code == 200
    # Under another proposal's address the attachment does not exist.
    other = proposal_submit(user=sec(m), alliance=m.community_a1, title="其他议题")
    assert client.get(reverse("proposal-attachment", kwargs={"pk": other.pk, "attachment_pk": attachment.pk})
                      ).status_code == 404
    client.force_login(m.liaison_a1_other)  # another unit's liaison does not see the proposal
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("who", ["community_secretary_a2", "secretary_b", "other_tenant_admin"])
def test_a_neighbour_gets_404_on_every_new_page(m, client, media, who):
    meeting, (proposal,) = sitting(m)
    proxy = proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_d, to_unit=m.unit_c)
    submitted = proposal_submit(user=sec(m), alliance=m.community_a1, title="待审定议题")
    other = proposal_submit(user=sec(m), alliance=m.community_a1, title="另一个议题")
    attachment = proposal_attach(user=sec(m), proposal=submitted, uploaded_file=pdf())
    before = state()
    client.force_login(getattr(m, who))
    requests = [
        ("post", reverse("meeting-rules", kwargs={"pk": m.community_a1.pk}), {**DEFAULTS, "quorum_numerator": 0}),
        ("get", reverse("proposal-attachment", kwargs={"pk": submitted.pk, "attachment_pk": attachment.pk}), None),
        ("post", reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "proxy"}),
         {"from_unit": m.unit_a1.pk, "to_unit": m.unit_a1_other.pk}),
        ("post", reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "revoke-proxy"}), {"proxy": proxy.pk}),
        ("post", reverse("proposal-action", kwargs={"pk": submitted.pk, "action": "merge"}), {"into": other.pk}),
        ("post", reverse("proposal-action", kwargs={"pk": submitted.pk, "action": "attach"}), {"file": pdf()}),
        ("post", reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "vote"}),
         {"proposal": proposal.pk, "unit": m.unit_a1.pk, "choice": "for"}),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        assert response.status_code == 404, (url, response.status_code)
    assert state() == before and not Resolution.objects.exists()


def test_the_admin_shows_proxies_and_attachments_within_the_district_only(m, client, media):
    meeting, _props = sitting(m)
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_d, to_unit=m.unit_c)
    proposal = proposal_submit(user=sec(m), alliance=m.community_a1, title="加装电梯")
    proposal_attach(user=sec(m), proposal=proposal, uploaded_file=pdf())
    for admin, sees in ((m.district_admin, True), (m.other_tenant_admin, False)):
        client.force_login(admin)
        proxies = client.get(reverse("admin:meetings_proxy_changelist")).content.decode()
        files = client.get(reverse("admin:meetings_proposalattachment_changelist")).content.decode()
        assert (m.unit_d.name in proxies) is sees and ("加装电梯方案.pdf" in files) is sees
