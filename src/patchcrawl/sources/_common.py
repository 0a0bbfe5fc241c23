"""Small helpers the site adapters share: subjects, people and dates."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import sys
from dataclasses import dataclass

from patchcrawl._liblore import clean_header, parse_patch_subject


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


def decode(text: str) -> str:
    """RFC 2047 decoding and whitespace folding, only when needed (it is on the hot path)."""
    if "=?" in text:
        return clean_header(text)
    return " ".join(text.split())


def subject_info(subject: str) -> SubjectInfo:
    """Split a subject with liblore's (b4's) rules; ``RFC`` goes to ``rfc``, not ``prefixes``.

    A subject with no bracket at all (a plain mail, a reply) has no version or
    count: claiming "v1" for it would be a guess.
    """
    ps = parse_patch_subject(subject)
    rfc = False
    prefixes: list[str] = []
    for p in ps.prefixes:
        if p.upper() == "RFC":
            rfc = True
        else:
            prefixes.append(p)
    bracketed = ps.is_patch or bool(ps.prefixes) or not ps.counters_inferred
    bracketed = bracketed or not ps.version_inferred
    return SubjectInfo(
        title=ps.title,
        version=ps.version if bracketed else None,
        counter=ps.counter if bracketed else None,
        total=ps.expected if bracketed else None,
        prefixes=tuple(prefixes),
        rfc=rfc,
        is_reply=ps.is_reply,
        is_patch=ps.is_patch,
        version_inferred=ps.version_inferred,
        counters_inferred=ps.counters_inferred,
    )


def split_person(text: str) -> tuple[str | None, str | None]:
    """``Name <email>`` / ``"Last, First" <email>`` / ``email`` -> (name, email)."""
    text = " ".join(text.split())
    if not text:
        return None, None
    name, addr = email.utils.parseaddr(text)
    if "=?" in name:
        name = clean_header(name)
    elif not name and not addr and "=?" in text:
        text = clean_header(text)
    if not addr and not name:
        return text, None
    if addr and "@" not in addr:
        # "Name <>" (lkml.org hides addresses) or a bare name parsed as an address
        return (name or addr or None), None
    # the same few hundred people write thousands of mails: one string each
    name, addr = name.strip(), addr.strip()
    return (sys.intern(name) if name else None), (sys.intern(addr) if addr else None)


def mail_date(text: str) -> str | None:
    """An RFC 2822 date -> ISO 8601 with offset (``-0000`` counts as UTC)."""
    try:
        d = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
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
        d = dt.datetime(y, mo, da, h, mi, se)
    if d.tzinfo is None:
        if not assume_utc:
            return None
        d = d.replace(tzinfo=dt.UTC)
    return d.isoformat()
