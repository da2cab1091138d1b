"""Pydantic v2 mirror of the Glow Models API v5 contract.

One class per component schema of ``models-openapi.json``, each named exactly as the
component it mirrors. Two rules apply everywhere:

* **Request models forbid unknown fields** (``extra="forbid"``): an agent's typo is an error that
  names the field, never silently dropped.
* **Response models allow unknown fields** (``extra="allow"``): the real API grows, and a new field
  must not break a client that was built before it.

UUIDs are typed as :class:`uuid.UUID`, timestamps as :class:`datetime.datetime`. Fields the
contract marks ``anyOf: [T, null]`` without a default get ``None`` as their default, as FastAPI
does. Section ``resources`` / ``current`` / ``resource`` items are untyped in the contract
(``items: {}``) and stay ``Any`` here. ``tests/test_schemas.py`` compares every class with its
component schema field by field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "COMPONENTS",
    "ColumnInfo",
    "ComposedDocsResponse",
    "CreateModelApiRequest",
    "CreateModelApiResponse",
    "CreateModelItem",
    "DeleteModelApiRequest",
    "DeleteModelApiResponse",
    "DeleteModelResult",
    "DocsApiRequest",
    "DocsApiResponse",
    "DocsResponse",
    "DuplicateModelApiRequest",
    "DuplicateModelApiResponse",
    "EmptyRequest",
    "ExportModelApiRequest",
    "ExportModelApiResponse",
    "GetModelApiRequest",
    "GetModelApiResponse",
    "GetModelDraftResponse",
    "GetModelDraftsApiResponse",
    "HTTPValidationError",
    "ListFilterOption",
    "ListFilterSection",
    "ListModelApiModel",
    "ListModelApiResponse",
    "ModelDepartmentSection",
    "ModelDescriptionSection",
    "ModelDraftFormState",
    "ModelFieldError",
    "ModelFlagConfig",
    "ModelFlagSection",
    "ModelModalitySection",
    "ModelNameSection",
    "ModelPricingSection",
    "ModelProviderSection",
    "ModelQualitySection",
    "ModelReasoningLevelSection",
    "ModelResultItem",
    "ModelTemperatureLevelSection",
    "ModelValueSection",
    "ModelVoiceSection",
    "MvInfo",
    "OperationInfo",
    "PageMetaItem",
    "ParamInfo",
    "PatchModelDraftApiRequest",
    "PatchModelDraftApiResponse",
    "RefreshResponse",
    "SearchModelApiRequest",
    "TableInfo",
    "UpdateModelApiRequest",
    "UpdateModelApiResponse",
    "UpdateModelItem",
    "ValidationError",
]


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are rejected (``extra="forbid"``)."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    """Base of every response body: unknown fields are kept (``extra="allow"``)."""

    model_config = ConfigDict(extra="allow")


#: Most items one create, update or delete call takes (a tightening: the contract sets no bound, and
#: a batch of thousands runs past every client's timeout).
MAX_BATCH = 1000

#: Longest search term sent (the upstream's substring match has no use for more).
MAX_SEARCH_CHARS = 1000


def _ids(what: str | None = None) -> Any:
    """An optional id-list field. The tool descriptions say once where ids come from (the
    ``resources`` of the same-named section of ``get_model`` without ids), so a field carries a
    description only when it adds something."""
    return Field(default=None, description=what)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ValidationError(ResponseModel):
    """One FastAPI validation error. Mirrors ``ValidationError``.

    ``loc`` is the path of the bad value, e.g. ``["body", "models", 0, "name_id"]``.
    """

    loc: list[str | int] = Field(title="Location")
    msg: str = Field(title="Message")
    type: str = Field(title="Error Type")


class HTTPValidationError(ResponseModel):
    """FastAPI's 422 body. Mirrors ``HTTPValidationError``."""

    detail: list[ValidationError] = Field(default_factory=list)


class ModelFieldError(ResponseModel):
    """Per-field error of one create/update item. Mirrors ``ModelFieldError``."""

    field: str
    message: str


# --------------------------------------------------------------------------------------------
# get
# --------------------------------------------------------------------------------------------


class GetModelApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/get``. Mirrors ``GetModelApiRequest``.

    With neither id the upstream answers in "new model" mode: every section lists its selectable
    ``resources`` with their ids.
    """

    model_id: UUID | None = Field(
        default=None, description="Model to read. Omit to list every section's selectable options and their ids."
    )
    draft_id: UUID | None = Field(default=None, description="A saved draft: its selections override the model's.")


class _Section(ResponseModel):
    """Fields common to every editor section of ``GetModelApiResponse``."""

    show: bool = False
    required: bool = False
    suggestions: list[UUID] | None = None
    show_ai_generate: bool = False
    tool_id: UUID | None = None
    link_tool_id: UUID | None = None


class _SingleSelectSection(_Section):
    """A section with one selection (``resource``) among its ``resources``."""

    resource: Any | None = None
    resources: list[Any] | None = None


class _MultiSelectSection(_Section):
    """A section with several selections (``current``) among its ``resources``."""

    current: list[Any] | None = None
    resources: list[Any] | None = None


class ModelNameSection(_SingleSelectSection):
    """Names section. Mirrors ``ModelNameSection``."""


class ModelDescriptionSection(_SingleSelectSection):
    """Descriptions section. Mirrors ``ModelDescriptionSection``."""


class ModelValueSection(_SingleSelectSection):
    """Values section (provider-side model identifiers). Mirrors ``ModelValueSection``."""


class ModelProviderSection(_SingleSelectSection):
    """Providers section. Mirrors ``ModelProviderSection``."""


class ModelDepartmentSection(_MultiSelectSection):
    """Departments section. Mirrors ``ModelDepartmentSection``."""


class ModelModalitySection(_MultiSelectSection):
    """Modalities section. Mirrors ``ModelModalitySection``."""


class ModelTemperatureLevelSection(_MultiSelectSection):
    """Temperature levels section. Mirrors ``ModelTemperatureLevelSection``."""


class ModelPricingSection(_MultiSelectSection):
    """Pricing section. Mirrors ``ModelPricingSection``."""


class ModelReasoningLevelSection(_MultiSelectSection):
    """Reasoning levels section. Mirrors ``ModelReasoningLevelSection``."""


class ModelQualitySection(_MultiSelectSection):
    """Qualities section. Mirrors ``ModelQualitySection``."""


class ModelVoiceSection(_MultiSelectSection):
    """Voices section. Mirrors ``ModelVoiceSection``."""


class ModelFlagConfig(ResponseModel):
    """One model flag as the editor shows it. Mirrors ``ModelFlagConfig``."""

    key: str
    label: str
    description: str | None = None
    icon_id: str | None = None
    flag_option_id: UUID | None = None
    show: bool = True
    required: bool = False
    generated: bool | None = None


class ModelFlagSection(_Section):
    """Flags section; its items are typed. Mirrors ``ModelFlagSection``."""

    current: list[ModelFlagConfig] | None = None
    resources: list[ModelFlagConfig] | None = None


class GetModelApiResponse(ResponseModel):
    """Section-first answer of ``get``. Mirrors ``GetModelApiResponse``.

    Single-select sections (names, descriptions, values, providers) carry the selection in
    ``resource``; multi-select ones in ``current``. ``resources`` lists what can be selected.
    """

    actor_name: str | None = None
    model_exists: bool | None = None
    can_edit: bool | None = None
    disabled_reason: str | None = None
    draft_version: int | None = None
    group_id: UUID | None = None
    basic_show_ai_generate: bool | None = None
    provider_show_ai_generate: bool | None = None
    features_show_ai_generate: bool | None = None
    names: ModelNameSection | None = None
    descriptions: ModelDescriptionSection | None = None
    values: ModelValueSection | None = None
    providers: ModelProviderSection | None = None
    flags: ModelFlagSection | None = None
    departments: ModelDepartmentSection | None = None
    modalities: ModelModalitySection | None = None
    temperature_levels: ModelTemperatureLevelSection | None = None
    pricing: ModelPricingSection | None = None
    reasoning_levels: ModelReasoningLevelSection | None = None
    qualities: ModelQualitySection | None = None
    voices: ModelVoiceSection | None = None


# --------------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------------


class SearchModelApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/search``. Mirrors ``SearchModelApiRequest``."""

    search: str | None = Field(
        default=None, max_length=MAX_SEARCH_CHARS, description="Case-insensitive substring of name or description."
    )
    filter_provider_ids: list[UUID] | None = Field(default=None, description="Only these providers.")
    filter_department_ids: list[UUID] | None = Field(default=None, description="Only these departments.")
    filter_agent_ids: list[UUID] | None = Field(default=None, description="Only models used by these agents.")
    provider_search: str | None = Field(default=None, description="Filters the provider facet's options.")
    department_search: str | None = Field(default=None, description="Filters the department facet's options.")
    agent_search: str | None = Field(default=None, description="Filters the agent facet's options.")
    # Bounds and strict integers: the upstream answers negative or huge values with a 500, and a
    # bool or numeric string is more likely an agent's mistake than a page size.
    page_size: int | None = Field(
        default=12, ge=0, le=1000, strict=True, description="Models per page (<= 1000); 0 or null means 12."
    )
    page_offset: int | None = Field(
        default=0, ge=0, le=2**31 - 1, strict=True, description="Models to skip (>= 0, default 0)."
    )


