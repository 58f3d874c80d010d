"""Every write of the party-member work: members, reporting (报到) and the report day, service posts
(设岗、认岗), orders on residents' demands (党员接单), points (积分) and the time bank (时间银行).

Who may do what:
- the member (a user with a PartyMember row) acts for themself: reports, claims posts, takes orders;
- community staff and secretaries (MANAGE_MEMBERSHIP on the community) keep the member records,
  enter reports for members without an account, record the report day and time-bank redemptions;
- secretaries (CHANGE on the community) confirm claims and service hours and reverse points;
- orders go through tasks.services with the staff member as the actor (HANDLE_ITEMS): the member
  takes the demand, the organisation confirms and resolves it (群众点单、党员接单、组织办单);
- the district (MANAGE_TREE on the tenant's root) sets the point rules.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance, Level
from alliance.roles import CHANGE, HANDLE_ITEMS, MANAGE_MEMBERSHIP, MANAGE_TREE
from alliance.selectors import user_scope
from alliance.services import require_permission
from members.models import MemberUnit
from tasks import services as item_services
from tasks.models import Item, ItemSource, RatingStatus
from tasks.models import Status as ItemStatus

from .models import (
    DEFAULT_POINTS,
    HOLDING_STATUSES,
    Attendance,
    ClaimStatus,
    Order,
    OrderStatus,
    PartyMember,
    PointEntry,
    PointKind,
    PointRule,
    PostClaim,
    PostKind,
    PostStatus,
    Report,
    ServicePost,
    TimeBankEntry,
)

PHONE_RE = re.compile(r"^[0-9+\- ]{5,20}$")
ID_RE = re.compile(r"^[0-9]{17}[0-9Xx]$")
WELL_RATED_SCORE = 4
MAX_HOURS = Decimal("24")


# --- helpers -------------------------------------------------------------------------------

def _is_self(user, member: PartyMember) -> bool:
    return member.user_id is not None and member.user_id == getattr(user, "pk", None)


def _require_self_or(user, member: PartyMember, perm: str) -> None:
    """The member acts for themself; otherwise the permission on the member's community."""
    if _is_self(user, member):
        return
    require_permission(user=user, alliance=member.community, perm=perm)


def _require_staff(user, member: PartyMember, perm: str, alliance: Alliance | None = None) -> None:
    """The community acts (`perm` on `alliance`, the member's community by default). The member,
    who sees their own rows, is told they may not (403) rather than 'not found'."""
    alliance = alliance or member.community
    if _is_self(user, member) and not user_scope(user).allows(perm, alliance.path):
        raise PermissionDenied(_("此操作由社区办理。"))
    require_permission(user=user, alliance=alliance, perm=perm)


def _community(alliance: Alliance) -> Alliance:
    if alliance.level != Level.COMMUNITY or not alliance.is_active:
        raise ValidationError({"community": _("请选择一个社区(在职党员向居住地社区报到)。")})
    return alliance


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"hours": _("请填写有效的时长(小时)。")}) from None
    if hours <= 0 or hours > MAX_HOURS:
        raise ValidationError({"hours": _("时长应大于0且不超过24小时。")})
    return hours


def rule_points(*, tenant_id: int, kind: str) -> int:
    rule = PointRule.objects.filter(tenant_id=tenant_id, kind=kind).values_list("points", flat=True).first()
    return DEFAULT_POINTS[PointKind(kind)] if rule is None else rule


