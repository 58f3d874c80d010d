"""HTML pages of items: an inbox per alliance, the item with its timeline and actions, and the
residents' public pages (raise a demand, follow it, confirm and rate it). Thin: services write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from alliance.forms import add_service_error
from alliance.models import Level
from alliance.roles import HANDLE_ITEMS
from alliance.selectors import (
    alliance_ancestor_paths,
    alliance_breadcrumb,
    alliance_get_for_user,
    user_scope,
)
from alliance.services import require_permission
from members.selectors import liaison_unit_ids, member_unit_get_for_user

from . import selectors, services
from .forms import ConfirmForm, DemandForm, ItemForm, NoteForm, RatingForm
from .models import Category, ItemSource, Notification, Rating, RatingStatus, Status

PAGE_SIZE = 30
BOX_LABELS = {
    "new": _("待接单"), "mine": _("我承办的"), "overdue": _("已超期"), "escalated_to_us": _("下级上报"),
    "escalated_by_us": _("我们上报的"), "resolved": _("待确认"), "all": _("全部"),
}


@login_required
def item_inbox(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    box = request.GET.get("box", "new")
    if box not in selectors.INBOXES:
        box = "new"
    items = selectors.item_inbox(user=request.user, alliance=alliance, box=box)
    category = request.GET.get("category", "")
    if category in Category.values:
        items = items.filter(category=category)
    status = request.GET.get("status", "")
    if status in Status.values:
        items = items.filter(status=status)
    page = Paginator(items.order_by("due_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tasks/inbox.html", {
        "alliance": alliance, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "page": page, "box": box, "boxes": [(key, str(BOX_LABELS[key])) for key in selectors.INBOXES],
        "category": category, "categories": Category.choices, "status": status, "statuses": Status.choices,
        "now": timezone.now(),
        "can_create": user_scope(request.user).allows(HANDLE_ITEMS, alliance.path),
    })


@login_required
def item_create(request, pk):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    # The form is only for those the service will let through (the one rule: require_permission).
    require_permission(user=request.user, alliance=alliance, perm=HANDLE_ITEMS)
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item, _created = services.item_create(user=request.user, alliance=alliance, source=ItemSource.GRID,
                                                  **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已登记事项 %(ref)s。") % {"ref": item.reference})
            return redirect("item-detail", pk=item.pk)
    return render(request, "tasks/item_form.html", {
        "form": form, "alliance": alliance, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
    })


def _available_actions(user, item) -> list[str]:
    """Which action forms to show; the services decide again when one is posted."""
    scope = user_scope(user)
    handler = scope.allows(HANDLE_ITEMS, item.alliance_path)
    origin = scope.allows(HANDLE_ITEMS, services.item_rater_path(item))
    liaison = item.assignee_unit_id in liaison_unit_ids(user)
    actions = []
    if item.status == Status.NEW and (handler or liaison_unit_ids(user)):
        actions.append("claim")
    if handler and item.status in (Status.NEW, Status.ACCEPTED):
        actions += ["start", "reject"]
    if (handler or liaison) and item.status in (Status.ACCEPTED, Status.IN_PROGRESS):
        actions.append("resolve")
    if handler and item.is_open:
        if item.alliance.depth > 1:
            actions.append("escalate")
        if item.alliance_path != item.origin_path:
            actions.append("send_back")
    if origin and item.status == Status.RESOLVED and item.source != ItemSource.DEMAND:
        actions.append("rate" if item.confirmed_at else "confirm")
    rating = getattr(item, "rating", None) if item.status == Status.CLOSED else None
    if rating is not None:
        if rating.status == RatingStatus.VALID and scope.allows(HANDLE_ITEMS, item.alliance_path):
            actions.append("appeal")
        parents = alliance_ancestor_paths(item.alliance_path)
        if rating.status == RatingStatus.APPEALED and parents and scope.allows(HANDLE_ITEMS, parents[-1]):
            actions.append("decide")
    return actions


@login_required
def item_detail(request, pk):
    item = selectors.item_get_for_user(user=request.user, pk=pk)
    return render(request, "tasks/item_detail.html", {
        "item": item, "alliance": item.alliance,
        "breadcrumb": alliance_breadcrumb(user=request.user, alliance=item.alliance),
        "events": list(selectors.item_events(item=item)),
        "actions": _available_actions(request.user, item),
        # The resident's contact details are for the level handling it, not for units or observers.
        "can_handle": user_scope(request.user).allows(HANDLE_ITEMS, item.alliance_path),
        "note_form": NoteForm(), "confirm_form": ConfirmForm(), "rating_form": RatingForm(),
        "rating": getattr(item, "rating", None) if item.status == Status.CLOSED else None,
        "now": timezone.now(),
    })


ACTION_MESSAGES = {
    "claim": _("已接单。"), "start": _("已开始办理。"), "resolve": _("已办结,等待提出方确认。"),
    "reject": _("已驳回。"), "escalate": _("已提交上一级。"), "send_back": _("已发回下级。"),
    "confirm": _("已确认。"), "rate": _("感谢评价,事项已关闭。"),
    "appeal": _("已提交申诉,由上一级裁定。"), "decide": _("已裁定。"),
}


@login_required
@require_POST
def item_action(request, pk, action):
    item = selectors.item_get_for_user(user=request.user, pk=pk)
    note = request.POST.get("note", "")
    try:
        if action == "claim":
            own = sorted(liaison_unit_ids(request.user))
            unit = member_unit_get_for_user(user=request.user, pk=own[0]) if own else None
            services.item_claim(user=request.user, item=item, unit=unit, note=note)
        elif action == "start":
            services.item_start(user=request.user, item=item, note=note)
        elif action == "resolve":
            services.item_resolve(user=request.user, item=item, note=note)
        elif action == "reject":
            services.item_reject(user=request.user, item=item, reason=note)
        elif action == "escalate":
            services.item_escalate(user=request.user, item=item, reason=note)
        elif action == "send_back":
            services.item_send_back(user=request.user, item=item, instructions=note)
        elif action == "confirm":
            form = ConfirmForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请选择问题是否已经解决。"))
            services.item_confirm(user=request.user, item=item, solved=form.cleaned_data["solved"], note=note)
        elif action == "rate":
            services.item_rate(user=request.user, item=item, score=request.POST.get("score"),
                               comment=request.POST.get("comment", ""))
        elif action in ("appeal", "decide"):
            rating = Rating.objects.filter(item=item).first()
            if rating is None:
                raise ValidationError(_("该事项还没有评价。"))
            if action == "appeal":
                services.rating_appeal(user=request.user, rating=rating, reason=note)
            else:
                services.rating_decide(user=request.user, rating=rating, uphold=request.POST.get("uphold") == "yes",
                                       reason=note)
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, ACTION_MESSAGES[action])
    return redirect("item-detail", pk=item.pk)


@ratelimit(key="ip", rate="10/h", method="POST", block=False)
def public_demand(request, pk):
    """群众点单: a community's public form, no login; rate-limited per address."""
    from alliance.models import Alliance

    alliance = Alliance.objects.filter(pk=pk, is_active=True, level__in=[Level.COMMUNITY, Level.GRID]).first()
    if alliance is None:
        raise Http404(_("没有找到该社区。"))
    form = DemandForm(request.POST or None)
    if request.method == "POST":
        if getattr(request, "limited", False):
            form.is_valid()
            form.add_error(None, _("提交太频繁,请稍后再试,或拨打社区电话。"))
        elif form.is_valid():
            data = dict(form.cleaned_data)
            if data.pop("website"):
                raise Http404
            try:
                item, _created = services.item_create(user=None, alliance=alliance, source=ItemSource.DEMAND, **data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                return redirect("public-follow", token=item.follow_token)
    return render(request, "tasks/public_demand.html", {"form": form, "community": alliance},
                  status=429 if getattr(request, "limited", False) and request.method == "POST" else 200)


def public_follow(request, token):
    """The resident's own page: where the demand is, and confirm and rate it when it is done."""
    item = selectors.item_for_follow_token(token=token)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                form = ConfirmForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("请选择问题是否已经解决。"))
                services.item_confirm(item=item, solved=form.cleaned_data["solved"],
                                      note=request.POST.get("note", ""), by_resident=True)
            elif action == "rate":
                services.item_rate(item=item, score=request.POST.get("score"),
                                   comment=request.POST.get("comment", ""), by_resident=True)
            else:
                raise ValidationError(_("未知的操作。"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("谢谢您的反馈。"))
        return redirect("public-follow", token=token)
    events = [e for e in selectors.item_events(item=item)]
    return render(request, "tasks/public_follow.html", {
        "item": item, "events": events, "confirm_form": ConfirmForm(), "rating_form": RatingForm(),
        "follow_url": request.build_absolute_uri(reverse("public-follow", kwargs={"token": token})),
    })


@login_required
def notification_list(request):
    notifications = Notification.objects.filter(user=request.user).order_by("-created_at", "-pk")
    if request.method == "POST":
        services.notifications_mark_read(user=request.user)
        return redirect("notification-list")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tasks/notifications.html", {"page": page})
