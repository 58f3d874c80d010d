"""The permission matrix: every page and endpoint, seen by the neighbours who must get 404.

The URL patterns are enumerated from the resolver, so a page or endpoint that nobody
added to ROUTES (or, with a reason, to EXEMPT) fails `test_every_url_pattern_is_in_the_matrix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from members.models import Membership, MemberUnit

from .conftest import Tree

# Patterns that show no tenant-owned object, each with the reason.
EXEMPT = {
    "healthz": "liveness probe, no data",
    "set_language": "language switch",
    "login": "public",
    "logout": "ends the own session",
    # accounts (#9): the signed-in user's own security settings, no tenant-owned object (tests/security/).
    "account": "the user's own account page",
    "password_change": "changes the own password",
    "password_change_done": "confirmation, no data",
    "otp-setup": "enrols the own authenticator",
    "otp-verify": "the second sign-in step of the own session",
    "otp-disable": "removes the own authenticator",
    "sessions-end-all": "ends the own sessions and tokens",
    "home": "lists only the user's own alliances (tested in test_views)",
    "schema": "OpenAPI document, no data",
    "swagger-ui": "API docs page, no data",
    "redoc": "API docs page, no data",
    "api:api-root": "links only",
    "notification-list": "the user's own notifications only (tests/tasks/test_views.py)",
    "public-demand": "public by design: residents raise demands without an account",
    "public-follow": "public by design, keyed by a secret token (tests/tasks/test_views.py)",
    "public-agreement": "public by design (亮约): keyed by the agreement's public token, 404 unless published "
                        "and in force (tests/agreements/test_public.py)",
    "public-resolutions": "public by design (公开): an alliance's published resolutions; who reads which scope "
                          "is tested in tests/meetings/test_public_and_liaison.py",
    "public-resolution": "public by design (公开): one published resolution; scope and 404 rules tested in "
                         "tests/meetings/test_public_and_liaison.py",
    "my-meetings": "the liaison's own units only (tests/meetings/test_public_and_liaison.py)",
    "party-home": "lists only the user's own alliances and own member pages (tests/party/test_views.py)",
    "party-me": "the party member's own record only (tests/party/test_views.py)",
    "party-me-report": "the party member reports themself; another tenant's community is 404 (tests/party)",
    "party-my-posts": "the party member's own community and claims only (tests/party/test_views.py)",
    "party-my-orders": "the party member's own orders and community demands only (tests/party/test_views.py)",
    "party-my-points": "the party member's own ledger only (tests/party/test_views.py)",
}
EXEMPT_NAMESPACES = {"admin"}  # Django admin: staff only, guarded by Django itself


@dataclass(frozen=True)
class Route:
    """How to build the URL for an object inside community A1 (street A), and how to probe it."""

    kwargs: Callable[[Tree], dict]
    methods: tuple[str, ...] = ("get", "post")
    owner: Callable[[Tree], object] = lambda t: t.community_secretary_a1
    # List endpoints: the neighbour gets 200 but must not see the object's id.
    list_id: Callable[[Tree], int] | None = None
    # A body that the owner could send and that would change something.
    payload: Callable[[Tree], dict] | None = None


def _membership_a1(t: Tree) -> Membership:
    return Membership.objects.get(unit=t.unit_a1, alliance=t.community_a1)


def _item_a1(t: Tree):
    from tasks.models import Item
    from tasks.services import item_create

    item = Item.objects.filter(origin=t.community_a1).first()
    if item is None:
        item, _created = item_create(user=t.root, alliance=t.community_a1, title="楼道堆放杂物", source="grid")
    return item


def _item_route(action: str | None = None, methods=("post",)) -> Route:
    if action is None:
        return Route(lambda t: {"pk": _item_a1(t).pk}, methods)
    return Route(lambda t: {"pk": _item_a1(t).pk, "action": action}, methods)


def _meeting_a1(t: Tree):
    """A planned meeting of community A1 with both its units invited and one approved proposal."""
    import datetime as dt

    from django.utils import timezone

    from meetings.models import Meeting
    from meetings.services import (
        meeting_invite_units,
        meeting_schedule,
        proposal_review,
        proposal_submit,
    )

    meeting = Meeting.objects.filter(alliance=t.community_a1).order_by("pk").first()
    if meeting is None:
        meeting = meeting_schedule(user=t.root, alliance=t.community_a1, title="锦霞社区例会",
                                   starts_at=timezone.now() + dt.timedelta(days=1))
        meeting_invite_units(user=t.root, meeting=meeting, units=[t.unit_a1, t.unit_a1_other])
        proposal = proposal_submit(user=t.root, alliance=t.community_a1, title="加装电梯")
        proposal_review(user=t.root, proposal=proposal, approve=True)
    return meeting


def _proposal_a1(t: Tree):
    from meetings.models import Proposal

    _meeting_a1(t)
    return Proposal.objects.filter(alliance=t.community_a1).order_by("pk").first()


def _resolution_a1(t: Tree):
    """An adopted resolution of community A1 (its meeting in session, both units present)."""
    from meetings.models import Resolution
    from meetings.services import (
        meeting_open,
        meeting_record_attendance,
        proposal_decide,
        proposal_schedule,
        vote_cast,
    )

    resolution = Resolution.objects.filter(alliance=t.community_a1).first()
    if resolution is None:
        meeting, proposal = _meeting_a1(t), _proposal_a1(t)
        proposal_schedule(user=t.root, proposal=proposal, meeting=meeting)
        meeting_open(user=t.root, meeting=meeting)
        for unit in (t.unit_a1, t.unit_a1_other):  # both signed in first: no vote without a quorum
            meeting_record_attendance(user=t.root, meeting=meeting, unit=unit, present=True)
        for unit in (t.unit_a1, t.unit_a1_other):
            vote_cast(user=t.root, proposal=proposal, unit=unit, choice="for")
        resolution = proposal_decide(user=t.root, proposal=proposal)
    return resolution


def _agreement_a1(t: Tree):
    """A published agreement of community A1 with unit A1, signed by both sides."""
    import datetime as dt

    from django.utils import timezone

    from agreements.models import Agreement
    from agreements.services import (
        agreement_create,
        agreement_publish,
        agreement_sign,
        clause_add,
        commitment_add,
    )

    agreement = Agreement.objects.filter(alliance=t.community_a1).order_by("pk").first()
    if agreement is None:
        start = timezone.localdate()
        agreement = agreement_create(user=t.root, alliance=t.community_a1, title="锦霞社区共建协议",
                                     term_start=start, term_end=start + dt.timedelta(days=364), units=[t.unit_a1])
        clause_add(user=t.root, agreement=agreement, text="物业公司每月公示公共收益。")
        unit_party = agreement.parties.get(unit=t.unit_a1)
        commitment_add(user=t.root, agreement=agreement, party=unit_party, title="公共收益公示",
                       recurrence="monthly", day_of_month=15)
        agreement_sign(user=t.liaison_a1, agreement=agreement, party=unit_party)
        agreement_sign(user=t.root, agreement=agreement, party=agreement.parties.get(unit__isnull=True))
        agreement_publish(user=t.root, agreement=agreement)
    return agreement


def _vote_a1(t: Tree):
    """A vote cast at community A1's meeting (the one that decided _resolution_a1)."""
    from meetings.models import Vote

    _resolution_a1(t)
    return Vote.objects.filter(proposal__alliance=t.community_a1).order_by("pk").first()


