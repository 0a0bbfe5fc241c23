"""Each page parser on saved page bodies (tests/data/pages/), odd ones included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchcrawl.models import Response
from patchcrawl.sources import cgit, challenge, generic, lkmlorg, lore, lwn, patchwork
from patchcrawl.sources._common import mail_date, split_person, subject_info

PAGES = Path(__file__).parent / "data" / "pages"
COVER = "202400000001.1001-0-ast@plumgrid.com"


def body(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def resp(name: str, status: int = 200, **headers: str) -> Response:
    hdrs = tuple((k.replace("_", "-"), v) for k, v in headers.items())
    return Response("https://x/", "https://x/", status, hdrs, body(name))


# ------------------------------------------------------------------ subjects


@pytest.mark.parametrize(
    ("subject", "title", "version", "counter", "total", "prefixes", "rfc"),
    [
        ("[PATCH v11 tip 0/9] tracing: attach", "tracing: attach", 11, 0, 9, ("tip",), False),
        ("[RFC PATCH v3 RESEND net-next 0/7] x", "x", 3, 0, 7, ("RESEND", "net-next"), True),
        ("[PATCHv2] net: fix", "net: fix", 2, 1, 1, (), False),
        ("Re: [PATCH bpf-next 2/3] bpf: y", "bpf: y", 1, 2, 3, ("bpf-next",), False),
        ("[RFC] mm: idea", "mm: idea", 1, 1, 1, (), True),
        ("Re: mm: fix the widget", "mm: fix the widget", None, None, None, (), False),
        ("=?UTF-8?B?W1BBVENIIHYyXSBuZXQ6IGZpeA==?=", "net: fix", 2, 1, 1, (), False),
    ],
)
def test_subject_info(
    subject: str,
    title: str,
    version: int | None,
    counter: int | None,
    total: int | None,
    prefixes: tuple[str, ...],
    rfc: bool,
) -> None:
    si = subject_info(subject)
    assert (si.title, si.version, si.counter, si.total, si.prefixes, si.rfc) == (
        title,
        version,
        counter,
        total,
        prefixes,
        rfc,
    )


def test_people_and_dates() -> None:
    assert split_person('"Doe, Jane" <jane@x.org>') == ("Doe, Jane", "jane@x.org")
    assert split_person("=?UTF-8?Q?Toke_H=C3=B8iland?= <toke@redhat.com>") == (
        "Toke Høiland",
        "toke@redhat.com",
    )
    assert split_person("Alexei Starovoitov <>") == ("Alexei Starovoitov", None)
    assert mail_date("Wed, 25 Mar 2015 12:49:17 -0700") == "2015-03-25T12:49:17-07:00"
    assert mail_date("Wed, 25 Mar 2015 19:49:17 -0000") == "2015-03-25T19:49:17+00:00"
    assert mail_date("yesterday") is None


# ------------------------------------------------------------------ lore


def test_lore_cover_page() -> None:
    h = lore.parse_message_page(body("lore_cover.html"))
    assert h is not None
    assert h.subject == "[PATCH v11 tip 0/9] tracing: attach eBPF programs to kprobes"
    assert (h.from_name, h.from_email) == ("Alexei Starovoitov", "ast@plumgrid.com")
    assert h.date == "2015-03-25T12:49:17-07:00"
    assert h.msgid == COVER
    m = lore.metadata(h)
    assert (m.title, m.version, m.counter, m.total, m.prefixes) == (
        "tracing: attach eBPF programs to kprobes",
        11,
        0,
        9,
        ("tip",),
    )
    assert m.canonical_url == f"https://lore.kernel.org/all/{COVER}/"
    assert not lore.needs_series(m)


def test_lore_patch_page_has_in_reply_to() -> None:
    h = lore.parse_message_page(body("lore_patch.html"))
    assert h is not None and h.in_reply_to == COVER
    assert lore.needs_series(lore.metadata(h))


def test_lore_rfc_resend() -> None:
    h = lore.parse_message_page(body("lore_rfc_resend.html"))
    assert h is not None
    m = lore.metadata(h)
    assert (m.version, m.total, m.rfc, m.prefixes) == (3, 7, True, ("RESEND", "bpf-next"))
    assert m.date == "2023-06-02T00:01:02+00:00"


def test_lore_encoded_words_on_page_are_decoded() -> None:
    h = lore.parse_message_page(body("lore_encoded.html"))
    assert h is not None
    assert h.subject == "[PATCHv2] net: fix the ☃ socket"
    assert h.from_name == "Toke Høiland-Jørgensen"
    assert lore.metadata(h).version == 2


def test_lore_cut_page_falls_back_to_raw() -> None:
    assert lore.parse_message_page(body("lore_cut.html")) is None
    h = lore.parse_raw(body("lore_encoded.raw"))
    assert h is not None
    assert h.subject == "[PATCHv2] net: fix the ☃ socket"
    assert (h.from_name, h.from_email) == ("Toke Høiland-Jørgensen", "toke@redhat.com")
    assert h.date == "2021-01-05T09:00:00+01:00"


def test_lore_not_found_and_choices() -> None:
    assert lore.page_kind(body("lore_404.html")) == "not-found"
    assert lore.page_kind(body("lore_300.html")) == "choices"
    urls = lore.parse_choices(body("lore_300.html"), "https://lore.kernel.org/all/x/")
    assert urls == [
        "https://lore.kernel.org/bpf/20200101.1-1-a@b.c/",
        "https://lore.kernel.org/netdev/20200101.1-1-a@b.c/",
    ]


def test_lore_thread_finds_cover() -> None:
    base = "https://lore.kernel.org/lkml/202400000001.1001-3-ast@plumgrid.com/T/"
    entries = lore.parse_thread(body("lore_thread.html"), base)
    assert len(entries) == 10
    assert entries[0] == (COVER, "[PATCH v11 tip 0/9] tracing: attach eBPF programs to kprobes")
    cover, first = lore.find_cover(entries, 11, 9)
    assert cover == COVER
    assert first == "tracing: attach eBPF programs to kprobes: part 1"


def test_lore_locate() -> None:
    loc = lore.locate("https://lore.kernel.org/bpf/a%2Fb@x/T/")
    assert loc == lore.LoreLocation("bpf", "a/b@x", "T/")
    assert lore.locate("https://lore.kernel.org/r/abc@x") == lore.LoreLocation("all", "abc@x", "")
    assert lore.locate("https://lore.kernel.org/patchwork/patch/1") is None
    assert lore.canonical_url("a/b@x") == "https://lore.kernel.org/all/a%2Fb@x/"


# ------------------------------------------------------------------ patchwork


def test_patchwork_page() -> None:
    p = patchwork.parse_page(body("patchwork_patch.html"))
    assert p.name == "[v11,tip,1/9] tracing: attach eBPF programs to kprobes: part 1"
    assert p.msgid == "202400000001.1001-1-ast@plumgrid.com"
    assert (p.author_name, p.author_email) == ("Alexei Starovoitov", "ast@plumgrid.com")
    assert p.date == "2015-03-25T12:49:18-07:00"
    m = patchwork.page_metadata(p, canonical=None)
    assert (m.version, m.counter, m.total, m.prefixes) == (11, 1, 9, ("tip",))
    assert patchwork.version_known(p)


def test_patchwork_page_without_headers_uses_name() -> None:
    text = body("patchwork_patch.html").decode()
    start = text.index('<div id="patch-headers"')
    end = text.index("</div>", start) + len("</div>")
    p = patchwork.parse_page(text[:start] + text[end:])
    assert p.subject is None and p.author_email is None
    assert p.date == "2015-03-25T19:49:00+00:00"  # span.message-date: Django's format, UTC
    m = patchwork.page_metadata(p, canonical=None)
    assert (m.title, m.version, m.counter, m.total) == (
        "tracing: attach eBPF programs to kprobes: part 1",
        11,
        1,
        9,
    )


def test_patchwork_api() -> None:
    item = json.loads(body("patchwork_api_patch.json"))
    m = patchwork.api_item_metadata(item, canonical=None)
    assert (m.version, m.counter, m.total, m.author_email) == (11, 1, 9, "ast@plumgrid.com")
    assert m.msgid == "202400000001.1001-1-ast@plumgrid.com"
    s = patchwork.api_series_metadata(json.loads(body("patchwork_api_series.json")), canonical=None)
    assert (s.title, s.version, s.total, s.cover_msgid) == (
        "tracing: attach eBPF programs to kprobes",
        11,
        9,
        COVER,
    )
    merged = patchwork.merge_series(m, s)
    assert (merged.title, merged.counter, merged.cover_msgid) == (s.title, 1, COVER)
    assert patchwork.name_to_subject("[RFC,v3,net-next,0/7] T") == "[RFC v3 net-next 0/7] T"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("March 25, 2015, 7:49 p.m. UTC", "2015-03-25T19:49:00+00:00"),
        ("Sept. 5, 2024, midnight UTC", "2024-09-05T00:00:00+00:00"),
        ("Jan. 2, 2024, 12:05 a.m. UTC", "2024-01-02T00:05:00+00:00"),
        ("Dec. 31, 2023, noon UTC", "2023-12-31T12:00:00+00:00"),
        ("2024-04-29 08:11:12 UTC", "2024-04-29T08:11:12+00:00"),
    ],
)
def test_patchwork_dates(text: str, iso: str) -> None:
    from patchcrawl.sources._common import iso_date

    assert (patchwork.django_date(text) or iso_date(text)) == iso


def test_patchwork_soft404() -> None:
    assert patchwork.is_soft404(body("patchwork_soft404.html"))
    assert not patchwork.is_soft404(body("patchwork_patch.html"))


# ------------------------------------------------------------------ LWN, cgit, lkml.org


@pytest.mark.parametrize(
    ("name", "title", "author", "date"),
    [
        (
            "lwn_article.html",
            "Ftrace and eBPF: attaching to kprobes",
            "Jonathan Corbet",
            "2015-03-31",
        ),
        ("lwn_guest.html", "A BPF token for unprivileged users", "Daroc Alden", "2023-12-04"),
        ("lwn_brief.html", "Kernel release status", "jonathan", "2024-01-11"),
    ],
)
def test_lwn_articles(name: str, title: str, author: str, date: str) -> None:
    page = lwn.parse_article(body(name), "https://lwn.net/Articles/1/")
    assert not page.paywalled
    assert (page.metadata.title, page.metadata.author_name, page.metadata.date) == (
        title,
        author,
        date,
    )


def test_lwn_paywall_takes_title_from_link() -> None:
    page = lwn.parse_article(body("lwn_paywall.html"), "https://lwn.net/Articles/973456/")
    assert page.paywalled
    assert page.metadata.title == "The first half of the 6.10 merge window"


def test_lwn_ml() -> None:
    url = f"https://lwn.net/ml/linux-kernel/{COVER}/"
    m = lwn.parse_ml(body("lwn_ml.html"), url)
    assert m.msgid == COVER
    assert (m.title, m.version, m.total) == ("tracing: attach eBPF programs to kprobes", 11, 9)
    assert (m.author_name, m.author_email) == ("Alexei Starovoitov", "ast@plumgrid.com")
    assert m.date == "2015-03-25T12:49:17-07:00"


def test_cgit_commit() -> None:
    m = cgit.parse_commit(body("cgit_commit.html"), "https://git.kernel.org/x")
    assert m.title == "tracing: Allow BPF programs to call bpf_trace_printk()"
    assert (m.author_name, m.author_email) == ("Alexei Starovoitov", "ast@plumgrid.com")
    assert m.date == "2015-03-25T12:49:20-07:00"
    assert not cgit.is_soft404(body("cgit_commit.html"))
    assert cgit.is_soft404(b"<div class='error'>Bad object id: 1234</div>")


def test_lkml_org() -> None:
    m = lkmlorg.parse_post(body("lkmlorg_post.html"), "https://lkml.org/lkml/2015/3/25/789")
    assert (m.title, m.version, m.total) == ("tracing: attach eBPF programs to kprobes", 11, 9)
    assert (m.author_name, m.author_email, m.msgid) == ("Alexei Starovoitov", None, None)
    assert m.date == "2015-03-25T12:49:17-07:00"


# ------------------------------------------------------------------ walls and generic


def test_challenges() -> None:
    assert challenge.detect(resp("anubis.html")) == "anubis challenge"
    assert challenge.detect(resp("cloudflare.html", 403)) == "cloudflare challenge"
    assert challenge.detect(resp("lore_cover.html", 403)) == "403 forbidden"
    assert challenge.detect(resp("lore_cover.html")) is None
    talk = b"<title>Anubis</title><pre id=b>&lt;title&gt;Making sure you&#39;re not a bot!"
    talk += b" &lt;script id=&quot;anubis_challenge&quot; window._cf_chl_opt={}</pre>"
    assert challenge.detect(Response("https://x/", "https://x/", 200, (), talk)) is None


def test_generic_title() -> None:
    html = b"<html><head><title>\n  Linux &amp; BPF \xe2\x98\x83 </title></head></html>"
    assert generic.parse_title(html) == "Linux & BPF ☃"
    assert generic.metadata(b"{}", "https://x/", "application/json").title is None


def test_lore_headers_in_their_own_pre_multi_msgid_quoted_name() -> None:
    h = lore.parse_message_page(body("lore_twopre.html"))
    assert h is not None
    assert h.subject == '[PATCH 2/2] mm/slub: don\'t leak the "widget"'
    assert (h.from_name, h.from_email) == ("Babka, Vlastimil", "vbabka@suse.cz")
    assert h.date == "2023-10-02T15:04:05+00:00"  # "-0000": UTC, never the in-body Date
    assert h.msgid == "20231002150405.2-vbabka@suse.cz"  # the first of several Message-IDs
    assert h.in_reply_to == "20231002150405.0-vbabka@suse.cz"
    m = lore.metadata(h)
    assert (m.counter, m.total, m.version) == (2, 2, 1)


def test_lore_body_lines_are_not_headers() -> None:
    text = body("lore_cover.html").decode()
    h = lore.parse_message_page(text.replace("Some words", "Date: Thu, 1 Jan 1970 00:00:00 +0000"))
    assert h is not None and h.date == "2015-03-25T12:49:17-07:00"


# the forms of CONTRACT.md: a version outside the bracket, -v2, RFCv2, v021, Armv8.8
@pytest.mark.parametrize(
    ("subject", "version", "inferred", "rfc"),
    [
        # real subjects (tests/data/realmail and the examples)
        ("[PATCH 00/19] kthread: Introduce preferred affinity v6", 6, False, False),
        ("[PATCHSET 00/17] perf tools: Introduce data type profiling (v3)", 3, False, False),
        ("[PATCH 0/3] TLB flush multiple pages per IPI v5", 5, False, False),
        (
            "[PATCH 00/13] Reconcile NUMA balancing decisions with the load balancer v6",
            6,
            False,
            False,
        ),
        ("[PATCH -v2 0/7] sched: EEVDF", 2, False, False),
        ("[RFCv2 00/13] mm: multi-gen LRU", 2, False, True),
        ("[PATCH 0/6 v2] x", 2, False, False),
        ("[PATCH v3 0/2] arm64: support Armv8.8 MOPS", 3, False, False),
        # Armv8 ends the title, but is no version; nor is v8.8
        ("[PATCH 0/2] arm64: add support for Armv8", 1, True, False),
        ("[PATCH 0/2] arm64: add support for v8.8", 1, True, False),
        # v021 is 0.2.1: no number a table's vN can be compared with
        ("[RFC][PATCH v021 0/9] sched: rework", None, False, True),
        ("[PATCH v02 0/2] x", 2, False, False),
        # a patch with no version anywhere is v1 by convention: inferred
        ("[PATCH 0/5] mm: something", 1, True, False),
        ("[RFC PATCH] mm: idea", 1, True, True),
    ],
)
def test_versions_outside_the_bracket(
    subject: str, version: int | None, inferred: bool, rfc: bool
) -> None:
    si = subject_info(subject)
    assert (si.version, si.version_inferred, si.rfc) == (version, inferred, rfc)
    assert si.prefixes == () or "RFC" not in si.prefixes


def test_inbody_from_is_the_author_on_the_page_and_in_the_raw_mail() -> None:
    # a patch relayed by its maintainer (tests/data/realmail: Johannes Weiner sent
    # Hasan Al Maruf's patch): git's in-body From: names the author
    page = body("lore_cover.html").replace(
        b"\n\nThis series",
        b"\n\nFrom: Hasan Al Maruf &lt;hasanalmaruf@fb.com&gt;\n\nThis series",
        1,
    )
    h = lore.parse_message_page(page)
    assert h is not None
    assert (h.from_name, h.from_email) == ("Alexei Starovoitov", "ast@plumgrid.com")
    m = lore.metadata(h)
    assert (m.author_name, m.author_email) == ("Hasan Al Maruf", "hasanalmaruf@fb.com")
    raw = (
        b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
        b"From:   Johannes Weiner <hannes@cmpxchg.org>\n"
        b"Subject: [PATCH] mm: mempolicy: N:M interleave policy for tiered memory nodes\n"
        b"Date:   Tue,  7 Jun 2022 13:19:49 -0400\n"
        b"Message-Id: <20220607171949.85796-1-hannes@cmpxchg.org>\n\n"
        b"From: Hasan Al Maruf <hasanalmaruf@fb.com>\n\nExisting interleave policy\n"
    )
    r = lore.parse_raw(raw)
    assert r is not None and lore.metadata(r).author_email == "hasanalmaruf@fb.com"
    # a From: deeper in the body (a quoted mail) is not the author
    later = raw.replace(b"\n\nFrom: Hasan", b"\n\nHello,\nFrom: Hasan")
    r2 = lore.parse_raw(later)
    assert r2 is not None and lore.metadata(r2).author_email == "hannes@cmpxchg.org"


def test_inbody_from_on_a_patchwork_page() -> None:
    text = body("patchwork_patch.html").decode()
    assert '<pre class="content">' in text
    text = text.replace(
        '<pre class="content">', '<pre class="content">From: Real Author &lt;real@x.org&gt;\n\n', 1
    )
    p = patchwork.parse_page(text)
    assert (p.author_name, p.author_email) == ("Real Author", "real@x.org")
