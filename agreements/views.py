"""Agreement pages (HTML, thin): they call agreements.services and agreements.selectors."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from alliance.forms import add_service_error
from alliance.pdf import qr_svg
from alliance.roles import HANDLE_ITEMS, VIEW
from alliance.selectors import (
    alliance_ancestor_paths,
    alliance_breadcrumb,
    alliance_get_for_user,
    user_scope,
)
from alliance.services import require_permission
from alliance.uploads import upload_too_large, upload_too_large_message
from members.models import MemberUnit
from members.selectors import (
    alliance_memberships,
    liaison_unit_ids,
    member_unit_get_for_user,
    member_unit_list,
)
from tasks.models import OPEN_STATUSES, Status
from tasks.selectors import item_list

from . import printing, selectors, services
from .forms import (
    AgreementEditForm,
    AgreementForm,
    CancelForm,
    ClaimConfirmForm,
    ClauseForm,
    CommitmentForm,
    EvidenceForm,
    MilestoneForm,
    NeedForm,
    PartyRatingForm,
    ProjectForm,
    ResourceForm,
    TerminateForm,
)
from .models import (
    ClaimStatus,
    CommitmentItem,
    Evaluation,
    Evidence,
    NeedStatus,
    Party,
    PointReason,
    Priority,
    ProjectStatus,
    Resource,
    ResourceCategory,
    Stage,
)

# --- printing and the public page (亮约) -----------------------------------------------------


@login_required
@require_GET
def agreement_pdf(request, pk):
    """The agreement as PDF, for whoever may read it."""
    agreement = selectors.agreement_get_for_user(user=request.user, pk=pk)
    return printing.pdf_response(
        printing.agreement_pdf(agreement, request=request), printing.agreement_filename(agreement),
        ascii_fallback=f"agreement-{agreement.pk}-v{agreement.version}.pdf",
    )


@login_required
@require_GET
def unit_obligations_pdf(request, pk):
    """What a unit owes across its agreements, and when: for whoever sees the unit (a liaison: its own)."""
    unit = member_unit_get_for_user(user=request.user, pk=pk)
    obligations = selectors.unit_obligations(user=request.user, unit=unit)
    return printing.pdf_response(
        printing.unit_obligations_pdf(unit, obligations, request=request), printing.unit_obligations_filename(unit),
        ascii_fallback=f"unit-{unit.pk}-obligations.pdf",
    )


class ResidentRatingForm(forms.Form):
    """评约 on the public page: a resident rates the agreement once a period (the service decides)."""

    score = forms.TypedChoiceField(label=gettext_lazy("评分"), coerce=int, widget=forms.RadioSelect,
                                   choices=[(i, "★" * i) for i in range(5, 0, -1)])
    name = forms.CharField(label=gettext_lazy("称呼"), max_length=60)
    phone = forms.RegexField(label=gettext_lazy("联系电话"), regex=r"^\+?[0-9][0-9 -]{6,18}$", max_length=20,
                             help_text=gettext_lazy("只用于核实,每个号码每年度评价一次,不会公开。"),
                             error_messages={"invalid": gettext_lazy("请填写正确的手机号或座机号。")})
    comment = forms.CharField(label=gettext_lazy("评价意见"), widget=forms.Textarea(attrs={"rows": 3}),
                              required=False, max_length=2000)


# The limit keys on REMOTE_ADDR (django-ratelimit's "ip"). Behind a reverse proxy every resident
# would share the proxy's address (one limit for the whole town), so a deployment behind a proxy
# must make REMOTE_ADDR the client's address. gunicorn does so with the PROXY protocol
# (`--proxy-protocol --proxy-allow-from=<proxy address>`, the proxy sending PROXY headers);
# `--forwarded-allow-ips` alone only decides whose X-Forwarded-* headers gunicorn trusts, it
# leaves REMOTE_ADDR the socket's peer (gunicorn 27). Never take X-Forwarded-For from anyone
# but the known proxy: a client can write it.
@ratelimit(key="ip", rate="10/h", method="POST", block=False)
def public_agreement(request, token):
    """亮约: a published agreement for residents, no login, with their rating form. The address of
    a version an amendment superseded (its QR code may be printed) leads to the version in force."""
    try:
        agreement = selectors.agreement_get_public(token=token)
    except Http404:
        successor = selectors.agreement_public_successor(token=token)
        if successor is None:
            raise
        return redirect("public-agreement", token=successor.public_token)
    form = ResidentRatingForm(request.POST or None)
    limited = request.method == "POST" and getattr(request, "limited", False)
    if request.method == "POST":
        if limited:
            form.is_valid()
            form.add_error(None, _("提交太频繁,请稍后再试。"))
        elif form.is_valid():
            try:
                services.evaluation_add_resident(agreement=agreement, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("谢谢您的评价。"))
                return redirect("public-agreement", token=token)
    # The signers' personal names only for those who may read the agreement anyway; residents see
    # which party signed and when.
    show_signers = request.user.is_authenticated and selectors.agreement_list(user=request.user).filter(
        pk=agreement.pk).exists()
    return render(request, "agreements/public_agreement.html", {
        **printing.agreement_context(agreement, request=request, progress=printing.commitment_progress(agreement)),
        "summary": selectors.agreement_progress(agreement),
        "form": form, "may_rate": "rate" in services.agreement_moves(agreement), "show_signers": show_signers,
    }, status=429 if limited else 200)


# --- the agreement pages: the list, a new draft, the agreement and its moves (A3a) ------------

AGREEMENT_PAGE_SIZE = 20


def _is_handler(user, path: str) -> bool:
    """The initiating organisation's secretaries and staff (HANDLE_ITEMS); the services decide again."""
    return user_scope(user).allows(HANDLE_ITEMS, path)


