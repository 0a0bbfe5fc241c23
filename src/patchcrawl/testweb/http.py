"""The seam between the server (transport, faults, log) and the sites (page content)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WebRequest:
    method: str  # "GET", "HEAD"
    host: str  # the *simulated* host, e.g. "lore.kernel.org" (first path segment on the wire)
    path: str  # path on that host, starting with "/", percent-encoding kept as received
    query: str  # raw query string without "?", "" when none
    headers: dict[str, str] = field(default_factory=dict)  # lowercase names

    @property
    def url(self) -> str:
        """The original-space URL this request stands for (https scheme assumed)."""
        q = f"?{self.query}" if self.query else ""
        return f"https://{self.host}{self.path}{q}"


@dataclass
class WebResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"content-type": ...}
    body: bytes = b""


Handler = Callable[[WebRequest], WebResponse]
