"""Reads of the audit trail, scoped: district admins and observers see the events of their subtree.

Who may read it: the district organisation department (MANAGE_TREE) and observers. An observer's
role is the one that sees all units (VIEW_ALL_UNITS) without managing them (MANAGE_MEMBERSHIP):
secretaries and staff hold both, so a node where VIEW_ALL_UNITS holds and no MANAGE_MEMBERSHIP
subtree covers it is an observer's node. Everything comes from `user_scope` (no extra query).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.models import Alliance
from alliance.roles import MANAGE_MEMBERSHIP, MANAGE_TREE, VIEW_ALL_UNITS
from alliance.selectors import Scope, alliance_get_for_user, user_scope
from members.models import User

from . import models
from .models import LABELS, AuditEvent
from .query import AuditEventsQuerySet

EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class Kind:
    key: str
    event_model: type
    label: Any
    title_fields: tuple[str, ...]
    # (URL name, the snapshot's column that holds the URL's pk)
    link: tuple[str, str] | None


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("alliance", models.AllianceAuditEvent, gettext_lazy("党建共同体"), ("name",), ("alliance-detail", "id")),
    Kind("membership", models.MembershipAuditEvent, gettext_lazy("成员关系"), (), ("unit-detail", "unit_id")),
    Kind("agreement", models.AgreementAuditEvent, gettext_lazy("共建协议"), ("title",), ("agreement-detail", "id")),
    Kind("commitment", models.CommitmentAuditEvent, gettext_lazy("承诺事项"), ("title",),
         ("agreement-detail", "agreement_id")),
    Kind("proposal", models.ProposalAuditEvent, gettext_lazy("议题"), ("title",), ("proposal-detail", "id")),
    Kind("vote", models.VoteAuditEvent, gettext_lazy("表决票"), (), ("proposal-detail", "proposal_id")),
    Kind("resolution", models.ResolutionAuditEvent, gettext_lazy("决议"), ("text",), ("meeting-detail", "meeting_id")),
    Kind("item", models.ItemAuditEvent, gettext_lazy("事项"), ("title",), ("item-detail", "id")),
    Kind("role", models.RoleAuditEvent, gettext_lazy("角色"), (), ("alliance-detail", "content_object_id")),
)}
KIND_BY_EVENT_MODEL = {k.event_model._meta.label: k for k in KINDS.values()}


def audit_supported() -> bool:
    """The trail is written by PostgreSQL triggers: other databases (the SQLite demo) have none."""
    return connection.vendor == "postgresql"


def _audit_prefixes(scope: Scope) -> tuple[str, ...]:
    managed = scope.prefixes.get(MANAGE_MEMBERSHIP, ())
    observed = tuple(p for p in scope.prefixes.get(VIEW_ALL_UNITS, ())
                     if not any(p.startswith(m) for m in managed))
    return tuple(sorted(set(scope.prefixes.get(MANAGE_TREE, ())) | set(observed)))


def audit_allowed(*, user, path: str) -> bool:
    scope = user_scope(user)
    return scope.is_superuser or any(path.startswith(p) for p in _audit_prefixes(scope))


def audit_alliance_get_for_user(*, user, pk) -> Alliance:
    """The alliance whose trail the user reads: 404 when it is not theirs, 403 when they see the
    alliance but hold no role that reads its trail."""
    alliance = alliance_get_for_user(user=user, pk=pk)
    if not audit_allowed(user=user, path=alliance.path):
        raise PermissionDenied(_("只有区委组织部管理员和观察员可以查看审计日志。"))
    return alliance


@dataclass(frozen=True)
class AuditFilters:
    kind: str | None = None
    label: str | None = None
    user_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    obj_id: int | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_event_list(*, user, alliance: Alliance | None = None,
                     filters: AuditFilters | None = None) -> AuditEventsQuerySet:
    """Events in the user's audit scope (and in `alliance`'s subtree when given), newest first."""
    scope = user_scope(user)
    qs = AuditEvent.objects.across(*[k.event_model for k in KINDS.values()])
    if not audit_supported():
        return qs.none()
    if not scope.is_superuser:
        qs = qs.pushdown(subtrees=((tuple(sorted(scope.tenant_ids)), _audit_prefixes(scope)),))
    qs = audit_event_filter(qs, alliance=alliance, filters=filters or AuditFilters())
    return qs.select_related("user").order_by("-pgh_created_at", "-pgh_slug")


def audit_event_filter(qs: AuditEventsQuerySet, *, alliance: Alliance | None,
                       filters: AuditFilters) -> AuditEventsQuerySet:
    """Narrow a scoped event queryset (page and API share it); the alliance must come from
    `audit_alliance_get_for_user`."""
    if filters.kind in KINDS:
        qs = qs.across(KINDS[filters.kind].event_model)
    if alliance is not None:
        qs = qs.pushdown(within=(alliance.tenant_id, alliance.path))
    return qs.pushdown(
        label=filters.label if filters.label in LABELS else None,
        user_id=filters.user_id,
        obj_id=filters.obj_id,
        since=_day_start(filters.since) if filters.since else None,
        # The last day the calendar has is no bound at all (and has no next day to stop before).
        until=_day_start(filters.until + dt.timedelta(days=1)) if filters.until and filters.until < dt.date.max else None,
    )


def audit_event_list_for_user(*, user) -> AuditEventsQuerySet:
    """Every event the user may read (the API narrows it with its query parameters)."""
    return audit_event_list(user=user)


# Presentation of events (page, export and API share it) -------------------------------------

def _field_map(event_model) -> dict[str, Any]:
    """column → the tracked model's field (or the event model's, for the role event's extras)."""
    fields = {f.column: f for f in event_model._meta.fields}
    fields.update({f.column: f for f in event_model.pgh_tracked_model._meta.fields})
    return fields


