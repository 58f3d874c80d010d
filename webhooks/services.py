"""Subscriptions, the emitting of events and the sending of deliveries (#7).

Lower apps never import this one's callers: `tasks`, `agreements` and `meetings` call
`event_emit` / `events_emit` from their services, and this app depends only on `integrations`,
`members` and `alliance`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.roles import MANAGE_TREE
from alliance.selectors import alliance_ancestor_paths, user_scope
from integrations.models import ApiClient, Scope

from .models import (
    DeliveryStatus,
    EventKind,
    WebhookDelivery,
    WebhookSubscription,
    scope_for,
)

MAX_SUBSCRIPTIONS_PER_CLIENT = 20
MAX_URL_LENGTH = 500
# The receiver's answer is read only this far: enough for an error message, never a flood.
MAX_RESPONSE_BYTES = 2048
USER_AGENT = "AlliancePlatform-Webhooks/1"


# --- who may manage a client's subscriptions ----------------------------------------------------

def _require_manager(*, user, client: ApiClient) -> None:
    """The client itself (its service user, through its token) or a district admin over it."""
    if getattr(user, "pk", None) is not None and user.pk == client.user_id:
        return
    if not user_scope(user).allows(MANAGE_TREE, client.alliance_path):
        # Seen or not, a client the user does not manage is answered as missing.
        raise Http404(_("没有找到该对接系统。"))


def _require_not_revoked(client: ApiClient) -> None:
    if client.revoked_at is not None:
        raise ValidationError(_("该对接系统的令牌已经吊销,不能再向它推送事件。"))


def _may_manage_subscription(user, subscription: WebhookSubscription) -> None:
    _require_manager(user=user, client=subscription.client)


# --- validation --------------------------------------------------------------------------------

def _http_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_HTTP", False))


def _private_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def target_refusal(url: str) -> str | None:
    """Why the platform will not send to `url` (a private, loopback or unresolvable host), or None.

    Checked when a subscription is saved and again before each attempt, since a name can be
    pointed somewhere else later (SSRF). Off with DEBUG or WEBHOOKS_ALLOW_PRIVATE_ADDRESSES.
    """
    if _private_allowed():
        return None
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return _("无法解析接收地址的主机名。")
    if not infos or not all(_is_public(info[4][0]) for info in infos):
        return _("接收地址不能指向内网、本机或保留地址。")
    return None


def _clean_url(url) -> str:
    url = (url or "").strip() if isinstance(url, str) else ""
    if not url:
        raise ValidationError({"url": [_("请填写接收地址。")]})
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"url": [_("接收地址最长%(n)d个字符。") % {"n": MAX_URL_LENGTH}]})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": [_("请填写有效的网址,例如 https://example.gov.cn/hooks/alliance。")]}) from None
    parts = urlsplit(url)
    if parts.scheme != "https" and not _http_allowed():
        raise ValidationError({"url": [_("接收地址必须使用 https。")]})
    if parts.username or parts.password:
        raise ValidationError({"url": [_("接收地址不能包含用户名或密码。")]})
    refusal = target_refusal(url)
    if refusal:
        raise ValidationError({"url": [refusal]})
    return url


def _clean_events(events, client: ApiClient) -> list[str]:
    if isinstance(events, str) or not isinstance(events, Iterable):
        raise ValidationError({"events": [_("请选择要订阅的事件。")]})
    events = list(dict.fromkeys(events))
    if not events:
        raise ValidationError({"events": [_("请至少选择一种事件。")]})
    unknown = [e for e in events if e not in EventKind.values]
    if unknown:
        raise ValidationError({"events": [_("未知的事件:%(names)s。") % {"names": "、".join(map(str, unknown))}]})
    for kind in events:
        needed = scope_for(kind)
        if needed not in (client.scopes or []):
            raise ValidationError({"events": [_("该对接系统没有“%(scope)s”权限,不能订阅“%(event)s”事件。") % {
                "scope": Scope(needed).label, "event": EventKind(kind).label}]})
    return [e for e in EventKind.values if e in events]


# --- subscriptions -----------------------------------------------------------------------------

@transaction.atomic
def subscription_create(*, user, client: ApiClient, url: str, events) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL of the client to events; returns the subscription and its secret, shown once."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    _require_manager(user=user, client=client)
    _require_not_revoked(client)
    errors: dict[str, list[str]] = {}
    try:
        url = _clean_url(url)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        events = _clean_events(events, client)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if WebhookSubscription.objects.filter(client_id=client.pk).count() >= MAX_SUBSCRIPTIONS_PER_CLIENT:
        raise ValidationError(_("每个对接系统最多%(n)d个事件订阅。") % {"n": MAX_SUBSCRIPTIONS_PER_CLIENT})
    subscription = WebhookSubscription.objects.create(
        tenant_id=client.tenant_id, alliance_path=client.alliance_path, client=client, url=url, events=events,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return subscription, subscription.secret


def _lock(subscription: WebhookSubscription) -> WebhookSubscription:
    return WebhookSubscription.objects.select_for_update(of=("self",)).select_related("client").get(
        pk=subscription.pk)


@transaction.atomic
def subscription_update(*, user, subscription: WebhookSubscription, url=None, events=None) -> WebhookSubscription:
    """Change the URL or the events; the secret stays."""
    subscription = _lock(subscription)
    _may_manage_subscription(user, subscription)
    fields = []
    if url is not None:
        subscription.url = _clean_url(url)
        fields.append("url")
    if events is not None:
        subscription.events = _clean_events(events, subscription.client)
        fields.append("events")
    if fields:
        subscription.save(update_fields=[*fields, "updated_at"])
    return subscription


@transaction.atomic
def subscription_pause(*, user, subscription: WebhookSubscription) -> WebhookSubscription:
    """停用 by hand: no new deliveries until it is resumed."""
    subscription = _lock(subscription)
    _may_manage_subscription(user, subscription)
    if subscription.is_active:
        subscription.is_active = False
        subscription.save(update_fields=["is_active", "updated_at"])
    return subscription


@transaction.atomic
def subscription_resume(*, user, subscription: WebhookSubscription) -> WebhookSubscription:
    """Resume a subscription stopped by hand or paused after repeated failure; the count starts over."""
    subscription = _lock(subscription)
    _may_manage_subscription(user, subscription)
    _require_not_revoked(subscription.client)
    subscription.is_active = True
    subscription.paused_at = None
    subscription.pause_reason = ""
    subscription.consecutive_failures = 0
    subscription.save(update_fields=["is_active", "paused_at", "pause_reason", "consecutive_failures",
                                     "updated_at"])
    return subscription


@transaction.atomic
def subscription_delete(*, user, subscription: WebhookSubscription) -> None:
    """Delete the subscription with its delivery records."""
    subscription = _lock(subscription)
    _may_manage_subscription(user, subscription)
    subscription.delete()


# --- emitting events ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    kind: str
    tenant_id: int
    alliance_path: str
    payload: dict
    event_id: uuid.UUID | None = None


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """Timestamps in payloads: ISO 8601 with the offset (Asia/Shanghai)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def alliance_ref(alliance) -> dict:
    return {"id": alliance.pk, "name": alliance.name, "path": alliance.path}


