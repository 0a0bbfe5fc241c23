"""PATH arguments -> the markdown files to read."""

from __future__ import annotations

import os
from collections.abc import Sequence

from patchcrawl.settings import UsageError

MARKDOWN_SUFFIXES = (".md", ".MD", ".markdown")


def default_paths() -> list[str]:
    """``data/`` when run inside the project checkout, else ``.`` (CONTRACT.md)."""
    from patchcrawl.config import find_project_root

    root = find_project_root(os.getcwd())
    if root is not None and os.path.isdir(os.path.join(root, "data")):
        data = os.path.join(root, "data")
        return [os.path.relpath(data) if data.startswith(os.getcwd()) else data]
    return ["."]


def find_markdown(paths: Sequence[str]) -> list[str]:
    """Expand files and directories into a sorted, de-duplicated list of markdown files.

    Raises UsageError (exit 2) for a path that does not exist or a run that finds no
    markdown at all.
    """
    out: list[str] = []
    seen: set[str] = set()
    for p in paths:
        if os.path.isdir(p):
            found: list[str] = []
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in filenames:
                    full = os.path.join(dirpath, name)
                    # regular files only (symlinks to them too): a dangling symlink such as
                    # an editor's lock file fails the run, and a FIFO would block it forever
                    if name.endswith(MARKDOWN_SUFFIXES) and os.path.isfile(full):
                        found.append(full)
            for f in sorted(found):
                key = os.path.realpath(f)
                if key not in seen:
                    seen.add(key)
                    out.append(f)
        elif os.path.exists(p):
            if not os.path.isfile(p):
                raise UsageError(f"{p}: not a regular file or directory")
            if not p.endswith(MARKDOWN_SUFFIXES):
                raise UsageError(
                    f"{p}: not a markdown file (patchcrawl reads *.md, *.MD and *.markdown)"
                )
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                out.append(p)
        else:
            raise UsageError(f"{p}: no such file or directory")
    if not out:
        raise UsageError(f"no markdown files (*.md, *.MD, *.markdown) found in: {', '.join(paths)}")
    return out
