#!/usr/bin/env bash
# Local runner: private Postgres, Redis, SoftHSM2/NSS pools, migrations, admin token, gateway + worker.
# Idempotent: running it again reuses $KEYBRIDGE_DATA_DIR and leaves running private servers alone.
#
# Knobs: KEYBRIDGE_DATA_DIR (default <repo>/.keybridge), KEYBRIDGE_PG_PORT (55432), KEYBRIDGE_REDIS_PORT (56379),
#        PORT (8787), HOST (127.0.0.1), KEYBRIDGE_NO_APPS=1 (skip starting gateway/worker),
#        KEYBRIDGE_EPHEMERAL=1 (test only: Postgres without fsync),
#        KEYBRIDGE_TLS=1 (gateway on HTTPS with dev certificates from ops/local/dev-certs.sh; docs/mtls.md).
# Bring your own: DATABASE_URL (+ DATABASE_MIGRATION_URL), REDIS_URL, KEYBRIDGE_POOLS_FILE.
set -Eeuo pipefail
shopt -s inherit_errexit
umask 022

# shellcheck source=ops/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STEP="start"
on_err() {
  local rc=$?
  # Only report in the main shell (command substitutions and subshells inherit the trap).
  if [ "${BASH_SUBSHELL:-0}" -eq 0 ]; then
    printf 'up.sh: FAILED during step "%s" (exit %s, line %s)\n' "$STEP" "$rc" "${BASH_LINENO[0]:-?}" >&2
  fi
}
trap on_err ERR
die() {
  printf 'up.sh: ERROR in step "%s": %s\n' "$STEP" "$*" >&2
  exit 1
}
step() {
  STEP="$1"
  shift
  printf '[%s] %s\n' "$STEP" "$*"
}
# run_logged LOG cmd... : run quietly, show the log tail if it fails.
run_logged() {
  local log="$1"
  shift
  if ! "$@" >>"$log" 2>&1; then
    kb_tail "$log" 30
    die "command failed: $* (log: $log)"
  fi
}

cd "$KB_REPO"

DATA="$(kb_data_dir create)"
[ -d "$DATA" ] || die "KEYBRIDGE_DATA_DIR $DATA is not a directory and cannot be created"
PG_PORT="${KEYBRIDGE_PG_PORT:-55432}"
REDIS_PORT="${KEYBRIDGE_REDIS_PORT:-56379}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8787}"
for _p in "$PG_PORT" "$REDIS_PORT" "$PORT"; do
  if ! [[ "$_p" =~ ^[0-9]+$ ]] || [ "$_p" -lt 1 ] || [ "$_p" -gt 65535 ]; then die "invalid port: $_p"; fi
done

# Values that merely come from a sourced keybridge.env of this data dir are not a "bring your own" choice.
kb_forget_generated_env "$DATA/keybridge.env"
OWN_PG=1; [ -n "${DATABASE_URL:-}" ] && OWN_PG=0
OWN_REDIS=1; [ -n "${REDIS_URL:-}" ] && OWN_REDIS=0
OWN_POOLS=1; [ -n "${KEYBRIDGE_POOLS_FILE:-}" ] && OWN_POOLS=0
# The runner's gateway is plain HTTP unless KEYBRIDGE_TLS=1; TLS settings from an earlier TLS run's env file must
# not leak into a plain run.
TLS_DIR="$DATA/tls"
if [ "${KEYBRIDGE_TLS:-0}" = 1 ]; then
  KEYBRIDGE_TLS_CLIENT_AUTH="${KEYBRIDGE_TLS_CLIENT_AUTH:-require}"
else
  unset KEYBRIDGE_TLS_CERT_FILE KEYBRIDGE_TLS_KEY_FILE KEYBRIDGE_TLS_CLIENT_CA_FILE KEYBRIDGE_TLS_CLIENT_AUTH KEYBRIDGE_TLS_CRL_FILE
fi

SECRETS="$DATA/secrets"
RUN="$DATA/run"
PG_DIR="$DATA/pg"
PG_DATA="$PG_DIR/data"
PG_SOCK="$PG_DIR/sock"
PG_LOG="$PG_DIR/log"
REDIS_DIR="$DATA/redis"
SOFTHSM_DIR="$DATA/softhsm"
SOFTHSM_CONF_FILE="$SOFTHSM_DIR/softhsm2.conf"
NSS_DIR="$DATA/nss/pool-n"
ENV_FILE="$DATA/keybridge.env"
CLI="$KB_REPO/dist/apps/cli/src/main.js"
GATEWAY="$KB_REPO/dist/apps/gateway/src/main.js"
WORKER="$KB_REPO/dist/apps/worker/src/main.js"

