"""Merged-release checks (``--kernel-git DIR``): a small mainline repository made with
git in tmp_path, the simulated lore serving the mails, the real CLI end to end."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from patchcrawl.mainline import (
    claim_key,
    normalise_subject,
    open_index,
    patch_msgids,
    release_key,
)
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.sites import make_handler
from patchcrawl.testweb.world import World
from tests.cli_helpers import run_cli, verify_argv

ALICE = ("Alice Liddell", "alice@example.org")
BOB = ("Bob Builder", "bob@example.org")
DAVE = ("Dave Jones", "dave@example.org")
EVE = ("Eve Moneypenny", "eve@example.org")
MALLORY = ("Mallory Knife", "mallory@example.org")
WHEN = dt.datetime(2022, 9, 1, 10, 0, tzinfo=dt.UTC)

# message-ids of the mails (b4 style: the cover is -0-, its patches -1-, -2-)
ALPHA = "20220901-alpha-v3-0-aaaa@example.org"
ALPHA_1 = "20220901-alpha-v3-1-aaaa@example.org"
ALPHA_2 = "20220901-alpha-v3-2-aaaa@example.org"
BETA = "20220902-beta-v1-0-bbbb@example.org"
GAMMA = "20220903.1234-1-alice@example.org"
DELTA = "20220904.2345-1-dave@example.org"
EPSILON = "20220905.3456-1-eve@example.org"
ZETA = "20220906.4567-1-bob@example.org"
ETA = "20220907.5678-1-bob@example.org"
THETA = "20220908.6789-1-bob@example.org"
KAPPA = "20220909.7890-1-dave@example.org"


class Repo:
    """A mainline-shaped repository: commits, merges, tags, a stable branch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tick = 0
        path.mkdir()
        self.git("init", "-q", "-b", "master")
        self.git("config", "uploadpack.allowfilter", "true")

    def git(self, *args: str, who: tuple[str, str] = ALICE) -> str:
        self.tick += 1
        stamp = f"{1662000000 + self.tick * 60} +0000"
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": who[0],
            "GIT_AUTHOR_EMAIL": who[1],
            "GIT_COMMITTER_NAME": "Linus Torvalds",
            "GIT_COMMITTER_EMAIL": "torvalds@linux-foundation.org",
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path),
        }
        out = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def commit(self, subject: str, *trailers: str, who: tuple[str, str] = ALICE) -> str:
        body = "\n".join([*trailers, f"Signed-off-by: {who[0]} <{who[1]}>"])
        self.git("commit", "-q", "--allow-empty", "-m", subject, "-m", body, who=who)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, rev: str = "HEAD") -> None:
        self.git("tag", "-a", "-m", name, name, rev)


def make_mainline(path: Path) -> Repo:
    r = Repo(path)
    r.commit("Initial commit")
    r.tag("v6.0")
    # as mainline's v2.6.11, a tag of a tree: no commit to walk from
    r.git("tag", "-a", "-m", "tree", "v2.6.11", r.git("rev-parse", "HEAD^{tree}"))
    # the v6.1 merge window
    r.commit("bpf: add alpha helper", f"Link: https://lore.kernel.org/r/{ALPHA_1}")
    r.commit("bpf: use the alpha helper", f"Link: https://lore.kernel.org/bpf/{ALPHA_2}/")
    # a subject renamed when applied: found by its Message-Id trailer
    r.commit("mm: add the gamma tunable", f"Message-Id: <{GAMMA}>")
    # Mallory's commit has Eve's subject: a subject alone is not the series
    r.commit("net: epsilon offload", who=MALLORY)
    r.commit("sched: eta accounting", f"Link: https://lore.kernel.org/all/{ETA}", who=BOB)
    r.commit("lib: kappa cleanup", who=DAVE)  # Dave uses this subject twice
    r.tag("v6.1-rc1")
    # applied during the rcs, before Link: trailers existed: subject and author
    r.commit("x86: fix delta", who=DAVE)
    r.tag("v6.1")
    v61 = r.git("rev-parse", "HEAD")
    # the v6.2 merge window: a branch merged with a merge commit linking the cover letter
    r.git("checkout", "-q", "-b", "beta")
    r.commit("fs: beta part one", who=BOB)
    r.commit("fs: beta part two", who=BOB)
    r.git("checkout", "-q", "master")
    r.commit("bpf: unrelated work")
    r.commit("lib: kappa cleanup", who=DAVE)
    r.git(
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'beta'",
        "-m",
        f"Link: https://lore.kernel.org/r/{BETA}",
        "beta",
    )
    r.commit('Revert "bpf: use the alpha helper"', "This reverts the alpha helper's user.")
    r.tag("v6.2-rc1")
    head = r.git("rev-parse", "HEAD")
    # a stable backport of a patch mainline never took: not mainline
    r.git("checkout", "-q", "-b", "linux-6.1.y", v61)
    r.commit("block: zeta fix", f"Link: https://lore.kernel.org/r/{ZETA}", who=BOB)
    r.tag("v6.1.5")
    # a tag newer than HEAD's describe: v6.2 on a commit HEAD does not reach yet
    r.git("checkout", "-q", head)
    r.commit("io_uring: theta", f"Link: https://lore.kernel.org/r/{THETA}", who=BOB)
    r.tag("v6.2")
    r.git("checkout", "-q", "master")
    return r


