"""Labels and names where ids go: the option cache and the resolution of references.

An agent may write an option's label (``"openai"``, ``"text (input)"``, ``"0.7"``) wherever an
option id goes, and a model's exact name wherever a model id goes. Before anything is sent, every
such reference is resolved to its id here; one that matches nothing, or several things, raises
:class:`~glow_models_mcp.exceptions.LookupFailed` (nothing is written).

Where option ids come from: the upstream's ``get`` without ``model_id`` (the option listing) offers
every section's options, but at most 20 per section. A label not found there widens the search
once: the options that any visible model has selected or is offered (``get`` of each model found
by ``search``, a bounded number at a time). Both are cached in :class:`LookupCache` for
``GLOW_MCP_LOOKUP_CACHE_SECONDS`` and dropped on every write and on ``refresh_models``, so a call
with labels does not read the 47 KB listing again each time.

Model names are resolved with one ``search`` per distinct name (only active models are found).
"""

from __future__ import annotations

import difflib
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple, TypeVar

import anyio

from . import schemas as s
from .exceptions import LookupFailed, LookupProblem
from .sections import SECTIONS, Option, f32, label_items, match_keys, norm, offered, selected
from .upstream import GET, SEARCH, GlowClient

T = TypeVar("T")

#: Upstream calls a lookup or a multi-model read runs at once.
CONCURRENCY = 8

#: Most models whose options a widened lookup reads (a bound on its cost in a large catalog).
MAX_SCANNED_MODELS = 500

#: Most candidates an error lists per reference.
MAX_CANDIDATES = 20


async def gather_limited(calls: Sequence[Callable[[], Awaitable[T]]], limit: int = CONCURRENCY) -> list[T]:
    """Await every call, at most ``limit`` at a time; results in the order of ``calls``.

    The first exception cancels the rest and is raised as it is (not wrapped in a group).
    """
    results: list[Any] = [None] * len(calls)
    failures: list[Exception] = []
    limiter = anyio.CapacityLimiter(limit)

    async with anyio.create_task_group() as tg:

        async def run(index: int, call: Callable[[], Awaitable[T]]) -> None:
            async with limiter:
                try:
                    results[index] = await call()
                except Exception as exc:
                    failures.append(exc)
                    tg.cancel_scope.cancel()

        for index, call in enumerate(calls):
            tg.start_soon(run, index, call)
    if failures:
        raise failures[0]
    return results


class OptionCatalog:
    """The known options of every section, with their labels (unique within a section)."""

    def __init__(self, items: dict[str, list[dict[str, Any]]], *, widened: bool) -> None:
        self.widened = widened
        self.options: dict[str, list[Option]] = {}
        for section in SECTIONS:
            options = []
            for label, item in label_items(section, items.get(section, [])):
                temp = item.get("temperature")
                options.append(
                    Option(
                        section=section,
                        id=str(item.get("id") or item.get("flag_option_id")),
                        label=label,
                        keys=match_keys(section, item, label),
                        temperature=f32(float(temp)) if isinstance(temp, int | float) else None,
                    )
                )
            self.options[section] = options

    def find(self, section: str, text: str) -> list[Option]:
        """The options of ``section`` that ``text`` names (case-insensitive; a number names the
        temperature level of that float32 value)."""
        key = norm(text)
        options = self.options.get(section, [])
        exact = [o for o in options if norm(o.label) == key]
        if exact:
            return exact
        found = [o for o in options if key in o.keys]
        if not found and section == "temperature_levels":
            try:
                wanted = f32(float(text))
            except ValueError:
                return []
            found = [o for o in options if o.temperature == wanted]
        return found

    def candidates(self, section: str, text: str) -> list[Option]:
        """Up to :data:`MAX_CANDIDATES` options of ``section`` that look like ``text``, best first,
        then the others in listing order."""
        options = self.options.get(section, [])
        key = norm(text)
        contains = [o for o in options if key and (key in norm(o.label) or norm(o.label) in key)]
        close_labels = difflib.get_close_matches(key, [norm(o.label) for o in options], n=MAX_CANDIDATES, cutoff=0.3)
        close = [o for label in close_labels for o in options if norm(o.label) == label]
        ranked: list[Option] = []
        for option in [*contains, *close, *options]:
            if option not in ranked:
                ranked.append(option)
        return ranked[:MAX_CANDIDATES]


