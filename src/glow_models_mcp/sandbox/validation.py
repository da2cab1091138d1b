"""Request bodies as the real (FastAPI) server reads them.

The models mirror the contract's request schemas. Like FastAPI with plain pydantic models,
unknown fields are ignored and values are validated in lax mode; errors are rendered in FastAPI's
422 shape. Body parsing follows FastAPI too: a body that is not valid JSON is a 422
``json_invalid`` *before* authentication (FastAPI parses the body before it runs dependencies),
a body of another content type is validated as raw text, an empty body is ``missing``.
"""

from __future__ import annotations

import email.message
import json
import math
from typing import Any, TypeVar
from uuid import UUID

import pydantic
from pydantic import BaseModel, ConfigDict

from .errors import HTTPError, RequestValidationError

M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GetModelApiRequest(_Body):
    model_id: UUID | None = None
    draft_id: UUID | None = None


class SearchModelApiRequest(_Body):
    search: str | None = None
    filter_provider_ids: list[UUID] | None = None
    filter_department_ids: list[UUID] | None = None
    filter_agent_ids: list[UUID] | None = None
    provider_search: str | None = None
    department_search: str | None = None
    agent_search: str | None = None
    page_size: int | None = 12
    page_offset: int | None = 0


class _ModelFields(_Body):
    name_id: UUID | None = None
    name: str | None = None
    description_id: UUID | None = None
    description: str | None = None
    department_ids: list[UUID] | None = None
    departments: list[str] | None = None
    flag_ids: list[UUID] | None = None
    modality_ids: list[UUID] | None = None
    pricing_ids: list[UUID] | None = None
    provider_ids: list[UUID] | None = None
    quality_ids: list[UUID] | None = None
    reasoning_level_ids: list[UUID] | None = None
    temperature_level_ids: list[UUID] | None = None
    value_ids: list[UUID] | None = None
    voice_ids: list[UUID] | None = None
    model_ids: list[UUID] | None = None


class CreateModelItem(_ModelFields):
    id: UUID | None = None


class CreateModelApiRequest(_Body):
    models: list[CreateModelItem]


class UpdateModelItem(_ModelFields):
    model_id: UUID


class UpdateModelApiRequest(_Body):
    models: list[UpdateModelItem]


class DuplicateModelApiRequest(_Body):
    model_id: UUID


class DeleteModelApiRequest(_Body):
    model_ids: list[UUID]


class PatchModelDraftApiRequest(_Body):
    input_draft_id: UUID | None = None
    expected_version: int = 0
    name: str | None = None
    name_id: UUID | None = None
    description: str | None = None
    description_id: UUID | None = None
    flag_ids: list[UUID] | None = None
    department_ids: list[UUID] | None = None
    modality_ids: list[UUID] | None = None
    pricing_ids: list[UUID] | None = None
    provider_ids: list[UUID] | None = None
    quality_ids: list[UUID] | None = None
    reasoning_level_ids: list[UUID] | None = None
    temperature_level_ids: list[UUID] | None = None
    value_ids: list[UUID] | None = None
    voice_ids: list[UUID] | None = None


class DocsApiRequest(_Body):
    entity_id: UUID | None = None


class ExportModelApiRequest(_Body):
    model_id: UUID | None = None


class _Undefined:
    pass


UNDEFINED: Any = _Undefined()


def parse_body(raw: bytes, content_type: str | None) -> Any:
    """The body as FastAPI hands it to validation: parsed JSON, raw text, or ``None`` (empty)."""
    if not raw:
        return None
    is_json = not content_type
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        if message.get_content_maintype() == "application":
            subtype = message.get_content_subtype()
            is_json = subtype == "json" or subtype.endswith("+json")
    if not is_json:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", exc.pos],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from exc
    except Exception as exc:  # undecodable bytes: FastAPI's generic parse failure
        raise HTTPError(400, "There was an error parsing the body") from exc


def jsonable(value: Any) -> Any:
    """FastAPI's ``jsonable_encoder`` for the values that occur in validation errors."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, UUID):
        return str(value)
    return str(value)


def validate_body(model: type[M], body: Any) -> M:
    """Validate ``body`` like FastAPI validates a required, non-embedded body parameter."""
    if body is None:
        raise RequestValidationError([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    try:
        return model.model_validate(body, from_attributes=True)
    except pydantic.ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            item: dict[str, Any] = {
                "type": err["type"],
                "loc": ["body", *err["loc"]],
                "msg": err["msg"],
                "input": jsonable(err.get("input")),
            }
            if "ctx" in err:
                item["ctx"] = jsonable(err["ctx"])
            errors.append(item)
        raise RequestValidationError(errors) from exc


def validate_path_uuid(name: str, value: str) -> UUID:
    """A UUID path parameter, with FastAPI's 422 when it is not one."""
    try:
        return pydantic.TypeAdapter(UUID).validate_python(value)
    except pydantic.ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        item: dict[str, Any] = {"type": err["type"], "loc": ["path", name], "msg": err["msg"], "input": value}
        if "ctx" in err:
            item["ctx"] = jsonable(err["ctx"])
        raise RequestValidationError([item]) from exc
