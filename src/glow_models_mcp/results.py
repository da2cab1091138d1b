"""Tool results: structured content, the text block, errors, and the size guard (a leaf).

Every tool result carries structured content (nulls and defaults left out) and one text block: a
one-line summary, then either a compact rendering (the compact views' ``label = id`` lines) or the
structured content as compact JSON. A result too large for an MCP client is replaced by a hint on
how to ask for less, unless a write already happened (then its per-item JSON is left out of the
text, never reported as a failure).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic_core
from mcp.types import CallToolResult, ResourceLink, TextContent
from pydantic import BaseModel

try:  # a dependency on CPython (pyproject.toml); the standard encoder elsewhere
    import orjson
except ImportError:  # pragma: no cover - PyPy, or a platform without its wheels
    orjson = None  # type: ignore[assignment]

#: Approximate bytes per token used for the result-size guard and the benchmark's estimate.
BYTES_PER_TOKEN = 4

#: The standard encoder, for what orjson cannot write exactly as it does (see :func:`compact_json`).
#: ``check_circular=False``: the data comes from ``model_dump()`` and cannot be circular, so the
#: per-container bookkeeping is skipped (the output is the same). ``allow_nan=False``: a NaN or
#: infinite float raises, and is then written ``null`` as orjson writes it (:func:`_finite`).
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False, allow_nan=False)
_ASCII = json.JSONEncoder(separators=(",", ":"), allow_nan=False)

#: In orjson's output, a number the standard encoder writes differently: below 1e-4 (``1e-05``,
#: which orjson writes ``0.00001``) or with a negative exponent (orjson's ``1e-7`` is ``1e-07``). An
#: exponent ends its number (``,``, ``]`` or ``}`` follows); ids such as ``...709e-5025...`` do not
#: match. The same text inside a string only costs the slower encoder. (A first expression that
#: tried every ``:`` and ``,`` cost 0.22 ms on a 43 KB model read, more than orjson saves.)
_SMALL_NUMBER = re.compile(rb"[:,\[]-?0\.0000")
_NEGATIVE_EXPONENT = re.compile(rb"e-\d+[,\]}]")


def _standard_numbers(encoded: bytes) -> bool:
    """Whether every number in orjson's ``encoded`` is written as the standard encoder writes it."""
    if b"0.0000" in encoded and _SMALL_NUMBER.search(encoded):
        return False
    return b"e-" not in encoded or _NEGATIVE_EXPONENT.search(encoded) is None


def _finite(data: Any) -> Any:
    """``data`` with every NaN or infinite float replaced by ``None`` (a JSON-mode dump keeps them
    in fields typed ``float``), as pydantic's JSON mode writes them in untyped values."""
    return pydantic_core.to_jsonable_python(data, inf_nan_mode="null")


def _standard(encoder: json.JSONEncoder, data: Any) -> str:
    """``encoder``'s text of ``data``, a NaN or infinite float written ``null``."""
    try:
        return encoder.encode(data)
    except ValueError:  # a NaN or infinite float (allow_nan=False); rare, so the copy costs nothing
        return encoder.encode(_finite(data))


def compact_json(data: Any) -> str:
    """JSON with no whitespace and unicode kept as is (fewest tokens).

    Written by orjson (a 45 KB model read in 0.07 ms instead of 0.5 ms, see BENCHMARKS.md) when
    its text is the standard encoder's, else by the standard encoder: the same text either way
    (numbers below 1e-4 or in exponent form, non-string keys, integers beyond 64 bits and lone
    surrogates take the standard encoder). One difference: a NaN or infinite float, which is not
    JSON, is written ``null`` by both (the standard encoder alone writes ``NaN``).
    """
    if orjson is not None:
        try:
            encoded = orjson.dumps(data)
        except TypeError:  # a key that is not a string, an integer beyond 64 bits, a lone surrogate...
            pass
        else:
            if _standard_numbers(encoded):
                return encoded.decode()
    return _standard(_COMPACT, data)