def _alliance_member_units(user, alliance):
    """The alliance's active member units the user sees, for the checkboxes of a new draft."""
    unit_ids = alliance_memberships(user=user, alliance=alliance).values("unit_id")
    return member_unit_list(user=user).filter(pk__in=unit_ids).order_by("name", "pk")


def _initiator_first(parties) -> list:
    return sorted(parties, key=lambda party: (party.unit_id is not None, party.pk))


# Reads of the agreement pages. Each is one query over one agreement (or one page of them) that the
# selectors module has no batch form of yet.

def _progress_of(agreements) -> dict[int, dict]:
    """Occurrences in all, done and overdue, per agreement of a list page: one query for the page
    (agreement_progress per row would be a query each)."""
    today = timezone.localdate()
    open_q = Q(item__status__in=OPEN_STATUSES)
    rows = (
        CommitmentItem.objects.filter(commitment__agreement_id__in=[a.pk for a in agreements])
        .values("commitment__agreement_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(item__status__in=(Status.RESOLVED, Status.CLOSED))),
                  overdue=Count("pk", filter=open_q & Q(due_on__lt=today)))
        .order_by()
    )
    return {row.pop("commitment__agreement_id"): row for row in rows}


def _occurrences_of(agreement) -> list:
    return list(CommitmentItem.objects.filter(commitment__agreement_id=agreement.pk)
                .select_related("item").order_by("due_on", "pk"))


def _evidence_of(agreement) -> list:
    return list(Evidence.objects.filter(commitment__agreement_id=agreement.pk)
                .select_related("reported_by", "occurrence").order_by("-created_at", "-pk"))


def _evaluations_of(agreement) -> list:
    return list(Evaluation.objects.filter(agreement_id=agreement.pk).select_related("party")
                .order_by("-period", "-created_at", "-pk"))


