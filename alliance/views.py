"""HTML pages of the tree. Thin: selectors read, services write."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import selectors, services
from .forms import AllianceForm, add_service_error
from .roles import CHANGE, MANAGE_TREE


@never_cache
@require_GET
def healthz(request):
    """Database and Redis state for the load balancer and docker-compose health checks."""
    state = {"database": "ok", "redis": "not configured"}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        state["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            state["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            state["redis"] = f"error: {exc.__class__.__name__}"
            healthy = False
    state["status"] = "ok" if healthy else "error"
    return JsonResponse(state, status=200 if healthy else 503)


@login_required
def home(request):
    alliances = list(selectors.alliance_home_list(user=request.user))
    return render(request, "alliance/home.html", {"alliances": alliances})


@login_required
def alliance_child_create(request, pk):
    parent = selectors.alliance_get_for_user(user=request.user, pk=pk)
    services.require_permission(user=request.user, alliance=parent, perm=MANAGE_TREE)
    form = AllianceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.alliance_create(user=request.user, parent=parent, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已创建党建共同体“%(name)s”。") % {"name": child.name})
            return redirect("alliance-detail", pk=child.pk)
    return render(request, "alliance/alliance_form.html", {
        "form": form, "alliance": parent, "breadcrumb": selectors.alliance_breadcrumb(user=request.user, alliance=parent),
        "title": _("在“%(name)s”下新建党建共同体") % {"name": parent.name},
    })


@login_required
def alliance_edit(request, pk):
    alliance = selectors.alliance_get_for_user(user=request.user, pk=pk)
    services.require_permission(user=request.user, alliance=alliance, perm=CHANGE)
    initial = {f: getattr(alliance, f) for f in AllianceForm.base_fields}
    form = AllianceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {f: form.cleaned_data[f] for f in form.changed_data}
        try:
            services.alliance_update(user=request.user, alliance=alliance, **changed)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("alliance-detail", pk=alliance.pk)
    return render(request, "alliance/alliance_form.html", {
        "form": form, "alliance": alliance, "breadcrumb": selectors.alliance_breadcrumb(user=request.user, alliance=alliance),
        "title": _("编辑“%(name)s”") % {"name": alliance.name},
    })
