"""The audit trail: every audited model leaves a record of who changed it, from where, and what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, Commitment
from alliance.models import Alliance, AllianceUserObjectPermission
from audit.models import (
    AgreementAuditEvent,
    AllianceAuditEvent,
    CommitmentAuditEvent,
    ItemAuditEvent,
    MembershipAuditEvent,
    ProposalAuditEvent,
    ResolutionAuditEvent,
    RoleAuditEvent,
    VoteAuditEvent,
)
from meetings.models import Proposal, Resolution, Vote
from members.models import Membership
from tasks.models import Item
from tasks.tasks import escalate_overdue_items_task
from tests import factories

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trail is written by PostgreSQL triggers")

IP = "203.0.113.7"


def _latest(event_model, obj, label=None):
    events = event_model.objects.filter(pgh_obj_id=obj.pk)
    if label:
        events = events.filter(pgh_label=label)
    return events.order_by("-pgh_id").first()


def _assert_by(event, user, *, url=None):
    assert event is not None
    assert event.pgh_context["user"] == user.pk
    assert event.pgh_context["ip"] == IP
    if url:
        assert event.pgh_context["url"] == url


def _json(client, method, url, body):
    return getattr(client, method)(url, body, content_type="application/json", REMOTE_ADDR=IP)


def test_alliance_membership_item_and_proposal_changes_record_the_user(tree, client):
    secretary = tree.community_secretary_a1
    client.force_login(secretary)
    url = reverse("api:alliance-detail", kwargs={"pk": tree.community_a1.pk})
    assert _json(client, "patch", url, {"name": "锦霞社区党建共同体(新)"}).status_code == 200
    event = _latest(AllianceAuditEvent, tree.community_a1, "update")
    _assert_by(event, secretary, url=url)
    assert event.name == "锦霞社区党建共同体(新)"

    membership = Membership.objects.get(unit=tree.unit_a1, alliance=tree.community_a1)
    url = reverse("api:membership-detail", kwargs={"pk": membership.pk})
    assert _json(client, "patch", url, {"left_on": "2099-01-01"}).status_code == 200
    event = _latest(MembershipAuditEvent, membership, "update")
    _assert_by(event, secretary, url=url)
    assert event.left_on == dt.date(2099, 1, 1)

    created = _json(client, "post", reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "路灯不亮"})
    assert created.status_code == 201, created.content
    item = Item.objects.get(pk=created.json()["id"])
    _assert_by(_latest(ItemAuditEvent, item, "insert"), secretary)

    raised = _json(client, "post", reverse("api:proposal-list"), {"alliance": tree.community_a1.pk, "title": "加装电梯"})
    assert raised.status_code == 201, raised.content
    _assert_by(_latest(ProposalAuditEvent, Proposal.objects.get(pk=raised.json()["id"]), "insert"), secretary)


def test_agreement_and_commitment_changes_record_the_user(tree, client):
    draft = factories.agreement(tree.community_a1, by=tree.root, units=[tree.unit_a1])
    secretary = tree.community_secretary_a1
    client.force_login(secretary)
    url = reverse("api:agreement-detail", kwargs={"pk": draft.pk})
    assert _json(client, "patch", url, {"title": "锦霞社区共建协议(修订)"}).status_code == 200
    _assert_by(_latest(AgreementAuditEvent, draft, "update"), secretary, url=url)
    # The services' own writes before (by the root, without a request) carry no user.
    first = AgreementAuditEvent.objects.filter(pgh_obj_id=draft.pk).order_by("pgh_id").first()
    assert first.pgh_label == "insert" and first.pgh_context is None

    added = _json(client, "post", reverse("api:agreement-commitments", kwargs={"pk": draft.pk}), {
        "party": draft.parties.get(unit=tree.unit_a1).pk, "title": "公共收益公示", "recurrence": "monthly",
        "day_of_month": 15})
    assert added.status_code in (200, 201), added.content
    commitment = Commitment.objects.get(agreement=draft, title="公共收益公示")
    _assert_by(_latest(CommitmentAuditEvent, commitment, "insert"), secretary)
    assert Agreement.objects.filter(pk=draft.pk).exists()


def test_votes_and_resolutions_record_the_user(tree, client):
    from meetings.services import (
        meeting_invite_units,
        meeting_open,
        meeting_record_attendance,
        meeting_schedule,
        proposal_review,
        proposal_schedule,
        proposal_submit,
    )

    meeting = meeting_schedule(user=tree.root, alliance=tree.community_a1, title="锦霞社区例会",
                               starts_at=timezone.now() + dt.timedelta(days=1))
    meeting_invite_units(user=tree.root, meeting=meeting, units=[tree.unit_a1, tree.unit_a1_other])
    proposal = proposal_review(user=tree.root, approve=True,
                               proposal=proposal_submit(user=tree.root, alliance=tree.community_a1, title="加装电梯"))
    proposal_schedule(user=tree.root, proposal=proposal, meeting=meeting)
    meeting_open(user=tree.root, meeting=meeting)
    for unit in (tree.unit_a1, tree.unit_a1_other):
        meeting_record_attendance(user=tree.root, meeting=meeting, unit=unit, present=True)

    secretary = tree.community_secretary_a1
    client.force_login(secretary)
    for unit in (tree.unit_a1, tree.unit_a1_other):
        cast = _json(client, "post", reverse("api:proposal-vote", kwargs={"pk": proposal.pk}),
                     {"unit": unit.pk, "choice": "for"})
        assert cast.status_code == 200, cast.content
    vote = Vote.objects.get(proposal=proposal, unit=tree.unit_a1)
    _assert_by(_latest(VoteAuditEvent, vote, "insert"), secretary)

    decided = _json(client, "post", reverse("api:proposal-decide", kwargs={"pk": proposal.pk}), {})
    assert decided.status_code in (200, 201), decided.content
    resolution = Resolution.objects.get(proposal=proposal)
    _assert_by(_latest(ResolutionAuditEvent, resolution, "insert"), secretary)
    # The proposal's own change in the same request is grouped under the same context.
    assert _latest(ProposalAuditEvent, proposal, "update").pgh_context_id == \
        _latest(ResolutionAuditEvent, resolution, "insert").pgh_context_id


def test_roles_given_in_the_admin_record_the_user_and_the_alliance(tree, client):
    target = factories.user("newcomer")
    client.force_login(tree.root)
    added = client.post(reverse("admin:members_roleassignment_add"), {
        "user": target.pk, "alliance": tree.community_a1.pk, "role": "observer", "member_unit": ""},
        REMOTE_ADDR=IP)
    assert added.status_code == 302, added.content[:2000]
    rows = AllianceUserObjectPermission.objects.filter(user=target)
    assert rows.exists()
    for row in rows:
        event = _latest(RoleAuditEvent, row, "insert")
        _assert_by(event, tree.root)
        # The guardian row has no path: the event keeps its alliance's, for the scope.
        assert (event.alliance_path, event.tenant_id) == (tree.community_a1.path, tree.community_a1.tenant_id)


def test_the_sweep_bulk_update_is_recorded_with_the_task(tree):
    from tasks.services import item_create

    item, _created = item_create(user=tree.root, alliance=tree.community_a1, title="楼道堆放杂物", source="grid")
    Item.objects.filter(pk=item.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert escalate_overdue_items_task() == 1
    event = _latest(ItemAuditEvent, item, "update")
    assert event.alliance_id == tree.street_a.pk and event.alliance_path == tree.street_a.path
    assert event.pgh_context["task"] == "escalate_overdue"
    assert event.pgh_context.get("user") is None


def test_celery_tasks_run_in_a_context_named_after_them(tree):
    """Any task names itself on its events (Celery's signals): here the close-out of unrated items,
    a bulk_update."""
    from tasks.services import item_create
    from tasks.tasks import close_unrated_items_task

    item, _created = item_create(user=tree.root, alliance=tree.community_a1, title="楼道堆放杂物", source="grid")
    Item.objects.filter(pk=item.pk).update(status="resolved", resolved_at=timezone.now() - dt.timedelta(days=30))
    assert close_unrated_items_task.apply().get() == 1
    event = _latest(ItemAuditEvent, item, "update")
    assert event.status == "closed"
    assert event.pgh_context["task"] == close_unrated_items_task.name
    assert event.pgh_context["task_id"]
    # Outside a task, no context is left open behind it.
    from audit.context import audit_context_open

    assert not audit_context_open()


def test_events_cannot_be_changed_or_deleted(tree):
    event = AllianceAuditEvent.objects.filter(pgh_obj_id=tree.community_a1.pk).first()
    for write in (lambda: AllianceAuditEvent.objects.filter(pk=event.pk).update(name="篡改"),
                  lambda: AllianceAuditEvent.objects.filter(pk=event.pk).delete()):
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
            write()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {RoleAuditEvent._meta.db_table}")
    assert AllianceAuditEvent.objects.get(pk=event.pk).name == event.name


def test_deleting_an_object_keeps_its_events(tree):
    alliance = Alliance.objects.get(pk=tree.community_b2.pk)
    grant = AllianceUserObjectPermission.objects.create(
        user=factories.user("temp"), content_object=alliance,
        permission=Permission.objects.get(codename="view_alliance"))
    grant_id, alliance_id = grant.pk, alliance.pk
    grant.delete()
    alliance.delete()
    labels = list(AllianceAuditEvent.objects.filter(pgh_obj_id=alliance_id).order_by("pgh_id")
                  .values_list("pgh_label", flat=True))
    assert labels[0] == "insert" and labels[-1] == "delete"
    deleted = RoleAuditEvent.objects.filter(pgh_obj_id=grant_id).order_by("pgh_id")
    assert [e.pgh_label for e in deleted] == ["insert", "delete"]
    assert deleted.last().alliance_path == alliance.path
