"""liblore is imported without ``requests`` (``patchcrawl._liblore``), and a LoreNode
still finds the real ``requests`` when somebody uses one."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import sys
import patchcrawl.audit, patchcrawl.rescue, patchcrawl.sources.resolver
assert "requests" not in sys.modules and "urllib3" not in sys.modules, "requests imported"
import liblore.node as node
session_class = node.requests.Session          # first use: the real module is imported
import requests
assert node.requests is requests and sys.modules["requests"] is requests
assert session_class is requests.Session
assert type(requests).__name__ == "module"
print("ok")
"""


def test_requests_is_imported_only_when_a_lore_node_needs_it() -> None:
    r = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_a_program_that_imported_requests_first_keeps_it() -> None:
    child = (
        "import requests, sys\n"
        "import patchcrawl.audit, liblore.node as node\n"
        "assert node.requests is requests is sys.modules['requests']\n"
        "print('ok')\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
