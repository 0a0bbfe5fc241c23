"""Links in a piece of inline markdown: where each URL and its text are.

No network, no positions beyond the string: :mod:`patchcrawl.tables` turns these char
indexes into lines, columns and bytes.

:func:`extract_links` walks the string from one candidate token to the next
(:data:`_CAND`) and hands each to the reader of its form (:data:`_READERS`), in the
order CommonMark gives them precedence where they meet:

* a code span (`` ` ``) hides everything inside it;
* ``[text](dest)`` and ``![alt](src)`` (an image inside a link's text comes first);
* ``<a href="...">`` and ``<scheme:...>`` autolinks;
* a bare ``http(s)://`` URL, GFM's extended autolink, cut where CJK text, markup or
  trailing punctuation begins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_CAND = re.compile(r"`+|!?\[|<|https?://", re.IGNORECASE)
_A_HREF = re.compile(r"<a\s[^>]*?\bhref\s*=\s*([\"'])(.*?)\1[^>]*>", re.IGNORECASE | re.DOTALL)
_A_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>")
# characters that end a bare URL: whitespace, markup, CJK text and punctuation
_BARE_STOP = re.compile(
    r"[\s<>\"`|\u2018-\u201f\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
_TRAIL = ".,;:!?*_~'"
_OPENER = {")": "(", "]": "["}


_BRACKETS = re.compile(r"\\.|[\[\]]", re.DOTALL)
_DEST_STOP = re.compile(r"\\.|[\s()]", re.DOTALL)


@dataclass(frozen=True, slots=True)
class RawLink:
    """A link found in a string: char indexes of the URL and of its text."""

    url_start: int
    url_end: int
    text_start: int | None
    text_end: int | None
    form: str  # inline, image, html, autolink, bare


def _match_brackets(s: str) -> dict[int, int]:
    """For each ``[`` of *s* that has one, the index of its matching ``]``.

    One pass with a stack, so that a line of thousands of unclosed brackets costs
    linear time rather than a scan to the end of the line for each of them.
    """
    closers: dict[int, int] = {}
    stack: list[int] = []
    for bm in _BRACKETS.finditer(s):
        ch = bm.group(0)
        if ch == "[":
            stack.append(bm.start())
        elif ch == "]" and stack:
            closers[stack.pop()] = bm.start()
    return closers


# CommonMark allows at most 32 levels of nested parentheses in a link destination;
# the bound also keeps nested pathological brackets from costing quadratic time
_MAX_DEST_PARENS = 32


def _bare_destination(s: str, k: int) -> int | None:
    """The end of a destination without ``<>`` starting at ``s[k]``: balanced
    parentheses kept, backslash escapes skipped; None past :data:`_MAX_DEST_PARENS`."""
    par = 0
    for dm in _DEST_STOP.finditer(s, k):
        ch = dm.group(0)
        if len(ch) == 2:  # backslash escape
            continue
        if ch == "(":
            par += 1
            if par > _MAX_DEST_PARENS:
                return None
            continue
        if ch == ")" and par:
            par -= 1
            continue
        return dm.start()
    return len(s)


def _destination(s: str, k: int) -> tuple[int, int, int] | None:
    """(url_start, url_end, next index) of the destination at ``s[k]`` (``<...>`` or
    bare), or None when there is none."""
    if k < len(s) and s[k] == "<":
        close = s.find(">", k + 1)
        if close < 0 or "\n" in s[k:close]:
            return None
        return k + 1, close, close + 1
    ue = _bare_destination(s, k)
    if ue is None:
        return None
    return k, ue, ue


def _after_title(s: str, k: int) -> int | None:
    """The index after an optional ``"title"`` / ``'title'`` / ``(title)`` at ``s[k]``
    and the blanks after it; None when the title is not closed."""
    n = len(s)
    if k < n and s[k] in "\"'(":
        closer = ")" if s[k] == "(" else s[k]
        close = s.find(closer, k + 1)
        if close < 0:
            return None
        k = close + 1
        while k < n and s[k] in " \t":
            k += 1
    return k


def _parse_inline(
    s: str, lb: int, closers: dict[int, int]
) -> tuple[int, int, int, int, int] | None:
    """``[text](dest "title")`` starting at ``s[lb] == '['``; *closers* is
    :func:`_match_brackets` of *s*.

    Returns (text_start, text_end, url_start, url_end, end) or None.
    """
    n = len(s)
    j = closers.get(lb)
    if j is None or j + 1 >= n or s[j + 1] != "(":
        return None
    k = j + 2
    while k < n and s[k] in " \t":
        k += 1
    dest = _destination(s, k)
    if dest is None:
        return None
    us, ue, k = dest
    while k < n and s[k] in " \t\r\n":
        k += 1
    after = _after_title(s, k)
    if after is None or after >= n or s[after] != ")":
        return None
    return lb + 1, j, us, ue, after + 1


def _bare_end(s: str, start: int) -> int:
    m = _BARE_STOP.search(s, start)
    end = m.start() if m else len(s)
    while end > start:
        ch = s[end - 1]
        if ch in _TRAIL:
            end -= 1
        elif ch in ")]" and s.count(_OPENER[ch], start, end) < s.count(ch, start, end):
            end -= 1  # an unbalanced closer belongs to the text around the URL
        else:
            break
    return end


class _Cursor:
    """One :func:`extract_links` walk: the string, the links so far, and what the
    inline reader works out once per string."""

    __slots__ = ("closers", "inline_possible", "out", "s")

    def __init__(self, s: str) -> None:
        self.s = s
        self.out: list[RawLink] = []
        self.closers: dict[int, int] | None = None  # computed on the first "[" only
        self.inline_possible = "](" in s  # no "](" anywhere: no "[" can start a link


def _code_span(cur: _Cursor, m: re.Match[str]) -> int:
    """A backtick run: skip to the closing run of the same length (nothing inside a
    code span is a link); an unclosed run is literal text."""
    s, tok = cur.s, m.group(0)
    n, run = len(s), len(tok)
    q = m.end()
    while True:
        q = s.find(tok, q)
        if q < 0:
            return m.end()
        e = q + run
        while e < n and s[e] == "`":
            e += 1
        if e - q == run:
            return e
        q = e


def _inline(cur: _Cursor, m: re.Match[str]) -> int:
    """``[text](url)`` or ``![alt](src)``; links inside the text (an image in a link)
    come first."""
    if not cur.inline_possible:
        return m.end()
    if cur.closers is None:
        cur.closers = _match_brackets(cur.s)
    tok = m.group(0)
    parsed = _parse_inline(cur.s, m.start() + len(tok) - 1, cur.closers)
    if parsed is None:
        return m.end()
    ts, te, us, ue, end = parsed
    cur.out.extend(
        RawLink(
            x.url_start + ts,
            x.url_end + ts,
            None if x.text_start is None else x.text_start + ts,
            None if x.text_end is None else x.text_end + ts,
            x.form,
        )
        for x in extract_links(cur.s[ts:te])
        if x.form in ("inline", "image", "html", "autolink")
    )
    cur.out.append(RawLink(us, ue, ts, te, "image" if tok == "![" else "inline"))
    return end


def _angle(cur: _Cursor, m: re.Match[str]) -> int:
    """``<a href="...">text</a>`` (its text when closed) or an ``<scheme:...>`` autolink."""
    s, p = cur.s, m.start()
    am = _A_HREF.match(s, p)
    if am:
        us, ue = am.start(2), am.end(2)
        cm = _A_CLOSE.search(s, am.end())
        if cm:
            cur.out.append(RawLink(us, ue, am.end(), cm.start(), "html"))
            return cm.end()
        cur.out.append(RawLink(us, ue, None, None, "html"))
        return am.end()
    al = _AUTOLINK.match(s, p)
    if al:
        cur.out.append(RawLink(al.start(1), al.end(1), None, None, "autolink"))
        return al.end()
    return p + 1


def _bare(cur: _Cursor, m: re.Match[str]) -> int:
    """A bare ``http(s)://`` URL (nothing after the scheme: no link)."""
    p = m.start()
    end = _bare_end(cur.s, p)
    if end - p > len(m.group(0)):
        cur.out.append(RawLink(p, end, None, None, "bare"))
    return max(end, m.end())


