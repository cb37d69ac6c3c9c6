#!/usr/bin/env bash
# Footprint and speed figures, reproducible with one command:
#
#   scripts/bench.sh            (DURATION=60 by default: seconds per footprint run)
#
# Builds the daemon (the sidecar build for the sidecar cases, the full one for
# standalone), runs the simulators in their own process so that only the
# daemon is measured, and writes docs/benchmarks.md. Exits 1, loudly, when a
# figure crosses its budget:
#   sidecar RSS <= 15 MiB and CPU <= 0.5% of a core, at a 10s interval,
#   scrape p99 <= 5 ms with a slow (200 ms) metadata endpoint,
#   standalone peak RSS <= 150 MiB for 1,000 services / 10,000 tasks.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DURATION=${DURATION:-60}
need wrk wrk
mkdir -p dist docs
echo "--- building"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o dist/ecswatch ./cmd/ecswatch
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -tags sidecar -o dist/ecswatch-sidecar ./cmd/ecswatch

rows=()
failed=0
row() { rows+=("| $1 | $2 | $3 |"); echo "    $1: $2 (budget: $3)"; }
over() { awk -v v="$1" -v b="$2" 'BEGIN { exit !(v > b) }'; }

# Sidecar footprint: a 10-container task, at 1s and 10s intervals.
for interval in 1 10; do
  echo "--- sidecar footprint, 10 containers, ${interval}s interval, ${DURATION}s"
  start_sim --sim.containers 10
  start_daemon dist/ecswatch-sidecar ECS_CONTAINER_METADATA_URI_V4="http://127.0.0.1:$SIM_PORT" ECSWATCH_SIDECAR_INTERVAL=${interval}s
  sleep 5 # settle: first collection
  cpu0=$(cpu_ticks "$DAEMON_PID")
  sleep "$DURATION"
  cpu1=$(cpu_ticks "$DAEMON_PID")
  rss=$(rss_mib "$DAEMON_PID")
  stop_all
  cpu_s_per_min=$(awk -v a="$cpu0" -v b="$cpu1" -v d="$DURATION" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b-a)/hz*60/d }')
  cpu_pct=$(awk -v c="$cpu_s_per_min" 'BEGIN { printf "%.3f", c/60*100 }')
  # The budget applies at the 10s interval, as CPU's does; 1s is for comparison.
  row "sidecar RSS, ${interval}s interval" "${rss} MiB" "$([ "$interval" = 10 ] && echo "15 MiB" || echo "—")"
  [ "$interval" = 10 ] && over "$rss" 15 && failed=1
  row "sidecar CPU, ${interval}s interval" "${cpu_s_per_min} s/min (${cpu_pct}% of a core)" "$([ "$interval" = 10 ] && echo "0.5%" || echo "—")"
  [ "$interval" = 10 ] && over "$cpu_pct" 0.5 && failed=1
done

# Scrape latency: 50 concurrent scrapers, each scraping every 500 ms (far
# more than Prometheus's usual 15s), while the metadata endpoint takes 200 ms
# to answer and the sidecar polls it every second. wrk (one thread, C) with a
# pause per connection keeps the load generator's own cost out of the figure;
# a closed loop with no pause would measure how it saturates the cores.
echo "--- scrape latency, 50 scrapers every 500 ms, metadata endpoint answering in 200 ms"
start_sim --sim.containers 10 --sim.metadata-latency 200ms
start_daemon dist/ecswatch-sidecar ECS_CONTAINER_METADATA_URI_V4="http://127.0.0.1:$SIM_PORT" ECSWATCH_SIDECAR_INTERVAL=1s
sleep 3
wrk_out=$(wrk -t1 -c50 -d20s --latency -s scripts/scrape-every-500ms.lua -H "Accept-Encoding: gzip" "http://127.0.0.1:$DAEMON_PORT/metrics")
stop_all
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; printf "%.2f", v }'; }
p50=$(ms "$(echo "$wrk_out" | awk '$1 == "50%" { print $2 }')")
p99=$(ms "$(echo "$wrk_out" | awk '$1 == "99%" { print $2 }')")
reqs=$(echo "$wrk_out" | awk '/Requests\/sec/ { print $2 }')
errors=$(echo "$wrk_out" | awk '/Non-2xx|Socket errors/ { print }')
row "scrape latency p50 (50 scrapers every 500 ms, endpoint 200 ms)" "${p50} ms" "—"
row "scrape latency p99 (50 scrapers every 500 ms, endpoint 200 ms)" "${p99} ms (${reqs} scrapes/s${errors:+, $errors})" "5 ms"
over "$p99" 5 && failed=1
[ -n "$errors" ] && failed=1

