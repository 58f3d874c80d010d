"""Reads of agreements and the three lists, scoped by the one subtree rule.

Secretaries, staff and observers see everything under their alliances; a liaison sees the
agreements its unit is party to, its unit's resources, and the published needs it may claim.
Single objects come from `*_get_for_user`, which answers "missing" and "not yours" alike.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from alliance.roles import VIEW, VIEW_ALL_UNITS
from alliance.selectors import user_scope
from members.selectors import liaison_unit_ids

from .models import FIVE_STAGES, Agreement, Clause, Commitment, Party, Stage

# Stages in which an agreement is public (亮约 and after), unless terminated or superseded.
PUBLIC_STAGES = (Stage.PUBLISHED, Stage.PERFORMING, Stage.EVALUATED)


def _agreement_q(user) -> Q | None:
    """The agreements the user may read; None means all (a superuser)."""
    scope = user_scope(user)
    if scope.is_superuser:
        return None
    q = scope.filter_q(VIEW_ALL_UNITS)
    own = liaison_unit_ids(user)
    if own:
        q |= scope.filter_q(VIEW) & Q(pk__in=Party.objects.filter(unit_id__in=sorted(own)).values("agreement_id"))
    return q


def agreement_list(*, user) -> QuerySet[Agreement]:
    qs = Agreement.objects.select_related("alliance")
    q = _agreement_q(user)
    return qs if q is None else qs.filter(q)


def agreement_get_for_user(*, user, pk) -> Agreement:
    """One agreement with its parties, clauses and commitments, for the agreement page and PDF."""
    try:
        return agreement_with_content(agreement_list(user=user)).get(pk=pk)
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该协议。")) from None


def agreement_with_content(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    """Prefetch what the agreement page, its PDF and its content hash read: a fixed number of queries."""
    return qs.select_related("alliance", "previous").prefetch_related(
        Prefetch("parties", queryset=Party.objects.select_related("unit", "signed_by").order_by("unit_id", "pk")),
        Prefetch("clauses", queryset=Clause.objects.order_by("position", "pk")),
        Prefetch(
            "commitments",
            queryset=Commitment.objects.select_related("party", "party__unit").order_by("position", "pk"),
        ),
    )


def agreement_get_public(*, token: str) -> Agreement:
    """The public page (亮约): by its secret-free token, only once published and while in force."""
    try:
        return agreement_with_content(Agreement.objects.filter(stage__in=PUBLIC_STAGES)).get(public_token=token)
    except Agreement.DoesNotExist:
        raise Http404(_("没有找到该协议。")) from None


def stage_bar(agreement: Agreement) -> list[dict]:
    """The five stages with done / current / todo, for the stage bar on pages and in the PDF."""
    stages = list(FIVE_STAGES)
    current = agreement.stage
    if current in (Stage.TERMINATED, Stage.SUPERSEDED):
        reached = [s for s, at in ((Stage.DRAFT, True), (Stage.SIGNED, agreement.signed_at),
                                   (Stage.PUBLISHED, agreement.published_at),
                                   (Stage.PERFORMING, agreement.performing_at),
                                   (Stage.EVALUATED, agreement.evaluated_at)) if at]
        current = reached[-1]
    index = stages.index(current)
    return [
        {"value": s.value, "label": s.label, "state": "done" if i < index else "current" if i == index else "todo"}
        for i, s in enumerate(stages)
    ]
