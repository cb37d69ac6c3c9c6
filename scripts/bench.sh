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
#   and <= 12 MiB (sidecar build) / 20 MiB (full build) while scraped every 15s,
#   CPU per scrape <= 0.1 ms at any cadence (the handler copies a body
#   rendered once per published snapshot, never in a scrape),
#   scrape p99 <= 5 ms with a slow (200 ms) metadata endpoint (the CPUs kept
#   awake, so that it measures the daemon, not the hypervisor), and no scrape
#   as long as the endpoint takes (scrapes never wait for it),
#   standalone peak RSS <= 150 MiB for 1,000 services / 10,000 tasks,
#   and <= 300 MiB at ten times that, with the daemon's defaults and, without an
#   OOM kill, in a 300 MiB memory limit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DURATION=${DURATION:-60}
need wrk wrk
mkdir -p dist docs
echo "--- building"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o dist/ecswatch ./cmd/ecswatch
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -tags sidecar -o dist/ecswatch-sidecar ./cmd/ecswatch
# The same sidecar build with its symbol table, for internal/tools/rssattr:
# the loaded sections keep their addresses.
CGO_ENABLED=0 go build -trimpath -tags sidecar -o dist/ecswatch-sidecar.syms ./cmd/ecswatch
go build -o dist/rssattr ./internal/tools/rssattr
# The floor under the sidecar: client_golang's promhttp alone, built alike.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o dist/promfloor ./internal/tools/promfloor

machine="$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(go version | awk '{print $3}'), $(uname -m)"
rows=()
failed=0
row() { rows+=("| $1 | $2 | $3 | $machine |"); echo "    $1: $2 (budget: $3)"; }
over() { awk -v v="$1" -v b="$2" 'BEGIN { exit !(v > b) }'; }

# Sidecar footprint: a 10-container task, at 1s and 10s intervals, then at
# 10s while a Prometheus scrapes it every 15s (reported, not budgeted: the
# issue's budget is for the collecting sidecar).
footprint() { # footprint INTERVAL SCRAPE_EVERY (0: no scrapes) [BINARY]; sets CPU_MS too
  local interval=$1 every=$2 bin=${3:-dist/ecswatch-sidecar} scraper=
  start_sim --sim.containers 10
  start_daemon "$bin" ECS_CONTAINER_METADATA_URI_V4="http://127.0.0.1:$SIM_PORT" ECSWATCH_SIDECAR_INTERVAL=${interval}s
  if [ "$every" != 0 ]; then
    (while sleep "$every"; do curl -s -H "Accept-Encoding: gzip" -o /dev/null "http://127.0.0.1:$DAEMON_PORT/metrics"; done) &
    scraper=$!
  fi
  sleep 5 # settle: first collection
  local cpu0 cpu1
  cpu0=$(cpu_ms "$DAEMON_PID")
  # RSS is sampled every second; the median is the figure, so that one
  # sample taken in a GC cycle's peak does not decide it. The peak is shown.
  local samples=()
  for _ in $(seq "$DURATION"); do
    sleep 1
    samples+=("$(rss_mib "$DAEMON_PID")")
  done
  cpu1=$(cpu_ms "$DAEMON_PID")
  RSS=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  RSS_PEAK=$(hwm_mib "$DAEMON_PID")
  ANON=$(anon_mib "$DAEMON_PID")
  # Which packages the resident executable pages hold (sidecar build).
  [ "$bin" = dist/ecswatch-sidecar ] && [ "$every" != 0 ] && dist/rssattr -pid "$DAEMON_PID" -binary dist/ecswatch-sidecar.syms -top 20 >dist/rssattr.txt
  [ -n "$scraper" ] && kill "$scraper"
  stop_all
  CPU_MS=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b-a }')
  CPU_S_PER_MIN=$(awk -v ms="$CPU_MS" -v d="$DURATION" 'BEGIN { printf "%.3f", ms/1000*60/d }')
  CPU_PCT=$(awk -v c="$CPU_S_PER_MIN" 'BEGIN { printf "%.3f", c/60*100 }')
}
rss_figure() { echo "${RSS} MiB (median; peak ${RSS_PEAK}, anonymous ${ANON}, the rest the binary's pages)"; }
for interval in 1 10; do
  echo "--- sidecar footprint, 10 containers, ${interval}s interval, ${DURATION}s"
  footprint "$interval" 0
  # The budgets apply at the 10s interval, as the issue words them; 1s is for comparison.
  if [ "$interval" = 10 ]; then rss_budget="15 MiB" cpu_budget="0.5%"; else rss_budget="—" cpu_budget="—"; fi
  row "sidecar RSS, ${interval}s interval" "$(rss_figure)" "$rss_budget"
  [ "$interval" = 10 ] && over "$RSS" 15 && failed=1
  row "sidecar CPU, ${interval}s interval" "${CPU_S_PER_MIN} s/min (${CPU_PCT}% of a core)" "$cpu_budget"
  [ "$interval" = 10 ] && over "$CPU_PCT" 0.5 && failed=1
