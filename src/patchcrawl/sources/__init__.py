"""Sources: fetched pages -> metadata, and the status of every reference.

``Resolver(get, settings).resolve(ref) -> Resolution`` is the public API; the
site modules (``lore``, ``patchwork``, ``lwn``, ``cgit``, ``lkmlorg``,
``generic``, ``challenge``) hold the page parsers it uses.
"""

from __future__ import annotations

from patchcrawl.sources.resolver import Getter, Resolver, moved_by

__all__ = ["Getter", "Resolver", "moved_by"]
