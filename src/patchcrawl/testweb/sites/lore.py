"""lore.kernel.org as public-inbox renders it, plus the retired LKML patchwork redirector.

Shapes follow public-inbox's WWW: the message page keeps the headers in one
``<pre>`` (``Subject: <a href="#r" id=t>``, ``Message-ID: &lt;..&gt; (<a href="raw">raw</a>)``)
and the body in ``<pre id=b>``; an unknown message-id is a 404 titled
``&lt;mid&gt; not found``; a message that lives elsewhere answers "found in
another inbox" (200) or "found in other inboxes" (300).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import zlib
from collections.abc import Iterable
from email.header import Header, decode_header, make_header
from urllib.parse import parse_qs, unquote

from patchcrawl.testweb.http import WebRequest, WebResponse
from patchcrawl.testweb.sites.common import esc, not_found, page, qmid, redirect
from patchcrawl.testweb.world import Message, World

BASE = "https://lore.kernel.org"


def _h(text: str) -> int:
    return zlib.crc32(text.encode()) * 2654435761


ATOM = "application/atom+xml; charset=UTF-8"
#: entries of one page of search results, as public-inbox gives (``o=`` for the next)
PAGE = 200


def handle(world: World, req: WebRequest) -> WebResponse:
    path = req.path
    segs = path.split("/")[1:]  # "" after a trailing slash
    if not segs or segs == [""]:
        return page(
            "<html><head><title>lore.kernel.org</title></head><body><pre>"
            "All of lore.kernel.org</pre></body></html>"
        )
    if segs[0] == "patchwork":
        return _legacy(world, segs)
    if segs[0] == "r" and len(segs) >= 2 and segs[1]:
        return redirect(f"/all/{segs[1]}/", 302)
    list_name = segs[0]
    if len(segs) == 1 or (len(segs) == 2 and segs[1] == ""):
        if req.query:
            return _search(world, list_name, req.query)
        return page(
            f"<html><head><title>{esc(list_name)} archive</title></head>"
            "<body><pre>latest messages</pre></body></html>"
        )
    msgid = unquote(segs[1])
    rest = segs[2:]
    if not rest:
        return redirect(f"/{list_name}/{segs[1]}/", 301)
    tail = "/".join(rest)
    if tail == "":
        return _message_page(world, list_name, msgid)
    if tail in ("raw", "raw/"):
        m = world.in_list(msgid, list_name)
        if m is None:
            return _not_found(msgid)
        return page(mboxrd(m), ctype="text/plain; charset=utf-8")
    if tail.lower() in ("t/", "t"):
        if world.in_list(msgid, list_name) is None:
            return _not_found(msgid)
        return page(thread_page(world, list_name, msgid, flat=rest[0] == "T"))
    return _not_found(msgid)


# ---------------------------------------------------------------- legacy patchwork


def _legacy(world: World, segs: list[str]) -> WebResponse:
    if len(segs) >= 3 and segs[1] in ("patch", "cover") and segs[2].isdigit():
        item = world.legacy.get(int(segs[2]))
        if item is not None and (segs[1] == "patch" or world.legacy_cover_redirects):
            return redirect(f"{BASE}/r/{qmid(item[1])}", 301)
    return not_found("404 Not Found")


# ---------------------------------------------------------------- message pages


def _not_found(msgid: str, status: int = 404) -> WebResponse:
    h = esc(msgid)
    return page(
        f"<html><head><title>&lt;{h}&gt; not found</title></head><body>"
        f"<pre>Message-ID &lt;{h}&gt;\nnot found\n</pre><hr><pre>"
        '<a href="https://public-inbox.org/">public-inbox</a></pre></body></html>',
        status,
    )


def _elsewhere(msgid: str, lists: tuple[str, ...], *, status: int) -> WebResponse:
    h = esc(msgid)
    end = "another inbox" if len(lists) == 1 else "other inboxes"
    links = "".join(
        f'<a\nhref="{BASE}/{lst}/{qmid(msgid)}/">{BASE}/{lst}/{h}/</a>\n' for lst in lists
    )
    return page(
        f"<html><head><title>&lt;{h}&gt; found in {end}</title></head><body>"
        f"<pre>Message-ID: &lt;{h}&gt;\nfound in {end}:\n\n{links}</pre></body></html>",
        status,
    )


def _message_page(world: World, list_name: str, msgid: str) -> WebResponse:
    if msgid in world.soft404_msgids:
        return _not_found(msgid, 200)
    m = world.message(msgid)
    if m is None:
        return _not_found(msgid)
    if list_name == "all" and m.ambiguous and len(m.lists) > 1:
        return _elsewhere(msgid, m.lists, status=300)
    if list_name != "all" and list_name not in m.lists:
        return _elsewhere(msgid, m.lists, status=200 if len(m.lists) == 1 else 300)
    return page(message_html(world, m, list_name))


def _fmt_date(d: dt.datetime) -> str:
    return email.utils.format_datetime(d)


def _addr_html(m: Message) -> str:
    name = m.from_name
    if m.encode_headers and m.page == "encoded":
        name = Header(name, "utf-8").encode()
    if not name:
        return esc(m.from_email)
    return f"{esc(name)} &lt;{esc(m.from_email)}&gt;"


def message_html(world: World, m: Message, list_name: str) -> str:
    subj = m.subject
    if m.encode_headers and m.page == "encoded":
        subj = Header(subj, "utf-8").encode()
    to = ", ".join(f"{lst}@vger.kernel.org" for lst in m.lists)
    head = (
        f"From: {_addr_html(m)}\n"
        f"To: {esc(to)}\n"
        "Cc: Alexei Starovoitov &lt;ast@kernel.org&gt;,\n"
        "\tDaniel Borkmann &lt;daniel@iogearbox.net&gt;\n"
        f'Subject: <a\nhref="#r"\nid=t>{esc(subj)}</a>\n'
        f'Date: {_fmt_date(m.date)}\t[<a\nhref="#r">thread overview</a>]\n'
        f"Message-ID: &lt;{esc(m.msgid)}&gt; "
        '(<a\nhref="raw">raw</a>)\n'
    )
    if m.in_reply_to:
        head += (
            f'In-Reply-To: &lt;<a\nhref="../{qmid(m.in_reply_to)}/">{esc(m.in_reply_to)}</a>&gt;\n'
        )
    if m.headers is not None:
        head = verbatim_head_html(m.headers)
    if m.page == "cut":
        head = f"From: {_addr_html(m)}\n"  # the header block came out truncated
    names = esc(m.from_name or m.from_email)
    thread = world.thread(m.msgid)
    overview = "".join(
        f'{x.date.astimezone(dt.UTC):%Y-%m-%d %H:%M} <a\nhref="../{qmid(x.msgid)}/">'
        f"{esc(x.subject)}</a> {esc(x.from_name)}\n"
        for x in thread
    )
    body = esc(m.body)
    return (
        f"<html><head><title>{esc(subj)} - {names}</title>"
        '<link\nrel=alternate\ntitle="Atom feed"\nhref="../new.atom"\ntype="application/atom+xml"/>'
        "<style>pre{white-space:pre-wrap}*{font-size:100%;font-family:monospace}</style>"
        '<meta\nname=viewport\ncontent="width=device-width, initial-scale=1"/></head><body>'
        f'<form\naction="../"><pre><a\nhref="../?t=20240429"><b>{esc(list_name)}.vger.kernel.org'
        " archive mirror</b></a>\n<input\nname=q\ntype=text />"
        '<input\ntype=submit\nvalue=search />\t<a\nhref="../_/text/help/">help</a> / '
        '<a\nhref="../_/text/color/">color</a> / <a\nid=mirror\nhref="../_/text/mirror/">mirror</a>'
        ' / <a\nhref="../new.atom">Atom feed</a></pre></form>'
        f"<pre\nid=b>{head}\n{body}</pre>"
        f"<hr><pre\nid=r>next prev parent reply other threads:[~{m.date:%Y-%m-%d %H:%M} UTC|"
        f"newest]\n\nThread overview: {len(thread)}+ messages\n{overview}</pre>"
        '<hr><pre>This is a public inbox, see <a\nhref="../_/text/mirror/">mirroring instructions'
        "</a>\nfor how to clone and mirror all data and code used for this inbox</pre>"
        "</body></html>"
    )


_SHOWN = ("from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references")


def verbatim_head_html(headers: str) -> str:
    """A real mail's header lines as public-inbox's message page shows them: the
    headers it lists, RFC 2047 words decoded, folded lines kept, the subject as the
    ``#t`` anchor and the message-id followed by its ``(raw)`` link."""
    out: list[str] = []
    keep = False
    for line in headers.split("\n"):
        if line[:1] in (" ", "\t"):
            if keep:
                out.append(esc(_decoded(line)) + "\n")
            continue
        name, _, value = line.partition(":")
        keep = name.lower() in _SHOWN
        if not keep:
            continue
        key = name.lower()
        shown = esc(_decoded(value.strip()))
        if key == "subject":
            out.append(f'{name}: <a\nhref="#r"\nid=t>{shown}</a>\n')
        elif key == "message-id":
            out.append(f'{name}: {shown} (<a\nhref="raw">raw</a>)\n')
        else:
            out.append(f"{name}: {shown}\n")
    return "".join(out)


