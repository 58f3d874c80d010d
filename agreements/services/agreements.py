"""The agreement and its five stages (五约): 谈约 draft → 签约 signed → 亮约 published → 履约 performing
→ 评约 evaluated; terminated (with a reason) from any signed stage; superseded by a signed amendment;
a draft, even partly signed, can be cancelled (已撤销, with a reason).

Every move is checked against one table (MOVES). The first signature freezes the content and
records its SHA-256; from then on a change is an amendment, a new version that is signed again.
The initiating organisation acts through the alliance's secretaries and staff (handlers, HANDLE_ITEMS)
and signs through a secretary or district admin (CHANGE); a member unit acts and signs through
its liaison. 404 where the user cannot see the agreement, 403 where it sees but may not act, a
ValidationError (changing nothing) where the stage or the input does not allow the move.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.models import Alliance
from alliance.roles import CHANGE, HANDLE_ITEMS
from alliance.selectors import user_scope
from alliance.services import require_permission
from alliance.uploads import upload_clean_name, upload_store
from members.models import MemberUnit
from members.selectors import liaison_unit_ids
from tasks.models import Category, ItemSource, Status
from tasks.services import item_create, item_reject
from webhooks.models import EventKind as WebhookEvent
from webhooks.payloads import emit_agreement

from ..models import (
    Agreement,
    Claim,
    ClaimStatus,
    Clause,
    Commitment,
    CommitmentItem,
    Evaluation,
    Evidence,
    Need,
    NeedStatus,
    Party,
    RaterKind,
    Recurrence,
    ResourceCategory,
    Stage,
)
from ..selectors import (
    agreement_list,
    agreement_with_content,
    commitment_due_count,
    commitment_due_dates,
    commitment_next_due_on,
    commitment_next_unmade,
)
from . import points
from ._common import (
    Errors,
    clean_choice,
    clean_date,
    clean_text,
    display_name,
    end_of_day,
    member_unit_ids_of,
    tenant_owned,
)

MAX_TITLE = 200
MAX_PREAMBLE = 10000
# A term starts no earlier than this and lasts at most MAX_TERM_YEARS: the schedules, the
# evaluation check and the obligations page never walk a term of centuries.
EARLIEST_TERM_START = dt.date(2000, 1, 1)
MAX_TERM_YEARS = 10
LOCKED = gettext_lazy("协议已有签署方签署,内容已锁定;如需修改请发起修订。")

# --- the one table of moves ----------------------------------------------------------------

# move → (stages it is allowed from, stage it leads to or None, what the user tried, for the message)
MOVES: dict[str, tuple[frozenset[str], str | None, str]] = {
    "edit": (frozenset({Stage.DRAFT}), None, gettext_lazy("修改协议内容")),
    "sign": (frozenset({Stage.DRAFT}), None, gettext_lazy("签署")),
    "publish": (frozenset({Stage.SIGNED}), Stage.PUBLISHED, gettext_lazy("亮约")),
    "perform": (frozenset({Stage.PUBLISHED}), Stage.PERFORMING, gettext_lazy("开始履约")),
    "report": (frozenset({Stage.PERFORMING, Stage.EVALUATED}), None, gettext_lazy("报告履约情况")),
    "rate": (frozenset({Stage.PERFORMING, Stage.EVALUATED}), None, gettext_lazy("评价")),
    "evaluate": (frozenset({Stage.PERFORMING}), Stage.EVALUATED, gettext_lazy("评约")),
    "terminate": (frozenset({Stage.SIGNED, Stage.PUBLISHED, Stage.PERFORMING, Stage.EVALUATED}), Stage.TERMINATED,
                  gettext_lazy("终止")),
    "amend": (frozenset({Stage.SIGNED, Stage.PUBLISHED, Stage.PERFORMING}), None, gettext_lazy("发起修订")),
    "supersede": (frozenset({Stage.SIGNED, Stage.PUBLISHED, Stage.PERFORMING}), Stage.SUPERSEDED,
                  gettext_lazy("被修订稿取代")),
    "cancel": (frozenset({Stage.DRAFT}), Stage.CANCELLED, gettext_lazy("撤销")),
}


def agreement_moves(agreement: Agreement) -> set[str]:
    """The moves the agreement's stage allows (which buttons a page may offer; rights aside)."""
    return {move for move, (allowed, _to, _label) in MOVES.items() if agreement.stage in allowed}


def _check_move(agreement: Agreement, move: str) -> str | None:
    """Refuse a move the stage does not allow, naming the current stage. Returns the target stage."""
    allowed, target, label = MOVES[move]
    if agreement.stage not in allowed:
        raise ValidationError(
            _("协议当前处于“%(stage)s”阶段,不能%(action)s。") % {"stage": agreement.get_stage_display(),
                                                                 "action": label}
        )
    return target


# --- who may do what -----------------------------------------------------------------------

def _require_visible(user, agreement: Agreement) -> None:
    """The same rule as the agreement pages: 404 for "missing" and "not yours" alike."""
    if not agreement_list(user=user).filter(pk=agreement.pk).exists():
        raise Http404(_("没有找到该协议。"))


def _is_handler(user, agreement: Agreement) -> bool:
    return user_scope(user).allows(HANDLE_ITEMS, agreement.alliance_path)


def _require_handler(user, agreement: Agreement) -> None:
    _require_visible(user, agreement)
    if not _is_handler(user, agreement):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以办理此事。"))


