"""SQLite storage of the reference API: schema, seed and the low-level queries.

Schema (our own design, named after the upstream's tables):

* ``<kind>_resource``: the twelve selectable resources (names, descriptions, values, providers,
  flags, departments, modalities, temperature levels, pricing, reasoning levels, qualities,
  voices);
* ``model_artifact`` plus one ``model_<kind>_junction`` table per resource (ordered links, real
  foreign keys, ``ON DELETE CASCADE`` from the model);
* ``agent_artifact`` / ``agent_models_junction``: agents that use models (empty in the seed; a
  model used by an active agent cannot be edited or deleted);
* ``model_drafts_entry`` (append-only) and the ``model_drafts_mv`` view over its active rows;
* ``uploads_entry``: exported CSV files.

One connection serves every thread; an ``RLock`` makes each operation atomic, so concurrent
requests never lose writes. ``":memory:"`` keeps the data for the life of the process, a file
path keeps it across restarts. Several processes may share one file (clients that start one
server process per call): it is in WAL mode, a writer waits up to :data:`BUSY_TIMEOUT` seconds
for another, and the seed is written once, inside the write transaction that checks for it.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from .errors import DatabaseError

_SEED_NS = uuid.UUID("5e3c0f2a-8d7b-4f6e-9c21-7a4b2d1e0f93")


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def float32(value: float) -> float:
    """The value a Postgres ``real`` column gives back (the upstream stores temperatures so)."""
    return struct.unpack("f", struct.pack("f", float(value)))[0]


def seed_id(kind: str, key: str) -> str:
    """Stable ids for seeded rows: the same catalog gets the same ids in every database."""
    return str(uuid.uuid5(_SEED_NS, f"{kind}:{key}"))


# ---------------------------------------------------------------------------------------------
# Resource kinds
# ---------------------------------------------------------------------------------------------


def _price_label(r: sqlite3.Row) -> str:
    return f"{r['pricing_type']}: {r['price']:g} per {r['unit_name']}"


@dataclass(frozen=True)
class Kind:
    """One resource kind: its table, its junction with models, and how a row is shown."""

    section: str  # key in GetModelApiResponse, e.g. "temperature_levels"
    column: str  # junction column, e.g. "temperature_level_id"
    columns: str  # resource table columns after "id"
    render: Callable[[sqlite3.Row], dict[str, Any]]
    order: str = "rowid"

    @property
    def table(self) -> str:
        return f"{self.section}_resource"

    @property
    def junction(self) -> str:
        return f"model_{self.section}_junction"

    @property
    def ids_field(self) -> str:
        """The list field in drafts and create/update items, e.g. ``temperature_level_ids``."""
        return f"{self.column}s"


KINDS: dict[str, Kind] = {
    k.section: k
    for k in (
        Kind("names", "name_id", "name TEXT NOT NULL", lambda r: {"id": r["id"], "name": r["name"]}),
        Kind(
            "descriptions",
            "description_id",
            "description TEXT NOT NULL",
            lambda r: {"id": r["id"], "name": r["description"], "description": r["description"]},
        ),
        Kind(
            "values",
            "value_id",
            "value TEXT NOT NULL",
            lambda r: {"id": r["id"], "name": r["value"], "value": r["value"]},
        ),
        Kind(
            "providers",
            "provider_id",
            "name TEXT NOT NULL, description TEXT, endpoint TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1",
            lambda r: {
                "id": r["id"],
                "name": r["name"],
                "description": r["description"],
                "endpoint": r["endpoint"],
                "active": bool(r["active"]),
            },
        ),
        Kind(
            "flags",
            "flag_id",
            "name TEXT NOT NULL, description TEXT, type TEXT, icon TEXT, value INTEGER NOT NULL DEFAULT 1, generated INTEGER NOT NULL DEFAULT 0",
            lambda r: {
                "id": r["id"],
                "name": r["name"],
                "description": r["description"],
                "type": r["type"],
                "icon": r["icon"],
                "value": bool(r["value"]),
                "generated": bool(r["generated"]),
            },
        ),
        Kind(
            "departments",
            "department_id",
            "name TEXT NOT NULL, description TEXT, setup TEXT",
            lambda r: {"id": r["id"], "name": r["name"], "description": r["description"]},
            order="name, rowid",
        ),
        Kind(
            "modalities",
            "modality_id",
            "modality TEXT NOT NULL, is_input INTEGER NOT NULL",
            lambda r: {
                "id": r["id"],
                "name": r["modality"],
                "modality": r["modality"],
                "is_input": bool(r["is_input"]),
            },
        ),
        Kind(
            "temperature_levels",
            "temperature_level_id",
            "temperature REAL NOT NULL",
            lambda r: {"id": r["id"], "name": f"{r['temperature']:g}", "temperature": r["temperature"]},
            order="temperature, rowid",
        ),
        Kind(
            "pricing",
            "pricing_id",
            "pricing_type TEXT NOT NULL, price REAL NOT NULL, unit_name TEXT NOT NULL, unit_category TEXT NOT NULL, unit_value INTEGER NOT NULL",
            lambda r: {
                "id": r["id"],
                "name": _price_label(r),
                "pricing_type": r["pricing_type"],
                "price": r["price"],
                "unit_name": r["unit_name"],
                "unit_category": r["unit_category"],
                "unit_value": r["unit_value"],
            },
        ),
        Kind(
            "reasoning_levels",
            "reasoning_level_id",
            "reasoning_level TEXT NOT NULL",
            lambda r: {"id": r["id"], "name": r["reasoning_level"], "reasoning_level": r["reasoning_level"]},
        ),
        Kind(
            "qualities",
            "quality_id",
            "quality TEXT NOT NULL",
            lambda r: {"id": r["id"], "name": r["quality"], "quality": r["quality"]},
        ),
        Kind(
            "voices",
            "voice_id",
            "voice TEXT NOT NULL",
            lambda r: {"id": r["id"], "name": r["voice"], "voice": r["voice"]},
        ),
    )
}

#: Order in which an item's links are written (and a bad id is reported).
WRITE_ORDER = (
    "names",
    "descriptions",
    "departments",
    "flags",
    "modalities",
    "pricing",
    "providers",
    "qualities",
    "reasoning_levels",
    "temperature_levels",
    "values",
    "voices",
)

DRAFT_LIST_FIELDS = (
    "department_ids",
    "description_ids",
    "flag_ids",
    "modality_ids",
    "name_ids",
    "pricing_ids",
    "profile_ids",
    "provider_ids",
    "quality_ids",
    "reasoning_level_ids",
    "temperature_level_ids",
    "value_ids",
    "voice_ids",
)


def _schema() -> str:
    parts = []
    for kind in KINDS.values():
        parts.append(
            f"CREATE TABLE IF NOT EXISTS {kind.table} (id TEXT PRIMARY KEY, {kind.columns}, created_at TEXT NOT NULL);"
        )
    parts.append(
        "CREATE TABLE IF NOT EXISTS model_artifact (id TEXT PRIMARY KEY, active INTEGER NOT NULL DEFAULT 1, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    )
    for kind in KINDS.values():
        parts.append(
            f"CREATE TABLE IF NOT EXISTS {kind.junction} ("
            f"model_id TEXT NOT NULL REFERENCES model_artifact(id) ON DELETE CASCADE, "
            f"{kind.column} TEXT NOT NULL REFERENCES {kind.table}(id), "
            f"position INTEGER NOT NULL, PRIMARY KEY (model_id, {kind.column}));"
        )
        parts.append(f"CREATE INDEX IF NOT EXISTS {kind.junction}_{kind.column}_idx ON {kind.junction}({kind.column});")
    parts.append(
        "CREATE TABLE IF NOT EXISTS agent_artifact (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);"
    )
    parts.append(
        "CREATE TABLE IF NOT EXISTS agent_models_junction ("
        "agent_id TEXT NOT NULL REFERENCES agent_artifact(id) ON DELETE CASCADE, "
        "model_id TEXT NOT NULL REFERENCES model_artifact(id) ON DELETE CASCADE, PRIMARY KEY (agent_id, model_id));"
    )
    lists = ", ".join(f"{f} TEXT NOT NULL DEFAULT '[]'" for f in DRAFT_LIST_FIELDS)
    parts.append(
        "CREATE TABLE IF NOT EXISTS model_drafts_entry (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
        "version INTEGER NOT NULL, created_at TEXT NOT NULL, generated INTEGER NOT NULL DEFAULT 0, "
        "mcp INTEGER NOT NULL DEFAULT 0, active INTEGER NOT NULL DEFAULT 1, group_id TEXT NOT NULL, "
        f"session_id TEXT NOT NULL, input_draft_id TEXT, {lists});"
    )
    parts.append(
        "CREATE VIEW IF NOT EXISTS model_drafts_mv AS SELECT id, version, created_at, generated, mcp, active, "
        f"group_id, session_id, {', '.join(DRAFT_LIST_FIELDS)} FROM model_drafts_entry WHERE active = 1;"
    )
    parts.append(
        "CREATE TABLE IF NOT EXISTS uploads_entry (id TEXT PRIMARY KEY, file_name TEXT NOT NULL, "
        "mime_type TEXT NOT NULL, content TEXT NOT NULL, row_count INTEGER NOT NULL, created_at TEXT NOT NULL);"
    )
    parts.append("CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
    return "\n".join(parts)


def load_seed_catalog() -> dict[str, Any]:
    """The vendored seed catalog (works from an installed wheel)."""
    text = files("glow_models_mcp.sandbox").joinpath("seed_catalog.json").read_text(encoding="utf-8")
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------


#: Seconds a connection waits for another process's write lock on a shared database file.
BUSY_TIMEOUT = 20.0


class Database:
    """One SQLite connection shared by all threads, guarded by a re-entrant lock.

    Raises:
        sqlite3.Error: the file cannot be opened or is not an SQLite database.
        ValueError: the file is an SQLite database with tables of something else.
    """

    def __init__(self, path: str = ":memory:", *, seed: bool = True) -> None:
        self.path = path
        self.seed = seed
        self.lock = threading.RLock()
        self.closed = True
        self.open()

    def open(self) -> None:
        """Connect (again), create the schema and seed a new database. A closed in-memory
        database comes back empty (and seeded again)."""
        with self.lock:
            if not self.closed:
                return
            uri = self.path.startswith("file:")
            conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, uri=uri, timeout=BUSY_TIMEOUT
            )
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA foreign_keys = ON")
                if self.path != ":memory:" and "mode=memory" not in self.path:
                    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                    if tables and "sandbox_meta" not in tables:
                        raise ValueError(
                            "an SQLite database of something else (it has tables but none of the sandbox's); "
                            "give a new file"
                        )
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("BEGIN IMMEDIATE")  # one process creates the schema and seeds; the others wait
                try:
                    for statement in _schema().splitlines():  # one statement a line
                        conn.execute(statement)
                    seeded = conn.execute("SELECT 1 FROM sandbox_meta WHERE key = 'seeded'").fetchone()
                    if self.seed and seeded is None:
                        _seed(conn, load_seed_catalog())
                        conn.execute("INSERT OR REPLACE INTO sandbox_meta VALUES ('seeded', ?)", (now_iso(),))
                    # A write on every open, so that a file this process may read but not write is
                    # refused at start ("attempt to write a readonly database"), not at the first write.
                    conn.execute("INSERT OR REPLACE INTO sandbox_meta VALUES ('opened', ?)", (now_iso(),))
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except BaseException:
                conn.close()
                raise
            self.conn = conn
            self.closed = False

    def close(self) -> None:
        with self.lock:
            if not self.closed:
                self.conn.close()
                self.closed = True

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An exclusive write transaction (committed on success, rolled back on error)."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            yield self.conn

    def meta(self, key: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT value FROM sandbox_meta WHERE key = ?", (key,)).fetchone()
            return None if row is None else row["value"]

    # -- test helpers ----------------------------------------------------------------------

    def set_active(self, model_id: str, active: bool) -> None:
        """Mark a model active or inactive (no API operation does this)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE model_artifact SET active = ?, updated_at = ? WHERE id = ?",
                (int(active), now_iso(), str(model_id)),
            )

    def add_agent(self, name: str, model_ids: Sequence[str], *, active: bool = True) -> str:
        """Create an agent that uses ``model_ids`` (agents are not part of the Models API)."""
        agent_id = str(uuid.uuid4())
        with self.transaction() as conn:
            conn.execute("INSERT INTO agent_artifact VALUES (?, ?, ?, ?)", (agent_id, name, int(active), now_iso()))
            for mid in model_ids:
                conn.execute("INSERT INTO agent_models_junction VALUES (?, ?)", (agent_id, str(mid)))
        return agent_id

    def count_models(self) -> int:
        with self.read() as conn:
            return conn.execute("SELECT COUNT(*) FROM model_artifact").fetchone()[0]


