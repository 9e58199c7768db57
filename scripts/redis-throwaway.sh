#!/usr/bin/env bash
# Run a command against a throwaway Redis server, then stop and remove the server.
#
#   scripts/redis-throwaway.sh COMMAND [ARG...]
#
# The server lives in a new private temporary directory (configuration, log), listens on
# 127.0.0.1 on a free port, keeps nothing on disk (no RDB snapshot, no append-only file) and
# asks for a password that is random per run. The command runs with
#   TEST_REDIS_URL=redis://:<password>@127.0.0.1:<port>/0
# (the rate limiter's shared store in the tests of issue 22: tests/ops/test_shared_limits.py,
# tests/ops/test_two_servers.py) and the script exits with the command's status. The server is
# stopped and its directory removed on every exit (success, failure, Ctrl-C). The password is
# only ever passed through the environment and the mode-0600 configuration file.
#
# Needs Debian's redis-server; when it is missing and the script runs as root, it installs that
# package (the package's own service is neither needed nor touched).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

SERVER="${REDIS_SERVER:-$(command -v redis-server || true)}"
if [ -z "$SERVER" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "redis-throwaway: installing the Debian redis-server package" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    SERVER="$(command -v redis-server || true)"
fi
if [ -z "$SERVER" ]; then
    echo "redis-throwaway: redis-server not found; install it (Debian: apt-get install redis-server)" >&2
    exit 1
fi

PYTHON="${PYTHON:-python3}"
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/redis-throwaway.XXXXXX")"
chmod 700 "$WORK_DIR"
PASSWORD="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(16))')"
PID=""

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STARTED=0
for attempt in 1 2 3 4 5; do
    PORT="$(free_port)"
    umask 077
    cat >"$WORK_DIR/redis.conf" <<EOF
bind 127.0.0.1
port $PORT
protected-mode yes
requirepass $PASSWORD
daemonize no
dir $WORK_DIR
logfile $WORK_DIR/server.log
save ""
appendonly no
maxmemory 64mb
maxmemory-policy noeviction
EOF
    "$SERVER" "$WORK_DIR/redis.conf" &
    PID=$!
    for _ in $(seq 100); do
        if ! kill -0 "$PID" 2>/dev/null; then
            break
        fi
        if "$PYTHON" - "$PORT" "$PASSWORD" <<'PY' 2>/dev/null; then
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
    s.sendall(("AUTH %s\r\nPING\r\n" % sys.argv[2]).encode())
    reply = b""
    while b"PONG" not in reply:
        chunk = s.recv(64)
        if not chunk:
            sys.exit(1)
        reply += chunk
PY
            STARTED=1
            break 2
        fi
        sleep 0.1
    done
    # The port was taken between the check and the start, or the server died: try another one.
    tail -n 5 "$WORK_DIR/server.log" >&2 2>/dev/null || true
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
done
if [ "$STARTED" -ne 1 ]; then
    echo "redis-throwaway: the server did not start" >&2
    exit 1
fi

export TEST_REDIS_URL="redis://:${PASSWORD}@127.0.0.1:${PORT}/0"
echo "redis-throwaway: Redis $("$SERVER" --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$PORT" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
