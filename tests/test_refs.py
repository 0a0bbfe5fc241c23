"""refs.classify: every URL shape in corpus/STATS.md."""

from __future__ import annotations

import re

import pytest

from patchcrawl.models import Ref
from patchcrawl.refs import SHAPES, classify, lore_message_url, parse, shape_of
from patchcrawl.sources._site import Link, UrlShape


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


# ------------------------------------------------------------------ the rule tables

_LKML_PW = "https://lore.kernel.org/patchwork"
_PW = "https://patchwork.kernel.org/project"
_CGIT = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/"

#: (shape, URL as the corpus writes it, the Ref fields it must give); every shape of
#: every site has a row, the first of each with the example of its docstring
SHAPE_TABLE: list[tuple[str, str, dict[str, str | None]]] = [
    (
        "lore-legacy-patchwork",
        f"{_LKML_PW}/patch/1052413",
        {
            "kind": "lore-patchwork-legacy",
            "fetch_url": f"{_LKML_PW}/patch/1052413/",
            "item_id": "1052413",
            "item_type": "patch",
            "msgid": None,
            "canonical": None,
        },
    ),
    (
        "lore-legacy-patchwork",
        f"{_LKML_PW}/cover/555274",
        {"kind": "lore-patchwork-legacy", "item_id": "555274", "item_type": "cover"},
    ),
    (
        "lore-list-message",
        "https://lore.kernel.org/all/20230511132113.80196-1-ryan.roberts@arm.com",
        {
            "kind": "lore-message",
            "fetch_url": "https://lore.kernel.org/all/20230511132113.80196-1-ryan.roberts@arm.com/",
            "msgid": "20230511132113.80196-1-ryan.roberts@arm.com",
            "list_name": "all",
            "item_type": "message",
            "canonical": "https://lore.kernel.org/all/20230511132113.80196-1-ryan.roberts@arm.com/",
        },
    ),
    (
        "lore-list-message",
        "https://lore.kernel.org/linux-mm/20210408193948.vfktg3azh2wrt56t@gabell/T/#u",
        {
            "fetch_url": "https://lore.kernel.org/linux-mm/20210408193948.vfktg3azh2wrt56t@gabell/",
            "msgid": "20210408193948.vfktg3azh2wrt56t@gabell",
            "list_name": "linux-mm",
            "canonical": "https://lore.kernel.org/all/20210408193948.vfktg3azh2wrt56t@gabell/",
        },
    ),
    (
        "lkml-kernel-redirect",
        "https://lkml.kernel.org/r/424e2c81-987d-f10e-106d-8b4c611768bc@arm.com",
        {
            "kind": "lore-message",
            "fetch_url": "https://lkml.kernel.org/r/424e2c81-987d-f10e-106d-8b4c611768bc@arm.com",
            "msgid": "424e2c81-987d-f10e-106d-8b4c611768bc@arm.com",
            "list_name": None,
            "canonical": "https://lore.kernel.org/all/424e2c81-987d-f10e-106d-8b4c611768bc@arm.com/",
        },
    ),
    (
        "lkml-kernel-redirect",  # http is upgraded: kernel.org serves https
        "http://lkml.kernel.org/r/163184741778.29351.16920832234899124642.stgit@noble.brown",
        {
            "fetch_url": "https://lkml.kernel.org/r/163184741778.29351.16920832234899124642.stgit@noble.brown",
            "msgid": "163184741778.29351.16920832234899124642.stgit@noble.brown",
        },
    ),
    (
        "msgid-link",
        "https://patch.msgid.link/20250210184334.567383-2-sshegde@linux.ibm.com",
        {
            "kind": "lore-message",
            "fetch_url": "https://patch.msgid.link/20250210184334.567383-2-sshegde@linux.ibm.com",
            "msgid": "20250210184334.567383-2-sshegde@linux.ibm.com",
            "list_name": None,
            "canonical": "https://lore.kernel.org/all/20250210184334.567383-2-sshegde@linux.ibm.com/",
        },
    ),
    ("msgid-link", "https://msgid.link/r/1-x@y.com", {"msgid": "1-x@y.com"}),
    (
        "patchwork-project-item",
        f"{_PW}/linux-mm/cover/20211116001628.24216-1-vbabka@suse.cz",
        {
            "kind": "patchwork",
            "fetch_url": f"{_PW}/linux-mm/cover/20211116001628.24216-1-vbabka@suse.cz/",
            "msgid": "20211116001628.24216-1-vbabka@suse.cz",
            "list_name": "linux-mm",
            "item_id": None,
            "item_type": "cover",
            "canonical": f"{_PW}/linux-mm/cover/20211116001628.24216-1-vbabka@suse.cz/",
        },
    ),
    (
        "patchwork-project-item",
        "https://patchwork.ozlabs.org/project/linuxppc-dev/patch/20170628170411.28864-8-bsingharora@gmail.com/",
        {
            "host": "patchwork.ozlabs.org",
            "msgid": "20170628170411.28864-8-bsingharora@gmail.com",
            "list_name": "linuxppc-dev",
            "item_type": "patch",
        },
    ),
    (
        "patchwork-project-item",
        f"{_PW}/linux-mm/series/746755/",
        {"msgid": None, "item_id": "746755", "item_type": "series"},
    ),
    (
        "patchwork-project-page",
        f"{_PW}/linux-mm/list/?archive=both&state=*",
        {
            "kind": "patchwork",
            "fetch_url": f"{_PW}/linux-mm/list/?archive=both&state=*",
            "list_name": "linux-mm",
            "item_type": "list",
            "msgid": None,
            "canonical": None,
        },
    ),
    (
        "patchwork-project-page",  # a typo of cover/: the project is all that is known
        f"{_PW}/linux-mm/cove/20230710221659.2473460-1-minchan@kernel.org/",
        {"list_name": "linux-mm", "item_type": "cove", "msgid": None},
    ),
    (
        "patchwork-numbered-item",
        "http://patches.linaro.org/cover/221148",
        {
            "kind": "patchwork",
            "fetch_url": "https://patches.linaro.org/cover/221148/",
            "item_id": "221148",
            "item_type": "cover",
            "list_name": None,
        },
    ),
    (
        "patchwork-any-page",
        "https://patchwork.kernel.org/proje3t/linux-mm/cover/20210914013701.344956-1-ying.huang@intel.com",
        {
            "kind": "patchwork",
            "fetch_url": "https://patchwork.kernel.org/proje3t/linux-mm/cover/20210914013701.344956-1-ying.huang@intel.com",
            "msgid": None,
            "list_name": None,
            "item_type": None,
        },
    ),
    (
        "lwn-article",
        "https://lwn.net/Articles/849538",
        {
            "kind": "lwn-article",
            "fetch_url": "https://lwn.net/Articles/849538/",
            "item_id": "849538",
            "item_type": "article",
            "canonical": "https://lwn.net/Articles/849538/",
        },
    ),
    (
        "lwn-ml",
        "https://lwn.net/ml/linux-kernel/20210122033748.924330-1-pasha.tatashin@soleen.com/",
        {
            "kind": "lwn-ml",
            "msgid": "20210122033748.924330-1-pasha.tatashin@soleen.com",
            "list_name": "linux-kernel",
            "item_type": "message",
            "canonical": "https://lwn.net/ml/linux-kernel/20210122033748.924330-1-pasha.tatashin@soleen.com/",
        },
    ),
    (
        "lwn-ml",
        "https://lwn.net/ml/linux-mm/4b9fc9c6-b48c-198f-5f80-811a44737e5f@suse.cz",
        {"fetch_url": "https://lwn.net/ml/linux-mm/4b9fc9c6-b48c-198f-5f80-811a44737e5f@suse.cz/"},
    ),
    (
        "cgit-commit",
        f"{_CGIT}?id=bd30fe6a7d9b72e73c5ac9109cbc3066dde08034",
        {
            "kind": "git-commit",
            "fetch_url": f"{_CGIT}?id=bd30fe6a7d9b72e73c5ac9109cbc3066dde08034",
            "item_id": "bd30fe6a7d9b72e73c5ac9109cbc3066dde08034",
            "item_type": "commit",
            "canonical": None,
        },
    ),
    ("cgit-commit", f"{_CGIT}BD30FE6A7D9B", {"item_id": "bd30fe6a7d9b"}),
    ("cgit-commit", f"{_CGIT}?id=zz&id=bd30fe6a7&id=no", {"item_id": "bd30fe6a7"}),
    (
        "lkml-org-message",
        "https://lkml.org/lkml/2017/1/19/687",
        {
            "kind": "lkml-org",
            "fetch_url": "https://lkml.org/lkml/2017/1/19/687",
            "item_id": "2017/1/19/687",
            "item_type": "message",
            "canonical": "https://lkml.org/lkml/2017/1/19/687",
        },
    ),
    ("lkml-org-message", "http://www.lkml.org/lkml/2016/2/22/1037/", {"host": "www.lkml.org"}),
]


