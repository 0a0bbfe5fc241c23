"""The page rules of the sites read from one page (``sources/<site>.py``'s ``PAGES``):
which rule reads which page, and the status each gives.  The URL shapes are tested
in test_refs.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from patchcrawl.models import Response
from patchcrawl.sources import cgit, lkmlorg, lore, lwn
from patchcrawl.sources._site import PageRule
from patchcrawl.sources.resolver import PAGES

DATA = Path(__file__).parent / "data" / "pages"


def page(url: str, name: str | None = None, body: bytes = b"") -> Response:
    return Response(url, url, 200, (), (DATA / name).read_bytes() if name else body)


def rule_for(url: str) -> PageRule | None:
    """The page rule for ``url``, as the resolver looks it up (host, path)."""
    parts = urlsplit(url)
    found = [p for p in PAGES if p.matches(parts.hostname or "", parts.path)]
    assert len(found) <= 1, [p.name for p in found]  # the rules never overlap
    return found[0] if found else None


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://lwn.net/Articles/849538/", "lwn-article"),
        ("https://www.lwn.net/Articles/849538/", "lwn-article"),
        ("https://lwn.net/ml/linux-kernel/1-x@y.com/", "lwn-ml"),
        (
            "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=bd30fe6a7d9b",
            "cgit-commit",
        ),
        ("https://lkml.org/lkml/2017/1/19/687", "lkml-org-message"),
        ("https://www.lkml.org/lkml/2017/1/19/687", "lkml-org-message"),
        # pages no rule reads: the generic <title> reader takes them
        ("https://lwn.net/Kernel/", None),
        ("https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/log/", None),
        ("https://www.git.kernel.org/x/commit/?id=bd30fe6a7d9b", None),
        ("https://lkml.org/", None),
        ("https://lore.kernel.org/all/1-x@y.com/", None),  # lore: the resolver's own reading
        ("https://patchwork.kernel.org/project/x/patch/1-x@y.com/", None),  # and patchwork
    ],
)
def test_which_rule_reads_a_page(url: str, name: str | None) -> None:
    rule = rule_for(url)
    assert (rule.name if rule else None) == name


def test_lwn_article_rule_says_paywalled_for_a_subscriber_notice() -> None:
    out = lwn.read_article(page("https://lwn.net/Articles/973456/", "lwn_paywall.html"))
    assert (out.status, out.detail) == ("paywalled", "LWN subscription required")
    assert out.metadata is not None
    assert out.metadata.title == "The first half of the 6.10 merge window"
    ok = lwn.read_article(page("https://lwn.net/Articles/1/", "lwn_article.html"))
    assert (ok.status, ok.detail) == ("ok", None)
    assert ok.metadata is not None and ok.metadata.author_name == "Jonathan Corbet"


def test_lwn_ml_rule_reads_the_mail() -> None:
    url = "https://lwn.net/ml/linux-kernel/202400000001.1001-0-ast@plumgrid.com/"
    out = lwn.read_ml(page(url, "lwn_ml.html"))
    assert out.status == "ok" and out.metadata is not None
    assert out.metadata.msgid == "202400000001.1001-0-ast@plumgrid.com"


def test_cgit_commit_rule_says_dead_for_a_bad_object_id() -> None:
    url = "https://git.kernel.org/x.git/commit/?id=1234567"
    dead = cgit.read_commit(page(url, body=b"<div class='error'>Bad object id: 1234567</div>"))
    assert (dead.status, dead.metadata, dead.detail) == (
        "dead",
        None,
        "soft-404: cgit bad object id",
    )
    ok = cgit.read_commit(page(url, "cgit_commit.html"))
    assert ok.status == "ok" and ok.metadata is not None
    assert ok.metadata.title == "tracing: Allow BPF programs to call bpf_trace_printk()"
    assert ok.metadata.canonical_url == url


def test_lkml_org_rule_reads_the_post() -> None:
    out = lkmlorg.read_post(page("https://lkml.org/lkml/2015/3/25/789", "lkmlorg_post.html"))
    assert out.status == "ok" and out.metadata is not None
    assert out.metadata.author_name == "Alexei Starovoitov"


@pytest.mark.parametrize(
    ("url", "legacy"),
    [
        ("https://lore.kernel.org/patchwork/patch/1052413/", True),
        ("https://LORE.kernel.org/patchwork/cover/555274/", True),
        ("https://lore.kernel.org/all/1-x@y.com/", False),
        ("https://patchwork.kernel.org/patchwork/patch/1/", False),
    ],
)
def test_lore_legacy_pages_are_known_by_host_and_path(url: str, legacy: bool) -> None:
    assert lore.is_legacy(url) is legacy


def test_lore_reads_the_choice_in_the_list_the_link_named() -> None:
    urls = [
        "https://lore.kernel.org/linux-mm/1-x@y.com/",
        "https://lore.kernel.org/bpf/1-x@y.com/",
    ]
    assert lore.pick_choice(urls, "bpf") == urls[1]
    assert lore.pick_choice(urls, "netdev") == urls[0]  # none there: the first
    assert lore.pick_choice(urls, None) == urls[0]
