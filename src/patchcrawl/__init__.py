"""patchcrawl: keep Linux kernel feature-history documents honest."""

from __future__ import annotations

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/patchcrawl/patchcrawl"
USER_AGENT = f"patchcrawl/{__version__} (+{PROJECT_URL})"

__all__ = ["PROJECT_URL", "USER_AGENT", "__version__"]