kb_say "Keybridge local runner — data dir: $DATA"

# ---------------------------------------------------------------------------------------------- 1. packages
step packages "checking Debian packages"
need=(openssl curl softhsm2 libnss3 libnss3-tools opensc)
[ "$OWN_PG" = 1 ] && need+=(postgresql)
[ "$OWN_REDIS" = 1 ] && need+=(redis-server)
missing=()
for p in "${need[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  kb_say "  missing: ${missing[*]}"
  apt_log="$(mktemp /tmp/keybridge-apt.XXXXXX.log)"
  if kb_is_root; then
    kb_say "  installing with apt-get (log: $apt_log)"
    run_logged "$apt_log" apt-get update
    run_logged "$apt_log" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    kb_say "  installing with sudo apt-get (log: $apt_log)"
    run_logged "$apt_log" sudo -n apt-get update
    run_logged "$apt_log" sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  else
    printf 'up.sh: missing Debian packages. Install them with:\n  sudo apt-get update && sudo apt-get install -y %s\n' "${missing[*]}" >&2
    exit 1
  fi
  rm -f "$apt_log"
fi
if [ "$OWN_PG" = 1 ]; then
  PG_BIN="$(kb_pg_bindir "$PG_DATA")" ||
    die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (data dir needs version $(cat "$PG_DATA/PG_VERSION" 2>/dev/null || echo any))"
fi

# ---------------------------------------------------------------------------------------------- 2. build
step build "npm run build"
if ! npm run --silent build; then
  die "the TypeScript build failed (see the errors above); fix them and run again"
fi

# ---------------------------------------------------------------------------------------------- 3. secrets
step secrets "$SECRETS"
install -d -m 0700 "$SECRETS"
chmod 0700 "$SECRETS"
secret() { # name -> path of a 0600 file holding a random value (created once)
  local f="$SECRETS/$1"
  if [ ! -s "$f" ]; then
    (umask 077 && openssl rand -hex 16 >"$f.tmp" && mv -f "$f.tmp" "$f")
  fi
  chmod 0600 "$f"
  printf '%s\n' "$f"
}
PG_ADMIN_PW_FILE="$(secret pg-admin.password)"
PG_APP_PW_FILE="$(secret pg-app.password)"
for pool in pool-a pool-b pool-n; do secret "$pool.pin" >/dev/null; done
for pool in pool-a pool-b; do secret "$pool.so.pin" >/dev/null; done
PG_ADMIN_PW="$(tr -d '[:space:]' <"$PG_ADMIN_PW_FILE")"
PG_APP_PW="$(tr -d '[:space:]' <"$PG_APP_PW_FILE")"

