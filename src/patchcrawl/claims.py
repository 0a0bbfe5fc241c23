"""Cell text -> claims: the date, people, title, status and link labels a row states.

Every parser takes the cell's text as written plus ``byte_of``, a function that
turns an index into that text into a byte offset of the file, so the pieces an
``enrich`` edit may replace (a version token, an ``N/M`` count, a title) carry
exact byte ranges.  Nothing here raises on odd input: an unreadable piece is
``None``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from patchcrawl.models import LabelClaim, Person, StatusClaim

ByteOf = Callable[[int], int]

# --------------------------------------------------------------------------
# date (时间)
# --------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})$")


def parse_date(text: str) -> tuple[_dt.date | None, str | None]:
    """``2021/04/14`` or unpadded ``2022/1/7`` -> date; ``NA``/empty/odd -> None.

    Returns ``(date, raw)`` where raw is the stripped cell text (None if empty).
    """
    raw = text.strip()
    if not raw:
        return None, None
    m = _DATE.match(raw)
    if not m:
        return None, raw
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), raw
    except ValueError:
        return None, raw


# --------------------------------------------------------------------------
# authors (作者)
# --------------------------------------------------------------------------

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SEPARATOR = re.compile(r"\*(?:-\*){2,}\**")  # the *-*-*-* rule between entries
_EMAIL_OK = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+$")
_MD_LINK = re.compile(r"^\[([^\]]*)\]\([^)]*\)$")
_ANGLE_TAIL = re.compile(r"((?:\s*/?\s*<[^<>]*>)+)\s*$")
_PERSON_PIECE = re.compile(r'(?:"[^"]*"|<[^<>]*>?|[^\n&,;、，"<])+')
_ET_AL = re.compile(r"\s*(?:等人?|et\s+al\.?)\s*$", re.IGNORECASE)


def deobfuscate_email(text: str) -> str | None:
    """``name-AT-domain`` / ``name at domain`` / ``name[at]domain`` -> ``name@domain``.

    Returns None when the result is still no usable address (``a@...ux.com``,
    ``fenghua.yuintel.com``).
    """
    email = text.strip().strip("<>").strip()
    email = re.sub(r"\s*(?:-AT-|\[at\]|\(at\)|\{at\}|\s+at\s+)\s*", "@", email, flags=re.I)
    email = re.sub(r"\s*(?:-DOT-|\[dot\]|\(dot\))\s*", ".", email, flags=re.I)
    if email.lower().startswith("mailto:"):
        email = email[7:]
    if "..." in email or not _EMAIL_OK.match(email):
        return None
    return email


def _split_people(text: str) -> list[str]:
    """Split on ``<br>``, the ``*-*-*`` rule, ``&``, ``,``, ``;``, ``、`` outside quotes/``<>``.

    ``Luck, Tony <tony.luck@intel.com>`` is one person written surname first: a lone
    word before a comma joins the next piece when that word is in the piece's address.
    """
    text = _SEPARATOR.sub("\n", _BR.sub("\n", text))
    if text.count('"') % 2 == 0:
        # separators outside "quoted names" and <addresses>
        pieces = [p.strip() for p in _PERSON_PIECE.findall(text) if p.strip()]
        return _join_surnames(text, pieces)
    # an unbalanced quote (``Bouska, Zdenek"<z@x>``): the quote hid a comma inside
    # a name, so split on the unambiguous separators only
    return [p.strip() for p in re.split(r"[\n&;、]", text) if p.strip()]


_LONE_WORD = re.compile(r"^[^\W\d_][\w'-]*$")
_ADDRESS = re.compile(r"<([^<>@\s]+)@[^<>]*>")


def _join_surnames(text: str, pieces: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        addr = _ADDRESS.search(nxt) if nxt else None
        if (
            nxt is not None
            and addr is not None
            and _LONE_WORD.match(piece)
            and re.search(re.escape(piece) + r"\s*,\s*" + re.escape(nxt), text)
            and piece.lower() in re.split(r"[._+-]", addr.group(1).lower())
            and _LONE_WORD.match(nxt[: addr.start()].strip())
        ):
            out.append(f"{piece}, {nxt}")
            i += 2
            continue
        out.append(piece)
        i += 1
    return out


def parse_person(raw: str) -> Person | None:
    """One person: ``Name <email>``, ``"Quoted" <e>``, ``Name <e1>/<e2>``, bare name or address."""
    text = _ET_AL.sub("", raw.strip())
    if not text or text.upper() in ("NA", "N/A", "TODO", "-"):
        return None
    m = _MD_LINK.match(text)
    if m:
        text = m.group(1).strip()
    emails: list[str] = []
    name = text
    tail = _ANGLE_TAIL.search(text)
    if tail:
        name = text[: tail.start()]
        for addr in re.findall(r"<([^<>]*)>", tail.group(1)):
            good = deobfuscate_email(addr)
            if good and good not in emails:
                emails.append(good)
    email = emails[0] if emails else None
    name = name.strip().strip("\"'“”").strip()
    if not tail and " " not in name and ("@" in name or "-AT-" in name):
        email = deobfuscate_email(name)
        name = ""
    if name and (name == email or _EMAIL_OK.match(name)):
        # address used as the name: it names nobody, the email says who
        email = email or name
        name = ""
    if not name and not email:
        return None
    if email and email not in emails:
        emails.insert(0, email)
    return Person(raw=raw.strip(), name=name or None, email=email, emails=tuple(emails))


def parse_authors(text: str) -> tuple[Person, ...]:
    """All people in an author cell, in the order written."""
    out: list[Person] = []
    for part in _split_people(text):
        person = parse_person(part)
        if person is not None:
            out.append(person)
    return tuple(out)


# --------------------------------------------------------------------------
# status (是否合入主线)
# --------------------------------------------------------------------------

_GLYPHS = "☑☐✓☒✔✗✘"
# the documents' template writes ``☐☑✓`` (or ``☐☑``) for the author to keep one mark:
# left unfilled (1,000+ rows of the corpus) it says nothing about merging
TEMPLATE_MARKS = frozenset({"☐☑✓", "☐☑"})
_GLYPH_RE = re.compile(f"[{_GLYPHS}]+")
_STATUS_VERSION = re.compile(r"(?<![A-Za-z0-9.])[vV](\d+)([a-z]?)(?![\d.])")
_RFC = re.compile(r"(?<![A-Za-z])R[FR]C(?![A-Za-z])", re.IGNORECASE)
_RELEASE = re.compile(r"(?<![\w.-])v?(\d+\.\d+(?:\.\d+)*(?:[-_~][A-Za-z0-9.~_-]*|[a-z])?)")
_LINK_IN_TEXT = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def _normalise_release(rel: str) -> str:
    rel = rel.rstrip(".-_~")
    return re.sub(r"_rc", "-rc", rel)


_DOTTED_VERSION = re.compile(r"(?<![A-Za-z0-9.])[vV](\d+)\.(\d+)(?![\d.\-_~])")


def _dotted_version(plain: str) -> re.Match[str] | None:
    """``v7.2`` in ``v7.2 ☑ 2.6.23``: a series version with a sub-revision (Paul
    Turner's "CFS Bandwidth Control v7.2"), not a release, when it stands before the
    merge glyph and a release follows the glyph. Alone, ``v6.13`` stays a release."""
    m = _DOTTED_VERSION.search(plain)
    if m is None:
        return None
    glyph = _GLYPH_RE.search(plain, m.end())
    if glyph is None or _RELEASE.search(plain, glyph.end()) is None:
        return None
    return m


def release_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, release)`` of every release :func:`parse_status` reads in a status
    cell's text (indexes into ``text``; the release normalised as in ``releases``)."""
    plain = _LINK_IN_TEXT.sub(lambda m: "[" + m.group(1) + "]" + " " * (len(m.group(2)) + 2), text)
    dotted = _dotted_version(plain) if _STATUS_VERSION.search(plain) is None else None
    return [
        (
            m.start(1) - (1 if m.group(0).startswith("v") else 0),
            m.end(1),
            _normalise_release(m.group(1)),
        )
        for m in _RELEASE.finditer(plain)
        if dotted is None or m.start() != dotted.start()
    ]


def parse_status(text: str, byte_of: ByteOf) -> StatusClaim | None:
    """Parse a status cell; every one of the 81 patterns in STATS.md is read."""
    raw = text.strip()
    if not raw:
        return None
    # a link's target holds no claims: blank it (same length keeps the indexes)
    plain = _LINK_IN_TEXT.sub(lambda m: "[" + m.group(1) + "]" + " " * (len(m.group(2)) + 2), text)
    glyphs = "".join(_GLYPH_RE.findall(plain))
    version: int | None = None
    version_text: str | None = None
    vstart: int | None = None
    vend: int | None = None
    vm = _STATUS_VERSION.search(plain)
    dotted: re.Match[str] | None = None
    if vm is None:
        dotted = _dotted_version(plain)
    if vm or dotted:
        m = vm or dotted
        assert m is not None
        version = int(m.group(1))
        version_text = m.group(0)
        vstart, vend = byte_of(m.start()), byte_of(m.end())
    releases = tuple(
        _normalise_release(m.group(1))
        for m in _RELEASE.finditer(plain)
        if dotted is None or m.start() != dotted.start()
    )
    merged: bool | None
    if not glyphs or glyphs in TEMPLATE_MARKS:
        merged = None  # no mark, or the template's marks left unfilled: no claim
    elif "☑" in glyphs or "✔" in glyphs or ("✓" in glyphs and "☐" not in glyphs):
        merged = True
    else:
        merged = False
    return StatusClaim(
        raw=raw,
        version=version,
        version_text=version_text,
        version_start=vstart,
        version_end=vend,
        rfc=bool(_RFC.search(plain)),
        merged=merged,
        glyphs=glyphs,
        releases=releases,
    )


# --------------------------------------------------------------------------
# link labels (链接): ``PatchWork v3,bpf-next,0/8``, ``2024/04/29, LORE v1,0/3``
# --------------------------------------------------------------------------

_LABEL_DATE = re.compile(r"^\s*(\d{4})\s*/\s*(\d{1,2})\s*/\s*(\d{1,2})\s*,?\s*")
_SITES: tuple[tuple[str, str], ...] = (
    ("patch history", "history"),
    ("patchwork", "patchwork"),
    ("lore", "lore"),
    ("lkml", "lkml"),
    ("lwn", "lwn"),
    ("cgit", "commit"),
    ("commit", "commit"),
    ("github", "github"),
    ("gitee", "gitee"),
    ("phoronix", "phoronix"),
    ("zhihu", "zhihu"),
    ("kernelnewbies", "kernelnewbies"),
    ("slide", "slide"),
    ("patch", "patch"),
)
_SITE_RE = re.compile("|".join(re.escape(w) for w, _ in _SITES), re.IGNORECASE)
_SITE_OF = {w: s for w, s in _SITES}
_TOKEN = re.compile(r"[^\s,]+")
_LABEL_VERSION = re.compile(r"^-?([vV])(\d+)$")
_COUNT = re.compile(r"^(\d+)/(\d+)$")
_PREFIX_WORDS = frozenset({"RESEND", "RFT", "net-next", "bpf-next", "net", "bpf", "mm", "tip"})


def parse_label(text: str, byte_of: ByteOf) -> LabelClaim:
    """Parse a link text from the links cell into what it claims about the series:
    a leading date, the site word, then the patch tokens (version, ``N/M``, RFC,
    prefixes)."""
    date, pos = _label_date(text)
    site, work = _label_site(text, pos)
    parts = _LabelParts()
    # tokens glued by commas (``v3,bpf-next,0/8``) form the patch prefix group
    for chunk in re.finditer(r"\S+", work[pos:]):
        cbase = pos + chunk.start()
        tokens = [(m.group(0), cbase + m.start()) for m in _TOKEN.finditer(chunk.group(0))]
        parts.read_chunk(tokens, byte_of)
    return LabelClaim(
        raw=text,
        site=site,
        version=parts.version,
        rfc=parts.rfc,
        prefixes=tuple(parts.prefixes),
        counter=parts.counter,
        total=parts.total,
        date=date,
        version_start=parts.vstart,
        version_end=parts.vend,
        count_start=parts.cstart,
        count_end=parts.cend,
    )


def _label_date(text: str) -> tuple[_dt.date | None, int]:
    """The date a label starts with (``2024/04/29, LORE v1``), and where the rest starts."""
    dm = _LABEL_DATE.match(text)
    if not dm:
        return None, 0
    try:
        return _dt.date(int(dm.group(1)), int(dm.group(2)), int(dm.group(3))), dm.end()
    except ValueError:
        return None, dm.end()


def _label_site(text: str, pos: int) -> tuple[str | None, str]:
    """The site the label names (``LORE``, ``PatchWork``), and the text with the site
    word blanked (same length: indexes into it are indexes into ``text``)."""
    sm = _SITE_RE.search(text, pos)
    if not sm:
        return None, text
    blanked = text[: sm.start()] + " " * (sm.end() - sm.start()) + text[sm.end() :]
    return _SITE_OF[sm.group(0).lower()], blanked


@dataclass(slots=True)
class _LabelParts:
    """The patch tokens of a label, read chunk by chunk: the first version and the
    first ``N/M`` win, with their byte ranges for edits."""

    version: int | None = None
    vstart: int | None = None
    vend: int | None = None
    counter: int | None = None
    total: int | None = None
    cstart: int | None = None
    cend: int | None = None
    rfc: bool = False
    prefixes: list[str] = field(default_factory=list)

    def read_chunk(self, tokens: list[tuple[str, int]], byte_of: ByteOf) -> None:
        """One chunk's tokens (text, index into the label)."""
        has_patch_token = any(
            _LABEL_VERSION.match(t) or _COUNT.match(t) or t.upper() == "RFC" for t, _ in tokens
        )
        for tok, tpos in tokens:
            vm = _LABEL_VERSION.match(tok)
            cm = _COUNT.match(tok)
            if vm and self.version is None:
                self.version = int(vm.group(2))
                self.vstart, self.vend = byte_of(tpos + vm.start(1)), byte_of(tpos + len(tok))
            elif cm and self.counter is None:
                self.counter, self.total = int(cm.group(1)), int(cm.group(2))
                self.cstart, self.cend = byte_of(tpos), byte_of(tpos + len(tok))
            elif tok.upper() in ("RFC", "RRC"):
                self.rfc = True
            elif _is_prefix(tok, has_patch_token, len(tokens)):
                self.prefixes.append(tok)


def _is_prefix(tok: str, has_patch_token: bool, tokens: int) -> bool:
    """Is ``tok`` a patch prefix (``RESEND``, ``bpf-next``) of a chunk of ``tokens``
    tokens: ``RESEND`` anywhere, a known prefix word or any word beside a patch token
    (a version, ``N/M``, RFC) in a comma-glued chunk."""
    return bool(
        tok.upper() == "RESEND"
        or (
            has_patch_token
            and tokens > 1
            and re.match(r"^[A-Za-z][\w.-]*$", tok)
            and tok.lower() not in ("series", "patch")
        )
        or (tok in _PREFIX_WORDS and has_patch_token)
    )