def _decoded(value: str) -> str:
    if "=?" not in value:
        return value
    return str(make_header(decode_header(value)))


def _hdr(text: str, encode: bool) -> str:
    if encode:
        return Header(text, "utf-8").encode()
    return text


def mboxrd(m: Message) -> str:
    if m.headers is not None:
        body = re.sub(r"^(>*From )", r">\1", m.body, flags=re.M)
        return f"From mboxrd@z Thu Jan  1 00:00:00 1970\n{m.headers.rstrip()}\n\n{body}\n"
    name = m.from_name
    if m.encode_headers and name:
        from_hdr = f"{Header(name, 'utf-8').encode()} <{m.from_email}>"
    else:
        from_hdr = m.from_header
    lines = [
        "From mboxrd@z Thu Jan  1 00:00:00 1970",
        f"From: {from_hdr}",
        "To: " + ", ".join(f"{lst}@vger.kernel.org" for lst in m.lists),
        f"Subject: {_hdr(m.subject, m.encode_headers)}",
        f"Date: {_fmt_date(m.date)}",
        f"Message-ID: <{m.msgid}>",
    ]
    if m.in_reply_to:
        lines += [f"In-Reply-To: <{m.in_reply_to}>", f"References: <{m.in_reply_to}>"]
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "",
    ]
    body = re.sub(r"^(>*From )", r">\1", m.body, flags=re.M)
    return "\n".join(lines) + "\n" + body + "\n"


