"""HTML pages for an alliance's members. Thin: selectors read, services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance.forms import add_service_error
from alliance.models import Level
from alliance.roles import CHANGE, MANAGE_MEMBERSHIP, MANAGE_TREE, VIEW, VIEW_ALL_UNITS
from alliance.selectors import (
    alliance_breadcrumb,
    alliance_children,
    alliance_get_for_user,
    user_scope,
)
from alliance.services import require_permission

from . import importing, selectors, services
from .forms import ImportForm, MembershipEditForm, MembershipForm, MemberUnitForm
from .models import Category

UNIT_PAGE_SIZE = 30


@login_required
def alliance_detail(request, pk):
    """The alliance page: breadcrumb, children, member units and counts."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    scope = user_scope(request.user)
    memberships = list(selectors.alliance_memberships(user=request.user, alliance=alliance)[:200])
    context = {
        "alliance": alliance,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "children": list(alliance_children(alliance=alliance)),
        "memberships": memberships,
        "counts": selectors.alliance_counts(alliance=alliance),
        "can_change": scope.allows(CHANGE, alliance.path),
        "can_add_child": scope.allows(MANAGE_TREE, alliance.path) and alliance.level != Level.GRID,
        "can_manage_units": scope.allows(MANAGE_MEMBERSHIP, alliance.path),
        # A liaison sees its own unit, not how many others there are.
        "show_unit_counts": scope.allows(VIEW_ALL_UNITS, alliance.path),
    }
    return render(request, "members/alliance_detail.html", context)


@login_required
def alliance_unit_list(request, pk):
    """Every unit registered in the alliance's subtree, searchable, a page at a time."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    units = selectors.member_unit_list(user=request.user).filter(
        tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path
    )
    # A NUL character cannot be sent to PostgreSQL (it would be a 500), and no name contains one.
    q = request.GET.get("q", "").replace("\x00", "").strip()
    if q:
        units = units.filter(Q(name__icontains=q) | Q(credit_code__iexact=q))
    category = request.GET.get("category", "").replace("\x00", "")
    if category in Category.values:
        units = units.filter(category=category)
    page = Paginator(units.order_by("name", "pk"), UNIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/unit_list.html", {
        "alliance": alliance,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "page": page, "q": q, "category": category, "categories": Category.choices,
        "can_manage_units": user_scope(request.user).allows(MANAGE_MEMBERSHIP, alliance.path),
    })


@login_required
def unit_detail(request, pk):
    unit = selectors.member_unit_get_for_user(user=request.user, pk=pk)
    memberships = list(selectors.membership_list(user=request.user).filter(unit_id=unit.pk)
                       .order_by("left_on", "-joined_on"))
    return render(request, "members/unit_detail.html", {
        "unit": unit,
        "memberships": memberships,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=unit.alliance),
        "can_edit": user_scope(request.user).allows(MANAGE_MEMBERSHIP, unit.alliance_path),
        # A unit from another street that joined one of ours: its home community is not ours to name.
        "home_visible": user_scope(request.user).allows(VIEW, unit.alliance_path),
    })


@login_required
def unit_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=MANAGE_MEMBERSHIP)
    form = MemberUnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.member_unit_create(user=request.user, alliance=alliance, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已登记成员单位“%(name)s”。") % {"name": unit.name})
            return redirect("unit-detail", pk=unit.pk)
    return render(request, "members/unit_form.html", {
        "form": form, "alliance": alliance,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "title": _("登记成员单位"),
    })


@login_required
def unit_edit(request, pk):
    unit = selectors.member_unit_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=unit.alliance, perm=MANAGE_MEMBERSHIP)
    initial = {f: getattr(unit, f) for f in MemberUnitForm.base_fields}
    form = MemberUnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            services.member_unit_update(user=request.user, unit=unit, **changed)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("unit-detail", pk=unit.pk)
    return render(request, "members/unit_form.html", {
        "form": form, "unit": unit, "alliance": unit.alliance,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=unit.alliance),
        "title": _("编辑“%(name)s”") % {"name": unit.name},
    })


@login_required
def membership_create(request, pk):
    """Add a unit of the user's scope to this alliance (e.g. to an industry alliance)."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=MANAGE_MEMBERSHIP)
    candidates = (
        selectors.member_unit_list(user=request.user).filter(tenant_id=alliance.tenant_id)
        .exclude(memberships__alliance=alliance, memberships__left_on__isnull=True)
        .order_by("name").values_list("pk", "name")[:1000]
    )
    form = MembershipForm(request.POST or None, unit_choices=list(candidates))
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            unit = selectors.member_unit_get_for_user(user=request.user, pk=values.pop("unit"))
            services.membership_create(user=request.user, unit=unit, alliance=alliance, **values)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("“%(unit)s”已加入本共同体。") % {"unit": unit.name})
            return redirect("alliance-detail", pk=alliance.pk)
    return render(request, "members/membership_form.html", {
        "form": form, "alliance": alliance,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "title": _("添加成员单位到“%(name)s”") % {"name": alliance.name},
    })


@login_required
def membership_edit(request, pk):
    membership = selectors.membership_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=membership.alliance, perm=MANAGE_MEMBERSHIP)
    form = MembershipEditForm(request.POST or None, initial={
        "role": membership.role, "representative": membership.representative, "left_on": membership.left_on,
    })
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            services.membership_update(user=request.user, membership=membership, **values)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("alliance-detail", pk=membership.alliance_id)
    return render(request, "members/membership_form.html", {
        "form": form, "alliance": membership.alliance, "membership": membership,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=membership.alliance),
        "title": _("“%(unit)s”在“%(alliance)s”的成员关系") % {
            "unit": membership.unit.name, "alliance": membership.alliance.name},
    })


@login_required
def unit_import(request, pk):
    """Upload an .xlsx of member units; a refused file lists every bad row and writes nothing."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=MANAGE_MEMBERSHIP)
    form = ImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            units = importing.member_unit_import(user=request.user, alliance=alliance,
                                                 file=form.cleaned_data["file"])
        except importing.ImportRejected as exc:
            row_errors = exc.row_errors
        else:
            messages.success(request, _("已导入%(n)d个成员单位。") % {"n": len(units)})
            return redirect("alliance-detail", pk=alliance.pk)
    return render(request, "members/unit_import.html", {
        "form": form, "alliance": alliance, "row_errors": row_errors,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
    }, status=400 if row_errors else 200)


@login_required
def unit_import_template(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=MANAGE_MEMBERSHIP)
    response = HttpResponse(
        importing.import_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''member-units-template.xlsx"
    return response
