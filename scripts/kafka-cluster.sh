#!/usr/bin/env bash
# A 3-node minikafka cluster on this machine, Kafka's KRaft combined mode: every node is a broker
# and a controller-quorum voter. Foreground; Ctrl-C stops all three (each flushes and exits).
#   node  clients   controller   admin http    data
#   1     9092      9192         19092         data/kafka-cluster/node1
#   2     9093      9193         19093         data/kafka-cluster/node2
#   3     9094      9194         19094         data/kafka-cluster/node3
#   scripts/kafka-cluster.sh [--reset] [--trace] [--brokers N] [extra minikafka options for every node]
#     --reset   delete the data directories first (a fresh cluster)
#     --trace   narrate elections and leader changes (and every request)
#     --brokers N  N nodes in all (default 3): nodes 4.. are brokers only (process.roles=broker,
#               observers of the three voters) - then move partitions onto them with
#               AlterPartitionReassignments (docs/minikafka/05, "Adding a broker")
#   First ports: CLIENT_PORT=9092 CONTROLLER_PORT=9192 ADMIN_PORT=19092 (nodes 2, 3 take the next ones).
# Watch the quorum: curl -s 127.0.0.1:19092/api/quorum; kill -9 the leader's pid and watch again.
set -euo pipefail
cd "$(dirname "$0")/.."

reset=0
trace=false
extra=()
nodes=3
while [ $# -gt 0 ]; do
  case "$1" in
    --reset) reset=1 ;;
    --trace) trace=true ;;
    --brokers) nodes=$2; shift ;;
    *) extra+=("$1") ;;
  esac
  shift
done

if [ ! -x build/minikafka/minikafka ]; then scripts/build.sh; fi
root=data/kafka-cluster
if [ "$reset" = 1 ]; then rm -rf "$root"; fi
client_base=${CLIENT_PORT:-9092}
controller_base=${CONTROLLER_PORT:-9192}
admin_base=${ADMIN_PORT:-19092}
voters="1@127.0.0.1:$controller_base,2@127.0.0.1:$((controller_base + 1)),3@127.0.0.1:$((controller_base + 2))"

pids=()
stop_all() {
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_all INT TERM

for id in 1 2 3; do
  mkdir -p "$root/node$id"
  client=$((client_base + id - 1))
  controller=$((controller_base + id - 1))
  # Each node's log lines prefixed with its id (process substitution: $! stays minikafka's pid).
  build/minikafka/minikafka --dir "$root/node$id" --admin-port $((admin_base + id - 1)) --trace "$trace" \
    --node.id "$id" --process.roles broker,controller --controller.quorum.voters "$voters" \
    --listeners "PLAINTEXT://127.0.0.1:$client,CONTROLLER://127.0.0.1:$controller" \
    --advertised.listeners "PLAINTEXT://127.0.0.1:$client" "${extra[@]}" > >(sed -u "s/^/[node $id] /") 2>&1 &
  pids+=($!)
done
for ((id = 4; id <= nodes; id++)); do
  mkdir -p "$root/node$id"
  client=$((client_base + id - 1))
  build/minikafka/minikafka --dir "$root/node$id" --admin-port $((admin_base + id - 1)) --trace "$trace" \
    --node.id "$id" --process.roles broker --controller.quorum.voters "$voters" \
    --listeners "PLAINTEXT://127.0.0.1:$client" \
    --advertised.listeners "PLAINTEXT://127.0.0.1:$client" "${extra[@]}" > >(sed -u "s/^/[node $id] /") 2>&1 &
  pids+=($!)
done

cat <<TXT
minikafka cluster running, $nodes nodes (Ctrl-C stops them all):
  quorum     curl -s 127.0.0.1:$admin_base/api/quorum       (the next two ports for nodes 2 and 3)
  clients    kcat -b 127.0.0.1:$client_base -L
TXT
# If one node fails to start (say its port is taken), stop the others too.
wait -n "${pids[@]}" || true
stop_all