def _party_unit_ids(agreement: Agreement) -> set[int]:
    return set(agreement.parties.filter(unit__isnull=False).values_list("unit_id", flat=True))


def _require_editor(user, agreement: Agreement, *, party: Party | None = None) -> None:
    """谈约: the initiating organisation's handlers, or a party's liaison (for its own promises)."""
    _require_visible(user, agreement)
    if _is_handler(user, agreement):
        return
    own = liaison_unit_ids(user)
    if party is not None:
        if party.unit_id is None or party.unit_id not in own:
            raise PermissionDenied(_("成员单位只能填写本单位的承诺事项。"))
        return
    if not own & _party_unit_ids(agreement):
        raise PermissionDenied(_("只有发起党组织或签约单位可以修改协议。"))


def may_sign_for(user, agreement: Agreement, party: Party) -> bool:
    """The initiating organisation signs through a secretary (CHANGE), a unit through its liaison."""
    if party.unit_id is None:
        return user_scope(user).allows(CHANGE, agreement.alliance_path)
    return party.unit_id in liaison_unit_ids(user)


def _lock(agreement: Agreement) -> Agreement:
    """Re-read under a row lock: the check and the write see the same state (edits and signatures
    of one agreement are serialised on this row)."""
    return Agreement.objects.select_for_update(of=("self",)).select_related("alliance").get(pk=agreement.pk)


def _lock_editable(user, agreement: Agreement, *, party: Party | None = None) -> Agreement:
    _require_editor(user, agreement, party=party)
    agreement = _lock(agreement)
    if agreement.content_hash:
        raise ValidationError(LOCKED)
    _check_move(agreement, "edit")
    return agreement


# --- content and its hash ------------------------------------------------------------------

def agreement_content(agreement: Agreement) -> dict:
    """The canonical content that the signatures cover: what a reader of the signed text reads.

    Uses the prefetched rows where there are (agreement_with_content), so the page, the PDF and
    the hash read the same thing at a fixed number of queries.
    """
    parties = sorted(agreement.parties.all(), key=lambda p: (p.unit_id is not None, p.pk))
    names = {p.pk: p.name for p in parties}
    clauses = sorted(agreement.clauses.all(), key=lambda c: (c.position, c.pk))
    commitments = sorted(agreement.commitments.all(), key=lambda c: (c.position, c.pk))
    return {
        "title": agreement.title,
        "preamble": agreement.preamble,
        "term": {"start": agreement.term_start.isoformat(), "end": agreement.term_end.isoformat()},
        "version": agreement.version,
        # The snapshots taken when the party was added: a later change in the unit register does
        # not change the signed text (nor lock a half-signed draft).
        "parties": [{"name": p.name, "credit_code": p.credit_code if p.unit_id else ""} for p in parties],
        "clauses": [{"position": c.position, "text": c.text} for c in clauses],
        "commitments": [
            {
                "party": names.get(c.party_id, ""), "title": c.title, "description": c.description,
                "category": c.category, "recurrence": c.recurrence,
                "due_on": c.due_on.isoformat() if c.due_on else None, "day_of_month": c.day_of_month,
            }
            for c in commitments
        ],
    }


