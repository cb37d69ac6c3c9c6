#!/usr/bin/env bash
# Soak: the daemon (full build) watching a 50-container task and the large
# simulated cluster (1,000 services, 10,000 tasks) at a 1s interval for
# DURATION seconds (600 by default), sampling RSS and goroutines every 10s into
# dist/soak.csv. Fails when RSS does not level off: the peak of the last third
# must stay within 10% (plus 2 MiB) of the peak of the middle third.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

DURATION=${DURATION:-600}
mkdir -p dist
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o dist/ecswatch ./cmd/ecswatch
start_sim --sim.containers 50 --sim.large-cluster
start_daemon dist/ecswatch ECS_CONTAINER_METADATA_URI_V4="http://127.0.0.1:$SIM_PORT" ECSWATCH_SIDECAR_INTERVAL=1s \
  ECSWATCH_STANDALONE_ENABLED=true ECSWATCH_STANDALONE_CLUSTERS=large,shop-prod ECSWATCH_STANDALONE_REGION=eu-west-1 \
  ECSWATCH_STANDALONE_ENDPOINT="http://127.0.0.1:$((SIM_PORT + 1))" ECSWATCH_STANDALONE_INTERVAL=1s \
  AWS_ACCESS_KEY_ID=AKIDSOAK AWS_SECRET_ACCESS_KEY=soak AWS_EC2_METADATA_DISABLED=true

# A scraper twice a second keeps the background re-rendering of /metrics
# busy all along, beside the sampling scrape.
(while sleep 0.5; do curl -s -H "Accept-Encoding: gzip" -o /dev/null "http://127.0.0.1:$DAEMON_PORT/metrics"; done) &
PIDS+=("$!")

echo "seconds,rss_mib,goroutines" | tee dist/soak.csv
for ((t = 10; t <= DURATION; t += 10)); do
  sleep 10
  g=$(curl -s "http://127.0.0.1:$DAEMON_PORT/metrics" | awk '/^go_goroutines / { print $2 }')
  echo "$t,$(rss_mib "$DAEMON_PID"),$g" | tee -a dist/soak.csv
done
stop_all

awk -F, 'NR > 1 { rss[NR-1] = $2; n = NR-1 }
  END {
    for (i = int(n/3)+1; i <= int(2*n/3); i++) if (rss[i] > mid) mid = rss[i]
    for (i = int(2*n/3)+1; i <= n; i++) if (rss[i] > last) last = rss[i]
    printf "peak RSS: middle third %.1f MiB, last third %.1f MiB\n", mid, last
    if (last > mid * 1.10 + 2) { print "FAIL: RSS keeps growing"; exit 1 }
    print "RSS levels off"
  }' dist/soak.csv
