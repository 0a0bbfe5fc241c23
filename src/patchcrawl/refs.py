"""URL -> Ref: what a link points at, decided from the URL alone (no network).

Every URL shape found in the corpus (see ``corpus/STATS.md``) gets a kind from
CONTRACT.md and, where the URL says it, the identity of the thing it points
at: a lore message-id, a patchwork project and item, an LWN article number, a
commit sha.  ``classify`` never raises: anything it cannot read is ``malformed``
with a ``problem`` saying why, which the scanner turns into a malformed-url
finding.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from urllib.parse import quote, unquote

from patchcrawl.models import LinkKind, Ref

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
_PATCHWORK_HOSTS = frozenset({"patchwork.kernel.org", "patches.linaro.org", "patchwork.ozlabs.org"})
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
#: lore paths that are not lists (so ``lore.kernel.org/<x>/`` is no message).
_LORE_NON_LISTS = frozenset({"patchwork", "_", "pub"})
_LORE_SUFFIXES = frozenset({"T", "t", "raw", "t.mbox.gz", "T.mbox.gz", "#r", "2-a.txt"})
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//)([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$", re.S)
_NETLOC = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[^:\[\]]*)(?::(\d{1,5}))?$")
_SPACE = re.compile(r"\s")
_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$")


def quote_msgid(msgid: str) -> str:
    """Quote a message-id for a URL path (DESIGN.md: ``safe='@'``)."""
    return quote(msgid, safe="@")


def lore_message_url(msgid: str, list_name: str = "all") -> str:
    """The canonical lore URL of a message: ``https://lore.kernel.org/all/<msgid>/``."""
    # interned: the ref, the page's metadata and the resolution name it, 50,000 times
    return sys.intern(f"https://lore.kernel.org/{list_name}/{quote_msgid(msgid)}/")


def _malformed(url: str, problem: str, host: str | None = None) -> Ref:
    return Ref(url=url, kind="malformed", fetch_url=None, host=host, problem=problem)


def _clean_msgid(segment: str) -> str | None:
    """Percent-decode a URL path segment holding a message-id; strip ``<>``."""
    msgid = unquote(segment).strip()
    if msgid.startswith("<") and msgid.endswith(">"):
        msgid = msgid[1:-1]
    if not msgid or _SPACE.search(msgid):
        return None
    return sys.intern(msgid)


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
    text = url.strip()
    if not text:
        return _malformed(url, "empty link target")
    if text.startswith("//"):
        text = "https:" + text
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", text)
    if not m:
        return _malformed(url, "no scheme (not an http(s) URL)")
    scheme = m.group(1).lower()
    if scheme not in ("http", "https"):
        if scheme in _OTHER_SCHEMES or not _http_typo(scheme):
            # CONTRACT.md: a scheme not for the web is skipped, never an error
            return Ref(
                url=url,
                kind="other",
                fetch_url=None,
                host=None,
                problem=f"{scheme}: is not a web scheme",
            )
        return _malformed(url, f"unknown scheme {scheme + ':'!r} (a typo of http or https?)")
    bad = _UNUSABLE.search(text)
    if bad is not None:
        what = "a byte that is not UTF-8" if bad.group(0) >= "\udc80" else "a control character"
        return _malformed(url, f"URL holds {what} at character {bad.start() + 1}")
    if len(text) > MAX_URL:
        return _malformed(url, f"URL is {len(text):,} characters long (at most {MAX_URL:,})")
    if _SPACE.search(text):
        return _malformed(url, "URL contains whitespace")
    um = _URL.match(text)
    if um is None:
        return _malformed(url, "missing '//' after the scheme")
    netloc = um.group(2).rpartition("@")[2]
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
    if host in _HTTPS_HOSTS:
        scheme = "https"
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else (f"{host}:{port}")
    )
    raw_path = um.group(3)
    query = um.group(4) or ""
    path = raw_path or "/"
    fetch_url = f"{scheme}://{netloc}{path}" + (f"?{query}" if um.group(4) is not None else "")
    if fetch_url == url:
        fetch_url = url  # one string, not two equal ones
    segs = [s for s in raw_path.split("/") if s]
    bare = host[4:] if host.startswith("www.") else host

    ref = _by_host(url, bare, host, segs, query, fetch_url, scheme, netloc, path)
    if ref is not None:
        return ref
    return Ref(url=url, kind="other", fetch_url=fetch_url, host=host)


def _lore_message(
    url: str, host: str, list_name: str, raw_msgid: str, fetch_base: str | None = None
) -> Ref | None:
    msgid = _clean_msgid(raw_msgid)
    if msgid is None:
        return None
    canonical = lore_message_url(msgid)
    fetch = fetch_base or lore_message_url(msgid, list_name)
    return Ref(
        url=url,
        kind="lore-message",
        fetch_url=fetch,
        host=host,
        msgid=msgid,
        list_name=list_name,
        item_type="message",
        canonical=canonical,
    )