def event_emit(*, kind: str, tenant_id: int, alliance_path: str, payload: dict,
               event_id: uuid.UUID | None = None) -> None:
    """Send `kind` to every subscription whose client covers `alliance_path`, once the caller's
    transaction commits (nothing is sent for work that rolls back)."""
    events_emit(events=[Event(kind=kind, tenant_id=tenant_id, alliance_path=alliance_path, payload=payload,
                              event_id=event_id)])


def events_emit(*, events: Iterable[Event]) -> None:
    """Many events at once (the escalation sweep): one query for the subscriptions, one insert."""
    events = list(events)
    for event in events:
        if event.kind not in EventKind.values:  # pragma: no cover - programming error
            raise ValueError(f"unknown webhook event {event.kind!r}")
    if events:
        # robust: the caller's work has committed; a webhook problem is logged, never its error.
        transaction.on_commit(lambda: _deliveries_create(events), robust=True)


def _deliveries_create(events: list[Event]) -> list[int]:
    """Find, in one query, the active subscriptions that may receive each event; insert their
    deliveries in one statement and enqueue one task per delivery."""
    paths = {p for e in events for p in (*alliance_ancestor_paths(e.alliance_path), e.alliance_path)}
    rows = list(
        WebhookSubscription.objects.filter(
            tenant_id__in={e.tenant_id for e in events}, alliance_path__in=paths, is_active=True,
            paused_at__isnull=True, client__revoked_at__isnull=True,
        ).values_list("pk", "tenant_id", "alliance_path", "events", "client__scopes")
    )
    if not rows:
        return []
    now = timezone.now()
    deliveries = []
    for event in events:
        event_id = event.event_id or uuid.uuid4()
        needed = scope_for(event.kind)
        for pk, tenant_id, path, kinds, scopes in rows:
            if (tenant_id == event.tenant_id and event.alliance_path.startswith(path)
                    and event.kind in (kinds or []) and needed in (scopes or [])):
                deliveries.append(WebhookDelivery(
                    tenant_id=tenant_id, alliance_path=path, subscription_id=pk, event_kind=event.kind,
                    event_id=event_id, payload=event.payload, next_attempt_at=now,
                ))
    if not deliveries:
        return []
    created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    ids = [d.pk for d in created]
    _enqueue(ids)
    return ids