def _award(*, member: PartyMember, kind: str, source_type: str, source_id: int, reason: str, user=None,
           times: Decimal | int = 1) -> PointEntry | None:
    """Add the rule's points for one event; an event already rewarded is not rewarded again."""
    points = int((Decimal(rule_points(tenant_id=member.tenant_id, kind=kind)) * Decimal(times))
                 .quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if points == 0:
        return None
    entry = PointEntry(
        tenant_id=member.tenant_id, alliance_path=member.alliance_path, member=member, points=points, kind=kind,
        reason=reason[:200], source_type=source_type, source_id=source_id,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        return None  # awarded before (a retried task, a double click)
    return entry


# --- party members -------------------------------------------------------------------------

def _member_fields(*, tenant_id: int, name, phone, id_number, employer_unit, employer_text, party_org) -> dict:
    errors: dict[str, list[str]] = {}
    name, phone, id_number = _clean(name), _clean(phone), _clean(id_number).upper()
    if not name:
        errors["name"] = [_("请填写姓名。")]
    elif len(name) > 60:
        errors["name"] = [_("姓名不能超过60个字。")]
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = [_("请填写有效的手机号。")]
    if id_number and not ID_RE.match(id_number):
        errors["id_number"] = [_("身份证号应为18位。")]
    if employer_unit is not None and employer_unit.tenant_id != tenant_id:
        errors["employer_unit"] = [_("工作单位不在本租户。")]
    if len(_clean(employer_text)) > 120 or len(_clean(party_org)) > 120:
        errors["employer_text"] = [_("单位或党组织名称不能超过120个字。")]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "phone": phone, "id_number": id_number, "employer_unit": employer_unit,
            "employer_text": "" if employer_unit is not None else _clean(employer_text),
            "party_org": _clean(party_org)}


@transaction.atomic
def party_member_create(*, user, community: Alliance, name: str, phone: str = "", id_number: str = "",
                        employer_unit: MemberUnit | None = None, employer_text: str = "", party_org: str = "",
                        account=None) -> PartyMember:
    """Staff of the home community record a party member (with or without an account)."""
    require_permission(user=user, alliance=community, perm=MANAGE_MEMBERSHIP)
    _community(community)
    fields = _member_fields(tenant_id=community.tenant_id, name=name, phone=phone, id_number=id_number,
                            employer_unit=employer_unit, employer_text=employer_text, party_org=party_org)
    if account is not None:
        if account.tenant_id not in (None, community.tenant_id):
            raise ValidationError({"account": _("账号不在本租户。")})
        if PartyMember.objects.filter(user=account).exists():
            raise ValidationError({"account": _("该账号已关联其他党员。")})
    return PartyMember.objects.create(tenant_id=community.tenant_id, alliance_path=community.path,
                                      community=community, user=account, **fields)


@transaction.atomic
def party_member_update(*, user, member: PartyMember, **changes) -> PartyMember:
    """Staff correct a member's record; the home community changes only by reporting elsewhere."""
    require_permission(user=user, alliance=member.community, perm=MANAGE_MEMBERSHIP)
    allowed = {"name", "phone", "id_number", "employer_unit", "employer_text", "party_org"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("不能修改字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    current = {f: getattr(member, f) for f in allowed}
    current.update(changes)
    fields = _member_fields(tenant_id=member.tenant_id, **current)
    for name, value in fields.items():
        setattr(member, name, value)
    member.save(update_fields=list(fields))
    return member


# --- reporting (报到) and the report day ---------------------------------------------------

@transaction.atomic
def report_create(*, user, member: PartyMember, community: Alliance | None = None,
                  now: dt.datetime | None = None) -> Report:
    """报到: the member (self-service) or the community's staff register the member with a community.

    A member reports to one community at a time: a new report ends the previous one and makes the
    community the member's home. Reporting earns the district's points for reporting, once.
    """
    community = community or member.community
    member = PartyMember.objects.select_for_update().select_related("community").get(pk=member.pk)
    if _is_self(user, member):
        if community.tenant_id != member.tenant_id:
            raise Http404(_("没有找到该党建共同体。"))
        self_service = True
    else:
        require_permission(user=user, alliance=community, perm=MANAGE_MEMBERSHIP)
        if community.pk != member.community_id:
            # Staff may not pull a member of another community into theirs.
            require_permission(user=user, alliance=member.community, perm=MANAGE_MEMBERSHIP)
        self_service = False
    _community(community)
    now = now or timezone.now()
    active = Report.objects.filter(member=member, ended_at__isnull=True).first()
    if active is not None and active.community_id == community.pk:
        raise ValidationError(_("%(name)s已经向%(community)s报到。") % {"name": member.name,
                                                                       "community": community.name})
    if active is not None:
        active.ended_at = now
        active.save(update_fields=["ended_at"])
    if member.community_id != community.pk:
        member.community = community
        member.alliance_path = community.path
        member.save(update_fields=["community", "alliance_path"])
    report = Report.objects.create(
        tenant_id=member.tenant_id, alliance_path=community.path, member=member, community=community,
        reported_at=now, entered_by=user if getattr(user, "is_authenticated", False) else None,
        self_service=self_service,
    )
    _award(member=member, kind=PointKind.REPORT, source_type="report", source_id=report.pk, user=user,
           reason=_("向%(community)s报到") % {"community": community.name})
    return report


def report_day(month: dt.date) -> dt.date:
    """The report day of `month` (PARTY_REPORT_DAY, the 15th by default; the last day of a short month)."""
    import calendar

    from django.conf import settings

    day = int(getattr(settings, "PARTY_REPORT_DAY", 15))
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(max(day, 1), last))


@transaction.atomic
def attendance_record(*, user, community: Alliance, members: list[PartyMember], month: dt.date,
                      attended_on: dt.date | None = None) -> int:
    """Staff record who came on the month's report day. Only members reported to the community;
    recording someone twice in a month changes nothing. Returns how many were newly recorded."""
    require_permission(user=user, alliance=community, perm=MANAGE_MEMBERSHIP)
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": _("不能登记未来月份的报到日。")})
    attended_on = attended_on or report_day(month)
    if attended_on.replace(day=1) != month:
        raise ValidationError({"attended_on": _("到场日期应在所登记的月份内。")})
    ids = [m.pk for m in members]
    reported = set(Report.objects.filter(member_id__in=ids, community=community, ended_at__isnull=True)
                   .values_list("member_id", flat=True))
    strangers = [m.name for m in members if m.pk not in reported]
    if strangers:
        raise ValidationError({"members": _("以下党员没有向本社区报到:%(names)s") % {"names": "、".join(strangers)}})
    done = set(Attendance.objects.filter(member_id__in=ids, month=month).values_list("member_id", flat=True))
    created = 0
    for member in members:
        if member.pk in done:
            continue
        try:
            with transaction.atomic():
                row = Attendance.objects.create(
                    tenant_id=community.tenant_id, alliance_path=community.path, member=member,
                    community=community, month=month, attended_on=attended_on, recorded_by=user)
        except IntegrityError:
            continue  # recorded concurrently
        created += 1
        _award(member=member, kind=PointKind.REPORT, source_type="attendance", source_id=row.pk, user=user,
               reason=_("%(month)s报到日到社区报到") % {"month": f"{month:%Y-%m}"})
    return created


# --- service posts (设岗、认岗) -------------------------------------------------------------

def _post_fields(*, title, kind, places, description) -> dict:
    errors: dict[str, list[str]] = {}
    title = _clean(title)
    if not title:
        errors["title"] = [_("请填写岗位名称。")]
    elif len(title) > 100:
        errors["title"] = [_("岗位名称不能超过100个字。")]
    if kind not in PostKind.values:
        errors["kind"] = [_("未知的岗位类别。")]
    try:
        places = int(places)
    except (TypeError, ValueError):
        places = 0
    if not 1 <= places <= 500:
        errors["places"] = [_("名额应为1到500之间的整数。")]
    if errors:
        raise ValidationError(errors)
    return {"title": title, "kind": kind, "places": places, "description": _clean(description)}


@transaction.atomic
def post_create(*, user, community: Alliance, title: str, kind: str, places: int,
                description: str = "") -> ServicePost:
    """设岗: the community publishes a service post with a number of places."""
    require_permission(user=user, alliance=community, perm=MANAGE_MEMBERSHIP)
    _community(community)
    fields = _post_fields(title=title, kind=kind, places=places, description=description)
    return ServicePost.objects.create(tenant_id=community.tenant_id, alliance_path=community.path,
                                      community=community, created_by=user, **fields)


@transaction.atomic
def post_close(*, user, post: ServicePost) -> ServicePost:
    require_permission(user=user, alliance=post.community, perm=MANAGE_MEMBERSHIP)
    post = ServicePost.objects.select_for_update().get(pk=post.pk)
    if post.status == PostStatus.CLOSED:
        raise ValidationError(_("岗位已经关闭。"))
    post.status = PostStatus.CLOSED
    post.save(update_fields=["status"])
    return post


@transaction.atomic
def post_claim(*, user, post: ServicePost, member: PartyMember, note: str = "") -> PostClaim:
    """认岗: a member reported to the post's community claims a place. Places are counted under a
    lock on the post row, so two members claiming the last place at once cannot both get it."""
    _require_self_or(user, member, MANAGE_MEMBERSHIP)
    post = ServicePost.objects.select_for_update().select_related("community").get(pk=post.pk)
    if post.status != PostStatus.OPEN:
        raise ValidationError(_("该岗位已经关闭。"))
    if member.community_id != post.community_id or not Report.objects.filter(
            member=member, community_id=post.community_id, ended_at__isnull=True).exists():
        raise ValidationError(_("只有向本社区报到的党员可以认领本社区的岗位。"))
    if PostClaim.objects.filter(post=post, member=member, status__in=HOLDING_STATUSES).exists():
        raise ValidationError(_("已经认领过该岗位。"))
    held = PostClaim.objects.filter(post=post, status__in=HOLDING_STATUSES).count()
    if held >= post.places:
        raise ValidationError(_("该岗位名额已满(%(n)d个)。") % {"n": post.places})
    return PostClaim.objects.create(tenant_id=post.tenant_id, alliance_path=post.alliance_path, post=post,
                                    member=member, note=_clean(note)[:200])


def _lock_claim(claim: PostClaim) -> PostClaim:
    # The post first, as post_claim does: one lock order, no deadlock.
    ServicePost.objects.select_for_update().filter(pk=claim.post_id).values_list("pk").first()
    return PostClaim.objects.select_for_update().select_related("post", "post__community", "member").get(
        pk=claim.pk)


@transaction.atomic
def claim_withdraw(*, user, claim: PostClaim) -> PostClaim:
    """The member (or the staff) gives the place back."""
    claim = _lock_claim(claim)
    _require_self_or(user, claim.member, MANAGE_MEMBERSHIP)
    if claim.status not in HOLDING_STATUSES:
        raise ValidationError(_("该认岗已经结束。"))
    claim.status = ClaimStatus.WITHDRAWN
    claim.decided_at = timezone.now()
    claim.save(update_fields=["status", "decided_at"])
    return claim


@transaction.atomic
def claim_decide(*, user, claim: PostClaim, confirm: bool, note: str = "") -> PostClaim:
    """The secretary confirms (or turns down) a claim."""
    claim = _lock_claim(claim)
    _require_staff(user, claim.member, CHANGE, claim.post.community)
    if claim.status != ClaimStatus.CLAIMED:
        raise ValidationError(_("只有待确认的认岗可以确认或不通过。"))
    if not confirm and not _clean(note):
        raise ValidationError({"note": _("请说明不通过的理由。")})
    claim.status = ClaimStatus.CONFIRMED if confirm else ClaimStatus.REJECTED
    claim.decided_by = user
    claim.decided_at = timezone.now()
    if note:
        claim.note = _clean(note)[:200]
    claim.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return claim


@transaction.atomic
def claim_confirm_hours(*, user, claim: PostClaim, hours, note: str = "") -> PostClaim:
    """The secretary confirms hours served on a post: they earn points and go into the time bank."""
    claim = _lock_claim(claim)
    _require_staff(user, claim.member, CHANGE, claim.post.community)
    if claim.status != ClaimStatus.CONFIRMED:
        raise ValidationError(_("只有已确认的认岗可以登记服务时长。"))
    hours = _hours(hours)
    PostClaim.objects.filter(pk=claim.pk).update(hours_confirmed=F("hours_confirmed") + hours)
    claim.refresh_from_db(fields=["hours_confirmed"])
    member = PartyMember.objects.select_for_update().get(pk=claim.member_id)
    reason = _("%(post)s服务%(hours)s小时") % {"post": claim.post.title, "hours": hours}
    if _clean(note):
        reason = f"{reason}:{_clean(note)}"
    _award(member=member, kind=PointKind.SERVICE_HOUR, source_type="claim", source_id=claim.pk, user=user,
           reason=reason, times=hours)
    TimeBankEntry.objects.create(tenant_id=member.tenant_id, alliance_path=member.alliance_path, member=member,
                                 hours=hours, reason=reason[:200], claim=claim, created_by=user)
    return claim


# --- orders (群众点单、党员接单、组织办单) ------------------------------------------------------

def _require_organisation(user, order: Order) -> None:
    """The organisation (staff or secretaries who handle items) confirms and resolves: the member,
    who sees their own order, is told so rather than 'not found'."""
    if _is_self(user, order.member) and not user_scope(user).allows(HANDLE_ITEMS, order.item.alliance_path):
        raise PermissionDenied(_("接单由社区确认和办结。"))


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("member", "member__community", "item").get(
        pk=order.pk)


@transaction.atomic
def order_take(*, user, member: PartyMember, item: Item) -> Order:
    """党员接单: a member reported to a community takes a new resident demand handled there. The
    member (self-service) or the community's staff (for a member without an account) take it."""
    if not _is_self(user, member):
        require_permission(user=user, alliance=member.community, perm=HANDLE_ITEMS)
    item = Item.objects.select_for_update().get(pk=item.pk)
    if item.alliance_id != member.community_id or item.tenant_id != member.tenant_id:
        raise Http404(_("没有找到该事项。"))
    if item.source != ItemSource.DEMAND:
        raise ValidationError(_("党员只能接群众点单的事项。"))
    if item.status != ItemStatus.NEW:
        raise ValidationError(_("该事项已经有人接单或正在办理。"))
    if not Report.objects.filter(member=member, community_id=member.community_id, ended_at__isnull=True).exists():
        raise ValidationError(_("请先向本社区报到,再接单。"))
    if Order.objects.filter(item=item).exclude(status=OrderStatus.CANCELLED).exists():
        raise ValidationError(_("该事项已经有党员接单。"))
    try:
        with transaction.atomic():
            return Order.objects.create(tenant_id=member.tenant_id, alliance_path=member.alliance_path,
                                        item=item, member=member, taken_by=user)
    except IntegrityError:
        raise ValidationError(_("该事项已经有党员接单。")) from None


@transaction.atomic
def order_confirm(*, user, order: Order, note: str = "") -> Order:
    """组织办单: the community's staff confirm the member's order; the item starts (tasks.item_start),
    handled by the organisation with the member doing the work."""
    order = _lock_order(order)
    _require_organisation(user, order)
    if order.status != OrderStatus.TAKEN:
        raise ValidationError(_("只有刚接的单可以确认。"))
    text = _("党员%(name)s接单") % {"name": order.member.name}
    item_services.item_start(user=user, item=order.item, note=f"{text}\n{note}".strip())
    order.status = OrderStatus.CONFIRMED
    order.confirmed_by = user
    order.confirmed_at = timezone.now()
    order.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return order


@transaction.atomic
def order_report(*, user, order: Order, note: str) -> Order:
    """The member reports what they did; the staff then resolve the item."""
    order = _lock_order(order)
    _require_self_or(user, order.member, HANDLE_ITEMS)
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.REPORTED):
        raise ValidationError(_("组织确认接单后才能反馈办理情况。"))
    note = _clean(note)
    if not note:
        raise ValidationError({"note": _("请填写办理情况。")})
    order.report_note = note
    order.status = OrderStatus.REPORTED
    order.save(update_fields=["report_note", "status"])
    return order


@transaction.atomic
def order_resolve(*, user, order: Order, note: str = "") -> Order:
    """The staff resolve the item (tasks.item_resolve); the member earns the points for it. The
    resident then confirms and rates it on the follow link, as for any demand."""
    order = _lock_order(order)
    _require_organisation(user, order)
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.REPORTED):
        raise ValidationError(_("该接单当前不能办结。"))
    note = _clean(note) or order.report_note
    item_services.item_resolve(user=user, item=order.item, note=note)
    order.status = OrderStatus.RESOLVED
    order.resolved_at = timezone.now()
    order.save(update_fields=["status", "resolved_at"])
    _award(member=order.member, kind=PointKind.ITEM_RESOLVED, source_type="order", source_id=order.pk, user=user,
           reason=_("接单办结:%(title)s") % {"title": order.item.title})
    return order


