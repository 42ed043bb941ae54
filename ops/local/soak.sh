#!/usr/bin/env bash
# npm run soak: throw-away private stack (ops/local/up.sh in a temp dir, free ports, Postgres without fsync), then
# node dist/bench/soak.js: SOAK_CLIENTS (64) concurrent clients for SOAK_SECONDS (300) mixing wrap/unwrap, sign/verify,
# generateDataKey/releaseDataKey and audit queries; progress every 10 s, a table of ops/s, p50/p95/p99 and errors per
# operation, gateway/worker RSS at start and end, and bench/results/soak-<time>.json (docs/soak.md). Exits non-zero
# when any call failed. Always stops and removes the stack.
#
# Knobs (see bench/soak.ts): SOAK_CLIENTS, SOAK_SECONDS, SOAK_POOL (pool-a), SOAK_MIX, SOAK_TIMEOUT_MS, SOAK_LABEL.
# SOAK_DURABLE=1 runs Postgres with fsync and synchronous_commit on (default: KEYBRIDGE_EPHEMERAL=1, i.e. off, like
# npm test and npm run bench). KEYBRIDGE_KEEP_SOAK_DATA=1 keeps the temp dir (stack stopped), logs included.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ops/local/lib.sh
. "$HERE/lib.sh"
cd "$KB_REPO"

DATA=""
finish() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$DATA" ] && [ -d "$DATA" ]; then
    if [ "$rc" != 0 ]; then
      kb_tail "$DATA/run/gateway.log" 40
    fi
    KEYBRIDGE_DATA_DIR="$DATA" bash "$HERE/down.sh" >&2
    if [ "${KEYBRIDGE_KEEP_SOAK_DATA:-0}" = 1 ]; then
      echo "soak: kept data in $DATA" >&2
    else
      rm -rf "$DATA"
    fi
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A developer shell that sourced the dev stack's keybridge.env must not point the soak at the dev stack.
kb_forget_generated_env "$(kb_data_dir)/keybridge.env"
unset DATABASE_URL DATABASE_MIGRATION_URL REDIS_URL KEYBRIDGE_POOLS_FILE KEYBRIDGE_NO_APPS

DATA="$(mktemp -d /tmp/keybridge-soak.XXXXXX)"
chmod 755 "$DATA" # the postgres/redis users must be able to traverse it

read -r PG_PORT REDIS_PORT GW_PORT < <(kb_free_ports 3)
[ -n "${GW_PORT:-}" ] || { echo "soak: could not pick free ports" >&2; exit 1; }
echo "soak: data dir $DATA, ports pg=$PG_PORT redis=$REDIS_PORT gateway=$GW_PORT"

EPHEMERAL=1
[ "${SOAK_DURABLE:-0}" = 1 ] && EPHEMERAL=0
KEYBRIDGE_DATA_DIR="$DATA" KEYBRIDGE_PG_PORT="$PG_PORT" KEYBRIDGE_REDIS_PORT="$REDIS_PORT" \
  PORT="$GW_PORT" HOST=127.0.0.1 KEYBRIDGE_EPHEMERAL="$EPHEMERAL" bash "$HERE/up.sh" >"$DATA/up.log" 2>&1 || {
  cat "$DATA/up.log" >&2
  echo "soak: the local stack did not start" >&2
  exit 1
}
echo "soak: stack is up (log: up.log in the data dir)"

# shellcheck disable=SC1091
. "$DATA/keybridge.env"

node "$KB_REPO/dist/bench/soak.js"
