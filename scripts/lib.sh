# Helpers shared by scripts/bench.sh and scripts/soak.sh: start the
# simulators and the daemon as separate processes on loopback, read their
# resource use from /proc, and stop everything on exit.

SIM_PORT=${SIM_PORT:-19700}
DAEMON_PORT=${DAEMON_PORT:-19787}
PIDS=()

# need CMD PACKAGE installs a Debian package when CMD is missing.
need() {
  command -v "$1" >/dev/null && return
  echo "installing $2"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  }
}

wait_http() {
  for _ in $(seq 100); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "nothing answers at $1" >&2
  return 1
}

start_sim() {
  dist/ecswatch simulate --sim.base-port "$SIM_PORT" "$@" 2>/dev/null &
  SIM_PID=$!
  PIDS+=("$SIM_PID")
  wait_http "http://127.0.0.1:$SIM_PORT/task"
}

# start_daemon BINARY [VAR=value ...] runs BINARY with the variables set.
start_daemon() {
  local bin=$1
  shift
  env "$@" "$bin" run --web.listen-address "127.0.0.1:$DAEMON_PORT" --log.level=warn 2>/dev/null &
  DAEMON_PID=$!
  PIDS+=("$DAEMON_PID")
  wait_http "http://127.0.0.1:$DAEMON_PORT/healthz"
}

stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap stop_all EXIT

# rss_mib PID: resident memory now; hwm_mib PID: its peak so far.
rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }
# anon_mib PID: the anonymous part of its RSS (heap, stacks); the rest is the
# binary's pages, which the kernel can drop and share between copies.
anon_mib() { awk '/^Anonymous/ { printf "%.1f", $2/1024 }' "/proc/$1/smaps_rollup"; }

# steal_ticks: clock ticks the hypervisor has given other guests instead of
# this machine, summed over its CPUs. Latency figures taken while it grows
# measure the neighbours, not the daemon.
steal_ticks() { awk '$1 == "cpu" { print $9 }' /proc/stat; }

# cpu_ticks PID: user + system clock ticks so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
