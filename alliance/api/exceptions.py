"""One error shape across the API: `{"code", "message", "errors"}`.

`code` is a stable machine-readable string (`invalid`, `not_found`, `permission_denied`,
`insufficient_scope`, `not_authenticated`, `authentication_failed`, `token_revoked`,
`throttled`, `idempotency_key_reused`, …), `message` a translated sentence for people, and
`errors` the field errors of a 400 (`{"field": ["…"]}`, `non_field_errors` for the rest; empty
otherwise). Django's own ValidationError and PermissionDenied, raised by services, become API
errors here too.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


def _first_message(errors) -> str | None:
    if isinstance(errors, dict):
        for value in errors.values():
            found = _first_message(value)
            if found:
                return found
        return None
    if isinstance(errors, list):
        for value in errors:
            found = _first_message(value)
            if found:
                return found
        return None
    return str(errors) if errors else None


def _code(exc) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def error_body(exc: exceptions.APIException, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {NON_FIELD: data if isinstance(data, list) else [data]}
        if set(errors) == {NON_FIELD}:
            message = _first_message(errors[NON_FIELD]) or _("提交的内容有误。")
        else:
            message = _("提交的内容有误,请按各字段的提示修改。")
        return {"code": "invalid", "message": message, "errors": errors}
    if isinstance(exc, exceptions.Throttled):
        message = _("请求过于频繁,请在%(wait)s秒后重试。") % {"wait": int(exc.wait or 1)} if exc.wait else \
            _("请求过于频繁,请稍后重试。")
        return {"code": "throttled", "message": message, "errors": {}}
    detail = data.get("detail", data) if isinstance(data, dict) else data
    return {"code": _code(exc), "message": _first_message(detail) or "", "errors": {}}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for m in errs.messages] if hasattr(errs, "messages") else errs
                      for field, errs in exc.message_dict.items()}
        else:
            detail = {NON_FIELD: exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if not isinstance(exc, exceptions.APIException):  # Http404 and PermissionDenied, converted by DRF
        exc = exceptions.NotFound() if response.status_code == 404 else exceptions.PermissionDenied()
    response.data = error_body(exc, response.data)
    return response