def _attachment_a1(t: Tree):
    """An attachment of community A1's first proposal (MEDIA_ROOT is a temporary directory here)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from meetings.models import ProposalAttachment
    from meetings.services import proposal_attach

    attachment = ProposalAttachment.objects.filter(proposal__alliance=t.community_a1).order_by("pk").first()
    if attachment is None:
        attachment = proposal_attach(user=t.root, proposal=_proposal_a1(t),
                                     uploaded_file=SimpleUploadedFile("方案.pdf", b"%PDF-1.4"))
    return attachment


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Attachments written by the routes above go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path


def _evidence_a1(t: Tree):
    """Evidence with a file, reported by unit A1's liaison once _agreement_a1 is performing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agreements.models import Evidence
    from agreements.services import agreement_perform, evidence_report

    evidence = Evidence.objects.filter(commitment__agreement__alliance=t.community_a1).order_by("pk").first()
    if evidence is None:
        agreement = _agreement_a1(t)
        agreement_perform(user=t.root, agreement=agreement)
        evidence = evidence_report(user=t.liaison_a1, commitment=agreement.commitments.order_by("pk").first(),
                                   text="公共收益已公示。", file=SimpleUploadedFile("公示照片.pdf", b"%PDF-1.4"))
    return evidence


def _agreements_state():
    from agreements.models import Agreement, Clause, Commitment, Evaluation, Evidence, Party

    return (
        list(Agreement.objects.order_by("pk").values_list("pk", "stage", "title", "content_hash")),
        list(Party.objects.order_by("pk").values_list("pk", "signed_at")),
        list(Clause.objects.order_by("pk").values_list("pk", "text")),
        list(Commitment.objects.order_by("pk").values_list("pk", "title")),
        Evidence.objects.count(), Evaluation.objects.count(),
    )


def _need_a1(t: Tree):
    """A published need of community A1, claimed (pending) by unit A1."""
    from agreements.models import Need
    from agreements.services import need_claim, need_create, need_publish

    need = Need.objects.filter(alliance=t.community_a1).order_by("pk").first()
    if need is None:
        need = need_publish(user=t.root, need=need_create(user=t.root, alliance=t.community_a1,
                                                          title="助餐志愿者", category="volunteers"))
        need_claim(user=t.liaison_a1, need=need, unit=t.unit_a1, note="每周两次")
    return need


def _claim_a1(t: Tree):
    return _need_a1(t).claims.order_by("pk").first()


def _resource_a1(t: Tree):
    from agreements.models import Resource
    from agreements.services import resource_create

    resource = Resource.objects.filter(alliance=t.community_a1).order_by("pk").first()
    return resource or resource_create(user=t.root, alliance=t.community_a1, unit=t.unit_a1, title="物业活动室",
                                       category="venue")


def _project_a1(t: Tree):
    """A project of community A1 led by unit A1, with one milestone."""
    from django.utils import timezone

    from agreements.models import Project
    from agreements.services import milestone_add, project_create

    project = Project.objects.filter(alliance=t.community_a1).order_by("pk").first()
    if project is None:
        project = project_create(user=t.root, alliance=t.community_a1, title="助餐项目", lead_unit=t.unit_a1)
        milestone_add(user=t.root, project=project, title="启动", due_on=timezone.localdate())
    return project


def _lists_state():
    from agreements.models import Claim, Milestone, Need, PointEntry, Project, Resource

    return (
        list(Resource.objects.order_by("pk").values_list("pk", "title", "available")),
        list(Need.objects.order_by("pk").values_list("pk", "title", "status")),
        list(Claim.objects.order_by("pk").values_list("pk", "status", "commitment_id")),
        list(Project.objects.order_by("pk").values_list("pk", "title", "status")),
        list(Milestone.objects.order_by("pk").values_list("pk", "title", "done_on")),
        PointEntry.objects.count(),
    )


