"""drf-spectacular: the bearer scheme of API clients, and the one error shape on every operation."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.auth.ApiClientAuthentication"
    name = "clientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API client's token, `<prefix>.<secret>`, registered by the district "
                           "administrator (shown once). See docs/api.md.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer of the API has this shape (docs/api.md lists the codes).",
    "properties": {
        "code": {"type": "string", "description": "Machine-readable: invalid, not_authenticated, "
                 "authentication_failed, token_revoked, permission_denied, insufficient_scope, not_found, "
                 "method_not_allowed, not_acceptable, unsupported_media_type, parse_error, upload_too_large, "
                 "idempotency_key_reused, throttled.", "example": "invalid"},
        "message": {"type": "string", "description": "A translated sentence for people."},
        "errors": {
            "type": "object",
            "description": "Field errors of a 400: field name → messages (`non_field_errors` for the rest). "
                           "Empty for other errors.",
            "additionalProperties": {},
        },
    },
    "required": ["code", "message", "errors"],
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (`invalid`, `parse_error`); `errors` names the fields.",
    "401": "No valid credentials (`not_authenticated`, `authentication_failed`, `token_revoked`).",
    "403": "Not allowed (`permission_denied`; `insufficient_scope` for an API client without the scope).",
    "404": "Not found, or outside the caller's alliance subtree (`not_found`).",
    "405": "Method not allowed (`method_not_allowed`).",
    "406": "Not acceptable (`not_acceptable`).",
    "413": "Request too large (`upload_too_large`).",
    "415": "Unsupported media type (`unsupported_media_type`).",
    "422": "The Idempotency-Key was used for another request (`idempotency_key_reused`).",
    "429": "Rate limit of the API client exceeded (`throttled`); see the Retry-After header.",
}
READ_ERRORS = ("400", "401", "403", "404", "405", "406", "429")
WRITE_ERRORS = (*READ_ERRORS, "413", "415")
POST_ERRORS = (*WRITE_ERRORS, "422")

IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "A retry with the same key and body answers the first answer (header "
                   "`Idempotent-Replayed: true`) and creates nothing; the same key with another body is a 422. "
                   "Keys are kept 24 hours.",
}


def error_responses_hook(result, generator, request, public):
    """Postprocessing: the shared Error component on every operation, the Idempotency-Key on every POST."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = {"post": POST_ERRORS, "get": READ_ERRORS}.get(method, WRITE_ERRORS)
            responses = operation.setdefault("responses", {})
            for code in codes:
                described = responses.get(code, {}).get("description") or ERROR_DESCRIPTIONS[code]
                responses[code] = {"description": described, "content": content}
            if "429" in responses:
                responses["429"]["headers"] = {"Retry-After": {
                    "schema": {"type": "integer"}, "description": "Seconds to wait before the next request."}}
            if method == "post":
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
                    parameters.append(IDEMPOTENCY_PARAMETER)
    return result
