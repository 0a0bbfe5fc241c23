"""refs.classify: every URL shape in corpus/STATS.md."""

from __future__ import annotations

import pytest

from patchcrawl.refs import classify, lore_message_url


@pytest.mark.parametrize(
    ("url", "list_name", "msgid"),
    [
        (
            "https://lore.kernel.org/all/20230511132113.80196-1-ryan.roberts@arm.com",
            "all",
            "20230511132113.80196-1-ryan.roberts@arm.com",
        ),
        (
            "https://lore.kernel.org/lkml/1427312966-8434-1-git-send-email-ast@plumgrid.com/",
            "lkml",
            "1427312966-8434-1-git-send-email-ast@plumgrid.com",
        ),
        (
            "https://lore.kernel.org/r/20230511132113.80196-1-ryan.roberts@arm.com",
            "r",
            "20230511132113.80196-1-ryan.roberts@arm.com",
        ),
        (
            "https://lore.kernel.org/netdev/1395404418-25376-1-git-send-email-dborkman@redhat.com",
            "netdev",
            "1395404418-25376-1-git-send-email-dborkman@redhat.com",
        ),
        (
            "https://lore.kernel.org/all/cover.1636616548.git.baolin.wang@linux.alibaba.com/T/#u",
            "all",
            "cover.1636616548.git.baolin.wang@linux.alibaba.com",
        ),
        (
            "https://lore.kernel.org/all/20201214114200.GD26358@zn.tnic/t/",
            "all",
            "20201214114200.GD26358@zn.tnic",
        ),
        ("https://lore.kernel.org/linux-mm/abc@x.com/raw", "linux-mm", "abc@x.com"),
        ("http://LORE.kernel.org/all/%3Cabc%40x.com%3E/", "all", "abc@x.com"),
        ("https://lore.kernel.org/all/a%2Fb@x/", "all", "a/b@x"),
    ],
)
def test_lore_message(url: str, list_name: str, msgid: str) -> None:
    ref = classify(url)
    assert ref.kind == "lore-message"
    assert ref.msgid == msgid
    assert ref.list_name == list_name
    assert ref.host == "lore.kernel.org"
    assert ref.canonical == lore_message_url(msgid)
    assert ref.fetch_url is not None and ref.fetch_url.startswith("https://lore.kernel.org/")
    assert ref.fetch_url.endswith("/") and "#" not in ref.fetch_url
    assert "/" not in ref.canonical.split("/all/")[1].rstrip("/")


def test_lore_canonical_quotes_with_safe_at() -> None:
    assert lore_message_url("a/b+c@x") == "https://lore.kernel.org/all/a%2Fb%2Bc@x/"


@pytest.mark.parametrize(
    "url",
    [
        "https://lkml.kernel.org/r/20200803@x.com",
        "https://msgid.link/20200803@x.com",
        "https://patch.msgid.link/20200803@x.com",
    ],
)
def test_redirectors_are_lore_messages(url: str) -> None:
    ref = classify(url)
    assert ref.kind == "lore-message"
    assert ref.msgid == "20200803@x.com"
    assert ref.canonical == "https://lore.kernel.org/all/20200803@x.com/"


@pytest.mark.parametrize(("kind", "n"), [("patch", "360274"), ("cover", "555274")])
def test_lore_patchwork_legacy(kind: str, n: str) -> None:
    for url in (
        f"https://lore.kernel.org/patchwork/{kind}/{n}",
        f"https://lore.kernel.org/patchwork/{kind}/{n}/",
    ):
        ref = classify(url)
        assert ref.kind == "lore-patchwork-legacy"
        assert (ref.item_id, ref.item_type) == (n, kind)
        assert ref.fetch_url == f"https://lore.kernel.org/patchwork/{kind}/{n}/"


