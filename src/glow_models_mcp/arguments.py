"""Tool argument models: what an agent may send, derived from the upstream request models.

A tool's arguments are validated by a model derived from its operation's request model
(:func:`arguments_model`), field by field, so the contract stays the one place that lists them:

* a field that takes option ids (``provider_ids``, ``modality_ids``, ``filter_department_ids``...)
  or model ids (``model_id``, ``model_ids``, ``entity_id``) takes :data:`RefStr` instead of a UUID:
  an id, an option's label or a model's exact name, resolved later by :mod:`.lookup`;
* nested request models (a batch's items) are derived the same way;
* tool-only fields (``view``, ``sections``, ``base_model_id``) are added per tool.

Arguments are forgiving the way a careful reader is (:class:`ToolArguments`): a numeric string or
an integral float for an integer (``"5"``, ``5.0``), ``null`` or ``""`` for an optional field not
given (what a strict-mode model sends for a field it leaves out; the field is then not sent
upstream, where ``null`` may mean something else), a list or object sent as a JSON string at any
depth. Booleans for numbers, fractions and
out-of-range values are still refused, and the advertised schemas stay strict.
"""

from __future__ import annotations

import json
import re
import types
import uuid
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import MaxLen
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import WithJsonSchema

from .sections import MODEL_REF_FIELDS, SINGLE_SELECT, SectionName, ref_section, section_alias

#: Longest label or name accepted where an id goes (a description's full text is the longest label).
MAX_REF_CHARS = 1000


def has_control(value: str) -> bool:
    """Whether ``value`` holds a control character (what :data:`NAME_PATTERN` excludes)."""
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def _plausible(value: str) -> str:
    """Refuse what no id, label or name can be: over :data:`MAX_REF_CHARS`, or control characters."""
    if len(value) > MAX_REF_CHARS:
        raise ValueError(f"an id, label or name has at most {MAX_REF_CHARS} characters")
    if has_control(value):
        raise ValueError("an id, label or name has no control characters")
    return value


#: What a model name may not hold: control characters (a newline would fake lines in what an agent
#: reads). Direction overrides are escaped wherever a name is shown (``sections.visible``).
NAME_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"


def _a_name(value: str) -> str:
    if has_control(value):
        raise ValueError("a name has no control characters (no newlines or tabs)")
    if len(value) > MAX_REF_CHARS:  # longer, it could not be named in a lookup, and would crowd every search
        raise ValueError(f"a name has at most {MAX_REF_CHARS} characters")
    return value


#: A model's name, as a write may set it (the pattern and length are advertised, the check is
#: this validator): at most :data:`MAX_REF_CHARS`, as a name given where an id goes.
NameStr = Annotated[
    str,
    AfterValidator(_a_name),
    WithJsonSchema({"type": "string", "maxLength": MAX_REF_CHARS, "pattern": NAME_PATTERN}),
]

#: An id, or what names one: an option's label or a model's exact name.
RefStr = Annotated[str, StringConstraints(min_length=1), AfterValidator(_plausible)]

#: How much of a model or option listing a read returns.
View = Literal["compact", "full"]

_INTEGRAL = re.compile(r"^\s*[+-]?\d+(\.0*)?\s*$")

#: Fields that are alternatives to each other: a call gives at most one of each pair.
EXCLUSIVE = (("name", "name_id"), ("description", "description_id"), ("departments", "department_ids"))


class ToolArguments(BaseModel):
    """Base of every tool argument model: unknown fields are refused, scalars forgiven (see module)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _forgive(cls, data: Any) -> Any:
        data = _json_container(data, dict)
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            info = cls.model_fields.get(key)
            if info is None:
                out[key] = value
            elif (value is None or value == "") and not info.is_required():
                continue  # null or "" means "not given" for an optional field (never sent upstream)
            else:
                out[key] = forgive(value, info.annotation)
        return out

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """Refuse a NUL character in any text: Glow's database cannot store it (it answers 500)."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("contains a NUL character (\\x00), which Glow cannot store")
        return value

    @model_validator(mode="after")
    def _one_of_each_pair(self) -> ToolArguments:
        """Refuse a field given together with its alternative (``name`` and ``name_id``...): the
        upstream would keep one and drop the other without a word."""
        for text, ids in EXCLUSIVE:
            if getattr(self, text, None) is not None and getattr(self, ids, None) is not None:
                raise ValueError(f"give {text} or {ids}, not both (the Glow API would silently drop one)")
        return self

    @field_validator("sections", mode="before", check_fields=False)
    @classmethod
    def _sections(cls, value: Any) -> Any:
        """Section names in any case, singular or plural, or as one comma-separated string."""
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [(section_alias(v) or v) if isinstance(v, str) else v for v in value]
        return value