def _by_host(
    url: str,
    bare: str,
    host: str,
    segs: list[str],
    query: str,
    fetch_url: str,
    scheme: str,
    netloc: str,
    path: str,
) -> Ref | None:
    kind: LinkKind
    if bare == "lore.kernel.org":
        if (
            len(segs) >= 3
            and segs[0] == "patchwork"
            and segs[1] in ("patch", "cover")
            and segs[2].isdigit()
        ):
            return Ref(
                url=url,
                kind="lore-patchwork-legacy",
                fetch_url=f"https://lore.kernel.org/patchwork/{segs[1]}/{segs[2]}/",
                host=host,
                item_id=segs[2],
                item_type=segs[1],
            )
        if len(segs) >= 2 and segs[0] not in _LORE_NON_LISTS and "@" in unquote(segs[1]):
            rest = segs[2:]
            if not rest or rest[0] in _LORE_SUFFIXES or len(rest) <= 2:
                return _lore_message(url, host, segs[0], segs[1])
        return None
    if bare == "lkml.kernel.org" and len(segs) >= 2 and segs[0] == "r":
        ref = _lore_message(url, host, "all", segs[1])
        if ref is not None:
            return Ref(
                url=url,
                kind="lore-message",
                fetch_url=fetch_url,
                host=host,
                msgid=ref.msgid,
                list_name=None,
                item_type="message",
                canonical=ref.canonical,
            )
        return None
    if bare in ("msgid.link", "patch.msgid.link") and segs:
        mid = segs[1] if segs[0] == "r" and len(segs) > 1 else segs[0]
        ref = _lore_message(url, host, "all", mid)
        if ref is not None:
            return Ref(
                url=url,
                kind="lore-message",
                fetch_url=fetch_url,
                host=host,
                msgid=ref.msgid,
                list_name=None,
                item_type="message",
                canonical=ref.canonical,
            )
        return None
    if bare in _PATCHWORK_HOSTS:
        # /project/<p>/{patch,cover,list,series}/<msgid-or-id>/ and old /patch/N/
        if len(segs) >= 4 and segs[0] == "project" and segs[2] in ("patch", "cover", "series"):
            item = unquote(segs[3])
            msgid = _clean_msgid(segs[3]) if "@" in item else None
            canon = f"https://{host}/project/{segs[1]}/{segs[2]}/{quote_msgid(item)}/"
            return Ref(
                url=url,
                kind="patchwork",
                fetch_url=canon,
                host=host,
                msgid=msgid,
                list_name=sys.intern(segs[1]),
                item_id=None if msgid else item,
                item_type=segs[2],
                canonical=canon,
            )
        if len(segs) >= 2 and segs[0] == "project":
            item_type = segs[2] if len(segs) >= 3 else "project"
            return Ref(
                url=url,
                kind="patchwork",
                fetch_url=fetch_url,
                host=host,
                list_name=sys.intern(segs[1]),
                item_type=item_type,
            )
        if len(segs) >= 2 and segs[0] in ("patch", "cover", "series") and segs[1].isdigit():
            return Ref(
                url=url,
                kind="patchwork",
                fetch_url=f"https://{host}/{segs[0]}/{segs[1]}/",
                host=host,
                item_id=segs[1],
                item_type=segs[0],
            )
        return Ref(url=url, kind="patchwork", fetch_url=fetch_url, host=host)
    if bare == "lwn.net":
        if len(segs) >= 2 and segs[0] == "Articles" and segs[1].isdigit():
            canon = f"https://lwn.net/Articles/{segs[1]}/"
            return Ref(
                url=url,
                kind="lwn-article",
                fetch_url=canon,
                host=host,
                item_id=segs[1],
                item_type="article",
                canonical=canon,
            )
        if len(segs) >= 3 and segs[0] == "ml":
            msgid = _clean_msgid(segs[2])
            ml_canon = f"https://lwn.net/ml/{segs[1]}/{quote_msgid(msgid)}/" if msgid else None
            return Ref(
                url=url,
                kind="lwn-ml",
                fetch_url=ml_canon or fetch_url,
                host=host,
                msgid=msgid,
                list_name=sys.intern(segs[1]),
                item_type="message",
                canonical=ml_canon,
            )
        return None
    if bare == "git.kernel.org":
        sha: str | None = None
        if "commit" in segs:
            idx = segs.index("commit")
            if idx + 1 < len(segs) and _SHA.match(segs[idx + 1]):
                sha = segs[idx + 1]
            else:
                for kv in query.split("&"):
                    k, _, v = kv.partition("=")
                    if k == "id" and _SHA.match(v):
                        sha = v
            if sha is not None:
                kind = "git-commit"
                return Ref(
                    url=url,
                    kind=kind,
                    fetch_url=fetch_url,
                    host=host,
                    item_id=sha.lower(),
                    item_type="commit",
                )
        return None
    if bare == "lkml.org":
        if len(segs) >= 5 and segs[0] == "lkml" and all(s.isdigit() for s in segs[1:5]):
            item = "/".join(segs[1:5])
            canon = f"https://lkml.org/lkml/{item}"
            return Ref(
                url=url,
                kind="lkml-org",
                fetch_url=canon,
                host=host,
                item_id=item,
                item_type="message",
                canonical=canon,
            )
        return None
    return None
