"""Every other host: msgid redirectors, cgit, lkml.org and a generic page."""

from __future__ import annotations

import email.utils
from urllib.parse import parse_qs

from patchcrawl.testweb.http import WebRequest, WebResponse
from patchcrawl.testweb.sites.common import esc, not_found, page, redirect
from patchcrawl.testweb.world import Commit, LkmlOrgPost, World


def cgit_html(c: Commit) -> str:
    when = c.date.strftime("%Y-%m-%d %H:%M:%S %z")
    return (
        "<!DOCTYPE html><html lang='en'><head><title>kernel/git/torvalds/linux.git - Linux kernel "
        "source tree</title><meta name='generator' content='cgit 1.2.3-korg'/></head><body>"
        "<div id='cgit'><table id='header'><tr><td class='main'><a href='/'>index</a> : "
        "<a href='/pub/scm/linux/kernel/git/torvalds/linux.git/'>kernel/git/torvalds/linux.git"
        "</a></td></tr></table><div class='content'>"
        "<table summary='commit info' class='commit-info'>"
        f"<tr><th>author</th><td>{esc(c.author_name)} &lt;{esc(c.author_email)}&gt;</td>"
        f"<td class='right'>{when}</td></tr>"
        f"<tr><th>committer</th><td>Linus Torvalds &lt;torvalds@linux-foundation.org&gt;</td>"
        f"<td class='right'>{when}</td></tr>"
        f"<tr><th>commit</th><td colspan='2' class='sha1'><a href='/pub/scm/linux/kernel/git/"
        f"torvalds/linux.git/commit/?id={c.sha}'>{c.sha}</a> (<a href='/pub/scm/linux/kernel/git/"
        f"torvalds/linux.git/patch/?id={c.sha}'>patch</a>)</td></tr></table>"
        f"<div class='commit-subject'>{esc(c.subject)}</div>"
        f"<div class='commit-msg'>{esc(c.subject)}\n\nSigned-off-by: {esc(c.author_name)}</div>"
        "</div></div></body></html>"
    )


def lkml_org_html(p: LkmlOrgPost) -> str:
    return (
        f"<html><head><title>LKML: {esc(p.author_name)}: {esc(p.subject)}</title></head><body>"
        '<table><tr><td class="c" itemscope itemtype="http://schema.org/Article"><table>'
        f'<tr><td class="lp">Date</td><td class="rp" itemprop="datePublished">'
        f"{email.utils.format_datetime(p.date)}</td></tr>"
        f'<tr><td class="lp">From</td><td class="rp" itemprop="author">{esc(p.author_name)} '
        f"&lt;&gt;</td></tr>"
        f'<tr><td class="lp">Subject</td><td class="rp" itemprop="name">{esc(p.subject)}</td></tr>'
        '</table><pre itemprop="articleBody">Hello.</pre></td></tr></table></body></html>'
    )


def handle(world: World, req: WebRequest) -> WebResponse:
    host = req.host.lower()
    path = req.path
    key = f"{host}{path}" + (f"?{req.query}" if req.query else "")
    g = world.generic.get(key)
    if g is not None:
        if g.location:
            return redirect(g.location, g.status)
        body = g.body or (
            f"<html><head><title>{esc(g.title or '')}</title></head>"
            f"<body><h1>{esc(g.title or '')}</h1></body></html>"
        )
        return page(body, g.status)
    if host == "lkml.kernel.org" and path.startswith("/r/"):
        return redirect(f"https://lore.kernel.org/r/{path[3:].strip('/')}", 302)
    if host in ("msgid.link", "patch.msgid.link"):
        mid = path.strip("/")
        if mid.startswith("r/"):
            mid = mid[2:]
        return redirect(f"https://lore.kernel.org/r/{mid}", 302)
    if host == "git.kernel.org":
        if "/commit/" in path:
            sha = parse_qs(req.query).get("id", [""])[0]
            c = world.commits.get(sha)
            if c is None:
                return page(
                    "<html><head><title>kernel/git/torvalds/linux.git - Linux kernel "
                    "source tree</title></head><body><div class='error'>Bad object id: "
                    f"{esc(sha)}</div></body></html>",
                    404 if not sha else 200,
                )
            return page(cgit_html(c))
        return page("<html><head><title>Kernel.org git repositories</title></head></html>")
    if host in ("lkml.org", "www.lkml.org"):
        p = world.lkml_org.get(path.removeprefix("/lkml/").strip("/"))
        return page(lkml_org_html(p)) if p else not_found()
    return page(
        f"<html><head><title>{esc(host)}{esc(path)}</title></head>"
        f"<body><p>{esc(host)}</p></body></html>"
    )