def world() -> World:
    w = World()
    w.add_message(
        subject="[PATCH v3 0/2] bpf: alpha helper", author=ALICE[0], email=ALICE[1], msgid=ALPHA
    )
    for n, msgid, title in (
        (1, ALPHA_1, "bpf: add alpha helper"),
        (2, ALPHA_2, "bpf: use the alpha helper"),
    ):
        w.add_message(
            subject=f"[PATCH v3 {n}/2] {title}",
            author=ALICE[0],
            email=ALICE[1],
            msgid=msgid,
            in_reply_to=ALPHA,
        )
    w.add_message(subject="[PATCH 0/2] fs: beta", author=BOB[0], email=BOB[1], msgid=BETA)
    w.add_message(
        subject="[PATCH] mm: add gamma knob", author=ALICE[0], email=ALICE[1], msgid=GAMMA
    )
    w.add_message(subject="[PATCH] x86: fix delta", author=DAVE[0], email=DAVE[1], msgid=DELTA)
    w.add_message(
        subject="[PATCH] net: epsilon offload", author=EVE[0], email=EVE[1], msgid=EPSILON
    )
    w.add_message(subject="[PATCH] block: zeta fix", author=BOB[0], email=BOB[1], msgid=ZETA)
    w.add_message(subject="[PATCH] sched: eta accounting", author=BOB[0], email=BOB[1], msgid=ETA)
    w.add_message(subject="[PATCH] io_uring: theta", author=BOB[0], email=BOB[1], msgid=THETA)
    w.add_message(subject="[PATCH] lib: kappa cleanup", author=DAVE[0], email=DAVE[1], msgid=KAPPA)
    return w


HEAD = (
    "| 时间  | 作者 | 特性 | 描述 | 是否合入主线 | 链接 |\n"
    "|:----:|:----:|:---:|:----:|:---------:|:----:|\n"
)

LWN = "https://lwn.net/Articles/6.3/"  # a release-like target: only the link text is a claim
RM, NIM, MU, GONE = "release-mismatch", "not-in-mainline", "merged-unmarked", "not in mainline"