@login_required
def agreement_list(request, pk):
    """共建协议 of an alliance and the alliances below it: by stage, by title or party, paginated.
    A liaison sees only those its unit is party to (the selector's scope)."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    agreements = selectors.agreement_list(user=request.user).filter(
        tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path)
    own_level = request.GET.get("level") == "own"
    if own_level:
        agreements = agreements.filter(alliance_id=alliance.pk)
    stage = request.GET.get("stage", "")
    if stage in Stage.values:
        agreements = agreements.filter(stage=stage)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        agreements = agreements.filter(
            Q(title__icontains=query)
            | Q(pk__in=Party.objects.filter(tenant_id=alliance.tenant_id, name__icontains=query).values("agreement_id"))
        )
    agreements = agreements.prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("unit_id", "pk"))
    ).order_by("-created_at", "-pk")
    page = Paginator(agreements, AGREEMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    progress = _progress_of(rows) if rows else {}
    for agreement in rows:
        agreement.party_list = _initiator_first(agreement.parties.all())
        agreement.progress = progress.get(agreement.pk)
    page.object_list = rows
    return render(request, "agreements/agreement_list.html", {
        "alliance": alliance, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "page": page, "stage": stage, "stages": Stage.choices, "query": query, "own_level": own_level,
        "can_create": _is_handler(request.user, alliance.path),
    })


@login_required
def agreement_create(request, pk):
    """谈约: a new draft between the initiating organisation and member units of the alliance."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    # The form is only for those the service will let through (the one rule: require_permission).
    require_permission(user=request.user, alliance=alliance, perm=HANDLE_ITEMS)
    today = timezone.localdate()
    initial = {"term_start": today.isoformat(), "term_end": (today + dt.timedelta(days=364)).isoformat()}
    form = AgreementForm(request.POST or None, units=_alliance_member_units(request.user, alliance),
                         initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        units = list(data.pop("units"))
        try:
            agreement = services.agreement_create(user=request.user, alliance=alliance, units=units, **data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已起草协议“%(title)s”,请添加条款和承诺事项。") % {"title": agreement.title})
            return redirect("agreement-detail", pk=agreement.pk)
    return render(request, "agreements/agreement_form.html", {
        "form": form, "alliance": alliance, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
    })


def _draft_context(user, agreement, *, handler: bool, own: frozenset, parties, commitments) -> dict:
    """谈约: who may edit what while nobody has signed (the services decide again)."""
    editable = "edit" in services.agreement_moves(agreement) and not agreement.content_hash
    if not editable:
        return {"editable": False}
    party_units = {p.unit_id for p in parties if p.unit_id is not None}
    may_edit = handler or bool(own & party_units)
    # A liaison writes its own unit's promises only.
    own_parties = parties if handler else [p for p in parties if p.unit_id in own]
    for party in parties:
        party.may_remove = handler and party.unit_id is not None
    for c in commitments:
        if handler or c.party.unit_id in own:
            c.form = CommitmentForm(parties=parties if handler else [c.party], auto_id=f"c{c.pk}_%s", initial={
                "party": c.party_id, "title": c.title, "description": c.description, "category": c.category,
                "recurrence": c.recurrence, "due_on": c.due_on.isoformat() if c.due_on else "",
                "day_of_month": c.day_of_month or "",
            })
    addable = []
    if handler:
        taken = party_units
        addable = [m.unit for m in alliance_memberships(user=user, alliance=agreement.alliance)
                   if m.unit_id not in taken]
    return {
        "editable": True, "may_edit": may_edit, "addable_units": addable,
        "edit_form": AgreementEditForm(auto_id="agreement_%s", initial={
            "title": agreement.title, "term_start": agreement.term_start.isoformat(),
            "term_end": agreement.term_end.isoformat(), "preamble": agreement.preamble,
        }) if may_edit else None,
        "clause_form": ClauseForm(auto_id="clause_%s") if may_edit else None,
        "commitment_form": CommitmentForm(parties=own_parties, auto_id="commitment_%s") if own_parties else None,
    }


def _performing_context(user, agreement, *, handler: bool, own: frozenset, commitments, moves) -> dict:
    """履约: each commitment's occurrences (with their items) and evidence, and the report forms."""
    if agreement.performing_at is None:
        return {"performing": False}
    today = timezone.localdate()
    occurrences = _occurrences_of(agreement)
    # Link an item only for those who may open it (the item page would answer 404).
    visible_items = set(item_list(user=user).filter(pk__in=[o.item_id for o in occurrences])
                        .values_list("pk", flat=True)) if occurrences else set()
    by_commitment: dict[int, list] = {}
    for occurrence in occurrences:
        occurrence.item_visible = occurrence.item_id in visible_items
        occurrence.overdue = occurrence.item.status in OPEN_STATUSES and occurrence.due_on < today
        by_commitment.setdefault(occurrence.commitment_id, []).append(occurrence)
    evidence: dict[int, list] = {}
    for row in _evidence_of(agreement):
        evidence.setdefault(row.commitment_id, []).append(row)
    may_report = "report" in moves
    for c in commitments:
        c.occurrence_list = by_commitment.get(c.pk, [])
        c.evidence_list = evidence.get(c.pk, [])
        if may_report and (handler or c.party.unit_id in own):
            c.evidence_form = EvidenceForm(occurrences=c.occurrence_list, auto_id=f"e{c.pk}_%s")
    return {"performing": True, "progress": selectors.agreement_progress(agreement, today=today)}


def _rating_context(user, agreement, *, parties, moves) -> dict:
    evaluations = _evaluations_of(agreement)
    rate_parties = []
    if "rate" in moves:
        year = timezone.localdate().year
        rated = {e.party_id for e in evaluations if e.period == year and e.party_id}
        rate_parties = [p for p in parties if p.pk not in rated and services.may_sign_for(user, agreement, p)]
    return {"evaluations": evaluations,
            "rating_form": PartyRatingForm(parties=rate_parties, auto_id="rating_%s") if rate_parties else None}


@login_required
def agreement_detail(request, pk):
    """One agreement: its stage bar, parties and signatures, clauses and commitments (editable in
    谈约), the moves the user may make now, and, once performing, occurrences, evidence and ratings."""
    agreement = selectors.agreement_get_for_user(user=request.user, pk=pk)
    user = request.user
    handler = _is_handler(user, agreement.alliance_path)
    own = liaison_unit_ids(user)
    moves = services.agreement_moves(agreement)
    parties = _initiator_first(agreement.parties.all())
    for party in parties:
        party.may_sign = "sign" in moves and party.signed_at is None and services.may_sign_for(user, agreement, party)
    commitments = list(agreement.commitments.all())
    for c in commitments:
        c.agreement = agreement  # recurrence_text reads the term without a query
        c.when = printing.recurrence_text(c)
    chain = {a.pk: a for a in selectors.agreement_list(user=user).filter(
        Q(pk=agreement.previous_id) | Q(previous_id=agreement.pk))}
    # The live amendment first; cancelled ones are listed after it.
    amendments = sorted((a for a in chain.values() if a.previous_id == agreement.pk),
                        key=lambda a: (a.stage == Stage.CANCELLED, -a.pk))
    amended_by = next((a for a in amendments if a.stage != Stage.CANCELLED), None)
    cancelled_amendments = [a for a in amendments if a.stage == Stage.CANCELLED]
    previous = chain.get(agreement.previous_id) if agreement.previous_id else None
    public = printing.is_public(agreement)
    public_url = printing.public_url(agreement, request=request) if public else ""
    return render(request, "agreements/agreement_detail.html", {
        "agreement": agreement, "alliance": agreement.alliance,
        "breadcrumb": alliance_breadcrumb(user=user, alliance=agreement.alliance),
        "stages": selectors.stage_bar(agreement), "parties": parties, "clauses": list(agreement.clauses.all()),
        "commitments": commitments, "is_handler": handler, "moves": moves,
        "previous": previous, "amended_by": amended_by, "cancelled_amendments": cancelled_amendments,
        # An agreement that was amended, or whose previous version the user cannot open, is still named.
        "has_previous": agreement.previous_id is not None,
        "can_publish": handler and "publish" in moves, "can_perform": handler and "perform" in moves,
        "can_evaluate": handler and "evaluate" in moves, "can_terminate": handler and "terminate" in moves,
        "can_amend": handler and "amend" in moves and amended_by is None,
        "terminate_form": TerminateForm(auto_id="terminate_%s") if handler and "terminate" in moves else None,
        "cancel_form": CancelForm(auto_id="cancel_%s") if handler and "cancel" in moves else None,
        "public_url": public_url, "public_qr": qr_svg(public_url) if public_url else "",
        **_draft_context(user, agreement, handler=handler, own=own, parties=parties, commitments=commitments),
        **_performing_context(user, agreement, handler=handler, own=own, commitments=commitments, moves=moves),
        **_rating_context(user, agreement, parties=parties, moves=moves),
    })


def _pick(rows, pk, message):
    """One of the agreement's own rows (prefetched) by its id: another agreement's is 404."""
    for row in rows:
        if str(row.pk) == str(pk):
            return row
    raise Http404(message)


def _valid(form) -> dict:
    """Shape errors of an inline form, as the messages of the page."""
    if not form.is_valid():
        raise ValidationError([f"{form.fields[name].label}:{error}" if name in form.fields else error
                               for name, errors in form.errors.items() for error in errors])
    return form.cleaned_data


def _party(agreement, pk):
    return _pick(agreement.parties.all(), pk, _("没有找到该签约方。"))


def _clause(agreement, pk):
    return _pick(agreement.clauses.all(), pk, _("没有找到该条款。"))


def _commitment(agreement, pk):
    return _pick(agreement.commitments.all(), pk, _("没有找到该承诺事项。"))


def _commitment_fields(request, agreement) -> dict:
    data = dict(_valid(CommitmentForm(request.POST, parties=agreement.parties.all())))
    data["party"] = _party(agreement, data["party"]) if data["party"] is not None else None
    return data


def _do_update(request, agreement):
    services.agreement_update(user=request.user, agreement=agreement, **_valid(AgreementEditForm(request.POST)))


def _do_party_add(request, agreement):
    unit = member_unit_get_for_user(user=request.user, pk=request.POST.get("unit"))
    services.party_add(user=request.user, agreement=agreement, unit=unit)


def _do_party_remove(request, agreement):
    services.party_remove(user=request.user, party=_party(agreement, request.POST.get("party")))


def _do_clause_add(request, agreement):
    data = _valid(ClauseForm(request.POST))
    services.clause_add(user=request.user, agreement=agreement, text=data["text"], position=data["position"])


def _do_clause_update(request, agreement):
    clause = _clause(agreement, request.POST.get("clause"))
    services.clause_update(user=request.user, clause=clause, text=request.POST.get("text", ""))


def _do_clause_delete(request, agreement):
    services.clause_delete(user=request.user, clause=_clause(agreement, request.POST.get("clause")))


def _do_commitment_add(request, agreement):
    services.commitment_add(user=request.user, agreement=agreement, **_commitment_fields(request, agreement))


def _do_commitment_update(request, agreement):
    commitment = _commitment(agreement, request.POST.get("commitment"))
    fields = _commitment_fields(request, agreement)
    if fields["party"] is None:
        fields.pop("party")
    services.commitment_update(user=request.user, commitment=commitment, **fields)


def _do_commitment_delete(request, agreement):
    commitment = _commitment(agreement, request.POST.get("commitment"))
    services.commitment_delete(user=request.user, commitment=commitment)


def _do_sign(request, agreement):
    services.agreement_sign(user=request.user, agreement=agreement, party=_party(agreement, request.POST.get("party")))


def _do_publish(request, agreement):
    services.agreement_publish(user=request.user, agreement=agreement)


def _do_perform(request, agreement):
    services.agreement_perform(user=request.user, agreement=agreement)


def _do_evaluate(request, agreement):
    services.agreement_evaluate(user=request.user, agreement=agreement)


def _do_terminate(request, agreement):
    services.agreement_terminate(user=request.user, agreement=agreement,
                                 reason=_valid(TerminateForm(request.POST))["reason"])


def _do_cancel(request, agreement):
    services.agreement_cancel(user=request.user, agreement=agreement,
                              reason=_valid(CancelForm(request.POST))["reason"])


def _do_amend(request, agreement):
    return services.agreement_amend(user=request.user, agreement=agreement)


def _do_report(request, agreement):
    commitment = selectors.commitment_get_for_user(user=request.user, pk=request.POST.get("commitment"))
    if commitment.agreement_id != agreement.pk:
        raise Http404(_("没有找到该承诺事项。"))
    occurrences = list(commitment.occurrences.all())
    data = _valid(EvidenceForm(request.POST, request.FILES, occurrences=occurrences))
    occurrence = _pick(occurrences, data["occurrence"], _("没有找到该履约事项。")) \
        if data["occurrence"] is not None else None
    services.evidence_report(user=request.user, commitment=commitment, text=data["text"], file=data["file"],
                             occurrence=occurrence)


def _do_rate(request, agreement):
    data = _valid(PartyRatingForm(request.POST, parties=agreement.parties.all()))
    if data["party"] is None:
        raise ValidationError({"party": [_("请选择评价方。")]})
    party = _party(agreement, data["party"])
    services.evaluation_add(user=request.user, agreement=agreement, party=party, score=data["score"],
                            comment=data["comment"])


# action → (what it does, the message when done, where on the page to come back to)
AGREEMENT_ACTIONS = {
    "update": (_do_update, gettext_lazy("已保存协议信息。"), ""),
    "party-add": (_do_party_add, gettext_lazy("已添加签约方。"), "parties"),
    "party-remove": (_do_party_remove, gettext_lazy("已移除签约方。"), "parties"),
    "clause-add": (_do_clause_add, gettext_lazy("已添加条款。"), "clauses"),
    "clause-update": (_do_clause_update, gettext_lazy("已修改条款。"), "clauses"),
    "clause-delete": (_do_clause_delete, gettext_lazy("已删除条款。"), "clauses"),
    "commitment-add": (_do_commitment_add, gettext_lazy("已添加承诺事项。"), "commitments"),
    "commitment-update": (_do_commitment_update, gettext_lazy("已修改承诺事项。"), "commitments"),
    "commitment-delete": (_do_commitment_delete, gettext_lazy("已删除承诺事项。"), "commitments"),
    "sign": (_do_sign, gettext_lazy("已签署。"), "parties"),
    "publish": (_do_publish, gettext_lazy("已亮约,居民可以通过公开页面和二维码查看本协议。"), ""),
    "perform": (_do_perform, gettext_lazy("已开始履约,承诺事项已生成待办事项。"), "performance"),
    "evaluate": (_do_evaluate, gettext_lazy("已评约。"), "ratings"),
    "terminate": (_do_terminate, gettext_lazy("协议已终止。"), ""),
    "cancel": (_do_cancel, gettext_lazy("协议草稿已撤销。"), ""),
    "amend": (_do_amend, gettext_lazy("已发起修订:这是新版本的草稿,修改后请各方重新签署。"), ""),
    "report": (_do_report, gettext_lazy("已报告履约情况。"), "performance"),
    "rate": (_do_rate, gettext_lazy("已提交评价。"), "ratings"),
}


@csrf_exempt  # only so that an oversized upload is refused before anything reads its body
@login_required
@require_POST
def agreement_action(request, pk, action):
    """Every move on an agreement page: the service decides; its refusal is shown on the page
    (a ValidationError, nothing changed), 403 where the user sees the agreement but may not act."""
    agreement = selectors.agreement_get_for_user(user=request.user, pk=pk)
    if action not in AGREEMENT_ACTIONS:
        raise Http404
    if action == "report" and upload_too_large(request.META):
        # CsrfViewMiddleware reads request.POST, and so the whole multipart body, before a view
        # runs; this check comes first and changes nothing but the message shown.
        messages.error(request, upload_too_large_message())
        return redirect(reverse("agreement-detail", kwargs={"pk": agreement.pk}) + "#performance")
    return _agreement_action(request, agreement, action)


@csrf_protect
def _agreement_action(request, agreement, action):
    do, done, anchor = AGREEMENT_ACTIONS[action]
    target = agreement
    try:
        target = do(request, agreement) or agreement
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(reverse("agreement-detail", kwargs={"pk": target.pk}) + (f"#{anchor}" if anchor else ""))


@login_required
@require_GET
def agreement_evidence(request, pk, evidence_pk):
    """An evidence file, only through the agreement's scope (never from MEDIA_URL)."""
    agreement = selectors.agreement_get_for_user(user=request.user, pk=pk)
    evidence = Evidence.objects.filter(commitment__agreement_id=agreement.pk, pk=evidence_pk).first()
    if evidence is None or not evidence.file:
        raise Http404(_("没有找到该附件。"))
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("没有找到该附件。")) from None
    return FileResponse(handle, as_attachment=True, filename=evidence.file_name or evidence.file.name.rsplit("/", 1)[-1])


# --- the three lists (三张清单): resources, needs and their claims, projects (A3b) -----------

LIST_PAGE_SIZE = 30


def _lists_context(request, alliance, **extra) -> dict:
    return {"alliance": alliance, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance), **extra}