def _draft_need_a1(t: Tree):
    """A draft need of community A1 (made after _need_a1, which takes the first need)."""
    from agreements.models import Need
    from agreements.services import need_create

    _need_a1(t)
    need = Need.objects.filter(alliance=t.community_a1, status="draft").order_by("pk").first()
    return need or need_create(user=t.root, alliance=t.community_a1, title="草稿需求", category="funds")


def _draft_row_route(kind: str, methods) -> Route:
    """A row under _agreement_a1 (clause, party, commitment): PATCH/DELETE /agreements/{pk}/<kind>s/{id}/."""
    def kwargs(t):
        agreement = _agreement_a1(t)
        row = {"clause": agreement.clauses, "party": agreement.parties.filter(unit__isnull=False),
               "commitment": agreement.commitments}[kind].order_by("pk").first()
        return {"pk": agreement.pk, f"{kind}_id": row.pk}
    return Route(kwargs, methods, payload=lambda t: {"text": "越界", "title": "越界"})


def _pk_route(get, methods=("post",), payload=None) -> Route:
    return Route(lambda t: {"pk": get(t).pk}, methods, payload=payload)


def _meetings_state():
    from meetings.models import (
        ActionItem,
        Attendance,
        Invitation,
        Meeting,
        MeetingRules,
        Proposal,
        ProposalAttachment,
        Proxy,
        Resolution,
        Vote,
    )

    return (
        list(Meeting.objects.order_by("pk").values_list("pk", "status")),
        list(Proposal.objects.order_by("pk").values_list("pk", "status", "meeting_id")),
        list(Resolution.objects.order_by("pk").values_list("pk", "published")),
        Invitation.objects.count(), Attendance.objects.count(), Vote.objects.count(), ActionItem.objects.count(),
        list(Proposal.objects.order_by("pk").values_list("merged_into_id", "major")),
        Proxy.objects.count(), ProposalAttachment.objects.count(),
        list(MeetingRules.objects.order_by("pk").values_list("quorum_numerator", "quorum_denominator")),
    )


def _webhook_subscription_a1(t: Tree):
    """A client of community A1 (registered by the district admin) with one subscription and one
    failed delivery (webhooks, #7)."""
    import uuid

    from django.test import override_settings

    from integrations.services import api_client_create
    from webhooks.models import WebhookDelivery, WebhookSubscription
    from webhooks.services import subscription_create

    sub = WebhookSubscription.objects.filter(alliance_path=t.community_a1.path).order_by("pk").first()
    if sub is None:
        client, _token = api_client_create(user=t.district_admin, alliance=t.community_a1, name="锦霞社区网格系统",
                                           scopes=["items:read"])
        with override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=True):  # no DNS lookup of the example host
            sub, _secret = subscription_create(user=t.district_admin, client=client, events=["item.created"],
                                               url="https://hooks.example.cn/alliance")
        WebhookDelivery.objects.create(tenant_id=sub.tenant_id, alliance_path=sub.alliance_path, subscription=sub,
                                       event_kind="item.created", event_id=uuid.uuid4(), payload={},
                                       status="failed", attempts=8)
    return sub


def _api_client_a1(t: Tree):
    """An API client registered on community A1 by the district admin (#7)."""
    from integrations.models import ApiClient
    from integrations.services import api_client_create

    client = ApiClient.objects.filter(alliance=t.community_a1, revoked_at__isnull=True).order_by("pk").first()
    if client is None:
        client, _token = api_client_create(user=t.district_admin, alliance=t.community_a1, name="锦霞社区12345",
                                           scopes=["items:read"])
    return client


def _webhook_delivery_a1(t: Tree):
    return _webhook_subscription_a1(t).deliveries.order_by("pk").first()


def _webhook_route(get, kwargs=lambda obj: {"pk": obj.pk}, methods=("post",), **extra) -> Route:
    return Route(lambda t: kwargs(get(t)), methods, owner=lambda t: t.district_admin, **extra)


def _audit_event_a1(t: Tree) -> str | None:
    """The newest audit event inside community A1 (a role given there), as the API names it."""
    from audit.models import RoleAuditEvent

    event = RoleAuditEvent.objects.filter(alliance_path=t.community_a1.path).order_by("-pgh_id").first()
    return None if event is None else f"{RoleAuditEvent._meta.label}:{event.pgh_id}"  # None on SQLite


def _party_member_a1(t: Tree):
    """A reported party member of community A1 with an account, working at unit A1 (#8)."""
    from party.models import PartyMember
    from party.services import party_member_create, report_create

    member = PartyMember.objects.filter(community=t.community_a1).order_by("pk").first()
    if member is None:
        from . import factories

        account = factories.user("party_a1", tenant=t.district.tenant)
        member = party_member_create(user=t.root, community=t.community_a1, name="张党员", phone="13812345678",
                                     employer_unit=t.unit_a1, account=account)
        report_create(user=account, member=member)
    return member


def _party_post_a1(t: Tree):
    from party.models import ServicePost
    from party.services import post_claim, post_create

    post = ServicePost.objects.filter(community=t.community_a1).order_by("pk").first()
    if post is None:
        post = post_create(user=t.root, community=t.community_a1, title="楼栋志愿者", kind="building", places=3)
        post_claim(user=t.root, post=post, member=_party_member_a1(t))
    return post


def _party_claim_a1(t: Tree):
    return _party_post_a1(t).claims.order_by("pk").first()


def _party_order_a1(t: Tree):
    from party.models import Order
    from party.services import order_take
    from tasks.services import item_create

    order = Order.objects.filter(member__community=t.community_a1).order_by("pk").first()
    if order is None:
        item, _created = item_create(user=None, alliance=t.community_a1, title="楼道灯不亮", source="demand",
                                     requester_phone="13600003333")
        order = order_take(user=t.root, member=_party_member_a1(t), item=item)
    return order


