#!/usr/bin/env bash
# Stops what ops/local/up.sh started for $KEYBRIDGE_DATA_DIR (default <repo>/.keybridge), by the PIDs recorded
# in its pid files only. Keeps all data. Idempotent.
set -euo pipefail

# shellcheck source=ops/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA="$(kb_data_dir)"
if [ ! -d "$DATA" ]; then
  kb_say "down: nothing to stop ($DATA does not exist)"
  exit 0
fi
kb_say "Keybridge local runner — stopping services of $DATA"
rc=0

# Gateway and worker: SIGTERM, up to 10 s, then SIGKILL.
for app in worker gateway; do
  pidfile="$DATA/run/$app.pid"
  if pid="$(kb_read_pid "$pidfile")" && kb_stop_pidfile "$pidfile" node 10; then
    kb_say "[$app] stopped (pid $pid)"
  else
    kb_say "[$app] not running"
  fi
done

# Redis: the pid file written by redis-server --pidfile.
pidfile="$DATA/redis/redis.pid"
if pid="$(kb_read_pid "$pidfile")" && kb_pid_matches "$pid" redis-server; then
  kb_stop_pidfile "$pidfile" redis-server 10 || true
  kb_say "[redis] stopped (pid $pid)"
else
  rm -f "$pidfile" 2>/dev/null || true
  kb_say "[redis] not running"
fi

# Postgres: pg_ctl stop -m fast as the owner of the data directory; SIGINT (fast shutdown) to the postmaster as a fallback.
PG_DATA="$DATA/pg/data"
pidfile="$PG_DATA/postmaster.pid"
if pid="$(kb_read_pid "$pidfile")" && kb_pid_matches "$pid" postgres; then
  stopped=0
  if PG_BIN="$(kb_pg_bindir "$PG_DATA")"; then
    pg_user=postgres
    kb_is_root || pg_user="$(id -un)"
    if kb_as "$pg_user" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
      stopped=1
    fi
  fi
  if [ "$stopped" = 0 ] && kb_pid_matches "$pid" postgres; then
    kill -INT "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  # The postmaster removes its pid file just before it exits: give it a moment.
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kb_warn "Postgres (pid $pid) is still running; see $DATA/pg/log/postgres.log"
    rc=1
  else
    kb_say "[postgres] stopped (pid $pid)"
  fi
else
  kb_say "[postgres] not running"
fi

exit "$rc"
