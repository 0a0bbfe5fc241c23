"""Small helpers the site adapters share: subjects, people and dates."""

from __future__ import annotations

import datetime as dt
import email.errors
import email.utils
import functools
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urljoin, urlsplit

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

# liblore and selectolax are imported where a page is read, not with the module: the
# site modules give refs.classify their URL shapes, and a run the cache answers (or
# ``scan``) reads no page (their imports cost ~30 ms of each start)


def html(text: str) -> LexborHTMLParser:
    """``text`` parsed by selectolax's lexbor parser."""
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(text)


@dataclass(frozen=True, slots=True)
class SubjectInfo:
    title: str
    version: int | None
    counter: int | None
    total: int | None
    prefixes: tuple[str, ...]
    rfc: bool
    is_reply: bool
    is_patch: bool
    version_inferred: bool
    counters_inferred: bool

    @property
    def is_cover(self) -> bool:
        return self.counter == 0 and not self.counters_inferred


# what decoding a header a stranger wrote may raise: an unknown or unusable charset
# (``=?idna?q?...?=``), broken base64, a malformed address (email.errors.*)
HEADER_ERRORS = (
    ValueError,
    LookupError,
    TypeError,
    IndexError,
    AttributeError,  # the email package's header classes on malformed addresses
    email.errors.MessageError,
)


def decode(text: str) -> str:
    """RFC 2047 decoding and whitespace folding, only when needed (it is on the hot path).
    A header that cannot be decoded is kept as written."""
    if "=?" in text:
        try:
            from patchcrawl._liblore import clean_header

            return clean_header(text)
        except HEADER_ERRORS:
            pass
    return " ".join(text.split())


# a version liblore leaves among the prefixes: ``-v2`` (``[PATCH -v2 0/7]``), ``RFCv2``
_PREFIX_VERSION = re.compile(r"^(?:-|(RFC)[-_]?)?[vV](\d+)$", re.IGNORECASE)
# ``v021``: a zero-led run of digits is a dotted version written without dots (0.2.1)
_ZERO_LED = re.compile(r"\[[^\]]*(?<![A-Za-z0-9])[vV]0\d{2,}(?![\d.])[^\]]*\]")
# a version written at the end of the title when the bracket has none: ``... v6``,
# ``... (v3)``, ``... [v2]``; a word that only contains one (``Armv8``) is no version
_TITLE_VERSION = re.compile(r"(?:^|\s)[(\[]?-?[vV](\d+)[)\]]?\s*$")


@functools.lru_cache(maxsize=8192)
def subject_info(subject: str) -> SubjectInfo:
    """Split a subject with liblore's (b4's) rules; ``RFC`` goes to ``rfc``, not ``prefixes``.

    On top of liblore, the forms CONTRACT.md names: a version among the prefixes
    (``[PATCH -v2 0/7]``, ``[RFCv2 00/13]``) and, when the bracket has none, at the
    end of the title (``[PATCH 00/19] kthread: ... v6``, ``... (v3)``).  A zero-led
    ``v021`` is 0.2.1, which no table's ``vN`` can be compared with: version None.
    A patch subject that states no version is version 1, ``version_inferred``; a
    subject with no bracket at all (a plain mail, a reply to one) has no version or
    count: claiming one for it would be a guess.

    Cached: the audit asks again for the subjects of the mails each row links.
    """
    from patchcrawl._liblore import parse_patch_subject

    try:
        ps = parse_patch_subject(subject)
    except HEADER_ERRORS:
        # an encoded word liblore cannot decode: read the subject as written
        ps = parse_patch_subject(subject.replace("=?", "= ?"))
    rfc = False
    prefixes: list[str] = []
    version: int | None = ps.version
    inferred = ps.version_inferred
    for p in ps.prefixes:
        pm = _PREFIX_VERSION.match(p)
        if pm is not None and inferred:
            version, inferred = int(pm.group(2)), False
            rfc = rfc or pm.group(1) is not None
        elif p.upper() == "RFC":
            rfc = True
        else:
            prefixes.append(p)
    if inferred:
        tm = _TITLE_VERSION.search(ps.title)
        if tm is not None:
            version, inferred = int(tm.group(1)), False
    elif _ZERO_LED.search(subject[: max(0, len(subject) - len(ps.title))]):
        version = None
    bracketed = ps.is_patch or bool(ps.prefixes) or not ps.counters_inferred
    bracketed = bracketed or not ps.version_inferred
    if inferred:
        # a patch that states no version is v1 by convention; a plain mail (no bracket
        # at all: a discussion, a pull request) is no version of anything
        version = 1 if bracketed else None
    return SubjectInfo(
        title=ps.title,
        version=version,
        counter=ps.counter if bracketed else None,
        total=ps.expected if bracketed else None,
        prefixes=tuple(prefixes),
        rfc=rfc,
        is_reply=ps.is_reply,
        is_patch=ps.is_patch,
        version_inferred=inferred,
        counters_inferred=ps.counters_inferred,
    )


def split_person(text: str) -> tuple[str | None, str | None]:
    """``Name <email>`` / ``"Last, First" <email>`` / ``email`` -> (name, email)."""
    text = " ".join(text.split())
    if not text:
        return None, None
    name, addr = email.utils.parseaddr(text)
    if "=?" in name:
        name = decode(name)
    elif not name and not addr and "=?" in text:
        text = decode(text)
    if not addr and not name:
        return text, None
    if addr and "@" not in addr:
        # "Name <>" (lkml.org hides addresses) or a bare name parsed as an address
        return (name or addr or None), None
    # the same few hundred people write thousands of mails: one string each
    name, addr = name.strip(), addr.strip()
    return (sys.intern(name) if name else None), (sys.intern(addr) if addr else None)


_GIT_HEADER = re.compile(r"^([A-Za-z][A-Za-z-]*):[ \t]*(.*)$")


def inbody_from(body: str) -> tuple[str | None, str | None]:
    """The ``From:`` among the git-style header lines that open a body (``git am``'s
    author), else (None, None)."""
    for line in body.lstrip("\n").split("\n"):
        m = _GIT_HEADER.match(line.rstrip("\r"))
        if m is None:
            break
        if m.group(1).lower() == "from":
            name, addr = split_person(m.group(2))
            if addr is not None:
                return name, addr
            break
    return None, None


def split_url(url: str) -> SplitResult | None:
    """``urlsplit``, or None for a URL a page made up that it refuses (``https://[x``)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        return None
    return parts


def join_url(base: str, href: str) -> str | None:
    """``urljoin`` of a link a page holds, or None when it cannot be made a URL."""
    try:
        out = urljoin(base, href)
        urlsplit(out)
    except ValueError:
        return None
    return out


def mail_date(text: str) -> str | None:
    """An RFC 2822 date -> ISO 8601 with offset (``-0000`` counts as UTC)."""
    try:
        d = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return d.isoformat()


_ISO_NAIVE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?")


def iso_date(text: str, *, assume_utc: bool = True) -> str | None:
    """``2024-04-29T08:11:12`` (patchwork, UTC) or with an offset -> ISO 8601 with offset."""
    t = text.strip().removesuffix("UTC").strip()
    try:
        d = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        m = _ISO_NAIVE.match(t)
        if not m:
            return mail_date(text)
        y, mo, da, h, mi, se = (int(g or 0) for g in m.groups())
        try:
            d = dt.datetime(y, mo, da, h, mi, se)
        except ValueError:
            return None  # 2024-13-45: no date at all
    if d.tzinfo is None:
        if not assume_utc:
            return None
        d = d.replace(tzinfo=dt.UTC)
    return d.isoformat()
