"""The three lists (三张清单): resources units offer, needs the community records, projects that
tie the two together; and claims (认领/抢单) of published needs.

Need: draft → published → claimed (a claim pending or confirmed) → back to published when the
claim is declined or withdrawn; closed from any of these. Of two claims at the same moment the
database keeps one (the partial unique constraint on live claims); the other is told who won.
A confirmed claim becomes a commitment of a draft agreement; the unit earns its points once that
agreement is signed by every party (a draft may still be cancelled, which releases the claim).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import HANDLE_ITEMS, VIEW
from alliance.selectors import alliance_ancestor_paths, user_scope
from alliance.services import require_permission
from members.models import MemberUnit
from members.selectors import liaison_unit_ids

from ..models import (
    Agreement,
    Claim,
    ClaimStatus,
    Commitment,
    Milestone,
    Need,
    NeedSource,
    NeedStatus,
    Priority,
    Project,
    ProjectStatus,
    Recurrence,
    Resource,
    ResourceCategory,
)
from ..selectors import claim_list, need_list, project_list, resource_list
from ._common import Errors, clean_choice, clean_date, clean_text, is_member, tenant_owned
from .agreements import (
    MAX_TERM_YEARS,
    _commitment_create,
    _lock_editable,
    _party_add,
    _years_after,
    agreement_create,
)

MAX_TITLE = 200
LIVE_CLAIMS = (ClaimStatus.PENDING, ClaimStatus.CONFIRMED)


def _not_member(unit: MemberUnit) -> str:
    return _("“%(unit)s”不是本共同体(或上级共同体)的成员单位。") % {"unit": unit.name}


# --- resources -----------------------------------------------------------------------------

RESOURCE_FIELDS = ("title", "category", "description", "quantity", "available", "available_until")


def _clean_resource(values: dict) -> dict:
    errors = Errors()
    cleaned = dict(values)
    if "title" in values:
        cleaned["title"] = clean_text(errors, "title", values["title"], max_length=MAX_TITLE,
                                      required=_("请填写资源名称。"))
    if "category" in values:
        clean_choice(errors, "category", values["category"], ResourceCategory, _("未知的类别。"))
    if "description" in values:
        cleaned["description"] = clean_text(errors, "description", values["description"], max_length=5000)
    if "quantity" in values:
        cleaned["quantity"] = clean_text(errors, "quantity", values["quantity"], max_length=200)
    if "available" in values:
        cleaned["available"] = bool(values["available"])
    if "available_until" in values:
        cleaned["available_until"] = clean_date(errors, "available_until", values["available_until"])
    errors.raise_if_any()
    return cleaned


@transaction.atomic
def resource_create(*, user, alliance: Alliance, unit: MemberUnit, title: str, category: str,
                    description: str = "", quantity: str = "", available: bool = True,
                    available_until: dt.date | None = None) -> Resource:
    """资源清单: what a member unit offers the alliance; listed by a handler or the unit's liaison."""
    scope = user_scope(user)
    own = unit.pk in liaison_unit_ids(user)
    if not scope.allows(HANDLE_ITEMS, alliance.path):
        if not (scope.allows(VIEW, alliance.path) or (own and is_member(unit, alliance))):
            raise Http404(_("没有找到该党建共同体。"))
        if not own:
            raise PermissionDenied(_("只能登记本单位的资源。"))
    if not is_member(unit, alliance):
        raise ValidationError({"unit": [_not_member(unit)]})
    cleaned = _clean_resource({"title": title, "category": category, "description": description,
                               "quantity": quantity, "available": available, "available_until": available_until})
    resource = tenant_owned(Resource, owner=alliance, alliance=alliance, unit=unit, created_by=user, **cleaned)
    resource.save()
    return resource