class ListModelApiModel(ResponseModel):
    """One model in a search page. Mirrors ``ListModelApiModel``."""

    model_id: UUID | None = None
    name: str | None = None
    description: str | None = None
    provider_id: UUID | None = None
    provider_name: str | None = None
    base_url: str | None = None
    department_ids: list[str] | None = None
    is_inactive: bool | None = None
    active: bool | None = None
    image_model: bool | None = None
    can_edit: bool | None = None
    can_duplicate: bool | None = None
    can_delete: bool | None = None
    updated_at: datetime | None = None


class ListFilterOption(ResponseModel):
    """One option of a search facet. Mirrors ``ListFilterOption``."""

    id: str | None = None
    name: str | None = None
    count: int | None = None
    hex_code: str | None = None
    value: str | None = None
    type: str | None = None


class ListFilterSection(ResponseModel):
    """A search facet with its options and the echoed request state. Mirrors ``ListFilterSection``."""

    options: list[ListFilterOption] | None = None
    selected_ids: list[str] | None = None
    search: str | None = None


class ListModelApiResponse(ResponseModel):
    """Answer of ``search``: one page of models plus facets. Mirrors ``ListModelApiResponse``."""

    actor_name: str | None = None
    models: list[ListModelApiModel] | None = None
    provider_filter: ListFilterSection | None = None
    department_filter: ListFilterSection | None = None
    agent_filter: ListFilterSection | None = None
    total_count: int | None = None


# --------------------------------------------------------------------------------------------
# create / update
# --------------------------------------------------------------------------------------------


class _ModelItemFields(RequestModel):
    """The fields ``CreateModelItem`` and ``UpdateModelItem`` share (the contract repeats them)."""

    name_id: UUID | None = Field(default=None, description="Existing name id (names.resources[].id); or give name.")
    name: str | None = Field(default=None, description="Model name, e.g. 'gpt-5-mini'; or give name_id.")
    description_id: UUID | None = Field(default=None, description="Existing description id; or give description.")
    description: str | None = Field(default=None, description="Free-text description.")
    department_ids: list[UUID] | None = _ids("[]: a default model, editable by superadmins only.")
    departments: list[str] | None = Field(default=None, description="Department names (alternative to ids).")
    flag_ids: list[UUID] | None = _ids()
    modality_ids: list[UUID] | None = _ids()
    pricing_ids: list[UUID] | None = _ids()
    provider_ids: list[UUID] | None = _ids("One provider id.")
    quality_ids: list[UUID] | None = _ids()
    reasoning_level_ids: list[UUID] | None = _ids()
    temperature_level_ids: list[UUID] | None = _ids()
    value_ids: list[UUID] | None = _ids("One value id: the provider-side model identifier.")
    voice_ids: list[UUID] | None = _ids()
    model_ids: list[UUID] | None = Field(default=None, description="Related model ids.")


class CreateModelItem(_ModelItemFields):
    """One model to create. Mirrors ``CreateModelItem``. Needs ``name`` or ``name_id``."""

    id: UUID | None = Field(default=None, description="Optional id for the new model (normally omitted).")


class CreateModelApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/create``. Mirrors ``CreateModelApiRequest``."""

    models: list[CreateModelItem] = Field(
        min_length=1, max_length=MAX_BATCH, description="Models to create, validated all-or-nothing."
    )


class ModelResultItem(ResponseModel):
    """Per-item result of create or update. Mirrors ``ModelResultItem``."""

    success: bool
    model_id: UUID | None = None
    message: str
    errors: list[ModelFieldError] | None = None


class CreateModelApiResponse(ResponseModel):
    """Answer of ``create``: one result per item. Mirrors ``CreateModelApiResponse``."""

    results: list[ModelResultItem]


class UpdateModelItem(_ModelItemFields):
    """One model to update; omitted or null fields stay unchanged, ``[]`` clears a list.

    Mirrors ``UpdateModelItem``.
    """

    model_id: UUID = Field(description="Model to update.")


class UpdateModelApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/update``. Mirrors ``UpdateModelApiRequest``."""

    models: list[UpdateModelItem] = Field(
        min_length=1, max_length=MAX_BATCH, description="Models to update, validated all-or-nothing."
    )


class UpdateModelApiResponse(ResponseModel):
    """Answer of ``update``: one result per item. Mirrors ``UpdateModelApiResponse``."""

    results: list[ModelResultItem]


# --------------------------------------------------------------------------------------------
# duplicate / delete
# --------------------------------------------------------------------------------------------


class DuplicateModelApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/duplicate``. Mirrors ``DuplicateModelApiRequest``."""

    model_id: UUID = Field(description="Model to copy.")


class DuplicateModelApiResponse(ResponseModel):
    """Answer of ``duplicate``; ``model_id`` is the NEW model's id. Mirrors ``DuplicateModelApiResponse``."""

    success: bool
    model_id: UUID
    message: str


class DeleteModelApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/delete``. Mirrors ``DeleteModelApiRequest``."""

    model_ids: list[UUID] = Field(max_length=MAX_BATCH, description="Models to delete permanently.")


class DeleteModelResult(ResponseModel):
    """Per-id result of ``delete``. Mirrors ``DeleteModelResult``."""

    success: bool
    model_id: UUID
    message: str


class DeleteModelApiResponse(ResponseModel):
    """Answer of ``delete``: one result per id. Mirrors ``DeleteModelApiResponse``."""

    results: list[DeleteModelResult]


# --------------------------------------------------------------------------------------------
# drafts
# --------------------------------------------------------------------------------------------


class PatchModelDraftApiRequest(RequestModel):
    """Body of ``PATCH /api/v5/artifacts/models/draft``: the FULL form state, saved as a new row.

    Mirrors ``PatchModelDraftApiRequest``.
    """

    input_draft_id: UUID | None = Field(default=None, description="Draft this one follows (recorded only).")
    expected_version: int = Field(
        default=0,
        ge=0,
        le=2**31 - 2,
        strict=True,
        description="Version you read (default 0); the new draft gets this + 1.",
    )
    name: str | None = Field(default=None, description="Model name.")
    name_id: UUID | None = Field(default=None, description="Existing name id.")
    description: str | None = Field(default=None, description="Description text.")
    description_id: UUID | None = Field(default=None, description="Existing description id.")
    flag_ids: list[UUID] | None = _ids()
    department_ids: list[UUID] | None = _ids()
    modality_ids: list[UUID] | None = _ids()
    pricing_ids: list[UUID] | None = _ids()
    provider_ids: list[UUID] | None = _ids()
    quality_ids: list[UUID] | None = _ids()
    reasoning_level_ids: list[UUID] | None = _ids()
    temperature_level_ids: list[UUID] | None = _ids()
    value_ids: list[UUID] | None = _ids()
    voice_ids: list[UUID] | None = _ids()


class ModelDraftFormState(ResponseModel):
    """Server-authoritative form state echoed after a draft save. Mirrors ``ModelDraftFormState``."""

    name_id: UUID | None = None
    description_id: UUID | None = None
    flag_ids: list[UUID]
    department_ids: list[UUID]
    modality_ids: list[UUID]
    pricing_ids: list[UUID]
    provider_ids: list[UUID]
    quality_ids: list[UUID]
    reasoning_level_ids: list[UUID]
    temperature_level_ids: list[UUID]
    value_ids: list[UUID]
    voice_ids: list[UUID]


class PatchModelDraftApiResponse(ResponseModel):
    """Answer of ``draft``. Mirrors ``PatchModelDraftApiResponse``."""

    success: bool
    draft_id: UUID
    new_version: int
    message: str
    form_state: ModelDraftFormState | None = None


class GetModelDraftResponse(ResponseModel):
    """One saved draft row. Mirrors ``GetModelDraftResponse``."""

    id: UUID
    version: int
    created_at: datetime
    generated: bool
    mcp: bool
    active: bool
    group_id: UUID
    session_id: UUID
    department_ids: list[UUID]
    description_ids: list[UUID]
    flag_ids: list[UUID]
    modality_ids: list[UUID]
    name_ids: list[UUID]
    pricing_ids: list[UUID]
    profile_ids: list[UUID]
    provider_ids: list[UUID]
    quality_ids: list[UUID]
    reasoning_level_ids: list[UUID]
    temperature_level_ids: list[UUID]
    value_ids: list[UUID]
    voice_ids: list[UUID]


class GetModelDraftsApiResponse(ResponseModel):
    """Answer of ``drafts``: the caller's newest drafts. Mirrors ``GetModelDraftsApiResponse``."""

    entries: list[GetModelDraftResponse] | None = None


