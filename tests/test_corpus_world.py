"""world_from_documents: every link of a document exists as its row claims (no network)."""

from __future__ import annotations

from pathlib import Path

from patchcrawl.tables import scan_bytes, scan_file
from patchcrawl.testweb.corpus_world import DEFECT_CODES, corpus_handler, world_from_documents
from patchcrawl.testweb.http import WebRequest
from patchcrawl.testweb.planted import PLANTED

DATA = Path(__file__).resolve().parent.parent / "data"

LEGACY = "https://lore.kernel.org/patchwork/cover/555274"
ANN = "https://lore.kernel.org/bpf/20240429.1-0-ann@example.org/"
DOC = "\n".join(
    [
        "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |",
        "|:----:|:----:|:---:|:----:|:---------:|:----:|",
        "| 2015/03/25 | Alexei Starovoitov <ast@plumgrid.com> "
        f"| [tracing: attach eBPF programs to kprobes]({LEGACY}) | x | v11 ☑ 4.1-rc1 "
        f"| [PatchWork v11,tip,0/9]({LEGACY}) |",
        f"| 2024/04/29 | Ann Dev <ann@example.org> | [bpf: a thing]({ANN}) | y | v3 ☐ "
        f"| [LORE v3,0/4]({ANN}), [LWN](https://lwn.net/Articles/123456/), "
        "[phoronix](https://www.phoronix.com/news/x) |",
        "",
    ]
)


def _get(handler: object, url: str) -> tuple[int, str]:
    host, _, rest = url.split("://", 1)[1].partition("/")
    path, _, query = ("/" + rest).partition("?")
    resp = handler(WebRequest("GET", host, path, query, {}))  # type: ignore[operator]
    return resp.status, resp.body.decode("utf-8", "replace")


def test_links_exist_with_the_claimed_metadata() -> None:
    doc = scan_bytes("doc.md", DOC.encode())
    world, planted = world_from_documents([doc])
    assert all(planted[c] == [] for c in DEFECT_CODES)
    kind, msgid = world.legacy[555274]
    assert kind == "cover"
    cover = world.messages[msgid]
    assert cover.subject == "[PATCH v11 tip 0/9] tracing: attach eBPF programs to kprobes"
    assert (cover.from_name, cover.from_email) == ("Alexei Starovoitov", "ast@plumgrid.com")
    assert cover.date.date().isoformat() == "2015-03-25"
    ann = world.messages["20240429.1-0-ann@example.org"]
    assert ann.subject == "[PATCH v3 0/4] bpf: a thing"
    assert "bpf" in ann.lists
    handler = corpus_handler(world)
    status, _ = _get(handler, "https://lore.kernel.org/patchwork/cover/555274")
    assert status == 301
    assert _get(handler, "https://lore.kernel.org/bpf/20240429.1-0-ann@example.org/")[0] == 200
    assert _get(handler, "https://lwn.net/Articles/123456/")[0] == 200
    assert _get(handler, "https://www.phoronix.com/news/x")[0] == 200


def test_defects_are_deterministic_and_reported() -> None:
    docs = [scan_file(str(p)) for p in sorted(DATA.glob("*.md"))]
    _, one = world_from_documents(docs, seed=7, defect_rate=0.2)
    _, two = world_from_documents(docs, seed=7, defect_rate=0.2)
    assert one == two
    planted = sum(len(one[c]) for c in DEFECT_CODES)
    assert 0.1 * one["targets"] < planted < 0.3 * one["targets"]
    entry = one["dead-link"][0]
    assert entry["urls"] and entry["lines"] and entry["rows"]


def test_dead_target_is_missing() -> None:
    doc = scan_file(str(PLANTED))
    world, planted = world_from_documents([doc], seed=1, defect_rate=1.0)
    handler = corpus_handler(world)
    for entry in planted["dead-link"]:
        url = entry["urls"][0]
        if url.startswith("https://lore.kernel.org/all/"):
            assert _get(handler, url)[0] == 404
