"""The review of #4's meetings work: each defect it found, as a user would notice it.

1 the item page shows only the proposals, resolutions and meetings its viewer may open;
2 the quorum counts all member units, frozen when the meeting opens;
3 proposals merge only into approved ones;
4 the host runs a joint meeting with the other alliances' units;
5 action items have a due date, may go to a staff member, have a page, and are not assigned twice;
6 an oversized upload is refused before it is read, and a file that cannot be stored leaves no row;
7 the beat sweep sends the invitations that found no address the first time;
8 closing a meeting voids the votes on undecided proposals instead of deleting them;
9 the liaison of the raising unit sees how its proposal came out.
"""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from alliance.roles import Role
from meetings.models import (
    ActionItem,
    Invitation,
    Meeting,
    Proposal,
    ProposalAttachment,
    ProposalStatus,
    Vote,
)
from meetings.selectors import liaison_votes_to_cast
from meetings.services import (
    ATTACHMENT_MAX_BYTES,
    Action,
    meeting_close,
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    proposal_attach,
    proposal_decide,
    proposal_merge,
    proposal_review,
    proposal_schedule,
    proposal_submit,
    resolution_assign_actions,
)
from meetings.tasks import send_meeting_invitations_task, send_meeting_reminders_task
from members.models import Membership, User
from members.services import membership_update
from tasks.models import Item, Status
from tasks.services import item_create

from .. import factories
from ..conftest import fresh
from .test_rules import media, pdf  # noqa: F401
from .test_services import DUE, approved, schedule, sec, sitting, snapshot, vote

FRIENDLY = "unit_a1_other", "unit_c", "unit_d"  # three of the four member units: a quorum without unit A1


def page(client, name, **kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def adopted_without_unit_a1(m, *, title="老旧小区加装电梯", proposal=None):
    """A meeting of community A1 to which unit A1 is not invited; the three others adopt `proposal`
    (by default one the initiating organisation raised)."""
    friendly = [getattr(m, name) for name in FRIENDLY]
    meeting = schedule(m)
    meeting_invite_units(user=sec(m), meeting=meeting, units=friendly)
    proposal = proposal_schedule(user=sec(m), proposal=proposal or approved(m, title=title), meeting=meeting)
    meeting_open(user=sec(m), meeting=meeting)
    for unit in friendly:
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    for unit in friendly:
        vote(m, proposal, unit, "for")
    return meeting, proposal_decide(user=sec(m), proposal=proposal, text="同意试点加装电梯")


# --- 1. the item page shows each link of the chain only to who may open it -------------------

def test_the_community_secretary_does_not_see_the_streets_proposal_raised_from_its_item(tree, client):
    item, _created = item_create(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                                 title="背街小巷路灯不亮", source="grid")
    street = proposal_submit(user=fresh(tree.secretary_a), alliance=tree.street_a, title="街道路灯统一改造",
                             source_item=item)
    client.force_login(tree.community_secretary_a1)
    assert client.get(reverse("proposal-detail", kwargs={"pk": street.pk})).status_code == 404
    body = page(client, "item-detail", pk=item.pk)
    assert "街道路灯统一改造" not in body and 'data-testid="meeting-chain"' not in body
    client.force_login(tree.secretary_a)
    assert f'data-testid="chain-proposal-{street.pk}"' in page(client, "item-detail", pk=item.pk)


def test_an_action_item_shows_its_units_liaison_only_what_it_may_open(m, client):
    meeting, resolution = adopted_without_unit_a1(m)
    (action,) = resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
        Action(unit=m.unit_a1, title="落实电梯加装方案", due=DUE)])
    client.force_login(m.liaison_a1)
    body = page(client, "item-detail", pk=action.item_id)
    assert "落实电梯加装方案" in body  # the liaison's unit carries it out: it sees the item
    # (The resolution's text is the item's own description: what the unit is to do.)
    for hidden in ('data-testid="meeting-chain"', 'data-testid="chain-resolution"', "老旧小区加装电梯", meeting.title):
        assert hidden not in body, hidden
    for name, pk in (("meeting-detail", meeting.pk), ("proposal-detail", resolution.proposal_id)):
        assert client.get(reverse(name, kwargs={"pk": pk})).status_code == 404
    client.force_login(m.community_secretary_a1)
    body = page(client, "item-detail", pk=action.item_id)
    for shown in ('data-testid="chain-resolution"', "同意试点加装电梯", 'data-testid="chain-action-proposal"',
                  'data-testid="chain-meeting"', meeting.title):
        assert shown in body, shown


