"""A simulated web built from what scanned documents claim.

``world_from_documents(documents)`` makes every lore, legacy-patchwork,
patchwork, LWN, git.kernel.org commit and lkml.org link of the documents exist,
with the metadata the rows claim (title from the feature cell, version from the
link label or the status cell, patch count from the label's ``N/M``, author from
the author cell, date from the label or the date cell, the message-id from the
URL).  Checked against it, an honest document comes out (nearly) clean: what is
left are disagreements inside the document itself (a status version that is not
the newest linked one, a row that says v1 while its link text says v2...),
redirects that really are moves (the retired LKML patchwork, numeric patchwork
ids) and rows or URLs that cannot be read.

With ``defect_rate > 0`` some targets are planted with a defect, chosen with a
seeded ``random.Random`` (deterministic): the page is missing (``dead-link``), or
its version, author, title, patch count or date differs from the claim.  The
returned ``planted`` dict says which, by finding code, so a caller can measure
recall.

Serve it with ``corpus_handler(world)`` (the ordinary sites, plus a generic 200
page for any URL of the documents that the sites do not know, on any host).
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from patchcrawl.models import Document, LabelClaim, Link, Person, Ref, Row
from patchcrawl.refs import classify
from patchcrawl.testweb.http import Handler, WebRequest, WebResponse
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.sites.common import esc, page
from patchcrawl.testweb.sites.misc import cgit_html
from patchcrawl.testweb.world import (
    GenericPage,
    Message,
    PatchworkItem,
    PatchworkSeries,
    World,
    bracket,
)

UTC = dt.UTC
#: Codes a planted defect can stand for.
DEFECT_CODES: tuple[str, ...] = (
    "dead-link",
    "version-mismatch",
    "author-mismatch",
    "title-mismatch",
    "patch-count-mismatch",
    "date-mismatch",
)
MAIL_KINDS = frozenset({"lore-message", "lore-patchwork-legacy", "patchwork", "lwn-ml", "lkml-org"})
_DEFAULT_DATE = dt.datetime(2020, 1, 15, 12, 0, 0, tzinfo=UTC)
_OTHER_PEOPLE = (
    ("Ada Lovelace", "ada@example.org"),
    ("Grace Hopper", "grace@example.org"),
    ("Edsger Dijkstra", "ewd@example.org"),
)
_DRIFT_WORDS = ("quantum", "zebra", "teapot", "origami", "volcano", "harpsichord")


@dataclass
class Claim:
    """What the documents say about one target (merged over every link to it)."""

    key: tuple[str, ...]
    ref: Ref
    refs: list[Ref] = field(default_factory=list)  # one per spelling
    urls: list[str] = field(default_factory=list)  # every spelling written in the documents
    lines: list[tuple[str, int]] = field(default_factory=list)  # (file, line) of each link
    rows: list[tuple[str, int]] = field(default_factory=list)  # (file, first line of its row)
    title: str | None = None
    version: int | None = None  # from a link label
    rfc: bool = False
    status_version: int | None = None  # from the status cell of a row linking it
    votes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    status_by_row: dict[tuple[str, int], int] = field(default_factory=dict)  # one vote a row
    status_rfc: bool = False
    prefixes: tuple[str, ...] = ()
    counter: int | None = None
    total: int | None = None
    author: Person | None = None
    date: dt.date | None = None
    label_date: dt.date | None = None
    # what the documents would let a defect show up as
    feature_row: bool = False  # linked from the feature cell of a well-formed row
    has_version_claim: bool = False
    has_total_claim: bool = False
    has_date_claim: bool = False
    has_author_claim: bool = False


def _msgid_for(key: tuple[str, ...]) -> str:
    """A stable synthetic message-id for a target whose URL names none."""
    h = zlib.crc32("/".join(key).encode())
    return f"20200101{h:010d}.{len(key)}-1-synthetic@corpus.example.org"


def _email_for(name: str) -> str:
    parts = [p for p in name.lower().replace(".", " ").split() if p.isascii() and p.isalnum()]
    local = ".".join(parts) or f"dev{zlib.crc32(name.encode()) % 100000}"
    return f"{local}@kernel.org"


def _key(ref: Ref) -> tuple[str, ...] | None:
    """The identity of the thing a link points at (two spellings, one target)."""
    if ref.fetch_url is None:
        return None
    if ref.kind == "lore-message" and ref.msgid:
        return ("msg", ref.msgid)
    if ref.kind == "lwn-ml" and ref.msgid:
        return ("msg", ref.msgid)
    if ref.kind == "lore-patchwork-legacy" and ref.item_id:
        return ("legacy", ref.item_id)
    if ref.kind == "patchwork" and ref.host and ref.item_type in ("patch", "cover"):
        if ref.msgid:
            return ("msg", ref.msgid)
        if ref.item_id and ref.item_id.isdigit():
            return ("pw", ref.host, ref.item_id)
    if ref.kind == "lwn-article" and ref.item_id:
        return ("lwn", ref.item_id)
    if ref.kind == "git-commit" and ref.item_id:
        return ("commit", ref.item_id)
    if ref.kind == "lkml-org" and ref.item_id:
        return ("lkml", ref.item_id)
    return ("url", _url_key(ref.fetch_url))  # ``/x`` and ``/x/`` are one page here


def _row_of(doc: Document) -> dict[tuple[int, int], Row]:
    out: dict[tuple[int, int], Row] = {}
    for row in doc.rows:
        for link in row.links:
            out[(link.line, link.column)] = row
    return out


def _merge(claim: Claim, link: Link, row: Row | None) -> None:
    """Fill what ``claim`` does not know yet from one link and its row."""
    label: LabelClaim | None = link.label
    in_claim_cell = link.cell in ("feature", "links")
    if row is not None and in_claim_cell:
        c = row.claims
        if claim.title is None and c.title:
            claim.title = c.title
        if claim.author is None and c.authors:
            claim.author = c.authors[0]
        if claim.date is None and c.date is not None:
            claim.date = c.date
        if row.well_formed:
            claim.has_author_claim |= bool(c.authors) and row.cell("author") is not None
            claim.has_date_claim |= c.date is not None and link.cell == "feature"
            if link.cell == "feature" and c.title:
                claim.feature_row = True
            if c.status is not None and c.status.version is not None:
                claim.has_version_claim |= link.cell == "feature"
    if label is not None:
        # ``[LORE 0/4]`` claims v1 (as the audit reads it); ``[LORE RFC]`` claims nothing
        said = label.version
        if said is None and label.counter is not None and not label.rfc:
            said = 1
        if said is not None:
            claim.votes["version"].append(said)
            if claim.version is None:
                claim.version = said
                claim.rfc = claim.rfc or label.rfc
        if label.total is not None:
            claim.votes["total"].append(label.total)
            if claim.total is None:
                claim.total = label.total
                claim.counter = label.counter
        if label.prefixes and not claim.prefixes:
            claim.prefixes = tuple(p for p in label.prefixes if p.upper() != "PATCH")
        if label.date is not None and claim.label_date is None:
            claim.label_date = label.date
        claim.has_version_claim |= label.version is not None or label.counter is not None
        claim.has_total_claim |= label.total is not None
        claim.has_date_claim |= label.date is not None
    if row is not None and in_claim_cell and row.claims.status is not None:
        st = row.claims.status
        # the status cell speaks for the row; a link's own label wins over it
        label_silent = label is None or (label.version is None and label.counter is None)
        if st.version is not None and label_silent:
            claim.status_by_row.setdefault((row.file, row.line), st.version)
            if claim.status_version is None:
                claim.status_version = st.version
        if st.rfc and label_silent:
            claim.status_rfc = True


def collect_claims(documents: Sequence[Document]) -> dict[tuple[str, ...], Claim]:
    """Every target the documents link, with what they claim about it."""
    claims: dict[tuple[str, ...], Claim] = {}
    for doc in documents:
        rows = _row_of(doc)
        for link in doc.links:
            ref = classify(link.url)
            key = _key(ref)
            if key is None:
                continue
            claim = claims.get(key)
            if claim is None:
                claim = claims[key] = Claim(key=key, ref=ref)
            if link.url not in claim.urls:
                claim.urls.append(link.url)
                claim.refs.append(ref)
            claim.lines.append((doc.path, link.line))
            claim.rows.append((doc.path, link.row_line or link.line))
            _merge(claim, link, rows.get((link.line, link.column)))
    return claims


@dataclass
class _Target:
    """What the world will say about a target (claims, possibly with a planted defect)."""

    title: str
    version: int
    rfc: bool
    prefixes: tuple[str, ...]
    counter: int | None
    total: int
    name: str
    email: str
    date: dt.datetime
    exists: bool = True


def _vote(values: Sequence[int], default: int | None) -> int | None:
    """The value most rows claim (the first one claimed on a tie): documents that link one
    mail from several rows sometimes disagree, and the world can agree with only one."""
    if not values:
        return default
    return Counter(values).most_common(1)[0][0]


def _target(claim: Claim) -> _Target:
    claim.version = _vote(claim.votes.get("version", ()), claim.version)
    claim.status_version = _vote(list(claim.status_by_row.values()), claim.status_version)
    claim.total = _vote(claim.votes.get("total", ()), claim.total)
    person = claim.author
    name = (person.name if person else None) or "Jane Developer"
    email = (person.email if person else None) or _email_for(name)
    day = claim.label_date or claim.date
    when = dt.datetime(day.year, day.month, day.day, 12, 0, 0, tzinfo=UTC) if day else _DEFAULT_DATE
    total = claim.total if claim.total and claim.total > 0 else 1
    counter = claim.counter if claim.counter is not None and claim.counter <= total else None
    title = (claim.title or "").replace("\n", " ").strip() or "untitled change"
    return _Target(
        title=title,
        version=next((v for v in (claim.version, claim.status_version) if v and v > 0), 1),
        rfc=claim.rfc if claim.version is not None else claim.rfc or claim.status_rfc,
        prefixes=claim.prefixes,
        counter=counter if total > 1 else None,
        total=total,
        name=name,
        email=email,
        date=when,
    )


def _applicable(claim: Claim) -> list[str]:
    codes = ["dead-link"]
    if claim.ref.kind not in MAIL_KINDS:
        return codes
    if claim.has_version_claim:
        codes.append("version-mismatch")
    if claim.feature_row and claim.has_author_claim:
        codes.append("author-mismatch")
    if claim.feature_row:
        codes.append("title-mismatch")
    if claim.has_total_claim and claim.total:
        codes.append("patch-count-mismatch")
    if claim.has_date_claim:
        codes.append("date-mismatch")
    return codes


def _plant(t: _Target, code: str, rng: random.Random) -> None:
    if code == "dead-link":
        t.exists = False
    elif code == "version-mismatch":
        t.version += 1
        t.rfc = False
    elif code == "author-mismatch":
        others = [p for p in _OTHER_PEOPLE if p[0] != t.name]
        t.name, t.email = rng.choice(others)
    elif code == "title-mismatch":
        words = rng.sample(_DRIFT_WORDS, 3)
        t.title = f"{words[0]}: make {words[1]} {words[2]} work again"
    elif code == "patch-count-mismatch":
        t.total += 3
        if t.counter is None:
            t.counter = 0
    elif code == "date-mismatch":
        t.date = t.date + dt.timedelta(days=90)


class _Builder:
    def __init__(self, world: World) -> None:
        self.w = world
        self.pw_next = 90_000_000

    def message(self, msgid: str, t: _Target, lists: tuple[str, ...]) -> Message:
        existing = self.w.messages.get(msgid)
        if existing is not None:
            return existing
        b = bracket(
            version=t.version,
            counter=t.counter,
            total=t.total,
            prefixes=t.prefixes,
            rfc=t.rfc,
        )
        m = Message(
            msgid=msgid,
            lists=lists,
            subject=f"{b} {t.title}",
            from_name=t.name,
            from_email=t.email,
            date=t.date,
            body=f"This series is about {t.title}.\n",
        )
        self.w.messages[msgid] = m
        return m

    def patchwork(
        self, host: str, project: str, item_id: int, kind: str, msgid: str, t: _Target
    ) -> None:
        self.pw_next += 1
        sid = self.pw_next
        self.w.patchwork[(host, item_id)] = PatchworkItem(item_id, host, project, msgid, kind, sid)
        self.w.patchwork_series[(host, sid)] = PatchworkSeries(
            sid,
            host,
            project,
            t.title,
            t.version,
            t.total,
            item_id if kind == "cover" else None,
            [item_id] if kind == "patch" else [],
            t.date,
            (t.name, t.email),
        )


def _lists(refs: Sequence[Ref]) -> tuple[str, ...]:
    """Every lore list the message is linked under (public-inbox serves it in each)."""
    names: list[str] = []
    for ref in refs:
        name = ref.list_name
        if ref.kind == "lore-message" and name and name not in ("all", "r") and name not in names:
            names.append(name)
    return tuple(names) if names else ("lkml",)


def _normal_key(host: str, path: str, query: str) -> str:
    p = unquote(path).rstrip("/")
    q = unquote(query)
    return f"{host.lower()}{p}" + (f"?{q}" if q else "")


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    return _normal_key(parts.hostname or "", parts.path or "/", parts.query)


def world_from_documents(
    documents: Sequence[Document], *, seed: int = 0, defect_rate: float = 0.0
) -> tuple[World, dict]:  # type: ignore[type-arg]
    """A World in which every link of ``documents`` exists as its row claims.

    Returns ``(world, planted)`` where ``planted`` maps each finding code of
    :data:`DEFECT_CODES` to a list of ``{"urls": [...], "lines": [(file, line)...],
    "rows": [(file, row line)...]}``
    (one entry per target with that defect), plus ``"targets"``: the number of
    unique targets, and ``"applicable"``: how many targets could carry each code.
    """
    rng = random.Random(seed)
    world = World()
    world.legacy_cover_redirects = True
    overrides: dict[str, GenericPage] = {}
    world.corpus_overrides = overrides  # type: ignore[attr-defined]
    b = _Builder(world)
    planted: dict[str, list[dict[str, object]]] = defaultdict(list)
    applicable: dict[str, int] = defaultdict(int)
    claims = collect_claims(documents)
    for key in sorted(claims, key=lambda k: "\x00".join(k)):
        claim = claims[key]
        t = _target(claim)
        codes = _applicable(claim)
        for code in codes:
            applicable[code] += 1
        if defect_rate > 0 and rng.random() < defect_rate:
            code = rng.choice(codes)
            _plant(t, code, rng)
            planted[code].append(
                {"urls": list(claim.urls), "lines": list(claim.lines), "rows": list(claim.rows)}
            )
        _build(b, claim, t, overrides)
    info: dict[str, object] = {code: planted.get(code, []) for code in DEFECT_CODES}
    info["targets"] = len(claims)
    info["applicable"] = dict(applicable)
    return world, info


def _build(b: _Builder, claim: Claim, t: _Target, overrides: dict[str, GenericPage]) -> None:
    ref = claim.ref
    w = b.w
    kind = claim.key[0]
    assert ref.fetch_url is not None
    if kind == "msg":
        msgid = claim.key[1]
        if not t.exists:
            return  # no message, so no lore page, no LWN mirror, no patchwork item
        b.message(msgid, t, _lists(claim.refs))
        for r in claim.refs:
            if r.kind != "patchwork" or not r.host:
                continue
            host = r.host[4:] if r.host.startswith("www.") else r.host
            if w.pw_by_msgid(host, msgid) is None:
                b.pw_next += 1
                item_type = r.item_type if r.item_type in ("patch", "cover") else "patch"
                project = r.list_name or "linux-kernel"
                b.patchwork(host, project, b.pw_next, item_type, msgid, t)
        return
    if kind == "legacy":
        if not t.exists:
            return
        msgid = _msgid_for(claim.key)
        b.message(msgid, t, ("lkml",))
        w.legacy[int(claim.key[1])] = (ref.item_type or "patch", msgid)
        return
    if kind == "pw":
        if not t.exists:
            return
        host, item = claim.key[1], int(claim.key[2])
        msgid = _msgid_for(claim.key)
        b.message(msgid, t, ("lkml",))
        b.patchwork(host, "linux-kernel", item, ref.item_type or "patch", msgid, t)
        return
    if kind == "lwn":
        if t.exists:
            w.add_lwn(int(claim.key[1]), t.title, t.name, t.date.date())
        return
    if kind == "commit":
        if t.exists:
            w.add_commit(claim.key[1], t.title, t.name, t.email, t.date)
            # the simulated cgit reads only ``?id=``; refs also accept ``/commit/<sha>``
            c = w.commits[claim.key[1]]
            overrides[_url_key(ref.fetch_url)] = GenericPage(200, body=cgit_html(c))
        else:
            overrides[_url_key(ref.fetch_url)] = GenericPage(404, title="Not found")
        return
    if kind == "lkml":
        if t.exists:
            b_ = bracket(
                version=t.version,
                counter=t.counter,
                total=t.total,
                prefixes=t.prefixes,
                rfc=t.rfc,
            )
            w.add_lkml_org(claim.key[1], f"{b_} {t.title}", t.name, t.email, t.date)
        return
    # anything else: a generic page on whatever host
    overrides[_url_key(ref.fetch_url)] = (
        GenericPage(200, title=t.title if claim.title else _url_key(ref.fetch_url))
        if t.exists
        else GenericPage(404, title="404 Not Found")
    )


def corpus_handler(world: World) -> Handler:
    """The simulated sites, with the world's generic overrides answered first on any host."""
    sites = make_handler(world)
    overrides: dict[str, GenericPage] = getattr(world, "corpus_overrides", {})

    def handle(req: WebRequest) -> WebResponse:
        if req.host.lower() not in world.challenge_hosts:
            g = overrides.get(_normal_key(req.host, req.path, req.query))
            if g is not None:
                body = g.body or (
                    f"<html><head><title>{esc(g.title or '')}</title></head>"
                    f"<body><h1>{esc(g.title or '')}</h1></body></html>"
                )
                return page(body, g.status)
        return sites(req)

    return handle


def planted_lines(planted: dict, code: str) -> set[tuple[str, int]]:  # type: ignore[type-arg]
    """Every (file, line) of a link to a target planted with ``code``."""
    out: set[tuple[str, int]] = set()
    for entry in planted.get(code, []):
        out.update(entry["lines"])
    return out


__all__ = [
    "DEFECT_CODES",
    "Claim",
    "collect_claims",
    "corpus_handler",
    "planted_lines",
    "world_from_documents",
]
