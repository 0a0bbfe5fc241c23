"""Mainline Linux in a local git clone: which commits a series became, and the first
release tag that holds them (``--kernel-git DIR``).

Only commits and tags are read (a partial clone made with ``--filter=blob:none`` or
``--filter=tree:0`` is enough), by two git subprocesses: ``git for-each-ref`` for the
tags and one ``git log`` stream (NUL between commits) over every commit reachable from
HEAD or from a mainline tag (``vX.Y``, ``vX.Y-rcN``, ``v2.6.X``; never a stable
``vX.Y.Z``, so a backport on a stable branch is not mainline). git parses the
trailers (``%(trailers:key=Link,key=Message-Id)``); the first release of every
commit is found in one pass in Python: the tags in release order, each marking the
commits it reaches that no older tag reached.

The index is a SQLite file under the cache directory, named by the repository's HEAD,
its mainline tags and :data:`INDEX_VERSION`, written to a temporary name and renamed:
a warm run opens it and asks one indexed query per message-id or subject.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import subprocess
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from patchcrawl.settings import UsageError

#: bump when the index's content or layout changes: older files are not read
INDEX_VERSION = "2"

_MAINLINE_TAG = re.compile(r"^v(?:(2)\.(6)\.(\d+)|([3-9]|[1-9]\d+)\.(\d+))(?:-rc(\d+))?$")
_CLAIM = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-_]rc(\d+))?$", re.IGNORECASE)
_MSGID_URL = re.compile(
    r"https?://(?:lore\.kernel\.org/(?:[^/\s?#]+)|lkml\.kernel\.org/r|patch\.msgid\.link)"
    r"/([^/\s?#>]+@[^/\s?#>]+)",
    re.IGNORECASE,
)

Release = tuple[int, ...]  # (major, minor[, patch], rc) with rc 1000 for a final release


def release_key(name: str) -> Release | None:
    """``v6.1-rc1`` -> (6, 1, 1); ``v6.1`` -> (6, 1, 1000); ``v2.6.23`` -> (2, 6, 23, 1000);
    a stable tag (``v6.1.5``) or anything else -> None."""
    m = _MAINLINE_TAG.match(name)
    if m is None:
        return None
    rc = int(m.group(6)) if m.group(6) else 1000
    if m.group(1):
        return (2, 6, int(m.group(3)), rc)
    return (int(m.group(4)), int(m.group(5)), rc)


def claim_key(text: str) -> tuple[Release, bool] | None:
    """A release as a table writes it (``4.1-rc1``, ``v4.1-rc1``, ``5.15_rc1``, ``4.1``,
    ``2.6.23``) -> (its mainline key, whether an rc was named); None for a stable
    release (``6.1.5``) or text that names no mainline release."""
    m = _CLAIM.match(text.strip())
    if m is None:
        return None
    major, minor, patch, rc = m.groups()
    if patch is not None and (major, minor) != ("2", "6"):
        return None  # a stable release
    if patch is None and (major, minor) == ("2", "6"):
        return None
    tag = f"v{major}.{minor}" + (f".{patch}" if patch else "") + (f"-rc{rc}" if rc else "")
    key = release_key(tag)
    return (key, rc is not None) if key is not None else None


def base_of(key: Release) -> Release:
    """The release a key belongs to (its merge window's ``X.Y``)."""
    return key[:-1]


def release_name(key: Release) -> str:
    """(6, 1, 1) -> ``6.1-rc1``; (6, 1, 1000) -> ``6.1`` (no ``v``, as the tables write)."""
    base = ".".join(str(p) for p in key[:-1])
    return base if key[-1] == 1000 else f"{base}-rc{key[-1]}"


def normalise_subject(subject: str) -> str:
    """What a subject is compared by: ``[PATCH ...]`` prefixes dropped, case and runs of
    spaces folded, a trailing period dropped."""
    text = subject.strip()
    while text.startswith("["):
        end = text.find("]")
        if end < 0:
            break
        text = text[end + 1 :].lstrip()
    return " ".join(text.casefold().split()).rstrip(".")


def normalise_msgid(msgid: str) -> str:
    return unquote(msgid.strip().strip("<>").strip()).casefold()


def msgids_in(text: str) -> list[str]:
    """Message-ids of ``Link:`` URLs and ``Message-Id:`` values of one trailer value."""
    found = [normalise_msgid(m.group(1)) for m in _MSGID_URL.finditer(text)]
    if not found:
        value = text.strip()
        if value.startswith("<") and "@" in value:
            found.append(normalise_msgid(value.split()[0]))
    return found


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    subject: str
    email: str
    name: str
    release: Release | None  # the first mainline tag holding it; None: none yet

    @property
    def short(self) -> str:
        return self.sha[:12]


def _git(repo: str, *args: str, stdin: str | None = None) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", repo, *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise UsageError(f"--kernel-git {repo}: cannot run git ({exc})") from None
    if proc.returncode != 0:
        line = (proc.stderr.strip().splitlines() or ["git failed"])[-1]
        raise UsageError(f"--kernel-git {repo}: git {args[0]} failed: {line}")
    return proc.stdout


def check_repository(repo: str) -> None:
    """A usage error (exit 2) unless ``repo`` is a git repository with a HEAD commit."""
    if not os.path.isdir(repo):
        raise UsageError(f"--kernel-git {repo}: no such directory")
    try:
        proc = subprocess.run(
            ["git", "-C", repo, "rev-parse", "--verify", "-q", "HEAD^{commit}"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise UsageError(f"--kernel-git {repo}: cannot run git ({exc})") from None
    if proc.returncode != 0:
        raise UsageError(
            f"--kernel-git {repo}: not a git repository with a commit "
            "(a clone of mainline Linux with its tags is needed)"
        )


def _mainline_tags(repo: str) -> list[tuple[Release, str, str]]:
    """(key, tag name, commit sha) of every mainline tag, oldest release first."""
    out = _git(
        repo,
        "for-each-ref",
        "--format=%(refname:short)%00%(objectname)%00%(*objectname)%00%(objecttype)"
        "%00%(*objecttype)",
        "refs/tags",
    )
    tags: list[tuple[Release, str, str]] = []
    for line in out.splitlines():
        parts = line.split("\0")
        if len(parts) != 5:
            continue
        # mainline's v2.6.11 tags a tree, not a commit: no release to walk from
        if (parts[4] or parts[3]) != "commit":
            continue
        key = release_key(parts[0])
        if key is not None:
            tags.append((key, parts[0], parts[2] or parts[1]))
    tags.sort()
    return tags


def index_name(repo: str) -> str:
    """The index file's name: HEAD, the mainline tags and the index version hashed."""
    head = _git(repo, "rev-parse", "HEAD").strip()
    h = hashlib.blake2b(digest_size=12)
    h.update(f"{INDEX_VERSION}\0{head}\0".encode())
    for key, name, sha in _mainline_tags(repo):
        h.update(f"{name}\0{sha}\0{key}\n".encode())
    return f"mainline-{h.hexdigest()}.sqlite"


_SCHEMA = """
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE TABLE commits(id INTEGER PRIMARY KEY, sha BLOB, subject TEXT, email TEXT,
                     name TEXT, release INTEGER);
CREATE TABLE releases(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE msgids(h INTEGER, id INTEGER, PRIMARY KEY (h, id)) WITHOUT ROWID;
CREATE TABLE subjects(h INTEGER, id INTEGER, PRIMARY KEY (h, id)) WITHOUT ROWID;
"""

_FORMAT = (
    "--format=%H%x1f%P%x1f%ae%x1f%s%x1f%(trailers:key=Link,key=Message-Id,valueonly,separator=%x1e)"
)


def _records(repo: str, revs: Sequence[str]) -> Iterator[list[str]]:
    """One ``[sha, parents, email, subject, trailers]`` per commit, streamed."""
    try:
        proc = subprocess.Popen(
            ["git", "-C", repo, "log", "-z", "--no-color", _FORMAT, "--stdin"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise UsageError(f"--kernel-git {repo}: cannot run git ({exc})") from None
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(("\n".join(revs) + "\n").encode())
    proc.stdin.close()
    rest = b""
    while True:
        chunk = proc.stdout.read(1 << 20)
        if not chunk:
            break
        pieces = (rest + chunk).split(b"\0")
        rest = pieces.pop()
        for piece in pieces:
            yield piece.decode("utf-8", "replace").split("\x1f")
    if rest.strip():
        yield rest.decode("utf-8", "replace").split("\x1f")
    err = proc.stderr.read().decode("utf-8", "replace")
    if proc.wait() != 0:
        line = (err.strip().splitlines() or ["git log failed"])[-1]
        raise UsageError(f"--kernel-git {repo}: git log failed: {line}")


def build_index(repo: str, path: str) -> None:
    """Read ``repo`` and write its index to ``path`` (atomically)."""
    tags = _mainline_tags(repo)
    revs = ["HEAD", *sorted({sha for _, _, sha in tags})]
    ids: dict[str, int] = {}
    shas: list[str] = []
    first_parent = array("l")
    more_parents: dict[int, list[str]] = {}
    rows: list[tuple[int, str, str, str, str]] = []
    msgid_rows: list[tuple[int, int]] = []
    subject_rows: list[tuple[int, int]] = []
    parent_shas: list[str] = []
    for rec in _records(repo, revs):
        if len(rec) < 5:
            continue
        sha, parents, email, subject, trailers = rec[:5]
        sha = sha.strip()  # git log -z puts no newline, but be lenient
        n = len(shas)
        ids[sha] = n
        shas.append(sha)
        plist = parents.split()
        parent_shas.append(plist[0] if plist else "")
        if len(plist) > 1:
            more_parents[n] = plist[1:]
        rows.append((n, sha, subject, email.casefold(), ""))  # names: not kept (size)
        if trailers:
            for value in trailers.split("\x1e"):
                for msgid in msgids_in(value):
                    msgid_rows.append((_hash(msgid), n))
        if not subject.startswith('Revert "'):
            subject_rows.append((_hash(normalise_subject(subject)), n))
    for p in parent_shas:
        first_parent.append(ids.get(p, -1) if p else -1)
    del parent_shas
    release = array("l", [-1]) * len(shas)
    for t, (_key, _name, tag_sha) in enumerate(tags):
        start = ids.get(tag_sha)
        if start is None or release[start] >= 0:
            continue
        stack = [start]
        while stack:
            c = stack.pop()
            while c >= 0 and release[c] < 0:
                release[c] = t
                for extra in more_parents.get(c, ()):
                    e = ids.get(extra, -1)
                    if e >= 0 and release[e] < 0:
                        stack.append(e)
                c = first_parent[c]
    names = [release_name(key) for key, _, _ in tags]
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mainline-", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.executescript(_SCHEMA)
            db.executemany(
                "INSERT INTO commits VALUES (?,?,?,?,?,?)",
                (
                    (n, bytes.fromhex(sha), subject, email, name or None, release[n])
                    for n, sha, subject, email, name in rows
                ),
            )
            db.executemany("INSERT INTO releases VALUES (?,?)", enumerate(names))
            db.executemany("INSERT OR IGNORE INTO msgids VALUES (?,?)", sorted(msgid_rows))
            db.executemany("INSERT OR IGNORE INTO subjects VALUES (?,?)", sorted(subject_rows))
            newest = names[-1] if names else ""
            db.executemany(
                "INSERT INTO meta VALUES (?,?)",
                [("version", INDEX_VERSION), ("newest", newest), ("commits", str(len(shas)))],
            )
            db.commit()
        finally:
            db.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _hash(text: str) -> int:
    """A signed 64-bit hash: what message-ids and subjects are indexed by (a collision
    among a million keys is about one in ten million million)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _key(name: str | None) -> Release | None:
    parsed = claim_key(name) if name else None
    return parsed[0] if parsed else None


class MainlineIndex:
    """The index of one repository state, opened read-only."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        meta = dict(self._db.execute("SELECT k, v FROM meta").fetchall())
        self.newest: Release | None = _key(meta.get("newest"))
        self.commits = int(meta.get("commits", "0"))
        self._releases = [
            name for _, name in self._db.execute("SELECT id, name FROM releases ORDER BY id")
        ]

    def close(self) -> None:
        self._db.close()

    def _commits(self, sql: str, arg: int) -> list[Commit]:
        out = []
        for sha, subject, email, name, rel in self._db.execute(sql, (arg,)):
            release = _key(self._releases[rel]) if 0 <= rel < len(self._releases) else None
            out.append(Commit(sha.hex(), subject, email, name or "", release))
        return out

    def by_msgid(self, msgid: str) -> list[Commit]:
        return self._commits(
            "SELECT c.sha, c.subject, c.email, c.name, c.release FROM msgids m "
            "JOIN commits c ON c.id = m.id WHERE m.h = ?",
            _hash(normalise_msgid(msgid)),
        )

    def by_subject(self, subject: str) -> list[Commit]:
        return self._commits(
            "SELECT c.sha, c.subject, c.email, c.name, c.release FROM subjects s "
            "JOIN commits c ON c.id = s.id WHERE s.h = ?",
            _hash(normalise_subject(subject)),
        )


def open_index(
    repo: str, cache_dir: str | None, say: Callable[[str], None] | None = None
) -> MainlineIndex:
    """The index of ``repo`` as it is now: taken from the cache, or built and kept there
    (older indexes of the same cache are removed); ``say`` is told before a build."""
    check_repository(repo)
    directory = os.path.join(cache_dir or tempfile.gettempdir(), "mainline")
    name = index_name(repo)
    path = os.path.join(directory, name)
    if os.path.isfile(path):
        try:
            return MainlineIndex(path)
        except sqlite3.Error:
            os.unlink(path)
    if say is not None:
        say(f"patchcrawl: indexing the mainline clone {repo} (once per HEAD and tags)")
    build_index(repo, path)
    for other in os.listdir(directory):
        if other.startswith("mainline-") and other != name:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, other))
    return MainlineIndex(path)


# --------------------------------------------------------------------------
# a row's series -> commits
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mail:
    """One mail a row links: its message-id (from the URL or the page) and, when read,
    its title, author and place in the series."""

    url: str
    msgid: str | None
    title: str | None = None
    author_email: str | None = None
    author_name: str | None = None
    counter: int | None = None
    total: int | None = None


_NUMBERED = re.compile(r"-(\d+)(?=-)")


def patch_msgids(cover: str, total: int) -> list[str]:
    """The message-ids git send-email and b4 give a cover letter's patches: the last
    ``-N-`` of the cover's id counted on (b4: ``...-v2-0-hash@`` -> ``-1-``, ``-2-``;
    git send-email: ``...-1-git-send-email-...`` -> ``-2-``, ``-3-``)."""
    local = cover.split("@", 1)[0]
    matches = list(_NUMBERED.finditer(local))
    if not matches or total <= 0:
        return []
    m = matches[-1]
    n = int(m.group(1))
    return [
        cover[: m.start(1)] + str(n + k) + cover[m.end(1) :] for k in range(1, min(total, 200) + 1)
    ]


def _same_author(commit: Commit, mail: Mail) -> bool:
    if mail.author_email and commit.email == mail.author_email.casefold():
        return True
    return bool(
        mail.author_name
        and commit.name
        and " ".join(commit.name.casefold().split())
        == " ".join(mail.author_name.casefold().split())
    )


def series_commits(index: MainlineIndex, mails: Iterable[Mail]) -> tuple[list[Commit], bool]:
    """The mainline commits of a series, and whether they were found by subject: by the
    message-ids of its mails (a cover letter's patches too), else by a mail's subject
    with the same author email (never by a subject alone)."""
    mails = list(mails)
    found: dict[str, Commit] = {}
    for mail in mails:
        if not mail.msgid:
            continue
        ids = [mail.msgid]
        if mail.counter == 0 and mail.total:
            ids += patch_msgids(mail.msgid, mail.total)
        for msgid in ids:
            for c in index.by_msgid(msgid):
                found.setdefault(c.sha, c)
    if found:
        return list(found.values()), False
    for mail in mails:
        if not mail.title or not (mail.author_email or mail.author_name):
            continue
        for c in index.by_subject(mail.title):
            if _same_author(c, mail):
                found.setdefault(c.sha, c)
    return list(found.values()), True


def first_release(commits: Sequence[Commit]) -> tuple[Release | None, Commit | None]:
    """The release of a series' first commit in mainline (None: merged after the newest
    tag), and that commit."""
    tagged = [c for c in commits if c.release is not None]
    if tagged:
        first = min(tagged, key=lambda c: (c.release or (), c.sha))
        return first.release, first
    return None, (commits[0] if commits else None)