# ---------------------------------------------------------------------------------------------- 4. postgres
if [ "$OWN_PG" = 1 ]; then
  step postgres "private PostgreSQL $(basename "$(dirname "$PG_BIN")") on 127.0.0.1:$PG_PORT"
  PG_USER=postgres
  kb_is_root || PG_USER="$(id -un)"
  install -d -m 0755 "$PG_DIR"
  for d in "$PG_DATA" "$PG_SOCK" "$PG_LOG"; do
    if kb_is_root; then install -d -o postgres -g postgres -m 0700 "$d"; else install -d -m 0700 "$d"; fi
  done
  if kb_is_root && ! runuser -u postgres -- test -x "$PG_DATA"; then
    die "the postgres OS user cannot reach $PG_DATA (a parent directory is not world-searchable); set KEYBRIDGE_DATA_DIR elsewhere or chmod o+x the parents"
  fi
  sockfile="$PG_SOCK/.s.PGSQL.$PG_PORT"
  [ "${#sockfile}" -lt 100 ] || die "unix socket path too long (${#sockfile} chars): $sockfile; use a shorter KEYBRIDGE_DATA_DIR"

  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    pwfile="$PG_DIR/initdb.pw"
    (umask 077 && printf '%s\n' "$PG_ADMIN_PW" >"$pwfile")
    kb_is_root && chown postgres:postgres "$pwfile"
    if ! kb_as "$PG_USER" "$PG_BIN/initdb" -D "$PG_DATA" -U keybridge_admin --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_LOG/initdb.log" 2>&1; then
      rm -f "$pwfile"
      kb_tail "$PG_LOG/initdb.log" 30
      die "initdb failed (log: $PG_LOG/initdb.log)"
    fi
    rm -f "$pwfile"
    kb_say "  initialised $PG_DATA"
  fi

  if kb_as "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    running_port="$(sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null | tr -d '[:space:]')"
    if [ "$running_port" != "$PG_PORT" ]; then
      die "our Postgres is already running on port $running_port, not $PG_PORT; run 'npm run stop' first"
    fi
    kb_say "  already running (pid $(head -n1 "$PG_DATA/postmaster.pid"))"
  else
    kb_port_busy "$PG_PORT" && die "port $PG_PORT is already in use by another program; set KEYBRIDGE_PG_PORT"
    pg_opts="-p $PG_PORT -k '$PG_SOCK' -c listen_addresses=127.0.0.1"
    if [ "${KEYBRIDGE_EPHEMERAL:-0}" = 1 ]; then
      pg_opts="$pg_opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if ! kb_as "$PG_USER" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG/postgres.log" -w -t 60 -o "$pg_opts" start \
      >>"$PG_LOG/pg_ctl.log" 2>&1; then
      kb_tail "$PG_LOG/pg_ctl.log" 10
      kb_tail "$PG_LOG/postgres.log" 30
      die "Postgres did not start"
    fi
  fi
  ready=0
  for _i in $(seq 1 60); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres; then ready=1; break; fi
    sleep 0.5
  done
  [ "$ready" = 1 ] || { kb_tail "$PG_LOG/postgres.log" 30; die "Postgres is not accepting connections on 127.0.0.1:$PG_PORT"; }

  psql_admin() { # over the unix socket (trust for local connections; the socket directory is 0700)
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U keybridge_admin "$@"
  }
  if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'keybridge'")" != 1 ]; then
    psql_admin -d postgres -c 'CREATE DATABASE keybridge'
    kb_say "  created database keybridge"
  fi
  DATABASE_MIGRATION_URL="postgres://keybridge_admin:$PG_ADMIN_PW@127.0.0.1:$PG_PORT/keybridge"
  DATABASE_URL="postgres://keybridge:$PG_APP_PW@127.0.0.1:$PG_PORT/keybridge"
else
  step postgres "using DATABASE_URL from the environment (not starting Postgres)"
  DATABASE_MIGRATION_URL="${DATABASE_MIGRATION_URL:-$DATABASE_URL}"
fi

# ---------------------------------------------------------------------------------------------- 5. redis
if [ "$OWN_REDIS" = 1 ]; then
  step redis "private Redis on 127.0.0.1:$REDIS_PORT"
  REDIS_USER=redis
  kb_is_root || REDIS_USER="$(id -un)"
  if kb_is_root; then install -d -o redis -g redis -m 0700 "$REDIS_DIR"; else install -d -m 0700 "$REDIS_DIR"; fi
  if pid="$(kb_read_pid "$REDIS_DIR/redis.pid")" && kb_pid_matches "$pid" redis-server; then
    if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
      die "our Redis (pid $pid) is running but not answering on port $REDIS_PORT; run 'npm run stop' first"
    fi
    kb_say "  already running (pid $pid)"
  else
    kb_port_busy "$REDIS_PORT" && die "port $REDIS_PORT is already in use by another program; set KEYBRIDGE_REDIS_PORT"
    rm -f "$REDIS_DIR/redis.pid"
    if ! kb_as "$REDIS_USER" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize yes --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"; then
      kb_tail "$REDIS_DIR/redis.log" 20
      die "redis-server did not start"
    fi
  fi
  ready=0
  for _i in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then ready=1; break; fi
    sleep 0.2
  done
  [ "$ready" = 1 ] || { kb_tail "$REDIS_DIR/redis.log" 20; die "Redis is not answering on 127.0.0.1:$REDIS_PORT"; }
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
else
  step redis "using REDIS_URL from the environment (not starting Redis)"
fi

