#!/usr/bin/env bash
# Installs, from Debian's own packages, everything minibrokers needs to build, test and benchmark:
# the toolchain libraries, the real clients the integration tests drive, and the real brokers the
# differential tests and benchmarks compare against. Idempotent and quick when nothing is missing.
set -euo pipefail

packages=(
  # build
  g++ meson ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing (tests/fuzz/, build-fuzz): clang and its runtime libraries, which include libFuzzer
  clang libclang-rt-dev
  # real clients and real brokers (integration tests, differential tests, benchmarks)
  redis-tools redis-server python3-redis libhiredis-dev
  rabbitmq-server python3-pika python3-kombu python3-amqp python3-celery amqp-tools librabbitmq-dev
  kcat librdkafka-dev python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard
  curl procps iproute2
  # a real browser for the page tests: the admin ports' live pages and RabbitMQ's management UI
  # served by minirabbit, loaded headless (tests/*/live_page_test.py, management_ui_test.py)
  chromium chromium-driver python3-selenium
  # promtool (`promtool check metrics`), which the metrics tests of all three servers run on every
  # /metrics page; Debian ships it only inside the Prometheus server package, whose service must not
  # start (see policy-rc.d below)
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)

# Debian's packages start their services as they install (invoke-rc.d, deb-systemd-invoke): redis,
# rabbitmq and prometheus would all come up on their default ports. Debian's standard way to say
# "start nothing" is a /usr/sbin/policy-rc.d that exits 101 (action forbidden; man invoke-rc.d).
# It exists only while apt-get runs: removed afterwards, on failure too, and one that was there
# before (container images ship one) is put back as it was.
policy=/usr/sbin/policy-rc.d
saved_policy=""
policy_placed=0
restore_policy() {
  [ "$policy_placed" -eq 1 ] || return 0
  policy_placed=0
  if [ -n "$saved_policy" ]; then
    "${as_root[@]}" mv -f "$saved_policy" "$policy"
  else
    "${as_root[@]}" rm -f "$policy"
  fi
}
trap restore_policy EXIT
trap 'restore_policy; exit 130' INT TERM
if [ -e "$policy" ] && ! grep -q 'placed by minibrokers' "$policy"; then
  saved_policy="$policy.install-deps-saved"
  "${as_root[@]}" cp -p "$policy" "$saved_policy"
elif [ -e "$policy.install-deps-saved" ]; then
  saved_policy="$policy.install-deps-saved"  # a run killed mid-way left ours and the original
fi
policy_placed=1
printf '#!/bin/sh\n# placed by minibrokers scripts/install-deps.sh while it runs apt-get: start no service\nexit 101\n' |
  "${as_root[@]}" tee "$policy" >/dev/null
"${as_root[@]}" chmod 755 "$policy"

echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
restore_policy

# policy-rc.d kept the services from starting now, but the packages still enable them for the next
# boot, and a machine set up before policy-rc.d was used here may have them running. Our tests and
# benchmarks start their own instances on their own ports, so stop the packaged ones and keep them
# from coming back (6379 / 5672 are the ports a user may want miniredis / minirabbit on; prometheus
# is here only for promtool).
for svc in redis-server rabbitmq-server prometheus; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    "${as_root[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    "${as_root[@]}" service "$svc" stop >/dev/null 2>&1 || true
  fi
done
# rabbitmq leaves epmd behind; it holds no port we need, but keep the machine as we found it.
"${as_root[@]}" pkill -x epmd >/dev/null 2>&1 || true
