"""Sources: fetched pages -> metadata, and the status of every reference.

``Resolver(get, settings).resolve(ref) -> Resolution`` is the public API; the
site modules (``lore``, ``patchwork``, ``lwn``, ``cgit``, ``lkmlorg``,
``generic``, ``challenge``) hold all a site's knowledge: its URL shapes
(``URL_SHAPES``, read by :func:`patchcrawl.refs.classify`), its page parsers and
its status rules (``PAGES`` for the sites one page says all of; lore's and
patchwork's readings go on to more pages through the resolver).  ``_site`` holds
the rule types they share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patchcrawl.sources.resolver import Getter, Resolver, moved_by

__all__ = ["Getter", "Resolver", "moved_by"]


def __getattr__(name: str) -> Any:
    """The resolver is imported when first asked for: ``refs`` reads the site modules'
    URL shapes, and ``scan`` (no network) needs none of the resolver's machinery."""
    if name in __all__:
        from patchcrawl.sources import resolver

        return getattr(resolver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
