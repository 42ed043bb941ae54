# Shared helpers for ops/local/{up,down,test}.sh. Source it; do not run it.
# shellcheck shell=bash

KB_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

kb_say() { printf '%s\n' "$*"; }
kb_warn() { printf 'WARNING: %s\n' "$*" >&2; }

kb_is_root() { [ "$(id -u)" -eq 0 ]; }

# Resolve KEYBRIDGE_DATA_DIR (default <repo>/.keybridge) to an absolute path.
# With "create" the directory is created (mode 0755 so the postgres/redis users can traverse it).
kb_data_dir() {
  local d="${KEYBRIDGE_DATA_DIR:-$KB_REPO/.keybridge}"
  case "$d" in /*) ;; *) d="$PWD/$d" ;; esac
  if [ "${1:-}" = create ]; then
    mkdir -p "$d"
  fi
  if [ -d "$d" ]; then
    d="$(cd "$d" && pwd -P)"
  fi
  printf '%s\n' "$d"
}

# Run a command as a service user when we are root; as ourselves otherwise.
kb_as() {
  local user="$1"; shift
  if kb_is_root; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

# Is the process alive and does its command line contain the given word?
# Guards against signalling a recycled PID that now belongs to something else.
kb_pid_matches() {
  local pid="$1" word="$2"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$pid" -gt 1 ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$word"
}

kb_read_pid() { # file -> first line if it is a number
  local f="$1" pid=""
  [ -f "$f" ] || return 1
  pid="$(head -n1 "$f" 2>/dev/null | tr -d '[:space:]')"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$pid"
}

# Stop the process recorded in a pid file: SIGTERM, wait up to $3 seconds (default 10), then SIGKILL.
# $2 is a word that must appear in its command line. Removes the pid file afterwards.
kb_stop_pidfile() {
  local file="$1" word="$2" wait_s="${3:-10}" pid i
  if ! pid="$(kb_read_pid "$file")"; then
    rm -f "$file"
    return 1
  fi
  if ! kb_pid_matches "$pid" "$word"; then
    rm -f "$file"
    return 1
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kb_warn "pid $pid ($word) did not exit after ${wait_s}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$file"
  return 0
}

# PostgreSQL server binaries: the version of an existing data directory if installed, else the newest.
kb_pg_bindir() {
  local datadir="${1:-}" v best=""
  if [ -n "$datadir" ] && [ -f "$datadir/PG_VERSION" ]; then
    v="$(tr -d '[:space:]' <"$datadir/PG_VERSION")"
    if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then
      printf '%s\n' "/usr/lib/postgresql/$v/bin"
      return 0
    fi
    return 1
  fi
  for v in $(cd /usr/lib/postgresql 2>/dev/null && printf '%s\n' * | sort -n); do
    if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then best="/usr/lib/postgresql/$v/bin"; fi
  done
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

# Is something listening on 127.0.0.1:<port>?
kb_port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

kb_tail() { # file [lines]
  local f="$1" n="${2:-40}"
  if [ -s "$f" ]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2 || true
    printf -- '----- end of %s -----\n' "$f" >&2
  fi
}

# After `source <data>/keybridge.env`, DATABASE_URL etc. are set in the shell, but they are ours, not a
# "bring your own" choice. Unset the variables whose values are exactly the ones recorded in that env file.
kb_forget_generated_env() { # env-file
  local f="$1" v mine
  [ -r "$f" ] || return 0
  for v in DATABASE_URL DATABASE_MIGRATION_URL REDIS_URL KEYBRIDGE_POOLS_FILE; do
    [ -n "${!v:-}" ] || continue
    mine="$(v="$v" bash -c '. "$1" >/dev/null 2>&1; printf "%s" "${!v-}"' _ "$f" 2>/dev/null || true)"
    if [ "${!v}" = "$mine" ]; then
      unset "$v"
    fi
  done
}

# Prints N free TCP ports on 127.0.0.1 (asked of the kernel, then released), separated by spaces.
kb_free_ports() {
  node -e '
const net = require("net");
const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer());
Promise.all(servers.map((s) => new Promise((ok, ko) => s.once("error", ko).listen(0, "127.0.0.1", () => ok(s.address().port)))))
  .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); })
  .catch((e) => { console.error(e.message); process.exit(1); });
' "$1"
}