def _enqueue(ids: list[int]) -> None:
    from .tasks import webhook_deliver_task  # the task module imports this one

    for pk in ids:
        webhook_deliver_task.delay(pk)


def deliveries_requeue_stale(*, now: dt.datetime | None = None, grace: dt.timedelta = dt.timedelta(minutes=10),
                             limit: int = 500) -> int:
    """Enqueue again the pending deliveries whose next attempt is overdue by more than `grace`: their
    message was lost (the broker was down when the event committed, or a retry message expired).

    Safe to overlap with the original message: an attempt is claimed with a conditional update.
    """
    now = now or timezone.now()
    ids = list(WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lt=now - grace
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    if ids:
        # Push the deadline forward first, so the next sweep does not send them a second time.
        WebhookDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(next_attempt_at=now)
        _enqueue(ids)
    return len(ids)


# --- replay ------------------------------------------------------------------------------------

@transaction.atomic
def delivery_replay(*, user, delivery: WebhookDelivery) -> WebhookDelivery:
    """重新发送: the same event (same id, same body) goes out again, with a fresh round of retries.

    The receiver can tell a replay by the event id it has already seen.
    """
    delivery = WebhookDelivery.objects.select_for_update(of=("self",)).select_related(
        "subscription", "subscription__client").get(pk=delivery.pk)
    _may_manage_subscription(user, delivery.subscription)
    _require_not_revoked(delivery.subscription.client)
    if delivery.status == DeliveryStatus.PENDING:
        raise ValidationError(_("该推送正在发送中,请稍后再试。"))
    if not delivery.subscription.is_delivering:
        raise ValidationError(_("订阅已暂停,请先恢复订阅再重新发送。"))
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.delivered_at = None
    delivery.save(update_fields=["status", "next_attempt_at", "delivered_at"])
    pk = delivery.pk
    transaction.on_commit(lambda: _enqueue([pk]))
    return delivery


# --- sending -----------------------------------------------------------------------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    """X-Alliance-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps({
        "id": str(delivery.event_id), "type": delivery.event_kind, "created": iso(delivery.created_at),
        "data": delivery.payload,
    }, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new target: following it would bypass the address check."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST with urllib (neither requests nor httpx is in the lock). Returns (status, error)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(MAX_RESPONSE_BYTES)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace").strip()
        except OSError:
            text = ""
        return exc.code, (f"HTTP {exc.code} {exc.reason}: {text}" if text else f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return None, str(exc.reason)
    except TimeoutError:
        return None, _("超时(%(s)s秒)未响应。") % {"s": timeout}
    except (OSError, ValueError) as exc:
        return None, str(exc) or exc.__class__.__name__


@dataclass(frozen=True)
class Attempt:
    retry: bool = False
    countdown: float = 0.0


DONE = Attempt()


def retry_countdown(retries: int) -> float:
    """Exponential back-off: base × 2^retries (30 s, 60 s, 120 s … with the default base)."""
    return settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** retries)


