"""Reads of agreements and the three lists, scoped by the one subtree rule.

Secretaries, staff and observers see everything under their alliances; a liaison sees the
agreements its unit is party to (whatever alliance they belong to, within its tenant: a unit may
sign with a community other than the one its liaison role sits on), its unit's resources, and
the published needs it may claim.
Single objects come from `*_get_for_user`, which answers "missing" and "not yours" alike.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Length
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import VIEW, VIEW_ALL_UNITS
from alliance.selectors import alliance_ancestor_paths, user_scope
from members.models import Membership, MemberUnit
from members.selectors import liaison_unit_ids, member_unit_list
from tasks.models import OPEN_STATUSES, Status

from .models import (
    FIVE_STAGES,
    Agreement,
    Claim,
    Clause,
    Commitment,
    CommitmentItem,
    Evidence,
    Milestone,
    Need,
    NeedStatus,
    Party,
    PointEntry,
    Project,
    Recurrence,
    Resource,
    Stage,
)

# Stages in which an agreement is public (亮约 and after), unless terminated or superseded.
PUBLIC_STAGES = (Stage.PUBLISHED, Stage.PERFORMING, Stage.EVALUATED)


def working_memberships(alliance: Alliance) -> QuerySet[Membership]:
    """The active memberships that let a unit work with `alliance`: in the alliance itself or in one
    above it (a unit that joined the street's alliance works with the street's communities too).
    The one place this rule is written; services and pages both read it."""
    paths = [*alliance_ancestor_paths(alliance.path), alliance.path]
    return Membership.objects.filter(tenant_id=alliance.tenant_id, alliance_path__in=paths, left_on__isnull=True)


def working_units(*, user, alliance: Alliance) -> QuerySet[MemberUnit]:
    """The member units the user sees that may work with `alliance` (working_memberships)."""
    return member_unit_list(user=user).filter(
        pk__in=working_memberships(alliance).values("unit_id")).order_by("name", "pk")


def _agreement_q(user) -> Q | None:
    """The agreements the user may read; None means all (a superuser).

    Everything under the alliances where the user sees all units; for a liaison, also the
    agreements of its tenant that its unit is party to, whatever the alliance (as meetings'
    invitations: the unit may be a member of an alliance above or beside the liaison's own).
    """
    scope = user_scope(user)
    if scope.is_superuser:
        return None
    q = scope.filter_q(VIEW_ALL_UNITS, path_field="alliance_path")
    own = liaison_unit_ids(user)
    if own:
        party_to = Party.objects.filter(unit_id__in=sorted(own)).values("agreement_id")
        q |= Q(tenant_id__in=sorted(scope.tenant_ids), pk__in=party_to)
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


# An amendment chain is a handful of versions; the bound only guards against a loop in bad data.
_MAX_CHAIN = 100


def agreement_public_successor(*, token: str) -> Agreement | None:
    """For the token of a version that an amendment superseded (its QR code may hang printed on a
    wall): the newest public version down its chain of amendments, or None. Cancelled amendments
    are not followed; a version not (yet) public is passed over to the one after it, if any."""
    current = Agreement.objects.filter(public_token=token, stage=Stage.SUPERSEDED).only("pk").first()
    found = None
    for _step in range(_MAX_CHAIN):
        if current is None:
            break
        current = (Agreement.objects.filter(previous_id=current.pk).exclude(stage=Stage.CANCELLED)
                   .only("pk", "stage", "public_token").first())
        if current is not None and current.stage in PUBLIC_STAGES:
            found = current
    return found


def stage_bar(agreement: Agreement) -> list[dict]:
    """The five stages with done / current / todo, for the stage bar on pages and in the PDF."""
    stages = list(FIVE_STAGES)
    current = agreement.stage
    if current in (Stage.TERMINATED, Stage.SUPERSEDED, Stage.CANCELLED):
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


# --- the schedule of a commitment ----------------------------------------------------------

# Months between two due dates, and which months count: quarterly in January, April, July and
# October; yearly in the month the term starts in; monthly in every month.
_STEP = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.YEARLY: 12}


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _due_in_month(index: int, day_of_month: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, day_of_month)


def _anchor(commitment: Commitment, agreement: Agreement) -> int:
    """A month index the due months are counted from (any month of the right residue)."""
    if commitment.recurrence == Recurrence.YEARLY:
        return agreement.term_start.month - 1
    return 0  # monthly: every month; quarterly: January (0), April (3), ...


def commitment_next_due_on(commitment: Commitment, *, agreement: Agreement, on_or_after: dt.date) -> dt.date | None:
    """The first due date of the commitment on or after `on_or_after`, within the term; None if
    there is none. Computed directly, whatever the length of the term."""
    term_start, term_end = agreement.term_start, agreement.term_end
    if commitment.recurrence == Recurrence.ONCE:
        due = commitment.due_on
        ok = due is not None and term_start <= due <= term_end and due >= on_or_after
        return due if ok else None
    step, day = _STEP.get(commitment.recurrence), commitment.day_of_month
    start = max(on_or_after, term_start)
    if step is None or not day or start > term_end:
        return None
    index = _month_index(start)
    index += (_anchor(commitment, agreement) - index) % step
    if _due_in_month(index, day) < start:
        index += step
    if index // 12 > term_end.year:
        return None
    due = _due_in_month(index, day)
    return due if due <= term_end else None


def commitment_due_dates(commitment: Commitment, *, agreement: Agreement, start: dt.date,
                         end: dt.date) -> list[dt.date]:
    """The due dates of a commitment between start and end (inclusive), within the term.

    Once: its single date (whatever the window, as long as it lies in the term). Monthly: each
    month on day_of_month; quarterly: January, April, July and October; yearly: the month the term
    starts in. Steps from one due date to the next (never month by month over the window).
    """
    if commitment.recurrence == Recurrence.ONCE:
        due = commitment_next_due_on(commitment, agreement=agreement, on_or_after=agreement.term_start)
        return [due] if due is not None else []
    end = min(end, agreement.term_end)
    due = commitment_next_due_on(commitment, agreement=agreement, on_or_after=start)
    if due is None or due > end:
        return []
    step, index, days = _STEP[commitment.recurrence], _month_index(due), []
    while due <= end:
        days.append(due)
        index += step
        if index // 12 > end.year:
            break
        due = _due_in_month(index, commitment.day_of_month)
    return days


def commitment_due_count(commitment: Commitment, *, agreement: Agreement, start: dt.date, end: dt.date) -> int:
    """How many due dates fall between start and end (inclusive) within the term, by arithmetic."""
    first = commitment_next_due_on(commitment, agreement=agreement, on_or_after=start)
    end = min(end, agreement.term_end)
    if first is None or first > end:
        return 0
    if commitment.recurrence == Recurrence.ONCE:
        return 1
    step = _STEP[commitment.recurrence]
    last = _month_index(end) - (_month_index(end) - _month_index(first)) % step
    if _due_in_month(last, commitment.day_of_month) > end:
        last -= step
    return (last - _month_index(first)) // step + 1


def commitment_next_unmade(commitment: Commitment, *, agreement: Agreement, on_or_after: dt.date,
                           made) -> dt.date | None:
    """The first due date on or after `on_or_after` that has no occurrence yet (`made`: the due
    dates that have one). Steps over made dates only, so at most len(made) + 1 steps."""
    due = commitment_next_due_on(commitment, agreement=agreement, on_or_after=on_or_after)
    while due is not None and due in made:
        due = commitment_next_due_on(commitment, agreement=agreement, on_or_after=due + dt.timedelta(days=1))
    return due


# --- the three lists -----------------------------------------------------------------------

def _scoped(qs: QuerySet, user, own_q) -> QuerySet:
    """Everything under the alliances where the user sees all units, plus `own_q(units)` for a liaison."""
    scope = user_scope(user)
    if scope.is_superuser:
        return qs
    q = scope.filter_q(VIEW_ALL_UNITS, path_field="alliance_path")
    own = liaison_unit_ids(user)
    if own:
        q |= own_q(sorted(own))
    return qs.filter(q)


def _get(qs: QuerySet, pk, message: str):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(message) from None


def resource_list(*, user) -> QuerySet[Resource]:
    """Resources of the user's alliances; for a liaison, its own unit's."""
    qs = Resource.objects.select_related("alliance", "unit")
    return _scoped(qs, user, lambda units: Q(unit_id__in=units))


def resource_get_for_user(*, user, pk) -> Resource:
    return _get(resource_list(user=user), pk, _("没有找到该资源。"))


def _member_paths(unit_ids) -> list[str]:
    return sorted(set(
        Membership.objects.filter(unit_id__in=unit_ids, left_on__isnull=True).values_list("alliance_path", flat=True)
    ))


def need_list(*, user) -> QuerySet[Need]:
    """Needs of the user's alliances. A liaison sees the published (and claimed) needs of the
    alliances its unit is a member of and of the alliances below them, and the needs its unit claimed."""
    qs = Need.objects.select_related("alliance")

    def own_q(units):
        q = Q(pk__in=Claim.objects.filter(unit_id__in=units).values("need_id"))
        paths = _member_paths(units)
        if paths:
            under = Q()
            for path in paths:
                under |= Q(alliance_path__startswith=path)
            q |= Q(status__in=(NeedStatus.PUBLISHED, NeedStatus.CLAIMED)) & under
        return q

    return _scoped(qs, user, own_q)


def need_get_for_user(*, user, pk) -> Need:
    return _get(need_list(user=user), pk, _("没有找到该需求。"))


def claim_list(*, user) -> QuerySet[Claim]:
    qs = Claim.objects.select_related("need", "need__alliance", "unit", "commitment", "commitment__agreement")
    return _scoped(qs, user, lambda units: Q(unit_id__in=units))


def claim_get_for_user(*, user, pk) -> Claim:
    return _get(claim_list(user=user), pk, _("没有找到该认领。"))


def project_list(*, user) -> QuerySet[Project]:
    qs = Project.objects.select_related("alliance", "lead_unit")
    return _scoped(qs, user, lambda units: Q(lead_unit_id__in=units))


def project_get_for_user(*, user, pk) -> Project:
    """One project with its needs, resources and milestones."""
    qs = project_list(user=user).prefetch_related(
        "needs", Prefetch("resources", queryset=Resource.objects.select_related("unit")),
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_on", "pk")),
    )
    return _get(qs, pk, _("没有找到该项目。"))


def commitment_list(*, user) -> QuerySet[Commitment]:
    """Commitments of the agreements the user may read (a liaison: those its unit is party to)."""
    qs = Commitment.objects.select_related("agreement", "agreement__alliance", "party", "party__unit")
    q = _agreement_q(user)
    if q is None:
        return qs
    return qs.filter(agreement__in=Agreement.objects.filter(q).values("pk"))


def commitment_get_for_user(*, user, pk) -> Commitment:
    """One commitment with its occurrences (and their items) and evidence."""
    qs = commitment_list(user=user).prefetch_related(
        Prefetch("occurrences", queryset=CommitmentItem.objects.select_related("item").order_by("due_on")),
        Prefetch("evidence", queryset=Evidence.objects.select_related("reported_by").order_by("-created_at", "-pk")),
    )
    return _get(qs, pk, _("没有找到该承诺事项。"))


def need_matches(*, user, need: Need) -> QuerySet[Resource]:
    """For a need: available resources of the same category in the need's alliance and its parent.

    Those who manage or observe the need's alliance see the parent's resources too (that is the
    point of matching); a liaison only its own unit's.
    """
    if not need_list(user=user).filter(pk=need.pk).exists():
        raise Http404(_("没有找到该需求。"))
    paths = [need.alliance_path]
    if len(need.alliance_path) > Alliance.steplen:
        paths.append(need.alliance_path[: -Alliance.steplen])
    today = timezone.localdate()
    qs = Resource.objects.select_related("alliance", "unit").filter(
        tenant_id=need.tenant_id, alliance_path__in=paths, category=need.category, available=True,
    ).filter(Q(available_until__isnull=True) | Q(available_until__gte=today))
    if not user_scope(user).allows(VIEW_ALL_UNITS, need.alliance_path):
        qs = qs.filter(pk__in=resource_list(user=user).values("pk"))
    # The need's own alliance first, then the parent's.
    return qs.order_by(Length("alliance_path").desc(), "title", "pk")


# --- obligations, progress, points ---------------------------------------------------------

IN_FORCE = (Stage.SIGNED, Stage.PUBLISHED, Stage.PERFORMING, Stage.EVALUATED)


def unit_obligations(*, user, unit: MemberUnit, today: dt.date | None = None) -> list[Commitment]:
    """"What we owe, and when": the unit's commitments in agreements in force, each with its
    occurrences (items prefetched) and `next_due_on` (the earliest unfinished occurrence, else the
    next date of its schedule), soonest first."""
    if not member_unit_list(user=user).filter(pk=unit.pk).exists():
        raise Http404(_("没有找到该成员单位。"))
    today = today or timezone.localdate()
    commitments = list(
        commitment_list(user=user).filter(party__unit_id=unit.pk, agreement__stage__in=IN_FORCE)
        .prefetch_related(Prefetch("occurrences", queryset=CommitmentItem.objects.select_related("item")
                                   .order_by("due_on")))
        .order_by("agreement_id", "position", "pk")
    )
    for c in commitments:
        unfinished = [o.due_on for o in c.occurrences.all() if o.item.status in OPEN_STATUSES]
        if unfinished:
            c.next_due_on = unfinished[0]
        else:
            made = {o.due_on for o in c.occurrences.all()}
            c.next_due_on = commitment_next_unmade(c, agreement=c.agreement, on_or_after=today, made=made)
    commitments.sort(key=lambda c: (c.next_due_on is None, c.next_due_on or today, c.pk))
    return commitments


def unit_drafts_to_sign(*, user, unit: MemberUnit, limit: int = 50) -> list[Agreement]:
    """Drafts the user may read in which the unit has still to sign, newest first: where a liaison
    finds the agreements waiting for its signature, whichever alliance drafted them. One query."""
    return list(
        agreement_list(user=user)
        .filter(stage=Stage.DRAFT, parties__unit_id=unit.pk, parties__signed_at__isnull=True)
        .order_by("-created_at", "-pk")[:limit]
    )


def agreement_progress(agreement: Agreement, *, today: dt.date | None = None) -> dict[str, int]:
    """Counts of the agreement's occurrences: total, done (resolved or closed), open, overdue (open
    past their due date), rejected. One query."""
    today = today or timezone.localdate()
    open_q = Q(item__status__in=OPEN_STATUSES)
    return CommitmentItem.objects.filter(commitment__agreement_id=agreement.pk).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(item__status__in=(Status.RESOLVED, Status.CLOSED))),
        open=Count("pk", filter=open_q),
        overdue=Count("pk", filter=open_q & Q(due_on__lt=today)),
        rejected=Count("pk", filter=Q(item__status=Status.REJECTED)),
    )


def points_ranking(*, user, alliance: Alliance) -> QuerySet[MemberUnit]:
    """Units with their points earned in the alliance and the alliances below it (`total_points`),
    highest first."""
    if not user_scope(user).allows(VIEW, alliance.path):
        raise Http404(_("没有找到该党建共同体。"))
    return (
        MemberUnit.objects.filter(point_entries__tenant_id=alliance.tenant_id,
                                  point_entries__alliance_path__startswith=alliance.path)
        .annotate(total_points=Sum("point_entries__points"), entries=Count("point_entries"))
        .order_by("-total_points", "name", "pk")
    )


def point_entries(*, user, alliance: Alliance, unit: MemberUnit | None = None) -> QuerySet[PointEntry]:
    """The ledger lines behind the ranking (for one unit, if given), newest first."""
    if not user_scope(user).allows(VIEW, alliance.path):
        raise Http404(_("没有找到该党建共同体。"))
    qs = PointEntry.objects.select_related("unit", "alliance").filter(
        tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path)
    return qs if unit is None else qs.filter(unit_id=unit.pk)
