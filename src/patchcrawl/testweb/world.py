"""The simulated kernel web's content: series, messages, patchwork items, articles.

A ``World`` is plain data.  Tests build one with the builder methods
(``add_series``, ``add_message``, ``add_lwn``, ``add_commit``...) and hand it to
``sites.make_handler(world)``; benchmarks call ``World.generate(n, seed)``.
Everything is deterministic: message-ids and ids come from counters, never
from the clock or ``random`` without a seed.
"""

from __future__ import annotations

import builtins
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

UTC = dt.UTC
_DEFAULT_DATE = dt.datetime(2024, 4, 29, 10, 11, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))


@dataclass
class Message:
    msgid: str
    lists: tuple[str, ...]  # every list it was posted to; the first is its home list
    subject: str  # decoded subject
    from_name: str  # decoded display name ("" when the From has only an address)
    from_email: str
    date: dt.datetime  # aware
    in_reply_to: str | None = None
    body: str = ""
    # how the header is spelled in the raw mail: RFC 2047 encoded-words for
    # subject and name when True (public-inbox decodes them on the HTML page)
    encode_headers: bool = False
    # "normal" | "cut": the HTML page lost its header block (parsers must use /raw)
    page: str = "normal"
    # True when the copies in several lists differ: the /all/ page answers 300
    ambiguous: bool = False
    # the mail's own header lines, verbatim (the real-mail set): /raw serves them as
    # they are and the page shows them as public-inbox does, decoded
    headers: str | None = None

    @property
    def list(self) -> str:
        return self.lists[0]

    @property
    def from_header(self) -> str:
        return f"{self.from_name} <{self.from_email}>" if self.from_name else self.from_email


@dataclass
class Series:
    title: str
    author_name: str
    author_email: str
    version: int
    total: int
    prefixes: tuple[str, ...]
    rfc: bool
    list: str
    date: dt.datetime
    cover: Message | None
    patches: builtins.list[Message]
    legacy_ids: dict[str, int] = field(default_factory=dict)  # msgid -> legacy patchwork id
    patchwork: dict[str, int] = field(default_factory=dict)  # msgid -> patchwork item id
    patchwork_series: int | None = None

    @property
    def messages(self) -> builtins.list[Message]:
        return ([self.cover] if self.cover else []) + self.patches

    @property
    def first(self) -> Message:
        """The message a table usually links: the cover letter, else patch 1."""
        return self.cover or self.patches[0]


@dataclass
class PatchworkItem:
    id: int
    host: str  # patchwork.kernel.org, patches.linaro.org, patchwork.ozlabs.org
    project: str
    msgid: str
    type: str  # "patch" | "cover"
    series_id: int | None = None


@dataclass
class PatchworkSeries:
    id: int
    host: str
    project: str
    name: str
    version: int
    total: int
    cover_id: int | None
    patch_ids: list[int]
    date: dt.datetime
    submitter: tuple[str, str]


@dataclass
class LwnArticle:
    id: int
    title: str
    author: str
    date: dt.date
    paywalled: bool = False
    kind: str = "feature"  # feature (FeatureByline) | guest (GAByline) | brief (Byline)


@dataclass
class Commit:
    sha: str
    subject: str
    author_name: str
    author_email: str
    date: dt.datetime
    repo: str = "pub/scm/linux/kernel/git/torvalds/linux.git"


@dataclass
class LkmlOrgPost:
    path: str  # "2015/3/25/123"
    subject: str
    author_name: str
    author_email: str
    date: dt.datetime


@dataclass
class GenericPage:
    status: int = 200
    title: str | None = None
    location: str | None = None  # a redirect target (absolute, original space)
    body: str | None = None  # full HTML, overriding title


def bracket(
    *,
    version: int,
    counter: int | None,
    total: int,
    prefixes: Sequence[str] = (),
    rfc: bool = False,
    style: str = "standard",
) -> str:
    """``[RFC PATCH v3 net-next 0/7]``; style ``glued`` gives ``[PATCHv3 0/7]``."""
    toks: list[str] = []
    if rfc:
        toks.append("RFC")
    if style == "glued" and version > 1:
        toks.append(f"PATCHv{version}")
    else:
        toks.append("PATCH")
        if version > 1:
            toks.append(f"v{version}")
    toks.extend(prefixes)
    if counter is not None and total > 1:
        toks.append(f"{counter}/{total}")
    return "[" + " ".join(toks) + "]"