class LookupCache:
    """What lookups reuse between calls: the option listing and the option catalog.

    One per server (the upstream credentials are the server's, so every caller of one server is
    the same Glow user). Entries expire after ``ttl`` seconds and :meth:`invalidate` drops them
    (every write and ``refresh_models`` call it). Concurrent callers share one upstream fetch.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = anyio.Lock()
        self._widening = anyio.Lock()  # one scan of every model at a time; the others wait for its result
        self._listing: s.GetModelApiResponse | None = None
        self._catalog: OptionCatalog | None = None
        self._fetched_at = 0.0
        self._generation = 0

    def invalidate(self) -> None:
        """Drop everything cached (after a write, or ``refresh_models``)."""
        self._listing = None
        self._catalog = None
        self._generation += 1

    def _fresh(self) -> bool:
        return self.ttl > 0 and time.monotonic() - self._fetched_at < self.ttl

    async def listing(self, client: GlowClient) -> s.GetModelApiResponse:
        """The upstream's option listing (``get`` without ids), cached."""
        async with self._lock:
            if self._listing is None or not self._fresh():
                generation = self._generation
                _, listing = await client.request(GET, s.GetModelApiRequest())
                if generation == self._generation:  # not invalidated meanwhile
                    self._listing, self._catalog, self._fetched_at = listing, None, time.monotonic()
                return listing
            return self._listing

    async def catalog(self, client: GlowClient, *, widen: bool) -> OptionCatalog:
        """The option catalog: the listing's options, plus (``widen``) every visible model's."""
        listing = await self.listing(client)
        cached = self._cached(listing, widen)
        if cached is not None:
            return cached
        if not widen:
            return self._keep(listing, OptionCatalog(_items(listing), widened=False))
        async with self._widening:
            cached = self._cached(listing, widen)  # another caller may have just scanned
            if cached is not None:
                return cached
            items = _items(listing)
            for response in await _every_model(client):
                for section in SECTIONS:
                    items[section] += selected(response, section) + offered(response, section)
            return self._keep(listing, OptionCatalog(items, widened=True))

    def _cached(self, listing: s.GetModelApiResponse, widen: bool) -> OptionCatalog | None:
        current = self._catalog
        if current is not None and self._listing is listing and (current.widened or not widen) and self._fresh():
            return current
        return None

    def _keep(self, listing: s.GetModelApiResponse, catalog: OptionCatalog) -> OptionCatalog:
        if self._listing is listing:  # not invalidated (or refetched) meanwhile
            self._catalog = catalog
        return catalog


def _items(listing: s.GetModelApiResponse) -> dict[str, list[dict[str, Any]]]:
    """The options the listing offers, per section."""
    return {section: offered(listing, section) for section in SECTIONS}


async def _every_model(client: GlowClient) -> list[s.GetModelApiResponse]:
    """``get`` of every active model that ``search`` finds (at most :data:`MAX_SCANNED_MODELS`)."""
    ids = [model_id for _, model_id in await _active_models(client, limit=MAX_SCANNED_MODELS)]

    async def read(model_id: uuid.UUID) -> s.GetModelApiResponse | None:
        try:
            return (await client.request(GET, s.GetModelApiRequest(model_id=model_id)))[1]
        except Exception:  # a model we may not read (403) or that just went away: skip it
            return None

    results = await gather_limited([partial(read, m) for m in ids[:MAX_SCANNED_MODELS]])
    return [r for r in results if r is not None]


class LookupWhere(NamedTuple):
    """Where an agent finds the full lists, ending a lookup error: ``options`` (labels and ids of
    options) when a label failed, ``models`` (model names and ids) when a model name failed."""

    options: str
    models: str


@dataclass(frozen=True)
class Ref:
    """A reference to resolve: at ``path`` in the arguments, ``value`` names an option of
    ``section`` (``None``: a model)."""

    path: str
    section: str | None
    value: str


def parse_uuid(value: str) -> uuid.UUID | None:
    """``value`` as a UUID when it is one (any case, with or without hyphens), else ``None``."""
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


