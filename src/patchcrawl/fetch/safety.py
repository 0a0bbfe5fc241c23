"""Refuse requests to addresses a link checker has no business reaching.

A markdown file is untrusted input: a link to ``http://169.254.169.254/`` or
``http://localhost:6379/`` must not make patchcrawl probe the machine it runs on
or its cloud metadata service.  IP literals are checked directly; host names are
resolved with the event loop's ``getaddrinfo`` (cached per host) and refused
when any address they resolve to is internal.  The check happens just before
sending, for every hop, so a redirect to an internal address is refused too.
The connection then goes to the addresses that were checked (:meth:`AddressGuard.pinned`,
which the transport consults instead of resolving the name again), so a name that
answers with a public address for the check and an internal one for the connection
(DNS rebinding) gets nowhere.  Hosts the guard never checked (IP literals, the
targets of ``--remap``, which the user chose) connect as usual.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from patchcrawl.fetch._httpx import httpx

METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedPrivate(httpx.TransportError):
    """The target resolves to a loopback/private/link-local/... address."""


class ResolveError(httpx.ConnectError):
    """The host name did not resolve (DNS)."""


def is_internal(addr: Address) -> bool:
    """Loopback, private, link-local, multicast, unspecified, reserved or metadata."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return (
        addr in METADATA_ADDRESSES
        or addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_unspecified
        or addr.is_reserved
        or (isinstance(addr, ipaddress.IPv4Address) and addr in _SHARED)
    )


_SHARED = ipaddress.ip_network("100.64.0.0/10")


def parse_ip(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def lookup(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the event loop's ``getaddrinfo``)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AddressGuard:
    """``await guard(url)`` raises :class:`RefusedPrivate` for internal targets."""

    def __init__(self) -> None:
        self._resolved: dict[str, tuple[Address, ...] | BaseException] = {}
        self._pending: dict[str, asyncio.Future[tuple[Address, ...]]] = {}

    async def __call__(self, url: httpx.URL) -> None:
        host = url.host
        ip = parse_ip(host)
        if ip is not None:
            if is_internal(ip):
                raise RefusedPrivate(f"refused: {host} is an internal address")
            return
        if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
            ".localhost"
        ):
            raise RefusedPrivate(f"refused: {host} is loopback")
        addrs = await self.resolve(host, url.port or (443 if url.scheme == "https" else 80))
        bad = [a for a in addrs if is_internal(a)]
        if bad:
            raise RefusedPrivate(f"refused: {host} resolves to internal address {bad[0]}")

    def pinned(self, host: str) -> tuple[str, ...] | None:
        """The addresses a connection to ``host`` must use: those the check resolved
        and found public; None for a host the guard never checked (connect as usual)."""
        hit = self._resolved.get(host.lower())
        if isinstance(hit, tuple) and hit:
            return tuple(str(a) for a in hit)
        return None

    async def resolve(self, host: str, port: int) -> tuple[Address, ...]:
        key = host.lower()
        hit = self._resolved.get(key)
        if isinstance(hit, BaseException):
            raise ResolveError(str(hit))
        if hit is not None:
            return hit
        fut = self._pending.get(key)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._pending[key] = fut
            try:
                found = await lookup(host, port)
                addrs = tuple(a for a in map(parse_ip, found) if a is not None)
                self._resolved[key] = addrs
                fut.set_result(addrs)
            except (OSError, UnicodeError) as exc:
                self._resolved[key] = exc
                fut.set_exception(ResolveError(f"{host}: {exc}"))
                fut.exception()  # mark retrieved
                raise ResolveError(f"{host}: {exc}") from exc
            finally:
                del self._pending[key]
            return addrs
        return await asyncio.shield(fut)
