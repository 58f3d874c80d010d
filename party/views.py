"""HTML pages of the party-member work. Thin: party.selectors read, party.services write.

The member's own pages (我的社区, 我的岗位, 我的接单, 我的积分) show only the member's own rows; the
community's pages (党员名册, 报到登记, 岗位管理, 接单办理, 积分排行) hang under an alliance fetched
through the scope, so a neighbour gets 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.forms import add_service_error
from alliance.models import Alliance, Level
from alliance.roles import CHANGE, HANDLE_ITEMS, MANAGE_MEMBERSHIP, MANAGE_TREE, VIEW_ALL_UNITS
from alliance.selectors import (
    alliance_breadcrumb,
    alliance_get_for_user,
    alliance_home_list,
    user_scope,
)
from members.selectors import liaison_unit_ids, member_unit_get_for_user, member_unit_list

from . import selectors, services
from .forms import HoursForm, PartyMemberForm, PointRuleForm, PostForm, RedeemForm
from .models import DEFAULT_POINTS, ClaimStatus, OrderStatus, PointKind, PointRule, PostStatus

PAGE_SIZE = 50


def _errors(request, exc) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(exc))


def _back(request, fallback: str, **kwargs):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback, **kwargs)


def _own(request):
    member = selectors.own_member(request.user)
    if member is None:
        raise Http404(_("您还没有登记为在职党员,请联系居住地社区。"))
    return member


def _month(value: str) -> dt.date:
    today = timezone.localdate().replace(day=1)
    try:
        year, number = (int(part) for part in (value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= number <= 12:
            return dt.date(year, number, 1)
    except ValueError:
        pass
    return today


# --- the hub and the member's own pages -----------------------------------------------------

@login_required
def party_home(request):
    """在职党员: the member's own pages, and the alliances where the user runs the work."""
    member = selectors.own_member(request.user)
    alliances = list(alliance_home_list(user=request.user))
    if member is not None and not alliances:
        return redirect("party-me")
    scope = user_scope(request.user)
    for alliance in alliances:
        alliance.may_list = scope.allows(VIEW_ALL_UNITS, alliance.path)
        alliance.may_set_rules = alliance.depth == 1 and scope.allows(MANAGE_TREE, alliance.path)
    own_units = sorted(liaison_unit_ids(request.user))
    units = list(member_unit_list(user=request.user).filter(pk__in=own_units)) if own_units else []
    return render(request, "party/home.html", {"member": member, "alliances": alliances, "units": units})


def _me_context(request, member, tab: str) -> dict:
    selectors.with_personal(request.user, [member])
    return {"member": member, "tab": tab}


@login_required
def my_community(request):
    member = _own(request)
    report = selectors.active_reports(members=[member]).get(member.pk)
    communities = []
    if report is None:
        communities = list(Alliance.objects.filter(tenant_id=member.tenant_id, level=Level.COMMUNITY, is_active=True)
                           .order_by("path").only("pk", "name"))
    return render(request, "party/me_community.html", {
        **_me_context(request, member, "community"), "report": report, "communities": communities,
        "report_day": services.report_day(timezone.localdate()),
        "attendances": list(member.attendances.order_by("-month")[:12]),
    })


@login_required
@require_POST
def my_report(request):
    member = _own(request)
    try:
        community = Alliance.objects.get(pk=int(request.POST.get("community") or member.community_id),
                                         tenant_id=member.tenant_id)
    except (Alliance.DoesNotExist, ValueError):
        raise Http404(_("没有找到该党建共同体。")) from None
    try:
        services.report_create(user=request.user, member=member, community=community)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已向%(community)s报到。") % {"community": community.name})
    return redirect("party-me")


@login_required
def my_posts(request):
    member = _own(request)
    posts = selectors.with_places(selectors.post_list(user=request.user).filter(
        community_id=member.community_id, status=PostStatus.OPEN)).order_by("-created_at", "-pk")[:100]
    claims = selectors.claim_list(user=request.user).filter(member=member).order_by("-claimed_at", "-pk")[:100]
    return render(request, "party/me_posts.html", {
        **_me_context(request, member, "posts"), "posts": list(posts), "claims": list(claims),
    })


