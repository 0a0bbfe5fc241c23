"""The simulated sites answer like the real ones (shapes the parsers and other features rely on)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from patchcrawl.testweb.http import WebRequest, WebResponse
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import World
from tests.kernelweb.scenarios import build


def get(world: World, url: str) -> WebResponse:
    rest = url.split("://", 1)[1]
    host, _, pq = rest.partition("/")
    path, _, query = ("/" + pq).partition("?")
    return make_handler(world)(WebRequest("GET", host, path, query))


def test_lore_redirects_and_raw() -> None:
    sc = build()
    cover = sc.kprobes.cover
    assert cover is not None
    r = get(sc.world, f"https://lore.kernel.org/lkml/{cover.msgid}")
    assert (r.status, r.headers["location"]) == (301, f"/lkml/{cover.msgid}/")
    r = get(sc.world, f"https://lore.kernel.org/r/{cover.msgid}")
    assert (r.status, r.headers["location"]) == (302, f"/all/{cover.msgid}/")
    raw = get(sc.world, f"https://lore.kernel.org/lkml/{cover.msgid}/raw")
    assert raw.body.startswith(b"From mboxrd@z ")
    assert f"Message-ID: <{cover.msgid}>".encode() in raw.body
    enc = get(sc.world, f"https://lore.kernel.org/netdev/{sc.single.patches[0].msgid}/raw")
    assert b"=?utf-8?" in enc.body  # RFC 2047 on the wire
    assert get(sc.world, "https://lore.kernel.org/all/nope@x/").status == 404


def test_legacy_redirector() -> None:
    sc = build()
    cover = sc.kprobes.cover
    assert cover is not None
    n = sc.kprobes.legacy_ids[cover.msgid]
    r = get(sc.world, f"https://lore.kernel.org/patchwork/cover/{n}")
    assert (r.status, r.headers["location"]) == (301, f"https://lore.kernel.org/r/{cover.msgid}")
    sc.world.legacy_cover_redirects = False
    assert get(sc.world, f"https://lore.kernel.org/patchwork/cover/{n}").status == 404
    assert get(sc.world, f"https://lore.kernel.org/patchwork/patch/{n + 1}").status == 301
    assert get(sc.world, "https://lore.kernel.org/patchwork/patch/3").status == 404


def test_atom_search_terms() -> None:
    sc = build()
    w = sc.world

    def titles(q: str, lst: str = "all") -> list[str]:
        body = get(w, f"https://lore.kernel.org/{lst}/?q={quote(q)}&x=A").body.decode()
        assert body.startswith("<?xml")
        return re.findall(r"<title>(.*?)</title>", body)[1:]

    assert titles('s:"attach eBPF" s:"0/9"') == [
        "[PATCH v11 tip 0/9] tracing: attach eBPF programs to kprobes"
    ]
    assert len(titles("f:ast@plumgrid.com")) == 10
    assert len(titles("f:andrii d:20230601..20230603", "netdev")) == 8
    assert titles("f:andrii d:20230603..") == []
    cover = sc.kprobes.cover
    assert cover is not None
    body = get(w, f"https://lore.kernel.org/all/?q=m:{cover.msgid}&x=A").body.decode()
    assert "<author><name>Alexei Starovoitov</name><email>ast@plumgrid.com</email>" in body
    assert f'href="https://lore.kernel.org/all/{cover.msgid}/"' in body
    assert "<updated>2015-03-25T19:49:17Z</updated>" in body


def test_patchwork_api_and_names() -> None:
    sc = build()
    cover = sc.token.cover
    assert cover is not None
    host = "https://patches.linaro.org"
    r = get(sc.world, f"{host}/api/1.2/covers/?msgid=<{cover.msgid}>")
    (item,) = json.loads(r.body)
    assert item["name"] == "[RFC,v3,RESEND,bpf-next,0/7] bpf: introduce BPF token object"
    assert item["msgid"] == f"<{cover.msgid}>"
    assert item["series"][0]["version"] == 3
    s = json.loads(get(sc.world, f"{host}/api/1.2/series/{item['series'][0]['id']}/").body)
    assert s["cover_letter"]["msgid"] == f"<{cover.msgid}>" and s["total"] == 7
    assert get(sc.world, f"{host}/api/1.2/patches/1/").status == 404
    page = get(sc.world, f"{host}/project/linux-bpf/cover/{cover.msgid}/").body.decode()
    assert "<title>[RFC,v3,RESEND,bpf-next,0/7] bpf: introduce BPF token object - Patchwork" in page


def test_generate_is_deterministic() -> None:
    a, b = World.generate(30, seed=7), World.generate(30, seed=7)
    assert [m.subject for m in a.messages.values()] == [m.subject for m in b.messages.values()]
    assert list(a.messages) == list(b.messages)
    assert len(a.series) == 30
