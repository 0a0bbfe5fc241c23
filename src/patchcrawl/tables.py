"""Markdown -> Document (tables, rows, cells, links with exact positions, claims).

No network. See models.py for the position conventions.
"""

from __future__ import annotations

from patchcrawl.models import Document


def scan_bytes(path: str, raw: bytes) -> Document:
    """Read one markdown document from its bytes; never raises on bad content."""
    raise NotImplementedError


def scan_file(path: str) -> Document:
    """Read ``path`` from disk (raises UsageError naming the file when unreadable)."""
    raise NotImplementedError
