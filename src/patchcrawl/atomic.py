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
from collections.abc import Callable, Iterable, Iterator

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
    path: str,
    data: bytes | str | Iterable[bytes],
    *,
    expected: bytes | None = None,
    force: bool = False,
) -> None:
    """Replace ``path`` with ``data`` atomically.

    ``expected``: the bytes the caller read earlier; when the file holds other bytes
    (or vanished, or was replaced) a :class:`StaleFileError` naming the file is raised
    and nothing is written.  It is checked on the open file once more just before the
    rename, so an edit saved meanwhile is never lost.  A read-only file is refused
    unless ``force`` (as editors do).  A path that is no regular file (``/dev/null``, a
    FIFO, a terminal) is written through, never replaced: a report may go there, an
    edited document may not.  A ``str`` is written as UTF-8 (surrogate escapes kept);
    an iterable of ``bytes`` is written chunk by chunk (a large report as it is made).
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
    try:
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if expected is not None:
            raise StaleFileError(f"{path}: not a regular file; not written")
        _write_through(path, real, payload)
        return
    if st is not None and not force and not st.st_mode & stat.S_IWUSR:
        raise StaleFileError(f"{path}: read-only; not written (--force writes it anyway)")
    with _held(path, real, expected) as check:
        mode = stat.S_IMODE(st.st_mode) if st is not None else None
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
            check()  # the last moment before the rename: still the bytes that were read?
            os.replace(tmp, real)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                # a full disk, a read-only directory...: the old file is intact
                raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
            raise
    _fsync_dir(directory)


def _write_through(path: str, real: str, payload: Iterable[bytes]) -> None:
    try:
        with open(real, "wb") as fh:
            for chunk in payload:
                fh.write(chunk)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def _held(path: str, real: str, expected: bytes | None) -> Iterator[Callable[[], None]]:
    """With ``expected``: the file opened and compared now, and a check to call just
    before the rename that it is still that file with those bytes (an editor's save
    replaces the file, an in-place write changes its bytes: either is refused)."""
    if expected is None:
        yield lambda: None
        return
    try:
        fh = open(real, "rb")  # noqa: SIM115 - held open until the rename
    except OSError as exc:
        raise StaleFileError(f"{path}: cannot re-read before writing ({exc})") from None
    with fh:

        def check() -> None:
            fh.seek(0)
            same = fh.read() == expected
            try:
                same = same and os.stat(real).st_ino == os.fstat(fh.fileno()).st_ino
            except OSError:
                same = False
            if not same:
                raise StaleFileError(
                    f"{path}: changed on disk since it was read; not written (run again)"
                )

        check()
        yield check