def _party_entry_a1(t: Tree):
    return _party_member_a1(t).point_entries.order_by("pk").first()


def _party_time_a1(t: Tree):
    from decimal import Decimal

    from party.models import TimeBankEntry

    member = _party_member_a1(t)
    entry = member.time_entries.order_by("pk").first()
    return entry or TimeBankEntry.objects.create(tenant_id=member.tenant_id, alliance_path=member.alliance_path,
                                                 member=member, hours=Decimal("2"), reason="楼栋服务")


def _export_job_a1(t: Tree):
    """A finished .xlsx export of community A1's dashboard, asked for by its secretary."""
    from dashboard.models import ExportJob
    from dashboard.services import export_job_create, export_job_run

    job = ExportJob.objects.filter(alliance=t.community_a1).order_by("pk").first()
    if job is None:
        job = export_job_create(user=t.community_secretary_a1, alliance=t.community_a1, kind="xlsx", quarter=None)
        export_job_run(job_id=job.pk)
    return job


ROUTES: dict[str, Route] = {
    # pages
    "alliance-detail": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "alliance-edit": Route(lambda t: {"pk": t.community_a1.pk}),
    "alliance-child-create": Route(lambda t: {"pk": t.community_a1.pk}, owner=lambda t: t.district_admin),
    "alliance-unit-list": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "unit-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "unit-import": Route(lambda t: {"pk": t.community_a1.pk}),
    "unit-import-template": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "membership-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "unit-detail": Route(lambda t: {"pk": t.unit_a1.pk}, ("get",)),
    "unit-edit": Route(lambda t: {"pk": t.unit_a1.pk}),
    "membership-edit": Route(lambda t: {"pk": _membership_a1(t).pk}),
    # API
    "api:alliance-list": Route(lambda t: {}, ("get",), list_id=lambda t: t.community_a1.pk),
    "api:alliance-detail": Route(lambda t: {"pk": t.community_a1.pk}, ("get", "patch"),
                                 payload=lambda t: {"name": "改名"}),
    "api:alliance-move": Route(lambda t: {"pk": t.community_a1.pk}, ("post",), owner=lambda t: t.district_admin,
                               payload=lambda t: {"parent": t.street_b.pk}),
    "api:alliance-ancestors": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "api:alliance-descendants": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "api:member-unit-list": Route(lambda t: {}, ("get",), list_id=lambda t: t.unit_a1.pk),
    "api:member-unit-detail": Route(lambda t: {"pk": t.unit_a1.pk}, ("get", "patch"),
                                    payload=lambda t: {"name": "改名"}),
    "api:membership-list": Route(lambda t: {}, ("get",), list_id=lambda t: _membership_a1(t).pk),
    "api:membership-detail": Route(lambda t: {"pk": _membership_a1(t).pk}, ("get", "patch"),
                                   payload=lambda t: {"left_on": "2099-01-01"}),
    # items
    "item-inbox": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "item-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "item-detail": _item_route(methods=("get",)),
    "item-action": _item_route("start"),
    "api:item-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _item_a1(t).pk),
    "api:item-detail": _item_route(methods=("get",)),
    "api:item-events": _item_route(methods=("get",)),
    **{f"api:item-{name}": _item_route() for name in (
        "claim", "start", "resolve", "reject", "escalate", "send-back", "confirm", "rate", "appeal", "decide")},
    # meetings
    "meeting-list": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "meeting-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "meeting-detail": _pk_route(_meeting_a1, methods=("get",)),
    "meeting-ics": _pk_route(_meeting_a1, methods=("get",)),
    "meeting-minutes": _pk_route(_meeting_a1, methods=("get",)),
    "meeting-action": Route(lambda t: {"pk": _meeting_a1(t).pk, "action": "open"}, ("post",)),
    "proposal-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "proposal-detail": _pk_route(_proposal_a1, methods=("get",)),
    "proposal-action": Route(lambda t: {"pk": _proposal_a1(t).pk, "action": "schedule"}, ("post",)),
    "api:meeting-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _meeting_a1(t).pk),
    "api:meeting-detail": _pk_route(_meeting_a1, methods=("get",)),
    "api:meeting-agenda": _pk_route(_meeting_a1, methods=("get",)),
    "api:meeting-report-back": _pk_route(_meeting_a1, methods=("get",)),
    "api:meeting-invite": _pk_route(_meeting_a1, payload=lambda t: {"units": [t.unit_a1.pk]}),
    "api:meeting-open": _pk_route(_meeting_a1),
    "api:meeting-attendance": _pk_route(_meeting_a1, payload=lambda t: {"unit": t.unit_a1.pk, "present": True}),
    "api:meeting-close": _pk_route(_meeting_a1),
    "api:proposal-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _proposal_a1(t).pk),
    "api:proposal-detail": _pk_route(_proposal_a1, methods=("get",)),
    "api:proposal-review": _pk_route(_proposal_a1, payload=lambda t: {"approve": False, "reason": "不予审定"}),
    "api:proposal-schedule": _pk_route(_proposal_a1, payload=lambda t: {"meeting": _meeting_a1(t).pk}),
    "api:proposal-vote": _pk_route(_proposal_a1, payload=lambda t: {"unit": t.unit_a1.pk, "choice": "for"}),
    "api:proposal-decide": _pk_route(_proposal_a1),
    "api:resolution-list": Route(lambda t: {}, ("get",), list_id=lambda t: _resolution_a1(t).pk),
    "api:resolution-detail": _pk_route(_resolution_a1, methods=("get",)),
    "api:resolution-assign-actions": _pk_route(_resolution_a1, payload=lambda t: {
        "actions": [{"unit": t.unit_a1.pk, "title": "越界事项", "due": "2099-12-31"}]}),
    "api:resolution-publish": _pk_route(_resolution_a1),
    # meetings: voting rules, proxies, votes, merging, attachments (#4)
    "meeting-rules": Route(lambda t: {"pk": t.community_a1.pk}, ("post",), payload=lambda t: {
        "quorum_numerator": 2, "quorum_denominator": 3, "major_numerator": 2, "major_denominator": 3,
        "max_proxies_per_unit": 1}),
    "proposal-attachment": Route(lambda t: {"pk": _attachment_a1(t).proposal_id,
                                            "attachment_pk": _attachment_a1(t).pk}, ("get",)),
    "api:vote-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _vote_a1(t).pk,
                           payload=lambda t: {"proposal": _proposal_a1(t).pk, "unit": t.unit_a1.pk,
                                              "choice": "for"}),
    "api:vote-detail": _pk_route(_vote_a1, methods=("get",)),
    "api:meeting-proxies": _pk_route(_meeting_a1, payload=lambda t: {"from_unit": t.unit_a1.pk,
                                                                     "to_unit": t.unit_a1_other.pk}),
    "api:meeting-revoke-proxy": _pk_route(_meeting_a1, payload=lambda t: {"from_unit": t.unit_a1.pk}),
    "api:proposal-merge": _pk_route(_proposal_a1, payload=lambda t: {"into": _proposal_a1(t).pk}),
    "api:proposal-attachments": _pk_route(_proposal_a1),
    "api:proposal-attachment-download": Route(lambda t: {"pk": _attachment_a1(t).proposal_id,
                                                         "attachment_id": _attachment_a1(t).pk}, ("get",)),
    # agreements: printing
    "agreement-pdf": _pk_route(_agreement_a1, methods=("get",)),
    "unit-obligations-pdf": Route(lambda t: {"pk": t.unit_a1.pk}, ("get",)),
    # agreements: the agreement pages (A3a)
    "agreement-list": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "agreement-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "agreement-detail": _pk_route(_agreement_a1, methods=("get",)),
    "agreement-action": Route(lambda t: {"pk": _agreement_a1(t).pk, "action": "perform"}, ("post",)),
    "agreement-evidence": Route(lambda t: {"pk": _evidence_a1(t).commitment.agreement_id,
                                           "evidence_pk": _evidence_a1(t).pk}, ("get",)),
    # agreements: the three lists, claims, a unit's obligations, the points ranking (A3b)
    "resource-list": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "resource-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "resource-edit": _pk_route(_resource_a1, methods=("get", "post")),
    "need-list": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "need-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "need-detail": _pk_route(_need_a1, methods=("get",)),
    "need-edit": _pk_route(_need_a1, methods=("get", "post")),
    "need-action": Route(lambda t: {"pk": _need_a1(t).pk, "action": "close"}, ("post",)),
    "claim-action": Route(lambda t: {"pk": _claim_a1(t).pk, "action": "decline"}, ("post",)),
    "project-list": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "project-create": Route(lambda t: {"pk": t.community_a1.pk}),
    "project-detail": _pk_route(_project_a1, methods=("get",)),
    "project-edit": _pk_route(_project_a1, methods=("get", "post")),
    "milestone-add": _pk_route(_project_a1),
    "milestone-done": Route(lambda t: {"pk": _project_a1(t).pk,
                                       "milestone_pk": _project_a1(t).milestones.order_by("pk").first().pk}, ("post",)),
    "unit-obligations": Route(lambda t: {"pk": t.unit_a1.pk}, ("get",)),
    "points-ranking": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    # agreements: the API (A2)
    "api:resource-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _resource_a1(t).pk),
    "api:resource-detail": _pk_route(_resource_a1, ("get", "patch"), payload=lambda t: {"title": "改名"}),
    "api:need-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _need_a1(t).pk),
    "api:need-detail": _pk_route(_draft_need_a1, ("get", "patch"), payload=lambda t: {"title": "改名"}),
    "api:need-publish": _pk_route(_draft_need_a1),
    "api:need-close": _pk_route(_need_a1, payload=lambda t: {"reason": "越界关闭"}),
    "api:need-claim": _pk_route(_draft_need_a1, payload=lambda t: {"unit": t.unit_a1.pk}),
    "api:need-matches": _pk_route(_need_a1, ("get",)),
    "api:claim-list": Route(lambda t: {}, ("get",), list_id=lambda t: _claim_a1(t).pk),
    "api:claim-detail": _pk_route(_claim_a1, ("get",)),
    "api:claim-confirm": _pk_route(_claim_a1, payload=lambda t: {"due_on": "2099-01-01"}),
    "api:claim-decline": _pk_route(_claim_a1, payload=lambda t: {"reason": "越界"}),
    "api:claim-withdraw": _pk_route(_claim_a1),
    "api:project-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _project_a1(t).pk),
    "api:project-detail": _pk_route(_project_a1, ("get", "patch"), payload=lambda t: {"title": "改名"}),
    "api:project-milestones": _pk_route(_project_a1, payload=lambda t: {"title": "越界", "due_on": "2099-01-01"}),
    "api:project-milestone-done": Route(lambda t: {"pk": _project_a1(t).pk, "milestone_id": _project_a1(
        t).milestones.order_by("pk").first().pk}, ("post",)),
    "api:agreement-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _agreement_a1(t).pk),
    "api:agreement-detail": _pk_route(_agreement_a1, ("get", "patch"), payload=lambda t: {"title": "改名"}),
    "api:agreement-parties": _pk_route(_agreement_a1, payload=lambda t: {"unit": t.unit_a1_other.pk}),
    "api:agreement-party": _draft_row_route("party", ("delete",)),
    "api:agreement-clauses": _pk_route(_agreement_a1, payload=lambda t: {"text": "越界条款"}),
    "api:agreement-clause": _draft_row_route("clause", ("patch", "delete")),
    "api:agreement-commitments": _pk_route(_agreement_a1, payload=lambda t: {
        "party": _agreement_a1(t).parties.get(unit=t.unit_a1).pk, "title": "越界", "recurrence": "monthly",
        "day_of_month": 1}),
    "api:agreement-commitment": _draft_row_route("commitment", ("patch", "delete")),
    **{f"api:agreement-{move}": _pk_route(_agreement_a1, payload=lambda t: {"reason": "越界", "score": 1})
       for move in ("sign", "publish", "perform", "evaluate", "terminate", "cancel", "amend", "rate")},
    "api:commitment-list": Route(lambda t: {}, ("get",),
                                 list_id=lambda t: _agreement_a1(t).commitments.order_by("pk").first().pk),
    "api:commitment-detail": Route(lambda t: {"pk": _agreement_a1(t).commitments.order_by("pk").first().pk},
                                   ("get",)),
    "api:commitment-report": Route(lambda t: {"pk": _agreement_a1(t).commitments.order_by("pk").first().pk},
                                   ("post",), payload=lambda t: {"text": "越界报告"}),
    "api:commitment-evidence-file": Route(lambda t: {"pk": _evidence_a1(t).commitment_id,
                                                     "evidence_id": _evidence_a1(t).pk}, ("get",)),
    "api:alliance-points-list": Route(lambda t: {"alliance_pk": t.community_a1.pk}, ("get",)),
    # dashboard (#6): the figures of a subtree, page and API
    "alliance-dashboard": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "api:stats-detail": Route(lambda t: {"alliance_id": t.community_a1.pk}, ("get",)),
    "alliance-dashboard-xlsx": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "alliance-dashboard-pdf": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "dashboard-export-create": Route(lambda t: {"pk": t.community_a1.pk}, ("post",),
                                     payload=lambda t: {"kind": "xlsx", "quarter": ""}),
    # export jobs are the owner's own (community A1's secretary here): everyone else gets 404
    "dashboard-export-detail": _pk_route(lambda t: _export_job_a1(t), ("get",)),
    "dashboard-export-status": _pk_route(lambda t: _export_job_a1(t), ("get",)),
    "dashboard-export-download": _pk_route(lambda t: _export_job_a1(t), ("get",)),
    # audit trail (#9): district admins and observers only
    "alliance-audit": Route(lambda t: {"pk": t.community_a1.pk}, ("get",), owner=lambda t: t.district_admin),
    "alliance-audit-export": Route(lambda t: {"pk": t.community_a1.pk}, ("get",), owner=lambda t: t.district_admin),
    "api:audit-event-list": Route(lambda t: {}, ("get",), owner=lambda t: t.district_admin, list_id=_audit_event_a1),
    "resolution-publish": _pk_route(_resolution_a1),
    "resolution-actions": _pk_route(_resolution_a1, payload=lambda t: {
        "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0", "actions-0-title": "越界事项",
        "actions-0-assignee": f"unit:{t.unit_a1.pk}", "actions-0-due": "2099-12-31"}),
    # privacy (#9): a person's data export and erasure, the district admin's at the tenant root only
    "privacy-export": Route(lambda t: {"pk": t.district.pk}, owner=lambda t: t.district_admin,
                            payload=lambda t: {"username": "liaison_a1", "format": "json"}),
    "privacy-erase": Route(lambda t: {"pk": t.district.pk}, owner=lambda t: t.district_admin,
                           payload=lambda t: {"username": "liaison_a1", "confirm_step": "1", "confirm": "on"}),
    # webhooks (#7): the district admin's pages under a client, and the API
    "webhook-subscription-list": _webhook_route(_webhook_subscription_a1, lambda s: {"pk": s.client_id}, ("get",)),
    "webhook-subscription-create": _webhook_route(_webhook_subscription_a1, lambda s: {"pk": s.client_id},
                                                  ("get", "post"), payload=lambda t: {
                                                      "url": "https://evil.example.cn/", "events": ["item.created"]}),
    "webhook-subscription-action": _webhook_route(_webhook_subscription_a1,
                                                  lambda s: {"pk": s.pk, "action": "delete"}),
    "webhook-delivery-list": _webhook_route(_webhook_subscription_a1, methods=("get",)),
    "webhook-delivery-replay": _webhook_route(_webhook_delivery_a1),
    "api:webhook-subscription-list": Route(lambda t: {}, ("get", "post"), owner=lambda t: t.district_admin,
                                           list_id=lambda t: _webhook_subscription_a1(t).pk),
    "api:webhook-subscription-detail": _webhook_route(_webhook_subscription_a1, methods=("get", "patch", "delete"),
                                                      payload=lambda t: {"url": "https://evil.example.cn/"}),
    "api:webhook-subscription-pause": _webhook_route(_webhook_subscription_a1),
    "api:webhook-subscription-resume": _webhook_route(_webhook_subscription_a1),
    "api:webhook-delivery-list": Route(lambda t: {}, ("get",), owner=lambda t: t.district_admin,
                                       list_id=lambda t: _webhook_delivery_a1(t).pk),
    "api:webhook-delivery-detail": _webhook_route(_webhook_delivery_a1, methods=("get",)),
    "api:webhook-delivery-replay": _webhook_route(_webhook_delivery_a1),
    # API clients (#7): the district admin's pages
    "api-client-list": Route(lambda t: {"pk": t.community_a1.pk}, ("get",), owner=lambda t: t.district_admin),
    "api-client-create": Route(lambda t: {"pk": t.community_a1.pk}, owner=lambda t: t.district_admin,
                               payload=lambda t: {"name": "越界", "scopes": ["items:read"],
                                                  "rate_limit_per_minute": 10}),
    "api-client-rotate": Route(lambda t: {"pk": _api_client_a1(t).pk}, owner=lambda t: t.district_admin,
                               payload=lambda t: {"confirm": True}),
    "api-client-revoke": Route(lambda t: {"pk": _api_client_a1(t).pk}, owner=lambda t: t.district_admin,
                               payload=lambda t: {"confirm": True}),
    # party members: reporting, posts, orders, points (#8)
    "party-members": Route(lambda t: {"pk": t.community_a1.pk}, payload=lambda t: {"name": "越界"}),
    "party-register": Route(lambda t: {"pk": t.community_a1.pk},
                            payload=lambda t: {"members": [_party_member_a1(t).pk]}),
    "party-posts": Route(lambda t: {"pk": t.community_a1.pk}, payload=lambda t: {"title": "越界", "places": 1}),
    "party-orders": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "party-ranking": Route(lambda t: {"pk": t.community_a1.pk}, ("get",)),
    "party-rules": Route(lambda t: {"pk": t.district.pk}, owner=lambda t: t.district_admin,
                         payload=lambda t: {"report": 1}),
    "party-unit-members": Route(lambda t: {"pk": t.unit_a1.pk}, ("get",)),
    "party-member-detail": _pk_route(_party_member_a1, methods=("get",)),
    "party-member-action": Route(lambda t: {"pk": _party_member_a1(t).pk, "action": "redeem"}, ("post",),
                                 payload=lambda t: {"hours": "1", "reason": "越界"}),
    "party-item-take": _pk_route(lambda t: _party_order_a1(t).item),
    "party-post-action": Route(lambda t: {"pk": _party_post_a1(t).pk, "action": "close"}, ("post",)),
    "party-claim-action": Route(lambda t: {"pk": _party_claim_a1(t).pk, "action": "confirm"}, ("post",)),
    "party-order-action": Route(lambda t: {"pk": _party_order_a1(t).pk, "action": "confirm"}, ("post",)),
    "party-point-reverse": _pk_route(_party_entry_a1, payload=lambda t: {"reason": "越界"}),
    "api:party-member-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _party_member_a1(t).pk),
    "api:party-member-detail": _pk_route(_party_member_a1, ("get", "patch"), payload=lambda t: {"name": "改名"}),
    "api:party-member-report": _pk_route(_party_member_a1),
    "api:party-report-list": Route(lambda t: {}, ("get",),
                                   list_id=lambda t: _party_member_a1(t).reports.order_by("pk").first().pk),
    "api:party-report-detail": Route(lambda t: {"pk": _party_member_a1(t).reports.order_by("pk").first().pk},
                                     ("get",)),
    "api:party-post-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _party_post_a1(t).pk),
    "api:party-post-detail": _pk_route(_party_post_a1, ("get",)),
    "api:party-post-claims": _pk_route(_party_post_a1, ("get",)),
    "api:party-post-claim": _pk_route(_party_post_a1, payload=lambda t: {"member": _party_member_a1(t).pk}),
    "api:party-post-confirm": _pk_route(_party_post_a1, payload=lambda t: {"claim": _party_claim_a1(t).pk}),
    "api:party-post-hours": _pk_route(_party_post_a1, payload=lambda t: {"claim": _party_claim_a1(t).pk,
                                                                         "hours": "2"}),
    "api:party-post-withdraw": _pk_route(_party_post_a1, payload=lambda t: {"claim": _party_claim_a1(t).pk}),
    "api:party-post-close": _pk_route(_party_post_a1),
    "api:party-order-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _party_order_a1(t).pk),
    "api:party-order-detail": _pk_route(_party_order_a1, ("get",)),
    **{f"api:party-order-{move}": _pk_route(_party_order_a1, payload=lambda t: {"note": "越界"})
       for move in ("confirm", "report", "resolve", "cancel")},
    "api:party-point-entry-list": Route(lambda t: {}, ("get",), list_id=lambda t: _party_entry_a1(t).pk),
    "api:party-point-entry-detail": _pk_route(_party_entry_a1, ("get",)),
    "api:party-point-entry-reverse": _pk_route(_party_entry_a1, payload=lambda t: {"reason": "越界"}),
    "api:party-time-bank-list": Route(lambda t: {}, ("get", "post"), list_id=lambda t: _party_time_a1(t).pk),
    "api:party-time-bank-detail": _pk_route(_party_time_a1, ("get",)),
}