def thread_page(world: World, list_name: str, msgid: str, *, flat: bool = True) -> str:
    thread = world.thread(msgid)
    root = thread[0]
    blocks = []
    for i, x in enumerate(thread):
        h = f"{_h(x.msgid) % 10**12:012x}"
        blocks.append(
            f'<pre><a\nhref="#e{h}"\nid="m{h}">*</a> <b>{esc(x.subject)}</b>\n'
            f"  <b>@ {x.date.astimezone(dt.UTC):%Y-%m-%d %H:%M} {esc(x.from_name)}</b>\n"
            f"  {i} siblings, 0 replies; {len(thread)}+ messages in thread\n\n"
            f"From: {esc(x.from_name)} @ {x.date.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
            f'(<a\nhref="../../{qmid(x.msgid)}/">permalink</a> / '
            f'<a\nhref="../../{qmid(x.msgid)}/raw">raw</a>)\n\n'
            f"{esc(x.body)}</pre>"
            f'<pre><a\nhref="../../{qmid(x.msgid)}/">permalink</a> '
            f'<a\nhref="../../{qmid(x.msgid)}/raw">raw</a> '
            f'<a\nhref="../../{qmid(x.msgid)}/#R">reply</a>\t[<a\nhref="#r{h}">flat</a>|'
            f'<a\nhref="../../{qmid(x.msgid)}/t/#u">nested</a>] {len(thread)}+ messages in thread'
            "</pre><hr>"
        )
    return (
        f"<html><head><title>{esc(root.subject)} - {esc(root.from_name)}</title></head><body>"
        + "".join(blocks)
        + "</body></html>"
    )


# ---------------------------------------------------------------- Atom search

_TERM = re.compile(r'(\w+):"([^"]*)"|(\w+):(\S+)|"([^"]*)"|(\S+)')


