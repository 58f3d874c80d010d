"""The `data` of each event, built by the apps that emit it from objects they already hold.

Ids, alliance, status, title and timestamps only: nothing personal (no resident name or phone,
no description or comment a resident wrote). This module reads attributes and never imports the
higher apps' models, so the dependency stays one way.
"""

from __future__ import annotations

from .models import EventKind
from .services import Event, alliance_ref, event_emit, events_emit, iso

# What `item_row_payload` reads, for callers that fetch plain rows (the escalation sweep).
ITEM_ROW_FIELDS = (
    "pk", "tenant_id", "reference", "title", "category", "source", "status", "escalations", "due_at",
    "created_at", "resolved_at", "closed_at", "alliance_id", "alliance__name", "alliance_path",
    "origin_id", "origin__name", "origin_path",
)


def item_row_payload(row: dict) -> dict:
    return {
        "item": {
            "id": row["pk"], "reference": row["reference"], "title": row["title"], "category": row["category"],
            "source": row["source"], "status": row["status"], "escalations": row["escalations"],
            "due_at": iso(row["due_at"]), "created_at": iso(row["created_at"]),
            "resolved_at": iso(row["resolved_at"]), "closed_at": iso(row["closed_at"]),
        },
        "alliance": {"id": row["alliance_id"], "name": row["alliance__name"], "path": row["alliance_path"]},
        "origin": {"id": row["origin_id"], "name": row["origin__name"], "path": row["origin_path"]},
    }


def _item_row(item) -> dict:
    return {
        "pk": item.pk, "tenant_id": item.tenant_id, "reference": item.reference, "title": item.title,
        "category": item.category, "source": item.source, "status": item.status,
        "escalations": item.escalations, "due_at": item.due_at, "created_at": item.created_at,
        "resolved_at": item.resolved_at, "closed_at": item.closed_at,
        "alliance_id": item.alliance.pk, "alliance__name": item.alliance.name, "alliance_path": item.alliance.path,
        "origin_id": item.origin.pk, "origin__name": item.origin.name, "origin_path": item.origin.path,
    }


def emit_item(kind: str, item, **extra) -> None:
    """An item event. It goes to the clients over the item's origin: they see the item wherever it
    is handled (the handler is always the origin or above it), as the item selector does."""
    payload = item_row_payload(_item_row(item))
    payload.update(extra)
    event_emit(kind=kind, tenant_id=item.tenant_id, alliance_path=item.origin_path, payload=payload)


def emit_items_escalated(rows) -> None:
    """item.escalated for many items at once (the sweep): `rows` are dicts of ITEM_ROW_FIELDS."""
    events_emit(events=[
        Event(kind=EventKind.ITEM_ESCALATED, tenant_id=row["tenant_id"], alliance_path=row["origin_path"],
              payload=item_row_payload(row))
        for row in rows
    ])


def emit_agreement(kind: str, agreement) -> None:
    event_emit(kind=kind, tenant_id=agreement.tenant_id, alliance_path=agreement.alliance_path, payload={
        "agreement": {
            "id": agreement.pk, "title": agreement.title, "stage": agreement.stage, "version": agreement.version,
            "term_start": iso(agreement.term_start), "term_end": iso(agreement.term_end),
            "content_hash": agreement.content_hash, "signed_at": iso(agreement.signed_at),
            "published_at": iso(agreement.published_at),
        },
        "alliance": alliance_ref(agreement.alliance),
    })


def emit_resolution(kind: str, resolution) -> None:
    event_emit(kind=kind, tenant_id=resolution.tenant_id, alliance_path=resolution.alliance_path, payload={
        "resolution": {
            "id": resolution.pk, "text": resolution.text, "adopted": resolution.adopted,
            "votes_for": resolution.votes_for, "votes_against": resolution.votes_against,
            "votes_abstain": resolution.votes_abstain, "decided_at": iso(resolution.decided_at),
            "published_at": iso(resolution.published_at), "publish_scope": resolution.publish_scope,
        },
        "meeting": {"id": resolution.meeting.pk, "title": resolution.meeting.title,
                    "starts_at": iso(resolution.meeting.starts_at)},
        "alliance": alliance_ref(resolution.alliance),
    })
