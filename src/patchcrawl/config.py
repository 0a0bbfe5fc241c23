"""The settings file (``[tool.patchcrawl]`` in pyproject.toml, or patchcrawl.toml)."""

from __future__ import annotations

import os


def find_project_root(start: str) -> str | None:
    """The nearest directory at or above ``start`` holding a pyproject.toml with a
    ``[tool.patchcrawl]`` table or a ``patchcrawl.toml``; None when there is none."""
    d = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(d, "patchcrawl.toml")):
            return d
        pp = os.path.join(d, "pyproject.toml")
        if os.path.isfile(pp):
            try:
                with open(pp, "rb") as fh:
                    if b"[tool.patchcrawl" in fh.read():
                        return d
            except OSError:
                pass
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