done
unscraped_ms=$CPU_MS # the 10s run above, not scraped
# CPU per scrape: a scrape copies a body rendered ahead of it, once per
# published snapshot (and after 10s without one, for the self-metrics),
# whatever the cadence; BenchmarkScrape measures that copy (budgeted). The
# runs below show the rest: the daemon's CPU while scraped, less the same
# run unscraped, per scrape, which is mostly those renders (one per
# snapshot while anyone scrapes) spread over the scrapes (reported).
scrape_ns=$(go test -run '^$' -bench '^BenchmarkScrape$' -benchtime 2000x ./exporters/prometheus/ | awk '/BenchmarkScrape/ { print $3 }')
render_ns=$(go test -run '^$' -bench '^BenchmarkRender$' -benchtime 200x ./exporters/prometheus/ | awk '/BenchmarkRender/ { print $3 }')
scrape_ms=$(awk -v n="$scrape_ns" 'BEGIN { printf "%.3f", n/1e6 }')
row "CPU per scrape at any cadence (the handler copying the cached body, gzip; BenchmarkScrape)" "${scrape_ms} ms" "0.1 ms"
over "$scrape_ms" 0.1 && failed=1
row "render per published snapshot, off the scrape path (BenchmarkRender)" "$(awk -v n="$render_ns" 'BEGIN { printf "%.2f ms", n/1e6 }')" "—"
for every in 15 1; do
  echo "--- sidecar footprint, 10s interval, scraped every ${every}s, ${DURATION}s"
  footprint 10 "$every"
  if [ "$every" = 15 ]; then
    row "sidecar RSS, 10s interval, scraped every 15s" "$(rss_figure)" "12 MiB"
    over "$RSS" 12 && failed=1
    row "sidecar CPU, 10s interval, scraped every 15s" "${CPU_S_PER_MIN} s/min (${CPU_PCT}% of a core)" "—"
  fi
  per=$(awk -v a="$unscraped_ms" -v b="$CPU_MS" -v n="$((DURATION / every))" 'BEGIN { v = (b-a)/n; if (v < 0) v = 0; printf "%.3f", v }')
  row "daemon CPU per scrape incl. its renders, one scraper every ${every}s (scraped run less unscraped run)" "${per} ms" "—"
done
# What the sidecar's RSS would be with nothing of ecswatch's own: the
# libraries' floor (reported).
echo "--- client_golang's promhttp alone, scraped every 15s, ${DURATION}s"
footprint 10 15 dist/promfloor
row "for comparison: client_golang's promhttp alone (internal/tools/promfloor: Go and process collectors, GOGC 25, GOMAXPROCS 1), scraped every 15s" "$(rss_figure)" "—"

# The full image: the full build hands the sidecar role over to the sidecar
# build beside it (dist/ holds both, as the image does). Alone, it runs the
# role itself (reported).
echo "--- full build in the sidecar role, 10s interval, scraped every 15s, ${DURATION}s"
footprint 10 15 dist/ecswatch
row "full image as a sidecar (the full build hands over to the sidecar build beside it): RSS, 10s interval, scraped every 15s" "$(rss_figure)" "20 MiB"
over "$RSS" 20 && failed=1
mkdir -p dist/alone && cp dist/ecswatch dist/alone/ecswatch
footprint 10 15 dist/alone/ecswatch
row "full build alone as a sidecar (no sidecar build beside it): RSS, 10s interval, scraped every 15s" "$(rss_figure)" "—"