@pytest.mark.parametrize(("shape", "url", "fields"), SHAPE_TABLE)
def test_shape_table(shape: str, url: str, fields: dict[str, str | None]) -> None:
    assert shape_of(url) == shape
    ref = classify(url)
    assert {k: getattr(ref, k) for k in fields} == fields


def _all_shapes() -> list[UrlShape]:
    """Every shape of every site, once (a shape serves all its hosts)."""
    seen: dict[int, UrlShape] = {}
    for shapes in SHAPES.values():
        for s in shapes:
            seen.setdefault(id(s), s)
    return list(seen.values())


def test_every_shape_has_a_row_and_a_unique_name() -> None:
    names = [s.name for s in _all_shapes()]
    assert len(names) == len(set(names)) == 12
    assert {row[0] for row in SHAPE_TABLE} == set(names)


@pytest.mark.parametrize("shape", _all_shapes(), ids=lambda s: s.name)
def test_each_shape_decides_the_example_of_its_docstring(shape: UrlShape) -> None:
    examples = re.findall(r"^\s*(https?://\S+)$", shape.doc, re.M)
    assert examples, f"{shape.name}: no example URL in its docstring"
    for url in examples:
        assert shape_of(url) == shape.name, url
        assert classify(url) == shape.read(_link(url))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://lore.kernel.org/patchwork/patch/x1/", "not a number: no legacy link"),
        ("https://lore.kernel.org/all/no-at-sign/", "no @: no message-id"),
        ("https://lore.kernel.org/pub/x@y/", "pub/ is no list"),
        ("https://lore.kernel.org/all/x@y/a/b/c", "three segments after the id, not a view"),
        ("https://lore.kernel.org/all/x%20y@z/", "a space in the id"),
        ("https://lkml.kernel.org/x/1@y", "not /r/"),
        ("https://lwn.net/Articles/", "no number"),
        ("https://lwn.net/Kernel/", "no shape"),
        (f"{_CGIT.replace('commit/', 'log/')}?id=bd30fe6a7d9b", "log, not commit"),
        (f"{_CGIT}?h=master", "commit with no sha"),
        ("https://lkml.org/lkml/2017/1/19/", "four numbers needed"),
        ("https://www.kernel.org/", "no site of ours"),
    ],
)
def test_urls_no_shape_knows_are_other(url: str, why: str) -> None:
    assert shape_of(url) is None, why
    ref = classify(url)
    assert ref.kind == "other" and ref.fetch_url is not None


