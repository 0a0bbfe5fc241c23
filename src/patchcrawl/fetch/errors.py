"""Fetch error kinds: the closed vocabulary of ``Response.error``, in one place.

:meth:`~patchcrawl.fetch.Fetcher.get` never raises for network trouble: it answers a
:class:`~patchcrawl.models.Response` whose ``error`` is one of
:data:`~patchcrawl.models.FetchErrorKind` (a ``Literal``; ``FETCH_ERROR_KINDS`` lists
the same names for code that checks at run time), with ``detail`` saying it in words.
Which layer of the fetcher names each kind, and what the rest of patchcrawl makes of it::

    FetchErrorKind
    ├── the wire: one request failed (wire.py; the exception it raised, ``_RULES`` below)
    │   ├── timeout            no complete answer within --timeout        retried  [1]
    │   ├── connect            refused, unreachable                       retried  [1]
    │   ├── dns                the name did not resolve                   retried  [1]
    │   ├── reset              the connection broke mid-answer (a read,   retried
    │   │                      write or protocol error, a truncated or
    │   │                      undecodable body)
    │   ├── tls                handshake or certificate refused
    │   ├── refused-private    the address guard refused an internal      -> skipped
    │   │                      address: nothing was sent
    │   └── scheme             httpx cannot send to the URL
    ├── the body: an answer came but cannot be kept (wire.py)
    │   ├── body-too-large     over --max-body, declared or decoded
    │   └── decode             a gzip/deflate/br body that does not decode
    ├── redirects (redirects.py)
    │   ├── too-many-redirects more than --max-redirects hops
    │   ├── redirect-loop      a Location back to a URL of the chain
    │   └── scheme             a Location that is no usable http(s) URL
    ├── pauses (retry.py)
    │   └── retry-after        the host asked (Retry-After) to wait more than one URL,
    │                          one host or the run may: given up for the run [2]
    ├── cache policy (cache_policy.py)
    │   ├── scheme             the URL asked for is not http(s), or has no host
    │   ├── offline-miss       --offline, not in the cache (or a hop() offline) -> not-checked
    │   └── network-down       the network was declared down [1], nothing cached
    └── exception              the getter raised (sources/resolver.py's safety net: the
                               fetcher itself never raises)

Every kind not marked ``->`` makes the link ``unreachable`` (``LINK_STATUS``, the map
``sources/resolver.py`` applies as ``_ERROR_STATUS``).

``RETRIED``: those kinds, with the statuses 429, 502, 503 and 504, are retried
(``--retries``, within ``max_retry_wait``); a retried request that still fails keeps
its last answer. ``STALE_IF_ERROR``: a get ending in one of those kinds, a 5xx or a 429
answers with the stale cached page when there is one (an old answer beats none).

[1] Evidence the *network* is down rather than one host: a DNS or connect failure, or a
timeout while connecting (``host_failed``; a timeout while reading is not, the host
answered). When ``NETWORK_DOWN_HOSTS`` hosts fail so with no success in the run, the
network is declared down: no request is sent any more, and gets answer from the cache
or with ``network-down``.

[2] ``detail`` says how long the host asked for. A 429 given up keeps its status.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from patchcrawl.fetch._httpx import httpx
from patchcrawl.fetch.safety import RefusedPrivate, ResolveError
from patchcrawl.models import FETCH_ERROR_KINDS, FetchErrorKind, LinkStatus, Response

__all__ = [
    "FETCH_ERROR_KINDS",
    "LINK_STATUS",
    "NETWORK_DOWN_HOSTS",
    "RETRIED",
    "STALE_IF_ERROR",
    "Failure",
    "FetchErrorKind",
    "classify_connect",
    "failure",
    "stale_if_error",
]

#: transient trouble: the request is sent again (so are 429, 502, 503 and 504)
RETRIED: frozenset[FetchErrorKind] = frozenset({"timeout", "connect", "dns", "reset"})

#: a get ending so (or with a 5xx or a 429) answers with the stale cached page, if any
STALE_IF_ERROR: frozenset[FetchErrorKind] = RETRIED | {"network-down"}

#: distinct hosts that must fail to connect, with no success at all, before the network
#: is declared down (one dead host is just a dead host)
NETWORK_DOWN_HOSTS = 3

#: the link status each kind gives (``sources/resolver.py``'s ``_ERROR_STATUS``, which
#: names only the two that are not ``unreachable``): CONTRACT.md's ``skipped`` is for
#: what was never sent, ``not-checked`` for what --offline could not answer
LINK_STATUS: Mapping[FetchErrorKind, LinkStatus] = {
    "timeout": "unreachable",
    "connect": "unreachable",
    "dns": "unreachable",
    "tls": "unreachable",
    "reset": "unreachable",
    "refused-private": "skipped",
    "scheme": "unreachable",
    "body-too-large": "unreachable",
    "decode": "unreachable",
    "too-many-redirects": "unreachable",
    "redirect-loop": "unreachable",
    "retry-after": "unreachable",
    "offline-miss": "not-checked",
    "network-down": "unreachable",
    "exception": "unreachable",
}


def stale_if_error(resp: Response) -> bool:
    """Does ``resp`` fail in a way a stale cached answer should stand in for?"""
    return resp.error in STALE_IF_ERROR or (
        resp.status is not None and (resp.status >= 500 or resp.status == 429)
    )


# ---------------------------------------------------------------- the wire's exceptions

_DNS_HINTS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
)

ConnectKind = Literal["tls", "dns", "connect"]


def classify_connect(exc: BaseException) -> ConnectKind:
    """``tls``, ``dns`` or ``connect`` for a failure to connect, from the exception chain
    (types first, then the words of the messages)."""
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for e in chain:
        if isinstance(e, ssl.SSLError | ssl.CertificateError):
            return "tls"
        if isinstance(e, socket.gaierror):
            return "dns"
    if any(isinstance(e, ConnectionError) for e in chain):
        return "connect"  # refused, reset: whatever the messages say ("ssl:default"...)
    text = " ".join(str(e).lower() for e in chain)
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "tls"
    if any(h in text for h in _DNS_HINTS):
        return "dns"
    return "connect"


@dataclass(frozen=True, slots=True)
class Failure:
    """What one request's exception means: its kind, in words, and whether it is
    evidence the network is down (see [1] above)."""

    kind: FetchErrorKind
    detail: str
    host_failed: bool = False


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _connect(exc: BaseException, timeout: float) -> Failure:
    kind = classify_connect(exc)
    return Failure(kind, _text(exc), host_failed=kind in ("dns", "connect"))


def _other(exc: BaseException, timeout: float) -> Failure:
    return Failure(classify_connect(exc), _text(exc))


Rule = tuple[type[BaseException] | tuple[type[BaseException], ...], Callable[..., Failure]]

#: exception -> failure, the first rule whose type matches wins (subclasses first:
#: ``ConnectTimeout`` is a ``TimeoutException``, ``ResolveError`` a ``ConnectError``,
#: the builtin ``TimeoutError`` of the whole-request deadline an ``OSError``)
_RULES: tuple[Rule, ...] = (
    (TimeoutError, lambda e, t: Failure("timeout", f"no complete answer within {t:g}s")),
    (httpx.ConnectTimeout, lambda e, t: Failure("timeout", f"connect timeout: {e}", True)),
    (httpx.TimeoutException, lambda e, t: Failure("timeout", f"{type(e).__name__}: {e}")),
    (RefusedPrivate, lambda e, t: Failure("refused-private", str(e))),
    (ResolveError, lambda e, t: Failure("dns", str(e), True)),
    (httpx.ConnectError, _connect),
    (httpx.UnsupportedProtocol, lambda e, t: Failure("scheme", str(e))),
    (
        (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError),
        lambda e, t: Failure("reset", _text(e)),
    ),
    (httpx.DecodingError, lambda e, t: Failure("reset", f"undecodable body: {e}")),
    (httpx.InvalidURL, lambda e, t: Failure("scheme", f"invalid URL: {e}")),
    ((httpx.HTTPError, OSError), _other),
)

#: what a send catches: every type a rule names (anything else is a bug, and raises)
CAUGHT: tuple[type[BaseException], ...] = (
    TimeoutError,
    httpx.HTTPError,
    httpx.InvalidURL,
    OSError,
)


def failure(exc: BaseException, timeout: float) -> Failure:
    """The failure ``exc`` (one of ``CAUGHT``) stands for; ``timeout`` is --timeout."""
    for types, make in _RULES:
        if isinstance(exc, types):
            return make(exc, timeout)
    raise TypeError(f"no fetch error kind for {type(exc).__name__}") from exc