# (name, msgid, title, author, status) -> a row; the expected finding after it
ROWS: list[tuple[str, str, str, tuple[str, str], str, tuple[str, str] | None]] = [
    ("alpha-ok", ALPHA, "bpf: alpha helper", ALICE, "v3 ☑ 6.1-rc1", None),
    ("alpha-xy", ALPHA, "bpf: alpha helper", ALICE, "v3 ☑✓ 6.1", None),
    ("alpha-linked", ALPHA, "bpf: alpha helper", ALICE, f"v3 ☑ [6.2-rc1]({LWN})", (RM, "6.1-rc1")),
    ("alpha-wrong", ALPHA, "bpf: alpha helper", ALICE, "v3 ☑ v6.2-rc1", (RM, "6.1-rc1")),
    ("beta-merge", BETA, "fs: beta", BOB, "v1 ☑ 6.2", None),
    ("beta-wrong", BETA, "fs: beta", BOB, "v1 ☑ 6.1-rc1", (RM, "6.2-rc1")),
    ("gamma-renamed", GAMMA, "mm: add gamma knob", ALICE, "v1 ☑ 6.1-rc1", None),
    ("gamma-template", GAMMA, "mm: add gamma knob", ALICE, "v1 ☐☑✓ 6.2_rc1", (RM, "6.1-rc1")),
    ("gamma-template-bare", GAMMA, "mm: add gamma knob", ALICE, "v1 ☐☑✓", None),
    ("delta-subject", DELTA, "x86: fix delta", DAVE, "v1 ☑ 6.1-rc1", (RM, "6.1")),
    ("epsilon-author", EPSILON, "net: epsilon offload", EVE, "v1 ☑ 6.1-rc1", (NIM, GONE)),
    ("zeta-backport", ZETA, "block: zeta fix", BOB, "v1 ☑ 6.1-rc1", (NIM, GONE)),
    ("zeta-unmarked", ZETA, "block: zeta fix", BOB, "v1 ☐", None),
    ("eta-unmarked", ETA, "sched: eta accounting", BOB, "v1 ☐", (MU, "6.1-rc1")),
    ("theta-newer-tag", THETA, "io_uring: theta", BOB, "v1 ☑ 6.2", None),
    ("theta-future", THETA, "io_uring: theta", BOB, "v1 ☑ 6.3-rc1", (RM, "6.2")),
    ("epsilon-future", EPSILON, "net: epsilon offload", EVE, "v1 ☑ 6.9-rc1", None),
    # a subject its author used in two releases proves no release
    ("kappa-ambiguous", KAPPA, "lib: kappa cleanup", DAVE, "v1 ☑ 5.19-rc1", None),
    ("kappa-unmarked", KAPPA, "lib: kappa cleanup", DAVE, "v1 ☐", (MU, "6.1-rc1")),
    # the links cell also links a series this one depends on: not this series' commits
    ("delta-with-dependency", f"{DELTA} {BETA}", "x86: fix delta", DAVE, "v1 ☑ 6.1", None),
]  # fmt: skip

CODES = (RM, "not-in-mainline", "merged-unmarked")


def document(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    lines = ["# t", "", *HEAD.rstrip("\n").split("\n")]
    where: dict[int, str] = {}
    for name, msgids, title, who, status, _ in ROWS:
        url = f"https://lore.kernel.org/all/{msgids.split()[0]}/"
        where[len(lines) + 1] = name
        links = "<br>".join(f"[LORE v1](https://lore.kernel.org/r/{m})" for m in msgids.split())
        lines.append(
            f"| 2022/09/01 | {who[0]} <{who[1]}> | [{title}]({url}) | NA | {status} | {links} |"
        )
    p = tmp_path / "t.md"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p, where


@pytest.fixture(scope="module")
def mainline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mainline(tmp_path_factory.mktemp("git") / "linux").path


@pytest.fixture
def web() -> Iterator[KernelWeb]:
    with KernelWeb(make_handler(world())) as w:
        yield w


def merged_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] in CODES]


def verify(web: KernelWeb, path: Path, cache: Path, *extra: str) -> dict[str, Any]:
    r = run_cli(verify_argv(path, web.remap_rule(), cache, "--retries", "0", *extra))
    r.assert_clean()
    assert r.code in (0, 1), r.err
    data: dict[str, Any] = r.json()
    return data


# ---- the pieces ---------------------------------------------------------------------


