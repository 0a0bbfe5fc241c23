"""Audited documents kept between runs of ``verify``.

Scanning a document and auditing its rows are a pure function of three things: the
file's bytes (and its path, which findings carry), the resolutions of the URLs it
links, and the few settings that shape an audit. A warm run of unchanged documents
(the weekly CI audit) would compute the same again: most of its time, once every
URL is answered from the cache. So ``check_paths`` keeps, per file, the document as
``verify``'s reports read it (:func:`patchcrawl.pipeline._slim`) and its audit's
findings, under a key made of the code fingerprint, the path and those settings,
with the hash of the bytes and the digest of the resolutions it was audited
against. A later run takes them when both still match; any difference (an edited
file, a page that now says something else, changed settings or code) means the
file is scanned and audited again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import zlib
from collections.abc import Sequence

from patchcrawl import code_fingerprint
from patchcrawl.models import Document, Finding, Ref
from patchcrawl.settings import Settings

#: Settings that reach neither the scanner nor ``audit``, or reach it only through
#: the resolutions (``exclude``, ``accept``: the digest covers those). Every other
#: field, and any field added later, is part of the key.
NOT_AUDITED = frozenset(
    {
        "cache_dir",
        "offline",
        "max_age",
        "remap",
        "allow_private",
        "host_concurrency",
        "host_interval",
        "max_concurrency",
        "timeout",
        "retries",
        "max_retry_wait",
        "max_host_wait",
        "max_run_wait",
        "max_redirects",
        "max_body",
        "hosts",
        "user_agent",
        "exclude",
        "accept",
        "severity",  # applied to the findings after the audit (policy)
        "ignores",  # likewise
        "progress",
        "batch",  # how resolutions are found, not what they say (they are compared)
        "batch_size",
        "kernel_git",  # the merged-release checks run after the audit (pipeline.merged_findings)
    }
)


def document_key(path: str, settings: Settings) -> str:
    """Where the audited document of ``path`` is kept for these code and settings."""
    shaping = tuple(
        (f.name, getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in NOT_AUDITED
    )
    text = f"{code_fingerprint()}\0{path}\0{shaping!r}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def content_hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=20).hexdigest()


def pack(doc: Document, findings: Sequence[Finding], refs: Sequence[Ref]) -> bytes:
    """``doc`` (slimmed), the findings of its audit and the classification of each of
    its links (``refs``, in the order of ``doc.links``), without the file's bytes
    (the file itself holds them)."""
    kept = (dataclasses.replace(doc, raw=b""), tuple(findings), tuple(refs))
    # level 1: a fifth of the size (URLs, paths and messages repeat), ~1 ms a MB to undo
    return zlib.compress(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpack(
    payload: bytes, raw: bytes
) -> tuple[Document, tuple[Finding, ...], tuple[Ref, ...]] | None:
    """What :func:`pack` kept, with ``raw`` put back; None when it cannot be read."""
    try:
        doc, findings, refs = pickle.loads(zlib.decompress(payload))
    except Exception:  # a damaged entry: scan again
        return None
    if not isinstance(doc, Document) or not isinstance(findings, tuple):
        return None
    if not isinstance(refs, tuple) or len(refs) != len(doc.links):
        return None
    if not all(isinstance(f, Finding) for f in findings):
        return None
    if not all(isinstance(r, Ref) for r in refs):
        return None
    return dataclasses.replace(doc, raw=raw), findings, refs