@transaction.atomic
def resource_update(*, user, resource: Resource, **fields) -> Resource:
    """A handler of the alliance, or the offering unit's liaison, edits the resource."""
    if not resource_list(user=user).filter(pk=resource.pk).exists():
        raise Http404(_("没有找到该资源。"))
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if not (user_scope(user).allows(HANDLE_ITEMS, resource.alliance_path)
            or resource.unit_id in liaison_unit_ids(user)):
        raise PermissionDenied(_("只有发起党组织或提供资源的单位可以修改。"))
    unknown = set(fields) - set(RESOURCE_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in _clean_resource(fields).items():
        setattr(resource, name, value)
    resource.save(update_fields=[*fields, "updated_at"])
    return resource


# --- needs ---------------------------------------------------------------------------------

NEED_FIELDS = ("title", "category", "description", "source", "priority")


def _clean_need(values: dict) -> dict:
    errors = Errors()
    cleaned = dict(values)
    if "title" in values:
        cleaned["title"] = clean_text(errors, "title", values["title"], max_length=MAX_TITLE,
                                      required=_("请填写需求。"))
    if "description" in values:
        cleaned["description"] = clean_text(errors, "description", values["description"], max_length=5000)
    if "category" in values:
        clean_choice(errors, "category", values["category"], ResourceCategory, _("未知的类别。"))
    if "source" in values:
        clean_choice(errors, "source", values["source"], NeedSource, _("未知的需求来源。"))
    if "priority" in values:
        clean_choice(errors, "priority", values["priority"], Priority, _("未知的优先级。"))
    errors.raise_if_any()
    return cleaned


def _require_need_handler(user, need: Need) -> Need:
    """404 where the user cannot see the need, 403 where it sees it but does not manage the list;
    returns the need re-read under a row lock."""
    if not need_list(user=user).filter(pk=need.pk).exists():
        raise Http404(_("没有找到该需求。"))
    if not user_scope(user).allows(HANDLE_ITEMS, need.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以管理需求清单。"))
    return Need.objects.select_for_update(of=("self",)).select_related("alliance").get(pk=need.pk)


def _need_status(need: Need, allowed, action: str) -> None:
    if need.status not in allowed:
        raise ValidationError(_("需求当前状态为“%(status)s”,不能%(action)s。") % {
            "status": need.get_status_display(), "action": action})


@transaction.atomic
def need_create(*, user, alliance: Alliance, title: str, category: str, description: str = "",
                source: str = NeedSource.RESIDENTS, priority: str = Priority.NORMAL) -> Need:
    """需求清单: a handler records what the community needs, as a draft to publish."""
    require_permission(user=user, alliance=alliance, perm=HANDLE_ITEMS)
    cleaned = _clean_need({"title": title, "category": category, "description": description, "source": source,
                           "priority": priority})
    need = tenant_owned(Need, owner=alliance, alliance=alliance, status=NeedStatus.DRAFT, created_by=user, **cleaned)
    need.save()
    return need


@transaction.atomic
def need_update(*, user, need: Need, **fields) -> Need:
    """Edit a need while it is a draft or published and nobody has claimed it."""
    need = _require_need_handler(user, need)
    _need_status(need, (NeedStatus.DRAFT, NeedStatus.PUBLISHED), _("修改"))
    unknown = set(fields) - set(NEED_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in _clean_need(fields).items():
        setattr(need, name, value)
    need.save(update_fields=[*fields, "updated_at"])
    return need


@transaction.atomic
def need_publish(*, user, need: Need) -> Need:
    """发布: the units of the alliance (and of those above) may now claim it."""
    need = _require_need_handler(user, need)
    _need_status(need, (NeedStatus.DRAFT,), _("发布"))
    need.status = NeedStatus.PUBLISHED
    need.published_at = timezone.now()
    need.save(update_fields=["status", "published_at", "updated_at"])
    return need


@transaction.atomic
def need_close(*, user, need: Need, reason: str = "") -> Need:
    """关闭: no longer wanted or done; a claim still pending is declined with the reason."""
    need = _require_need_handler(user, need)
    _need_status(need, (NeedStatus.DRAFT, NeedStatus.PUBLISHED, NeedStatus.CLAIMED), _("关闭"))
    errors = Errors()
    reason = clean_text(errors, "reason", reason, max_length=2000)
    errors.raise_if_any()
    now = timezone.now()
    Claim.objects.filter(need_id=need.pk, status=ClaimStatus.PENDING).update(
        status=ClaimStatus.DECLINED, decided_by=user, decided_at=now,
        declined_reason=reason or _("需求已关闭。"),
    )
    need.status = NeedStatus.CLOSED
    need.closed_at = now
    need.closed_reason = reason
    need.save(update_fields=["status", "closed_at", "closed_reason", "updated_at"])
    return need


def _taken(need: Need) -> ValidationError:
    winner = Claim.objects.filter(need_id=need.pk, status__in=LIVE_CLAIMS).select_related("unit").first()
    if winner is None:
        return ValidationError(_("该需求刚刚被其他单位认领,请刷新后查看。"))
    return ValidationError(_("该需求已被“%(unit)s”认领。") % {"unit": winner.unit.name})


@transaction.atomic
def need_claim(*, user, need: Need, unit: MemberUnit, note: str = "") -> Claim:
    """认领/抢单: a member unit (through its liaison) takes up a published need. Of two claims at
    once the database keeps the first; the other is told which unit has it."""
    if not need_list(user=user).filter(pk=need.pk).exists():
        raise Http404(_("没有找到该需求。"))
    # No row lock on purpose: the partial unique constraint on live claims decides a race.
    need = Need.objects.select_related("alliance").get(pk=need.pk)
    if unit is None or unit.pk not in liaison_unit_ids(user):
        raise PermissionDenied(_("只能以本单位名义认领需求。"))
    if not is_member(unit, need.alliance):
        raise ValidationError({"unit": [_not_member(unit)]})
    if need.status == NeedStatus.CLAIMED:
        raise _taken(need)
    _need_status(need, (NeedStatus.PUBLISHED,), _("认领"))
    errors = Errors()
    note = clean_text(errors, "note", note, max_length=2000)
    errors.raise_if_any()
    claim = tenant_owned(Claim, owner=need.alliance, need=need, unit=unit, note=note, claimed_by=user,
                         status=ClaimStatus.PENDING)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        raise _taken(need) from None
    moved = Need.objects.filter(pk=need.pk, status=NeedStatus.PUBLISHED).update(
        status=NeedStatus.CLAIMED, updated_at=timezone.now())
    if not moved:  # closed meanwhile: the claim goes with the rollback
        need.refresh_from_db(fields=["status"])
        _need_status(need, (NeedStatus.PUBLISHED,), _("认领"))
    return claim


def _lock_claim(claim: Claim) -> Claim:
    return (Claim.objects.select_for_update(of=("self",)).select_related("need", "need__alliance", "unit")
            .get(pk=claim.pk))


def _require_claim_visible(user, claim: Claim) -> None:
    if not claim_list(user=user).filter(pk=claim.pk).exists():
        raise Http404(_("没有找到该认领。"))


def _claim_status(claim: Claim, allowed, action: str) -> None:
    if claim.status not in allowed:
        raise ValidationError(_("认领当前状态为“%(status)s”,不能%(action)s。") % {
            "status": claim.get_status_display(), "action": action})


def _reopen(need: Need) -> None:
    Need.objects.filter(pk=need.pk, status=NeedStatus.CLAIMED).update(
        status=NeedStatus.PUBLISHED, updated_at=timezone.now())


@transaction.atomic
def claim_withdraw(*, user, claim: Claim) -> Claim:
    """撤回: the claiming unit's liaison withdraws while the claim is pending; the need is open again."""
    _require_claim_visible(user, claim)
    claim = _lock_claim(claim)
    if claim.unit_id not in liaison_unit_ids(user):
        raise PermissionDenied(_("只有认领单位的联络员可以撤回认领。"))
    _claim_status(claim, (ClaimStatus.PENDING,), _("撤回"))
    claim.status = ClaimStatus.WITHDRAWN
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "decided_at"])
    _reopen(claim.need)
    return claim


def _require_claim_handler(user, claim: Claim) -> Claim:
    _require_claim_visible(user, claim)
    claim = _lock_claim(claim)
    if not user_scope(user).allows(HANDLE_ITEMS, claim.need.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以确认认领。"))
    return claim


@transaction.atomic
def claim_decline(*, user, claim: Claim, reason: str) -> Claim:
    """未采纳, with the reason the unit reads; the need is open for other units again."""
    claim = _require_claim_handler(user, claim)
    _claim_status(claim, (ClaimStatus.PENDING,), _("不予采纳"))
    errors = Errors()
    reason = clean_text(errors, "reason", reason, max_length=2000, required=_("请填写不予采纳的理由。"))
    errors.raise_if_any()
    claim.status = ClaimStatus.DECLINED
    claim.declined_reason = reason
    claim.decided_by = user
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "declined_reason", "decided_by", "decided_at"])
    _reopen(claim.need)
    return claim


