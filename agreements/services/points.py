"""积分: a unit's participation points, as ledger lines in PointEntry.

+10 for an occurrence of a commitment fulfilled on time (resolved by the end of its due day and
then confirmed or closed), +3 if late; (score − 3) × 2 for each party's rating of an agreement the
unit is party to (not for the unit's own rating); from the residents, one line per agreement and
period, (average − 3) × 2 rounded, recomputed with each resident rating (residents are not
verified, so many ratings must not add up to many points); +5 for a confirmed claim of a need,
once the agreement it went into is signed by every party. One line per source (unique (unit,
source_key)), so a sweep or a retry never counts anything twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Avg, CharField, Count, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from tasks.models import Status

from ..models import (
    Agreement,
    Claim,
    CommitmentItem,
    Evaluation,
    Party,
    PointEntry,
    PointReason,
    RaterKind,
)
from ._common import end_of_day

FULFILLED_ON_TIME = 10
FULFILLED_LATE = 3
CLAIM_CONFIRMED = 5


def rating_points(score: int) -> int:
    return (score - 3) * 2


def resident_points(average) -> int:
    """(average − 3) × 2, rounded half up: −4 … +4 for an agreement's year, however many rate."""
    return int(((Decimal(str(average)) - 3) * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _entries_save(entries: list[PointEntry]) -> int:
    """Insert the lines; one already there (same unit and source) is skipped, not doubled."""
    entries = [e for e in entries if e.points]
    PointEntry.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)


def award_evaluation(evaluation: Evaluation) -> int:
    """A party's rating: every unit party of the rated agreement except the rating party itself."""
    agreement = evaluation.agreement
    parties = Party.objects.filter(agreement_id=agreement.pk, unit__isnull=False).exclude(pk=evaluation.party_id or 0)
    value = rating_points(evaluation.score)
    note = _("《%(agreement)s》%(period)d年度评约 %(score)d分") % {
        "agreement": agreement.title[:100], "period": evaluation.period, "score": evaluation.score}
    return _entries_save([
        PointEntry(tenant_id=agreement.tenant_id, alliance_id=agreement.alliance_id,
                   alliance_path=agreement.alliance_path, unit_id=party.unit_id, points=value,
                   reason=PointReason.RATED, source_key=f"evaluation:{evaluation.pk}:{party.pk}", note=note[:200])
        for party in parties
    ])


def award_residents(agreement: Agreement, period: int) -> int:
    """The residents' rating of an agreement for a period: one line per unit party, source
    "residents:<agreement>:<period>", set to the points of the current average (updated in place,
    removed while the average earns none). The caller holds the agreement's row lock."""
    figures = Evaluation.objects.filter(agreement_id=agreement.pk, period=period,
                                        rater_kind=RaterKind.RESIDENT).aggregate(average=Avg("score"), n=Count("pk"))
    key = f"residents:{agreement.pk}:{period}"
    value = resident_points(figures["average"]) if figures["n"] else 0
    unit_ids = list(Party.objects.filter(agreement_id=agreement.pk, unit__isnull=False)
                    .order_by("pk").values_list("unit_id", flat=True))
    if not value:
        PointEntry.objects.filter(source_key=key).delete()
        return 0
    note = (_("《%(agreement)s》%(period)d年度居民评约:%(n)d人评价,平均%(average).1f分") % {
        "agreement": agreement.title[:100], "period": period, "n": figures["n"],
        "average": figures["average"]})[:200]
    for unit_id in unit_ids:
        PointEntry.objects.update_or_create(
            unit_id=unit_id, source_key=key,
            defaults={"points": value, "note": note},
            create_defaults={"points": value, "note": note, "tenant_id": agreement.tenant_id,
                             "alliance_id": agreement.alliance_id, "alliance_path": agreement.alliance_path,
                             "reason": PointReason.RATED},
        )
    return len(unit_ids)


def award_claim(claim: Claim) -> int:
    need = claim.need
    return _entries_save([PointEntry(
        tenant_id=need.tenant_id, alliance_id=need.alliance_id, alliance_path=need.alliance_path,
        unit_id=claim.unit_id, points=CLAIM_CONFIRMED, reason=PointReason.CLAIMED, source_key=f"claim:{claim.pk}",
        note=(_("认领需求:%(need)s") % {"need": need.title})[:200],
    )])


def _fulfilled_batch(batch_size: int) -> int:
    with transaction.atomic():
        awarded = PointEntry.objects.filter(source_key=OuterRef("key"))
        rows = list(
            CommitmentItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(commitment__party__unit__isnull=False, item__resolved_at__isnull=False)
            .filter(Q(item__status=Status.CLOSED) | Q(item__status=Status.RESOLVED, item__confirmed_at__isnull=False))
            .annotate(key=Concat(Value("occurrence:"), Cast("pk", CharField()), output_field=CharField()))
            .filter(~Exists(awarded))
            .order_by("pk")
            .values_list("pk", "due_on", "item__resolved_at", "commitment__party__unit_id",
                         "commitment__agreement__alliance_id", "commitment__agreement__title", "tenant_id",
                         "alliance_path")[:batch_size]
        )
        entries = []
        for pk, due_on, resolved_at, unit_id, alliance_id, title, tenant_id, path in rows:
            on_time = resolved_at <= end_of_day(due_on)
            entries.append(PointEntry(
                tenant_id=tenant_id, alliance_id=alliance_id, alliance_path=path, unit_id=unit_id,
                points=FULFILLED_ON_TIME if on_time else FULFILLED_LATE,
                reason=PointReason.FULFILLED if on_time else PointReason.FULFILLED_LATE,
                source_key=f"occurrence:{pk}",
                note=(_("《%(agreement)s》%(day)s 履约") % {"agreement": title[:100], "day": due_on})[:200],
            ))
        _entries_save(entries)
        return len(rows)


def points_award_fulfilled(*, today: dt.date | None = None, batch_size: int = 500) -> int:
    """Ledger lines for occurrences fulfilled and confirmed (or closed) since the last run.

    Idempotent and safe with two sweeps at once (rows locked with SKIP LOCKED, unique source keys).
    Runs in batches, each in its own transaction; returns how many lines were written. `today` is
    accepted for symmetry with the other sweeps: whether an occurrence was on time is decided by
    its own dates (resolved by the end of its due day), not by the day of the sweep.
    """
    total = 0
    while True:
        handled = _fulfilled_batch(batch_size)
        total += handled
        if handled < batch_size:
            return total