# Standalone: 1,000 services / 10,000 tasks.
echo "--- standalone cycle, 1,000 services / 10,000 tasks"
bench=$(go test -run '^$' -bench 'BenchmarkLargeCluster$' -benchtime 5x ./collector/ecsapi/)
calls=$(echo "$bench" | awk '/BenchmarkLargeCluster/ { for (i=1;i<=NF;i++) if ($(i+1)=="calls/cycle") print $i }')
ratio=$(echo "$bench" | awk '/BenchmarkLargeCluster/ { for (i=1;i<=NF;i++) if ($(i+1)=="calls/minimum") print $i }')
ns=$(echo "$bench" | awk '/BenchmarkLargeCluster/ { print $3 }')
row "standalone API calls per cycle" "$calls (ratio to the minimum: $ratio)" "ratio 1"
over "$ratio" 1 && failed=1
row "standalone cycle time (in-process simulator)" "$(awk -v n="$ns" 'BEGIN { printf "%.0f ms", n/1e6 }')" "—"
start_sim --sim.large-cluster
start_daemon dist/ecswatch ECSWATCH_SIDECAR_ENABLED=false ECSWATCH_STANDALONE_ENABLED=true ECSWATCH_STANDALONE_CLUSTERS=large \
  ECSWATCH_STANDALONE_ENDPOINT="http://127.0.0.1:$((SIM_PORT + 1))" ECSWATCH_STANDALONE_REGION=eu-west-1 ECSWATCH_STANDALONE_INTERVAL=5s \
  AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true
sleep "$((DURATION / 2 > 20 ? DURATION / 2 : 20))"
peak=$(hwm_mib "$DAEMON_PID")
up=$(curl -s "http://127.0.0.1:$DAEMON_PORT/metrics" | awk '/^ecswatch_collector_up\{collector="ecsapi"\}/ { print $2 }')
stop_all
[ "$up" = 1 ] || { echo "standalone collector not up during the run"; failed=1; }
row "standalone peak RSS (1,000 services, 10,000 tasks, 5s cycles)" "${peak} MiB" "150 MiB"
over "$peak" 150 && failed=1

# Events: from a message becoming visible to the counter changing.
echo "--- event latency"
ev=$(go test -run '^$' -bench 'BenchmarkEventLatency$' -benchtime 500x ./collector/events/)
ev50=$(echo "$ev" | awk '/BenchmarkEventLatency/ { for (i=1;i<=NF;i++) if ($(i+1)=="p50-ms") print $i }')
ev99=$(echo "$ev" | awk '/BenchmarkEventLatency/ { for (i=1;i<=NF;i++) if ($(i+1)=="p99-ms") print $i }')
row "event latency p50 / p99 (SQS visible to counter)" "${ev50} ms / ${ev99} ms" "—"

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(go version | awk '{print $3}'), $(uname -m)"
{
  echo "# Benchmarks"
  echo
  echo "Written by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d). Machine: ${machine}."
  echo "The simulators run in their own process; only the daemon is measured."
  echo "Sidecar cases use the sidecar build (\`-tags sidecar\`), standalone the full one."
  echo
  echo "| Case | Figure | Budget |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > docs/benchmarks.md
echo "--- wrote docs/benchmarks.md"
if [ "$failed" = 1 ]; then
  echo "FAIL: a figure crossed its budget (see above)" >&2
  exit 1
fi
echo "all figures within budget"