# --- 2. the quorum: more than half of the member units, counted when the meeting opens --------

def test_inviting_only_friendly_units_does_not_make_a_quorum(m):
    meeting = schedule(m)
    meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1, m.unit_a1_other])
    proposal = proposal_schedule(user=sec(m), proposal=approved(m), meeting=meeting)
    meeting = meeting_open(user=sec(m), meeting=meeting)
    assert meeting.member_count == 4
    for unit in (m.unit_a1, m.unit_a1_other):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    before = snapshot()
    with pytest.raises(ValidationError, match="应到4个,实到2个"):
        vote(m, proposal, m.unit_a1, "for")
    with pytest.raises(ValidationError, match="未达到法定人数"):
        proposal_decide(user=sec(m), proposal=proposal)
    assert snapshot() == before


def test_the_member_count_is_frozen_at_opening_and_kept_with_the_resolution(m, client, api):
    planned = schedule(m, units=m.units)
    client.force_login(m.community_secretary_a1)
    assert "应到4个单位,实到0个" in page(client, "meeting-detail", pk=planned.pk)
    meeting, (proposal,) = sitting(m, present=m.units[:3])
    assert Meeting.objects.get(pk=meeting.pk).member_count == 4
    factories.unit(m.community_a1, by=m.root, name="会中加入的单位")  # joins while the meeting sits
    # While planned the count follows the alliance; once opened it does not move.
    assert "应到5个单位" in page(client, "meeting-detail", pk=planned.pk)
    assert "应到4个单位,实到3个" in page(client, "meeting-detail", pk=meeting.pk)
    for unit in m.units[:3]:
        vote(m, proposal, unit, "for")
    resolution = proposal_decide(user=sec(m), proposal=proposal)
    assert (resolution.member_count, resolution.present_count) == (4, 3)
    secretary = api(m.community_secretary_a1)
    detail = secretary.get(reverse("api:meeting-detail", kwargs={"pk": meeting.pk})).json()
    assert (detail["member_count"], detail["invited_count"], detail["present_count"], detail["quorum"]) == (
        4, 4, 3, True)
    assert secretary.get(reverse("api:resolution-detail", kwargs={"pk": resolution.pk})).json()["member_count"] == 4
    minutes = client.get(reverse("meeting-minutes", kwargs={"pk": meeting.pk}))
    assert minutes.status_code == 200 and minutes["Content-Type"] == "application/pdf"


def test_a_unit_that_leaves_the_alliance_during_the_meeting_counts_present_no_more(m):
    meeting, (proposal,) = sitting(m)
    membership_update(user=sec(m), membership=Membership.objects.get(unit=m.unit_d, alliance=m.community_a1),
                      left_on=timezone.localdate())
    with pytest.raises(ValidationError, match="已不是参会共同体的成员单位,不能投票"):
        vote(m, proposal, m.unit_d, "for")
    for unit in m.units[:3]:
        vote(m, proposal, unit, "for")
    membership_update(user=sec(m), membership=Membership.objects.get(unit=m.unit_c, alliance=m.community_a1),
                      left_on=timezone.localdate())
    with pytest.raises(ValidationError, match="应到4个,实到2个"):
        proposal_decide(user=sec(m), proposal=proposal)


# --- 3. merging: only into an approved proposal ----------------------------------------------

