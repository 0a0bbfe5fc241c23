"""What a site module declares: its URL shapes and the rules that read its pages.

A site's knowledge lives in ``sources/<site>.py`` as two small tables of named
rules, in the manner of lychee's quirks (a list of pattern-plus-rewrite rules):

* ``URL_SHAPES``: :class:`UrlShape` rules, URL -> :class:`~patchcrawl.models.Ref`
  from the URL alone (no network).  :func:`patchcrawl.refs.classify` parses and
  normalises the URL into a :class:`Link` and asks the shapes of its host, in
  order; the first that knows the URL decides, and a URL no shape knows is kind
  ``other``.
* ``PAGES`` (the sites read from one page): :class:`PageRule` rules, a fetched
  page -> :class:`Outcome` (status ``ok`` / ``dead`` / ``paywalled`` and metadata),
  chosen by host and path by :class:`patchcrawl.sources.resolver.Resolver`.

Each URL shape's docstring names a real URL of the corpus that it decides, and how
many links of the corpus it decides (of the 11,346 that ``patchcrawl scan`` finds in
its 14 files; ``corpus/STATS.md`` counts the shapes over the whole repository);
``tests/test_refs.py`` checks every example against its shape.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from patchcrawl.models import LinkStatus, Metadata, Ref, Response

_SPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class Link:
    """A URL that parsed as http(s), normalised: what a URL shape reads."""

    url: str  # as written
    host: str  # lower case, ASCII (IDNA), no trailing dot; ``www.`` kept
    segs: tuple[str, ...]  # the path's non-empty segments, still percent-encoded
    query: str  # "" when there is none
    fetch_url: str  # the URL to request: https for known hosts, no fragment

    @property
    def bare(self) -> str:
        """The host without ``www.``: what shapes are looked up by."""
        return self.host[4:] if self.host.startswith("www.") else self.host


@dataclass(frozen=True, slots=True)
class UrlShape:
    """One URL shape of a site: ``read`` gives the Ref, or None when the URL is not one."""

    name: str  # kebab-case, as ruff names its rules
    hosts: frozenset[str]  # bare hosts (``www.`` dropped) the shape is tried on
    read: Callable[[Link], Ref | None]  # its docstring says why, with an example URL

    @property
    def doc(self) -> str:
        return self.read.__doc__ or ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a page says of its link, before redirects are weighed (the resolver's step 5)."""

    status: LinkStatus  # ok | dead | paywalled
    metadata: Metadata | None = None
    detail: str | None = None
    final_url: str | None = None  # when the adapter went on to another page (300 choices)
    canonical: str | None = None  # canonical URL if the link turns out moved


@dataclass(frozen=True, slots=True)
class PageRule:
    """Which parser and status rule read a page that one fetch answers in full."""

    name: str
    hosts: frozenset[str]  # exact hosts (``www.`` included where the site answers there)
    path: re.Pattern[str]  # searched in the final URL's path
    read: Callable[[Response], Outcome]

    def matches(self, host: str, path: str) -> bool:
        return host in self.hosts and self.path.search(path) is not None


def quote_msgid(msgid: str) -> str:
    """Quote a message-id for a URL path (DESIGN.md: ``safe='@'``)."""
    return quote(msgid, safe="@")


def clean_msgid(segment: str) -> str | None:
    """Percent-decode a URL path segment holding a message-id; strip ``<>``."""
    msgid = unquote(segment).strip()
    if msgid.startswith("<") and msgid.endswith(">"):
        msgid = msgid[1:-1]
    if not msgid or _SPACE.search(msgid):
        return None
    return sys.intern(msgid)
