"""Atomic file replacement: temp file in the same directory, fsync, rename.

A reader never sees a half-written file, a crash leaves either the old or the new
bytes, and the file keeps its permission bits.  A symbolic link is written
through (its target is replaced, the link stays a link).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable

from patchcrawl.settings import UsageError


class StaleFileError(UsageError):
    """The file on disk is not the one that was read: refuse to overwrite it."""


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(
    path: str, data: bytes | str | Iterable[bytes], *, expected: bytes | None = None
) -> None:
    """Replace ``path`` with ``data`` atomically.

    ``expected``: the bytes the caller read earlier; when the file now holds other
    bytes (or vanished) a :class:`StaleFileError` naming the file is raised and
    nothing is written.  A ``str`` is written as UTF-8 (surrogate escapes kept); an
    iterable of ``bytes`` is written chunk by chunk (a large report as it is made).
    """
    payload: Iterable[bytes]
    if isinstance(data, str):
        payload = (data.encode("utf-8", "surrogateescape"),)
    elif isinstance(data, bytes | bytearray):
        payload = (bytes(data),)
    else:
        payload = data
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    mode: int | None = None
    try:
        st = os.stat(real)
        mode = stat.S_IMODE(st.st_mode)
    except FileNotFoundError:
        st = None
    if expected is not None:
        try:
            with open(real, "rb") as fh:
                current = fh.read()
        except OSError as exc:
            raise StaleFileError(f"{path}: cannot re-read before writing ({exc})") from None
        if current != expected:
            raise StaleFileError(
                f"{path}: changed on disk since it was read; not written (run again)"
            )
    try:
        fd, tmp = tempfile.mkstemp(
            dir=directory, prefix="." + os.path.basename(real) + ".", suffix=".tmp"
        )
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in payload:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        if st is not None and hasattr(os, "chown"):
            with contextlib.suppress(OSError):
                os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, real)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            # a full disk, a read-only directory...: the old file is intact; say so plainly
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    _fsync_dir(directory)
