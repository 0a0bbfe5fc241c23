"""URL -> Ref: what a link points at, decided from the URL alone (no network).

Every URL shape found in the corpus (see ``corpus/STATS.md``) gets a kind from
CONTRACT.md and, where the URL says it, the identity of the thing it points
at: a lore message-id, a patchwork project and item, an LWN article number, a
commit sha.  ``classify`` never raises: anything it cannot read is ``malformed``
with a ``problem`` saying why, which the scanner turns into a malformed-url
finding.

This module holds what is true of every URL: the scheme, the host and port, the
bytes a URL may not hold, the normalised URL to fetch (:func:`parse`).  What a
site's URLs mean is the site's: each ``sources/<site>.py`` lists its shapes in
``URL_SHAPES`` (:class:`patchcrawl.sources._site.UrlShape`), and :func:`classify`
asks the shapes of the link's host in order (:data:`SHAPES`); a URL no shape
knows is kind ``other``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from functools import lru_cache

from patchcrawl.models import Ref
from patchcrawl.sources import cgit, lkmlorg, lore, lwn, patchwork
from patchcrawl.sources._site import Link, UrlShape, quote_msgid
from patchcrawl.sources.lore import lore_message_url

__all__ = ["MAX_URL", "SHAPES", "classify", "lore_message_url", "parse", "quote_msgid", "shape_of"]

#: Hosts we know are served over https, so ``http://`` is upgraded on fetch.
_HTTPS_HOSTS = frozenset(
    {
        "lore.kernel.org",
        "lkml.kernel.org",
        "git.kernel.org",
        "patchwork.kernel.org",
        "lwn.net",
        "lkml.org",
        "msgid.link",
        "patch.msgid.link",
        "patches.linaro.org",
        "patchwork.ozlabs.org",
        "kernelnewbies.org",
    }
)
#: Schemes that are real but not fetched over HTTP: kind ``other``, nothing to request.
_OTHER_SCHEMES = frozenset(
    {"mailto", "ftp", "ftps", "git", "ssh", "irc", "ircs", "news", "nntp", "tel", "file"}
    | {"javascript", "data", "about", "sftp", "svn", "smb", "rsync", "magnet", "xmpp"}
    | {"smtp", "imap", "imaps", "pop", "ldap", "ldaps", "ws", "wss", "telnet", "gopher"}
)
#: longer than any server takes (most refuse 8 KiB): not a usable URL
MAX_URL = 8192
# control characters, and bytes that were not UTF-8 (kept as surrogate escapes)
_UNUSABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//)([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$", re.S)
_NETLOC = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[^:\[\]]*)(?::(\d{1,5}))?$")
_SPACE = re.compile(r"\s")
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$")


def _by_host(*tables: tuple[UrlShape, ...]) -> dict[str, tuple[UrlShape, ...]]:
    """host -> the shapes tried on it, in the order the site modules list them."""
    out: dict[str, tuple[UrlShape, ...]] = {}
    for table in tables:
        for shape in table:
            for host in sorted(shape.hosts):
                out[host] = (*out.get(host, ()), shape)
    return out


#: Every site's URL shapes, by bare host (``www.`` dropped).
SHAPES: Mapping[str, tuple[UrlShape, ...]] = _by_host(
    lore.URL_SHAPES, patchwork.URL_SHAPES, lwn.URL_SHAPES, cgit.URL_SHAPES, lkmlorg.URL_SHAPES
)


def _malformed(url: str, problem: str, host: str | None = None) -> Ref:
    return Ref(url=url, kind="malformed", fetch_url=None, host=host, problem=problem)


@lru_cache(maxsize=4096)
def _host_problem(host: str) -> str | None:
    """Why ``host`` cannot be a real internet host name (None when it can)."""
    if not host:
        return "no host"
    if host.startswith("[") or re.fullmatch(r"[0-9.]+", host):
        return None  # IP literal: fetchable (the fetcher decides whether it is allowed)
    labels = host.split(".")
    if len(labels) < 2:
        return f"host {host!r} has no dot"
    if not all(_HOST_LABEL.match(label) for label in labels):
        return f"host {host!r} is not a valid host name"
    if not _TLD.match(labels[-1]):
        return f"host {host!r} has no valid top-level domain"
    # typos of the kernel hosts: "lore.kernelorg", "lore.kernel.ogr", "kernel.org.org"
    for known in ("kernel.org", "lwn.net", "lkml.org"):
        first = known.split(".")[0]
        if first in labels[:-1] or any(lab.startswith(first) for lab in labels):
            if host == known or host.endswith("." + known):
                return None
            squashed = host.replace(".", "")
            if squashed.endswith(known.replace(".", "")):
                return f"host {host!r} looks like a typo of *.{known}"
    return None


def _http_typo(scheme: str) -> bool:
    """``hhttps``, ``tps``, ``htp``, ``http2``: a scheme meant to be http or https."""
    if "http" in scheme:
        return True
    return any(_distance(scheme, w) <= 2 for w in ("http", "https"))


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (short strings: schemes)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@lru_cache(maxsize=1 << 16)
def classify(url: str) -> Ref:
    """Classify a URL as written in a document (never raises; results are cached)."""
    try:
        return _classify(url)
    except Exception as exc:  # pragma: no cover - defensive: a bug must not crash a scan
        return _malformed(url, f"unparsable URL ({exc.__class__.__name__})")


def _classify(url: str) -> Ref:
    link = parse(url)
    if isinstance(link, Ref):
        return link
    found = _match(link)
    if found is not None:
        return found[1]
    return Ref(url=url, kind="other", fetch_url=link.fetch_url, host=link.host)


def _match(link: Link) -> tuple[UrlShape, Ref] | None:
    """The first shape of the link's host that knows it, and the Ref it reads."""
    for shape in SHAPES.get(link.bare, ()):
        ref = shape.read(link)
        if ref is not None:
            return shape, ref
    return None


