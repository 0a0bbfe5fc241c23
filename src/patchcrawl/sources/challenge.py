"""Bot walls: Anubis (kernel.org since April 2025), Cloudflare, a bare 401/403.

A challenge page is never content: reading its ``<title>`` as the series
title would turn a blocked link into a false title mismatch.  The markers are
matched where only a wall puts them (the page title, a ``<script id=...>``
tag, a response header), so a list message that merely *discusses* Anubis is
still read as a message.
"""

from __future__ import annotations

import re

from patchcrawl.models import Response

_TITLE = re.compile(rb"<title[^>]*>\s*([^<]{0,200}?)\s*</title>", re.I)
_ANUBIS_TITLES = (b"Making sure you&#39;re not a bot!", b"Making sure you're not a bot!")
_ANUBIS_SCRIPT = re.compile(rb"<script[^>]+id=[\"']?anubis_challenge", re.I)
_CF_TITLES = (b"Just a moment...", b"Attention Required! | Cloudflare")
_CF_SCRIPT = re.compile(rb"<script[^>]*src=[\"'][^\"']*/cdn-cgi/challenge-platform/", re.I)


def detect(resp: Response) -> str | None:
    """Name the wall in front of ``resp`` (``anubis challenge``...), or None."""
    head = resp.body[:65536]
    m = _TITLE.search(head)
    title = m.group(1) if m else b""
    if title in _ANUBIS_TITLES or _ANUBIS_SCRIPT.search(head):
        return "anubis challenge"
    if (resp.header("cf-mitigated") or "").lower() == "challenge" or title in _CF_TITLES:
        return "cloudflare challenge"
    if resp.status in (403, 503) and (_CF_SCRIPT.search(head) or b"window._cf_chl_opt" in head):
        return "cloudflare challenge"
    if resp.status == 403:
        return "403 forbidden"
    if resp.status == 401:
        return "401 unauthorized"
    return None
