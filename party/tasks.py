"""Celery entry points of the party-member work. Thin, idempotent, safe to run twice at once."""

from __future__ import annotations

from celery import shared_task

from .services import orders_award_ratings


@shared_task(acks_late=True)
def award_party_rating_points_task(limit: int = 500) -> int:
    """Points for orders whose demand the resident rated well. Each order earns them once (the
    ledger's unique award rule), so a doubled or missed run is harmless."""
    return orders_award_ratings(limit=limit)
