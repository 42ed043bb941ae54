#!/usr/bin/env bash
# npm test: throw-away private stack (ops/local/up.sh in a temp dir, free ports), typecheck, Jest.
# Extra arguments go to Jest (e.g. a path filter). KEYBRIDGE_KEEP_TEST_DATA=1 keeps the temp dir.
# The last line printed is always: tests: N passed, M failed, K skipped
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ops/local/lib.sh
. "$HERE/lib.sh"
cd "$KB_REPO"

SUMMARY="tests: 0 passed, 0 failed, 0 skipped"
DATA=""
FAILED=0

finish() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [ "$FAILED" = 1 ] && [ "$rc" = 0 ] && rc=1
  if [ -n "$DATA" ] && [ -d "$DATA" ]; then
    if [ "$rc" != 0 ]; then
      kb_tail "$DATA/run/gateway.log" 40
      kb_tail "$DATA/run/worker.log" 40
    fi
    KEYBRIDGE_DATA_DIR="$DATA" bash "$HERE/down.sh" >&2
    if [ "${KEYBRIDGE_KEEP_TEST_DATA:-0}" = 1 ]; then
      echo "test: kept test data in $DATA" >&2
    else
      rm -rf "$DATA"
    fi
  fi
  printf '%s\n' "$SUMMARY"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A developer shell that sourced the dev stack's keybridge.env must not point the tests at the dev database.
kb_forget_generated_env "$(kb_data_dir)/keybridge.env"
for v in DATABASE_URL REDIS_URL KEYBRIDGE_POOLS_FILE; do
  [ -z "${!v:-}" ] || echo "test: $v is set in the environment; the tests will use it"
done

DATA="$(mktemp -d /tmp/keybridge-test.XXXXXX)"
chmod 755 "$DATA" # the postgres/redis users must be able to traverse it

# Debian packages only the tests need (chromium for test/pages), installed like up.sh's when missing; if they cannot
# be, the exact command is printed here and the tests that need them fail saying so (not fatal for the other tests).
# shellcheck source=ops/local/test-packages.sh
. "$HERE/test-packages.sh"
kb_install_test_packages "${KB_TEST_DEB_PACKAGES[@]}" || true

read -r PG_PORT REDIS_PORT GW_PORT < <(kb_free_ports 3)
[ -n "${GW_PORT:-}" ] || { echo "test: could not pick free ports" >&2; exit 1; }
echo "test: data dir $DATA, ports pg=$PG_PORT redis=$REDIS_PORT gateway=$GW_PORT"

unset KEYBRIDGE_NO_APPS KEYBRIDGE_TLS
KEYBRIDGE_DATA_DIR="$DATA" KEYBRIDGE_PG_PORT="$PG_PORT" KEYBRIDGE_REDIS_PORT="$REDIS_PORT" \
  PORT="$GW_PORT" HOST=127.0.0.1 KEYBRIDGE_EPHEMERAL=1 bash "$HERE/up.sh"

# shellcheck disable=SC1091
. "$DATA/keybridge.env"
export KEYBRIDGE_EPHEMERAL=1

echo "test: npm run typecheck"
if ! npm run --silent typecheck; then
  echo "test: typecheck FAILED" >&2
  FAILED=1
fi

RESULTS="$DATA/jest-results.json"
echo "test: jest"
if ! npx --no-install jest --ci --maxWorkers=2 --json --outputFile="$RESULTS" "$@"; then
  FAILED=1
fi

counts="$(RESULTS="$RESULTS" node -e '
const fs = require("fs");
try {
  const r = JSON.parse(fs.readFileSync(process.env.RESULTS, "utf8"));
  if (!r.numTotalTests) process.exit(2);
  console.log(`${r.numPassedTests} ${r.numFailedTests} ${(r.numPendingTests || 0) + (r.numTodoTests || 0)}`);
} catch { process.exit(2); }
' || true)"
if [ -z "$counts" ]; then
  echo "test: no Jest results (missing $RESULTS or no tests ran)" >&2
  FAILED=1
else
  read -r n_pass n_fail n_skip <<<"$counts"
  SUMMARY="tests: $n_pass passed, $n_fail failed, $n_skip skipped"
  [ "$n_fail" = 0 ] || FAILED=1
fi
exit "$FAILED"