def test_release_keys_read_mainline_tags_only() -> None:
    assert release_key("v6.1-rc1") == (6, 1, 1)
    assert release_key("v6.1") == (6, 1, 1000)
    assert release_key("v2.6.23-rc3") == (2, 6, 23, 3)
    assert release_key("v6.1.5") is None
    assert release_key("v2.6.23.1") is None
    assert claim_key("4.1-rc1") == ((4, 1, 1), True)
    assert claim_key("v4.1-rc1") == ((4, 1, 1), True)
    assert claim_key("5.15_rc1") == ((5, 15, 1), True)
    assert claim_key("4.1") == ((4, 1, 1000), False)
    assert claim_key("2.6.23") == ((2, 6, 23, 1000), False)
    assert claim_key("6.1.5") is None


def test_patch_ids_follow_b4_and_git_send_email() -> None:
    assert patch_msgids("20220901-alpha-v3-0-aaaa@example.org", 2) == [
        "20220901-alpha-v3-1-aaaa@example.org",
        "20220901-alpha-v3-2-aaaa@example.org",
    ]
    assert patch_msgids("1427312966-8434-1-git-send-email-ast@plumgrid.com", 2) == [
        "1427312966-8434-2-git-send-email-ast@plumgrid.com",
        "1427312966-8434-3-git-send-email-ast@plumgrid.com",
    ]
    assert patch_msgids("no-number@x.org", 3) == []


def test_subjects_compare_without_brackets_case_or_spaces() -> None:
    assert normalise_subject("[PATCH v3 1/2]  BPF: Add alpha helper.") == "bpf: add alpha helper"


def test_index_reads_trailers_merges_and_first_tags(mainline: Path, tmp_path: Path) -> None:
    index = open_index(str(mainline), str(tmp_path))
    try:
        (a1,) = index.by_msgid(ALPHA_1)
        assert a1.subject == "bpf: add alpha helper" and a1.release == (6, 1, 1)
        (a2,) = index.by_msgid(ALPHA_2)
        assert a2.release == (6, 1, 1)
        (merge,) = index.by_msgid(f"<{BETA}>")
        assert merge.subject == "Merge branch 'beta'" and merge.release == (6, 2, 1)
        (gamma,) = index.by_msgid(GAMMA)
        assert gamma.subject == "mm: add the gamma tunable"
        assert index.by_msgid(ZETA) == []  # the stable backport is not mainline
        (theta,) = index.by_msgid(THETA)
        assert theta.release == (6, 2, 1000)  # a tag HEAD does not reach
        (delta,) = index.by_subject("x86: fix delta")
        assert delta.email == DAVE[1] and delta.release == (6, 1, 1000)
        assert index.newest == (6, 2, 1000)
    finally:
        index.close()
    files = os.listdir(tmp_path / "mainline")
    assert len(files) == 1 and files[0].endswith(".sqlite")
    # a warm run opens the same file; a new commit makes another (the old one goes)
    again = open_index(str(mainline), str(tmp_path))
    again.close()
    assert os.listdir(tmp_path / "mainline") == files
    moved = tmp_path / "moved"
    subprocess.run(["git", "clone", "-q", str(mainline), str(moved)], check=True)
    later = Repo.__new__(Repo)
    later.path, later.tick = moved, 100
    later.commit("mm: a later commit", f"Link: https://lore.kernel.org/r/{KAPPA}")
    newer = open_index(str(moved), str(tmp_path))
    try:
        (kappa,) = newer.by_msgid(KAPPA)
        assert kappa.release is None  # after the newest tag
    finally:
        newer.close()
    (file,) = os.listdir(tmp_path / "mainline")
    assert file != files[0]  # HEAD moved: a new index, the old one removed


def test_a_partial_clone_is_enough(mainline: Path, tmp_path: Path) -> None:
    clone = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{mainline}", str(clone)],
        check=True,
        capture_output=True,
    )
    index = open_index(str(clone), str(tmp_path / "c"))
    try:
        (a1,) = index.by_msgid(ALPHA_1)
        assert a1.release == (6, 1, 1)
        assert index.by_msgid(ZETA) == []
    finally:
        index.close()


# ---- end to end ---------------------------------------------------------------------