_FIRST = [
    "Alexei",
    "Starovoitov",
    "Daniel",
    "Borkmann",
    "Andrii",
    "Nakryiko",
    "Yonghong",
    "Song",
    "Song",
    "Liu",
    "Martin",
    "Lau",
    "Jakub",
    "Kicinski",
    "Eric",
    "Dumazet",
    "Paolo",
    "Abeni",
    "Kumar",
    "Kartikeya",
    "Jiri",
    "Olsa",
    "Toke",
    "Hoiland",
    "Peter",
    "Zijlstra",
    "Ingo",
    "Molnar",
    "Thomas",
    "Gleixner",
    "Vlastimil",
    "Babka",
    "Matthew",
    "Wilcox",
    "Christoph",
    "Hellwig",
]
_WORDS = [
    "bpf",
    "add",
    "support",
    "for",
    "kfunc",
    "map",
    "iterator",
    "verifier",
    "tracing",
    "ring",
    "buffer",
    "socket",
    "lookup",
    "xdp",
    "redirect",
    "cgroup",
    "local",
    "storage",
    "sleepable",
    "program",
    "btf",
    "type",
    "tags",
    "dynptr",
    "arena",
    "scheduler",
    "extensible",
    "memory",
    "folio",
    "page",
    "cache",
    "shrinker",
    "lockless",
    "refcount",
]
_LISTS = ("bpf", "netdev", "linux-mm", "lkml", "linux-fsdevel")


