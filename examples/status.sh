#!/usr/bin/env bash
# What was the status of ACTOR at DATE (as known at KNOWN_AT)? Answered from the shell.
#
#   examples/status.sh ACTOR DATE [KNOWN_AT]
#   examples/status.sh Russia 2017-06-21
#   examples/status.sh US "June 19 2017" 2017-06-20
#
# With $TIMELINE_DB set, it asks that database; otherwise it loads the June 2017 Syria
# example (syria-2017-06.jsonl, beside this script) into a temporary SQLite file first.
# Event types change actors' attributes by the templates in syria-2017-06.templates.json
# (or the file named by $TIMELINE_TEMPLATES). Needs the `timeline` command on PATH.
# KNOWN_AT asks what the database knew then: it matters for a database recorded over time
# ($TIMELINE_DB); the example loaded just now knew nothing before now.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 ACTOR DATE [KNOWN_AT]" >&2
  exit 2
fi
actor=$1
date=$2
known_at=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
export TIMELINE_TEMPLATES=${TIMELINE_TEMPLATES:-$here/syria-2017-06.templates.json}

if [[ -z "${TIMELINE_DB:-}" ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  export TIMELINE_DB="sqlite:///$tmp/syria-2017-06.db"
  timeline import "$here/syria-2017-06.jsonl" >/dev/null
fi

args=(state "$actor" --at "$date")
if [[ -n "$known_at" ]]; then
  args+=(--known-at "$known_at")
fi
timeline "${args[@]}"