def _display(field, value) -> str:
    if value is None or value == "":
        return "—"
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and field.is_relation:
        return f"#{value}"
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _field_label(field, column: str) -> str:
    if field is None:
        return column
    name = str(field.verbose_name)
    return column if name == field.name.replace("_", " ") else name


def audit_rows(events) -> list[dict]:
    """Each event as a row a person can read: when, who, from where, what, and what changed.

    Two queries at most besides the events' own, for role events: the permissions' names and
    the names of the users who were given or lost them."""
    events = list(events)
    role_data = [e.pgh_data for e in events if e.pgh_model == models.RoleAuditEvent._meta.label and e.pgh_data]
    permissions = dict(Permission.objects.filter(pk__in={d.get("permission_id") for d in role_data})
                       .values_list("pk", "name")) if role_data else {}
    grantees = {u.pk: str(u) for u in User.objects.filter(pk__in={d.get("user_id") for d in role_data})
                .only("pk", "username", "name")} if role_data else {}
    rows = []
    for event in events:
        kind = KIND_BY_EVENT_MODEL.get(event.pgh_model)
        data = event.pgh_data or {}
        fields = _field_map(kind.event_model) if kind else {}
        changes = [
            {"field": _field_label(fields.get(column), column),
             "before": _display(fields.get(column), pair[0]), "after": _display(fields.get(column), pair[1])}
            for column, pair in sorted((event.pgh_diff or {}).items())
            if column not in {"pgh_context", "pgh_context_id", "pgh_obj_id"}
        ]
        title = next((str(data[f]) for f in (kind.title_fields if kind else ()) if data.get(f)), "")
        if kind and kind.key == "role":
            title = _("%(user)s:%(permission)s") % {
                "user": grantees.get(data.get("user_id"), f"#{data.get('user_id')}"), "permission": permissions.get(data.get("permission_id"), "")}
        elif kind and kind.key == "membership":
            title = _("成员单位 #%(unit)s 加入 #%(alliance)s") % {"unit": data.get("unit_id"),
                                                              "alliance": data.get("alliance_id")}
        elif kind and kind.key == "vote":
            title = _("成员单位 #%(unit)s 对议题 #%(proposal)s 的表决") % {
                "unit": data.get("unit_id"), "proposal": data.get("proposal_id")}
        url = None
        if kind and kind.link and data.get(kind.link[1]) is not None and event.pgh_label != "delete":
            try:
                url = reverse(kind.link[0], args=[data[kind.link[1]]])
            except NoReverseMatch:  # pragma: no cover - a route renamed elsewhere
                url = None
        context = event.pgh_context or {}
        user: User | None = event.user
        rows.append({
            "id": event.pgh_slug,
            "when": event.pgh_created_at,
            "action": event.pgh_label,
            "action_label": LABELS.get(event.pgh_label, event.pgh_label),
            "kind": kind.key if kind else event.pgh_obj_model,
            "kind_label": kind.label if kind else event.pgh_obj_model,
            "object_id": event.pgh_obj_id,
            "object": title[:80],
            "url": url,
            "user_id": context.get("user"),
            "user": (user.get_full_name() or user.username) if user is not None else None,
            "username": user.username if user is not None else None,
            "ip": context.get("ip"),
            "where": context.get("url") or context.get("task"),
            "task": context.get("task"),
            "changes": changes,
            "data": data,
            "diff": event.pgh_diff or {},
        })
    return rows