@transaction.atomic
def order_cancel(*, user, order: Order) -> Order:
    """The member gives an order back before it is confirmed; the staff may cancel until resolved."""
    order = _lock_order(order)
    if _is_self(user, order.member):
        if order.status != OrderStatus.TAKEN:
            raise ValidationError(_("组织确认后不能自行取消,请联系社区。"))
    else:
        require_permission(user=user, alliance=order.member.community, perm=HANDLE_ITEMS)
        if order.status not in (OrderStatus.TAKEN, OrderStatus.CONFIRMED, OrderStatus.REPORTED):
            raise ValidationError(_("该接单已经结束。"))
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status"])
    # A demand given back before confirmation is NEW again and open to another member; once the
    # organisation confirmed it, the item stays with the organisation (tasks) to finish.
    return order


def orders_award_ratings(*, limit: int = 500) -> int:
    """Points for orders whose demand the resident rated well (>= 4 of 5). Idempotent: an order is
    rewarded once (the ledger's unique award rule), so the hourly task may run twice at once."""
    rows = list(
        Order.objects.filter(status=OrderStatus.RESOLVED, item__rating__score__gte=WELL_RATED_SCORE,
                             item__rating__status__in=[RatingStatus.VALID, RatingStatus.UPHELD])
        .exclude(pk__in=PointEntry.objects.filter(kind=PointKind.ITEM_WELL_RATED, source_type="order",
                                                  source_id__isnull=False).values("source_id"))
        .select_related("member", "item", "item__rating").order_by("pk")[:limit]
    )
    awarded = 0
    for order in rows:
        with transaction.atomic():
            entry = _award(member=order.member, kind=PointKind.ITEM_WELL_RATED, source_type="order",
                           source_id=order.pk, reason=_("接单获群众好评(%(score)d分):%(title)s") % {
                               "score": order.item.rating.score, "title": order.item.title})
        awarded += entry is not None
    return awarded


