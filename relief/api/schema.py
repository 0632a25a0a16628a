"""OpenAPI schema additions (a drf-spectacular postprocessing hook): every operation documents the
error responses it can give, in the project's JSON error shape (relief/api/errors.py), so clients and
Schemathesis know them."""

from __future__ import annotations

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages for each invalid input field (400 only).",
                },
            },
        }
    },
}
ERRORS = {
    "400": "Invalid input (query parameters or body); `fields` names each invalid field.",
    "401": "No or invalid credentials.",
    "403": "The caller's role may not do this (for example a read-only account writing).",
    "404": "Not found, outside the caller's region, or a page number past the last page.",
    "405": "The method is not allowed here.",
    "406": "The Accept header asks for a format the API does not give.",
    "415": "The request body's media type is not accepted.",
    "429": "Too many requests from this API client account; see Retry-After.",
}
METHODS = {"get", "put", "post", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if method in {"get", "delete"} and status == "415":
                    continue
                responses.setdefault(status, {"description": description, "content": content})
    return result
