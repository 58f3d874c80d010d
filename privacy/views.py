"""The district admin's pages for a data request: export one person's data, erase it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance.forms import add_service_error

from . import exporting, selectors, services
from .forms import EraseConfirmForm, ExportForm, PersonForm

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def person_export(request, pk):
    root = selectors.privacy_root_get_for_user(user=request.user, pk=pk)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, phone = selectors.person_find(root=root, username=form.cleaned_data["username"],
                                                phone=form.cleaned_data["phone"])
            data = selectors.person_data_export(actor=request.user, user=user, phone=phone, root=root)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            fmt = form.cleaned_data["format"]
            body = exporting.export_json(data) if fmt == "json" else exporting.export_xlsx(data)
            response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
            response["Content-Disposition"] = f'attachment; filename="{exporting.export_filename(data, fmt)}"'
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "privacy/person_export.html", {"alliance": root, "form": form})


@login_required
def person_erase(request, pk):
    """Two steps: find the person and show what will be anonymised; then confirm."""
    root = selectors.privacy_root_get_for_user(user=request.user, pk=pk)
    confirming = request.method == "POST" and "confirm_step" in request.POST
    form = (EraseConfirmForm if confirming else PersonForm)(request.POST or None)
    context = {"alliance": root, "form": form, "confirm": confirming}
    if request.method == "POST" and form.is_valid():
        try:
            user, phone = selectors.person_find(root=root, username=form.cleaned_data["username"],
                                                phone=form.cleaned_data["phone"])
            if confirming:
                done = services.person_erase(actor=request.user, user=user, phone=phone, root=root)
            else:
                data = selectors.person_data_export(actor=request.user, user=user, phone=phone, root=root)
        except ValidationError as exc:
            add_service_error(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if confirming:
                messages.success(request, _("已注销该人员的个人信息:账号 %(users)d 个,事项 %(items)d 件,评价 "
                                            "%(evaluations)d 条;业务记录和操作记录均已保留。") % done)
                return redirect("privacy-erase", pk=root.pk)
            counts = {selectors.SECTIONS[k]: len(v) for k, v in data["sections"].items() if v}
            context.update({
                "person": user, "phone": phone, "counts": counts,
                "form": EraseConfirmForm(initial={"username": form.cleaned_data["username"],
                                                  "phone": form.cleaned_data["phone"]}),
                "confirm": True,
            })
    return render(request, "privacy/person_erase.html", context)