@login_required
def my_orders(request):
    member = _own(request)
    orders = selectors.order_list(user=request.user).filter(member=member).order_by("-taken_at", "-pk")[:100]
    return render(request, "party/me_orders.html", {
        **_me_context(request, member, "orders"),
        "available": list(selectors.orderable_items(member=member)[:50]), "orders": list(orders),
    })


@login_required
def my_points(request):
    member = _own(request)
    entries = selectors.point_entry_list(user=request.user).filter(member=member).order_by("-created_at", "-pk")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "party/me_points.html", {
        **_me_context(request, member, "points"), "page": page, "total": selectors.points_total(member),
        "hours": selectors.timebank_total(member),
        "time_entries": list(selectors.timebank_list(user=request.user).filter(member=member)
                             .order_by("-created_at", "-pk")[:50]),
    })


# --- moves (POST) ---------------------------------------------------------------------------

@login_required
@require_POST
def item_take(request, pk):
    """党员接单 from 我的接单."""
    member = _own(request)
    item = selectors.item_for_member(member=member, pk=pk)
    try:
        services.order_take(user=request.user, member=member, item=item)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已接单,等待社区确认。"))
    return redirect("party-my-orders")


@login_required
@require_POST
def post_action(request, pk, action):
    post = selectors.post_get_for_user(user=request.user, pk=pk)
    try:
        if action == "claim":
            member_pk = request.POST.get("member")
            member = (selectors.party_member_get_for_user(user=request.user, pk=member_pk) if member_pk
                      else _own(request))
            services.post_claim(user=request.user, post=post, member=member, note=request.POST.get("note", ""))
            messages.success(request, _("已认领岗位,等待社区书记确认。"))
        elif action == "close":
            services.post_close(user=request.user, post=post)
            messages.success(request, _("岗位已关闭。"))
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return _back(request, "party-my-posts")


@login_required
@require_POST
def claim_action(request, pk, action):
    claim = selectors.claim_get_for_user(user=request.user, pk=pk)
    note = request.POST.get("note", "")
    try:
        if action == "withdraw":
            services.claim_withdraw(user=request.user, claim=claim)
        elif action in ("confirm", "reject"):
            services.claim_decide(user=request.user, claim=claim, confirm=action == "confirm", note=note)
        elif action == "hours":
            services.claim_confirm_hours(user=request.user, claim=claim, hours=request.POST.get("hours"), note=note)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已保存。"))
    return _back(request, "party-my-posts")


@login_required
@require_POST
def order_action(request, pk, action):
    order = selectors.order_get_for_user(user=request.user, pk=pk)
    moves = {"confirm": services.order_confirm, "report": services.order_report,
             "resolve": services.order_resolve, "cancel": services.order_cancel}
    if action not in moves:
        raise Http404
    extra = {} if action == "cancel" else {"note": request.POST.get("note", "")}
    try:
        moves[action](user=request.user, order=order, **extra)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已保存。"))
    return _back(request, "party-my-orders")


