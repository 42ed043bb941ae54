# Sourced by bench.sh and soak.sh after setting RUN_NAME (bench | soak), RUN_DURABLE (1: Postgres with fsync and
# synchronous_commit) and RUN_KEEP (1: keep the temp dir). Starts a throw-away private stack (up.sh in a temp dir on
# free ports), sources its keybridge.env, and stops and removes it on exit, whatever happens.
# shellcheck shell=bash

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
    if [ "${RUN_KEEP:-0}" = 1 ]; then
      echo "$RUN_NAME: kept data in $DATA" >&2
    else
      rm -rf "$DATA"
    fi
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A developer shell that sourced the dev stack's keybridge.env must not point the run at the dev stack.
kb_forget_generated_env "$(kb_data_dir)/keybridge.env"
unset DATABASE_URL DATABASE_MIGRATION_URL REDIS_URL KEYBRIDGE_POOLS_FILE KEYBRIDGE_NO_APPS KEYBRIDGE_TLS

DATA="$(mktemp -d "/tmp/keybridge-$RUN_NAME.XXXXXX")"
chmod 755 "$DATA" # the postgres/redis users must be able to traverse it

read -r PG_PORT REDIS_PORT GW_PORT < <(kb_free_ports 3)
[ -n "${GW_PORT:-}" ] || { echo "$RUN_NAME: could not pick free ports" >&2; exit 1; }
echo "$RUN_NAME: data dir $DATA, ports pg=$PG_PORT redis=$REDIS_PORT gateway=$GW_PORT"

EPHEMERAL=1
[ "${RUN_DURABLE:-0}" = 1 ] && EPHEMERAL=0
KEYBRIDGE_DATA_DIR="$DATA" KEYBRIDGE_PG_PORT="$PG_PORT" KEYBRIDGE_REDIS_PORT="$REDIS_PORT" \
  PORT="$GW_PORT" HOST=127.0.0.1 KEYBRIDGE_EPHEMERAL="$EPHEMERAL" bash "$HERE/up.sh" >"$DATA/up.log" 2>&1 || {
  cat "$DATA/up.log" >&2
  echo "$RUN_NAME: the local stack did not start" >&2
  exit 1
}
echo "$RUN_NAME: stack is up (log: up.log in the data dir)"

# shellcheck disable=SC1091
. "$DATA/keybridge.env"
