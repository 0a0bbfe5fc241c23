#!/bin/sh
# patchcrawl audit for any CI system or a cron job: plain POSIX shell, no CI features.
#
#   docs/ci/patchcrawl-audit.sh [PATH ...]        (default: the current directory)
#
# Keeps its response cache in $PATCHCRAWL_CACHE_DIR (default .patchcrawl-cache), fails
# only on NEW error findings when .patchcrawl-baseline.json exists (create it once with
# `patchcrawl verify --baseline .patchcrawl-baseline.json --update-baseline`), writes
# patchcrawl.md (markdown) and patchcrawl.sarif next to it, and exits:
#   0  no new error finding
#   1  new error findings (listed on stdout)
#   2  a usage or configuration error
#   3  the check could not be done (network): try again later; nothing was called dead
#   4  a bug in patchcrawl
set -u

PATCHCRAWL=${PATCHCRAWL:-patchcrawl}
CACHE=${PATCHCRAWL_CACHE_DIR:-.patchcrawl-cache}
BASELINE=.patchcrawl-baseline.json
[ "$#" -gt 0 ] || set -- .

if ! command -v "$PATCHCRAWL" >/dev/null 2>&1; then
    echo "patchcrawl is not installed: pipx install git+https://github.com/patchcrawl/patchcrawl" >&2
    exit 2
fi

baseline=""
[ -f "$BASELINE" ] && baseline="--baseline $BASELINE"

# shellcheck disable=SC2086 # $baseline is empty or two words on purpose
"$PATCHCRAWL" verify "$@" --cache-dir "$CACHE" --max-age 7d $baseline \
    --format sarif --output patchcrawl.sarif --no-progress
status=$?

# the same findings for people, from the cache just filled (no new requests)
# shellcheck disable=SC2086
"$PATCHCRAWL" verify "$@" --cache-dir "$CACHE" --offline $baseline \
    --format markdown --output patchcrawl.md --no-progress >/dev/null 2>&1 || true
# shellcheck disable=SC2086
"$PATCHCRAWL" verify "$@" --cache-dir "$CACHE" --offline $baseline \
    --format terminal --no-progress || true

"$PATCHCRAWL" cache prune --cache-dir "$CACHE" --max-age 30d >/dev/null

case $status in
    0) echo "patchcrawl: no new error finding" ;;
    1) echo "patchcrawl: new error findings (see above, patchcrawl.md, patchcrawl.sarif)" >&2 ;;
    3) echo "patchcrawl: the check could not be done (network); try again later" >&2 ;;
    *) echo "patchcrawl: exit $status" >&2 ;;
esac
exit "$status"