# --------------------------------------------------------------------------------------------
# docs
# --------------------------------------------------------------------------------------------


class DocsApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/docs``. Mirrors ``DocsApiRequest``."""

    entity_id: UUID | None = Field(default=None, description="A model id: page titles then use its name.")


class ColumnInfo(ResponseModel):
    """A table or view column. Mirrors ``ColumnInfo``."""

    name: str
    type: str
    nullable: bool


class TableInfo(ResponseModel):
    """A database table. Mirrors ``TableInfo``."""

    name: str
    columns: list[ColumnInfo]


class MvInfo(ResponseModel):
    """A materialized view. Mirrors ``MvInfo``."""

    name: str
    definition: str
    columns: list[ColumnInfo]


class ParamInfo(ResponseModel):
    """One operation parameter. Mirrors ``ParamInfo``."""

    name: str
    type: str
    required: bool
    default: Any | None = None


class OperationInfo(ResponseModel):
    """One operation or permission function. Mirrors ``OperationInfo``."""

    name: str
    description: str
    params: list[ParamInfo]
    returns: dict[str, Any] | None = None


class DocsResponse(ResponseModel):
    """Docs of one artifact, entry or resource. Mirrors ``DocsResponse``."""

    name: str
    type: str
    description: str
    materialized_view: MvInfo | None = None
    tables: list[TableInfo]
    operations: list[OperationInfo]


class PageMetaItem(ResponseModel):
    """A page's title and description. Mirrors ``PageMetaItem``."""

    title: str
    description: str


class DocsApiResponse(ResponseModel):
    """Titles of the list, detail and new pages. Mirrors ``DocsApiResponse``."""

    list: PageMetaItem
    detail: PageMetaItem
    new: PageMetaItem


class ComposedDocsResponse(ResponseModel):
    """Composed documentation of the models artifact. Mirrors ``ComposedDocsResponse``."""

    name: str
    type: str
    description: str
    artifact: DocsResponse | None = None
    entries: list[DocsResponse]
    resources: list[DocsResponse]
    permissions: list[OperationInfo]
    api_operations: list[OperationInfo]
    page_metadata: DocsApiResponse | None = None


# --------------------------------------------------------------------------------------------
# export / refresh
# --------------------------------------------------------------------------------------------


class ExportModelApiRequest(RequestModel):
    """Body of ``POST /api/v5/artifacts/models/export``. Mirrors ``ExportModelApiRequest``."""

    model_id: UUID | None = Field(default=None, description="Export only this model; omit for all.")


class ExportModelApiResponse(ResponseModel):
    """Answer of ``export``. Mirrors ``ExportModelApiResponse``.

    The all-zero ``upload_id`` with ``row_count`` 0 means there was nothing to export.
    """

    upload_id: UUID
    file_name: str
    row_count: int


class RefreshResponse(ResponseModel):
    """Answer of ``refresh``. Mirrors ``RefreshResponse``."""

    success: bool
    refreshed_views: list[str]
    invalidated_tags: list[str]


class EmptyRequest(RequestModel):
    """No body: ``drafts`` and ``refresh`` take no arguments (not a contract component)."""


#: Every contract component, by its component name (``tests/test_schemas.py`` compares them).
COMPONENTS: dict[str, type[BaseModel]] = {
    name: obj for name in __all__ if isinstance(obj := globals().get(name), type) and name not in {"EmptyRequest"}
}
