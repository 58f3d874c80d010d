"""Reads of subscriptions and deliveries, scoped like everything else.

Two kinds of reader: a district admin sees the subscriptions of the clients registered in the
subtrees where it manages the tree (MANAGE_TREE, the rule `integrations.selectors` uses for the
clients themselves), and a client, acting as its service user, sees its own subscriptions only.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from alliance.roles import MANAGE_TREE
from alliance.selectors import user_scope

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription


def _visible_q(user, *, client_user_field: str) -> Q:
    """Rows of the clients the user manages, or of the client the user is the service user of.

    Both models carry their client's tenant and path, so the admin's part is a prefix match on
    the row itself; the client's part is one join to its client.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    scope = user_scope(user)
    managed = scope.filter_q(MANAGE_TREE, path_field="alliance_path")
    if scope.is_superuser:
        return managed
    return managed | Q(**{client_user_field: user.pk})


def subscription_list(*, user, client=None) -> QuerySet[WebhookSubscription]:
    qs = WebhookSubscription.objects.filter(_visible_q(user, client_user_field="client__user_id"))
    if client is not None:
        qs = qs.filter(client_id=client.pk)
    return qs.select_related("client").order_by("created_at", "pk")


def subscription_list_with_counts(*, user, client) -> QuerySet[WebhookSubscription]:
    """The client's subscriptions with how many deliveries failed and are pending, in one query."""
    return subscription_list(user=user, client=client).annotate(
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
    )


def subscription_get_for_user(*, user, pk) -> WebhookSubscription:
    """Missing and not yours are the same 404."""
    try:
        return subscription_list(user=user).get(pk=pk)
    except (WebhookSubscription.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该事件订阅。")) from None


def delivery_list(*, user, subscription=None, status: str | None = None) -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.filter(_visible_q(user, client_user_field="subscription__client__user_id"))
    if subscription is not None:
        qs = qs.filter(subscription_id=subscription.pk)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("subscription", "subscription__client").order_by("-created_at", "-pk")


def delivery_get_for_user(*, user, pk) -> WebhookDelivery:
    try:
        return delivery_list(user=user).get(pk=pk)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该推送记录。")) from None
