"""git.kernel.org cgit commit pages: ``div.commit-subject`` and ``table.commit-info``."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from patchcrawl.models import Metadata
from patchcrawl.sources._common import iso_date, split_person

_BAD = re.compile(rb"Bad object id|Invalid commit|bad commit", re.I)


def is_soft404(body: bytes) -> bool:
    """cgit answers an unknown commit with 200 and "Bad object id: ..."."""
    return bool(_BAD.search(body[:32768])) and b"commit-subject" not in body


def parse_commit(body: bytes | str, url: str) -> Metadata:
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = HTMLParser(text)
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
