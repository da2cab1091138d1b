"""``errors.py`` in process: the one next step per failure, the texts of every error class, invalid
arguments and unresolved labels. Written against the ``ErrorHints`` API (each tool's hints live on
its ``ToolSpec``); the texts the tools really produce against the reference API are checked in
``test_agent_errors.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pydantic
import pytest

from glow_models_mcp import schemas as s
from glow_models_mcp.errors import (
    ErrorHints,
    Where,
    next_step,
    render_error,
    render_lookup_error,
    render_validation_error,
)
from glow_models_mcp.exceptions import (
    ConfigurationError,
    LookupFailed,
    LookupProblem,
    UpstreamHTTPError,
    UpstreamResponseError,
    UpstreamUnavailable,
)
from glow_models_mcp.tools import TOOL_SPECS
from glow_models_mcp.tools import WHERE as TOOLS_WHERE

BASE = "https://glow.example.org"
WHERE = Where(models="find_things", model="read_thing", options="list_options")
HINTS = ErrorHints(
    WHERE,
    forbidden="ask for the admin role.",
    not_found="look the id up with search_models.",
    server_error="simplify the search.",
    database_error="an id does not exist; list them with get_model.",
    may_apply=True,
)


def _http(status: int, detail: Any = "boom", retry_after: float | None = None) -> UpstreamHTTPError:
    return UpstreamHTTPError("search", status, detail, retry_after)


@pytest.mark.parametrize(
    ("status", "detail", "step"),
    [
        (401, "Invalid token", "set GLOW_API_KEY (sent as X-Api-Key) and GLOW_TOKEN"),
        (403, "You don't have permission", "ask for the admin role."),
        (302, "", "set GLOW_INSTANCE_URL to the final address"),
        (404, "Model x not found", "look the id up with search_models."),
        (422, [{"loc": ["body", "page_size"], "msg": "bad"}], "fix the fields listed above"),
        (500, "Database error: duplicate key value violates unique constraint", "already exists; leave `id` out"),
        (
            500,
            "Database error: insert or update violates foreign key",
            "an id does not exist; list them with get_model.",
        ),
        (500, "division by zero", "simplify the search."),
        (502, "<html>", "temporarily unavailable; wait a moment and retry."),
        (503, "maintenance", "temporarily unavailable; wait a moment and retry."),
        (504, "timeout", "temporarily unavailable; wait a moment and retry."),
        (501, "not implemented", "retry once, and if it fails again report it to the Glow admins."),
        (409, "conflict", "check the arguments against the tool's input schema."),
    ],
)
def test_one_next_step_per_status(status: int, detail: Any, step: str) -> None:
    text = next_step(_http(status, detail), HINTS)
    assert text.startswith("Next step: ") and step in text
    assert text.count("Next step") == 1


def test_retry_after_is_named_in_the_next_step() -> None:
    assert "retry after 7 s" in next_step(_http(503, "busy", retry_after=7.0), HINTS)


def test_default_hints_give_the_generic_steps() -> None:
    plain = ErrorHints(WHERE)
    assert "ask a Glow admin" in next_step(_http(403), plain)
    assert "find the model's current id with find_things" in next_step(_http(404, "Model 42 not found"), plain)
    assert "retry once" in next_step(_http(500, "division by zero"), plain)
    assert "retry once" in next_step(_http(500, "Database error: foreign key"), plain)


def test_http_error_text_names_subject_operation_status_message_and_step() -> None:
    text = render_error("search_models", _http(404, "Model 42 not found"), BASE, HINTS)
    assert text == (
        "search_models failed: upstream operation 'search' answered HTTP 404: Model 42 not found\n"
        "Next step: look the id up with search_models."
    )


def test_a_422_list_is_rendered_as_field_lines() -> None:
    detail = [
        {"loc": ["body", "models", 0, "name"], "msg": "Field required", "type": "missing"},
        {"loc": ["body"], "msg": "Invalid JSON", "type": "json_invalid"},
    ]
    text = render_error("create_models", UpstreamHTTPError("create", 422, detail), BASE, HINTS)
    assert text.splitlines() == [
        "create_models failed: upstream operation 'create' answered HTTP 422:",
        "models.0.name: Field required",
        "(body): Invalid JSON",
        "Next step: fix the fields listed above and call again.",
    ]


def test_a_timeout_after_sending_a_change_says_it_may_have_been_applied() -> None:
    error = UpstreamUnavailable("create", BASE, "read timeout after 20 s")
    text = render_error("create_models", error, BASE, HINTS)
    assert "read timeout after 20 s" in text and "MAY HAVE BEEN APPLIED" in text and "not retried" in text
    # A read, or a change that never left (the connection failed): nothing may have happened.
    assert "MAY HAVE BEEN APPLIED" not in render_error("search_models", error, BASE, ErrorHints(WHERE))
    refused = UpstreamUnavailable("create", BASE, "connection failed", may_have_reached=False)
    text = render_error("create_models", refused, BASE, HINTS)
    assert "MAY HAVE BEEN APPLIED" not in text and f"the Glow API at {BASE} did not answer" in text
    assert "keeps serving" in text


def test_an_unusable_answer_and_a_missing_configuration() -> None:
    bad = UpstreamResponseError("docs", "docs: HTTP 200 but the body is not JSON: oops")
    text = render_error("get_model_docs", bad, BASE, HINTS)
    assert text.startswith(f"get_model_docs failed: the Glow API at {BASE} sent an unusable answer to 'docs'")
    assert "the body is not JSON: oops" in text and "Next step: retry once" in text
    missing = render_error("get_model", ConfigurationError("GLOW_INSTANCE_URL is not set"), BASE, HINTS)
    assert missing.startswith("get_model: the MCP server has no Glow instance configured")
    assert "Set GLOW_INSTANCE_URL and restart." in missing


def test_resources_are_named_as_the_subject_too() -> None:
    uri = f"glow://exports/{uuid.uuid4()}"
    text = render_error(uri, UpstreamHTTPError("download", 404, "Upload not found"), BASE, HINTS)
    assert text.startswith(f"{uri} failed: upstream operation 'download' answered HTTP 404: Upload not found")


def _validation_error(model: type[pydantic.BaseModel], data: Any) -> pydantic.ValidationError:
    with pytest.raises(pydantic.ValidationError) as info:
        model.model_validate(data)
    return info.value


def test_invalid_arguments_name_each_field_without_echoing_values() -> None:
    secret_value = "do-not-echo-4711"
    exc = _validation_error(s.SearchModelApiRequest, {"page_size": secret_value, "serch": "x"})
    lines = render_validation_error("search_models", exc).splitlines()
    assert lines[0] == "search_models: invalid arguments, nothing was sent to the Glow API:"
    assert any(line.startswith("- page_size: ") for line in lines)
    assert "- serch: unknown field (check the spelling against the input schema)" in lines
    assert lines[-1] == "Fix these fields and call again."
    text = "\n".join(lines)
    assert secret_value not in text and "errors.pydantic.dev" not in text


def test_more_than_twenty_invalid_fields_are_summarized() -> None:
    exc = _validation_error(s.DeleteModelApiRequest, {"model_ids": [f"bad-{i}" for i in range(25)]})
    lines = render_validation_error("delete_models", exc).splitlines()
    assert sum(1 for line in lines if line.startswith("- model_ids.")) == 20
    assert "- ... and 5 more" in lines


def test_unresolved_labels_list_the_candidates_and_where_to_look() -> None:
    problems = [
        LookupProblem("models.0.provider_ids.0", "opnai", "no provider is labelled 'opnai'", [("openai", "id-1")]),
        LookupProblem("model_id", "gpt", "several models are named like 'gpt'", []),
    ]
    text = render_lookup_error("create_models", LookupFailed(problems, "Labels come from get_model."))
    assert text.splitlines() == [
        "create_models: 2 label(s) or name(s) could not be resolved to an id; nothing was sent or written:",
        "- models.0.provider_ids.0: no provider is labelled 'opnai'.",
        "  Candidates (label = id):",
        "    openai = id-1",
        "- model_id: several models are named like 'gpt'.",
        "Labels come from get_model.",
    ]


def test_every_tool_has_hints_and_only_writes_whose_repetition_matters_may_have_applied() -> None:
    for spec in TOOL_SPECS:
        hints = spec.error_hints
        assert isinstance(hints, ErrorHints) and hints.where == TOOLS_WHERE, spec.name
        ann = spec.annotations
        assert hints.may_apply == (not ann.read_only_hint and (ann.destructive_hint or not ann.idempotent_hint))
    by_name = {spec.name: spec.error_hints.may_apply for spec in TOOL_SPECS}
    assert by_name["create_models"] and by_name["update_models"] and by_name["delete_models"]
    assert by_name["export_models"] and not by_name["refresh_models"] and not by_name["get_model"]
