"""The one place an error becomes the documented JSON body and HTTP status.

Every error answer is ``{"error": {"code": "<ErrorCode>", "message": "<text>"}}`` with
the status of ``ErrorCode.http_status`` (plus ``Retry-After`` when the error says when
to come back). Domain errors raised by routes or travelling back from a service over
gRPC, request validation failures, unknown routes and unexpected exceptions all come
through here; middleware renders its refusals with ``error_response`` too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from avatarmesh.errors import DomainError, ErrorCode
from gateway.schema import is_union_tag, pattern_rule

log = logging.getLogger(__name__)

ERROR_SHAPE_DOC = """\
## Errors

Every error answer has the same body, with the HTTP status of its code:

```json
{"error": {"code": "VALIDATION_ERROR", "message": "name: Field required"}}
```

`code` is one of the documented codes (`INVALID_JSON`, `VALIDATION_ERROR`,
`UNAUTHORIZED`, `NOT_FOUND`, `QUEUE_FULL`, `RATE_LIMITED`, `FEATURE_DISABLED`, ...).
`QUEUE_FULL` and `RATE_LIMITED` answers carry a `Retry-After` header (seconds).
"""


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


# For `responses=` on routes and the app, so OpenAPI shows the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "default": {"model": ErrorBody, "description": "Error (see the error codes table)"}
}

_CODE_BY_HTTP_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    501: ErrorCode.NOT_IMPLEMENTED,
    502: ErrorCode.UPSTREAM_ERROR,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def error_body(code: ErrorCode, message: str) -> dict[str, Any]:
    return {"error": {"code": code.name, "message": message}}


def error_response(exc: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return JSONResponse(
        status_code=exc.code.http_status,
        content=error_body(exc.code, exc.message),
        headers=headers,
    )


def validation_error(errors: list[Any]) -> DomainError:
    """INVALID_JSON for an unparsable body, else VALIDATION_ERROR naming the field."""
    if any(err.get("type") == "json_invalid" for err in errors):
        return DomainError(ErrorCode.INVALID_JSON, "request body is not valid JSON")
    if not errors:
        return DomainError(ErrorCode.VALIDATION_ERROR, "invalid request")
    if all(_is_id_reference(err) for err in errors):
        where = ", ".join(_field_path(err["loc"][1:]) for err in errors)
        return DomainError(ErrorCode.NOT_FOUND, f"{where}: no such resource")
    return DomainError(ErrorCode.VALIDATION_ERROR, "; ".join(_describe(e) for e in errors[:5]))


# Body fields that refer to a resource by id (gateway.schema patterns), at any depth
# (a studio scene's avatar_id, voice_id or *_asset_id).
_ID_FIELDS = {
    "avatar_id",
    "pose_id",
    "voice_id",
    "tts_voice_id",
    "talking_photo_id",
    "audio_asset_id",
    "image_asset_id",
    "video_asset_id",
}


def _is_id_reference(err: dict[str, Any]) -> bool:
    """An id of a shape no resource has, in the path or a body reference: NOT_FOUND, as a
    missing resource is (the contract's 404 for an unknown avatar or pose)."""
    loc = tuple(err.get("loc", ()))
    if len(loc) < 2 or err.get("type") != "string_pattern_mismatch":
        return False
    return (len(loc) == 2 and loc[0] == "path" and loc[1] != "owner_id") or (
        loc[0] == "body" and loc[-1] in _ID_FIELDS
    )


def _field_path(parts: Any) -> str:
    """``video_inputs[2].voice.speed`` from pydantic's ``('video_inputs', 2, 'type=text',
    'speed')``: list indexes in brackets, tagged-union tags left out."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not is_union_tag(part):
            out += f".{part}" if out else str(part)
    return out


def _describe(err: dict[str, Any]) -> str:
    loc = list(err.get("loc", ()))
    where = str(loc[0]) if loc else ""
    field = _field_path(loc[1:]) if where in ("body", "query", "path", "header", "cookie") else ""
    if not field and where != "body":
        field = _field_path(loc)
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if err.get("type") == "string_pattern_mismatch":
        message = pattern_rule(str((err.get("ctx") or {}).get("pattern", ""))) or message
    if where == "body" and not field:
        if err.get("type") == "missing":
            return "request body is required"
        return f"request body: {message}"
    if field and _SUB_FIELD.match(message):  # a model's rule naming one of its fields
        return f"{field}.{message}"
    return f"{field}: {message}" if field else message


# "voice.voice_id: required ...": a nested model's own rule, naming its field.
_SUB_FIELD = re.compile(r"^[A-Za-z_][\w.\[\]]*: ")


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(exc)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(validation_error(list(exc.errors())))


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(
            DomainError(ErrorCode.NOT_FOUND, f"no route for {request.method} {request.url.path}")
        )
    if exc.status_code == 405:
        # The path exists, the method does not: 405 naming the methods it has (RFC 9110).
        allow = _allowed_methods(request) or (exc.headers or {}).get("Allow", "")
        response = error_response(
            DomainError(
                ErrorCode.METHOD_NOT_ALLOWED,
                f"{request.method} is not allowed on {request.url.path}; allowed: {allow}",
            )
        )
        response.headers["Allow"] = allow
        return response
    code = _CODE_BY_HTTP_STATUS.get(exc.status_code, ErrorCode.INTERNAL_ERROR)
    if code is ErrorCode.PAYLOAD_TOO_LARGE and not isinstance(exc.detail, str):
        exc.detail = "request body is too large"
    message = exc.detail if isinstance(exc.detail, str) else code.name
    response = JSONResponse(status_code=exc.status_code, content=error_body(code, message))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _allowed_methods(request: Request) -> str:
    """Every method the OpenAPI document declares on this path (Starlette's own 405 names
    only the first route that matched, and a path often has a GET and a POST route)."""
    table: list[tuple[re.Pattern[str], str]] | None = getattr(request.app.state, "allow", None)
    if table is None:
        table = []
        for template, item in request.app.openapi().get("paths", {}).items():
            regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            methods = ", ".join(sorted(m.upper() for m in item if m.upper() in _HTTP_METHODS))
            table.append((re.compile(f"^{regex}$"), methods))
        request.app.state.allow = table
    path = request.url.path
    return next((methods for regex, methods in table if regex.match(path)), "")


_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}


def internal_error_response() -> JSONResponse:
    return error_response(DomainError(ErrorCode.INTERNAL_ERROR, "internal error"))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return internal_error_response()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