# Scrape latency: 50 scrapers, each scraping every 500 ms (thirty times
# Prometheus's usual 15s), while the metadata endpoint takes 200 ms to answer
# and the sidecar polls it every second. Scrapes must not wait for it: the
# longest must stay far below 200 ms. wrk (one thread, C) paces each
# connection with scripts/scrapers.lua, so the load generator's own cost stays
# out of the figure. "spread" starts the scrapers at random points of the
# period, as independent Prometheus servers are (budgeted); "lockstep" fires
# all 50 at the same instant, which on two cores mostly measures how 50
# requests queue behind each other (reported).
#
# On a virtual machine, an idle vCPU halts and the hypervisor takes up to
# milliseconds to run it again when a request arrives: at 100 scrapes a
# second the CPUs are idle most of the time, and one scrape in a hundred
# pays that, whatever answers it (promfloor's constant /floor measured a
# p99 of 3.3 ms so, and 0.8 ms with the CPUs kept busy). So each case runs
# twice: with the CPUs kept awake by a spinner of the lowest priority on each
# (SCHED_IDLE: it runs only when nothing else wants the CPU), which measures
# the daemon (budgeted), and as the machine is (reported); and each beside
# /floor under the same load.
field() { echo "$out" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; } # from scrapers.lua's line
ms() { awk -v us="$(field "$1")" 'BEGIN { printf "%.2f", us/1000 }'; }
# scrape_run MODE BINARY PATH sets out (scrapers.lua's line), steal (% of
# the machine the hypervisor took during the run) and scrape_cpu.
scrape_run() {
  start_sim --sim.containers 10 --sim.metadata-latency 200ms
  start_daemon "$2" ECS_CONTAINER_METADATA_URI_V4="http://127.0.0.1:$SIM_PORT" ECSWATCH_SIDECAR_INTERVAL=1s
  sleep 3
  local s0 s1
  s0=$(steal_ticks)
  local c0 c1
  c0=$(cpu_ms "$DAEMON_PID")
  out=$(wrk -t1 -c50 -d20s -s scripts/scrapers.lua -H "Accept-Encoding: gzip" "http://127.0.0.1:$DAEMON_PORT$3" -- "$1" 50 | grep '^scrapes=')
  c1=$(cpu_ms "$DAEMON_PID")
  s1=$(steal_ticks)
  stop_all
  # All of the daemon's CPU in the run (its 1s polling and renders
  # included), per scrape: an upper bound of what a scrape costs.
  scrape_cpu=$(awk -v a="$c0" -v b="$c1" -v n="$(field scrapes)" 'BEGIN { printf "%.3f", (b-a)/n }')
  steal=$(awk -v t="$((s1 - s0))" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" 'BEGIN { printf "%.1f", t/hz/20/n*100 }')
}
failures() { echo $(($(field errors) + $(field non2xx))); }
latency() { echo "$(ms p50_us) / $(ms p99_us) / $(ms p999_us) ms ($(field scrapes) scrapes, $(failures) failed; steal ${steal}%)"; }
for mode in spread lockstep; do
  what="50 scrapers every 500 ms, $mode, endpoint 200 ms"
  for cpus in awake "as they are"; do
    [ "$cpus" = awake ] && cpus_awake
    # A run during which the hypervisor took more than 1% of the machine is
    # taken again (up to three runs); the quietest one is reported, with its
    # steal, so the figure describes the daemon rather than its neighbours.
    best=
    for attempt in 1 2 3; do
      echo "--- scrape latency, $what, CPUs $cpus, run $attempt"
      scrape_run "$mode" dist/ecswatch-sidecar /metrics
      echo "    steal ${steal}%: $out"
      if [ -z "$best" ] || over "$best_steal" "$steal"; then best=$out best_steal=$steal best_cpu=$scrape_cpu; fi
      over "$steal" 1 || break
    done
    out=$best steal=$best_steal
    budget=—
    if [ "$mode" = spread ] && [ "$cpus" = awake ]; then
      budget="p99 5 ms"
      over "$(ms p99_us)" 5 && failed=1
    fi
    row "scrape latency p50 / p99 / p99.9 ($what; CPUs $cpus)" "$(latency)" "$budget"
    row "longest scrape ($what; CPUs $cpus)" "$(ms max_us) ms" "under 200 ms (never waits for the endpoint)"
    over "$(ms max_us)" 200 && failed=1
    [ "$(failures)" != 0 ] && failed=1
    [ "$cpus" = awake ] && row "daemon CPU per scrape ($what; all its CPU in the run, 1s polling and renders included)" "${best_cpu} ms" "—"
    echo "--- the machine's floor: $what, CPUs $cpus, promfloor's /floor"
    scrape_run "$mode" dist/promfloor /floor
    echo "    steal ${steal}%: $out"
    row "for comparison: a Go server writing a constant body (promfloor's /floor), $what; CPUs $cpus" "$(latency)" "—"
    [ "$cpus" = awake ] && cpus_idle
  done
done

# Standalone: 1,000 services / 10,000 tasks.
echo "--- standalone cycle, 1,000 services / 10,000 tasks"
bench=$(go test -run '^$' -bench 'BenchmarkLargeCluster$' -benchtime 5x ./collector/ecsapi/)
for deploying in 0 10; do
  line=$(echo "$bench" | grep "BenchmarkLargeCluster/deploying=$deploying-")
  calls=$(echo "$line" | awk '{ for (i=1;i<=NF;i++) if ($(i+1)=="calls/cycle") print $i }')
  ratio=$(echo "$line" | awk '{ for (i=1;i<=NF;i++) if ($(i+1)=="calls/minimum") print $i }')
  ns=$(echo "$line" | awk '{ print $3 }')
  row "standalone API calls per cycle ($deploying deployments in progress)" "$calls (ratio to the minimum: $ratio)" "ratio 1"
  over "$ratio" 1 && failed=1
  row "standalone cycle time, $deploying deploying (in-process simulator)" "$(awk -v n="$ns" 'BEGIN { printf "%.0f ms", n/1e6 }')" "—"
done
# Issue 22's scale: 20 clusters, 10,000 services, 100,000 tasks, ten
# deploying per cluster. Heap and allocations include the in-process
# simulator's (reported); the calls must be the minimum.
ten=$(go test -run '^$' -bench '^BenchmarkTenTimesScale$' -benchtime 2x ./collector/ecsapi/ | grep '^BenchmarkTenTimesScale')
metric() { echo "$ten" | awk -v k="$1" '{ for (i=1;i<=NF;i++) if ($(i+1)==k) print $i }'; }
row "standalone at 10x (20 clusters, 10,000 services, 100,000 tasks, 200 deploying): API calls per cycle" "$(metric calls/cycle) (ratio to the minimum: $(metric calls/minimum))" "ratio 1"
over "$(metric calls/minimum)" 1 && failed=1
row "standalone at 10x: cycle time, peak heap, allocations (in-process simulator included)" "$(echo "$ten" | awk '{ printf "%.0f ms", $3/1e6 }'), $(metric peak-heap-MiB) MiB, $(metric allocs/task) allocs per task" "—"
# The collector's own allocations, the simulator's counted apart (one
# profiled cycle: collector/ecsapi/allocsplit_test.go). Before the lean
# decoder (collector/ecsapi/lean.go) it was 42.5 per task at this scale;
# the issue asks for at least half off.
row "standalone at 10x: the collector's own allocations per task per cycle (simulator's apart: $(metric sim-allocs/task); tiny ones unattributed: $(metric tiny-allocs/task))" "$(metric collector-allocs/task)" "21.2 (half of 42.5)"
over "$(metric collector-allocs/task)" 21.2 && failed=1
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

# Ten times the scale as a process: 20 clusters, 10,000 services, 100,000
# tasks, ten deploying per cluster (ServiceDeployments), Container Insights
# and service discovery on, scraped. The simulators run in their own process.
echo "--- standalone at 10x as a process, with Container Insights and service discovery"
# Scraped as Prometheus scrapes: gzip (a plain scrape makes every render
# encode a plain body too), and in one format, as wrk asks (no Accept):
# curl's "Accept: */*" negotiates another, which the daemon would encode
# beside it, as no single scraper makes it do.
scrape() { curl -s -H "Accept:" "$@" "http://127.0.0.1:$DAEMON_PORT/metrics"; }
metric_of() { scrape --compressed | awk -v k="$1" '$1 == k { print $2 }'; }
TENX_ENV=(ECSWATCH_SIDECAR_ENABLED=false ECSWATCH_STANDALONE_ENABLED=true
  ECSWATCH_STANDALONE_CLUSTERS="$(seq -f 'large-%02g' 0 19 | paste -sd,)"
  ECSWATCH_STANDALONE_ENDPOINT="http://127.0.0.1:$((SIM_PORT + 1))" ECSWATCH_STANDALONE_REGION=eu-west-1
  ECSWATCH_STANDALONE_INTERVAL=30s ECSWATCH_STANDALONE_TIMEOUT=28s
  ECSWATCH_STANDALONE_SERVICE_DISCOVERY_ENABLED=true ECSWATCH_STANDALONE_SERVICE_DISCOVERY_EC2_ENDPOINT="http://127.0.0.1:$((SIM_PORT + 4))"
  ECSWATCH_INSIGHTS_ENABLED=true ECSWATCH_INSIGHTS_ENDPOINT="http://127.0.0.1:$((SIM_PORT + 2))" ECSWATCH_INSIGHTS_REGION=eu-west-1
  AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_EC2_METADATA_DISABLED=true)
# tenx_cycles waits for four collection cycles: the first describes every
# task definition once; allocations (M0, M1) and CPU (C0, C1) are counted
# over the two steady ones. Then five scrapers scrape back to back for 20 s
# (LAT: wrk's report; S0, S1: the daemon's CPU around it).
tenx_cycles() {
  local last= at
  CYCLES=0 M0= C0=
  for _ in $(seq 60); do
    sleep 5
    kill -0 "$DAEMON_PID" 2>/dev/null || break
    at=$(metric_of 'ecswatch_collector_last_success_timestamp_seconds{collector="ecsapi"}')
    if [ -n "$at" ] && [ "$at" != "$last" ]; then
      last=$at CYCLES=$((CYCLES + 1))
      [ "$CYCLES" = 2 ] && M0=$(metric_of go_memstats_mallocs_total) C0=$(cpu_ms "$DAEMON_PID")
      [ "$CYCLES" = 4 ] && break
    fi
  done
  M1=$(metric_of go_memstats_mallocs_total) C1=$(cpu_ms "$DAEMON_PID")
  INSIGHTS_UP=$(metric_of 'ecswatch_collector_up{collector="insights"}')
  [ "$CYCLES" -ge 4 ] && [ "$INSIGHTS_UP" = 1 ] || { echo "10x: $CYCLES cycles, insights up=$INSIGHTS_UP"; failed=1; }
  CYCLE_S=$(metric_of 'ecswatch_collector_duration_seconds{collector="ecsapi"}')
}
tenx_scrapes() {
  S0=$(cpu_ms "$DAEMON_PID")
  LAT=$(wrk -t1 -c5 -d20s --latency -H "Accept-Encoding: gzip" "http://127.0.0.1:$DAEMON_PORT/metrics")
  S1=$(cpu_ms "$DAEMON_PID")
}
# cpu_per_cycle: the daemon's CPU seconds per steady cycle.
cpu_per_cycle() { awk -v a="$C0" -v b="$C1" 'BEGIN { printf "%.1f", (b-a)/1000/2 }'; }

start_sim --sim.ten-times
start_daemon dist/ecswatch "${TENX_ENV[@]}"
tenx_cycles
plain=$(scrape --compressed | wc -c)
gz=$(scrape -H "Accept-Encoding: gzip" | wc -c)
series=$(scrape --compressed | grep -vc '^#')
tenx_scrapes
peak=$(hwm_mib "$DAEMON_PID")
stop_all
requests=$(echo "$LAT" | awk '/requests in/ { print $1 }')
pct() { echo "$LAT" | awk -v p="$1" '$1 == p { print $2 }'; }
row "standalone at 10x as a process (Container Insights, service discovery, scraped): peak RSS with the daemon's defaults (no memory limit; GOGC 50, which lets the heap grow to 1.5 times the live heap)" "${peak} MiB" "300 MiB"
over "$peak" 300 && failed=1
row "standalone at 10x: cycle time; daemon CPU per steady cycle; daemon allocations per task per cycle (go_memstats_mallocs_total, renders included)" \
  "$(awk -v s="$CYCLE_S" 'BEGIN { printf "%.1f", s }') s; $(cpu_per_cycle) s; $(awk -v a="$M0" -v b="$M1" 'BEGIN { printf "%.0f", (b-a)/2/100000 }')" "—"
row "standalone at 10x: /metrics size (series; plain; gzip)" "${series} series; $(awk -v b="$plain" 'BEGIN { printf "%.1f MB", b/1e6 }'); $(awk -v b="$gz" 'BEGIN { printf "%.2f MB", b/1e6 }')" "—"
row "standalone at 10x: scrape p50 / p90 / p99 under 5 concurrent back-to-back scrapers (wrk, gzip; collection cycles, renders and the simulator share the cores); daemon CPU per scrape (all its CPU in the run)" \
  "$(pct 50%) / $(pct 90%) / $(pct 99%) (${requests} scrapes in 20 s); $(awk -v a="$S0" -v b="$S1" -v n="$requests" 'BEGIN { printf "%.3f ms", (b-a)/n }')" "—"

# The same in a task with a 300 MiB memory limit: --auto-gomemlimit sets
# GOMEMLIMIT to 270 MiB and the GC runs more often near it.
echo "--- standalone at 10x in a 300 MiB memory limit"
start_sim --sim.ten-times
start_daemon_limited 300 dist/ecswatch "${TENX_ENV[@]}"
tenx_cycles
tenx_scrapes
alive=yes
kill -0 "$DAEMON_PID" 2>/dev/null || alive=no
peak=$(hwm_mib "$DAEMON_PID" 2>/dev/null || echo "?")
ooms=$(oom_kills)
stop_all
row "standalone at 10x in a task with a 300 MiB memory limit ($LIMIT_HOW): peak RSS; OOM kills; still running after 4 cycles and 20 s of scrapes; CPU per steady cycle" \
  "${peak} MiB; ${ooms}; ${alive}; $(cpu_per_cycle) s" "300 MiB, no OOM kill"
{ [ "$alive" = yes ] && [ "${ooms:-0}" = 0 ] && ! over "$peak" 300; } || failed=1

# Events: from a message becoming visible to the counter changing.
echo "--- event latency"
ev=$(go test -run '^$' -bench 'BenchmarkEventLatency$' -benchtime 500x ./collector/events/)
ev50=$(echo "$ev" | awk '/BenchmarkEventLatency/ { for (i=1;i<=NF;i++) if ($(i+1)=="p50-ms") print $i }')
ev99=$(echo "$ev" | awk '/BenchmarkEventLatency/ { for (i=1;i<=NF;i++) if ($(i+1)=="p99-ms") print $i }')
row "event latency p50 / p99 (SQS visible to counter)" "${ev50} ms / ${ev99} ms" "—"
ev=$(go test -run '^$' -bench '^BenchmarkEventLatencyAt1000PerSecond$' -benchtime 5000x ./collector/events/)
ev50=$(echo "$ev" | awk '/BenchmarkEventLatency/ { for (i=1;i<=NF;i++) if ($(i+1)=="p50-ms") print $i }')
ev99=$(echo "$ev" | awk '/BenchmarkEventLatency/ { for (i=1;i<=NF;i++) if ($(i+1)=="p99-ms") print $i }')
row "event latency p50 / p99 at 1,000 events a second (SQS visible to counter)" "${ev50} ms / ${ev99} ms" "p99 50 ms"
over "$ev99" 50 && failed=1

{
  echo "# Benchmarks"
  echo
  echo "Written by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d)."
  echo "The simulators run in their own process; only the daemon is measured."
  echo "Sidecar cases use the sidecar build (\`-tags sidecar\`), standalone the full one."
  echo "Sidecar RSS is the median of one sample a second; \"the binary's pages\" are the"
  echo "executable's file pages the kernel maps on first use (and can drop and share)."
  echo "Scrape latency comes from wrk with \`scripts/scrapers.lua\`; \"steal\" is the share of"
  echo "the machine its hypervisor gave to other guests during the run. \"CPUs awake\": a"
  echo "spinner of the lowest priority (SCHED_IDLE) on each CPU keeps the hypervisor from"
  echo "halting an idle vCPU, whose wake-up a request would otherwise wait for."
  echo "\"In a task with a 300 MiB memory limit\" runs the daemon in a memory cgroup of that"
  echo "limit where the machine lets the script make one (its --auto-gomemlimit then sets"
  echo "GOMEMLIMIT to 0.9 of it), else with the GOMEMLIMIT it would set."
  echo
  echo "| Case | Figure | Budget | Machine |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "## Where the sidecar's resident memory goes"
  echo
  echo "\`internal/tools/rssattr\` on the sidecar build while scraped every 15s: its resident"
  echo "executable pages by section and by package (pages shared by several packages are"
  echo "split by bytes; \"(.gopclntab)\" is the runtime's function tables). These are"
  echo "the steady state's: after its first collection the sidecar unmaps the pages"
  echo "only start-up touched (\`internal/memtrim\`; before that, 9.1 MiB were"
  echo "resident), and what it still runs comes back with the kernel's fault-around"
  echo "neighbours. The promfloor row above does no such trim."
  echo
  echo '```'
  cat dist/rssattr.txt
  echo '```'
} > docs/benchmarks.md
echo "--- wrote docs/benchmarks.md"
if [ "$failed" = 1 ]; then
  echo "FAIL: a figure crossed its budget (see above)" >&2
  exit 1
fi
echo "all figures within budget"