def shape_of(url: str) -> str | None:
    """The name of the URL shape that classifies ``url`` (None: no site's, or unusable)."""
    link = parse(url)
    found = None if isinstance(link, Ref) else _match(link)
    return found[0].name if found is not None else None


def parse(url: str) -> Link | Ref:
    """``url`` parsed and normalised for the site shapes, or the Ref that says why it
    will not be fetched (``malformed``, or ``other`` for a scheme not for the web)."""
    text = url.strip()
    if not text:
        return _malformed(url, "empty link target")
    if text.startswith("//"):
        text = "https:" + text
    m = _SCHEME.match(text)
    if not m:
        return _malformed(url, "no scheme (not an http(s) URL)")
    scheme = m.group(1).lower()
    if scheme not in ("http", "https"):
        return _not_web(url, scheme)
    problem = _text_problem(text)
    if problem is not None:
        return _malformed(url, problem)
    um = _URL.match(text)
    if um is None:
        return _malformed(url, "missing '//' after the scheme")
    where = _host_port(url, um.group(2).rpartition("@")[2])
    if isinstance(where, Ref):
        return where
    host, port = where
    if host in _HTTPS_HOSTS:
        scheme = "https"
    default = port is None or (scheme, port) in (("http", 80), ("https", 443))
    netloc = host if default else f"{host}:{port}"
    raw_path, query = um.group(3), um.group(4)
    fetch_url = f"{scheme}://{netloc}{raw_path or '/'}" + (f"?{query}" if query is not None else "")
    if fetch_url == url:
        fetch_url = url  # one string, not two equal ones
    segs = tuple(s for s in raw_path.split("/") if s)
    return Link(url=url, host=host, segs=segs, query=query or "", fetch_url=fetch_url)


def _not_web(url: str, scheme: str) -> Ref:
    """A scheme other than http(s): ``other`` (CONTRACT.md: a scheme not for the web is
    skipped, never an error), or ``malformed`` when it looks like a typo of http(s)."""
    if scheme in _OTHER_SCHEMES or not _http_typo(scheme):
        return Ref(
            url=url,
            kind="other",
            fetch_url=None,
            host=None,
            problem=f"{scheme}: is not a web scheme",
        )
    return _malformed(url, f"unknown scheme {scheme + ':'!r} (a typo of http or https?)")


def _text_problem(text: str) -> str | None:
    """What in the URL's text no server takes: a control byte, the length, a space."""
    bad = _UNUSABLE.search(text)
    if bad is not None:
        what = "a byte that is not UTF-8" if bad.group(0) >= "\udc80" else "a control character"
        return f"URL holds {what} at character {bad.start() + 1}"
    if len(text) > MAX_URL:
        return f"URL is {len(text):,} characters long (at most {MAX_URL:,})"
    if _SPACE.search(text):
        return "URL contains whitespace"
    return None


def _host_port(url: str, netloc: str) -> tuple[str, int | None] | Ref:
    """(host, port) of a URL's netloc (userinfo dropped), or why it is unusable."""
    hm = _NETLOC.match(netloc)
    if hm is None:
        return _malformed(url, f"unparsable host {netloc!r}")
    host = sys.intern(hm.group(1).lower().rstrip("."))  # a few hosts, 50,000 refs
    port = int(hm.group(2)) if hm.group(2) else None
    if port is not None and not 0 < port < 65536:
        return _malformed(url, f"port {port} out of range", host or None)
    if not host.isascii():
        # an internationalised host name (IDN) is usable: fetch it by its ASCII form
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return _malformed(url, f"host {host!r} is not a valid host name", host)
    problem = _host_problem(host)
    if problem:
        return _malformed(url, problem, host or None)
    return host, port