# ---------------------------------------------------------------------------------------------- 6. HSM pools
OWN_SOFTHSM_CONF=""
if [ "$OWN_POOLS" = 1 ]; then
  step pools "SoftHSM2 tokens pool-a, pool-b; NSS softokn pool-n"
  SOFTHSM_MODULE=""
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
    "$(dpkg -L libsofthsm2 2>/dev/null | grep '/libsofthsm2\.so$' | head -n1 || true)"; do
    if [ -n "$m" ] && [ -f "$m" ]; then SOFTHSM_MODULE="$m"; break; fi
  done
  [ -n "$SOFTHSM_MODULE" ] || die "libsofthsm2.so not found (package softhsm2/libsofthsm2)"
  NSS_MODULE=""
  for m in "$(dpkg -L libnss3 2>/dev/null | grep '/libsoftokn3\.so$' | head -n1 || true)" \
    /usr/lib/x86_64-linux-gnu/libsoftokn3.so /usr/lib/aarch64-linux-gnu/libsoftokn3.so /usr/lib/libsoftokn3.so; do
    if [ -n "$m" ] && [ -f "$m" ]; then NSS_MODULE="$m"; break; fi
  done
  [ -n "$NSS_MODULE" ] || die "libsoftokn3.so not found (package libnss3)"

  install -d -m 0700 "$SOFTHSM_DIR" "$SOFTHSM_DIR/tokens"
  cat >"$SOFTHSM_CONF_FILE.tmp" <<EOF
# Written by ops/local/up.sh
directories.tokendir = $SOFTHSM_DIR/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
  mv -f "$SOFTHSM_CONF_FILE.tmp" "$SOFTHSM_CONF_FILE"
  OWN_SOFTHSM_CONF="$SOFTHSM_CONF_FILE"
  slots="$(SOFTHSM2_CONF="$SOFTHSM_CONF_FILE" softhsm2-util --show-slots 2>&1)" ||
    { printf '%s\n' "$slots" >&2; die "softhsm2-util --show-slots failed"; }
  for pool in pool-a pool-b; do
    if grep -Eq "^[[:space:]]*Label:[[:space:]]+${pool}[[:space:]]*\$" <<<"$slots"; then
      kb_say "  token $pool exists"
    else
      run_logged "$SOFTHSM_DIR/init.log" env SOFTHSM2_CONF="$SOFTHSM_CONF_FILE" softhsm2-util --init-token --free \
        --label "$pool" --pin "$(tr -d '[:space:]' <"$SECRETS/$pool.pin")" \
        --so-pin "$(tr -d '[:space:]' <"$SECRETS/$pool.so.pin")"
      kb_say "  token $pool initialised"
    fi
  done

  install -d -m 0700 "$DATA/nss" "$NSS_DIR"
  if [ -f "$NSS_DIR/key4.db" ] && [ -f "$NSS_DIR/cert9.db" ]; then
    kb_say "  NSS database pool-n exists"
  else
    run_logged "$DATA/nss/init.log" certutil -N -d "sql:$NSS_DIR" -f "$SECRETS/pool-n.pin"
    kb_say "  NSS database pool-n created"
  fi

  KEYBRIDGE_POOLS_FILE="$DATA/pools.json"
  SOFTHSM_MODULE="$SOFTHSM_MODULE" NSS_MODULE="$NSS_MODULE" SECRETS="$SECRETS" NSS_DIR="$NSS_DIR" \
    SOFTHSM_CONF_FILE="$SOFTHSM_CONF_FILE" OUT="$KEYBRIDGE_POOLS_FILE.tmp" node -e '
const e = process.env;
const soft = (name) => ({
  name, vendor: "softhsm2", module: e.SOFTHSM_MODULE, tokenLabel: name,
  pin: { file: `${e.SECRETS}/${name}.pin` }, soPin: { file: `${e.SECRETS}/${name}.so.pin` },
  environment: { SOFTHSM2_CONF: e.SOFTHSM_CONF_FILE }, sessions: 8,
});
const pools = [soft("pool-a"), soft("pool-b"), {
  name: "pool-n", vendor: "nss", module: e.NSS_MODULE, tokenLabel: "NSS Certificate DB",
  libraryParameters: `configdir=\x27sql:${e.NSS_DIR}\x27 certPrefix=\x27\x27 keyPrefix=\x27\x27 secmod=\x27secmod.db\x27 flags=`,
  pin: { file: `${e.SECRETS}/pool-n.pin` },
  // NSS softokn has no security officer and does not enforce CKA_WRAP_WITH_TRUSTED: exportable keys here are
  // protected by the PIN only. Allowed in the local stack so NSS can be a transfer/backup source (docs/transfer.md).
  allowPinOnlyExport: true,
}];
require("fs").writeFileSync(e.OUT, JSON.stringify({ pools }, null, 2) + "\n");
'
  mv -f "$KEYBRIDGE_POOLS_FILE.tmp" "$KEYBRIDGE_POOLS_FILE"
