"""The URIs of this server's resources (a leaf: tools link to them, resources serve them)."""

from __future__ import annotations

from uuid import UUID

#: The models documentation (the ``docs`` operation), as JSON.
DOCS_URI = "glow://models/docs"
#: The documentation with one model's page titles (``docs`` with ``entity_id``).
DOCS_TEMPLATE = "glow://models/{model_id}/docs"
#: The CSV written by ``export`` (fetched through ``GET /uploads/{upload_id}/download``).
EXPORT_TEMPLATE = "glow://exports/{upload_id}"


def export_uri(upload_id: UUID | str) -> str:
    """The resource URI of an export's CSV."""
    return EXPORT_TEMPLATE.replace("{upload_id}", str(upload_id))


def model_docs_uri(model_id: str) -> str:
    """The resource URI of one model's docs."""
    return DOCS_TEMPLATE.replace("{model_id}", model_id)
