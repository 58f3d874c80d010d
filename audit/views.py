"""The audit trail pages: thin; the scope and the rows come from `audit.selectors`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from alliance.selectors import alliance_breadcrumb

from .exports import XLSX_CONTENT_TYPE, audit_xlsx
from .forms import AuditFilterForm
from .selectors import (
    EXPORT_LIMIT,
    audit_alliance_get_for_user,
    audit_event_list,
    audit_rows,
    audit_supported,
)

PAGE_SIZE = 50


@login_required
@require_GET
def alliance_audit(request, pk):
    """Every recorded change in the alliance's subtree, newest first, filterable."""
    alliance = audit_alliance_get_for_user(user=request.user, pk=pk)
    form = AuditFilterForm(request.GET or None)
    context = {
        "alliance": alliance,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "form": form,
        "supported": audit_supported(),
        "export_limit": EXPORT_LIMIT,
        "page": None,
        "rows": [],
    }
    if context["supported"]:
        events = audit_event_list(user=request.user, alliance=alliance, filters=form.filters())
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(page=page, rows=audit_rows(page.object_list))
    return render(request, "audit/audit_list.html", context)


@login_required
@require_GET
def alliance_audit_export(request, pk):
    """The filtered events as an .xlsx workbook (the newest EXPORT_LIMIT at most)."""
    alliance = audit_alliance_get_for_user(user=request.user, pk=pk)
    form = AuditFilterForm(request.GET or None)
    # Without PostgreSQL the list is empty (no triggers): the workbook has its header only.
    content = audit_xlsx(audit_event_list(user=request.user, alliance=alliance, filters=form.filters()))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{alliance.code}-{stamp}.xlsx"'
    return response