NEIGHBOURS = {
    "secretary of the neighbouring street": lambda t: t.secretary_b,
    "secretary of the neighbouring community": lambda t: t.community_secretary_a2,
    "district admin of another tenant": lambda t: t.other_tenant_admin,
}


def _named_patterns(patterns, namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in EXEMPT_NAMESPACES:
                continue
            yield from _named_patterns(entry.url_patterns, ns if entry.namespace else namespace)
        elif isinstance(entry, URLPattern):
            name = entry.name
            if name is None:
                yield (namespace, str(entry.pattern))
                continue
            yield f"{namespace}:{name}" if namespace else name


def test_every_url_pattern_is_in_the_matrix():
    found = set()
    unnamed = []
    for item in _named_patterns(get_resolver().url_patterns):
        if isinstance(item, tuple):
            unnamed.append(item)
        else:
            found.add(item)
    missing = sorted(found - set(ROUTES) - set(EXEMPT))
    assert not unnamed, f"URL patterns without a name cannot be checked: {unnamed}"
    assert not missing, f"add these pages/endpoints to the permission matrix: {missing}"
    stale = sorted(set(ROUTES) - found)
    assert not stale, f"the matrix names patterns that no longer exist: {stale}"


def _request(client, method: str, url: str, payload: dict | None = None):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=payload or {}, content_type="application/json")


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_owner_reaches_it(name, tree, client):
    """The matrix can fail: the same URL opens for the user whose alliance it is."""
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(tree))
    expected_id = route.list_id(tree) if route.list_id else None
    client.force_login(route.owner(tree))
    response = client.get(url) if "get" in route.methods else None
    if response is not None:
        assert response.status_code == 200, response.content[:300]
        if expected_id is not None:
            assert expected_id in [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("neighbour", sorted(NEIGHBOURS))
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_neighbour_gets_404(name, neighbour, tree, client):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(tree))
    hidden_id = route.list_id(tree) if route.list_id else None
    client.force_login(NEIGHBOURS[neighbour](tree))
    from tasks.models import Item, ItemEvent

    items_before = list(Item.objects.order_by("pk").values_list("pk", "status", "alliance_id"))
    events_before = ItemEvent.objects.count()
    meetings_before = _meetings_state()
    agreements_before = _agreements_state()
    lists_before = _lists_state()
    units_before = list(MemberUnit.objects.order_by("pk").values_list("pk", "name", "credit_code", "alliance_path"))
    memberships_before = list(Membership.objects.order_by("pk").values_list("pk", "role", "left_on"))
    paths_before = list(tree.district.__class__.objects.order_by("pk").values_list(
        "path", "name", "code", "level", "is_active"))
    for method in route.methods:
        response = _request(client, method, url, payload=route.payload(tree) if route.payload else {})
        if route.list_id and method == "post":
            continue  # creating is checked by the services' tests: the body names the alliance
        if route.list_id and method == "get":
            assert response.status_code == 200
            assert hidden_id not in [row["id"] for row in response.json()["results"]]
        else:
            assert response.status_code == 404, (method, url, response.status_code)
    assert list(Item.objects.order_by("pk").values_list("pk", "status", "alliance_id")) == items_before
    assert ItemEvent.objects.count() == events_before
    assert _meetings_state() == meetings_before
    assert _agreements_state() == agreements_before
    assert _lists_state() == lists_before
    assert list(MemberUnit.objects.order_by("pk").values_list(
        "pk", "name", "credit_code", "alliance_path")) == units_before
    assert list(Membership.objects.order_by("pk").values_list("pk", "role", "left_on")) == memberships_before
    assert list(tree.district.__class__.objects.order_by("pk").values_list(
        "path", "name", "code", "level", "is_active")) == paths_before


