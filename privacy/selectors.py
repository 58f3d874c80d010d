"""Reads of one person's data (个人信息查阅、复制): everything the platform holds about them.

Only the district admin of the tenant (MANAGE_TREE at its root) may read it. A person is a user
account, or a phone number (residents raise demands and rate agreements without an account).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Evaluation, Party
from alliance.models import Alliance
from alliance.roles import MANAGE_TREE
from alliance.selectors import alliance_get_for_user, user_scope
from audit.selectors import AuditFilters, audit_event_list, audit_rows
from meetings.models import Meeting, Proposal, Vote
from members.models import Membership, RoleAssignment, User
from tasks.models import Item, ItemEvent, Notification, Rating

# The sections of an export, in order, each with its sheet title.
SECTIONS = {
    "user": "账号",
    "roles": "角色",
    "liaison_memberships": "联络的成员关系",
    "items": "事项",
    "item_events": "事项操作记录",
    "item_ratings": "事项评价",
    "agreement_evaluations": "协议评价",
    "agreements_signed": "签署的协议",
    "proposals": "提出的议题",
    "votes": "表决票",
    "meetings": "会议",
    "notifications": "通知",
    "audit_events": "操作审计记录",
    "party_members": "在职党员",
    "party_records": "党员记录",
}
# User fields that are never exported: the password hash proves nothing to the person and would
# help whoever gets the file.
AUDIT_EVENTS_MAX = 10_000
USER_FIELDS = ("id", "username", "name", "phone", "email", "is_active", "date_joined", "last_login")


def privacy_root_get_for_user(*, user, pk) -> Alliance:
    """The tenant root on which `user` is district admin; anything else is the same 404."""
    alliance = alliance_get_for_user(user=user, pk=pk, perm=MANAGE_TREE)
    if alliance.depth != 1:
        raise Http404(_("没有找到该党建共同体。"))
    return alliance


def tenant_root(tenant_id: int) -> Alliance:
    return Alliance.objects.get(tenant_id=tenant_id, depth=1)


def require_privacy_officer(*, actor, root: Alliance) -> None:
    """Exports and erasure are the district organisation department's: MANAGE_TREE at the root."""
    if root.depth != 1 or not user_scope(actor).allows(MANAGE_TREE, root.path):
        raise PermissionDenied(_("只有本区组织部管理员可以导出或删除个人信息。"))


def normalise_phone(phone: str | None) -> str:
    return re.sub(r"[\s-]", "", str(phone or ""))


def _phone_q(field: str, phones: set[str]) -> Q:
    """Rows whose phone is one of `phones`, as typed or without spaces and dashes."""
    if not phones:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": sorted(phones)})


def person_find(*, root: Alliance, username: str = "", phone: str = "") -> tuple[User | None, str]:
    """The account (by username, or the one account of the tenant with that phone) and the phone.

    A phone that matches no account still finds a resident's demands and ratings."""
    username, phone = (username or "").strip(), normalise_phone(phone)
    if not username and not phone:
        raise ValidationError({"username": [_("请填写用户名或手机号。")]})
    in_tenant = User.objects.filter(
        Q(tenant_id=root.tenant_id) | Q(role_assignments__tenant_id=root.tenant_id), is_superuser=False
    ).distinct()
    if phone and not re.fullmatch(r"\+?\d{5,20}", phone):
        raise ValidationError({"phone": [_("请填写正确的手机号或座机号。")]})
    user = None
    if username:
        user = in_tenant.filter(username=username).first()
        if user is None:
            raise ValidationError({"username": [_("本区没有该用户名的账号。")]})
    elif phone:
        found = list(in_tenant.filter(phone=phone)[:2])
        user = found[0] if len(found) == 1 else None
    return user, phone


def _plain(value):
    """A value as JSON and a spreadsheet can hold it."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, dict)):
        return str(value)
    return value


def _rows(qs, fields) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in qs.values(*fields)]


def _party_sections(*, tenant_id: int, user: User | None, phones: set[str]) -> dict[str, list[dict]]:
    """The party app's rows (if the app is installed): the member rows and every row that points
    at them (reports, attendance, claims, orders, points…), read generically so that the export
    follows the party app's models as they grow."""
    if not apps.is_installed("party"):
        return {}
    try:
        member_model = apps.get_model("party", "PartyMember")
    except LookupError:
        return {}
    names = {f.name for f in member_model._meta.concrete_fields}
    q = Q(pk__in=[])
    if user is not None and "user" in names:
        q |= Q(user_id=user.pk)
    if "phone" in names and phones:
        q |= _phone_q("phone", phones)
    members = list(member_model.objects.filter(q, tenant_id=tenant_id).values())
    member_ids = [m["id"] for m in members]
    records: list[dict] = []
    if member_ids:
        for rel in member_model._meta.related_objects:
            if rel.one_to_many and rel.related_model._meta.app_label == "party":
                model = rel.related_model
                rows = model.objects.filter(**{f"{rel.field.name}_id__in": member_ids}).order_by("pk").values()
                for row in rows:
                    records.append({"kind": str(model._meta.verbose_name), **row})
    plain = lambda rows: [{k: _plain(v) for k, v in r.items()} for r in rows]  # noqa: E731
    return {"party_members": plain(members), "party_records": plain(records)}


