#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server, then stop and remove the server.
#
#   scripts/pg-throwaway.sh COMMAND [ARG...]
#
# The server lives in a new temporary directory (data, log and unix socket), listens on
# 127.0.0.1 on a free port, runs as the `postgres` user when started by root (initdb refuses
# root), and is tuned for tests (fsync off: its data is thrown away). The command runs with
#   TEST_DATABASE_URL=postgresql+psycopg://postgres:<random>@127.0.0.1:<port>/complaints_test
# and the script exits with the command's status. The server is stopped and its directory
# removed on every exit (success, failure, Ctrl-C). The password is random per run and only
# ever passed through the environment and a file inside the private temporary directory.
#
# Needs PostgreSQL's server binaries (Debian: apt-get install postgresql); when they are
# missing and the script runs as root, it installs that package.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

find_bin_dir() {
    local dir
    if [ -n "${PG_BIN:-}" ]; then
        echo "$PG_BIN"
        return
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

BIN_DIR="$(find_bin_dir)"
if [ -z "$BIN_DIR" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "pg-throwaway: installing the Debian postgresql package" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        BIN_DIR="$(find_bin_dir)"
    fi
fi
if [ -z "$BIN_DIR" ]; then
    echo "pg-throwaway: PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql" >&2
    exit 1
fi

# Run server programs as `postgres` when we are root; as ourselves otherwise.
if [ "$(id -u)" -eq 0 ]; then
    SERVER_USER=postgres
    as_server() { runuser -u "$SERVER_USER" -- "$@"; }
else
    SERVER_USER="$(id -un)"
    as_server() { "$@"; }
fi

PYTHON="${PYTHON:-python3}"
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/pg-throwaway.XXXXXX")"
DATA_DIR="$WORK_DIR/data"
SOCKET_DIR="$WORK_DIR"
LOG_FILE="$WORK_DIR/server.log"
PASSWORD="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"
STARTED=0

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ "$STARTED" -eq 1 ]; then
        as_server "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
    chown "$SERVER_USER" "$WORK_DIR"
fi
chmod 700 "$WORK_DIR"
umask 077
printf '%s\n' "$PASSWORD" >"$WORK_DIR/pwfile"
[ "$(id -u)" -eq 0 ] && chown "$SERVER_USER" "$WORK_DIR/pwfile"

as_server "$BIN_DIR/initdb" -D "$DATA_DIR" -U postgres --pwfile="$WORK_DIR/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$WORK_DIR/initdb.log" 2>&1 \
    || { cat "$WORK_DIR/initdb.log" >&2; exit 1; }
rm -f "$WORK_DIR/pwfile"

PORT=""
for attempt in 1 2 3 4 5; do
    PORT="$(free_port)"
    if as_server "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start -o \
        "-p $PORT -k $SOCKET_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB" >/dev/null; then
        STARTED=1
        break
    fi
    # Another process took the port between the check and the start: try another one.
    tail -n 5 "$LOG_FILE" >&2 || true
done
if [ "$STARTED" -ne 1 ]; then
    echo "pg-throwaway: the server did not start" >&2
    exit 1
fi

DATABASE="${PG_THROWAWAY_DATABASE:-complaints_test}"
"$BIN_DIR/psql" -X -q -h "$SOCKET_DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE \"$DATABASE\"" >/dev/null

export TEST_DATABASE_URL="postgresql+psycopg://postgres:${PASSWORD}@127.0.0.1:${PORT}/${DATABASE}"
echo "pg-throwaway: PostgreSQL $("$BIN_DIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (socket in $SOCKET_DIR), database $DATABASE" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