UNIT_ROUTES = ["unit-detail", "unit-edit", "api:member-unit-detail"]


@pytest.mark.parametrize("name", UNIT_ROUTES)
def test_liaison_sees_only_its_own_unit(name, tree, client):
    client.force_login(tree.liaison_a1)
    own = client.get(reverse(name, kwargs={"pk": tree.unit_a1.pk}))
    other = client.get(reverse(name, kwargs={"pk": tree.unit_a1_other.pk}))
    assert other.status_code == 404
    # A liaison may read its unit, but editing is the community's job (403, it knows the unit exists).
    assert own.status_code == (403 if name == "unit-edit" else 200)


def test_liaison_lists_only_its_own_unit(tree, client):
    client.force_login(tree.liaison_a1)
    units = client.get(reverse("api:member-unit-list")).json()["results"]
    assert [u["id"] for u in units] == [tree.unit_a1.pk]
    memberships = client.get(reverse("api:membership-list")).json()["results"]
    assert {m["unit"] for m in memberships} == {tree.unit_a1.pk}
    page = client.get(reverse("alliance-unit-list", kwargs={"pk": tree.community_a1.pk}))
    assert tree.unit_a1.name in page.content.decode()
    assert tree.unit_a1_other.name not in page.content.decode()


def test_a_write_cannot_name_a_second_object_outside_the_scope(tree, client):
    """Each object a request names is fetched through the scope, not only the one in the URL."""
    client.force_login(tree.secretary_b)
    moved = client.post(reverse("api:alliance-move", kwargs={"pk": tree.community_b1.pk}),
                        {"parent": tree.street_a.pk}, content_type="application/json")
    assert moved.status_code == 404
    joined = client.post(reverse("api:membership-list"), {"unit": tree.unit_a1.pk, "alliance": tree.street_b.pk},
                         content_type="application/json")
    assert joined.status_code == 404
    page = client.post(reverse("membership-create", kwargs={"pk": tree.street_b.pk}),
                       {"unit": tree.unit_a1.pk, "role": "member"})
    assert page.status_code in (200, 404)
    raised = client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "越界"},
                         content_type="application/json")
    assert raised.status_code == 404
    assert not Membership.objects.filter(alliance=tree.street_b).exists()
    assert tree.district.__class__.objects.get(pk=tree.community_b1.pk).path.startswith(tree.street_b.path)


def test_the_owner_can_send_the_same_writes(tree, client):
    """The payloads above are real: the owner's identical requests succeed."""
    client.force_login(tree.district_admin)
    moved = client.post(reverse("api:alliance-move", kwargs={"pk": tree.community_a1.pk}),
                        {"parent": tree.street_b.pk}, content_type="application/json")
    assert moved.status_code == 200
    client.force_login(tree.community_secretary_a1)
    renamed = client.patch(reverse("api:member-unit-detail", kwargs={"pk": tree.unit_a1.pk}), {"name": "改名"},
                           content_type="application/json")
    assert renamed.status_code == 200 and MemberUnit.objects.get(pk=tree.unit_a1.pk).name == "改名"