@login_required
@require_POST
def point_reverse(request, pk):
    entry = selectors.point_entry_get_for_user(user=request.user, pk=pk)
    try:
        services.point_entry_reverse(user=request.user, entry=entry, reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已冲正。"))
    return redirect("party-member-detail", pk=entry.member_id)


# --- the community's pages ------------------------------------------------------------------

def _alliance(request, pk, perm=None):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    if perm is not None and not user_scope(request.user).allows(perm, alliance.path):
        raise PermissionDenied(_("您没有在该党建共同体执行此操作的权限。"))
    return alliance


def _crumbs(request, alliance):
    return alliance_breadcrumb(user=request.user, alliance=alliance)


def _community_tabs(request, alliance, tab: str) -> dict:
    scope = user_scope(request.user)
    return {"alliance": alliance, "breadcrumb": _crumbs(request, alliance), "tab": tab,
            "is_community": alliance.level == Level.COMMUNITY,
            "can_manage": scope.allows(MANAGE_MEMBERSHIP, alliance.path),
            "can_confirm": scope.allows(CHANGE, alliance.path),
            "can_handle": scope.allows(HANDLE_ITEMS, alliance.path)}


@login_required
def alliance_members(request, pk):
    """党员名册: the members living in the alliance's subtree; staff add members here."""
    alliance = _alliance(request, pk, VIEW_ALL_UNITS)
    ctx = _community_tabs(request, alliance, "members")
    units = member_unit_list(user=request.user).filter(alliance_path__startswith=alliance.path).order_by("name")[:300]
    form = None
    if ctx["can_manage"] and ctx["is_community"]:
        form = PartyMemberForm(request.POST or None, units=units)
        if request.method == "POST" and form.is_valid():
            values = dict(form.cleaned_data)
            unit_pk = values.pop("employer_unit")
            try:
                unit = member_unit_get_for_user(user=request.user, pk=unit_pk) if unit_pk else None
                member = services.party_member_create(user=request.user, community=alliance, employer_unit=unit,
                                                      **values)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已登记党员%(name)s。") % {"name": member.name})
                return redirect("party-member-detail", pk=member.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("您没有在该党建共同体执行此操作的权限。"))
    members = selectors.party_member_list(user=request.user).filter(
        tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path).order_by("name", "pk")
    query = (request.GET.get("q") or "").strip()
    if query:
        members = members.filter(name__contains=query)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.with_personal(request.user, page.object_list)
    return render(request, "party/members.html", {**ctx, "page": page, "form": form, "q": query})


@login_required
def member_detail(request, pk):
    member = selectors.party_member_get_for_user(user=request.user, pk=pk)
    selectors.with_personal(request.user, [member])
    scope = user_scope(request.user)
    entries = selectors.point_entry_list(user=request.user).filter(member=member).order_by("-created_at", "-pk")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "party/member_detail.html", {
        "member": member, "alliance": member.community, "breadcrumb": _crumbs(request, member.community),
        "reports": list(member.reports.select_related("community").order_by("-reported_at")[:20]),
        "page": page, "total": selectors.points_total(member), "hours": selectors.timebank_total(member),
        "time_entries": list(member.time_entries.order_by("-created_at", "-pk")[:50]),
        "can_manage": scope.allows(MANAGE_MEMBERSHIP, member.alliance_path),
        "can_reverse": scope.allows(CHANGE, member.alliance_path),
        "redeem_form": RedeemForm(),
    })


@login_required
@require_POST
def member_action(request, pk, action):
    member = selectors.party_member_get_for_user(user=request.user, pk=pk)
    try:
        if action == "report":
            services.report_create(user=request.user, member=member)
            messages.success(request, _("已登记报到。"))
        elif action == "redeem":
            form = RedeemForm(request.POST)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return redirect("party-member-detail", pk=member.pk)
            services.timebank_redeem(user=request.user, member=member, **form.cleaned_data)
            messages.success(request, _("已兑换。"))
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect("party-member-detail", pk=member.pk)


@login_required
def register(request, pk):
    """报到登记: who came on the month's report day; record attendance; the three-month absence list."""
    alliance = _alliance(request, pk, VIEW_ALL_UNITS)
    if alliance.level != Level.COMMUNITY:
        raise Http404(_("报到登记在社区办理。"))
    ctx = _community_tabs(request, alliance, "register")
    month = _month(request.POST.get("month") or request.GET.get("month", ""))
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("members") if v.isascii() and v.isdigit() and len(v) < 19]
        members = list(selectors.party_member_list(user=request.user).filter(pk__in=ids))
        try:
            if not members:
                raise ValidationError(_("请勾选到场的党员。"))
            created = services.attendance_record(user=request.user, community=alliance, members=members,
                                                 month=month)
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已登记%(n)d人到场。") % {"n": created})
        return redirect(f"{request.path}?month={month:%Y-%m}")
    rows = selectors.register(community=alliance, month=month)
    return render(request, "party/register.html", {
        **ctx, "month": month, "day": services.report_day(month), "rows": rows,
        "came": sum(1 for r in rows if r["came"]),
        "previous": f"{selectors.previous_month(month):%Y-%m}",
        "next": f"{(month + dt.timedelta(days=32)).replace(day=1):%Y-%m}",
        "absent": list(selectors.absent_three_months(community=alliance)[:200]),
        "days": selectors.last_report_days(today=timezone.localdate()),
    })