@transaction.atomic
def claim_confirm(*, user, claim: Claim, due_on, agreement: Agreement | None = None) -> Commitment:
    """确认认领: the claim becomes a one-off commitment of the unit, due `due_on`, in the given draft
    agreement of the need's alliance (the unit joins it as a party if need be) or in a new draft.
    The unit earns points for the claim once that agreement is signed by every party."""
    claim = _require_claim_handler(user, claim)
    _claim_status(claim, (ClaimStatus.PENDING,), _("确认"))
    need = claim.need
    errors = Errors()
    due_on = clean_date(errors, "due_on", due_on, required=_("请填写承诺完成日期。"))
    today = timezone.localdate()
    if due_on and due_on < today:
        errors.add("due_on", _("承诺完成日期不能早于今天。"))
    elif due_on and agreement is None and due_on > _years_after(today, MAX_TERM_YEARS):
        # The new draft's term runs from today to the due date, and a term lasts at most ten years.
        errors.add("due_on", _("承诺完成日期不能晚于%(day)s(协议履约期最长%(years)d年)。") % {
            "day": _years_after(today, MAX_TERM_YEARS), "years": MAX_TERM_YEARS})
    errors.raise_if_any()
    if agreement is None:
        agreement = agreement_create(
            user=user, alliance=need.alliance, title=(_("%(need)s共建协议") % {"need": need.title})[:MAX_TITLE],
            term_start=today, term_end=due_on, units=[claim.unit],
        )
    if agreement.alliance_id != need.alliance_id:
        raise ValidationError({"agreement": [_("只能并入本共同体的协议。")]})
    agreement = _lock_editable(user, agreement)
    party = agreement.parties.filter(unit_id=claim.unit_id).first() or _party_add(agreement, claim.unit)
    description = "\n".join(s for s in (need.description, claim.note) if s)
    commitment = _commitment_create(
        agreement, party=party, title=need.title, description=description, category=need.category,
        recurrence=Recurrence.ONCE, due_on=due_on, day_of_month=None,
    )
    claim.status = ClaimStatus.CONFIRMED
    claim.commitment = commitment
    claim.decided_by = user
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "commitment", "decided_by", "decided_at"])
    # The points come when the agreement is signed by every party (agreement_sign).
    return commitment


