"""The real-mail test set (``tests/data/realmail``) as a :class:`World` lore serves.

``messages/*.eml`` hold the header lines of real mails exactly as public raw-mail
archives have them (``sources-*.tsv`` says where each came from), then, when the
mail was sent on someone's behalf, the body's leading ``From:`` line.  Each becomes
a :class:`Message` whose page and ``/raw`` show those very lines
(:func:`patchcrawl.testweb.sites.lore.verbatim_head_html`); threads come from their
``In-Reply-To``, searches from their subjects and senders.  The only thing added is
which lists hold a message: its ``X-Mailing-List`` and the lists the rows' own URLs
name for it (lore kept them there when the rows were written).
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.header import decode_header, make_header
from pathlib import Path

from patchcrawl.sources import lore as lore_source
from patchcrawl.sources import patchwork as pw_source
from patchcrawl.testweb.world import Message, PatchworkItem, World
from tests.cli_helpers import verify_argv

HERE = Path(__file__).resolve().parent.parent / "data" / "realmail"
ROWS = HERE / "rows.md"

# X-Mailing-List address -> the lore list that archives it
_LISTS = {"linux-kernel@vger.kernel.org": "lkml", "linux-mm@kvack.org": "linux-mm"}
_URL = re.compile(r"https?://[^\s)<>\]|]+")
_ANGLE = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class RealMail:
    file: str
    headers: str  # the header lines, verbatim
    body: str  # the body's leading From: line, or ""

    def header(self, name: str) -> str | None:
        """One header's value, unfolded and RFC 2047-decoded."""
        value: str | None = None
        for line in self.headers.split("\n"):
            if line[:1] in (" ", "\t"):
                if value is not None:
                    value += " " + line.strip()
                continue
            if value is not None:
                break
            key, _, rest = line.partition(":")
            if key.lower() == name.lower():
                value = rest.strip()
        if value is None:
            return None
        return str(make_header(decode_header(value))) if "=?" in value else value

    @property
    def msgid(self) -> str:
        m = _ANGLE.search(self.header("Message-ID") or "")
        assert m is not None, self.file
        return m.group(1)


def load(directory: Path = HERE / "messages") -> list[RealMail]:
    out: list[RealMail] = []
    for path in sorted(directory.glob("*.eml")):
        text = path.read_text(encoding="utf-8")
        headers, _, body = text.partition("\n\n")
        out.append(RealMail(path.name, headers, body.strip("\n")))
    return out


def sources() -> dict[str, str]:
    """msgid -> where the header lines were found (``sources-*.tsv``)."""
    out: dict[str, str] = {}
    for path in sorted(HERE.glob("sources-*.tsv")):
        with path.open(encoding="utf-8", newline="") as f:
            for rec in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if rec["note"].startswith("found-in-archive"):
                    out[rec["msgid"]] = f"find_string {rec['query']!r} -> id {rec['id']}"
    return out


def row_urls(text: str) -> list[str]:
    return _URL.findall(text)


def world(rows_text: str | None = None, mails: Iterable[RealMail] | None = None) -> World:
    """The world of every real mail, with patchwork pages for the msgids the rows link
    on patchwork."""
    rows_text = ROWS.read_text(encoding="utf-8") if rows_text is None else rows_text
    urls = row_urls(rows_text)
    lists_named: dict[str, set[str]] = {}
    for url in urls:
        loc = lore_source.locate(url)
        if loc is not None:
            lists_named.setdefault(loc.msgid, set()).add(loc.list_name)
    w = World()
    mails = list(load() if mails is None else mails)
    held = {m.msgid for m in mails}
    for mail in mails:
        msgid = mail.msgid
        home = _LISTS.get((mail.header("X-Mailing-List") or "").lower(), "lkml")
        named = sorted(lists_named.get(msgid, set()) - {"all", home})
        name, addr = email.utils.parseaddr(mail.header("From") or "")
        date = email.utils.parsedate_to_datetime(mail.header("Date") or "")
        if date.tzinfo is None:
            date = date.replace(tzinfo=dt.UTC)
        # threaded as public-inbox threads: by In-Reply-To, else the nearest message of
        # References the set holds (the others are mails the archives had, not this set)
        ancestry = _ANGLE.findall(mail.header("References") or "")
        ancestry += _ANGLE.findall(mail.header("In-Reply-To") or "")
        parent = next((a for a in reversed(ancestry) if a in held and a != msgid), None)
        w.messages[msgid] = Message(
            msgid=msgid,
            lists=(home, *named),
            subject=" ".join((mail.header("Subject") or "").split()),
            from_name=name,
            from_email=addr,
            date=date,
            in_reply_to=parent,
            body=(mail.body + "\n\n" if mail.body else "") + "(the body is not kept)\n",
            headers=mail.headers,
        )
    for url in urls:
        pw = pw_source.locate(url)
        if pw is None or pw.msgid is None or pw.msgid not in w.messages:
            continue
        host = pw.host.lower()
        if w.pw_by_msgid(host, pw.msgid) is not None:
            continue
        item_id = 20_000_000 + len(w.patchwork)
        w.patchwork[(host, item_id)] = PatchworkItem(
            id=item_id,
            host=host,
            project=pw.project or "linux-mm",
            msgid=pw.msgid,
            type=pw.item_type or "patch",
        )
    return w


