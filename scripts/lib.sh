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

# start_daemon BINARY [VAR=value ...] runs BINARY with the variables set,
# through DAEMON_WRAP when set (start_daemon_limited's cgroup).
DAEMON_WRAP=()
start_daemon() {
  local bin=$1
  shift
  env "$@" "${DAEMON_WRAP[@]}" "$bin" run --web.listen-address "127.0.0.1:$DAEMON_PORT" --log.level=warn 2>/dev/null &
  DAEMON_PID=$!
  PIDS+=("$DAEMON_PID")
  wait_http "http://127.0.0.1:$DAEMON_PORT/healthz"
}

# start_daemon_limited MIB BINARY [VAR=value ...] runs BINARY as a task
# with a memory limit of MIB MiB would: in a memory cgroup of that limit
# where this machine lets one be made (cgroup v2, else v1), so that its
# --auto-gomemlimit reads it; elsewhere with GOMEMLIMIT set as
# --auto-gomemlimit would set it (0.9 of the limit). LIMIT_HOW says which;
# oom_kills reads the cgroup's OOM kill count.
start_daemon_limited() {
  local mib=$1 bin=$2
  shift 2
  CGROUP=
  local v2=/sys/fs/cgroup v1=/sys/fs/cgroup/memory name="ecswatch-bench-$$"
  if grep -qw memory "$v2/cgroup.controllers" 2>/dev/null && mkdir "$v2/$name" 2>/dev/null; then
    CGROUP=$v2/$name
    echo $((mib << 20)) >"$CGROUP/memory.max" && echo 0 >"$CGROUP/memory.swap.max" 2>/dev/null || true
    LIMIT_HOW="cgroup v2 memory.max ${mib} MiB"
  elif [ -d "$v1" ] && mkdir "$v1/$name" 2>/dev/null; then
    CGROUP=$v1/$name
    echo $((mib << 20)) >"$CGROUP/memory.limit_in_bytes"
    LIMIT_HOW="cgroup v1 memory.limit_in_bytes ${mib} MiB"
  fi
  if [ -n "$CGROUP" ]; then
    # The shell joins the cgroup, then becomes the daemon.
    DAEMON_WRAP=(sh -c 'echo $$ >"$0/cgroup.procs"; exec "$@"' "$CGROUP")
    start_daemon "$bin" "$@"
    DAEMON_WRAP=()
  else
    LIMIT_HOW="no cgroup could be made here: GOMEMLIMIT=$((mib * 9 / 10))MiB, as --auto-gomemlimit sets it"
    start_daemon "$bin" "$@" GOMEMLIMIT=$((mib * 9 / 10))MiB
  fi
}

# oom_kills: OOM kills in start_daemon_limited's cgroup (0 without one).
oom_kills() {
  [ -n "${CGROUP:-}" ] || { echo 0; return; }
  if [ -f "$CGROUP/memory.events" ]; then
    awk '$1 == "oom_kill" { print $2 }' "$CGROUP/memory.events"
  else
    awk '$1 == "oom_kill" { print $2 }' "$CGROUP/memory.oom_control"
  fi
}

# remove_cgroup removes start_daemon_limited's cgroup once its process is gone.
remove_cgroup() {
  [ -n "${CGROUP:-}" ] && rmdir "$CGROUP" 2>/dev/null
  CGROUP=
}

# stop PID... kills them and waits until they are gone.
stop() {
  for p; do kill "$p" 2>/dev/null || true; done
  for p; do wait "$p" 2>/dev/null || true; done
}

stop_all() {
  stop "${PIDS[@]}"
  PIDS=()
  remove_cgroup
}
# cpus_awake starts a spinner of the lowest priority (SCHED_IDLE: it runs
# only when nothing else wants the CPU) on each CPU, so that no vCPU halts
# and a request never waits for the hypervisor to wake one; cpus_idle stops
# them.
SPINNERS=()
cpus_awake() {
  for _ in $(seq "$(nproc)"); do
    chrt --idle 0 sh -c 'while :; do :; done' &
    SPINNERS+=($!)
  done
}
cpus_idle() {
  stop "${SPINNERS[@]}"
  SPINNERS=()
}
trap 'stop_all; cpus_idle' EXIT

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

# cpu_ms PID: milliseconds it has run on a CPU so far, all its threads
# together, from the scheduler's nanosecond account of each
# (/proc/PID/task/*/schedstat). /proc/PID/stat counts clock ticks of 10 ms:
# a sidecar uses a few a minute, so a difference of two runs was mostly
# rounding. A thread that has exited no longer counts; Go keeps its threads.
cpu_ms() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ ns += $1 } END { printf "%.3f", ns / 1e6 }'; }
