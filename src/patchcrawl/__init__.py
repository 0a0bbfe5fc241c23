"""patchcrawl: keep Linux kernel feature-history documents honest."""

from __future__ import annotations

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/patchcrawl/patchcrawl"
USER_AGENT = f"patchcrawl/{__version__} (+{PROJECT_URL})"

__all__ = ["PROJECT_URL", "USER_AGENT", "__version__", "code_fingerprint"]


def code_fingerprint() -> str:
    """A hash of this package's source files: what the caches of derived results
    (resolutions, scanned documents) are keyed by, so that changed parsing code,
    released or not, never answers from a result the old code computed. The
    simulated web (``testweb/``) computes nothing a cache keeps and is left out."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import hashlib
        from pathlib import Path

        root = Path(__file__).resolve().parent
        h = hashlib.sha256(__version__.encode())
        for path in sorted(root.rglob("*.py")):
            if path.relative_to(root).parts[0] == "testweb":
                continue
            h.update(path.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(path.read_bytes())
        _FINGERPRINT = h.hexdigest()[:20]
    return _FINGERPRINT


_FINGERPRINT: str | None = None