def test_a_proposal_merges_only_into_an_approved_one(m, client, api):
    awaiting = proposal_submit(user=sec(m), alliance=m.community_a1, title="待审定的议题")
    lift = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    before = list(Proposal.objects.order_by("pk").values_list("status", "merged_into_id"))
    with pytest.raises(ValidationError, match="只能合并到已审定"):
        proposal_merge(user=sec(m), proposal=lift, into=awaiting)
    refused = api(m.community_secretary_a1).post(reverse("api:proposal-merge", kwargs={"pk": lift.pk}),
                                                 {"into": awaiting.pk}, format="json")
    assert refused.status_code == 400 and "待审定的议题请先审定" in refused.json()["errors"]["into"][0]
    client.force_login(m.community_secretary_a1)
    body = client.post(reverse("proposal-action", kwargs={"pk": lift.pk, "action": "merge"}),
                       {"into": awaiting.pk}, follow=True).content.decode()
    assert "只能合并到已审定" in body
    assert list(Proposal.objects.order_by("pk").values_list("status", "merged_into_id")) == before
    # The page offers approved proposals only.
    target = approved(m, title="老旧小区适老化改造")
    merge_form = page(client, "proposal-detail", pk=lift.pk).split('data-testid="merge"')[1]
    assert "老旧小区适老化改造" in merge_form and "待审定的议题" not in merge_form
    assert proposal_merge(user=sec(m), proposal=lift, into=target).merged_into_id == target.pk


def test_returning_the_target_of_an_earlier_merge_changes_nothing_else(m):
    # Merged before the rule above, into a proposal still awaiting review.
    target = proposal_submit(user=sec(m), alliance=m.community_a1, title="早先的议题")
    merged = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="并入的议题")
    Proposal.objects.filter(pk=merged.pk).update(status=ProposalStatus.MERGED, merged_into=target)
    proposal_review(user=sec(m), proposal=target, approve=False, reason="不属于本共同体议事范围")
    merged.refresh_from_db()
    assert (merged.status, merged.merged_into_id, merged.returned_reason) == (ProposalStatus.MERGED, target.pk, "")


# --- 4. joint meetings: the host runs them with the other alliances' units --------------------

def test_the_host_plans_and_runs_a_joint_meeting_with_a_joint_alliances_unit(tree, client, api):
    street_unit = factories.unit(tree.street_a, by=tree.root, name="春晖路街道社区卫生服务中心")
    client.force_login(tree.district_admin)
    starts = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    created = client.post(reverse("meeting-create", kwargs={"pk": tree.street_a.pk}), {
        "title": "街道与新山村社区联席会议", "kind": "joint", "starts_at": starts,
        "joint_alliances": [tree.community_b1.pk], "units": [street_unit.pk]})
    assert created.status_code == 302, created.content.decode()[-800:]
    meeting = Meeting.objects.get(title="街道与新山村社区联席会议")
    assert list(meeting.joint_alliances.all()) == [tree.community_b1]

    # The street's secretary invites the joint alliance's unit on the meeting's page.
    client.force_login(tree.secretary_a)
    invite_form = page(client, "meeting-detail", pk=meeting.pk).split('data-testid="invite"')[1]
    assert tree.unit_b1.name in invite_form
    client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "invite"}),
                {"units": [tree.unit_b1.pk]})
    assert set(meeting.invitations.values_list("unit_id", flat=True)) == {street_unit.pk, tree.unit_b1.pk}
    secretary = api(tree.secretary_a)
    again = secretary.post(reverse("api:meeting-invite", kwargs={"pk": meeting.pk}),
                           {"units": [tree.unit_b1.pk]}, format="json")
    assert again.status_code == 200, again.content
    proposals = []
    for title in ("联合开展义诊", "共建健康步道"):
        proposal = proposal_submit(user=fresh(tree.secretary_a), alliance=tree.street_a, title=title)
        proposal = proposal_review(user=fresh(tree.secretary_a), proposal=proposal, approve=True)
        proposals.append(proposal_schedule(user=fresh(tree.secretary_a), proposal=proposal, meeting=meeting))
    client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "open"}))
    assert Meeting.objects.get(pk=meeting.pk).member_count == 2  # the street's unit and the community's

    # Attendance and votes through the page...
    action = reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "attendance"})
    for unit in (street_unit, tree.unit_b1):
        assert "已登记出席情况。" in client.post(action, {"unit": unit.pk, "present": "yes"},
                                                follow=True).content.decode()
    voted = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "vote"}),
                        {"proposal": proposals[0].pk, "unit": tree.unit_b1.pk, "choice": "for"}, follow=True)
    assert "已投票。" in voted.content.decode()
    # ...and through the API.
    attended = secretary.post(reverse("api:meeting-attendance", kwargs={"pk": meeting.pk}),
                              {"unit": tree.unit_b1.pk, "present": True}, format="json")
    assert attended.status_code == 200, attended.content
    cast = secretary.post(reverse("api:vote-list"), {"proposal": proposals[1].pk, "unit": tree.unit_b1.pk,
                                                     "choice": "against"}, format="json")
    assert cast.status_code == 201, cast.content
    on_proposal = secretary.post(reverse("api:proposal-vote", kwargs={"pk": proposals[1].pk}),
                                 {"unit": street_unit.pk, "choice": "for"}, format="json")
    assert on_proposal.status_code == 200, on_proposal.content
    assert sorted(Vote.objects.values_list("proposal_id", "unit_id", "choice")) == sorted([
        (proposals[0].pk, tree.unit_b1.pk, "for"), (proposals[1].pk, tree.unit_b1.pk, "against"),
        (proposals[1].pk, street_unit.pk, "for")])
    # A unit of an alliance not taking part is still nobody the host can name.
    outsider = secretary.post(reverse("api:meeting-attendance", kwargs={"pk": meeting.pk}),
                              {"unit": factories.unit(tree.community_b2, by=tree.root).pk, "present": True},
                              format="json")
    assert outsider.status_code == 404