def _json_container(value: Any, kind: type) -> Any:
    """``value`` parsed, when it is a string holding a JSON ``kind`` (list or dict)."""
    if isinstance(value, str) and value.lstrip()[:1] == ("[" if kind is list else "{"):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return parsed if isinstance(parsed, kind) else value
    return value


def _non_null(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _base(annotation: Any) -> Any:
    """The annotation without ``Annotated`` metadata."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def forgive(value: Any, annotation: Any) -> Any:
    """``value`` in the form ``annotation`` wants, where a careful reader would take it so.

    Integers: ``"5"``, ``"5.0"`` and ``5.0`` become ``5`` (``True``, ``5.5`` and ``"five"`` stay as
    they are, for validation to refuse). Lists and objects: a JSON string is parsed, then each
    element forgiven. Anything else is returned unchanged.
    """
    for option in _non_null(annotation):
        option = _base(option)
        origin = get_origin(option)
        if option is int:
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str) and _INTEGRAL.match(value):
                return int(float(value))
            return value
        if origin is list:
            value = _json_container(value, list)
            if isinstance(value, list):
                (inner,) = get_args(option) or (Any,)
                return [forgive(v, inner) for v in value]
            return value
        if isinstance(option, type) and issubclass(option, BaseModel):
            return _json_container(value, dict)
        if origin is dict:
            return _json_container(value, dict)
    return value


def _swap_uuid(annotation: Any) -> Any:
    """``annotation`` with ``UUID`` replaced by :data:`RefStr` (inside ``| None`` and ``list``)."""
    if annotation is uuid.UUID:
        return RefStr
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return Union[tuple(_swap_uuid(a) for a in get_args(annotation))]  # noqa: UP007 (built at run time)
    if origin is list:
        return list[_swap_uuid(get_args(annotation)[0])]  # type: ignore[misc]
    return annotation


_DERIVED: dict[type[BaseModel], type[ToolArguments]] = {}


def _swap_models(annotation: Any) -> Any:
    """``annotation`` with nested request models replaced by their derived argument models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return arguments_model(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return Union[tuple(_swap_models(a) for a in get_args(annotation))]  # noqa: UP007
    if origin is list:
        return list[_swap_models(get_args(annotation)[0])]  # type: ignore[misc]
    return annotation


def is_ref_field(name: str) -> bool:
    """Whether request field ``name`` takes option or model ids (and so labels or names)."""
    return name in MODEL_REF_FIELDS or ref_section(name) is not None


def arguments_model(
    request_model: type[BaseModel], extra: dict[str, tuple[Any, Any]] | None = None
) -> type[ToolArguments]:
    """The tool argument model derived from ``request_model`` (cached when ``extra`` is empty).

    Args:
        request_model: an upstream request model (:mod:`.schemas`), e.g. ``UpdateModelApiRequest``.
        extra: tool-only fields, ``name -> (annotation, Field(...))``, appended after the contract's.
    """
    if not extra and request_model in _DERIVED:
        return _DERIVED[request_model]
    fields: dict[str, Any] = {}
    for name, info in request_model.model_fields.items():
        annotation = _swap_models(info.annotation)
        copied = _copy(info)
        if name == "name":  # a model's name, as the write sets it
            annotation = NameStr | None if info.annotation == (str | None) else annotation
        if is_ref_field(name):
            annotation = _swap_uuid(annotation)
            if ref_section(name) in SINGLE_SELECT and name.endswith("_ids") and not name.startswith("filter_"):
                # One provider, one value: the upstream keeps the first of a longer list silently.
                copied.metadata = [*copied.metadata, MaxLen(1)]
        fields[name] = (annotation, copied)
    fields.update(extra or {})
    model = create_model(
        f"{request_model.__name__}Arguments",
        __base__=ToolArguments,
        __doc__=request_model.__doc__,
        __module__=__name__,
        **fields,
    )
    if not extra:
        _DERIVED[request_model] = model
    return model


def _copy(info: FieldInfo) -> FieldInfo:
    """A copy of a field's settings (default, description, constraints) for a derived model."""
    return FieldInfo.merge_field_infos(info)


def sections_field(description: str) -> tuple[Any, Any]:
    """The ``sections`` argument: section names, forgiving case, singulars and a comma list."""
    return (list[SectionName] | None, Field(default=None, description=description))


def view_field(description: str) -> tuple[Any, Any]:
    """The ``view`` argument: ``"compact"`` (default, which the description says) or ``"full"``."""
    return (View, Field(default="compact", description=f"{description} Default 'compact'."))
