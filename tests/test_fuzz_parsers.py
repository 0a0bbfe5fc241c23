"""Every page parser against generated input: no exception may escape.

What a page says can never end a run (CONTRACT.md).  Each parser is fed arbitrary
bytes and, more usefully, real page samples (tests/data/pages) with a random slice
replaced by hostile text: encoded words in unknown charsets, impossible dates, stray
markup, NUL bytes, huge numbers.  The API readers get arbitrary JSON.  Each parser
sees ``PATCHCRAWL_FUZZ_EXAMPLES`` inputs: 500 in the README's test command (about
10 s), 10,000 in the step of ``.ci/run`` that runs this module alone (about 4 min);
hypothesis shrinks any failure to a small reproducer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchcrawl.models import Response
from patchcrawl.sources import cgit, challenge, generic, lkmlorg, lore, lwn, patchwork
from patchcrawl.sources._common import iso_date, mail_date, split_person, subject_info
from patchcrawl.sources.lore_search import parse_atom

FUZZ_EXAMPLES = int(os.environ.get("PATCHCRAWL_FUZZ_EXAMPLES", "500"))
PAGES = Path(__file__).parent / "data" / "pages"
SAMPLES = {p.name: p.read_bytes() for p in sorted(PAGES.iterdir()) if p.is_file()}

HOSTILE = [
    "=?idna?q?=FF?=",
    "=?punycode?b?AAAA?=",
    "=?undefined?q?x?=",
    "=?utf-8?q?=E4=B8?=",
    "=?x-unknown?B?////?=",
    "2024-13-45 99:61:00 +9999",
    "Tue, 45 Foo 2024 99:99:99 +9999",
    "Sept. 31, 2024, 13:75 p.m.",
    "99999999999999999999",
    "-1",
    "\x00",
    "&lt;",
    "&#xffffffff;",
    "<",
    "</pre>",
    '<a href="',
    "From: ",
    "\nSubject: ",
    "\nDate: ",
    "\nMessage-ID: <",
    "[PATCH v99999999999999999999 0/0]",
    "[PATCH 9/0]",
    "charset=idna",
    '<meta charset="undefined">',
    "\udcff",
    "\u202e",
    "<<>>",
    "@",
]

settings.register_profile(
    "fuzz",
    max_examples=FUZZ_EXAMPLES,
    # the same inputs every run: CI is reproducible, and a new failure is a new input
    # (PATCHCRAWL_FUZZ_RANDOM=1 explores new ones, for a developer hunting crashes)
    derandomize=not os.environ.get("PATCHCRAWL_FUZZ_RANDOM"),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
FUZZ = settings.get_profile("fuzz")


@st.composite
def page_bytes(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes, or a real page with a slice replaced by hostile text."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=3000))
    base = SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))]
    start = draw(st.integers(0, len(base)))
    end = draw(st.integers(start, min(len(base), start + 200)))
    pieces = draw(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)), max_size=6))
    junk = "".join(pieces).encode("utf-8", "surrogateescape")
    return base[:start] + junk + base[end:]


def response(body: bytes, ctype: str) -> Response:
    return Response("https://x/", "https://x/", 200, (("content-type", ctype),), body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
api_items = st.fixed_dictionaries(
    {},
    optional={
        k: json_values
        for k in ("name", "msgid", "date", "submitter", "series", "web_url", "version", "total")
    },
) | st.dictionaries(st.text(max_size=10), json_values, max_size=6)

BYTE_PARSERS: dict[str, Callable[[bytes], Any]] = {
    "lore.parse_message_page": lore.parse_message_page,
    "lore.parse_raw": lore.parse_raw,
    "lore.parse_thread": lambda b: lore.parse_thread(b, "https://lore.kernel.org/all/x@y/T/"),
    "lore.parse_choices": lambda b: lore.parse_choices(b, "https://lore.kernel.org/all/x@y/"),
    "lore.page_kind": lore.page_kind,
    "patchwork.parse_page": lambda b: patchwork.page_metadata(
        patchwork.parse_page(b), canonical=None
    ),
    "patchwork.load_json": patchwork.load_json,
    "lwn.parse_article": lambda b: lwn.parse_article(b, "https://lwn.net/Articles/1/"),
    "lwn.parse_ml": lambda b: lwn.parse_ml(b, "https://lwn.net/ml/lkml/x@y/"),
    "cgit.parse_commit": lambda b: cgit.parse_commit(b, "https://git.kernel.org/x/commit/?id=1"),
    "lkmlorg.parse_post": lambda b: lkmlorg.parse_post(b, "https://lkml.org/lkml/2024/1/1/1"),
    "generic.metadata": lambda b: generic.metadata(b, "https://x/", "text/html; charset=idna"),
    "challenge.detect": lambda b: challenge.detect(response(b, "text/html")),
    "rescue.parse_atom": parse_atom,
}


def _fuzz_bytes(name: str) -> None:
    parser = BYTE_PARSERS[name]

    @FUZZ
    @given(page_bytes())
    def run(body: bytes) -> None:
        parser(body)
        if name.startswith("lore.parse_message") or name == "lore.parse_raw":
            h = parser(body)
            if h is not None:
                lore.metadata(h)

    run()


def test_fuzz_lore_message_page() -> None:
    _fuzz_bytes("lore.parse_message_page")


def test_fuzz_lore_raw() -> None:
    _fuzz_bytes("lore.parse_raw")


def test_fuzz_lore_thread() -> None:
    _fuzz_bytes("lore.parse_thread")


def test_fuzz_lore_choices_and_kind() -> None:
    _fuzz_bytes("lore.parse_choices")
    _fuzz_bytes("lore.page_kind")


def test_fuzz_patchwork_page_and_json() -> None:
    _fuzz_bytes("patchwork.parse_page")
    _fuzz_bytes("patchwork.load_json")


def test_fuzz_lwn() -> None:
    _fuzz_bytes("lwn.parse_article")
    _fuzz_bytes("lwn.parse_ml")


def test_fuzz_cgit_lkmlorg_generic_challenge_atom() -> None:
    for name in (
        "cgit.parse_commit",
        "lkmlorg.parse_post",
        "generic.metadata",
        "challenge.detect",
        "rescue.parse_atom",
    ):
        _fuzz_bytes(name)


@FUZZ
@given(api_items)
def test_fuzz_patchwork_api_items(item: dict[str, Any]) -> None:
    patchwork.api_item_metadata(item, canonical=None)
    patchwork.api_series_metadata(item, canonical=None)


@FUZZ
@given(st.one_of(st.text(max_size=200), st.sampled_from(HOSTILE)))
def test_fuzz_subjects_people_and_dates(text: str) -> None:
    subject_info(text)
    split_person(text)
    mail_date(text)
    iso_date(text)
    patchwork.django_date(text)
