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

RUN_NAME=soak RUN_DURABLE="${SOAK_DURABLE:-0}" RUN_KEEP="${KEYBRIDGE_KEEP_SOAK_DATA:-0}"
# shellcheck source=ops/local/throwaway-stack.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/throwaway-stack.sh"

node "$KB_REPO/dist/bench/soak.js"
