"""Title and name helpers shared by ``audit`` and ``rescue``.

Rules (also in the README):

* **Normalising a title**: NFKC, leading ``Re:``/``Fwd:`` and ``[PATCH ...]``
  bracket groups dropped, quotes and backticks dropped, lowercased, runs of
  whitespace collapsed, trailing punctuation (``.,;:!?`` and the CJK full stop)
  dropped.
* **Subsystem prefix**: ``sched/fair:``, ``mm, page_alloc:``, ``KVM: x86:`` at the
  start of a title.  Two titles are also compared with the prefixes removed, so a
  prefix present on one side only (or a different prefix) is never a difference.
* **Similarity**: the larger of :func:`difflib.SequenceMatcher` ratio and token
  Jaccard over the normalised titles, with and without the prefix.  Titles are the
  same when the similarity is at least :data:`TITLE_THRESHOLD` (0.8): a typo or a
  dropped word is forgiven, another series' subject is not.
* **Chinese descriptions**: a table title whose letters are at least
  :data:`CJK_DESCRIPTION_SHARE` (30 %) CJK characters is a description written in
  Chinese, not the mail subject, and is never compared with it.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

TITLE_THRESHOLD = 0.8
CJK_DESCRIPTION_SHARE = 0.3

_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002ffff]"
)
_REPLY = re.compile(r"^\s*(?:(?:re|fwd?|aw)\s*:\s*)+", re.IGNORECASE)
_BRACKETS = re.compile(r"^\s*(?:\[[^\]]*\]\s*)+")
_QUOTES = re.compile("[`'\"\u2018\u2019\u201c\u201d\u300c\u300d]")
_TRAILING = re.compile(r"[\s.,;:!?\u3002\uff0c\uff1b\uff1a\uff01\uff1f]+$")
_SPACE = re.compile(r"\s+")
_PREFIX = re.compile(r"^(?:[\w][\w./+\-]*(?:\s*,\s*[\w][\w./+\-]*)*\s*:\s+)+")
_TOKEN = re.compile(r"[\w.+\-/]+")


def cjk_share(text: str) -> float:
    """Share of CJK characters among the letters and digits of ``text`` (0.0 when none)."""
    if text.isascii():
        return 0.0  # the common case, without looking at each character
    letters = sum(1 for ch in text if ch.isalnum())
    if not letters:
        return 0.0
    return sum(1 for ch in _CJK.findall(text) if ch.isalnum()) / letters


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def is_description(text: str) -> bool:
    """Whether a table title is a Chinese description rather than a mail subject."""
    return cjk_share(text) >= CJK_DESCRIPTION_SHARE


@functools.lru_cache(maxsize=8192)  # a row's title is compared with each link's
def normalise_title(text: str) -> str:
    """Lowercased subject without ``[PATCH ..]``, quotes, extra space or trailing punctuation."""
    t = unicodedata.normalize("NFKC", text)
    t = _SPACE.sub(" ", t).strip()
    while True:
        before = t
        t = _REPLY.sub("", t)
        t = _BRACKETS.sub("", t)
        if t == before:
            break
    t = _QUOTES.sub("", t)
    t = _SPACE.sub(" ", t.lower()).strip()
    return _TRAILING.sub("", t)


def strip_subsystem(normalised: str) -> str:
    """``sched/fair: foo`` -> ``foo`` (on an already normalised title)."""
    out = _PREFIX.sub("", normalised, count=1).strip()
    return out or normalised


def _ratio(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    seq = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    ta, tb = set(_TOKEN.findall(a)), set(_TOKEN.findall(b))
    jac = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    return max(seq, jac)


def title_similarity(one: str, two: str) -> float:
    """0..1: how alike two titles are after normalising, with and without subsystem prefix."""
    a, b = normalise_title(one), normalise_title(two)
    return max(_ratio(a, b), _ratio(strip_subsystem(a), strip_subsystem(b)))


def titles_match(one: str, two: str, threshold: float = TITLE_THRESHOLD) -> bool:
    return title_similarity(one, two) >= threshold


# --------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------

_ASIDE = re.compile(r"\([^)]*\)|（[^）]*）")
_NAME_NOISE = re.compile(r"[\"'`<>]|等$|\bet al\.?$", re.IGNORECASE)


def name_tokens(name: str) -> frozenset[str]:
    """Lowercased, accent-free words of a display name, asides in parentheses dropped."""
    t = _ASIDE.sub(" ", unicodedata.normalize("NFKC", name)).strip()
    t = _NAME_NOISE.sub(" ", t)
    t = "".join(
        ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch)
    ).lower()
    return frozenset(w for w in re.split(r"[\s,.\-_]+", t) if w)


def looks_like_email(text: str) -> bool:
    return re.fullmatch(r"\s*[^\s@<>]+@[^\s@<>]+\s*", text) is not None
