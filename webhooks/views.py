"""Webhook pages (HTML, thin): a district admin manages the subscriptions of the clients it
registered, reads their deliveries and sends a failed one again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from alliance.forms import add_service_error
from alliance.selectors import alliance_breadcrumb
from integrations.selectors import api_client_get_for_user

from . import selectors, services
from .forms import SubscriptionForm
from .models import DeliveryStatus

PAGE_SIZE = 50


def _context(request, client, **extra) -> dict:
    return {"client": client, "alliance": client.alliance,
            "breadcrumb": alliance_breadcrumb(user=request.user, alliance=client.alliance), **extra}


@login_required
def subscription_list(request, pk):
    client = api_client_get_for_user(user=request.user, pk=pk)
    subscriptions = selectors.subscription_list_with_counts(user=request.user, client=client)
    return render(request, "webhooks/subscription_list.html", _context(
        request, client, subscriptions=list(subscriptions)))


@never_cache
@login_required
def subscription_create(request, pk):
    client = api_client_get_for_user(user=request.user, pk=pk)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = services.subscription_create(
                user=request.user, client=client, url=form.cleaned_data["url"], events=form.cleaned_data["events"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            # Shown on this answer only (never cached, never again): the receiver needs it to verify.
            return render(request, "webhooks/subscription_created.html", _context(
                request, client, subscription=subscription, secret=secret))
    return render(request, "webhooks/subscription_form.html", _context(request, client, form=form))


ACTIONS = {
    "pause": (services.subscription_pause, _("已停用该订阅。")),
    "resume": (services.subscription_resume, _("已恢复该订阅,失败计数已清零。")),
    "delete": (services.subscription_delete, _("已删除该订阅及其推送记录。")),
}


@login_required
@require_POST
def subscription_action(request, pk, action):
    subscription = selectors.subscription_get_for_user(user=request.user, pk=pk)
    if action not in ACTIONS:
        raise Http404
    service, message = ACTIONS[action]
    try:
        service(user=request.user, subscription=subscription)
    except (ValidationError, PermissionDenied) as exc:
        for text in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]):
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect("webhook-subscription-list", pk=subscription.client_id)


@login_required
def delivery_list(request, pk):
    subscription = selectors.subscription_get_for_user(user=request.user, pk=pk)
    client = api_client_get_for_user(user=request.user, pk=subscription.client_id)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    deliveries = selectors.delivery_list(user=request.user, subscription=subscription, status=status or None)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webhooks/delivery_list.html", _context(
        request, client, subscription=subscription, page=page, status=status, statuses=DeliveryStatus.choices))


@login_required
@require_POST
def delivery_replay(request, pk):
    delivery = selectors.delivery_get_for_user(user=request.user, pk=pk)
    try:
        services.delivery_replay(user=request.user, delivery=delivery)
    except (ValidationError, PermissionDenied) as exc:
        for text in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]):
            messages.error(request, text)
    else:
        messages.success(request, _("已重新发送该事件。"))
    return redirect("webhook-delivery-list", pk=delivery.subscription_id)
