#!/usr/bin/env bash
# npm run bench: throw-away private stack (ops/local/up.sh in a temp dir, free ports, Postgres without fsync), then
# node dist/bench/run-bench.js: raw PKCS#11 baseline on pool-a, the same operations through the GraphQL API with the
# ledger on, a table of ops/s and API/raw ratios, and bench/results/<timestamp>.json (docs/benchmarks.md); then the
# re-wrap and audit-ledger benchmarks (bench/rewrap.ts, bench/ledger-appends.ts). Always stops and removes the stack.
#
# Knobs (see bench/run-bench.ts): BENCH_SECONDS (8), BENCH_AUX_SECONDS (3), BENCH_WARMUP_SECONDS (1.5),
# BENCH_CONCURRENCY (16), BENCH_CONCURRENCY_HIGH (64) or BENCH_CONCURRENCIES="16,64", BENCH_OPS ("wrap,unwrap"),
# BENCH_RAW (1), BENCH_POOL (pool-a), BENCH_LABEL. BENCH_DURABLE=1 runs Postgres with fsync and synchronous_commit on
# (default: KEYBRIDGE_EPHEMERAL=1, i.e. off, like npm test). KEYBRIDGE_KEEP_BENCH_DATA=1 keeps the temp dir (stack stopped).
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
    if [ "${KEYBRIDGE_KEEP_BENCH_DATA:-0}" = 1 ]; then
      echo "bench: kept data in $DATA" >&2
    else
      rm -rf "$DATA"
    fi
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A developer shell that sourced the dev stack's keybridge.env must not point the bench at the dev stack.
kb_forget_generated_env "$(kb_data_dir)/keybridge.env"
unset DATABASE_URL DATABASE_MIGRATION_URL REDIS_URL KEYBRIDGE_POOLS_FILE KEYBRIDGE_NO_APPS

DATA="$(mktemp -d /tmp/keybridge-bench.XXXXXX)"
chmod 755 "$DATA" # the postgres/redis users must be able to traverse it

read -r PG_PORT REDIS_PORT GW_PORT < <(kb_free_ports 3)
[ -n "${GW_PORT:-}" ] || { echo "bench: could not pick free ports" >&2; exit 1; }
echo "bench: data dir $DATA, ports pg=$PG_PORT redis=$REDIS_PORT gateway=$GW_PORT"

EPHEMERAL=1
[ "${BENCH_DURABLE:-0}" = 1 ] && EPHEMERAL=0
KEYBRIDGE_DATA_DIR="$DATA" KEYBRIDGE_PG_PORT="$PG_PORT" KEYBRIDGE_REDIS_PORT="$REDIS_PORT" \
  PORT="$GW_PORT" HOST=127.0.0.1 KEYBRIDGE_EPHEMERAL="$EPHEMERAL" bash "$HERE/up.sh" >"$DATA/up.log" 2>&1 || {
  cat "$DATA/up.log" >&2
  echo "bench: the local stack did not start" >&2
  exit 1
}
echo "bench: stack is up (log: up.log in the data dir)"

# shellcheck disable=SC1091
. "$DATA/keybridge.env"

node "$KB_REPO/dist/bench/run-bench.js"

# Re-wrap jobs (bench/rewrap.ts; BENCH_REWRAP_RECORDS, default 1,000,000): stops this stack's worker and runs its own.
node "$KB_REPO/dist/bench/rewrap.js"

# Transfers (bench/transfer.ts): raw PKCS#11 key move vs transferKey through the API vs a whole-vault migration
# in this stack's worker (BENCH_TRANSFER_KEYS 30, BENCH_MIGRATION_KEYS 120).
node "$KB_REPO/dist/bench/transfer.js"

# Audit ledger (bench/ledger-appends.ts): appends/s (2 processes × 32 writers), the ledger's part in an API wrap,
# verification rate, compliance queries on a seeded bench-only database (LEDGER_BENCH_ROWS, default 1,000,000;
# 10,000,000 for the figures in docs/ledger-benchmarks.md takes ~15 minutes on 2 cores; 0 skips).
node "$KB_REPO/dist/bench/ledger-appends.js"