def agreement_content_hash(agreement: Agreement) -> str:
    """SHA-256 (hex) of the canonical content as JSON (sorted keys, UTF-8)."""
    text = json.dumps(agreement_content(agreement), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _current_hash(agreement: Agreement) -> str:
    return agreement_content_hash(agreement_with_content(Agreement.objects.filter(pk=agreement.pk)).get())


# --- drafting ------------------------------------------------------------------------------

def _initiator_name(alliance: Alliance) -> str:
    return (alliance.initiating_organisation or alliance.name)[:200]


def _check_units(errors: Errors, alliance: Alliance, units: Iterable[MemberUnit]) -> list[MemberUnit]:
    units = list({u.pk: u for u in units}.values())
    members = member_unit_ids_of(alliance, [u.pk for u in units])
    outsiders = [u.name for u in units if u.pk not in members or u.tenant_id != alliance.tenant_id]
    if outsiders:
        errors.add("units", _("以下单位不是本共同体(或上级共同体)的成员单位:%(names)s") % {
            "names": "、".join(outsiders)})
    return units


def _years_after(day: dt.date, years: int) -> dt.date:
    if day.year + years > dt.date.max.year:
        return dt.date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _clean_term(errors: Errors, start, end) -> tuple[dt.date | None, dt.date | None]:
    start = clean_date(errors, "term_start", start, required=_("请填写履约期的开始日期。"))
    end = clean_date(errors, "term_end", end, required=_("请填写履约期的结束日期。"))
    if start and start < EARLIEST_TERM_START:
        errors.add("term_start", _("履约期的开始日期不能早于%(day)s。") % {"day": EARLIEST_TERM_START})
        start = None
    if start and end and end < start:
        errors.add("term_end", _("履约期的结束日期不能早于开始日期。"))
    elif start and end and end > _years_after(start, MAX_TERM_YEARS):
        errors.add("term_end", _("履约期最长%(years)d年,结束日期不能晚于%(day)s。") % {
            "years": MAX_TERM_YEARS, "day": _years_after(start, MAX_TERM_YEARS)})
    return start, end


def _clean_preamble(errors: Errors, preamble) -> str:
    return clean_text(errors, "preamble", preamble, max_length=MAX_PREAMBLE)


def _no_due_date_message(title: str) -> str:
    return _("“%(title)s”按所选周期在履约期内没有应完成的日期,请调整每期日期、周期或履约期。") % {"title": title}


def _unit_party(agreement: Agreement, unit: MemberUnit) -> Party:
    """A new party row for a member unit, with the name and credit code as they stand now."""
    return tenant_owned(Party, owner=agreement.alliance, agreement=agreement, unit=unit, name=unit.name,
                        credit_code=unit.credit_code)


@transaction.atomic
def agreement_create(*, user, alliance: Alliance, title: str, term_start, term_end,
                     units: Iterable[MemberUnit] = (), preamble: str = "") -> Agreement:
    """谈约: a draft between the alliance's initiating organisation and member units of the alliance
    (or of an alliance above it)."""
    require_permission(user=user, alliance=alliance, perm=HANDLE_ITEMS)
    errors = Errors()
    title = clean_text(errors, "title", title, max_length=MAX_TITLE, required=_("请填写协议名称。"))
    preamble = _clean_preamble(errors, preamble)
    term_start, term_end = _clean_term(errors, term_start, term_end)
    units = _check_units(errors, alliance, units)
    errors.raise_if_any()
    agreement = tenant_owned(
        Agreement, owner=alliance, alliance=alliance, title=title, preamble=preamble, term_start=term_start,
        term_end=term_end, stage=Stage.DRAFT, created_by=user,
    )
    agreement.save()
    Party.objects.bulk_create([
        tenant_owned(Party, owner=alliance, agreement=agreement, unit=None, name=_initiator_name(alliance)),
        *(_unit_party(agreement, u) for u in units),
    ])
    return agreement


AGREEMENT_FIELDS = ("title", "preamble", "term_start", "term_end")


@transaction.atomic
def agreement_update(*, user, agreement: Agreement, **fields) -> Agreement:
    """Edit the title, preamble or term of a draft nobody has signed yet."""
    agreement = _lock_editable(user, agreement)
    unknown = set(fields) - set(AGREEMENT_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    errors = Errors()
    if "title" in fields:
        agreement.title = clean_text(errors, "title", fields["title"], max_length=MAX_TITLE,
                                     required=_("请填写协议名称。"))
    if "preamble" in fields:
        agreement.preamble = _clean_preamble(errors, fields["preamble"])
    if "term_start" in fields or "term_end" in fields:
        start, end = _clean_term(errors, fields.get("term_start", agreement.term_start),
                                 fields.get("term_end", agreement.term_end))
        if start and end:
            agreement.term_start, agreement.term_end = start, end
            commitments = list(agreement.commitments.order_by("position", "pk"))
            outside = [c.title for c in commitments if c.recurrence == Recurrence.ONCE
                       and not start <= c.due_on <= end]
            if outside:
                errors.add("term_end", _("以下承诺事项的完成日期不在新的履约期内:%(titles)s") % {
                    "titles": "、".join(outside)})
            for c in commitments:
                if c.recurrence != Recurrence.ONCE and commitment_next_due_on(
                        c, agreement=agreement, on_or_after=start) is None:
                    errors.add("term_end", _no_due_date_message(c.title))
    errors.raise_if_any()
    agreement.save(update_fields=[*(f for f in AGREEMENT_FIELDS), "updated_at"])
    return agreement


@transaction.atomic
def party_add(*, user, agreement: Agreement, unit: MemberUnit) -> Party:
    """Add a member unit as a party of a draft (the initiating organisation decides who signs)."""
    _require_handler(user, agreement)
    agreement = _lock_editable(user, agreement)
    return _party_add(agreement, unit)


def _party_add(agreement: Agreement, unit: MemberUnit) -> Party:
    errors = Errors()
    _check_units(errors, agreement.alliance, [unit])
    if errors.by_field:
        raise ValidationError({"unit": errors.by_field["units"]})
    if agreement.parties.filter(unit_id=unit.pk).exists():
        raise ValidationError({"unit": [_("“%(unit)s”已经是本协议的签约方。") % {"unit": unit.name}]})
    party = _unit_party(agreement, unit)
    party.save()
    return party


@transaction.atomic
def party_remove(*, user, party: Party) -> None:
    """Remove a unit from a draft; the initiating organisation stays, and so do parties with promises."""
    party = Party.objects.select_related("agreement", "unit").get(pk=party.pk)
    _require_handler(user, party.agreement)
    _lock_editable(user, party.agreement)
    if party.unit_id is None:
        raise ValidationError(_("发起党组织是每份协议的签约方,不能移除。"))
    if party.commitments.exists():
        raise ValidationError(_("“%(party)s”还有承诺事项,请先删除或改由其他签约方承担。") % {"party": party.name})
    party.delete()


# --- clauses -------------------------------------------------------------------------------

def _renumber(agreement: Agreement, ordered_ids: list[int]) -> None:
    """Give the clauses positions 1..n in the given order.

    Two steps, because PostgreSQL checks the unique (agreement, position) row by row.
    """
    clauses = list(Clause.objects.filter(agreement=agreement).only("pk", "position"))
    by_id = {c.pk: c for c in clauses}
    offset = len(clauses) + 1000
    for c in clauses:
        c.position += offset
    Clause.objects.bulk_update(clauses, ["position"])
    for index, pk in enumerate(ordered_ids, start=1):
        by_id[pk].position = index
    Clause.objects.bulk_update(clauses, ["position"])


def _clean_clause_text(text: str) -> str:
    errors = Errors()
    text = clean_text(errors, "text", text, max_length=5000, required=_("请填写条款内容。"))
    errors.raise_if_any()
    return text


@transaction.atomic
def clause_add(*, user, agreement: Agreement, text: str, position: int | None = None) -> Clause:
    """Add a clause at the end, or at `position` (1-based), moving the later ones down."""
    agreement = _lock_editable(user, agreement)
    text = _clean_clause_text(text)
    ordered = list(Clause.objects.filter(agreement=agreement).order_by("position", "pk").values_list("pk", flat=True))
    clause = tenant_owned(Clause, owner=agreement.alliance, agreement=agreement, text=text,
                          position=len(ordered) + 1000 + 1)
    clause.save()
    index = len(ordered) if position is None else min(max(int(position), 1), len(ordered) + 1) - 1
    ordered.insert(index, clause.pk)
    _renumber(agreement, ordered)
    clause.refresh_from_db(fields=["position"])
    return clause


def _clause_for_edit(user, clause: Clause) -> tuple[Clause, Agreement]:
    clause = Clause.objects.select_related("agreement").get(pk=clause.pk)
    agreement = _lock_editable(user, clause.agreement)
    return clause, agreement


@transaction.atomic
def clause_update(*, user, clause: Clause, text: str) -> Clause:
    clause, _agreement = _clause_for_edit(user, clause)
    clause.text = _clean_clause_text(text)
    clause.save(update_fields=["text"])
    return clause


@transaction.atomic
def clause_delete(*, user, clause: Clause) -> None:
    clause, agreement = _clause_for_edit(user, clause)
    clause.delete()
    _renumber(agreement, list(agreement.clauses.order_by("position", "pk").values_list("pk", flat=True)))


# --- commitments ---------------------------------------------------------------------------

COMMITMENT_FIELDS = ("party", "title", "description", "category", "recurrence", "due_on", "day_of_month")


def _clean_commitment(agreement: Agreement, values: dict) -> dict:
    errors = Errors()
    cleaned = dict(values)
    party = values["party"]
    if party is None or party.agreement_id != agreement.pk:
        errors.add("party", _("承诺方应是本协议的签约方。"))
    cleaned["title"] = clean_text(errors, "title", values["title"], max_length=MAX_TITLE,
                                  required=_("请填写承诺事项。"))
    cleaned["description"] = clean_text(errors, "description", values["description"])
    clean_choice(errors, "category", values["category"], ResourceCategory, _("未知的类别。"))
    recurrence = clean_choice(errors, "recurrence", values["recurrence"], Recurrence, _("未知的周期。"))
    if recurrence == Recurrence.ONCE:
        due_on = clean_date(errors, "due_on", values["due_on"], required=_("一次性承诺请填写完成日期。"))
        if due_on and not agreement.term_start <= due_on <= agreement.term_end:
            errors.add("due_on", _("完成日期应在履约期(%(start)s至%(end)s)之内。") % {
                "start": agreement.term_start, "end": agreement.term_end})
        cleaned["due_on"], cleaned["day_of_month"] = due_on, None
    elif recurrence in Recurrence.values:
        day = values["day_of_month"]
        try:
            day = int(day)
        except (TypeError, ValueError):
            day = 0
        if not 1 <= day <= 28:
            errors.add("day_of_month", _("周期性承诺请填写每期的日期(1至28日)。"))
        elif commitment_next_due_on(Commitment(recurrence=recurrence, day_of_month=day), agreement=agreement,
                                    on_or_after=agreement.term_start) is None:
            errors.add("day_of_month", _no_due_date_message(cleaned["title"] or _("该承诺事项")))
        cleaned["due_on"], cleaned["day_of_month"] = None, day
    errors.raise_if_any()
    return cleaned


def _commitment_create(agreement: Agreement, **values) -> Commitment:
    cleaned = _clean_commitment(agreement, values)
    last = agreement.commitments.aggregate(m=Max("position"))["m"]
    commitment = tenant_owned(Commitment, owner=agreement.alliance, agreement=agreement,
                              position=0 if last is None else last + 1, **cleaned)
    commitment.save()
    return commitment


@transaction.atomic
def commitment_add(*, user, agreement: Agreement, party: Party, title: str, description: str = "",
                   category: str = ResourceCategory.OTHER, recurrence: str = Recurrence.ONCE,
                   due_on: dt.date | None = None, day_of_month: int | None = None) -> Commitment:
    """承诺事项: what `party` promises, due once (`due_on`, within the term) or monthly, quarterly or
    yearly on `day_of_month`. A unit's liaison writes its own unit's promises only."""
    agreement = _lock_editable(user, agreement, party=party if not _is_handler(user, agreement) else None)
    return _commitment_create(agreement, party=party, title=title, description=description, category=category,
                              recurrence=recurrence, due_on=due_on, day_of_month=day_of_month)


def _commitment_for_edit(user, commitment: Commitment) -> tuple[Commitment, Agreement]:
    commitment = Commitment.objects.select_related("agreement", "party").get(pk=commitment.pk)
    agreement = commitment.agreement
    handler = _is_handler(user, agreement)
    agreement = _lock_editable(user, agreement, party=None if handler else commitment.party)
    return commitment, agreement


@transaction.atomic
def commitment_update(*, user, commitment: Commitment, **fields) -> Commitment:
    commitment, agreement = _commitment_for_edit(user, commitment)
    unknown = set(fields) - set(COMMITMENT_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    new_party = fields.get("party", commitment.party)
    if getattr(new_party, "pk", None) != commitment.party_id:
        if not _is_handler(user, agreement):
            raise PermissionDenied(_("只有发起党组织可以改变承诺方。"))
        claim = _claim_of(commitment)
        if claim is not None:
            raise ValidationError({"party": [_from_claim_message(claim, _("改由其他签约方承担"))]})
    values = {name: fields.get(name, getattr(commitment, name)) for name in COMMITMENT_FIELDS}
    cleaned = _clean_commitment(agreement, values)
    for name, value in cleaned.items():
        setattr(commitment, name, value)
    commitment.save(update_fields=list(COMMITMENT_FIELDS))
    return commitment


def _claim_of(commitment: Commitment) -> Claim | None:
    return Claim.objects.select_related("need", "unit").filter(commitment_id=commitment.pk).first()


def _from_claim_message(claim: Claim, action: str) -> str:
    return _("该承诺事项来自“%(unit)s”对需求“%(need)s”的认领,不能%(action)s;如不再需要,请撤销本协议草稿,"
             "该需求将重新开放认领。") % {"unit": claim.unit.name, "need": claim.need.title, "action": action}


@transaction.atomic
def commitment_delete(*, user, commitment: Commitment) -> None:
    """Delete a commitment of an unsigned draft; one that came from a confirmed claim stays (the
    claim, its need and its points hang on it): cancel the draft instead."""
    commitment, _agreement = _commitment_for_edit(user, commitment)
    claim = _claim_of(commitment)
    if claim is not None:
        raise ValidationError(_from_claim_message(claim, _("删除")))
    commitment.delete()


# --- signing -------------------------------------------------------------------------------

@transaction.atomic
def agreement_sign(*, user, agreement: Agreement, party: Party) -> Party:
    """签约: each party signs through an account entitled to sign for it, once.

    The first signature freezes the content and records its SHA-256; every later one checks the
    content still has that hash. The last one moves the agreement to signed; an amendment signed
    by all its parties supersedes the version before it, in the same transaction.
    """
    _require_visible(user, agreement)
    agreement = _lock(agreement)
    party = Party.objects.select_for_update().filter(pk=party.pk, agreement_id=agreement.pk).first()
    if party is None:
        raise Http404(_("没有找到该签约方。"))
    if not may_sign_for(user, agreement, party):
        raise PermissionDenied(
            _("只有本共同体的书记可以代表发起党组织签署。") if party.unit_id is None
            else _("只有“%(party)s”的联络员可以代表该单位签署。") % {"party": party.name}
        )
    _check_move(agreement, "sign")
    if party.signed_at is not None:
        raise ValidationError(_("“%(party)s”已经签署,不能重复签署。") % {"party": party.name})
    if not agreement.parties.filter(unit__isnull=False).exists():
        raise ValidationError(_("协议至少要有一个成员单位作为签约方,才能签署。"))
    if not agreement.commitments.exists():
        raise ValidationError(_("协议至少要有一项承诺事项,才能签署。"))
    content_hash = _current_hash(agreement)
    if agreement.content_hash and content_hash != agreement.content_hash:
        raise ValidationError(_("协议内容与首次签署时不一致,不能签署。请与发起党组织核对后重新发起修订。"))
    now = timezone.now()
    party.signed_by = user
    party.signer_name = display_name(user)[:60]
    party.signed_at = now
    party.save(update_fields=["signed_by", "signer_name", "signed_at"])
    agreement.content_hash = content_hash
    fields = ["content_hash", "updated_at"]
    if not agreement.parties.filter(signed_at__isnull=True).exists():
        agreement.stage = Stage.SIGNED
        agreement.signed_at = now
        fields += ["stage", "signed_at"]
        if agreement.previous_id is not None:
            _supersede(agreement)
        # A claim earns its points once the agreement it went into is signed by every party.
        for claim in Claim.objects.filter(commitment__agreement_id=agreement.pk, status=ClaimStatus.CONFIRMED
                                          ).select_related("need").order_by("pk"):
            points.award_claim(claim)
    agreement.save(update_fields=fields)
    if "stage" in fields:
        emit_agreement(WebhookEvent.AGREEMENT_SIGNED, agreement)
    return party


def _supersede(amendment: Agreement) -> None:
    """The version before a signed amendment goes out of force; its unfinished occurrences carry
    over to the commitments copied from theirs (same unit), so the work in hand goes on under the
    new text. Occurrences of commitments the amendment dropped stay with the old version, to be
    finished or rejected through the item pages."""
    old = Agreement.objects.select_for_update(of=("self",)).get(pk=amendment.previous_id)
    if old.stage not in MOVES["supersede"][0]:
        raise ValidationError(_("上一版本(第%(version)d版)当前处于“%(stage)s”阶段,修订稿不能再签署生效。") % {
            "version": old.version, "stage": old.get_stage_display()})
    target = _check_move(old, "supersede")
    old.stage = target
    old.save(update_fields=["stage", "updated_at"])
    copies = amendment.commitments.filter(copied_from__isnull=False).select_related("party", "copied_from__party")
    for copy in copies:
        if copy.party.unit_id != copy.copied_from.party.unit_id:
            continue
        CommitmentItem.objects.filter(commitment_id=copy.copied_from_id).exclude(
            item__status__in=(Status.CLOSED, Status.REJECTED)
        ).update(commitment=copy)


# --- the later stages ----------------------------------------------------------------------

def _move(user, agreement: Agreement, move: str, *, stamp: str) -> Agreement:
    _require_handler(user, agreement)
    agreement = _lock(agreement)
    agreement.stage = _check_move(agreement, move)
    setattr(agreement, stamp, timezone.now())
    agreement.save(update_fields=["stage", stamp, "updated_at"])
    return agreement


@transaction.atomic
def agreement_publish(*, user, agreement: Agreement) -> Agreement:
    """亮约: the signed agreement goes on its public page (with a QR code) for residents to read."""
    agreement = _move(user, agreement, "publish", stamp="published_at")
    emit_agreement(WebhookEvent.AGREEMENT_PUBLISHED, agreement)
    return agreement


@transaction.atomic
def agreement_perform(*, user, agreement: Agreement, today: dt.date | None = None) -> Agreement:
    """履约: from published; each due date of each commitment becomes an item in `tasks/`."""
    _require_handler(user, agreement)
    today = today or timezone.localdate()
    locked = _lock(agreement)
    _check_move(locked, "perform")
    if today > locked.term_end:
        raise ValidationError(_("协议的履约期已于%(end)s结束,不能开始履约。") % {"end": locked.term_end})
    agreement = _move(user, locked, "perform", stamp="performing_at")
    commitment_items_generate(agreement=agreement, today=today)
    return agreement


# Tasks' categories decide the deadline after an escalation; the nearest one for each kind of promise.
_ITEM_CATEGORY = {
    ResourceCategory.MEDICAL: Category.LIVELIHOOD,
    ResourceCategory.VOLUNTEERS: Category.LIVELIHOOD,
    ResourceCategory.TRAINING: Category.LIVELIHOOD,
    ResourceCategory.LEGAL: Category.DISPUTE,
}


@transaction.atomic
def commitment_items_generate(*, agreement: Agreement, today: dt.date | None = None,
                              horizon_days: int = 45) -> int:
    """Make an item (source "commitment") for each due date of a performing agreement's commitments
    from today up to today + horizon within the term; a one-off commitment gets its single date.

    Idempotent and safe twice at once: the agreement row is locked, and the unique (commitment,
    due date) constraint backs it. Returns how many were made.
    """
    today = today or timezone.localdate()
    agreement = _lock(agreement)
    if agreement.stage != Stage.PERFORMING:
        return 0
    start = max(today, agreement.term_start)
    end = min(today + dt.timedelta(days=horizon_days), agreement.term_end)
    existing = set(
        CommitmentItem.objects.filter(commitment__agreement_id=agreement.pk).values_list("commitment_id", "due_on")
    )
    created = 0
    for commitment in agreement.commitments.select_related("party", "party__unit").order_by("position", "pk"):
        days = commitment_due_dates(commitment, agreement=agreement, start=start, end=end)
        for day in days:
            if (commitment.pk, day) in existing:
                continue
            try:
                with transaction.atomic():
                    _occurrence_create(agreement, commitment, day)
            except IntegrityError:
                continue  # made meanwhile by another run
            created += 1
    return created


def _occurrence_create(agreement: Agreement, commitment: Commitment, day: dt.date) -> CommitmentItem:
    suffix = f"({day.isoformat()})"
    title = commitment.title[: MAX_TITLE - len(suffix)] + suffix
    description = "\n".join(s for s in (
        _("《%(agreement)s》承诺事项,承诺方:%(party)s。") % {"agreement": agreement.title,
                                                         "party": commitment.party.name},
        commitment.description,
    ) if s)
    item, _created = item_create(
        user=None, alliance=agreement.alliance, title=title, source=ItemSource.COMMITMENT, description=description,
        category=_ITEM_CATEGORY.get(commitment.category, Category.OTHER), assignee_unit=commitment.party.unit,
        due_at=end_of_day(day),
    )
    occurrence = tenant_owned(CommitmentItem, owner=agreement.alliance, commitment=commitment, due_on=day, item=item)
    occurrence.save()
    return occurrence


@transaction.atomic
def agreement_evaluate(*, user, agreement: Agreement, today: dt.date | None = None) -> Agreement:
    """评约: from performing, once the term has ended or every occurrence of the whole term is closed."""
    _require_handler(user, agreement)
    today = today or timezone.localdate()
    locked = _lock(agreement)
    _check_move(locked, "evaluate")
    if today <= locked.term_end:
        occurrences = CommitmentItem.objects.filter(commitment__agreement_id=locked.pk)
        unfinished = occurrences.exclude(item__status__in=(Status.CLOSED, Status.REJECTED)).count()
        made: dict[int, set[dt.date]] = {}
        for commitment_id, due_on in occurrences.values_list("commitment_id", "due_on"):
            made.setdefault(commitment_id, set()).add(due_on)
        to_come = 0
        for c in locked.commitments.all():
            c_made = made.get(c.pk, set())
            # "Any date still to come" without walking the term: the first one not made yet, and
            # how many there are (counted by arithmetic, minus the made ones among them).
            if commitment_next_unmade(c, agreement=locked, on_or_after=today, made=c_made) is None:
                continue
            made_ahead = sum(1 for day in c_made if day >= today and commitment_next_due_on(
                c, agreement=locked, on_or_after=day) == day)
            to_come += commitment_due_count(c, agreement=locked, start=today, end=locked.term_end) - made_ahead
        if unfinished or to_come:
            raise ValidationError(
                _("履约期至%(end)s才结束,还有%(n)d期承诺事项没有办结,暂不能评约。") % {
                    "end": locked.term_end, "n": unfinished + to_come}
            )
    return _move(user, locked, "evaluate", stamp="evaluated_at")


@transaction.atomic
def agreement_terminate(*, user, agreement: Agreement, reason: str) -> Agreement:
    """终止, with a reason, from any signed stage. No more items are generated; the occurrences not
    yet taken up (new or accepted) are rejected with the reason. Work already in progress is
    finished through the item flow (tasks has no way to drop it half-done)."""
    _require_handler(user, agreement)
    errors = Errors()
    reason = clean_text(errors, "reason", reason, max_length=2000, required=_("请填写终止理由。"))
    errors.raise_if_any()
    locked = _lock(agreement)
    _check_move(locked, "terminate")
    agreement = _move(user, locked, "terminate", stamp="terminated_at")
    agreement.termination_reason = reason
    agreement.save(update_fields=["termination_reason"])
    note = _("协议已终止:%(reason)s") % {"reason": reason}
    # An amendment still being drafted can no longer take effect: it goes with the agreement.
    for draft in (Agreement.objects.select_for_update(of=("self",)).select_related("alliance")
                  .filter(previous_id=agreement.pk, stage=Stage.DRAFT).order_by("pk")):
        _cancel(user, draft, reason=_("原协议(第%(version)d版)已终止:%(reason)s") % {
            "version": agreement.version, "reason": reason})
    scope = user_scope(user)
    open_items = CommitmentItem.objects.filter(
        commitment__agreement_id=agreement.pk, item__status__in=(Status.NEW, Status.ACCEPTED)
    ).select_related("item").order_by("due_on", "pk")
    for occurrence in open_items:
        # An item escalated above the user's level is rejected by the level that holds it.
        if scope.allows(HANDLE_ITEMS, occurrence.item.alliance_path):
            item_reject(user=user, item=occurrence.item, reason=note)
    return agreement


def _cancel(user, draft: Agreement, *, reason: str) -> Agreement:
    """Move a locked draft to cancelled. The claims confirmed into it are released: declined with
    the reason, their needs open for claiming again (nothing was promised in the end)."""
    draft.stage = _check_move(draft, "cancel")
    draft.cancelled_at = timezone.now()
    draft.cancellation_reason = reason
    draft.save(update_fields=["stage", "cancelled_at", "cancellation_reason", "updated_at"])
    claims = list(Claim.objects.select_for_update(of=("self",)).filter(
        commitment__agreement_id=draft.pk, status=ClaimStatus.CONFIRMED).order_by("pk"))
    note = (_("协议草稿已撤销:%(reason)s") % {"reason": reason})[:2000]
    for claim in claims:
        claim.status = ClaimStatus.DECLINED
        claim.declined_reason = note
        claim.decided_by = user
        claim.decided_at = draft.cancelled_at
        claim.save(update_fields=["status", "declined_reason", "decided_by", "decided_at"])
    if claims:
        Need.objects.filter(pk__in=[c.need_id for c in claims], status=NeedStatus.CLAIMED).update(
            status=NeedStatus.PUBLISHED, updated_at=timezone.now())
    return draft


@transaction.atomic
def agreement_cancel(*, user, agreement: Agreement, reason: str) -> Agreement:
    """撤销 a draft that will not be signed (even one some parties have signed), with a reason.
    It never takes effect; a cancelled amendment leaves the version in force as it was and does
    not stop another amendment. The initiating organisation's handlers decide."""
    _require_handler(user, agreement)
    errors = Errors()
    reason = clean_text(errors, "reason", reason, max_length=2000, required=_("请填写撤销理由。"))
    errors.raise_if_any()
    locked = _lock(agreement)
    _check_move(locked, "cancel")
    return _cancel(user, locked, reason=reason)


@transaction.atomic
def agreement_amend(*, user, agreement: Agreement) -> Agreement:
    """修订: a new version as a draft copy (parties unsigned, clauses, commitments), previous = this
    one. One open amendment at a time; this version stays in force until the amendment is signed."""
    _require_handler(user, agreement)
    old = _lock(agreement)
    _check_move(old, "amend")
    pending = Agreement.objects.filter(previous_id=old.pk).exclude(stage=Stage.CANCELLED).first()
    if pending is not None:
        raise ValidationError(_("该协议已有修订稿(第%(version)d版,%(stage)s),请在修订稿上继续修改。") % {
            "version": pending.version, "stage": pending.get_stage_display()})
    alliance = old.alliance
    new = tenant_owned(
        Agreement, owner=alliance, alliance=alliance, title=old.title, preamble=old.preamble,
        term_start=old.term_start, term_end=old.term_end, stage=Stage.DRAFT, version=old.version + 1, previous=old,
        created_by=user,
    )
    new.save()
    parties = {}
    for party in old.parties.select_related("unit").order_by("pk"):
        parties[party.pk] = (
            _unit_party(new, party.unit) if party.unit_id
            else tenant_owned(Party, owner=alliance, agreement=new, unit=None, name=_initiator_name(alliance))
        )
    Party.objects.bulk_create(list(parties.values()))
    Clause.objects.bulk_create([
        tenant_owned(Clause, owner=alliance, agreement=new, position=c.position, text=c.text)
        for c in old.clauses.order_by("position", "pk")
    ])
    Commitment.objects.bulk_create([
        tenant_owned(Commitment, owner=alliance, agreement=new, party=parties[c.party_id], title=c.title,
                     description=c.description, category=c.category, recurrence=c.recurrence, due_on=c.due_on,
                     day_of_month=c.day_of_month, position=c.position, copied_from=c)
        for c in old.commitments.order_by("position", "pk")
    ])
    return new


# --- evidence and evaluation ---------------------------------------------------------------

@transaction.atomic
def evidence_report(*, user, commitment: Commitment, text: str, file: UploadedFile | None = None,
                    occurrence: CommitmentItem | None = None) -> Evidence:
    """履约凭证: the promising unit's liaison (or a handler) reports what was done, with a file
    (the shared upload rules of alliance.uploads: PDF, Word, Excel or an image, at most 10 MB). The
    file is stored under a random name after the row, so a failure leaves neither without the other;
    the views refuse an oversized request before it is read (alliance.uploads.upload_too_large)."""
    commitment = Commitment.objects.select_related("agreement", "agreement__alliance", "party").get(pk=commitment.pk)
    agreement = commitment.agreement
    _require_visible(user, agreement)
    if not _is_handler(user, agreement) and (
        commitment.party.unit_id is None or commitment.party.unit_id not in liaison_unit_ids(user)
    ):
        raise PermissionDenied(_("只有承诺单位的联络员或发起党组织可以报告履约情况。"))
    _check_move(agreement, "report")
    errors = Errors()
    text = clean_text(errors, "text", text, max_length=5000, required=_("请填写履约情况。"))
    if occurrence is not None and occurrence.commitment_id != commitment.pk:
        errors.add("occurrence", _("该履约事项不属于这项承诺。"))
    file_name = extension = ""
    if file:
        try:
            file_name, extension = upload_clean_name(file)
        except ValidationError as exc:
            for message in exc.message_dict["file"]:
                errors.add("file", message)
    errors.raise_if_any()
    evidence = tenant_owned(Evidence, owner=agreement.alliance, commitment=commitment, occurrence=occurrence,
                            text=text, file_name=file_name, reported_by=user)
    if file:
        return upload_store(evidence, file, extension=extension)
    evidence.save()
    return evidence


def _clean_score(errors: Errors, score) -> int:
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        errors.add("score", _("评分应为1到5分。"))
    return score


def _clean_period(errors: Errors, agreement: Agreement, period) -> int:
    today = timezone.localdate()
    if period in (None, ""):
        period = today.year
    try:
        period = int(period)
    except (TypeError, ValueError):
        period = 0
    if not agreement.term_start.year <= period <= min(agreement.term_end.year + 1, today.year):
        errors.add("period", _("评价年度应在履约期之内,且不晚于今年。"))
    return period


@transaction.atomic
def evaluation_add(*, user, agreement: Agreement, party: Party, score: int, comment: str = "",
                   period: int | None = None) -> Evaluation:
    """评约 by a party, through an account entitled to sign for it, once a year (period, default the
    current year). Every other unit party gets (score − 3) × 2 points."""
    _require_visible(user, agreement)
    agreement = Agreement.objects.select_related("alliance").get(pk=agreement.pk)
    party = Party.objects.filter(pk=party.pk, agreement_id=agreement.pk).first()
    if party is None:
        raise Http404(_("没有找到该签约方。"))
    if not may_sign_for(user, agreement, party):
        raise PermissionDenied(_("只能以本单位(本组织)的名义评价。"))
    _check_move(agreement, "rate")
    errors = Errors()
    score = _clean_score(errors, score)
    period = _clean_period(errors, agreement, period)
    comment = clean_text(errors, "comment", comment, max_length=2000)
    errors.raise_if_any()
    evaluation = tenant_owned(Evaluation, owner=agreement.alliance, agreement=agreement, period=period,
                              rater_kind=RaterKind.PARTY, party=party, score=score, comment=comment, rated_by=user)
    try:
        with transaction.atomic():
            evaluation.save()
    except IntegrityError:
        raise ValidationError(_("“%(party)s”已经评价过%(period)d年度。") % {"party": party.name,
                                                                       "period": period}) from None
    points.award_evaluation(evaluation)
    return evaluation


PHONE_PATTERNS = (r"^(?:\+?86)?(1[3-9]\d{9})$", r"^(0\d{9,11})$")


def _clean_phone(errors: Errors, phone) -> str:
    digits = re.sub(r"[\s-]", "", str(phone or ""))
    for pattern in PHONE_PATTERNS:
        match = re.match(pattern, digits)
        if match:
            return match.group(1)
    errors.add("phone", _("请填写正确的手机号或座机号。"))
    return digits[:20]


@transaction.atomic
def evaluation_add_resident(*, agreement: Agreement, name: str, phone: str, score: int, comment: str = "",
                            period: int | None = None) -> Evaluation:
    """评约 by a resident on the public page: once a year per phone number. The phone is not
    verified, so the residents' ratings of a year count as one: every unit party's points for the
    period are recomputed from the residents' average (one ledger line each, updated)."""
    # Locked: the ratings arriving at the same time recompute the average one after the other.
    agreement = _lock(agreement)
    _check_move(agreement, "rate")
    errors = Errors()
    name = clean_text(errors, "name", name, max_length=60)
    phone = _clean_phone(errors, phone)
    score = _clean_score(errors, score)
    period = _clean_period(errors, agreement, period)
    comment = clean_text(errors, "comment", comment, max_length=2000)
    errors.raise_if_any()
    evaluation = tenant_owned(Evaluation, owner=agreement.alliance, agreement=agreement, period=period,
                              rater_kind=RaterKind.RESIDENT, resident_name=name, resident_phone=phone, score=score,
                              comment=comment)
    try:
        with transaction.atomic():
            evaluation.save()
    except IntegrityError:
        raise ValidationError({"phone": [_("该手机号已经评价过%(period)d年度。") % {"period": period}]}) from None
    points.award_residents(agreement, period)
    return evaluation
