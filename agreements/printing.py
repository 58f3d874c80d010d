"""What agreements print: the agreement itself and a unit's obligations, as PDF (WeasyPrint).

Thin like a view: the selectors read (scoped, prefetched) and this module arranges what they
return for the templates in templates/pdf/, then renders them through `alliance.pdf.render_pdf`.
Its one query of its own, `commitment_progress`, counts the occurrences of an agreement that the
caller has already fetched through a selector. The public page (亮约) shares the arrangement, so
the printed and the public agreement say the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from django.db.models import Count, Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from alliance.pdf import qr_svg, render_pdf
from tasks.models import OPEN_STATUSES, Status

from .models import Agreement, Commitment, CommitmentItem, Recurrence
from .selectors import PUBLIC_STAGES

# An occurrence counts as carried out once its item is resolved (办结) or closed.
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)

# Characters that a file name may not hold on one system or another.
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _day(value) -> str:
    return formats.date_format(value, "Y年n月j日") if value else ""


def recurrence_text(commitment: Commitment) -> str:
    """When a commitment falls due, in words: "每月15日", "2026年3月1日前"."""
    day = commitment.day_of_month
    if commitment.recurrence == Recurrence.ONCE:
        return _("%(date)s前") % {"date": _day(commitment.due_on)} if commitment.due_on else _("一次性")
    if commitment.recurrence == Recurrence.MONTHLY:
        return _("每月%(day)s日") % {"day": day}
    if commitment.recurrence == Recurrence.QUARTERLY:
        return _("每季度首月(1、4、7、10月)%(day)s日") % {"day": day}
    if commitment.recurrence == Recurrence.YEARLY:
        return _("每年%(month)s月%(day)s日") % {"month": commitment.agreement.term_start.month, "day": day}
    return commitment.get_recurrence_display()


def public_url(agreement: Agreement, *, request) -> str:
    return request.build_absolute_uri(reverse("public-agreement", kwargs={"token": agreement.public_token}))


def is_public(agreement: Agreement) -> bool:
    return agreement.stage in PUBLIC_STAGES


def parties_with_commitments(agreement: Agreement, *, progress: dict[int, dict] | None = None) -> list[dict]:
    """Each party with its own commitments, in the agreement's order; reads only prefetched rows."""
    progress = progress or {}
    # The initiating organisation first, then the units in the order they were added.
    parties = sorted(agreement.parties.all(), key=lambda party: party.unit_id is not None)
    by_party: dict[int, list[Commitment]] = {party.pk: [] for party in parties}
    for commitment in agreement.commitments.all():
        commitment.agreement = agreement  # recurrence_text reads the term without a query
        by_party.setdefault(commitment.party_id, []).append(commitment)
    return [
        {"party": party, "commitments": [
            {"commitment": c, "when": recurrence_text(c), "progress": progress.get(c.pk)} for c in by_party[party.pk]
        ]}
        for party in parties
    ]


def agreement_context(agreement: Agreement, *, request, progress: dict[int, dict] | None = None) -> dict:
    """What the PDF and the public page show of an agreement (prefetched by agreement_with_content)."""
    shown = is_public(agreement)
    url = public_url(agreement, request=request) if shown else ""
    return {
        "agreement": agreement,
        "parties": parties_with_commitments(agreement, progress=progress),
        "clauses": list(agreement.clauses.all()),
        "content_hash": agreement.content_hash or _("(未签署,尚未生成)"),
        "public_url": url,
        "qr": qr_svg(url) if url else "",
        "printed_at": timezone.now(),
    }


def commitment_progress(agreement: Agreement, *, today=None) -> dict[int, dict]:
    """Per commitment: occurrences done (item resolved or closed), due, overdue and in all. One query."""
    today = today or timezone.localdate()
    rows = (
        CommitmentItem.objects.filter(commitment__agreement_id=agreement.pk)
        .values("commitment_id")
        .annotate(
            done=Count("pk", filter=Q(item__status__in=DONE_STATUSES)),
            # Due by today, or done ahead of time: "done / due" never reads 1 / 0.
            due=Count("pk", filter=Q(due_on__lte=today) | Q(item__status__in=DONE_STATUSES)),
            overdue=Count("pk", filter=Q(due_on__lt=today, item__status__in=OPEN_STATUSES)),
            total=Count("pk"),
        )
        .order_by()
    )
    return {row.pop("commitment_id"): row for row in rows}


def agreement_pdf(agreement: Agreement, *, request) -> bytes:
    return render_pdf("pdf/agreement.html", agreement_context(agreement, request=request), request=request)


def agreement_filename(agreement: Agreement) -> str:
    title = _UNSAFE_FILENAME.sub("_", agreement.title).strip(" ._") or _("共建协议")
    return f"{title}-v{agreement.version}.pdf"


def unit_obligations_context(unit, obligations: Iterable[Commitment], *, request) -> dict:
    """The unit's commitments (as `selectors.unit_obligations` returns them: occurrences prefetched,
    `next_due_on` set) grouped by agreement, the agreement with the soonest due date first."""
    today = timezone.localdate()
    groups: list[dict] = []
    by_agreement: dict[int, dict] = {}
    for commitment in obligations:
        agreement = commitment.agreement
        group = by_agreement.get(agreement.pk)
        if group is None:
            group = by_agreement[agreement.pk] = {"agreement": agreement, "rows": []}
            groups.append(group)
        occurrences = [
            {"due_on": o.due_on, "item": o.item, "overdue": o.item.status in OPEN_STATUSES and o.due_on < today}
            for o in commitment.occurrences.all()
        ]
        group["rows"].append({
            "commitment": commitment, "when": recurrence_text(commitment), "next_due_on": commitment.next_due_on,
            "occurrences": occurrences,
        })
    return {"unit": unit, "groups": groups, "printed_at": timezone.now(), "today": today}


def unit_obligations_pdf(unit, obligations: Iterable, *, request) -> bytes:
    context = unit_obligations_context(unit, obligations, request=request)
    return render_pdf("pdf/obligations.html", context, request=request)


def unit_obligations_filename(unit) -> str:
    name = _UNSAFE_FILENAME.sub("_", unit.name).strip(" ._") or _("成员单位")
    return _("%(name)s-履约清单.pdf") % {"name": name}


def pdf_response(content: bytes, filename: str, *, ascii_fallback: str) -> HttpResponse:
    """A PDF download: `filename*` (RFC 5987) carries the Chinese name, `filename` an ASCII one."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response["Content-Length"] = str(len(content))
    return response
