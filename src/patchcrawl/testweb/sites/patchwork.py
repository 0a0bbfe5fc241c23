"""Patchwork (patchwork.kernel.org, patches.linaro.org, patchwork.ozlabs.org): HTML and REST API.

Web pages ``/project/<p>/{patch,cover}/<msgid>/`` (numeric ``/patch/N/`` and
``/cover/N/`` redirect there), ``<title>NAME - Patchwork</title>``, ``<h1>``,
``table#patch-meta`` and ``div.submission-message > div.meta``.  REST API
``/api/1.2/{patches,covers,series}/<id>/`` and ``?msgid=`` lookups.  Names
drop "PATCH" and join the other bracket words with commas: ``[v3,0/2] Title``.
"""

from __future__ import annotations

import datetime as dt
import re
from email.header import Header, decode_header, make_header
from email.parser import HeaderParser
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote

from patchcrawl.testweb.http import WebRequest, WebResponse
from patchcrawl.testweb.sites.common import as_json, esc, not_found, page, qmid, redirect
from patchcrawl.testweb.world import Message, PatchworkItem, PatchworkSeries, World

_BRACKET = re.compile(r"^\s*\[([^\]]*)\]\s*")


def pw_name(subject: str) -> str:
    """``[RFC PATCH v3 net-next 0/7] Title`` -> ``[RFC,v3,net-next,0/7] Title``."""
    rest = subject
    if rest.lower().startswith("re:"):
        rest = rest[3:].lstrip()
    toks: list[str] = []
    while True:
        m = _BRACKET.match(rest)
        if not m:
            break
        rest = rest[m.end() :]
        for t in re.sub(r"(?i)patch(v\d+)", r"PATCH \1", m.group(1)).split():
            if t.lower() != "patch":
                toks.append(t)
    return (f"[{','.join(toks)}] " if toks else "") + rest


_AP_MONTHS = [
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
]


def django_date(d: dt.datetime) -> str:
    """Django's default DATETIME_FORMAT ``N j, Y, P`` of the naive UTC time patchwork stores."""
    u = d.astimezone(dt.UTC)
    if (u.hour, u.minute) == (0, 0):
        clock = "midnight"
    elif (u.hour, u.minute) == (12, 0):
        clock = "noon"
    else:
        h12 = u.hour % 12 or 12
        clock = f"{h12}{f':{u.minute:02d}' if u.minute else ''} {'a.m.' if u.hour < 12 else 'p.m.'}"
    return f"{_AP_MONTHS[u.month - 1]} {u.day}, {u.year}, {clock}"


def _utc(d: dt.datetime) -> str:
    return d.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def handle(world: World, req: WebRequest) -> WebResponse:
    host = req.host.lower()
    segs = [unquote(s) for s in req.path.split("/")[1:]]
    if segs and segs[0] == "api":
        return _api(world, host, segs[1:], req.query)
    if len(segs) >= 2 and segs[0] in ("patch", "cover") and segs[1].isdigit():
        n = int(segs[1])
        item = world.patchwork.get((host, n))
        if (host, n) in world.soft404_patchwork:
            return _soft404()
        if item is None or item.type != segs[0]:
            return not_found()
        return redirect(f"/project/{item.project}/{item.type}/{qmid(item.msgid)}/", 301)
    if len(segs) >= 4 and segs[0] == "project" and segs[2] in ("patch", "cover"):
        if len(segs) == 4:
            return redirect(req.path + "/", 301)
        item = _by_msgid(world, host, segs[3])
        if item is None or item.type != segs[2] or item.project != segs[1]:
            return not_found()
        if (host, item.id) in world.soft404_patchwork:
            return _soft404()
        return page(item_html(world, item))
    if len(segs) >= 3 and segs[0] == "project" and segs[2] == "list":
        sid = parse_qs(req.query).get("series", [""])[0]
        s = world.patchwork_series.get((host, int(sid))) if sid.isdigit() else None
        if s is None:
            return page(
                "<html><head><title>Patchwork</title></head><body><h1>Patches</h1>"
                "<p>No patches to display</p></body></html>"
            )
        return page(_series_html(world, s))
    return not_found()


def _soft404() -> WebResponse:
    return page(
        '<html><head><title>Patchwork</title></head><body><div id="content">'
        "<h1>No such patch</h1><p>The patch you requested does not exist.</p>"
        "</div></body></html>"
    )


def _by_msgid(world: World, host: str, msgid: str) -> PatchworkItem | None:
    return world.pw_by_msgid(host, msgid.strip("<>"))