# --- 5. action items: a due date, staff members, the page, no double assignment --------------

def test_an_action_needs_a_due_date_not_in_the_past_and_goes_to_a_unit_or_a_staff_member(m):
    _meeting, resolution = adopted_without_unit_a1(m)
    today = timezone.localdate()
    cases = [
        (Action(unit=m.unit_a1, title="无期限", due=None), "请填写办理期限"),
        (Action(unit=m.unit_a1, title="过期", due=today - dt.timedelta(days=1)), "办理期限不能早于今天"),
        (Action(title="无人承办", due=today), "请选择承办单位或承办人"),
        (Action(unit=m.unit_a1, assignee_user=fresh(m.staff_a), title="两者", due=today), "只能选一个"),
        (Action(assignee_user=fresh(m.liaison_a1), title="联络员", due=today), "不是本共同体的书记或工作人员"),
    ]
    before = snapshot()
    for action, message in cases:
        with pytest.raises(ValidationError, match=message):
            resolution_assign_actions(user=sec(m), resolution=resolution, actions=[action])
    assert snapshot() == before
    unit_action, staff_action = resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
        Action(unit=m.unit_a1, title="制定加装方案", due=today),
        Action(assignee_user=fresh(m.staff_a), title="协调规划审批", due=today + dt.timedelta(days=30))])
    zone = timezone.get_default_timezone()
    item = Item.objects.get(pk=unit_action.item_id)
    assert item.due_at == dt.datetime.combine(today, dt.time(23, 59, 59), tzinfo=zone)
    assert (item.assignee_unit_id, item.status) == (m.unit_a1.pk, Status.IN_PROGRESS)
    staff_item = Item.objects.get(pk=staff_action.item_id)
    assert (staff_item.assignee_user_id, staff_item.assignee_unit_id, staff_item.status) == (
        m.staff_a.pk, None, Status.IN_PROGRESS)
    assert timezone.localtime(staff_item.due_at).date() == today + dt.timedelta(days=30)
    assert (staff_action.user_id, staff_action.unit_id) == (m.staff_a.pk, None)
    # The same action again (a form sent twice) assigns nothing.
    with pytest.raises(ValidationError, match="已经分派给锦霞物业服务有限公司,不能重复分派"):
        resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
            Action(unit=m.unit_a1, title="制定加装方案", due=today)])
    assert ActionItem.objects.count() == 2


def test_an_action_item_belongs_to_a_unit_or_a_user_in_the_database(m):
    _meeting, resolution = adopted_without_unit_a1(m)
    (action,) = resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
        Action(unit=m.unit_a1, title="落实", due=DUE)])
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=action.pk).update(unit=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=action.pk).update(user=m.staff_a)