# --- projects ------------------------------------------------------------------------------

# A project moves forward, or is cancelled before it is done.
PROJECT_MOVES = {
    ProjectStatus.PLANNED: {ProjectStatus.ONGOING, ProjectStatus.CANCELLED},
    ProjectStatus.ONGOING: {ProjectStatus.DONE, ProjectStatus.CANCELLED},
    ProjectStatus.DONE: set(),
    ProjectStatus.CANCELLED: set(),
}
PROJECT_FIELDS = ("title", "description", "lead_unit", "budget", "status", "starts_on", "ends_on", "needs",
                  "resources")


# Project.budget: max_digits 12, decimal_places 2.
BUDGET_LIMIT = Decimal("1e10")


def _clean_budget(errors: Errors, value) -> Decimal:
    """A finite amount in yuan, 0 ≤ budget < 10 000 000 000, with at most two decimal places
    (more is refused, not silently rounded). "NaN", "sNaN", "Infinity" are not amounts."""
    try:
        budget = Decimal(str(value if value not in (None, "") else 0).strip())
    except (InvalidOperation, ValueError):
        budget = None
    if budget is None or not budget.is_finite():
        errors.add("budget", _("请填写有效的预算金额(如 50000 或 12000.50)。"))
        return Decimal(0)
    if budget < 0 or budget >= BUDGET_LIMIT:
        errors.add("budget", _("预算金额应在0到9999999999.99元之间。"))
    elif budget != budget.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        errors.add("budget", _("预算金额最多保留两位小数(精确到分)。"))
    return budget


def _clean_project(alliance: Alliance, values: dict, *, current: Project | None = None) -> dict:
    errors = Errors()
    cleaned = dict(values)
    if "title" in values:
        cleaned["title"] = clean_text(errors, "title", values["title"], max_length=MAX_TITLE,
                                      required=_("请填写项目名称。"))
    if "description" in values:
        cleaned["description"] = clean_text(errors, "description", values["description"], max_length=5000)
    if "lead_unit" in values:
        unit = values["lead_unit"]
        if unit is None:
            errors.add("lead_unit", _("请选择牵头单位。"))
        elif not is_member(unit, alliance):
            errors.add("lead_unit", _not_member(unit))
    if "budget" in values:
        cleaned["budget"] = _clean_budget(errors, values["budget"])
    for name in ("starts_on", "ends_on"):
        if name in values:
            cleaned[name] = clean_date(errors, name, values[name])
    starts_on = cleaned.get("starts_on", current.starts_on if current else None)
    ends_on = cleaned.get("ends_on", current.ends_on if current else None)
    if starts_on and ends_on and ends_on < starts_on:
        errors.add("ends_on", _("结束日期不能早于开始日期。"))
    if ("status" in values and current is not None and values["status"] != current.status
            and values["status"] not in PROJECT_MOVES.get(current.status, set())):
        errors.add("status", _("项目当前状态为“%(status)s”,不能改为“%(new)s”。") % {
            "status": current.get_status_display(),
            "new": dict(ProjectStatus.choices).get(values["status"], values["status"])})
    if "needs" in values:
        needs = list(values["needs"] or ())
        if any(n.alliance_id != alliance.pk for n in needs):
            errors.add("needs", _("只能关联本共同体的需求。"))
        cleaned["needs"] = needs
    if "resources" in values:
        resources = list(values["resources"] or ())
        allowed = {*alliance_ancestor_paths(alliance.path), alliance.path}
        if any(r.alliance_path not in allowed or r.tenant_id != alliance.tenant_id for r in resources):
            errors.add("resources", _("只能使用本共同体或上级共同体的资源。"))
        cleaned["resources"] = resources
    errors.raise_if_any()
    return cleaned


