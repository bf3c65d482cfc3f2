#!/usr/bin/env bash
# Make sure the local services answer; start the ones that don't. Usage: ensure_services.sh redis [postgres]
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # port, name
  for _ in $(seq 1 50); do answers "$1" && return 0; sleep 0.2; done
  echo "error: $2 does not answer on 127.0.0.1:$1" >&2
  return 1
}

for service in "$@"; do
  case "$service" in
    redis)
      if ! answers 6379; then
        echo "starting Redis on 127.0.0.1:6379"
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
        wait_for 6379 Redis
      fi ;;
    postgres)
      if ! answers 5432; then
        echo "starting PostgreSQL on 127.0.0.1:5432"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
        wait_for 5432 PostgreSQL
      fi ;;
    *) echo "unknown service $service" >&2; exit 2 ;;
  esac
done
