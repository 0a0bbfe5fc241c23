"""lkml.org: ``itemprop="name"`` (subject), ``"author"``, ``"datePublished"``; no message-id."""

from __future__ import annotations

import re

from patchcrawl.models import Metadata, Ref, Response
from patchcrawl.sources._common import decode, html, mail_date, split_person, subject_info
from patchcrawl.sources._site import Link, Outcome, PageRule, UrlShape


def parse_post(body: bytes | str, url: str) -> Metadata:
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = html(text)

    def prop(name: str) -> str | None:
        n = tree.css_first(f'[itemprop="{name}"]')
        return " ".join(n.text().split()) if n is not None else None

    subject = prop("name")
    author = prop("author")
    date = prop("datePublished")
    name, addr = split_person(author) if author else (None, None)
    subject = decode(subject) if subject else None
    si = subject_info(subject) if subject else None
    return Metadata(
        source="lkml-org",
        title=si.title if si else None,
        subject=subject,
        version=si.version if si else None,
        counter=si.counter if si else None,
        total=si.total if si else None,
        prefixes=si.prefixes if si else (),
        author_name=name,
        author_email=addr,
        date=mail_date(date) if date else None,
        rfc=si.rfc if si else False,
        version_inferred=si.version_inferred if si else False,
        canonical_url=url,
    )


# ---------------------------------------------------------------- URL shapes


def message(link: Link) -> Ref | None:
    """``lkml.org/lkml/<year>/<month>/<day>/<n>``: one mail of the LKML archive (236
    links of the corpus), known by its https address without a ``www.``.

    https://lkml.org/lkml/2017/1/19/687
    """
    s = link.segs
    if len(s) < 5 or s[0] != "lkml" or not all(x.isdigit() for x in s[1:5]):
        return None
    item = "/".join(s[1:5])
    canon = f"https://lkml.org/lkml/{item}"
    return Ref(
        url=link.url,
        kind="lkml-org",
        fetch_url=canon,
        host=link.host,
        item_id=item,
        item_type="message",
        canonical=canon,
    )


URL_SHAPES = (UrlShape("lkml-org-message", frozenset({"lkml.org"}), message),)


# ---------------------------------------------------------------- pages


def read_post(resp: Response) -> Outcome:
    """A mail of the archive: subject, author and date (lkml.org shows no message-id)."""
    return Outcome("ok", parse_post(resp.body, resp.final_url))


PAGES = (
    PageRule(
        "lkml-org-message",
        frozenset({"lkml.org", "www.lkml.org"}),
        re.compile("^/lkml/"),
        read_post,
    ),
)