def _rows(*rows):
    data = {"actions-TOTAL_FORMS": str(len(rows)), "actions-INITIAL_FORMS": "0", "actions-MIN_NUM_FORMS": "0",
            "actions-MAX_NUM_FORMS": "20"}
    for n, (title, assignee, due) in enumerate(rows):
        data |= {f"actions-{n}-title": title, f"actions-{n}-assignee": assignee, f"actions-{n}-due": due}
    return data


def test_the_proposal_page_assigns_action_items_all_or_nothing_and_once(m, client):
    _meeting, resolution = adopted_without_unit_a1(m)
    client.force_login(m.community_secretary_a1)
    form = page(client, "proposal-detail", pk=resolution.proposal_id).split('data-testid="assign-actions"')[1]
    assert f'value="unit:{m.unit_a1.pk}"' in form and f'value="user:{m.staff_a.pk}"' in form
    assert form.count('type="date"') == 3
    url = reverse("resolution-actions", kwargs={"pk": resolution.pk})
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    # One bad row: nothing is created, the rows come back as typed with the reason.
    bad = client.post(url, _rows(("制定加装方案", f"unit:{m.unit_a1.pk}", due),
                                 ("协调规划审批", f"user:{m.staff_a.pk}", past), ("", "", "")))
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "第2项:办理期限不能早于今天。" in body and 'value="制定加装方案"' in body
    missing = client.post(url, _rows(("没有承办单位", "", due), ("", "", ""))).content.decode()
    assert "没有承办单位" in missing and 'class="field has-error"' in missing
    assert not ActionItem.objects.exists() and not Item.objects.filter(source="meeting").exists()
    # Two rows filled, one left blank.
    data = _rows(("制定加装方案", f"unit:{m.unit_a1.pk}", due), ("协调规划审批", f"user:{m.staff_a.pk}", due),
                 ("", "", ""))
    done = client.post(url, data, follow=True).content.decode()
    assert "已分派2项决议事项。" in done
    assert sorted(ActionItem.objects.values_list("item__title", "unit_id", "user_id")) == sorted([
        ("制定加装方案", m.unit_a1.pk, None), ("协调规划审批", None, m.staff_a.pk)])
    actions = done.split('data-testid="resolution-actions"')[1]
    assert "锦霞物业服务有限公司" in actions and m.staff_a.get_full_name() in actions
    # Sent twice (a double click): refused with a message, nothing more created.
    twice = client.post(url, data).content.decode()
    assert "不能重复分派" in twice and ActionItem.objects.count() == 2


@pytest.mark.parametrize("who", ["secretary_b", "community_secretary_a2", "other_tenant_admin"])
def test_a_neighbour_gets_404_on_the_action_items_form(m, client, who):
    _meeting, resolution = adopted_without_unit_a1(m)
    client.force_login(getattr(m, who))
    response = client.post(reverse("resolution-actions", kwargs={"pk": resolution.pk}),
                           _rows(("越界事项", f"unit:{m.unit_a1.pk}", "2099-12-31")))
    assert response.status_code == 404 and not ActionItem.objects.exists()


def test_the_api_assigns_an_action_to_a_staff_member_with_a_due_date(m, api):
    _meeting, resolution = adopted_without_unit_a1(m)
    secretary = api(m.community_secretary_a1)
    url = reverse("api:resolution-assign-actions", kwargs={"pk": resolution.pk})
    missing_due = secretary.post(url, {"actions": [{"unit": m.unit_a1.pk, "title": "无期限"}]}, format="json")
    assert missing_due.status_code == 400 and "due" in missing_due.json()["errors"]["actions"]["0"]
    not_staff = secretary.post(url, {"actions": [{"assignee_user": m.liaison_a1.pk, "title": "联络员承办",
                                                  "due": DUE.isoformat()}]}, format="json")
    assert not_staff.status_code == 404
    made = secretary.post(url, {"actions": [{"assignee_user": m.staff_a.pk, "title": "协调规划审批",
                                             "due": DUE.isoformat()}]}, format="json")
    assert made.status_code == 201, made.content
    (row,) = made.json()
    assert (row["unit"], row["user"], row["assignee_name"]) == (None, m.staff_a.pk, m.staff_a.get_full_name())
    assert timezone.localtime(dt.datetime.fromisoformat(row["item_due_at"])).date() == DUE
    again = secretary.post(url, {"actions": [{"assignee_user": m.staff_a.pk, "title": "协调规划审批",
                                              "due": DUE.isoformat()}]}, format="json")
    assert again.status_code == 400 and "不能重复分派" in again.json()["errors"]["actions"][0]


