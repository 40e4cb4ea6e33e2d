"""Trusted documents: the GraphQL documents a front end registered before it shipped.

A manifest maps each document's sha256 (lower-case hex) to its text, the shape that
graphql-codegen's persisted-documents output (`client-preset` with
`persistedDocuments: true`) and Apollo's persisted-query manifests give. A request may
send `documentId` ("sha256:<hex>" or "<hex>") or Apollo's
`extensions.persistedQuery.sha256Hash` instead of `query`. With
CONTACTGRAPH_TRUSTED_DOCUMENTS=required (recommended for production) any other document
is refused: an attacker holding a stolen token can then run only what the front ends
run. Registered documents are parsed, validated, priced and compiled for the fast path
once, at start-up.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.errors import BadUserInput

__all__ = ["Manifest", "TrustedDocuments", "document_id", "load_manifest", "requested_id"]


def document_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


Manifest = dict[str, str]


def load_manifest(path: Path) -> Manifest:
    """The manifest at `path` ({} when absent); every entry's hash is checked."""
    if not path.exists():
        return {}
    raw = json.loads(path.read_text())
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a manifest is a JSON object of sha256 hash to document")
    manifest: Manifest = {}
    for key, text in raw.items():
        if not isinstance(text, str) or document_id(text) != key.removeprefix("sha256:"):
            raise ValueError(f"{path}: {key} is not the sha256 of its document")
        manifest[document_id(text)] = text
    return manifest


def requested_id(payload: dict[str, Any]) -> str | None:
    """The document id a request names, if any (`documentId` or APQ's extension)."""
    wanted = payload.get("documentId")
    if wanted is None:
        extensions = payload.get("extensions") or {}
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        wanted = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if wanted is None:
        return None
    if not isinstance(wanted, str) or len(wanted) > 80:
        raise BadUserInput("documentId must be a sha256 hash", field="documentId")
    return wanted.strip().lower().removeprefix("sha256:")


@dataclass(frozen=True)
class TrustedDocuments:
    manifest: Manifest
    required: bool = False

    def query_for(self, payload: dict[str, Any]) -> str:
        """The text to run for this request, or BadUserInput saying why there is none."""
        wanted = requested_id(payload)
        query = payload.get("query")
        if wanted is not None:
            text = self.manifest.get(wanted)
            if text is None:
                raise BadUserInput("no registered document has that documentId", field="documentId")
            if isinstance(query, str) and query != text:
                raise BadUserInput("query is not the document documentId names", field="documentId")
            return text
        if not isinstance(query, str):
            raise BadUserInput("the body must be an object with a 'query' string or a documentId")
        if self.required and document_id(query) not in self.manifest:
            raise BadUserInput(
                "only registered documents are accepted here: send a documentId", field="documentId"
            )
        return query
