#!/usr/bin/env bash
# The README's run command: install what is missing, build, and run all three brokers in the
# foreground on their usual ports. Ctrl-C stops all three (each flushes and exits cleanly).
#   miniredis   6379  (admin http 16379)     data in data/miniredis
#   minirabbit  5672  (admin http 15672)     data in data/minirabbit
#   minikafka   9092  (admin http 19092)     data in data/minikafka
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p data/miniredis data/minirabbit data/minikafka
# RabbitMQ's own management UI (static files in Debian's rabbitmq-server package) for minirabbit's
# admin port, found where the package put it; without it, / says how to get it.
rabbit_ui=()
ui_index=$(dpkg -L rabbitmq-server 2>/dev/null | grep 'rabbitmq_management-.*/priv/www/index.html$' | head -n 1 || true)
[ -n "$ui_index" ] && rabbit_ui=(--management-ui "$(dirname "$ui_index")")

pids=()
stop_all() {
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_all INT TERM

build/miniredis/miniredis --port 6379 --admin-port 16379 --dir data/miniredis "$@" & pids+=($!)
build/minirabbit/minirabbit --port 5672 --admin-port 15672 --dir data/minirabbit "${rabbit_ui[@]}" & pids+=($!)
build/minikafka/minikafka --port 9092 --admin-port 19092 --dir data/minikafka & pids+=($!)

cat <<TXT
minibrokers running (Ctrl-C stops all three):
  miniredis   redis-cli -p 6379 ping                    admin http://127.0.0.1:16379/metrics
  minirabbit  amqp://guest:guest@127.0.0.1:5672/        admin http://127.0.0.1:15672/ (RabbitMQ's UI, guest/guest)
  minikafka   kcat -b 127.0.0.1:9092 -L                 admin http://127.0.0.1:19092/metrics
TXT
# If one broker fails (say its port is taken), stop the others too.
wait -n "${pids[@]}" || true
stop_all