else
  step pools "using KEYBRIDGE_POOLS_FILE=$KEYBRIDGE_POOLS_FILE (not creating tokens)"
  [ -r "$KEYBRIDGE_POOLS_FILE" ] || die "KEYBRIDGE_POOLS_FILE $KEYBRIDGE_POOLS_FILE is not readable"
fi

# ---------------------------------------------------------------------------------------------- 7. env file
SCHEME=http
CURL_TLS=()
if [ "${KEYBRIDGE_TLS:-0}" = 1 ]; then
  step tls "dev CA, server and client certificates in $TLS_DIR (client auth: $KEYBRIDGE_TLS_CLIENT_AUTH)"
  bash "$KB_REPO/ops/local/dev-certs.sh" "$TLS_DIR" >/dev/null || die "ops/local/dev-certs.sh failed"
  SCHEME=https
  CURL_TLS=(--cacert "$TLS_DIR/ca.pem" --cert "$TLS_DIR/client.pem" --key "$TLS_DIR/client.key")
fi
step env "$ENV_FILE"
install -d -m 0700 "$RUN"
{
  printf '# Written by ops/local/up.sh — source it to talk to this local Keybridge.\n'
  kv() { printf 'export %s=%q\n' "$1" "$2"; }
  kv DATABASE_URL "$DATABASE_URL"
  kv DATABASE_MIGRATION_URL "$DATABASE_MIGRATION_URL"
  kv REDIS_URL "$REDIS_URL"
  kv KEYBRIDGE_POOLS_FILE "$KEYBRIDGE_POOLS_FILE"
  kv HOST "$HOST"
  kv PORT "$PORT"
  kv UV_THREADPOOL_SIZE 8
  [ -n "$OWN_SOFTHSM_CONF" ] && kv SOFTHSM2_CONF "$OWN_SOFTHSM_CONF"
  kv KEYBRIDGE_DATA_DIR "$DATA"
  kv KEYBRIDGE_ADMIN_TOKEN_FILE "$SECRETS/admin.token"
  kv KEYBRIDGE_GATEWAY_URL "$SCHEME://$HOST:$PORT"
  if [ "$SCHEME" = https ]; then
    kv KEYBRIDGE_TLS_CERT_FILE "$TLS_DIR/server.pem"
    kv KEYBRIDGE_TLS_KEY_FILE "$TLS_DIR/server.key"
    kv KEYBRIDGE_TLS_CLIENT_AUTH "$KEYBRIDGE_TLS_CLIENT_AUTH"
    if [ "$KEYBRIDGE_TLS_CLIENT_AUTH" != off ]; then
      kv KEYBRIDGE_TLS_CLIENT_CA_FILE "$TLS_DIR/ca.pem"
      kv KEYBRIDGE_TLS_CRL_FILE "$TLS_DIR/crl.pem"
    fi
  fi
} >"$ENV_FILE.tmp"
chmod 0600 "$ENV_FILE.tmp"
mv -f "$ENV_FILE.tmp" "$ENV_FILE"
# shellcheck disable=SC1090
. "$ENV_FILE"

# ---------------------------------------------------------------------------------------------- 8. migrations
step migrate "node dist/apps/cli/src/main.js migrate"
[ -f "$CLI" ] || die "$CLI does not exist after the build"
run_logged "$RUN/migrate.log" node "$CLI" migrate
if [ "$OWN_PG" = 1 ]; then
  psql_admin -d keybridge >/dev/null <<SQL
SET client_min_messages = warning;
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'keybridge') THEN
    CREATE ROLE keybridge LOGIN PASSWORD '$PG_APP_PW';
  ELSE
    ALTER ROLE keybridge LOGIN PASSWORD '$PG_APP_PW';
  END IF;
END
\$\$;
GRANT keybridge_app TO keybridge;
SQL
  kb_say "  login role keybridge is a member of keybridge_app"
fi