def test_shapes_are_tried_in_order_and_by_bare_host() -> None:
    names = [s.name for s in SHAPES["patchwork.kernel.org"]]
    assert names[-1] == "patchwork-any-page"  # the catch-all comes last
    assert [s.name for s in SHAPES["lore.kernel.org"]] == [
        "lore-legacy-patchwork",
        "lore-list-message",
    ]
    assert "www.lwn.net" not in SHAPES  # www. is dropped before the lookup
    assert shape_of("https://www.lwn.net/Articles/1/") == "lwn-article"
    # a malformed or non-web URL reaches no shape
    assert shape_of("mailto:a@b.c") is None
    assert shape_of("https://lore.kernelorg/all/x@y/") is None


def test_parse_normalises_for_the_shapes() -> None:
    link = parse("http://WWW.LWN.net.:443/Articles/1/?a=b#frag")
    assert isinstance(link, Link)
    assert link.host == "www.lwn.net" and link.bare == "lwn.net"
    assert link.segs == ("Articles", "1") and link.query == "a=b"
    assert link.fetch_url == "http://www.lwn.net:443/Articles/1/?a=b"
    bad = parse("https://lore.kernel.org/all/x @y")
    assert isinstance(bad, Ref) and bad.kind == "malformed"


def _link(url: str) -> Link:
    link = parse(url)
    assert isinstance(link, Link)
    return link
