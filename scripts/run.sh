#!/usr/bin/env bash
# The README's run command: install what is missing, build, and run all three brokers in the
# foreground. Ctrl-C (or SIGTERM) stops all three (each flushes and exits cleanly).
#   miniredis   6379  (admin http 16379)     data in data/miniredis
#   minirabbit  5672  (admin http 15672)     data in data/minirabbit
#   minikafka   9092  (admin http 19092)     data in data/minikafka
#
#   scripts/run.sh [--port-offset N] [--reset] [--data DIR] [--no-build]
#                  [--redis-args "ARGS"] [--rabbit-args "ARGS"] [--kafka-args "ARGS"]
#     --port-offset N   add N to every port above (N=100: miniredis on 6479, admin 16479, ...),
#                       e.g. to run a second set beside the first, or beside the real brokers
#     --reset           delete the three data directories first (start empty)
#     --data DIR        keep the data directories under DIR instead of data/
#     --no-build        skip install-deps.sh and build.sh (use what is in $BUILD_DIR, default build/)
#     --redis-args ...  extra options for one server, one string split on spaces, e.g.
#                       --redis-args "--appendonly yes --maxmemory 100mb" or a config file first:
#                       --redis-args "/etc/redis/redis.conf --daemonize no --logfile '' --pidfile ''"
#                       (the port, admin port and data directory options come after them and win)
# The ports are always printed, whatever --loglevel the servers were given.
set -euo pipefail
cd "$(dirname "$0")/.."

offset=0 reset=0 build=1 data=data
redis_args="" rabbit_args="" kafka_args=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --port-offset) offset=${2:?--port-offset needs a number}; shift ;;
    --reset) reset=1 ;;
    --data) data=${2:?--data needs a directory}; shift ;;
    --no-build) build=0 ;;
    --redis-args) redis_args=${2?}; shift ;;
    --rabbit-args) rabbit_args=${2?}; shift ;;
    --kafka-args) kafka_args=${2?}; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
case "$offset" in ''|*[!0-9]*) echo "run.sh: --port-offset wants a number, not '$offset'" >&2; exit 2 ;; esac
if [ $((19092 + offset)) -gt 65535 ]; then echo "run.sh: --port-offset $offset puts ports above 65535" >&2; exit 2; fi

build_dir=${BUILD_DIR:-build}
if [ "$build" = 1 ]; then
  scripts/install-deps.sh
  scripts/build.sh
fi
if [ "$reset" = 1 ]; then rm -rf "$data/miniredis" "$data/minirabbit" "$data/minikafka"; fi
mkdir -p "$data/miniredis" "$data/minirabbit" "$data/minikafka"
# RabbitMQ's own management UI (static files in Debian's rabbitmq-server package) for minirabbit's
# admin port, found where the package put it; without it, / says how to get it.
rabbit_ui=()
ui_index=$(dpkg -L rabbitmq-server 2>/dev/null | grep 'rabbitmq_management-.*/priv/www/index.html$' | head -n 1 || true)
[ -n "$ui_index" ] && rabbit_ui=(--management-ui "$(dirname "$ui_index")")

redis=$((6379 + offset)) redis_admin=$((16379 + offset))
rabbit=$((5672 + offset)) rabbit_admin=$((15672 + offset))
kafka=$((9092 + offset)) kafka_admin=$((19092 + offset))

pids=()
stop_all() {
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_all INT TERM

# The extra arguments are split on spaces on purpose (one string per server); a config file given
# there comes first, as the servers want it.
# shellcheck disable=SC2086
"$build_dir/miniredis/miniredis" $redis_args --port "$redis" --admin-port "$redis_admin" \
  --dir "$data/miniredis" & pids+=($!)
# shellcheck disable=SC2086
"$build_dir/minirabbit/minirabbit" $rabbit_args --port "$rabbit" --admin-port "$rabbit_admin" \
  --dir "$data/minirabbit" "${rabbit_ui[@]}" & pids+=($!)
# shellcheck disable=SC2086
"$build_dir/minikafka/minikafka" $kafka_args --port "$kafka" --admin-port "$kafka_admin" \
  --dir "$data/minikafka" & pids+=($!)

cat <<TXT
minibrokers running (Ctrl-C stops all three):
  miniredis   port $redis    redis-cli -p $redis ping                    admin http://127.0.0.1:$redis_admin/ (live page)
  minirabbit  port $rabbit    amqp://guest:guest@127.0.0.1:$rabbit/        admin http://127.0.0.1:$rabbit_admin/ (RabbitMQ's UI, guest/guest; live page: /live)
  minikafka   port $kafka    kcat -b 127.0.0.1:$kafka -L                 admin http://127.0.0.1:$kafka_admin/ (live page)
TXT
# If one broker fails (say its port is taken), stop the others too.
wait -n "${pids[@]}" || true
stop_all
