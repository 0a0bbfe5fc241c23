"""The parts of liblore patchcrawl uses, imported without ``requests``.

``liblore/__init__`` imports ``liblore.node`` (its synchronous ``LoreNode`` client),
and that imports ``requests``, urllib3 and certifi at the top: about 0.1 s of every
run's start for a client patchcrawl never uses (it fetches with httpx, DESIGN.md).
``liblore.node`` names ``requests`` only inside functions and in annotations, so
while liblore is imported ``requests`` is a stand-in module; afterwards the name is
released (any later ``import requests`` gets the real module) and
``liblore.node.requests`` stays a proxy that imports the real module the first time
anything asks it for an attribute. A ``LoreNode`` therefore still works, at the
price of that import, when somebody uses one.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _Deferred(types.ModuleType):
    """``requests`` until first use; then the real module, imported and put in place."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get("requests") is self:
            del sys.modules["requests"]
        real = importlib.import_module("requests")
        node = sys.modules.get("liblore.node")
        if node is not None and getattr(node, "requests", None) is self:
            node.requests = real  # type: ignore[attr-defined]
        return getattr(real, name)


def _import_liblore() -> None:
    if "liblore" in sys.modules or "requests" in sys.modules:
        return
    stand_in = _Deferred("requests")
    sys.modules["requests"] = stand_in
    try:
        importlib.import_module("liblore")
    finally:
        if sys.modules.get("requests") is stand_in:
            del sys.modules["requests"]


_import_liblore()

from liblore.series import email_matches, name_matches, parse_patch_subject  # noqa: E402
from liblore.utils import (  # noqa: E402
    clean_header,
    get_clean_msgid,
    msg_get_author,
    msg_get_date,
    msg_get_inbody_author,
    parse_message,
)

__all__ = [
    "clean_header",
    "email_matches",
    "get_clean_msgid",
    "msg_get_author",
    "msg_get_date",
    "msg_get_inbody_author",
    "name_matches",
    "parse_message",
    "parse_patch_subject",
]
