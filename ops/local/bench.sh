#!/usr/bin/env bash
# npm run bench: throw-away private stack (ops/local/up.sh in a temp dir, free ports, Postgres without fsync), then
# node dist/bench/run-bench.js: raw PKCS#11 baseline on pool-a, the same operations through the GraphQL API with the
# ledger on, a table of ops/s and API/raw ratios, and bench/results/<timestamp>.json (docs/benchmarks.md); then the
# re-wrap, transfer, audit-ledger and state-change benchmarks (bench/rewrap.ts, bench/transfer.ts,
# bench/ledger-appends.ts, bench/state-changes.ts). Always stops and removes the stack.
#
# BENCH_PARTS ("run-bench,rewrap,transfer,ledger,ledger-designs,state-changes") selects the parts, e.g. BENCH_PARTS=state-changes.
# Knobs (see bench/run-bench.ts): BENCH_SECONDS (8), BENCH_AUX_SECONDS (3), BENCH_WARMUP_SECONDS (1.5),
# BENCH_CONCURRENCY (16), BENCH_CONCURRENCY_HIGH (64) or BENCH_CONCURRENCIES="16,64", BENCH_OPS ("wrap,unwrap"),
# BENCH_RAW (1), BENCH_POOL (pool-a), BENCH_LABEL. BENCH_DURABLE=1 runs Postgres with fsync and synchronous_commit on
# (default: KEYBRIDGE_EPHEMERAL=1, i.e. off, like npm test). KEYBRIDGE_KEEP_BENCH_DATA=1 keeps the temp dir (stack stopped).
set -euo pipefail

RUN_NAME=bench RUN_DURABLE="${BENCH_DURABLE:-0}" RUN_KEEP="${KEYBRIDGE_KEEP_BENCH_DATA:-0}"
# shellcheck source=ops/local/throwaway-stack.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/throwaway-stack.sh"

PARTS=",${BENCH_PARTS:-run-bench,rewrap,transfer,ledger,ledger-designs,state-changes},"
part() { [[ "$PARTS" == *",$1,"* ]]; }

part run-bench && node "$KB_REPO/dist/bench/run-bench.js"

# Re-wrap jobs (bench/rewrap.ts; BENCH_REWRAP_RECORDS, default 1,000,000): stops this stack's worker and runs its own.
part rewrap && node "$KB_REPO/dist/bench/rewrap.js"

# Transfers (bench/transfer.ts): raw PKCS#11 key move vs transferKey through the API vs a whole-vault migration
# in this stack's worker (BENCH_TRANSFER_KEYS 30, BENCH_MIGRATION_KEYS 120).
part transfer && node "$KB_REPO/dist/bench/transfer.js"

# Audit ledger (bench/ledger-appends.ts): appends/s (2 processes × 32 writers), the ledger's part in an API wrap,
# verification rate, compliance queries on a seeded bench-only database (LEDGER_BENCH_ROWS, default 1,000,000;
# 10,000,000 for the figures in docs/ledger-benchmarks.md takes ~15 minutes on 2 cores; 0 skips).
part ledger && node "$KB_REPO/dist/bench/ledger-appends.js"

# Ledger designs (bench/ledger-designs.ts): the same state change + entry committed under the wave-1 append lock, as a
# unit-of-work group commit under that lock, and through the lock-free queue with one integrator (docs/ledger.md).
part ledger-designs && node "$KB_REPO/dist/bench/ledger-designs.js"

# State changes (bench/state-changes.ts): generateDataKey, depositWrappedKey, releaseDataKey and createKey against
# their raw PKCS#11 work, then the same load on two gateway processes (BENCH_STATE_OPS, BENCH_SCALE; issue #18).
part state-changes && node "$KB_REPO/dist/bench/state-changes.js"
exit 0
