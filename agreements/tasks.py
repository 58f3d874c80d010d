"""Celery entry points. Thin: they call services, and are safe to run twice, or twice at once."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .models import Agreement, Stage
from .services import commitment_items_generate, points_award_fulfilled


@shared_task(acks_late=True)
def commitment_items_generate_task(batch_size: int = 200) -> int:
    """Daily: the due dates of performing agreements that come within the horizon become items.

    Each agreement is generated under its own row lock, so two runs at once make nothing twice.
    Returns how many items were made.
    """
    today = timezone.localdate()
    total, last_pk = 0, 0
    while True:
        ids = list(
            Agreement.objects.filter(stage=Stage.PERFORMING, term_end__gte=today, pk__gt=last_pk)
            .order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        for pk in ids:
            total += commitment_items_generate(agreement=Agreement(pk=pk), today=today)
        if len(ids) < batch_size:
            return total
        last_pk = ids[-1]


@shared_task(acks_late=True)
def points_award_task(batch_size: int = 500) -> int:
    """Hourly: points for the occurrences fulfilled and confirmed since the last run."""
    return points_award_fulfilled(batch_size=batch_size)