def _escape_beyond_ascii(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler ``glow-json-ascii``: a run of non-ASCII characters as the standard
    encoder's ``ensure_ascii`` escapes (``\\u00e9``; a character beyond the BMP as its surrogate pair)."""
    if not isinstance(error, UnicodeEncodeError):  # pragma: no cover - registered for encoding only
        raise error
    escaped = []
    for char in error.object[error.start : error.end]:
        code = ord(char)
        if code < 0x10000:
            escaped.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
    return "".join(escaped), error.end


codecs.register_error("glow-json-ascii", _escape_beyond_ascii)


def ascii_json(data: Any) -> bytes:
    """``json.dumps(data, separators=(",", ":")).encode()``: compact JSON with every non-ASCII
    character (and DEL) escaped, as the SDK writes a 2026-07-28 answer's body.

    Written by orjson when every number in its output is in the standard encoder's form (see
    :func:`compact_json`), its non-ASCII characters then escaped as the standard encoder escapes
    them (they occur only inside strings, as does DEL, the one ASCII character orjson writes as is
    and the standard encoder escapes); else by the standard encoder. A full model read's 58 KB
    answer: 166 µs instead of 208 (BENCHMARKS.md). ``data`` is a JSON-mode dump. One difference:
    a NaN or infinite float (which a JSON-mode dump keeps in a field typed ``float``) is written
    ``null`` by both, as the SDK writes it: its ``_write`` dumps the result, a ``dict[str, Any]``,
    in JSON mode first, which turns them into ``None`` (the standard encoder alone writes ``NaN``).

    Raises:
        TypeError: for a value JSON has no form for (a ``datetime``, ``Decimal``, ``bytes``,
            ``set``, dataclass...), which the SDK's JSON-mode dump would render its own way: the
            caller writes the SDK's answer instead.
    """
    if orjson is not None:
        try:
            # datetimes and dataclasses raise as they do in the standard encoder (orjson's own
            # rendering of them is not pydantic's).
            encoded = orjson.dumps(data, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
        except TypeError:  # a key that is not a string, an integer beyond 64 bits, a lone surrogate...
            pass
        else:
            if _standard_numbers(encoded):
                if not encoded.isascii():
                    encoded = encoded.decode().encode("ascii", "glow-json-ascii")
                return encoded.replace(b"\x7f", b"\\u007f") if b"\x7f" in encoded else encoded
    return _standard(_ASCII, data).encode()


def dump_result(model: BaseModel) -> dict[str, Any]:
    """Structured content of a response model: JSON mode, nulls and defaults left out."""
    return model.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def error_result(text: str) -> CallToolResult:
    """A tool error (``isError: true``) with ``text`` as its only content."""
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


@dataclass
class Presented:
    """A tool's answer before it becomes a :class:`CallToolResult`.

    Attributes:
        summary: the one-line summary that starts the text.
        structured: the structured content.
        text: the text after the summary (``None``: the structured content as compact JSON).
        warnings: said after the summary and added to the structured content as ``warnings``.
        failure: when set, the result is a tool error whose text starts with it (e.g. a batch
            whose items failed validation: nothing was written); the structured content stays.
        links: resource links added after the text.
        wrote: whether a write was applied (a result over the size limit then keeps its summary).
    """

    summary: str
    structured: dict[str, Any]
    text: str | None = None
    warnings: list[str] = field(default_factory=list)
    failure: str | None = None
    links: Sequence[ResourceLink] = ()
    wrote: bool = False


def build_result(presented: Presented, *, max_tokens: int, narrow: str, subject: str) -> CallToolResult:
    """The :class:`CallToolResult` of ``presented``, within ``max_tokens`` (about 4 bytes each) for
    its text and structured content together.

    Over the limit, a read becomes a tool error saying how to ask for less (``narrow``); a failure
    (a batch whose items failed: nothing was written) keeps its text and leaves the structured
    content out; an applied write keeps its summary and structured content, and its text leaves
    the body out.
    """
    structured = dict(presented.structured)
    if presented.warnings:
        structured["warnings"] = list(presented.warnings)
    data = compact_json(structured)
    if presented.text is not None:
        body = presented.text
    else:  # the structured content as JSON (the warnings are said in their own lines)
        body = compact_json(presented.structured) if presented.warnings else data
    head = presented.failure if presented.failure is not None else presented.summary
    lines = [head, *(f"Warning: {w}" for w in presented.warnings)]
    # A client may hand the model the text, the structured content, or both: count both.
    tokens = (len("\n".join([*lines, body]).encode()) + len(data.encode())) // BYTES_PER_TOKEN
    if tokens > max_tokens:
        if presented.failure is not None:  # what failed is the answer: said, without the per-item details
            return error_result(
                f"{presented.failure}\n(The per-item results, about {tokens} tokens in all, are left out to stay "
                f"within the {max_tokens}-token limit of MCP clients.)"
            )
        if not presented.wrote:
            return error_result(
                f"{subject}: the result is about {tokens} tokens, over the {max_tokens}-token limit of MCP clients, "
                f"so it was not returned. {narrow}"
            )
        # A write happened: its summary and warnings always stay; the rest is in the structured content.
        body = (
            f"(The write was applied. Its details, about {tokens} tokens in all, are left out of this text to stay "
            "within the client's limit; they are in the structured content.)"
        )
    if body:
        lines.append(body)
    content: list[Any] = [TextContent(type="text", text="\n".join(lines))]
    content.extend(presented.links)
    return CallToolResult(content=content, structured_content=structured, is_error=presented.failure is not None)
