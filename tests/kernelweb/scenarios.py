"""A small world with every odd case the resolver must get right (shared by tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from patchcrawl.models import LinkKind, Ref
from patchcrawl.testweb.world import GenericPage, Message, Series, World

TZ = dt.timezone(dt.timedelta(hours=-7))


@dataclass
class Scenario:
    world: World
    kprobes: Series  # v11 tip 0/9 on lkml, legacy ids, patchwork
    token: Series  # [RFC PATCH v3 RESEND bpf-next 0/7] on bpf + netdev (ambiguous on /all/)
    nocover: Series  # 3 patches, no cover letter
    single: Series  # [PATCHv2] with RFC 2047 headers, cut HTML page
    reply: Message  # a Re:-only thread
    soft404: str  # msgid lore answers 200 "not found"


def build() -> Scenario:
    w = World()
    kprobes = w.add_series(
        title="tracing: attach eBPF programs to kprobes",
        author="Alexei Starovoitov",
        email="ast@plumgrid.com",
        version=11,
        total=9,
        prefixes=("tip",),
        list="lkml",
        date=dt.datetime(2015, 3, 25, 12, 49, 17, tzinfo=TZ),
        legacy_patchwork_ids=True,
        patchwork="netdevbpf",
    )
    token = w.add_series(
        title="bpf: introduce BPF token object",
        author="Andrii Nakryiko",
        email="andrii@kernel.org",
        bracket_text="RFC PATCH v3 RESEND bpf-next",
        version=3,
        total=7,
        list="bpf",
        also_lists=("netdev",),
        date=dt.datetime(2023, 6, 2, 0, 1, 2, tzinfo=dt.UTC),
        ambiguous=True,
        patchwork=("patches.linaro.org", "linux-bpf"),
    )
    nocover = w.add_series(
        title="mm: fix the widget",
        author="Vlastimil Babka",
        email="vbabka@suse.cz",
        version=2,
        total=3,
        list="linux-mm",
        cover=False,
        patch_titles=("mm: fix the widget", "mm: test the widget", "mm: document the widget"),
        legacy_patchwork_ids=True,
        patchwork="linux-mm",
    )
    single = w.add_series(
        title="net: fix the ☃ socket",
        author="Toke Høiland-Jørgensen",
        email="toke@redhat.com",
        version=2,
        style="glued",
        list="netdev",
        encode_headers=True,
        page="cut",
        patchwork="netdevbpf",
    )
    reply = w.add_message(
        subject="Re: the widget question",
        author="Matthew Wilcox",
        email="willy@infradead.org",
        list="linux-fsdevel",
    )
    soft = "20240101000000.42-1-gone@example.org"
    w.soft404_msgids.add(soft)
    w.add_lwn(615085, "Ftrace and eBPF", "Jonathan Corbet", dt.date(2015, 3, 31))
    w.add_lwn(
        973456, "The 6.10 merge window", "Jonathan Corbet", dt.date(2024, 5, 16), paywalled=True
    )
    w.add_commit(
        "d9847d310ab4003725e6ed1822682e24bd406908",
        "tracing: Allow BPF programs to call bpf_trace_printk()",
        "Alexei Starovoitov",
        "ast@plumgrid.com",
        dt.datetime(2015, 3, 25, 12, 49, 20, tzinfo=TZ),
    )
    w.add_lkml_org(
        "2015/3/25/789",
        kprobes.cover.subject if kprobes.cover else "",
        "Alexei Starovoitov",
        "ast@plumgrid.com",
        dt.datetime(2015, 3, 25, 12, 49, 17, tzinfo=TZ),
    )
    w.generic["example.com/old"] = GenericPage(301, location="https://example.com/new")
    w.generic["example.com/new"] = GenericPage(200, title="The new page")
    w.generic["example.com/gone"] = GenericPage(410, title="Gone")
    w.generic["example.com/broken"] = GenericPage(503, title="Service Unavailable")
    w.challenge_hosts["walled.example.org"] = "anubis"
    w.challenge_hosts["cf.example.org"] = "cloudflare"
    return Scenario(w, kprobes, token, nocover, single, reply, soft)


def make_ref(url: str, kind: LinkKind = "other") -> Ref:
    """refs.classify when it is ready, else a hand-built Ref (the resolver needs little)."""
    try:
        from patchcrawl import refs

        return refs.classify(url)
    except NotImplementedError:
        pass
    host = urlsplit(url).hostname
    if not url.startswith(("http://", "https://")):
        return Ref(
            url=url,
            kind="malformed" if kind == "malformed" else kind,
            fetch_url=None,
            host=None,
            problem="not http(s)",
        )
    return Ref(url=url, kind=kind, fetch_url=url, host=host)