@pytest.mark.parametrize(
    ("url", "project", "item_type", "msgid", "item_id"),
    [
        (
            "https://patchwork.kernel.org/project/linux-mm/cover/20211116001628.24216-1-vbabka@suse.cz",
            "linux-mm",
            "cover",
            "20211116001628.24216-1-vbabka@suse.cz",
            None,
        ),
        (
            "https://patchwork.kernel.org/project/netdevbpf/patch/20210830173424.1385796-1-memxor@gmail.com/",
            "netdevbpf",
            "patch",
            "20210830173424.1385796-1-memxor@gmail.com",
            None,
        ),
        (
            "https://patchwork.kernel.org/project/linux-mm/list/?series=746755",
            "linux-mm",
            "list",
            None,
            None,
        ),
        (
            "https://patchwork.kernel.org/project/linux-mm/series/746755/",
            "linux-mm",
            "series",
            None,
            "746755",
        ),
        (
            "https://patches.linaro.org/project/lkml/patch/1-2-x@linaro.org/",
            "lkml",
            "patch",
            "1-2-x@linaro.org",
            None,
        ),
        (
            "https://patchwork.ozlabs.org/project/netdev/patch/1-x@y.com/",
            "netdev",
            "patch",
            "1-x@y.com",
            None,
        ),
        ("https://patchwork.kernel.org/patch/10735003/", None, "patch", None, "10735003"),
    ],
)
def test_patchwork(
    url: str, project: str | None, item_type: str, msgid: str | None, item_id: str | None
) -> None:
    ref = classify(url)
    assert ref.kind == "patchwork"
    assert ref.list_name == project
    assert ref.item_type == item_type
    assert ref.msgid == msgid
    assert ref.item_id == item_id


def test_lwn() -> None:
    ref = classify("https://lwn.net/Articles/849538")
    assert (ref.kind, ref.item_id, ref.item_type) == ("lwn-article", "849538", "article")
    assert ref.fetch_url == "https://lwn.net/Articles/849538/"
    ml = classify("https://lwn.net/ml/linux-kernel/20200803@x.com/")
    assert (ml.kind, ml.msgid, ml.list_name) == ("lwn-ml", "20200803@x.com", "linux-kernel")
    assert classify("https://lwn.net/Kernel/").kind == "other"


def test_git_commit_and_log() -> None:
    sha = "bd30fe6a7d9b72e73c5ac9109cbc3066dde08034"
    base = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git"
    for url in (f"{base}/commit/?id={sha}", f"{base}/commit/{sha}", f"{base}/commit/?h=x&id={sha}"):
        ref = classify(url)
        assert (ref.kind, ref.item_id, ref.item_type) == ("git-commit", sha, "commit")
    assert classify(f"{base}/log/?id={sha}").kind == "other"
    assert classify("https://github.com/torvalds/linux/commit/" + sha).kind == "other"


def test_lkml_org() -> None:
    for url in ("https://lkml.org/lkml/2017/1/19/687", "http://www.lkml.org/lkml/2017/1/19/687"):
        ref = classify(url)
        assert (ref.kind, ref.item_id) == ("lkml-org", "2017/1/19/687")
        assert ref.fetch_url == "https://lkml.org/lkml/2017/1/19/687"
    assert classify("https://lkml.org/").kind == "other"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("lohttps://lore.kernel.org/all/x@y/", "scheme"),
        ("hhttps://lkml.org/lkml/2006/12/11/331", "scheme"),
        ("ttps://github.com/x", "scheme"),
        ("https://lore.kernelorg/lkml/20140210195820.834693028@infradead.org", "typo"),
        ("https://patnux-mm/cover/20220310172633.9151-1-alex.sierra@amd.com/", "no dot"),
        ("https://lohttps://lore.kernel.org/all/x@y", "host"),
        ("https:/lore.kernel.org/all/x@y", "'//'"),
        ("20230207230436.2690891-1-usama.arif@bytedance.com", "no scheme"),
        ("034ebf65c3c21d85b963d39f992258a64a85e3a9", "no scheme"),
        ("https://lore.kernel.org/all/x @y", "whitespace"),
        ("https://exa_mple.com/", "valid host"),
    ],
)
def test_malformed(url: str, why: str) -> None:
    ref = classify(url)
    assert ref.kind == "malformed"
    assert ref.fetch_url is None
    assert ref.problem is not None and why in ref.problem


def test_normalisation_and_other() -> None:
    ref = classify("HTTPS://Example.COM:443/a/b?q=1#frag")
    assert ref.kind == "other"
    assert ref.fetch_url == "https://example.com/a/b?q=1"
    assert (
        classify("http://lore.kernel.org/all/x@y").fetch_url == "https://lore.kernel.org/all/x@y/"
    )
    assert classify("//github.com/x").fetch_url == "https://github.com/x"
    mail = classify("mailto:a@b.c")
    assert (mail.kind, mail.fetch_url) == ("other", None)
    assert classify("https://[::1]:8080/x").fetch_url == "https://[::1]:8080/x"


@pytest.mark.parametrize(
    "url",
    ["https://", "http://:80", "https://[zz/", "https://a..b/", "h://", "https://x.com:99999/"],
)
def test_never_raises(url: str) -> None:
    assert classify(url).kind in ("malformed", "other")