@transaction.atomic
def project_create(*, user, alliance: Alliance, title: str, lead_unit: MemberUnit, description: str = "",
                   budget=0, starts_on: dt.date | None = None, ends_on: dt.date | None = None,
                   needs: Iterable[Need] = (), resources: Iterable[Resource] = ()) -> Project:
    """项目清单: a co-construction project led by a member unit, tying needs to resources."""
    require_permission(user=user, alliance=alliance, perm=HANDLE_ITEMS)
    cleaned = _clean_project(alliance, {
        "title": title, "lead_unit": lead_unit, "description": description, "budget": budget,
        "starts_on": starts_on, "ends_on": ends_on, "needs": needs, "resources": resources,
    })
    needs, resources = cleaned.pop("needs"), cleaned.pop("resources")
    project = tenant_owned(Project, owner=alliance, alliance=alliance, created_by=user, status=ProjectStatus.PLANNED,
                           **cleaned)
    project.save()
    project.needs.set(needs)
    project.resources.set(resources)
    return project


def _require_project_handler(user, project: Project) -> Project:
    if not project_list(user=user).filter(pk=project.pk).exists():
        raise Http404(_("没有找到该项目。"))
    if not user_scope(user).allows(HANDLE_ITEMS, project.alliance_path):
        raise PermissionDenied(_("只有发起党组织的书记或工作人员可以管理项目清单。"))
    return Project.objects.select_for_update(of=("self",)).select_related("alliance").get(pk=project.pk)


@transaction.atomic
def project_update(*, user, project: Project, **fields) -> Project:
    """Edit a project; its status goes planned → ongoing → done, or cancelled before done."""
    project = _require_project_handler(user, project)
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "status" in fields and fields["status"] not in ProjectStatus.values:
        raise ValidationError({"status": [_("未知的项目状态。")]})
    cleaned = _clean_project(project.alliance, fields, current=project)
    needs, resources = cleaned.pop("needs", None), cleaned.pop("resources", None)
    for name, value in cleaned.items():
        setattr(project, name, value)
    project.save(update_fields=[*cleaned, "updated_at"])
    if needs is not None:
        project.needs.set(needs)
    if resources is not None:
        project.resources.set(resources)
    return project


@transaction.atomic
def milestone_add(*, user, project: Project, title: str, due_on) -> Milestone:
    project = _require_project_handler(user, project)
    if project.status in (ProjectStatus.DONE, ProjectStatus.CANCELLED):
        raise ValidationError(_("项目当前状态为“%(status)s”,不能增加节点。") % {
            "status": project.get_status_display()})
    errors = Errors()
    title = clean_text(errors, "title", title, max_length=MAX_TITLE, required=_("请填写节点名称。"))
    due_on = clean_date(errors, "due_on", due_on, required=_("请填写计划完成日期。"))
    errors.raise_if_any()
    milestone = tenant_owned(Milestone, owner=project.alliance, project=project, title=title, due_on=due_on)
    milestone.save()
    return milestone


@transaction.atomic
def milestone_done(*, user, milestone: Milestone, done_on=None) -> Milestone:
    """A handler, or the lead unit's liaison, marks a milestone done (today by default)."""
    milestone = Milestone.objects.select_related("project").get(pk=milestone.pk)
    project = milestone.project
    if not project_list(user=user).filter(pk=project.pk).exists():
        raise Http404(_("没有找到该项目。"))
    if not (user_scope(user).allows(HANDLE_ITEMS, project.alliance_path)
            or project.lead_unit_id in liaison_unit_ids(user)):
        raise PermissionDenied(_("只有发起党组织或牵头单位可以登记节点完成。"))
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on is not None:
        raise ValidationError(_("该节点已于%(day)s完成。") % {"day": milestone.done_on})
    errors = Errors()
    done_on = clean_date(errors, "done_on", done_on) or timezone.localdate()
    if done_on > timezone.localdate():
        errors.add("done_on", _("完成日期不能晚于今天。"))
    errors.raise_if_any()
    milestone.done_on = done_on
    milestone.save(update_fields=["done_on"])
    return milestone