@login_required
def posts(request, pk):
    """岗位管理: the posts of the alliance's subtree, claims to confirm, hours to confirm."""
    alliance = _alliance(request, pk)
    ctx = _community_tabs(request, alliance, "posts")
    form = None
    if ctx["can_manage"] and ctx["is_community"]:
        form = PostForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.post_create(user=request.user, community=alliance, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已发布岗位。"))
                return redirect("party-posts", pk=alliance.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("您没有在该党建共同体执行此操作的权限。"))
    here = selectors.post_list(user=request.user).filter(tenant_id=alliance.tenant_id,
                                                          alliance_path__startswith=alliance.path)
    claims = selectors.claim_list(user=request.user).filter(post__in=here)
    return render(request, "party/posts.html", {
        **ctx, "form": form,
        "posts": list(selectors.with_places(here).order_by("status", "-created_at", "-pk")[:100]),
        "pending": list(claims.filter(status=ClaimStatus.CLAIMED).order_by("claimed_at", "pk")[:100]),
        "confirmed": list(claims.filter(status=ClaimStatus.CONFIRMED).order_by("-decided_at", "-pk")[:100]),
        "hours_form": HoursForm(),
    })


@login_required
def orders(request, pk):
    """接单办理: the orders of members living in the subtree, to confirm and to resolve."""
    alliance = _alliance(request, pk, VIEW_ALL_UNITS)
    ctx = _community_tabs(request, alliance, "orders")
    here = selectors.order_list(user=request.user).filter(member__tenant_id=alliance.tenant_id,
                                                           member__alliance_path__startswith=alliance.path)
    return render(request, "party/orders.html", {
        **ctx,
        "open": list(here.filter(status__in=[OrderStatus.TAKEN, OrderStatus.CONFIRMED, OrderStatus.REPORTED])
                     .order_by("taken_at", "pk")[:100]),
        "done": list(here.filter(status=OrderStatus.RESOLVED).order_by("-resolved_at", "-pk")[:30]),
    })


@login_required
def ranking(request, pk):
    """积分排行: members and employer units by points, in the alliance's subtree."""
    alliance = _alliance(request, pk)
    return render(request, "party/ranking.html", {
        **_community_tabs(request, alliance, "ranking"),
        "members": list(selectors.ranking_members(alliance=alliance)),
        "units": selectors.ranking_units(alliance=alliance),
    })


@login_required
def rules(request, pk):
    """积分规则: the district's organisation department sets the points of each event."""
    alliance = _alliance(request, pk, MANAGE_TREE)
    if alliance.depth != 1:
        raise Http404(_("积分规则由区委组织部统一设置。"))
    current = {**{k.value: v for k, v in DEFAULT_POINTS.items()},
               **dict(PointRule.objects.filter(tenant_id=alliance.tenant_id).values_list("kind", "points"))}
    form = PointRuleForm(request.POST or None, rules=current)
    if request.method == "POST" and form.is_valid():
        try:
            for kind, points in form.cleaned_data.items():
                if points != current[kind]:
                    services.point_rule_set(user=request.user, root=alliance, kind=kind, points=points)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存积分规则。"))
            return redirect("party-rules", pk=alliance.pk)
    return render(request, "party/rules.html", {"alliance": alliance, "breadcrumb": _crumbs(request, alliance),
                                                "form": form, "kinds": PointKind})


@login_required
def unit_members(request, pk):
    """The employer's view: the unit's employees who are party members, and where they reported."""
    unit = member_unit_get_for_user(user=request.user, pk=pk)
    members = selectors.party_member_list(user=request.user).filter(employer_unit=unit).order_by("name", "pk")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.with_personal(request.user, page.object_list)
    reports = selectors.active_reports(members=page.object_list)
    for member in page.object_list:
        member.active_report = reports.get(member.pk)
    return render(request, "party/unit_members.html", {"unit": unit, "page": page})