# --- 6. uploads: refused before they are read; no row without its file ----------------------

def test_an_oversized_upload_is_refused_before_its_body_is_read(m, client, api, media):  # noqa: F811
    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    # The body is small but claims to be 50 MB: reading it would fail, so the answer shows it was not read.
    huge = str(50 * 1024 * 1024)
    client.force_login(m.liaison_a1)
    response = client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "attach"}),
                           {"file": pdf()}, CONTENT_LENGTH=huge)
    assert response.status_code == 302
    assert "文件不能超过10MB。" in page(client, "proposal-detail", pk=proposal.pk)
    refused = api(m.liaison_a1).post(reverse("api:proposal-attachments", kwargs={"pk": proposal.pk}),
                                     {"file": pdf()}, format="multipart", CONTENT_LENGTH=huge)
    assert refused.status_code == 413 and refused.json()["message"] == "文件不能超过10MB。"
    assert not ProposalAttachment.objects.exists() and not list(media.rglob("*.pdf"))
    # A neighbour still gets 404, whatever it sends.
    client.force_login(m.community_secretary_a2)
    assert client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "attach"}),
                       {"file": pdf()}, CONTENT_LENGTH=huge).status_code == 404
    # Just under the limit still goes through the ordinary way.
    ok = api(m.liaison_a1).post(reverse("api:proposal-attachments", kwargs={"pk": proposal.pk}),
                                {"file": pdf(size=ATTACHMENT_MAX_BYTES)}, format="multipart")
    assert ok.status_code == 201, ok.content


def test_the_proposal_actions_still_check_the_csrf_token(m):
    """The early size check needs the view exempt from the middleware's CSRF check; the view checks
    the token itself for everything that is not refused there."""
    from django.test import Client

    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    client = Client(enforce_csrf_checks=True)
    client.force_login(m.community_secretary_a1)
    forged = client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "review"}),
                         {"approve": "yes"})
    assert forged.status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.SUBMITTED


def test_a_file_that_cannot_be_stored_leaves_no_attachment_row(m, media):  # noqa: F811
    proposal = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    (media / "proposals").write_text("a file where the folder should be")
    with pytest.raises(ValidationError, match="附件保存失败"):
        proposal_attach(user=fresh(m.liaison_a1), proposal=proposal, uploaded_file=pdf())
    assert not ProposalAttachment.objects.exists()


# --- 7. invitations that found no address are sent by the beat sweep -------------------------

def test_the_beat_sweep_sends_an_invitation_once_the_unit_has_an_address(m):
    liaison_c = factories.user_with_role(m.community_a1, Role.LIAISON, unit=m.unit_c, username="liaison_c")
    User.objects.filter(pk=liaison_c.pk).update(email="")
    meeting = schedule(m, days=3, title="下周例会", units=[m.unit_c])
    running, _props = sitting(m, days=0.1)  # its invitations were never sent either, but it is no longer planned
    assert send_meeting_invitations_task.delay(meeting.pk).get() == 0
    assert send_meeting_reminders_task.delay().get() == 0 and mail.outbox == []
    User.objects.filter(pk=liaison_c.pk).update(email="liaison_c@example.cn")
    assert send_meeting_reminders_task.delay().get() == 1
    (message,) = mail.outbox
    assert message.subject == "会议通知:下周例会" and message.to == ["liaison_c@example.cn"]
    invitation = Invitation.objects.get(meeting=meeting)
    assert invitation.notified_at is not None and invitation.reminded_at is None  # three days ahead
    assert send_meeting_reminders_task.delay().get() == 0 and len(mail.outbox) == 1
    assert not Invitation.objects.filter(meeting=running, notified_at__isnull=False).exists()