#: the reader of each candidate token, by its first character (:data:`_CAND`); each
#: returns the index to look for the next candidate from
_READERS: dict[str, Callable[[_Cursor, re.Match[str]], int]] = {
    "`": _code_span,
    "[": _inline,
    "!": _inline,
    "<": _angle,
    "h": _bare,
    "H": _bare,
}


def extract_links(s: str) -> list[RawLink]:
    """Every link in a piece of inline markdown, code spans skipped, in order."""
    m = _CAND.search(s)
    if m is None:
        return []  # most link texts: no walk to set up
    cur = _Cursor(s)
    while m is not None:
        m = _CAND.search(s, _READERS[m.group(0)[0]](cur, m))
    return cur.out


_SKIP_REL = re.compile(
    r"^(#|/(?!/)|\./|\.\./|mailto:|[^:/?#]+\.(md|markdown|png|jpe?g|gif|svg|webp|pdf|txt|html?)"
    r"([?#].*)?$)",
    re.IGNORECASE,
)
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HOSTISH = re.compile(r"^(www\.|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/)")


def wanted(url: str, in_row: bool) -> bool:
    """Is a link target a web reference to check (rather than a relative file/anchor)?"""
    if not url:
        return True  # ``[LWN]()``: an empty target is reported as malformed
    if url.startswith("//") or _HAS_SCHEME.match(url):
        return True
    if _SKIP_REL.match(url):
        return False
    if in_row:
        return True
    return "@" in url or bool(_HOSTISH.match(url))
