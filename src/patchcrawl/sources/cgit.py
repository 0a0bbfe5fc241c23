"""git.kernel.org cgit commit pages: ``div.commit-subject`` and ``table.commit-info``."""

from __future__ import annotations

import re

from patchcrawl.models import Metadata, Ref, Response
from patchcrawl.sources._common import html, iso_date, split_person
from patchcrawl.sources._site import Link, Outcome, PageRule, UrlShape

_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")
_BAD = re.compile(rb"Bad object id|Invalid commit|bad commit", re.I)


def is_soft404(body: bytes) -> bool:
    """cgit answers an unknown commit with 200 and "Bad object id: ..."."""
    return bool(_BAD.search(body[:32768])) and b"commit-subject" not in body


def parse_commit(body: bytes | str, url: str) -> Metadata:
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = html(text)
    subj = tree.css_first("div.commit-subject")
    title = " ".join(subj.text().split()) if subj is not None else None
    name = addr = date = None
    for tr in tree.css("table.commit-info tr"):
        th = tr.css_first("th")
        if th is None or th.text().strip() != "author":
            continue
        tds = tr.css("td")
        if tds:
            name, addr = split_person(tds[0].text())
        if len(tds) > 1:
            date = iso_date(tds[1].text(), assume_utc=False)
        break
    return Metadata(
        source="cgit",
        title=title,
        subject=title,
        author_name=name,
        author_email=addr,
        date=date,
        canonical_url=url,
    )


# ---------------------------------------------------------------- URL shapes


def _sha(segs: tuple[str, ...], query: str) -> str | None:
    """The sha after ``commit/``, else the last ``id=`` of the query that is one."""
    idx = segs.index("commit")
    if idx + 1 < len(segs) and _SHA.match(segs[idx + 1]):
        return segs[idx + 1]
    sha = None
    for kv in query.split("&"):
        k, _, v = kv.partition("=")
        if k == "id" and _SHA.match(v):
            sha = v
    return sha


def commit(link: Link) -> Ref | None:
    """``.../<repo>.git/commit/?id=<sha>`` or ``.../commit/<sha>``: one commit of any
    repository (1,380 links of the corpus, all ``?id=``); its ``log/`` and tree pages
    are ``other``.

    https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=bd30fe6a7d9b72e73c5ac9109cbc3066dde08034
    """
    if "commit" not in link.segs:
        return None
    sha = _sha(link.segs, link.query)
    if sha is None:
        return None
    return Ref(
        url=link.url,
        kind="git-commit",
        fetch_url=link.fetch_url,
        host=link.host,
        item_id=sha.lower(),
        item_type="commit",
    )


URL_SHAPES = (UrlShape("cgit-commit", frozenset({"git.kernel.org"}), commit),)


# ---------------------------------------------------------------- pages


def read_commit(resp: Response) -> Outcome:
    """A commit page, or cgit's soft 404 for a sha it does not have (``dead``)."""
    if is_soft404(resp.body):
        return Outcome("dead", None, "soft-404: cgit bad object id")
    return Outcome("ok", parse_commit(resp.body, resp.final_url))


PAGES = (
    PageRule("cgit-commit", frozenset({"git.kernel.org"}), re.compile("/commit"), read_commit),
)