def pw_headers(m: Message) -> str:
    """The ``#patch-headers`` text: every header of the mail as patchwork keeps it.

    Patchwork (``patchwork/parser.py``, ``find_headers``) stores each header of the mail
    decoded, re-made with ``email.header.make_header(..., continuation_ws='\\t')`` and
    written back with ``Header.encode()``: RFC 2047 words for what is not ASCII, lines
    folded at 76 columns with a tab.  A real mail (``m.headers``) keeps all its headers;
    a simulated one gets the headers a list delivery carries, a Received line first.
    """
    if m.headers is not None:
        items = list(HeaderParser().parsestr(m.headers.rstrip() + "\n\n").items())
    else:
        items = [
            (
                "Received",
                "from mail.kernel.org (mail.kernel.org [10.30.226.201])"
                " by smtp.subspace.kernel.org"
                f" (Postfix) with ESMTPS id 4A1B2C3D4E for <{m.list}@vger.kernel.org>;"
                f" {format_datetime(m.date)}",
            ),
            ("From", _raw_from(m)),
            ("To", ", ".join(f"{lst}@vger.kernel.org" for lst in m.lists)),
            ("Subject", Header(m.subject, "utf-8").encode() if m.encode_headers else m.subject),
            ("Date", format_datetime(m.date)),
            ("Message-ID", f"<{m.msgid}>"),
        ]
        if m.in_reply_to:
            items += [("In-Reply-To", f"<{m.in_reply_to}>"), ("References", f"<{m.in_reply_to}>")]
        items += [("X-Mailing-List", f"{m.list}@vger.kernel.org"), ("MIME-Version", "1.0")]
    lines = []
    for key, value in items:
        made = make_header(decode_header(str(value)), header_name=key, continuation_ws="\t")
        lines.append(f"{key}: {made.encode()}")
    return "\n".join(lines)


def _raw_from(m: Message) -> str:
    """The From line as the mail carries it (RFC 2047 when the message says so)."""
    if m.encode_headers and m.from_name:
        return f"{Header(m.from_name, 'utf-8').encode()} <{m.from_email}>"
    return m.from_header


def _series_members_html(world: World, item: PatchworkItem, s: PatchworkSeries) -> str:
    """``div#patch-series`` as patchwork's ``submission.html`` writes it: the cover
    letter first (a link, or this page's own name, or an empty item when the series has
    none), then every patch, each name cut at 100 characters (``truncatechars``)."""

    def entry(other: PatchworkItem) -> str:
        name = pw_name(world.messages[other.msgid].subject)
        name = name if len(name) <= 100 else name[:99] + "\u2026"
        if other.id == item.id:
            return f"<li>{esc(name)}</li>"
        href = f"/project/{other.project}/{other.type}/{qmid(other.msgid)}/"
        return f'<li><a href="{href}">{esc(name)}</a></li>'

    cover = world.patchwork.get((s.host, s.cover_id)) if s.cover_id else None
    items = [entry(cover) if cover else "<li></li>"]
    items += [entry(world.patchwork[(s.host, pid)]) for pid in s.patch_ids]
    return (
        '<button id="toggle-patch-series">expand</button><div id="patch-series" '
        f'class="submission-list" style="display:none;"><ul>{"".join(items)}</ul></div>'
    )


def item_html(world: World, item: PatchworkItem) -> str:
    m = world.messages[item.msgid]
    s = world.patchwork_series.get((item.host, item.series_id or -1))
    name = pw_name(m.subject)
    series_row = ""
    if s is not None:
        series_row = (
            f'<tr><th>Series</th><td><a href="/project/{s.project}/list/?series={s.id}">'
            f"{esc(s.name)}</a> | {_series_members_html(world, item, s)}</td></tr>"
        )
    headers = esc(pw_headers(m))
    h2 = "Message" if item.type == "cover" else "Commit Message"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">'
        f"<title>{esc(name)} - Patchwork</title>"
        '<link rel="stylesheet" type="text/css" href="/static/css/style.css"/></head><body>'
        '<nav class="navbar navbar-inverse navbar-static-top"><div class="navbar-header">'
        f'<a class="navbar-brand" href="/">Patchwork</a> <a href="/project/{item.project}/list/">'
        f'{esc(item.project)}</a></div></nav><div id="content" class="container-fluid">'
        f'<div class="patch-header"><h1>{esc(name)}</h1></div>'
        f'<table id="patch-meta" class="patch-meta" data-submission-type="{item.type}" '
        f'data-submission-id="{item.id}"><tr><th>Message ID</th>'
        f'<td>{esc(m.msgid)} (<a href="https://lore.kernel.org/r/{qmid(m.msgid)}">mailing '
        "list archive</a>)</td></tr>"
        "<tr><th>State</th><td>Accepted</td></tr>"
        '<tr><th>Headers</th><td><button id="toggle-patch-headers">show</button>'
        f'<div id="patch-headers" class="patch-headers" style="display:none;"><pre>{headers}'
        f"</pre></div></td></tr>{series_row}</table>"
        f'<div class="submission-message"><h2>{h2}</h2><div class="meta">'
        f'<span><a href="/project/{item.project}/list/?submitter=4242">{esc(m.from_name)}</a>'
        f'</span> <span class="message-date">{django_date(m.date)}'
        f' UTC</span></div><pre class="content">{esc(m.body)}</pre></div></div></body></html>'
    )