def _lists_subtree(qs, alliance):
    """Rows of the alliance and the alliances below it (a street's page shows its communities' too)."""
    return qs.filter(tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path)


def _lists_member_units(user, alliance):
    """The units the user sees that may work with the alliance (the services' rule, one selector)."""
    return selectors.working_units(user=user, alliance=alliance)


def _lists_handler(user, path: str) -> bool:
    return user_scope(user).allows(HANDLE_ITEMS, path)


def _lists_errors(request, exc) -> None:
    for message in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]):
        messages.error(request, message)


def _lists_pk(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _lists_changed(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data}


# Resources (资源清单)

def _resource_units(user, alliance):
    """Whose resources the user may list here: any member unit for a handler, its own for a liaison."""
    units = _lists_member_units(user, alliance)
    if not _lists_handler(user, alliance.path):
        units = units.filter(pk__in=sorted(liaison_unit_ids(user)))
    return units


@login_required
def resource_list(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    resources = _lists_subtree(selectors.resource_list(user=request.user), alliance)
    units = member_unit_list(user=request.user).filter(pk__in=resources.values("unit_id")).order_by("name", "pk")
    category = request.GET.get("category", "")
    if category in ResourceCategory.values:
        resources = resources.filter(category=category)
    availability = request.GET.get("available", "")
    now_available = Q(available=True) & (Q(available_until__isnull=True)
                                         | Q(available_until__gte=timezone.localdate()))
    if availability == "yes":
        resources = resources.filter(now_available)
    elif availability == "no":
        resources = resources.exclude(now_available)
    unit = _lists_pk(request.GET.get("unit"))
    if unit is not None:
        resources = resources.filter(unit_id=unit)
    page = Paginator(resources.order_by("category", "title", "pk"), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    own = liaison_unit_ids(request.user)
    today = timezone.localdate()
    for resource in page:
        resource.may_edit = _lists_handler(request.user, resource.alliance_path) or resource.unit_id in own
        resource.now_available = resource.available and (
            resource.available_until is None or resource.available_until >= today)
    return render(request, "agreements/resource_list.html", _lists_context(
        request, alliance, page=page, category=category, categories=ResourceCategory.choices,
        availability=availability, unit=unit, units=list(units),
        can_create=_resource_units(request.user, alliance).exists(),
    ))


@login_required
def resource_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    units = _resource_units(request.user, alliance)
    if not units.exists():
        raise PermissionDenied(_("只有发起党组织的书记、工作人员或本共同体成员单位的联络员可以登记资源。"))
    form = ResourceForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            resource = services.resource_create(user=request.user, alliance=alliance, **data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已登记资源“%(title)s”。") % {"title": resource.title})
            return redirect("resource-list", pk=alliance.pk)
    return render(request, "agreements/resource_form.html", _lists_context(
        request, alliance, form=form, title=_("登记资源")))


@login_required
def resource_edit(request, pk):
    resource = selectors.resource_get_for_user(user=request.user, pk=pk)
    if not (_lists_handler(request.user, resource.alliance_path) or resource.unit_id in liaison_unit_ids(request.user)):
        raise PermissionDenied(_("只有发起党组织或提供资源的单位可以修改。"))
    initial = {name: getattr(resource, name) for name in ("title", "category", "quantity", "description", "available")}
    initial["available_until"] = resource.available_until.isoformat() if resource.available_until else ""
    form = ResourceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(user=request.user, resource=resource, **_lists_changed(form))
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存资源“%(title)s”。") % {"title": form.cleaned_data["title"]})
            return redirect("resource-list", pk=resource.alliance_id)
    return render(request, "agreements/resource_form.html", _lists_context(
        request, resource.alliance, form=form, resource=resource,
        title=_("修改资源:%(title)s") % {"title": resource.title}))


# Needs (需求清单) and claims (认领)

@login_required
def need_list(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    needs = _lists_subtree(selectors.need_list(user=request.user), alliance)
    filters = {}
    for name, choices in (("status", NeedStatus), ("category", ResourceCategory), ("priority", Priority)):
        value = request.GET.get(name, "")
        filters[name] = value if value in choices.values else ""
        if filters[name]:
            needs = needs.filter(**{name: value})
    page = Paginator(needs.order_by("-created_at", "-pk"), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agreements/need_list.html", _lists_context(
        request, alliance, page=page, **filters, statuses=NeedStatus.choices, categories=ResourceCategory.choices,
        priorities=Priority.choices, can_create=_lists_handler(request.user, alliance.path),
    ))


@login_required
def need_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    # The form is only for those the service will let through (the one rule: require_permission).
    require_permission(user=request.user, alliance=alliance, perm=HANDLE_ITEMS)
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            need = services.need_create(user=request.user, alliance=alliance, **form.cleaned_data)
            if "publish" in request.POST:
                need = services.need_publish(user=request.user, need=need)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if need.status == NeedStatus.PUBLISHED:
                messages.success(request, _("已发布需求,成员单位可以认领。"))
            else:
                messages.success(request, _("已登记需求,发布后成员单位才能认领。"))
            return redirect("need-detail", pk=need.pk)
    return render(request, "agreements/need_form.html", _lists_context(
        request, alliance, form=form, title=_("登记需求"), creating=True))


@login_required
def need_edit(request, pk):
    need = selectors.need_get_for_user(user=request.user, pk=pk)
    if not _lists_handler(request.user, need.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以管理需求清单。"))
    form = NeedForm(request.POST or None, initial={name: getattr(need, name) for name in NeedForm.base_fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.need_update(user=request.user, need=need, **_lists_changed(form))
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存需求。"))
            return redirect("need-detail", pk=need.pk)
    return render(request, "agreements/need_form.html", _lists_context(
        request, need.alliance, form=form, need=need, title=_("修改需求:%(title)s") % {"title": need.title}))


@login_required
def need_detail(request, pk):
    """The need, its claims and their states, the claim button, and the resources that fit it."""
    user = request.user
    need = selectors.need_get_for_user(user=user, pk=pk)
    handler = _lists_handler(user, need.alliance_path)
    own = liaison_unit_ids(user)
    claims = list(selectors.claim_list(user=user).filter(need_id=need.pk)
                  .select_related("claimed_by", "decided_by").order_by("-created_at", "-pk"))
    for claim in claims:
        pending = claim.status == ClaimStatus.PENDING
        claim.may_decide = handler and pending
        claim.may_withdraw = pending and claim.unit_id in own
    claim_units = []
    if own and need.status == NeedStatus.PUBLISHED:
        claim_units = list(_lists_member_units(user, need.alliance).filter(pk__in=sorted(own)))
    confirm_form = None
    if any(claim.may_decide for claim in claims):
        drafts = (selectors.agreement_list(user=user).filter(alliance_id=need.alliance_id, stage=Stage.DRAFT)
                  .order_by("-created_at", "-pk"))
        confirm_form = ClaimConfirmForm(agreements=drafts)
    matches = list(selectors.need_matches(user=user, need=need))
    scope = user_scope(user)
    unit_ids = sorted({r.unit_id for r in matches})
    # Links only where the user may follow them (the unit page and the list would be 404 otherwise).
    visible_units = set(member_unit_list(user=user).filter(pk__in=unit_ids).values_list("pk", flat=True)) \
        if unit_ids else set()
    for resource in matches:
        resource.unit_visible = resource.unit_id in visible_units
        resource.list_visible = scope.allows(VIEW, resource.alliance_path)
    return render(request, "agreements/need_detail.html", _lists_context(
        request, need.alliance, need=need, claims=claims, is_handler=handler, claim_units=claim_units,
        confirm_form=confirm_form, matches=matches,
        can_edit=handler and need.status in (NeedStatus.DRAFT, NeedStatus.PUBLISHED),
        can_publish=handler and need.status == NeedStatus.DRAFT,
        can_close=handler and need.status != NeedStatus.CLOSED,
    ))


NEED_MESSAGES = {"publish": _("已发布需求,成员单位可以认领。"), "close": _("已关闭需求。"),
                 "claim": _("已认领,等待发起党组织确认。")}


@login_required
@require_POST
def need_action(request, pk, action):
    need = selectors.need_get_for_user(user=request.user, pk=pk)
    if action not in NEED_MESSAGES:
        raise Http404
    try:
        if action == "publish":
            services.need_publish(user=request.user, need=need)
        elif action == "close":
            services.need_close(user=request.user, need=need, reason=request.POST.get("reason", ""))
        else:
            unit = member_unit_get_for_user(user=request.user, pk=request.POST.get("unit"))
            services.need_claim(user=request.user, need=need, unit=unit, note=request.POST.get("note", ""))
    except (ValidationError, PermissionDenied) as exc:
        _lists_errors(request, exc)
    else:
        messages.success(request, NEED_MESSAGES[action])
    return redirect("need-detail", pk=need.pk)


CLAIM_MESSAGES = {"confirm": _("已确认认领,承诺事项已写入协议。"), "decline": _("已不予采纳,需求重新开放认领。"),
                  "withdraw": _("已撤回认领。")}


@login_required
@require_POST
def claim_action(request, pk, action):
    claim = selectors.claim_get_for_user(user=request.user, pk=pk)
    if action not in CLAIM_MESSAGES:
        raise Http404
    try:
        if action == "confirm":
            drafts = selectors.agreement_list(user=request.user).filter(
                alliance_id=claim.need.alliance_id, stage=Stage.DRAFT)
            form = ClaimConfirmForm(request.POST, agreements=drafts)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            commitment = services.claim_confirm(user=request.user, claim=claim, **form.cleaned_data)
        elif action == "decline":
            services.claim_decline(user=request.user, claim=claim, reason=request.POST.get("reason", ""))
        else:
            services.claim_withdraw(user=request.user, claim=claim)
    except (ValidationError, PermissionDenied) as exc:
        _lists_errors(request, exc)
    else:
        if action == "confirm":
            messages.success(request, _("已确认认领,承诺事项已写入协议“%(title)s”。") % {
                "title": commitment.agreement.title})
        else:
            messages.success(request, CLAIM_MESSAGES[action])
    return redirect("need-detail", pk=claim.need_id)


# Projects (项目清单)

def _project_form(request, alliance, *, data=None, initial=None, project=None):
    """The project form with what the user may tie to it: the alliance's open needs, resources of the
    alliance and the alliances above that the user sees, member units to lead it. Editing, what the
    project already names stays on offer, so saving never drops it unseen."""
    user = request.user
    paths = [*alliance_ancestor_paths(alliance.path), alliance.path]
    needs_q = ~Q(status=NeedStatus.CLOSED)
    resources = selectors.resource_list(user=user).filter(tenant_id=alliance.tenant_id, alliance_path__in=paths)
    units = _lists_member_units(user, alliance)
    if project is not None:
        needs_q |= Q(pk__in=project.needs.values("pk"))
        resources = Resource.objects.select_related("unit").filter(
            Q(pk__in=resources.values("pk")) | Q(pk__in=project.resources.values("pk")))
        units = MemberUnit.objects.filter(Q(pk__in=units.values("pk")) | Q(pk=project.lead_unit_id)).order_by(
            "name", "pk")
    needs = selectors.need_list(user=user).filter(alliance_id=alliance.pk).filter(needs_q).order_by("-created_at", "-pk")
    return ProjectForm(data, initial=initial, units=units, needs=needs,
                       resources=resources.order_by("category", "title", "pk"), editing=project is not None)


@login_required
def project_list(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    projects = _lists_subtree(selectors.project_list(user=request.user), alliance)
    status = request.GET.get("status", "")
    if status in ProjectStatus.values:
        projects = projects.filter(status=status)
    else:
        status = ""
    page = Paginator(projects.order_by("-created_at", "-pk"), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agreements/project_list.html", _lists_context(
        request, alliance, page=page, status=status, statuses=ProjectStatus.choices,
        can_create=_lists_handler(request.user, alliance.path),
    ))


@login_required
def project_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=HANDLE_ITEMS)
    form = _project_form(request, alliance, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(user=request.user, alliance=alliance, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已建立项目“%(title)s”。") % {"title": project.title})
            return redirect("project-detail", pk=project.pk)
    return render(request, "agreements/project_form.html", _lists_context(
        request, alliance, form=form, title=_("建立共建项目")))


@login_required
def project_detail(request, pk):
    project = selectors.project_get_for_user(user=request.user, pk=pk)
    handler = _lists_handler(request.user, project.alliance_path)
    open_project = project.status not in (ProjectStatus.DONE, ProjectStatus.CANCELLED)
    milestones = list(project.milestones.all())
    today = timezone.localdate()
    may_mark = handler or project.lead_unit_id in liaison_unit_ids(request.user)
    for milestone in milestones:
        milestone.overdue = milestone.done_on is None and milestone.due_on < today
    return render(request, "agreements/project_detail.html", _lists_context(
        request, project.alliance, project=project, milestones=milestones, is_handler=handler,
        needs=list(project.needs.all()), resources=list(project.resources.all()),
        may_mark_done=may_mark, milestone_form=MilestoneForm() if handler and open_project else None,
        done_count=sum(1 for m in milestones if m.done_on), today=today,
    ))


@login_required
def project_edit(request, pk):
    project = selectors.project_get_for_user(user=request.user, pk=pk)
    if not _lists_handler(request.user, project.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以管理项目清单。"))
    initial = {name: getattr(project, name) for name in ("title", "lead_unit", "status", "budget", "description")}
    initial.update({name: getattr(project, name).isoformat() if getattr(project, name) else ""
                    for name in ("starts_on", "ends_on")})
    initial.update(needs=list(project.needs.all()), resources=list(project.resources.all()))
    form = _project_form(request, project.alliance, data=request.POST or None, initial=initial, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(user=request.user, project=project, **_lists_changed(form))
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存项目。"))
            return redirect("project-detail", pk=project.pk)
    return render(request, "agreements/project_form.html", _lists_context(
        request, project.alliance, form=form, project=project,
        title=_("修改项目:%(title)s") % {"title": project.title}))


@login_required
@require_POST
def milestone_add(request, pk):
    project = selectors.project_get_for_user(user=request.user, pk=pk)
    form = MilestoneForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.milestone_add(user=request.user, project=project, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as exc:
        _lists_errors(request, exc)
    else:
        messages.success(request, _("已增加项目节点。"))
    return redirect("project-detail", pk=project.pk)


@login_required
@require_POST
def milestone_done(request, pk, milestone_pk):
    project = selectors.project_get_for_user(user=request.user, pk=pk)
    milestone = next((m for m in project.milestones.all() if m.pk == milestone_pk), None)
    if milestone is None:
        raise Http404(_("没有找到该项目节点。"))
    try:
        services.milestone_done(user=request.user, milestone=milestone, done_on=request.POST.get("done_on") or None)
    except (ValidationError, PermissionDenied) as exc:
        _lists_errors(request, exc)
    else:
        messages.success(request, _("已登记节点“%(title)s”完成。") % {"title": milestone.title})
    return redirect("project-detail", pk=project.pk)


# A unit's obligations ("what we owe, and when") and the points ranking (积分排行)

@login_required
def unit_obligations(request, pk):
    """The unit's commitments in agreements in force, the next due first; overdue ones stand out."""
    unit = member_unit_get_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    rows = []
    for commitment in selectors.unit_obligations(user=request.user, unit=unit, today=today):
        occurrences = list(commitment.occurrences.all())
        for occurrence in occurrences:
            occurrence.overdue = occurrence.item.status in OPEN_STATUSES and occurrence.due_on < today
        rows.append({
            "commitment": commitment, "agreement": commitment.agreement, "when": printing.recurrence_text(commitment),
            "next_due_on": commitment.next_due_on, "occurrences": occurrences,
            "overdue": commitment.next_due_on is not None and commitment.next_due_on < today,
        })
    # Overdue first (already the soonest dates), then by the next due date, as the selector sorts.
    rows.sort(key=lambda row: not row["overdue"])
    # The unit's home alliance in the breadcrumb, where the user may open it (a unit from another
    # street that joined one of ours: not ours to name).
    home = unit.alliance if user_scope(request.user).allows(VIEW, unit.alliance_path) else None
    return render(request, "agreements/obligations.html", {
        "unit": unit, "rows": rows, "today": today, "overdue_count": sum(1 for row in rows if row["overdue"]),
        "to_sign": selectors.unit_drafts_to_sign(user=request.user, unit=unit),
        "alliance": home, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=home) if home else [],
    })


RANKING_REASONS = (PointReason.FULFILLED, PointReason.FULFILLED_LATE, PointReason.RATED, PointReason.CLAIMED)


@login_required
def points_ranking(request, pk):
    """Units ranked by the points they earned in the alliance and below, with what earned them."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    ranking = selectors.points_ranking(user=request.user, alliance=alliance)
    page = Paginator(ranking, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    units = list(page)
    top = units[0] if page.number == 1 and units else ranking.first()
    scale = max(top.total_points, 1) if top is not None else 1
    by_unit: dict[int, dict[str, int]] = {}
    if units:
        for row in (selectors.point_entries(user=request.user, alliance=alliance)
                    .filter(unit_id__in=[u.pk for u in units])
                    .values("unit_id", "reason").annotate(points=Sum("points")).order_by()):
            by_unit.setdefault(row["unit_id"], {})[row["reason"]] = row["points"]
    rows = []
    for rank, unit in enumerate(units, start=page.start_index()):
        points = by_unit.get(unit.pk, {})
        parts = [{"reason": reason.value, "label": reason.label, "points": points.get(reason.value, 0)}
                 for reason in RANKING_REASONS]
        positive = sum(p["points"] for p in parts if p["points"] > 0) or 1
        for part in parts:
            part["share"] = round(max(part["points"], 0) * 100 / positive, 1)
        rows.append({"rank": rank, "unit": unit, "total": unit.total_points, "parts": parts,
                     "width": round(max(unit.total_points, 0) * 100 / scale, 1)})
    return render(request, "agreements/ranking.html", _lists_context(
        request, alliance, page=page, rows=rows, reasons=[(r.value, r.label) for r in RANKING_REASONS],
    ))