def test_every_case_through_verify(mainline: Path, web: KernelWeb, tmp_path: Path) -> None:
    path, where = document(tmp_path)
    report = verify(web, path, tmp_path / "c", "--kernel-git", str(mainline))
    got = {where[f["line"]]: f for f in merged_findings(report)}
    want = {name: exp for name, *_, exp in ROWS if exp is not None}
    assert {k: (f["code"], f["actual"]) for k, f in got.items()} == want
    wrong = got["alpha-wrong"]
    assert wrong["severity"] == "error" and wrong["expected"] == "6.2-rc1"
    assert wrong["fix"] and wrong["fix"][0]["new"] == "v6.1-rc1"
    assert "bpf: add alpha helper" in wrong["message"]
    assert wrong["commit"][:12] in wrong["message"]
    assert got["gamma-template"]["fix"][0]["new"] == "6.1_rc1"
    assert got["delta-subject"]["fix"][0]["new"] == "6.1"
    assert got["theta-future"]["fix"][0]["new"] == "6.2"
    assert got["epsilon-author"]["severity"] == "warning"
    assert got["epsilon-author"]["fix"] is None
    assert got["eta-unmarked"]["severity"] == "info"
    # without the option, nothing of the kind
    plain = verify(web, path, tmp_path / "c")
    assert merged_findings(plain) == []


def test_enrich_write_fixes_the_releases(mainline: Path, web: KernelWeb, tmp_path: Path) -> None:
    path, where = document(tmp_path)
    before = path.read_text(encoding="utf-8")
    argv = verify_argv(path, web.remap_rule(), tmp_path / "c", "--retries", "0")
    argv[0] = "enrich"
    argv[argv.index("--format") : argv.index("--format") + 2] = []
    r = run_cli([*argv, "--kernel-git", str(mainline), "--write", "--select", "release-mismatch"])
    r.assert_clean()
    after = path.read_text(encoding="utf-8")
    assert after != before
    rows = {where[n + 1]: line for n, line in enumerate(after.split("\n")) if n + 1 in where}
    assert "| v3 ☑ v6.1-rc1 |" in rows["alpha-wrong"]
    assert "| v1 ☑ 6.2-rc1 |" in rows["beta-wrong"]
    assert "| v1 ☐☑✓ 6.1_rc1 |" in rows["gamma-template"]
    assert "| v1 ☑ 6.1 |" in rows["delta-subject"]
    assert "| v1 ☑ 6.2 |" in rows["theta-future"]
    assert f"| v3 ☑ [6.1-rc1]({LWN}) |" in rows["alpha-linked"]
    # nothing else changed, and a second verify has no release to fix
    changed = [a for a, b in zip(before.split("\n"), after.split("\n"), strict=True) if a != b]
    assert len(changed) == 6
    report = verify(web, path, tmp_path / "c", "--kernel-git", str(mainline))
    assert [f for f in merged_findings(report) if f["code"] == "release-mismatch"] == []


def test_env_and_config_name_the_clone(mainline: Path, web: KernelWeb, tmp_path: Path) -> None:
    path, _ = document(tmp_path)
    argv = verify_argv(path, web.remap_rule(), tmp_path / "c", "--retries", "0")
    r = run_cli(argv, env={"PATCHCRAWL_KERNEL_GIT": str(mainline)})
    assert merged_findings(r.json())
    assert "indexing the mainline clone" in r.err  # a cold index says so on stderr
    cfg = tmp_path / "patchcrawl.toml"
    cfg.write_text(f'kernel-git = "{mainline}"\n', encoding="utf-8")
    r = run_cli([*argv, "--config", str(cfg)])
    assert merged_findings(r.json())
    assert "indexing" not in r.err  # warm: the index of this HEAD is in the cache


def test_not_a_repository_is_a_usage_error(web: KernelWeb, tmp_path: Path) -> None:
    path, _ = document(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (empty, tmp_path / "missing"):
        argv = verify_argv(path, web.remap_rule(), tmp_path / "c", "--kernel-git", str(target))
        r = run_cli(argv)
        assert r.code == 2, r.err
        assert "--kernel-git" in r.err and "Traceback" not in r.err
        assert web.log == []  # refused before the first request
