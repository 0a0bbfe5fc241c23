"""lkml.org: ``itemprop="name"`` (subject), ``"author"``, ``"datePublished"``; no message-id."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from patchcrawl.models import Metadata
from patchcrawl.sources._common import decode, mail_date, split_person, subject_info


def parse_post(body: bytes | str, url: str) -> Metadata:
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    tree = HTMLParser(text)

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