class World:
    """Everything the simulated sites know about."""

    def __init__(self) -> None:
        self.messages: dict[str, Message] = {}
        self.series: list[Series] = []
        self.legacy: dict[int, tuple[str, str]] = {}  # id -> (patch|cover, msgid)
        self.legacy_cover_redirects = True  # does /patchwork/cover/N redirect (else 404)?
        self.patchwork: dict[tuple[str, int], PatchworkItem] = {}
        self.patchwork_series: dict[tuple[str, int], PatchworkSeries] = {}
        self.lwn: dict[int, LwnArticle] = {}
        self.commits: dict[str, Commit] = {}
        self.lkml_org: dict[str, LkmlOrgPost] = {}
        self.generic: dict[str, GenericPage] = {}  # "host/path?query" -> page
        self.soft404_msgids: set[str] = set()  # lore answers 200 with its not-found text
        self.soft404_patchwork: set[tuple[str, int]] = set()  # patchwork 200 "no such patch"
        self.challenge_hosts: dict[str, str] = {}  # host -> "anubis" | "cloudflare" | "403"
        self._seq = 0
        self._legacy_next = 555000
        self._pw_next = 13000000
        self._pw_series_next = 850000

    # ------------------------------------------------------------------ lookups

    def message(self, msgid: str) -> Message | None:
        return self.messages.get(msgid)

    def in_list(self, msgid: str, list_name: str) -> Message | None:
        m = self.messages.get(msgid)
        if m is None:
            return None
        if list_name == "all" or list_name in m.lists:
            return m
        return None

    def thread(self, msgid: str) -> list[Message]:
        """Every message of ``msgid``'s thread, root first, then by date."""
        m = self.messages.get(msgid)
        if m is None:
            return []
        root = m
        seen = {root.msgid}
        while root.in_reply_to and root.in_reply_to in self.messages:
            root = self.messages[root.in_reply_to]
            if root.msgid in seen:
                break
            seen.add(root.msgid)
        members = {root.msgid}
        changed = True
        rest = [x for x in self.messages.values() if x.in_reply_to]
        while changed:
            changed = False
            for x in rest:
                if x.msgid not in members and x.in_reply_to in members:
                    members.add(x.msgid)
                    changed = True
        others = sorted(
            (self.messages[i] for i in members if i != root.msgid),
            key=lambda x: (x.date, x.msgid),
        )
        return [root, *others]

    def series_of(self, msgid: str) -> Series | None:
        for s in self.series:
            if any(m.msgid == msgid for m in s.messages):
                return s
        return None

    def pw_by_msgid(self, host: str, msgid: str) -> PatchworkItem | None:
        for item in self.patchwork.values():
            if item.host == host and item.msgid == msgid:
                return item
        return None

    # ------------------------------------------------------------------ builders

    def _next_msgid(self, email: str, n: int | None = None) -> str:
        self._seq += 1
        domain = email.split("@", 1)[1] if "@" in email else "example.org"
        local = email.split("@", 1)[0]
        stamp = f"2024{self._seq:08d}"
        return f"{stamp}.{1000 + self._seq}-{n if n is not None else 1}-{local}@{domain}"

    def add_message(
        self,
        *,
        subject: str,
        author: str,
        email: str | None = None,
        list: str = "lkml",
        also_lists: Iterable[str] = (),
        date: dt.datetime | None = None,
        in_reply_to: str | None = None,
        msgid: str | None = None,
        body: str = "",
        encode_headers: bool = False,
        page: str = "normal",
        ambiguous: bool = False,
    ) -> Message:
        email = email or _email_for(author)
        m = Message(
            msgid=msgid or self._next_msgid(email),
            lists=(list, *also_lists),
            subject=subject,
            from_name=author,
            from_email=email,
            date=date or _DEFAULT_DATE,
            in_reply_to=in_reply_to,
            body=body or f"Some words about {subject}.\n",
            encode_headers=encode_headers,
            page=page,
            ambiguous=ambiguous,
        )
        self.messages[m.msgid] = m
        return m

    def add_reply(self, to: Message, *, author: str, email: str | None = None) -> Message:
        return self.add_message(
            subject="Re: " + to.subject,
            author=author,
            email=email,
            list=to.list,
            also_lists=to.lists[1:],
            date=to.date + dt.timedelta(hours=3),
            in_reply_to=to.msgid,
            body="> quoted\n\nLooks good to me.\n",
        )

    def add_series(
        self,
        *,
        title: str,
        author: str,
        email: str | None = None,
        version: int = 1,
        total: int = 1,
        prefixes: Sequence[str] = (),
        rfc: bool = False,
        date: dt.datetime | None = None,
        list: str = "lkml",
        also_lists: Iterable[str] = (),
        cover: bool | None = None,
        legacy_patchwork_ids: bool | Sequence[int] = False,
        patchwork: str | tuple[str, str] | None = None,
        style: str = "standard",
        bracket_text: str | None = None,
        encode_headers: bool = False,
        patch_titles: Sequence[str] | None = None,
        page: str = "normal",
        ambiguous: bool = False,
    ) -> Series:
        """Add a series: an optional cover letter (``0/total``) and ``total`` patches.

        ``cover`` defaults to True for multi-patch series.  ``bracket_text``
        overrides the bracket's words (``"RFC PATCH v3 RESEND net-next"``);
        the counter is still appended.  ``legacy_patchwork_ids`` gives the
        messages ids on the retired LKML patchwork (True: allocate them).
        ``patchwork`` registers them on a patchwork instance: a project name
        (on patchwork.kernel.org) or ``(host, project)``.
        """
        email = email or _email_for(author)
        date = date or _DEFAULT_DATE
        also = tuple(also_lists)
        want_cover = (total > 1) if cover is None else cover
        seq_base = self._seq + 1

        def subj(counter: int | None, text: str) -> str:
            if bracket_text is not None:
                counter_txt = f" {counter}/{total}" if counter is not None and total > 1 else ""
                return f"[{bracket_text}{counter_txt}] {text}"
            b = bracket(
                version=version,
                counter=counter,
                total=total,
                prefixes=prefixes,
                rfc=rfc,
                style=style,
            )
            return f"{b} {text}"

        def mid(n: int) -> str:
            domain = email.split("@", 1)[1] if "@" in email else "example.org"
            local = email.split("@", 1)[0]
            return f"2024{seq_base:08d}.{1000 + seq_base}-{n}-{local}@{domain}"

        self._seq += 1
        cover_msg: Message | None = None
        if want_cover:
            cover_msg = self.add_message(
                subject=subj(0, title),
                author=author,
                email=email,
                list=list,
                also_lists=also,
                date=date,
                msgid=mid(0),
                body=f"This series adds {title.lower()}.\n\n{author} (2):\n",
                encode_headers=encode_headers,
                page=page,
                ambiguous=ambiguous,
            )
        patches: builtins.list[Message] = []
        for i in range(1, total + 1):
            ptitle = (
                patch_titles[i - 1]
                if patch_titles and i - 1 < len(patch_titles)
                else (title if total == 1 else f"{title}: part {i}")
            )
            p = self.add_message(
                subject=subj(i if total > 1 else None, ptitle),
                author=author,
                email=email,
                list=list,
                also_lists=also,
                date=date + dt.timedelta(seconds=i),
                in_reply_to=cover_msg.msgid
                if cover_msg
                else (patches[0].msgid if patches else None),
                msgid=mid(i),
                body=f"Patch {i} of {title}.\n\n---\n diff --git a/x b/x\n",
                encode_headers=encode_headers,
                page=page if total == 1 and not want_cover else "normal",
                ambiguous=ambiguous and total == 1 and not want_cover,
            )
            patches.append(p)
        s = Series(
            title=title,
            author_name=author,
            author_email=email,
            version=version,
            total=total,
            prefixes=tuple(prefixes),
            rfc=rfc,
            list=list,
            date=date,
            cover=cover_msg,
            patches=patches,
        )
        if legacy_patchwork_ids:
            ids: builtins.list[int]
            if legacy_patchwork_ids is True:
                ids = []
                for _ in s.messages:
                    self._legacy_next += 1
                    ids.append(self._legacy_next)
            else:
                ids = [int(x) for x in legacy_patchwork_ids]
            for m, n in zip(s.messages, ids, strict=False):
                kind = "cover" if m is cover_msg else "patch"
                self.legacy[n] = (kind, m.msgid)
                s.legacy_ids[m.msgid] = n
        if patchwork:
            host, project = (
                ("patchwork.kernel.org", patchwork) if isinstance(patchwork, str) else patchwork
            )
            self._pw_series_next += 1
            sid = self._pw_series_next
            cover_id = None
            pids: builtins.list[int] = []
            for m in s.messages:
                self._pw_next += 1
                kind = "cover" if m is cover_msg else "patch"
                self.patchwork[(host, self._pw_next)] = PatchworkItem(
                    self._pw_next, host, project, m.msgid, kind, sid
                )
                s.patchwork[m.msgid] = self._pw_next
                if kind == "cover":
                    cover_id = self._pw_next
                else:
                    pids.append(self._pw_next)
            self.patchwork_series[(host, sid)] = PatchworkSeries(
                sid, host, project, title, version, total, cover_id, pids, date, (author, email)
            )
            s.patchwork_series = sid
        self.series.append(s)
        return s

    def add_lwn(
        self,
        id: int,
        title: str,
        author: str,
        date: dt.date,
        *,
        paywalled: bool = False,
        kind: str = "feature",
    ) -> LwnArticle:
        a = LwnArticle(id, title, author, date, paywalled, kind)
        self.lwn[id] = a
        return a

    def add_commit(
        self, sha: str, subject: str, author: str, email: str, date: dt.datetime
    ) -> Commit:
        c = Commit(sha, subject, author, email, date)
        self.commits[sha] = c
        return c

    def add_lkml_org(
        self, path: str, subject: str, author: str, email: str, date: dt.datetime
    ) -> LkmlOrgPost:
        p = LkmlOrgPost(path, subject, author, email, date)
        self.lkml_org[path] = p
        return p

    # ------------------------------------------------------------------ generator

    @classmethod
    def generate(cls, n: int, seed: int = 0) -> World:
        """A deterministic world of ``n`` series of typical shape (for benchmarks)."""
        rng = random.Random(seed)
        w = cls()
        base = dt.datetime(2015, 1, 1, tzinfo=UTC)
        for i in range(n):
            first = rng.choice(_FIRST)
            last = rng.choice(_FIRST)
            author = f"{first} {last}"
            words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8)))
            title = f"{rng.choice(_WORDS)}: {words}"
            total = rng.choice((1, 1, 2, 3, 4, 5, 7, 9, 12))
            version = rng.choice((1, 1, 2, 3, 4, 5, 11))
            lst = rng.choice(_LISTS)
            prefixes: tuple[str, ...] = ()
            if lst == "bpf":
                prefixes = (rng.choice(("bpf-next", "bpf")),)
            elif lst == "netdev":
                prefixes = (rng.choice(("net-next", "net")),)
            off = dt.timezone(dt.timedelta(hours=rng.choice((-7, -4, 0, 1, 2, 8))))
            date = (base + dt.timedelta(minutes=rng.randint(0, 5_000_000))).astimezone(off)
            s = w.add_series(
                title=title,
                author=author,
                version=version,
                total=total,
                prefixes=prefixes,
                rfc=rng.random() < 0.1,
                date=date,
                list=lst,
                legacy_patchwork_ids=rng.random() < 0.3,
                patchwork="netdevbpf" if lst in ("bpf", "netdev") else None,
            )
            for m in s.patches:
                m.body = _diff_body(rng, title, i)
        return w


def _email_for(name: str) -> str:
    parts = [p for p in name.lower().replace(".", " ").split() if p.isascii() and p.isalnum()]
    local = ".".join(parts) or "dev"
    return f"{local}@kernel.org"


def _diff_body(rng: random.Random, title: str, n: int) -> str:
    """A commit message and a diff of typical length (40-400 lines)."""
    lines = [f"This patch does {title}.", "", f"Signed-off-by: Dev {n} <dev{n}@kernel.org>", "---"]
    path = f"kernel/bpf/file{n % 50}.c"
    lines += [f" {path} | 12 ++++++------", " 1 file changed, 6 insertions(+), 6 deletions(-)", ""]
    lines += [
        f"diff --git a/{path} b/{path}",
        f"--- a/{path}",
        f"+++ b/{path}",
        "@@ -10,7 +10,7 @@",
    ]
    for j in range(rng.randint(40, 400)):
        sign = rng.choice((" ", " ", " ", "+", "-"))
        lines.append(f"{sign}\tif (ptr->field{j} && check(&state, {j}) < 0)")
    return "\n".join(lines) + "\n"
