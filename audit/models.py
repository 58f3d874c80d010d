"""The audit trail: one append-only event table per audited model, filled by PostgreSQL triggers.

django-pghistory generates the event models and the triggers; the triggers see every write,
bulk `update()` and raw SQL included. Each event row is a snapshot of the tracked row (the new
row on insert and update, the old row on delete) with the request's or the task's context
(user, IP, URL, task name) stored in the row itself, so that nothing an event says can change
after it was written: the `append_only` trigger refuses UPDATE and DELETE on every event table.

Events keep `alliance_path` and `tenant_id` of the row at the time of the change: the audit
page scopes by these. The alliance events use the alliance's own `path`; the role events
(guardian rows) get their alliance's path from a trigger on the event table.

The triggers are not in migrations (PGTRIGGER_MIGRATIONS = False, see config/settings/base.py):
pgtrigger installs them after every `migrate`, so tracking models of other apps needs no
migration in those apps. On SQLite there are no triggers and the event tables stay empty.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from agreements.models import Agreement, Commitment
from alliance.models import Alliance, AllianceUserObjectPermission
from meetings.models import Proposal, Resolution, Vote
from members.models import Membership
from tasks.models import Item

from .query import AuditEventsQuerySet

LABELS = {"insert": _("新建"), "update": _("修改"), "delete": _("删除")}


def _track(tracked_model, model_name: str, *, short: str, path_field: str = "alliance_path",
           exclude: list[str] | None = None, attrs: dict | None = None, triggers: tuple = ()):
    """An event model in this app for `tracked_model`, with insert, update and delete trackers."""
    return pghistory.create_event_model(
        tracked_model,
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=exclude,
        # No reverse accessor on the tracked model, and no database constraint: deleting the
        # tracked row keeps its events.
        obj_field=pghistory.ObjForeignKey(related_name="+", related_query_name="+"),
        # The context is copied into each event row, so the append-only trigger protects it too.
        context_field=pghistory.ContextJSONField(),
        append_only=True,
        model_name=model_name,
        app_label="audit",
        abstract=False,
        # One INSERT … SELECT per statement: a bulk update of 500 items writes its 500 events at once.
        level=pghistory.Statement,
        attrs=attrs,
        meta={
            "verbose_name": _("审计事件(%(model)s)") % {"model": tracked_model._meta.verbose_name},
            "indexes": [
                models.Index(fields=[path_field], name=f"audit_{short}_path", opclasses=["varchar_pattern_ops"]),
                models.Index(fields=["pgh_created_at"], name=f"audit_{short}_created"),
            ],
            "triggers": list(triggers),
        },
    )


# treebeard's child counter changes whenever a child is added: not a change worth a record.
AllianceAuditEvent = _track(Alliance, "AllianceAuditEvent", short="alliance", path_field="path",
                            exclude=["numchild"])
MembershipAuditEvent = _track(Membership, "MembershipAuditEvent", short="membership")
AgreementAuditEvent = _track(Agreement, "AgreementAuditEvent", short="agreement")
CommitmentAuditEvent = _track(Commitment, "CommitmentAuditEvent", short="commitment")
ProposalAuditEvent = _track(Proposal, "ProposalAuditEvent", short="proposal")
VoteAuditEvent = _track(Vote, "VoteAuditEvent", short="vote")
ResolutionAuditEvent = _track(Resolution, "ResolutionAuditEvent", short="resolution")
# A resident's name and phone stay out of the trail: an erasure (privacy.person_erase) must be
# able to remove them, and the append-only event tables could never forget them. The follow
# token is a secret link.
ItemAuditEvent = _track(Item, "ItemAuditEvent", short="item",
                        exclude=["requester_name", "requester_phone", "follow_token"])
# Roles are guardian rows on an alliance: the event keeps that alliance's path and tenant, looked
# up when the event is written (the row itself carries neither).
RoleAuditEvent = _track(
    AllianceUserObjectPermission, "RoleAuditEvent", short="role",
    attrs={
        "alliance_path": models.CharField(max_length=255, null=True, editable=False),
        "tenant_id": models.BigIntegerField(null=True, editable=False),
    },
    triggers=(
        pgtrigger.Trigger(
            name="role_alliance_path",
            when=pgtrigger.Before,
            operation=pgtrigger.Insert,
            func=(
                f"SELECT path, tenant_id INTO NEW.alliance_path, NEW.tenant_id "
                f'FROM "{Alliance._meta.db_table}" WHERE id = NEW.content_object_id; RETURN NEW;'
            ),
        ),
    ),
)

EVENT_MODELS = (
    AllianceAuditEvent, MembershipAuditEvent, AgreementAuditEvent, CommitmentAuditEvent, ProposalAuditEvent,
    VoteAuditEvent, ResolutionAuditEvent, ItemAuditEvent, RoleAuditEvent,
)


class AuditEvent(Events):
    """All event tables as one queryset (pghistory's aggregate `Events`), with the context's fields.

    Read only through `audit.selectors`, which pushes the scope into each table's query.
    """

    user = pghistory.ProxyField(
        "pgh_context__user",
        models.ForeignKey("members.User", on_delete=models.DO_NOTHING, null=True, db_constraint=False,
                          related_name="+"),
    )
    ip = pghistory.ProxyField("pgh_context__ip", models.TextField(null=True))
    url = pghistory.ProxyField("pgh_context__url", models.TextField(null=True))
    task = pghistory.ProxyField("pgh_context__task", models.TextField(null=True))

    objects = AuditEventsQuerySet.as_manager()

    class Meta:
        proxy = True
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
