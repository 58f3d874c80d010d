"""Pages of the district admin for the API clients of other systems. Thin: selectors read, services write.

A token is shown once, in the answer to the POST that made it (register or rotate), and never
stored in plaintext anywhere (not in the session either).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance.forms import add_service_error
from alliance.roles import MANAGE_TREE
from alliance.selectors import alliance_breadcrumb, alliance_get_for_user
from alliance.services import require_permission

from . import selectors, services
from .forms import ApiClientForm, ConfirmForm


def _token_page(request, client, token, *, rotated: bool):
    response = render(request, "integrations/token.html", {"client": client, "token": token, "rotated": rotated})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def api_client_list(request, pk):
    """The clients registered in the alliance's subtree (district admins only)."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=MANAGE_TREE)
    clients = list(selectors.api_client_list(user=request.user, alliance=alliance))
    return render(request, "integrations/client_list.html", {
        "alliance": alliance, "clients": clients,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
    })


@login_required
def api_client_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    require_permission(user=request.user, alliance=alliance, perm=MANAGE_TREE)
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client, token = services.api_client_create(user=request.user, alliance=alliance, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return _token_page(request, client, token, rotated=False)
    return render(request, "integrations/client_form.html", {"alliance": alliance, "form": form})


@login_required
def api_client_rotate(request, pk):
    client = selectors.api_client_get_for_user(user=request.user, pk=pk)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client, token = services.api_client_rotate(user=request.user, client=client)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return _token_page(request, client, token, rotated=True)
    return render(request, "integrations/client_confirm.html", {
        "client": client, "form": form, "action": "rotate",
        "title": _("轮换“%(name)s”的令牌") % {"name": client.name},
        "warning": _("轮换后旧令牌立即失效,对接系统须换用新令牌。"),
    })


@login_required
def api_client_revoke(request, pk):
    client = selectors.api_client_get_for_user(user=request.user, pk=pk)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.api_client_revoke(user=request.user, client=client)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已吊销“%(name)s”的令牌。") % {"name": client.name})
            return redirect("api-client-list", pk=client.alliance_id)
    return render(request, "integrations/client_confirm.html", {
        "client": client, "form": form, "action": "revoke",
        "title": _("吊销“%(name)s”的令牌") % {"name": client.name},
        "warning": _("吊销后该系统的所有请求都会被拒绝,且不能恢复;如需继续对接,请重新登记。"),
    })