def _series_html(world: World, s: PatchworkSeries) -> str:
    items = [world.patchwork[(s.host, pid)] for pid in s.patch_ids]
    rows = "".join(
        f'<tr><td><a href="/project/{s.project}/patch/{qmid(it.msgid)}/">'
        f"{esc(pw_name(world.messages[it.msgid].subject))}</a></td></tr>"
        for it in items
    )
    return (
        f"<html><head><title>{esc(s.project)} - Patchwork</title></head><body>"
        f'<table class="patch-list" id="patch-list">{rows}</table></body></html>'
    )


# ---------------------------------------------------------------- REST API


def _base(host: str) -> str:
    return f"https://{host}"


def _series_ref(world: World, s: PatchworkSeries) -> dict[str, object]:
    b = _base(s.host)
    return {
        "id": s.id,
        "url": f"{b}/api/1.2/series/{s.id}/",
        "web_url": f"{b}/project/{s.project}/list/?series={s.id}",
        "date": _utc(s.date),
        "name": s.name,
        "version": s.version,
        "mbox": f"{b}/series/{s.id}/mbox/",
    }


def item_json(world: World, item: PatchworkItem) -> dict[str, object]:
    m: Message = world.messages[item.msgid]
    b = _base(item.host)
    plural = "patches" if item.type == "patch" else "covers"
    s = world.patchwork_series.get((item.host, item.series_id or -1))
    return {
        "id": item.id,
        "url": f"{b}/api/1.2/{plural}/{item.id}/",
        "web_url": f"{b}/project/{item.project}/{item.type}/{qmid(m.msgid)}/",
        "project": {
            "id": 1,
            "name": item.project,
            "link_name": item.project,
            "list_email": f"{item.project}@vger.kernel.org",
        },
        "msgid": f"<{m.msgid}>",
        "list_archive_url": f"https://lore.kernel.org/r/{qmid(m.msgid)}",
        "date": _utc(m.date),
        "name": pw_name(m.subject),
        "submitter": {"id": 4242, "name": m.from_name, "email": m.from_email},
        "series": [_series_ref(world, s)] if s else [],
        "mbox": f"{b}/project/{item.project}/{item.type}/{qmid(m.msgid)}/mbox/",
    }


def series_json(world: World, s: PatchworkSeries) -> dict[str, object]:
    d = _series_ref(world, s)
    cover = world.patchwork.get((s.host, s.cover_id)) if s.cover_id else None
    d["total"] = s.total
    d["received_total"] = len(s.patch_ids)
    d["submitter"] = {"id": 4242, "name": s.submitter[0], "email": s.submitter[1]}
    d["cover_letter"] = None
    if cover is not None:
        cj = item_json(world, cover)
        d["cover_letter"] = {k: cj[k] for k in ("id", "url", "web_url", "msgid", "date", "name")}
    keep = ("id", "url", "web_url", "msgid", "date", "name", "mbox")
    d["patches"] = [
        {k: v for k, v in item_json(world, world.patchwork[(s.host, pid)]).items() if k in keep}
        for pid in s.patch_ids
    ]
    return d


def _api(world: World, host: str, segs: list[str], query: str) -> WebResponse:
    if segs and re.fullmatch(r"\d+\.\d+", segs[0]):
        segs = segs[1:]
    segs = [s for s in segs if s]
    if not segs or segs[0] not in ("patches", "covers", "series"):
        return as_json({"detail": "Not found."}, 404)
    kind = segs[0]
    if len(segs) == 1:
        msgid = parse_qs(query).get("msgid", [""])[0].strip("<>")
        if kind == "series" or not msgid:
            return as_json([])
        item = world.pw_by_msgid(host, msgid)
        want = "patch" if kind == "patches" else "cover"
        return as_json([item_json(world, item)] if item and item.type == want else [])
    if not segs[1].isdigit():
        return as_json({"detail": "Not found."}, 404)
    n = int(segs[1])
    if kind == "series":
        s = world.patchwork_series.get((host, n))
        return as_json(series_json(world, s)) if s else as_json({"detail": "Not found."}, 404)
    item = world.patchwork.get((host, n))
    if item is None or item.type != ("patch" if kind == "patches" else "cover"):
        return as_json({"detail": "Not found."}, 404)
    return as_json(item_json(world, item))
