#!/usr/bin/env bash
# Starts the servers the suites need on loopback, in temp folders, and exports where they are:
#   TEAMSKILLS_TEST_POSTGRES  an Npgsql connection string to a superuser on a fresh cluster
#   TEAMSKILLS_TEST_REDIS     host:port of a fresh Redis
# Sourced by tests/run.sh (and by tests/bench.sh); `services_stop` stops both and removes their folders.
# A server that cannot start is reported, and left unset: suites that need it fail under CI=true.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

services_start() {
  SERVICES_DIR=$(mktemp -d /tmp/teamskills-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  local bin; bin=$(pg_bin || true)
  if [ -n "$bin" ]; then
    local port; port=$(free_port)
    local as=()
    # PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user the Debian package made.
    if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
    mkdir -p "$SERVICES_DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$SERVICES_DIR/pg"
    if "${as[@]}" "$bin/initdb" -D "$SERVICES_DIR/pg/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$SERVICES_DIR/pg/initdb.log" 2>&1 \
      && "${as[@]}" "$bin/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/server.log" -w -t 60 \
           -o "-c listen_addresses=127.0.0.1 -p $port -k $SERVICES_DIR/pg -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300" start >/dev/null; then
      export TEAMSKILLS_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
      export TEAMSKILLS_TEST_PG_PORT=$port
      echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($SERVICES_DIR/pg)"
    else
      echo "warning: PostgreSQL did not start; see $SERVICES_DIR/pg/*.log"
      tail -n 5 "$SERVICES_DIR"/pg/*.log 2>/dev/null || true
    fi
  else
    echo "warning: no PostgreSQL binaries (Debian package postgresql)"
  fi
  if command -v redis-server >/dev/null; then
    local rport; rport=$(free_port)
    mkdir -p "$SERVICES_DIR/redis"
    if redis-server --bind 127.0.0.1 --port "$rport" --dir "$SERVICES_DIR/redis" --save '' --appendonly no \
         --daemonize yes --pidfile "$SERVICES_DIR/redis/redis.pid" --logfile "$SERVICES_DIR/redis/redis.log" \
       && for _ in $(seq 50); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done \
       && redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG; then
      export TEAMSKILLS_TEST_REDIS="127.0.0.1:$rport"
      echo "== Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2) on 127.0.0.1:$rport"
    else
      echo "warning: Redis did not start; see $SERVICES_DIR/redis/redis.log"
    fi
  else
    echo "warning: no redis-server (Debian package redis-server)"
  fi
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] || return 0
  local bin; bin=$(pg_bin || true)
  if [ -n "${TEAMSKILLS_TEST_POSTGRES:-}" ] && [ -n "$bin" ]; then
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
    else "$bin/pg_ctl" -D "$SERVICES_DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
  fi
  if [ -f "$SERVICES_DIR/redis/redis.pid" ]; then
    local rpid; rpid=$(cat "$SERVICES_DIR/redis/redis.pid" 2>/dev/null || true)
    if [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; then
      # Redis still writes its log (and removes its pid file) while it exits: wait, or rm races it.
      for _ in $(seq 100); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  # Cleanup never decides the run's outcome, nor prints after its summary line (this runs from tests/run.sh's EXIT
  # trap): retry once, then leave the temp folder to the system's /tmp cleaning.
  rm -rf "$SERVICES_DIR" 2>/dev/null || { sleep 1; rm -rf "$SERVICES_DIR" 2>/dev/null; } || true
  SERVICES_DIR=
  return 0
}