def person_data_export(*, actor, user: User | None = None, phone: str | None = None,
                       root: Alliance | None = None) -> dict:
    """Everything held about one person in the tenant, for a data request (个人信息查阅、复制).

    The district admin of the tenant only. Returns {"subject", "generated_at", "sections": {kind:
    [rows]}}; `privacy.exporting` writes it as JSON and as an .xlsx with one sheet per kind."""
    if root is None:
        tenant_id = user.tenant_id if user is not None and user.tenant_id else None
        if tenant_id is None:
            tenants = user_scope(actor).tenant_ids
            if len(tenants) != 1:
                raise ValidationError({"root": [_("请指定租户。")]})
            tenant_id = next(iter(tenants))
        root = tenant_root(tenant_id)
    require_privacy_officer(actor=actor, root=root)
    tenant_id = root.tenant_id
    phones = {p for p in (normalise_phone(phone), (phone or "").strip()) if p}
    if user is not None and user.phone:
        phones |= {user.phone, normalise_phone(user.phone)}
    uid = user.pk if user is not None else None

    sections: dict[str, list[dict]] = {k: [] for k in SECTIONS}
    if user is not None:
        sections["user"] = [{k: _plain(getattr(user, k)) for k in USER_FIELDS} | {"tenant": str(root.tenant)}]
        sections["roles"] = _rows(
            RoleAssignment.objects.filter(user_id=uid, tenant_id=tenant_id).order_by("pk"),
            ("id", "role", "alliance__name", "member_unit__name", "created_at"))
        liaison_units = RoleAssignment.objects.filter(user_id=uid, tenant_id=tenant_id, member_unit__isnull=False)
        sections["liaison_memberships"] = _rows(
            Membership.objects.filter(unit_id__in=liaison_units.values("member_unit_id"), tenant_id=tenant_id)
            .order_by("pk"), ("id", "unit__name", "alliance__name", "role", "representative", "joined_on", "left_on"))
        sections["item_events"] = _rows(
            ItemEvent.objects.filter(actor_id=uid, tenant_id=tenant_id).order_by("pk"),
            ("id", "item__reference", "kind", "actor_label", "from_status", "to_status", "note", "created_at"))
        sections["item_ratings"] = _rows(
            Rating.objects.filter(by_user_id=uid, tenant_id=tenant_id).order_by("pk"),
            ("id", "item__reference", "score", "comment", "status", "appeal_reason", "created_at"))
        sections["agreements_signed"] = _rows(
            Party.objects.filter(signed_by_id=uid, tenant_id=tenant_id).order_by("pk"),
            ("id", "agreement__title", "name", "signer_name", "signed_at"))
        sections["proposals"] = _rows(
            Proposal.objects.filter(raised_by_user_id=uid, tenant_id=tenant_id).order_by("pk"),
            ("id", "title", "status", "raised_by_unit__name", "alliance__name"))
        sections["votes"] = _rows(
            Vote.objects.filter(cast_by_id=uid, tenant_id=tenant_id).order_by("pk"),
            ("id", "proposal__meeting__title", "proposal__title", "unit__name", "choice"))
        sections["meetings"] = _rows(
            Meeting.objects.filter(Q(convener_id=uid) | Q(attendances__recorded_by_id=uid), tenant_id=tenant_id)
            .distinct().order_by("pk"), ("id", "title", "alliance__name", "status", "convener_id"))
        sections["notifications"] = _rows(
            Notification.objects.filter(user_id=uid, tenant_id=tenant_id).order_by("pk"),
            ("id", "title", "body", "url", "created_at", "read_at"))
        # What the trail recorded of their own actions: when, what, from which address. Bounded: a
        # data request wants the record, not an archive dump; the audit export holds the rest.
        events = audit_event_list(user=actor, alliance=root, filters=AuditFilters(user_id=uid))[:AUDIT_EVENTS_MAX]
        sections["audit_events"] = [
            {"when": _plain(row["when"]), "action": str(row["action_label"]), "kind": str(row["kind_label"]),
             "object_id": row["object_id"], "object": row["object"], "ip": row["ip"], "where": row["where"]}
            for row in audit_rows(events)
        ]
    item_q = _phone_q("requester_phone", phones)
    if uid is not None:
        item_q |= Q(created_by_id=uid) | Q(assignee_user_id=uid)
    sections["items"] = _rows(
        Item.objects.filter(item_q, tenant_id=tenant_id).order_by("pk"),
        ("id", "reference", "title", "description", "source", "status", "origin__name", "alliance__name",
         "requester_name", "requester_phone", "created_by_id", "assignee_user_id", "created_at"))
    for row in sections["items"]:
        # An item the person raised for someone else, or took: that resident's contact is not theirs.
        if normalise_phone(row["requester_phone"]) not in phones:
            row["requester_name"] = row["requester_phone"] = ""
    evaluation_q = _phone_q("resident_phone", phones)
    if uid is not None:
        evaluation_q |= Q(rated_by_id=uid)
    sections["agreement_evaluations"] = _rows(
        Evaluation.objects.filter(evaluation_q, tenant_id=tenant_id).order_by("pk"),
        ("id", "agreement__title", "period", "rater_kind", "resident_name", "resident_phone", "score", "comment",
         "created_at"))
    sections.update(_party_sections(tenant_id=tenant_id, user=user, phones=phones))
    return {
        "subject": {"user_id": uid, "username": user.username if user else "", "phone": normalise_phone(phone)},
        "tenant": str(root.tenant),
        "generated_at": _plain(timezone.now()),
        "generated_by": actor.get_username(),
        "sections": sections,
    }