def delivery_attempt(*, delivery_id: int, retries: int = 0, last_try: bool = False) -> Attempt:
    """One attempt to send a delivery. Safe twice and twice at once: a delivery no longer pending
    is not sent, and an attempt is claimed with a conditional update on the attempt count.

    On 2xx the delivery succeeds and the subscription's failure count starts over; otherwise the
    error is recorded and, unless `last_try`, a retry is asked for. A delivery that spends its
    last try counts one failure against its subscription, which is paused at
    WEBHOOK_PAUSE_AFTER_FAILURES and its client's registrant told by e-mail.
    """
    delivery = (WebhookDelivery.objects.select_related("subscription", "subscription__client")
                .filter(pk=delivery_id).first())
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return DONE
    subscription = delivery.subscription
    if not subscription.is_delivering or subscription.client.revoked_at is not None:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None,
            last_error=_("订阅已暂停、停用或对接系统已吊销,未发送。"))
        return DONE
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=timezone.now())  # a crash here is requeued later
    if not claimed:
        return DONE  # another worker has taken this attempt
    body = delivery_body(delivery)
    refusal = target_refusal(subscription.url)
    if refusal:
        code, error = None, refusal
    else:
        code, error = _post(subscription.url, body, {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Alliance-Event": delivery.event_kind,
            "X-Alliance-Delivery": str(delivery.pk),
            "X-Alliance-Signature": signature(subscription.secret, int(time.time()), body),
        }, settings.WEBHOOK_TIMEOUT_SECONDS)
    now = timezone.now()
    pending = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING)
    if code is not None and 200 <= code < 300:
        pending.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, last_status_code=code, last_error="",
                       next_attempt_at=None)
        WebhookSubscription.objects.filter(pk=subscription.pk, consecutive_failures__gt=0).update(
            consecutive_failures=0)
        return DONE
    error = (error or _("接收方未返回2xx响应。"))[:500]
    if not last_try:
        countdown = retry_countdown(retries)
        pending.update(last_status_code=code, last_error=error,
                       next_attempt_at=now + dt.timedelta(seconds=countdown))
        return Attempt(retry=True, countdown=countdown)
    with transaction.atomic():
        if not pending.update(status=DeliveryStatus.FAILED, last_status_code=code, last_error=error,
                              next_attempt_at=None):
            return DONE
        _count_failure(subscription.pk, now=now)
    return DONE


def _count_failure(subscription_id: int, *, now: dt.datetime) -> None:
    WebhookSubscription.objects.filter(pk=subscription_id).update(consecutive_failures=F("consecutive_failures") + 1)
    threshold = settings.WEBHOOK_PAUSE_AFTER_FAILURES
    paused = WebhookSubscription.objects.filter(
        pk=subscription_id, paused_at__isnull=True, consecutive_failures__gte=threshold
    ).update(paused_at=now, pause_reason=_("连续%(n)d次推送失败,已自动暂停。") % {"n": threshold})
    if paused:
        transaction.on_commit(lambda: _mail_paused(subscription_id))


def _mail_paused(subscription_id: int) -> None:
    """Tell the district admin who registered the client that its subscription was paused."""
    subscription = (WebhookSubscription.objects.select_related("client", "client__created_by")
                    .filter(pk=subscription_id).first())
    if subscription is None:
        return
    admin = subscription.client.created_by
    if admin is None or not admin.email:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("webhook-subscription-list", kwargs={"pk": subscription.client_id})
    send_mail(
        _("事件推送已暂停:%(client)s") % {"client": subscription.client.name},
        _("对接系统“%(client)s”的事件订阅 %(url)s 连续%(n)d次推送失败,平台已暂停向该地址推送。\n"
          "请与对方核实接收地址后,在以下页面恢复订阅,并重新发送失败的推送:\n%(link)s") % {
            "client": subscription.client.name, "url": subscription.url,
            "n": subscription.consecutive_failures, "link": link},
        None, [admin.email],
    )

