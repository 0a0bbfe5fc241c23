"""URL -> Ref: what a link points at, decided from the URL alone."""

from __future__ import annotations

from patchcrawl.models import Ref


def classify(url: str) -> Ref:
    """Classify a URL as written in a document (never raises)."""
    raise NotImplementedError