# --- 8. closing a meeting voids the votes on undecided proposals ---------------------------

def test_a_voided_vote_is_shown_and_the_unit_votes_again_at_the_next_meeting(m, client, api):
    meeting, (proposal,) = sitting(m)
    earlier = vote(m, proposal, m.unit_a1, "against")
    meeting_close(user=sec(m), meeting=meeting)
    assert Vote.objects.get(pk=earlier.pk).voided_at is not None
    client.force_login(m.community_secretary_a1)
    votes = page(client, "proposal-detail", pk=proposal.pk).split('data-testid="votes"')[1]
    assert f'data-testid="voided-vote-{earlier.pk}"' in votes and "已作废" in votes
    listed = api(m.community_secretary_a1).get(reverse("api:vote-list"), {"proposal": proposal.pk}).json()
    assert [row["voided_at"] is not None for row in listed["results"]] == [True]
    # At the next meeting the liaison's unit has this proposal to vote on again.
    following = schedule(m, days=7)
    meeting_invite_units(user=sec(m), meeting=following, units=m.units)
    proposal_schedule(user=sec(m), proposal=Proposal.objects.get(pk=proposal.pk), meeting=following)
    meeting_open(user=sec(m), meeting=following)
    for unit in m.units:
        meeting_record_attendance(user=sec(m), meeting=following, unit=unit, present=True)
    assert [(p.proposal.pk, p.unit.pk) for p in liaison_votes_to_cast(user=fresh(m.liaison_a1))] == [
        (proposal.pk, m.unit_a1.pk)]
    cast = api(m.liaison_a1).post(reverse("api:proposal-vote", kwargs={"pk": proposal.pk}), {"choice": "for"},
                                  format="json")
    assert cast.status_code == 200, cast.content
    assert liaison_votes_to_cast(user=fresh(m.liaison_a1)) == []
    assert Vote.objects.filter(proposal=proposal, unit=m.unit_a1).count() == 2
    # The database keeps one live vote per unit and proposal.
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.filter(pk=earlier.pk).update(voided_at=None)


# --- 9. the raising unit's liaison sees how its proposal came out ---------------------------

def test_the_raising_units_liaison_sees_the_outcome_but_not_the_meeting(m, client, api):
    raised = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1, title="加装电梯")
    raised = proposal_review(user=sec(m), proposal=raised, approve=True)
    meeting, resolution = adopted_without_unit_a1(m, proposal=raised)
    client.force_login(m.liaison_a1)
    assert client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).status_code == 404
    body = page(client, "proposal-detail", pk=raised.pk)
    outcome = body.split('data-testid="resolution"')[1].split("</dd>")[0]
    assert "同意试点加装电梯" in outcome and "通过" in outcome and "赞成 3" in outcome
    held_at = body.split('data-testid="proposal-meeting"')[1].split("</dd>")[0]
    assert meeting.title in held_at and reverse("meeting-detail", kwargs={"pk": meeting.pk}) not in held_at
    mine = page(client, "my-meetings").split(f'data-testid="own-outcome-{raised.pk}"')[1].split("</span>")[0]
    assert "通过" in mine and "赞成 3" in mine
    listed = api(m.liaison_a1).get(reverse("api:resolution-list")).json()["results"]
    assert [row["id"] for row in listed] == [resolution.pk]
    # The secretary still sees the link; the liaison may read the resolution, not act on it.
    client.force_login(m.community_secretary_a1)
    held_at = page(client, "proposal-detail", pk=raised.pk).split('data-testid="proposal-meeting"')[1]
    assert reverse("meeting-detail", kwargs={"pk": meeting.pk}) in held_at.split("</dd>")[0]
    published = api(m.liaison_a1).post(reverse("api:resolution-publish", kwargs={"pk": resolution.pk}),
                                       {"scope": "everyone"}, format="json")
    assert published.status_code == 403