async def resolve(
    refs: Iterable[Ref], client: GlowClient, cache: LookupCache, where: LookupWhere
) -> dict[Ref, uuid.UUID]:
    """The id of every reference; ids are taken as they are, labels and names looked up.

    ``where`` says where the full lists of labels, names and ids are; an error ends with the
    part for what failed (options, models or both).

    Raises:
        LookupFailed: listing every reference that matched no option or model, or several
            (with up to :data:`MAX_CANDIDATES` candidates each). Nothing has been written.
        GlowError: when an upstream read needed for the lookup fails.
    """
    refs = list(dict.fromkeys(refs))
    out: dict[Ref, uuid.UUID] = {}
    labels: list[Ref] = []
    names: list[Ref] = []
    for ref in refs:
        as_id = parse_uuid(ref.value)
        if as_id is not None:
            out[ref] = as_id
        elif ref.section is None:
            names.append(ref)
        else:
            labels.append(ref)
    problems: list[LookupProblem] = []

    if labels:
        catalog = await cache.catalog(client, widen=False)
        if any(not catalog.find(r.section, r.value) for r in labels if r.section):
            catalog = await cache.catalog(client, widen=True)
        for ref in labels:
            assert ref.section is not None
            found = catalog.find(ref.section, ref.value)
            if len(found) == 1:
                out[ref] = uuid.UUID(found[0].id)
                continue
            what = ref.section.replace("_", " ")
            if found:
                reason = f"{len(found)} {what} options match {ref.value!r}; use one of their labels or ids"
                candidates = [(o.label, o.id) for o in found[:MAX_CANDIDATES]]
            else:
                reason = f"no {what} option is labelled {ref.value!r}"
                candidates = [(o.label, o.id) for o in catalog.candidates(ref.section, ref.value)]
            problems.append(LookupProblem(ref.path, ref.value, reason, candidates))

    if names:
        matches = await models_by_name(client, [r.value for r in names])
        for ref in names:
            exact = named_exactly(ref.value, matches[ref.value])
            others = [h for h in matches[ref.value] if h not in exact]
            if len(exact) == 1:
                out[ref] = exact[0][1]
                continue
            if exact:
                reason = f"{len(exact)} active models are named {ref.value!r}; give the id of the one you mean"
                candidates = [(name, str(mid)) for name, mid in exact[:MAX_CANDIDATES]]
            else:
                reason = f"no active model is named {ref.value!r} (a model id or the exact name is needed)"
                candidates = [(name, str(mid)) for name, mid in others[:MAX_CANDIDATES]]
            problems.append(LookupProblem(ref.path, ref.value, reason, candidates))

    if problems:
        failed = {p.path for p in problems}
        parts = [
            part
            for part, kind in ((where.options, labels), (where.models, names))
            if any(r.path in failed for r in kind)
        ]
        raise LookupFailed(problems, " ".join(parts))
    return out


#: Up to this many distinct names are looked up with one ``search`` each; more are matched against
#: one listing of the active models (a few pages), so a large batch costs a bounded number of calls.
NAMES_BY_SEARCH = 5

#: Most active models one listing reads (pages of :data:`PAGE`).
MAX_LISTED_MODELS = 20_000
PAGE = 1000

Hit = tuple[str, uuid.UUID]


async def models_by_name(client: GlowClient, names: Sequence[str]) -> dict[str, list[Hit]]:
    """For each of ``names``, the active models whose name contains it (case-insensitive), as
    ``(name, id)``: one ``search`` per name for a few names, one paged listing for more names
    or for a name longer than a search term may be.

    Raises:
        GlowError: when a search fails.
    """
    # The Glow API compares code points: a name stored composed (NFC, the usual form) or decomposed
    # (NFD) is found only in its own form, so a name is searched as given and in both forms (one
    # search where they are the same, as for ASCII); hits are compared with norm().
    forms = {n: _unicode_forms(n) for n in names}
    distinct = list(dict.fromkeys(f for fs in forms.values() for f in fs))
    if len(distinct) <= NAMES_BY_SEARCH and all(len(n) <= s.MAX_SEARCH_CHARS for n in distinct):
        hits = await gather_limited([partial(_active_models, client, n) for n in distinct])
        found = dict(zip(distinct, hits, strict=True))
    else:
        every = await _active_models(client)
        found = {n: every for n in distinct}
    return {n: list(dict.fromkeys(h for f in forms[n] for h in found[f] if norm(n) in norm(h[0]))) for n in names}


def _unicode_forms(name: str) -> list[str]:
    """``name`` (stripped) as given, composed (NFC) and decomposed (NFD), without repeats."""
    text = name.strip()
    return list(dict.fromkeys((text, unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text))))


def _hits(models: Sequence[s.ListModelApiModel] | None) -> list[Hit]:
    return [(m.name or "", m.model_id) for m in models or [] if m.model_id is not None]


async def _active_models(client: GlowClient, search: str | None = None, *, limit: int = MAX_LISTED_MODELS) -> list[Hit]:
    """Every active model whose name or description contains ``search`` (every one for None; at
    most ``limit``), ``search`` page by page."""
    hits: list[Hit] = []
    while len(hits) < limit:
        request = s.SearchModelApiRequest(search=search, page_size=min(PAGE, limit), page_offset=len(hits))
        _, page = await client.request(SEARCH, request)
        batch = _hits(page.models)
        hits += batch
        if not batch or len(hits) >= (page.total_count or 0):
            break
    return hits[:limit]


def named_exactly(name: str, hits: Sequence[Hit]) -> list[Hit]:
    """The hits named exactly ``name`` or, failing that, named so in another case."""
    exact = [h for h in hits if h[0] == name.strip()]
    return exact or [h for h in hits if norm(h[0]) == norm(name)]  # another case or Unicode form