# ---------------------------------------------------------------------------------------------
# Queries (call with the lock held, i.e. inside Database.read() / transaction())
# ---------------------------------------------------------------------------------------------


def model_row(conn: sqlite3.Connection, model_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM model_artifact WHERE id = ?", (model_id,)).fetchone()


def model_links(conn: sqlite3.Connection, model_id: str) -> dict[str, list[str]]:
    """Linked resource ids of a model per section, in link order."""
    links: dict[str, list[str]] = {}
    for kind in KINDS.values():
        rows = conn.execute(
            f"SELECT {kind.column} FROM {kind.junction} WHERE model_id = ? ORDER BY position", (model_id,)
        ).fetchall()
        links[kind.section] = [r[0] for r in rows]
    return links


def load_model(conn: sqlite3.Connection, model_id: str) -> dict[str, Any] | None:
    row = model_row(conn, model_id)
    if row is None:
        return None
    return {
        "id": row["id"],
        "active": bool(row["active"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "links": model_links(conn, model_id),
    }


def resources(conn: sqlite3.Connection, section: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``ids`` in that order; unknown ids are skipped (as the upstream's get tools)."""
    if not ids:
        return []
    kind = KINDS[section]
    marks = ",".join("?" * len(ids))
    rows = {r["id"]: r for r in conn.execute(f"SELECT * FROM {kind.table} WHERE id IN ({marks})", list(ids))}
    out, seen = [], set()
    for i in ids:
        if i in rows and i not in seen:
            seen.add(i)
            out.append(kind.render(rows[i]))
    return out


def all_rows(conn: sqlite3.Connection, section: str) -> list[dict[str, Any]]:
    kind = KINDS[section]
    return [kind.render(r) for r in conn.execute(f"SELECT * FROM {kind.table} ORDER BY {kind.order}")]


def suggestions(
    conn: sqlite3.Connection,
    section: str,
    *,
    exclude: Sequence[str],
    limit: int,
    only: Sequence[str] | None = None,
    linked_to_models: bool = False,
) -> list[dict[str, Any]]:
    """Selectable rows besides the selected ones, bounded like the upstream's search tools."""
    kind = KINDS[section]
    where: list[str] = []
    args: list[Any] = []
    if exclude:
        where.append(f"id NOT IN ({','.join('?' * len(exclude))})")
        args.extend(exclude)
    if only is not None:
        if not only:
            return []
        where.append(f"id IN ({','.join('?' * len(only))})")
        args.extend(only)
    if linked_to_models:
        where.append(f"id IN (SELECT {kind.column} FROM {kind.junction})")
    sql = f"SELECT * FROM {kind.table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {kind.order} LIMIT ?"
    args.append(limit)
    return [kind.render(r) for r in conn.execute(sql, args)]


def department_ids(conn: sqlite3.Connection, names: Sequence[str] | None) -> list[str]:
    """Ids of the named departments; ``None`` means every department."""
    if names is None:
        return [r[0] for r in conn.execute("SELECT id FROM departments_resource ORDER BY name, rowid")]
    out = []
    for name in names:
        row = conn.execute(
            "SELECT id FROM departments_resource WHERE name = ? ORDER BY rowid LIMIT 1", (name,)
        ).fetchone()
        if row is not None:
            out.append(row[0])
    return out


def active_agent_count(conn: sqlite3.Connection, model_id: str) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM agent_models_junction j JOIN agent_artifact a ON a.id = j.agent_id "
        "WHERE j.model_id = ? AND a.active = 1",
        (model_id,),
    ).fetchone()[0]


def first_name(conn: sqlite3.Connection, model_id: str) -> str | None:
    row = conn.execute(
        "SELECT n.name FROM model_names_junction j JOIN names_resource n ON n.id = j.name_id "
        "WHERE j.model_id = ? ORDER BY j.position LIMIT 1",
        (model_id,),
    ).fetchone()
    return None if row is None else row[0]


def insert_text_resource(conn: sqlite3.Connection, section: str, text: str) -> str:
    """Create a name or description resource (the two resources a client may create)."""
    column = {"names": "name", "descriptions": "description"}[section]
    if "\x00" in text:  # Postgres text cannot hold NUL
        raise DatabaseError('invalid byte sequence for encoding "UTF8": 0x00')
    rid = str(uuid.uuid4())
    conn.execute(f"INSERT INTO {section}_resource (id, {column}, created_at) VALUES (?, ?, ?)", (rid, text, now_iso()))
    return rid


def set_links(conn: sqlite3.Connection, model_id: str, section: str, ids: Sequence[str]) -> None:
    """Replace a model's links of one kind; an unknown id fails like a Postgres foreign key."""
    kind = KINDS[section]
    unique = list(dict.fromkeys(str(i) for i in ids))
    if unique:
        marks = ",".join("?" * len(unique))
        known = {r[0] for r in conn.execute(f"SELECT id FROM {kind.table} WHERE id IN ({marks})", unique)}
        if len(known) != len(unique):
            raise DatabaseError(
                f'insert or update on table "{kind.junction}" violates foreign key constraint '
                f'"{kind.junction}_{kind.column}_fkey"'
            )
    conn.execute(f"DELETE FROM {kind.junction} WHERE model_id = ?", (model_id,))
    conn.executemany(
        f"INSERT INTO {kind.junction} (model_id, {kind.column}, position) VALUES (?, ?, ?)",
        [(model_id, rid, pos) for pos, rid in enumerate(unique)],
    )


def insert_model(conn: sqlite3.Connection, model_id: str | None, *, active: bool = True) -> str:
    mid = str(model_id or uuid.uuid4())
    if model_row(conn, mid) is not None:
        raise DatabaseError('duplicate key value violates unique constraint "model_artifact_pkey"')
    ts = now_iso()
    conn.execute(
        "INSERT INTO model_artifact (id, active, created_at, updated_at) VALUES (?, ?, ?, ?)",
        (mid, int(active), ts, ts),
    )
    return mid


def table_columns(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    return [
        {"name": r["name"], "type": (r["type"] or "TEXT").lower(), "nullable": not (r["notnull"] or r["pk"])}
        for r in conn.execute(f"PRAGMA table_info({table})")
    ]


def view_definition(conn: sqlite3.Connection, name: str) -> str:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (name,)).fetchone()
    return "" if row is None else row[0]


# ---------------------------------------------------------------------------------------------
# Seed
# ---------------------------------------------------------------------------------------------


def _pricing_key(p: dict[str, Any]) -> str:
    return f"{p['pricing_type']}|{p['price']}|{p['unit_name']}|{p['unit_category']}|{p['unit_value']}"


def _seed(conn: sqlite3.Connection, catalog: dict[str, Any]) -> None:
    """Load the platform's catalog; values (provider-side identifiers) are filled in: one per
    model, equal to the model's name, since the upstream seed has none."""
    ts = now_iso()

    def insert(section: str, key: str, **cols: Any) -> str:
        rid = seed_id(section, key)
        names = ", ".join(["id", *cols, "created_at"])
        marks = ", ".join("?" * (len(cols) + 2))
        conn.execute(f"INSERT OR IGNORE INTO {section}_resource ({names}) VALUES ({marks})", (rid, *cols.values(), ts))
        return rid

    for p in catalog["providers"]:
        insert(
            "providers",
            p["name"],
            name=p["name"],
            description=p.get("description"),
            endpoint="",
            active=int(p.get("active_flag", True)),
        )
    for d in catalog["departments"]:
        insert("departments", d["name"], name=d["name"], description=d.get("description"), setup=d.get("setup"))
    for f in catalog["model_flags"]:
        insert(
            "flags",
            f"{f['name']}|{f['value']}",
            name=f["name"],
            description=f.get("description"),
            type=f.get("type"),
            icon=f.get("icon"),
            value=int(bool(f["value"])),
            generated=0,
        )
    for m in catalog["modalities"]:
        insert("modalities", f"{m['modality']}|{m['is_input']}", modality=m["modality"], is_input=int(m["is_input"]))
    for t in catalog["temperature_levels"]:
        insert("temperature_levels", f"{t['temperature']:.2f}", temperature=float32(t["temperature"]))
    for p in catalog["pricing"]:
        insert(
            "pricing",
            _pricing_key(p),
            pricing_type=p["pricing_type"],
            price=p["price"],
            unit_name=p["unit_name"],
            unit_category=p["unit_category"],
            unit_value=p["unit_value"],
        )
    for r in catalog["reasoning_levels"]:
        insert("reasoning_levels", r["reasoning_level"], reasoning_level=r["reasoning_level"])
    for q in catalog["qualities"]:
        insert("qualities", q["quality"], quality=q["quality"])
    for v in catalog["voices"]:
        insert("voices", v["voice"], voice=v["voice"])

    for m in catalog["models"]:
        name = m["name"]
        mid = seed_id("model", name)
        conn.execute(
            "INSERT INTO model_artifact (id, active, created_at, updated_at) VALUES (?, 1, ?, ?)", (mid, ts, ts)
        )
        links = {
            "names": [insert("names", name, name=name)],
            "descriptions": [insert("descriptions", name, description=m["description"])]
            if m.get("description")
            else [],
            "values": [insert("values", name, value=name)],
            "providers": [seed_id("providers", m["provider"])],
            "flags": [seed_id("flags", f"{k}|{v}") for k, v in m.get("flags", {}).items()],
            "departments": [seed_id("departments", d) for d in m.get("departments", [])],
            "modalities": [seed_id("modalities", f"{x['modality']}|{x['is_input']}") for x in m["modalities"]],
            "temperature_levels": [seed_id("temperature_levels", f"{t:.2f}") for t in m["temperature_levels"]],
            "pricing": [seed_id("pricing", _pricing_key(p)) for p in m["pricing"]],
            "reasoning_levels": [seed_id("reasoning_levels", r) for r in m["reasoning_levels"]],
            "qualities": [seed_id("qualities", q) for q in m["qualities"]],
            "voices": [seed_id("voices", v) for v in m["voices"]],
        }
        for section, ids in links.items():
            set_links(conn, mid, section, ids)