# ---------------------------------------------------------------- ground truth and verdicts

#: the findings about a row's metadata whose precision and recall the set measures
METADATA_CODES = frozenset(
    {
        "title-mismatch",
        "author-mismatch",
        "author-email-missing",
        "version-mismatch",
        "version-unconfirmed",
        "patch-count-mismatch",
        "date-mismatch",
    }
)
COUNTED = frozenset({"error", "warning"})
VERDICT_FIELDS = ("row", "code", "claim", "expected", "actual", "verdict", "reason")


def row_index() -> dict[int, str]:
    """Line of a row in ``rows.md`` -> ``<corpus path>:<line>``."""
    with (HERE / "rows.tsv").open(encoding="utf-8", newline="") as f:
        return {
            int(r["line"]): r["corpus"]
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        }


def claim_of(finding: dict[str, str]) -> str:
    """Which claim of the row a finding is about (the truth tables' ``claim``)."""
    code, message = finding["code"], finding["message"]
    url = (finding.get("url") or "").rstrip("/")
    if code == "title-mismatch":
        return "title"
    if code in ("author-mismatch", "author-email-missing"):
        return "author"
    if code == "patch-count-mismatch" or message.startswith("link text"):
        return f"label:{url}"
    if code in ("version-mismatch", "version-unconfirmed"):
        return "status-version"
    return "date"


def truth() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(row, claim) -> [(verdict, reason)] of ``truth-*.tsv``, with ``rejudged.tsv``'s
    lines in place of the ones they judge again."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for path in sorted(HERE.glob("truth-*.tsv")):
        with path.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                claim = r["claim"]
                if claim.startswith("label:"):
                    claim = "label:" + claim[6:].rstrip("/")
                out.setdefault((r["row"], claim), []).append((r["verdict"], r["reason"]))
    again = HERE / "rejudged.tsv"
    if again.exists():
        with again.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                out[(r["row"], r["claim"])] = [(r["verdict"], "judged again: " + r["reason"])]
    return out


def finding_key(row: str, f: dict[str, str]) -> tuple[str, str, str, str, str]:
    return (row, f["code"], claim_of(f), f.get("expected") or "", f.get("actual") or "")


def counted_findings(
    report: dict[str, object],
) -> dict[tuple[str, str, str, str, str], dict[str, str]]:
    """The report's metadata findings at warning or error, by verdict key."""
    rows = row_index()
    out: dict[tuple[str, str, str, str, str], dict[str, str]] = {}
    findings = report["findings"]
    assert isinstance(findings, list)
    for f in findings:
        if f["code"] in METADATA_CODES and f["severity"] in COUNTED:
            out[finding_key(rows[f["row_line"]], f)] = f
    return out


def draft_verdicts(report: dict[str, object]) -> list[dict[str, str]]:
    """Every counted finding with the truth's verdict (``true``: the claim disagrees with
    the mail; ``false``: it agrees; ``unknown``), then every disagreement no finding
    reported (``missed``)."""
    known = truth()
    found = counted_findings(report)
    out: list[dict[str, str]] = []
    hit: set[tuple[str, str]] = set()
    for key in sorted(found):
        row, _code, claim, _expected, _actual = key
        judged = known.get((row, claim), [])
        verdicts = {v for v, _ in judged}
        if "disagree" in verdicts:
            verdict = "true"
        elif verdicts & {"agree", "agree-no-email"}:
            verdict = "false"
        else:
            verdict = "unknown"
        reason = next((r for v, r in judged if v == "disagree"), judged[0][1] if judged else "")
        hit.add((row, claim))
        out.append(dict(zip(VERDICT_FIELDS, (*key, verdict, reason), strict=True)))
    for (row, claim), judged in sorted(known.items()):
        if (row, claim) in hit:
            continue
        for v, reason in judged:
            if v == "disagree":
                out.append(
                    dict(
                        zip(VERDICT_FIELDS, (row, "", claim, "", "", "missed", reason), strict=True)
                    )
                )
    return out


def read_verdicts() -> list[dict[str, str]]:
    with (HERE / "verdicts.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def write_verdicts(rows: list[dict[str, str]], path: Path = HERE / "verdicts.tsv") -> None:
    lines = ["\t".join(VERDICT_FIELDS)]
    for r in rows:
        lines.append("\t".join(" ".join(r[k].split()) for k in VERDICT_FIELDS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify_args(remap: str, cache: str, *extra: str) -> list[str]:
    """The ``verify`` command line the set is checked with."""
    return verify_argv(ROWS, remap, cache, "--retries", "1", "--timeout", "10", *extra)