def _parse_q(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _TERM.finditer(q):
        if m.group(1):
            out.append((m.group(1), m.group(2)))
        elif m.group(3):
            out.append((m.group(3), m.group(4)))
        else:
            out.append(("", m.group(5) or m.group(6)))
    return out


def _date_ok(d: dt.datetime, spec: str) -> bool:
    lo, _, hi = spec.partition("..")
    day = d.astimezone(dt.UTC).strftime("%Y%m%d")
    if ".." not in spec:
        return day == lo.replace("-", "")
    if lo and day < lo.replace("-", ""):
        return False
    return not (hi and day > hi.replace("-", ""))


def _matches(m: Message, terms: list[tuple[str, str]]) -> bool:
    for key, val in terms:
        v = val.lower()
        if key == "s":
            ok = v in m.subject.lower()
        elif key == "f":
            ok = v in m.from_name.lower() or v in m.from_email.lower()
        elif key == "d":
            ok = _date_ok(m.date, val)
        elif key == "m":
            ok = m.msgid == val.strip("<>")
        else:
            ok = v in m.subject.lower() or v in m.body.lower()
        if not ok:
            return False
    return True


def search(world: World, list_name: str, q: str) -> list[Message]:
    """Every mail of ``list_name`` matching ``q``, newest first: terms joined by
    spaces must all match (AND), groups joined by ``OR`` are alternatives (as
    Xapian's query parser reads ``m:a OR m:b``)."""
    groups: list[list[tuple[str, str]]] = [[]]
    for term in _parse_q(q):
        if term == ("", "OR"):
            groups.append([])
        else:
            groups[-1].append(term)
    groups = [g for g in groups if g]
    if groups and all(len(g) == 1 and g[0][0] == "m" for g in groups):
        # only message-ids (a batch lookup): answer from the index, as Xapian does,
        # rather than reading every message of a 250,000-mail benchmark world
        found = (world.messages.get(g[0][1].strip("<>")) for g in groups)
        pool: Iterable[Message] = {m.msgid: m for m in found if m is not None}.values()
    else:
        pool = world.messages.values()
    hits = []
    for m in pool:
        if list_name != "all" and list_name not in m.lists:
            continue
        if any(_matches(m, g) for g in groups):
            hits.append(m)
    hits.sort(key=lambda x: x.date, reverse=True)
    return hits


def _search(world: World, list_name: str, query: str) -> WebResponse:
    params = parse_qs(query)
    q = params.get("q", [""])[0]
    offset = params.get("o", ["0"])[0]
    start = int(offset) if offset.isdigit() else 0
    hits = search(world, list_name, q)[start : start + PAGE]
    if params.get("x", [""])[0] != "A":
        rows = "".join(
            f'<a\nhref="{qmid(m.msgid)}/">{esc(m.subject)}</a>\n - by {esc(m.from_name)} @ '
            f"{m.date.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC\n"
            for m in hits
        )
        return page(
            f"<html><head><title>{esc(q)} - search results</title></head><body>"
            f"<pre>{rows}</pre></body></html>"
        )
    now = hits[0].date.astimezone(dt.UTC) if hits else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    entries = []
    for m in hits:
        entries.append(
            f"<entry><author><name>{esc(m.from_name)}</name><email>{esc(m.from_email)}</email>"
            f"</author><title>{esc(m.subject)}</title>"
            f"<updated>{m.date.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}</updated>"
            f'<link\nhref="{BASE}/{list_name}/{qmid(m.msgid)}/"/>'
            f"<id>urn:uuid:{_h(m.msgid):032x}</id>"
            + (
                f'<thr:in-reply-to\nref="urn:uuid:{_h(m.in_reply_to):032x}"\n'
                f'href="{BASE}/{list_name}/{qmid(m.in_reply_to)}/"/>'
                if m.in_reply_to
                else ""
            )
            + '<content\ntype="xhtml"><div\nxmlns="http://www.w3.org/1999/xhtml">'
            f'<pre\nstyle="white-space:pre-wrap">{esc(m.body)}</pre></div></content></entry>'
        )
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed\nxmlns="http://www.w3.org/2005/Atom"\nxmlns:thr="http://purl.org/syndication/thread/1.0">'
        f"<title>{esc(q)} - search results</title>"
        f'<link\nrel="alternate"\ntype="text/html"\nhref="{BASE}/{list_name}/?q={esc(q)}"/>'
        f"<id>{BASE}/{list_name}/</id><updated>{now:%Y-%m-%dT%H:%M:%SZ}</updated>"
        + "".join(entries)
        + "</feed>"
    )
    return page(feed, ctype=ATOM)