# ---------------------------------------------------------------------------------------------- 9. admin token
step admin-token "bootstrap-admin"
# Output goes to a private log: the CLI must never get the token onto the console.
run_logged "$RUN/bootstrap-admin.log" node "$CLI" bootstrap-admin --token-file "$KEYBRIDGE_ADMIN_TOKEN_FILE"
[ -s "$KEYBRIDGE_ADMIN_TOKEN_FILE" ] || die "bootstrap-admin did not write $KEYBRIDGE_ADMIN_TOKEN_FILE"
kb_say "  admin token file: $KEYBRIDGE_ADMIN_TOKEN_FILE"

# ---------------------------------------------------------------------------------------------- 10. apps
if [ "${KEYBRIDGE_NO_APPS:-0}" = 1 ]; then
  step apps "KEYBRIDGE_NO_APPS=1: not starting the gateway and worker (source $ENV_FILE)"
  exit 0
fi
step apps "gateway + worker"
[ -f "$GATEWAY" ] || die "$GATEWAY does not exist after the build"
[ -f "$WORKER" ] || die "$WORKER does not exist after the build"
for app in gateway worker; do
  if kb_stop_pidfile "$RUN/$app.pid" node 10; then kb_say "  stopped the previous $app"; fi
done
kb_port_busy "$PORT" && die "port $PORT ($HOST) is already in use by another program; set PORT"

start_app() { # name script
  local name="$1" script="$2"
  rm -f "$RUN/$name.pid"
  printf '\n===== %s: starting %s =====\n' "$(date -u +%FT%TZ)" "$name" >>"$RUN/$name.log"
  # setsid: own session, so a Ctrl-C in this terminal does not reach it; the pid file is written by the
  # process itself right before exec, so it records node's pid.
  KB_PIDFILE="$RUN/$name.pid" KB_SCRIPT="$script" nohup setsid bash -c \
    'echo $$ >"$KB_PIDFILE"; exec node "$KB_SCRIPT"' </dev/null >>"$RUN/$name.log" 2>&1 &
  local i
  for ((i = 0; i < 50; i++)); do
    [ -s "$RUN/$name.pid" ] && break
    sleep 0.1
  done
  [ -s "$RUN/$name.pid" ] || die "$name did not start (log: $RUN/$name.log)"
}
start_app gateway "$GATEWAY"
start_app worker "$WORKER"

url_host="$HOST"
[[ "$url_host" == *:* ]] && url_host="[$url_host]"
ready=0
for ((i = 0; i < 120; i++)); do
  if curl -fsS -o /dev/null --max-time 2 "${CURL_TLS[@]}" "$SCHEME://$url_host:$PORT/health/ready" 2>/dev/null; then ready=1; break; fi
  if ! kb_pid_matches "$(kb_read_pid "$RUN/gateway.pid" || echo 0)" node; then
    kb_tail "$RUN/gateway.log" 40
    die "the gateway exited during start-up (log: $RUN/gateway.log)"
  fi
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  kb_tail "$RUN/gateway.log" 40
  die "the gateway is not ready after 60 s ($SCHEME://$url_host:$PORT/health/ready; log: $RUN/gateway.log)"
fi
if ! kb_pid_matches "$(kb_read_pid "$RUN/worker.pid" || echo 0)" node; then
  kb_tail "$RUN/worker.log" 40
  die "the worker exited during start-up (log: $RUN/worker.log)"
fi

STEP="done"
stop_cmd="npm run stop"
if [ "$DATA" != "$KB_REPO/.keybridge" ]; then stop_cmd="KEYBRIDGE_DATA_DIR=$DATA npm run stop"; fi
cat <<EOF

Keybridge is running.
  GraphQL:          $SCHEME://$url_host:$PORT/graphql
  GraphQL explorer: $SCHEME://$url_host:$PORT/graphiql
  Admin token file: $KEYBRIDGE_ADMIN_TOKEN_FILE
  Environment:      source $ENV_FILE
  Logs:             $RUN/gateway.log, $RUN/worker.log
  Stop:             $stop_cmd
EOF
if [ "$SCHEME" = https ]; then
  printf '  Client cert:      %s (key %s, CA %s; client auth %s)\n' "$TLS_DIR/client.pem" "$TLS_DIR/client.key" "$TLS_DIR/ca.pem" "$KEYBRIDGE_TLS_CLIENT_AUTH"
fi
