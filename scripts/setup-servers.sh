#!/usr/bin/env bash
# Makes the real-world scenarios runnable: installs Debian's redis-server (and redis-tools
# for redis-benchmark) when missing, and starts Redis on 127.0.0.1:6379 unless something
# answers there. With --install-only it only installs: conlab then starts private throwaway
# servers itself.
set -euo pipefail

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--install-only" ] && exit 0

if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "setup: Redis answers on 127.0.0.1:6379"
else
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --logfile /tmp/conlab-redis-6379.log >/dev/null
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
  echo "setup: started Redis on 127.0.0.1:6379"
fi
