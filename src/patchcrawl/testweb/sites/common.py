"""Helpers shared by the simulated sites."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from patchcrawl.testweb.http import WebResponse

HTML = "text/html; charset=UTF-8"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def qmid(msgid: str) -> str:
    """Quote a message-id for a URL path the way public-inbox does (``@`` kept)."""
    return quote(msgid, safe="@!$&'()*+,;=:~-._")


def page(body: str, status: int = 200, ctype: str = HTML) -> WebResponse:
    return WebResponse(status, {"content-type": ctype}, body.encode("utf-8"))


def redirect(location: str, status: int = 301) -> WebResponse:
    return WebResponse(
        status,
        {"location": location, "content-type": HTML},
        f'<html><body>Moved <a href="{esc(location)}">here</a></body></html>'.encode(),
    )


def as_json(obj: object, status: int = 200) -> WebResponse:
    return WebResponse(
        status, {"content-type": "application/json"}, json.dumps(obj, indent=1).encode()
    )


def not_found(text: str = "Not Found") -> WebResponse:
    return page(
        f"<html><head><title>{esc(text)}</title></head><body><h1>{esc(text)}</h1></body></html>",
        404,
    )


ANUBIS = """<!doctype html><html lang="en"><head><title>Making sure you&#39;re not a bot!</title>
<link rel="stylesheet" href="/.within.website/x/xess/xess.min.css">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<script id="anubis_version" type="application/json">"v1.15.0"</script>
<script id="anubis_challenge" type="application/json">
{"challenge":"4a1f","rules":{"difficulty":4}}</script>
</head><body id="top"><main>
<h1 id="title" class="centered-div">Making sure you&#39;re not a bot!</h1>
<div class="centered-div">
<img id="image" src="/.within.website/x/cmd/anubis/static/img/pensive.webp">
<p id="status">Loading...</p><p>Protected by <a href="https://github.com/TecharoHQ/anubis">Anubis</a>
From Techaro.</p></div></main></body></html>"""

CLOUDFLARE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper" role="main">
<div class="main-content"><noscript><div class="h2"><span id="challenge-error-text">Enable
JavaScript and cookies to continue</span></div></noscript></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'example.org',cType: 'managed'};
var a=document.createElement('script');
a.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1';
document.getElementsByTagName('head')[0].appendChild(a);}());</script></body></html>"""


def challenge(mode: str) -> WebResponse:
    if mode == "cloudflare":
        r = page(CLOUDFLARE, 403)
        r.headers["cf-mitigated"] = "challenge"
        r.headers["server"] = "cloudflare"
        return r
    if mode == "403":
        return page(
            "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>",
            403,
        )
    return page(ANUBIS, 200)
