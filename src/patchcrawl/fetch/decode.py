"""Content-Encoding, decoded under the body cap as it streams in.

httpx's decoders inflate each raw chunk whole: one 64 KiB chunk of a gzip bomb is
64 MB at once, and ``Content-Encoding: gzip, gzip`` of 1,827 bytes inflated to 1 GiB
before any cap was looked at (2.1 GB RSS).  Here every layer of the stack inflates at
most :data:`STEP` bytes at a time and hands them to the next, and the total is
checked at each step, so a body costs at most the cap plus a few steps of memory,
whatever the server stacks.  Encodings: ``gzip``/``x-gzip`` (several members too),
``deflate`` (zlib-wrapped or raw), ``identity``; anything else is refused (patchcrawl
asks only for gzip and deflate).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

STEP = 64 * 1024


class BodyTooLarge(Exception):
    """The decoded body passed the cap."""


class DecodeError(Exception):
    """The body is not what its Content-Encoding says (or the encoding is unknown)."""


class _Inflate:
    """One gzip or deflate layer, inflating at most ``STEP`` bytes per call."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._started = False
        self._obj = self._new()

    def _new(self) -> zlib._Decompress:
        if self.encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS)

    def inflate(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        while data:
            try:
                out = self._obj.decompress(data, STEP)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._started:
                    # "deflate" sent raw, without the zlib wrapper (servers do)
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._started = True
                    continue
                raise DecodeError(f"{self.encoding}: {exc}") from None
            self._started = True
            if out:
                emit(out)
            data = self._obj.unconsumed_tail
            if self._obj.eof and self._obj.unused_data:
                if self.encoding == "deflate":
                    return  # trailing bytes after a deflate stream: ignored
                data = self._obj.unused_data  # the next gzip member
                self._obj = self._new()

    def flush(self, emit: Callable[[bytes], None]) -> None:
        """What the layer still holds (all input was inflated already: a few bytes)."""
        try:
            out = self._obj.flush()
        except zlib.error as exc:
            raise DecodeError(f"{self.encoding}: {exc}") from None
        if out:
            emit(out)
        if not self._obj.eof:
            raise DecodeError(f"{self.encoding}: the stream ends before its end (truncated)")


class BoundedDecoder:
    """``feed`` raw chunks, ``finish`` at the end: the decoded body, or an exception."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self._parts: list[bytes] = []
        names = [e.strip().lower() for e in (content_encoding or "").split(",")]
        names = [e for e in names if e and e != "identity"]
        for name in names:
            if name not in ("gzip", "x-gzip", "deflate"):
                raise DecodeError(f"unsupported Content-Encoding {name!r}")
        # applied in the order listed: undone last first
        self._layers = [_Inflate(n) for n in reversed(names)]
        self._push = self._emitter(0)

    def _emitter(self, i: int) -> Callable[[bytes], None]:
        if i == len(self._layers):
            return self._keep
        layer, nxt = self._layers[i], self._emitter(i + 1)
        return lambda data: layer.inflate(data, nxt)

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise BodyTooLarge(f"body larger than {self.cap} bytes once decoded")
        self._parts.append(data)

    def feed(self, raw: bytes) -> None:
        self._push(raw)

    def finish(self) -> bytes:
        for i, layer in enumerate(self._layers):
            layer.flush(self._emitter(i + 1))
        return b"".join(self._parts)
