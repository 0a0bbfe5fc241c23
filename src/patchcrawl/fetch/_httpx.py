"""httpx, imported without its command-line tool.

``import httpx`` also imports ``httpx._main`` (the ``httpx`` command: click, rich and
pygments), about 80 ms of every run that makes a request; patchcrawl never calls it.
httpx already falls back to a stub ``main`` when that module cannot be imported, so
it is marked as absent while httpx loads. Should an httpx version need the module
after all, the import is simply done again the usual way.
"""

from __future__ import annotations

import sys


def _load() -> None:
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    sys.modules["httpx._main"] = None  # type: ignore[assignment]  # "cannot be imported"
    try:
        import httpx
    except ImportError:  # this httpx needs it (the failed import took httpx out again)
        del sys.modules["httpx._main"]
        import httpx  # noqa: F401
    else:
        del sys.modules["httpx._main"]


_load()

import httpx  # noqa: E402

__all__ = ["httpx"]
