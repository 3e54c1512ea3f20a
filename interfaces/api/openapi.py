"""The OpenAPI schema as the API really answers: every ``/api`` operation documents its errors with the
one error body (``{"error": ..., "problems": [...]}``) instead of FastAPI's default ``{"detail": ...}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

__all__ = ["ErrorBody", "install_openapi"]

_REF = {"$ref": "#/components/schemas/ErrorBody"}
_ERROR = {
    "description": "An error: what went wrong and what to do (401 no token, 403 not an operator, "
    "404 not found, 409 not in a state that allows it, 422 bad input, 503 store unavailable)",
    "content": {"application/json": {"schema": _REF}},
}


class ErrorBody(BaseModel):
    """Every error the API answers."""

    error: str = Field(description="what went wrong and what to do about it")
    problems: list[str] | None = Field(default=None, description="422: each problem with the input")


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for path, item in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {**_ERROR, "description": "The input is invalid: each problem named"}
            responses.setdefault("default", _ERROR)
    for name in ("HTTPValidationError", "ValidationError"):
        if not any(f"/{name}" in str(item) for item in schema.get("paths", {}).values()):
            components.pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Makes ``app.openapi()`` return the schema with the error bodies documented."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
