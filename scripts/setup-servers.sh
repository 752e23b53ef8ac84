#!/usr/bin/env bash
# Makes the real-world scenarios runnable: installs Debian's redis-server (and redis-tools
# for redis-benchmark) and mariadb-server when missing; starts Redis on 127.0.0.1:6379 and
# MariaDB on 127.0.0.1:3306 unless they answer; creates MariaDB's dedicated user and database
# for conlab (user conlab, password conlab, database conlab; never root). With --install-only
# it only installs: conlab then starts private throwaway servers itself.
set -euo pipefail

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-benchmark >/dev/null || missing+=(redis-tools)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
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

mysql_ok() { mariadb --no-defaults -h 127.0.0.1 -P 3306 -u conlab -pconlab conlab -e 'SELECT 1' >/dev/null 2>&1; }
# mysql-pool's pool goes up to 256 connections: the server must accept more than that.
raise_max_connections() {
  $sudo_cmd mariadb --no-defaults --protocol=socket -u root \
    -e 'SET GLOBAL max_connections = GREATEST(@@max_connections, 512)' >/dev/null 2>&1 || true
}
if mysql_ok; then
  raise_max_connections
  echo "setup: MariaDB answers on 127.0.0.1:3306 for user conlab"
  exit 0
fi
if ! $sudo_cmd mariadb-admin --no-defaults --protocol=socket -u root ping >/dev/null 2>&1; then
  $sudo_cmd mkdir -p /run/mysqld
  $sudo_cmd chown mysql:mysql /run/mysqld
  $sudo_cmd sh -c 'nohup /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 --max-connections=512 >/tmp/conlab-mariadb.log 2>&1 &'
  for _ in $(seq 100); do
    $sudo_cmd mariadb-admin --protocol=socket -u root ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "setup: started MariaDB on 127.0.0.1:3306"
fi
# Debian's root logs in through the socket only; conlab gets a user of its own over TCP.
$sudo_cmd mariadb --protocol=socket -u root <<'SQL'
CREATE DATABASE IF NOT EXISTS conlab;
CREATE USER IF NOT EXISTS 'conlab'@'127.0.0.1' IDENTIFIED BY 'conlab';
CREATE USER IF NOT EXISTS 'conlab'@'localhost' IDENTIFIED BY 'conlab';
GRANT ALL ON conlab.* TO 'conlab'@'127.0.0.1';
GRANT ALL ON conlab.* TO 'conlab'@'localhost';
FLUSH PRIVILEGES;
SQL
raise_max_connections
mysql_ok
echo "setup: MariaDB user conlab and database conlab ready"
