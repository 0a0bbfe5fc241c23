"""LWN.net: articles (open and subscriber-only) and the ``/ml/<list>/<msgid>/`` mail mirror."""

from __future__ import annotations

import email.utils
from urllib.parse import unquote

from patchcrawl.testweb.http import WebRequest, WebResponse
from patchcrawl.testweb.sites.common import esc, not_found, page
from patchcrawl.testweb.world import LwnArticle, Message, World


def _frame(title: str, inner: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{esc(title)} [LWN.net]</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="https://static.lwn.net/images/favicon.png" type="image/png">'
        '</head><body><div class="Page"><div class="topnav-container"><a href="/">LWN.net'
        '</a> News from the source</div><div class="middlecolumn">'
        f"{inner}</div></div></body></html>"
    )


def _byline(a: LwnArticle) -> str:
    day = f"{a.date:%B} {a.date.day}, {a.date.year}"
    if a.kind == "guest":
        return (
            f'<div class="GAByline"><p>{day}</p><p>This article was contributed by '
            f"{esc(a.author)}</p></div>"
        )
    if a.kind == "brief":
        return f'<div class="Byline">[Posted {day} by {esc(a.author.split()[0].lower())}]</div>'
    return f'<div class="FeatureByline">By <b>{esc(a.author)}</b><br>{day}</div>'


def article_html(a: LwnArticle) -> str:
    if a.paywalled:
        return _frame(
            "Subscription required",
            '<div class="PageHeadline"><h1>Subscription required</h1></div>'
            '<div class="ArticleText"><p>The page you have tried to view '
            f'(<a href="/Articles/{a.id}/">{esc(a.title)}</a>) is currently available to LWN '
            "subscribers only.</p><p>Reader subscriptions are a necessary way to fund the "
            "continued existence of LWN and the quality of its content.</p>"
            '<p>If you are already an LWN.net subscriber, please <a href="/Login/">log in</a>.'
            "</p></div>",
        )
    return _frame(
        a.title,
        f'<div class="PageHeadline"><h1>{esc(a.title)}</h1></div>'
        f'<div class="ArticleText">{_byline(a)}<p>Some text about {esc(a.title)}.</p>'
        "<p>Comments (12 posted)</p></div>",
    )


def ml_html(m: Message, list_name: str) -> str:
    rows = (
        f"<b>From</b>: {esc(m.from_header)}<br>"
        f"<b>To</b>: {esc(list_name)}@vger.kernel.org<br>"
        f"<b>Subject</b>: {esc(m.subject)}<br>"
        f"<b>Date</b>: {email.utils.format_datetime(m.date)}<br>"
        f"<b>Message-ID</b>: &lt;{esc(m.msgid)}&gt;<br>"
    )
    return _frame(
        m.subject,
        f'<div class="PageHeadline"><h1>{esc(m.subject)}</h1></div>'
        f'<div class="ArticleText"><p>{rows}</p><pre>{esc(m.body)}</pre></div>',
    )


def handle(world: World, req: WebRequest) -> WebResponse:
    segs = [unquote(s) for s in req.path.split("/")[1:]]
    if len(segs) >= 2 and segs[0] == "Articles" and segs[1].isdigit():
        a = world.lwn.get(int(segs[1]))
        if a is None:
            return not_found("Item not found [LWN.net]")
        return page(article_html(a))
    if len(segs) >= 3 and segs[0] == "ml":
        m = world.message(segs[2])
        if m is None:
            return not_found("Not found [LWN.net]")
        return page(ml_html(m, segs[1]))
    return not_found("Not found [LWN.net]")
