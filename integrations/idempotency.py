"""Idempotency-Key for every POST under /api/v1/, for people and API clients alike.

The first request with a key inserts its record and does its work in one transaction; a second
request with the same key waits on the unique index until the first commits, then replays the
first answer (`Idempotent-Replayed: true`) and creates nothing. The same key with another request
(method, path or body) is refused with 422. Only successful (2xx) answers are kept: an error
answer rolls the record back with the work, so the caller may correct the request and send it
again under the same key. Keys are kept for `IDEMPOTENCY_KEY_TTL` (24 h).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_KEY_TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("这个幂等键已用于另一个请求,请为新的请求换一个键。")
    default_code = "idempotency_key_reused"


def _canonical(value):
    if hasattr(value, "lists"):  # QueryDict (form or multipart bodies)
        return {k: [_canonical(v) for v in vs] for k, vs in sorted(value.lists())}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "chunks"):  # an uploaded file: its name and content
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return value


def request_fingerprint(request) -> str:
    """Method, path and the parsed body: key order and whitespace do not make another request."""
    body = json.dumps(_canonical(request.data), sort_keys=True, ensure_ascii=False, default=str)
    raw = f"{request.method}\n{request.get_full_path()}\n{hashlib.sha256(body.encode()).hexdigest()}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    return Response(record.response_body, status=record.response_status, headers={REPLAYED_HEADER: "true"})


def _claim(*, user, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """Insert the record, or answer from the one a request with this key already committed."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
        except IntegrityError:
            # The insert waited for the other transaction; it committed, so its row is visible now.
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:
                continue  # deleted meanwhile (expired): insert again
            if existing.created_at < timezone.now() - IDEMPOTENCY_KEY_TTL:
                existing.delete()
                continue
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused() from None
            return _replay(existing)
    raise IdempotencyKeyReused()  # pragma: no cover - three races in a row


def _idempotent_call(request, *args, view, handler, key: str, **kwargs):
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [_("幂等键不能为空,最长255个字符。")]})
    fingerprint = request_fingerprint(request)  # a body that does not parse is a 400 before anything
    with transaction.atomic():
        claimed = _claim(user=request.user, key=key, fingerprint=fingerprint)
        if isinstance(claimed, Response):
            return claimed
        try:
            with transaction.atomic():
                response = handler(request, *args, **kwargs)
        except Exception as exc:  # answered as DRF would; anything it does not answer propagates
            response = view.handle_exception(exc)
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)  # forget the key with the work: a corrected retry may use it
            return response
        claimed.response_status = response.status_code
        claimed.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
        claimed.save(update_fields=["response_status", "response_body"])
        return response


class IdempotencyMixin:
    """Wraps the POST handler of a view after authentication, permissions and throttling."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER)
        handler = getattr(self, "post", None)
        if request.method == "POST" and key is not None and handler is not None and request.user.is_authenticated:
            self.post = partial(_idempotent_call, view=self, handler=handler, key=key.strip())


def with_idempotency(viewset):
    """The same viewset, its POSTs idempotent (used by the /api/v1/ router for every viewset)."""
    if issubclass(viewset, IdempotencyMixin):
        return viewset
    return type(viewset.__name__, (IdempotencyMixin, viewset), {
        "__module__": viewset.__module__, "__qualname__": viewset.__qualname__, "__doc__": viewset.__doc__,
    })


def idempotency_records_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the records older than the key lifetime; returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_KEY_TTL
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