# --- points and the time bank --------------------------------------------------------------

@transaction.atomic
def point_rule_set(*, user, root: Alliance, kind: str, points) -> PointRule:
    """The district's organisation department sets how many points an event earns."""
    require_permission(user=user, alliance=root, perm=MANAGE_TREE)
    if root.depth != 1:
        raise ValidationError(_("积分规则由区委组织部统一设置。"))
    if kind not in DEFAULT_POINTS:
        raise ValidationError({"kind": _("未知的积分事件。")})
    try:
        points = int(points)
    except (TypeError, ValueError):
        points = None
    if points is None or not 0 <= points <= 1000:
        raise ValidationError({"points": _("积分应为0到1000之间的整数。")})
    rule, _created = PointRule.objects.update_or_create(
        tenant_id=root.tenant_id, kind=kind, defaults={"points": points, "updated_by": user})
    return rule


@transaction.atomic
def point_entry_reverse(*, user, entry: PointEntry, reason: str) -> PointEntry:
    """冲正: a secretary cancels an entry with a new, opposite entry. Never twice, never a reversal."""
    entry = PointEntry.objects.select_for_update().select_related("member", "member__community").get(pk=entry.pk)
    _require_staff(user, entry.member, CHANGE)
    if entry.kind == PointKind.REVERSAL:
        raise ValidationError(_("冲正记录不能再冲正。"))
    if PointEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("该记录已经冲正过。"))
    reason = _clean(reason)
    if not reason:
        raise ValidationError({"reason": _("请填写冲正理由。")})
    try:
        with transaction.atomic():
            return PointEntry.objects.create(
                tenant_id=entry.tenant_id, alliance_path=entry.member.alliance_path, member=entry.member,
                points=-entry.points, kind=PointKind.REVERSAL, reverses=entry, created_by=user,
                reason=(_("冲正“%(reason)s”:%(why)s") % {"reason": entry.reason, "why": reason})[:200],
            )
    except IntegrityError:
        raise ValidationError(_("该记录已经冲正过。")) from None


def timebank_balance(member: PartyMember) -> Decimal:
    return TimeBankEntry.objects.filter(member=member).aggregate(total=Sum("hours"))["total"] or Decimal("0")


@transaction.atomic
def timebank_redeem(*, user, member: PartyMember, hours, reason: str) -> TimeBankEntry:
    """Hours in the bank are redeemed for a service. The member row is locked while the balance is
    checked, so two redemptions at once cannot take it below zero."""
    member = PartyMember.objects.select_for_update().select_related("community").get(pk=member.pk)
    _require_staff(user, member, MANAGE_MEMBERSHIP)
    hours = _hours(hours)
    reason = _clean(reason)
    if not reason:
        raise ValidationError({"reason": _("请填写兑换的服务。")})
    balance = timebank_balance(member)
    if hours > balance:
        raise ValidationError({"hours": _("时间银行余额不足:现有%(balance)s小时。") % {"balance": balance}})
    return TimeBankEntry.objects.create(tenant_id=member.tenant_id, alliance_path=member.alliance_path,
                                        member=member, hours=-hours, reason=reason[:200], created_by=user)
