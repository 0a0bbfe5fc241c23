"""The simulated web that goes with ``planted.md`` (beside this module).

``planted_world()`` starts from ``world_from_documents`` (every link exists as its
row claims) and then plants one defect per row, as the row's description cell
names it; ``install_faults(web)`` adds the transport faults (bot wall, 503 for
ever, one 429, one 503).  ``EXPECTED`` lists the finding each row must give.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote_plus

from patchcrawl.tables import scan_file
from patchcrawl.testweb.corpus_world import corpus_handler, world_from_documents
from patchcrawl.testweb.http import Handler
from patchcrawl.testweb.server import KernelWeb
from patchcrawl.testweb.world import World, bracket

PLANTED = Path(__file__).resolve().parent / "planted.md"

DEAD = "20220110090000.3000-0-carol@example.org"
WALLED = "20240202020202.4000-0-dave@example.org"
TITLE = "20240306060606.7000-0-hank@example.org"
AUTHOR = "20240307070707.8000-0-ivy@example.org"
VERSION = "20240308080808.9000-0-jack@example.org"
COUNT = "20240309090909.1100-0-kate@example.org"
DATE = "20200601101010.1200-0-liam@example.org"
NO_ADDRESS = "20240313131313.1500-0-oscar@example.org"
#: where the dead link's series lives now (sent again a day later): enrich's rescue
RESENT = "20220111090000.3001-0-carol@example.org"
RATE_LIMITED = "20240311111111.1300-0-mia@example.org"
FLAKY = "20240312121212.1400-0-ned@example.org"
ALWAYS_DOWN = "www.phoronix.com/news/always-down"

#: description cell -> (code, severity) of the one finding the row gives; None: no finding
EXPECTED: dict[str, tuple[str, str] | None] = {
    "clean": None,
    "clean-patchwork": None,
    "dead-link": ("dead-link", "error"),
    "moved-link": ("moved-link", "warning"),
    "blocked": ("blocked", "warning"),
    "paywalled": ("paywalled", "info"),
    "unreachable": ("unreachable", "warning"),
    "malformed-url": ("malformed-url", "error"),
    "malformed-row": ("malformed-row", "warning"),
    "title-mismatch": ("title-mismatch", "error"),
    "author-mismatch": ("author-mismatch", "error"),
    "version-mismatch": ("version-mismatch", "error"),
    "patch-count-mismatch": ("patch-count-mismatch", "error"),
    "date-mismatch": ("date-mismatch", "warning"),
    "author-email-missing": ("author-email-missing", "info"),
    "429-then-ok": None,
    "503-then-ok": None,
}


def row_lines(path: Path = PLANTED) -> dict[str, int]:
    """Description cell -> 1-based line of its row."""
    out: dict[str, int] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        cells = [c.strip() for c in line.split("|")]
        for name in EXPECTED:
            if line.startswith("| ") and name in cells and name not in out:
                out[name] = n
    return out


def _resubject(world: World, msgid: str, *, title: str | None = None, **kw: int) -> None:
    """Rewrite a message's subject with another bracket and/or title."""
    m = world.messages[msgid]
    words = re.match(r"^\[([^\]]*)\]\s*(.*)$", m.subject)
    assert words is not None
    version = kw.get("version", 1)
    total = kw.get("total", 1)
    counter = 0 if total > 1 else None
    m.subject = (
        f"{bracket(version=version, counter=counter, total=total)} {title or words.group(2)}"
    )


def planted_world(path: Path = PLANTED) -> World:
    """The world of planted.md with every row's defect planted."""
    world, _ = world_from_documents([scan_file(str(path))])
    resent = world.messages.pop(DEAD)
    resent.msgid = RESENT
    resent.date += dt.timedelta(days=1)
    world.messages[RESENT] = resent
    world.messages[NO_ADDRESS].from_email = "oscar@example.org"
    world.lwn[973456].paywalled = True
    _resubject(world, TITLE, title="sched: rewrite the scheduler entirely", version=1, total=2)
    ivy = world.messages[AUTHOR]
    ivy.from_name, ivy.from_email = "Otto Someoneelse", "otto@example.net"
    _resubject(world, VERSION, version=3)
    _resubject(world, COUNT, version=2, total=4)
    world.messages[DATE].date = dt.datetime(2020, 6, 1, 10, 10, 10, tzinfo=dt.UTC)
    return world


def planted_handler(path: Path = PLANTED) -> Handler:
    return corpus_handler(planted_world(path))


def install_faults(web: KernelWeb) -> None:
    """Transport faults: a bot wall, a host down for good, one 429 and one 503."""
    web.fault(naming(WALLED), challenge=True)
    web.fault(naming(ALWAYS_DOWN), status=503)
    web.rate_limit(naming(RATE_LIMITED), retry_after=0, times=1)
    web.fail(naming(FLAKY), 503, times=1)


def naming(msgid: str) -> re.Pattern[str]:
    """Any URL naming ``msgid``: its pages, and lore's searches for it (where the id
    stands quoted): a wall or a fault on a site's pages is on its search too."""
    return re.compile(f"{re.escape(msgid)}|{re.escape(quote_plus(msgid))}")


def clean_world(path: Path) -> World:
    """A world in which the document at ``path`` is exactly what its rows claim."""
    world, _ = world_from_documents([scan_file(str(path))])
    return world
