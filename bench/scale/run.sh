#!/usr/bin/env bash
# Scale simulation: for each N, N exporters (each replaying its own node's generated capture in a loop, with an
# endpoints file naming every pod of the simulated cluster) are scraped by one real Prometheus running
# prometheus/prometheus-remote-write.yml as shipped (only the store's URL and the targets differ), which remote_writes
# its workload-pair recording rules to a real VictoriaMetrics. Prints one table row per N, then a linear fit of
# Prometheus memory against head series and the extrapolation to 1,000 nodes. Everything runs on loopback ports, in
# a private temporary folder, and is stopped and removed at the end (or on Ctrl-C).
#
#   bench/scale/run.sh [--nodes "1 4 16 32"] [--pods-per-node 30] [--measure SECONDS] [--check]
#
# --check (used by the lab test): after the run of each N, fail unless the store holds exactly the expected
# workload-pair series and nothing else. SCALE_EXPORTER / SCALE_BENCH name prebuilt binaries (no build then).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

nodes_list="1 4 16 32"
pods_per_node=30
measure=60
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes_list=$2; shift 2 ;;
    --pods-per-node) pods_per_node=$2; shift 2 ;;
    --measure) measure=$2; shift 2 ;;
    --check) check=1; shift ;;
    *) echo "usage: $0 [--nodes \"1 4 16 32\"] [--pods-per-node P] [--measure SECONDS] [--check]" >&2; exit 2 ;;
  esac
done

for tool in prometheus victoria-metrics curl ss awk; do
  command -v "$tool" >/dev/null || { echo "scale: $tool is not installed (scripts/install-prereqs installs it)" >&2; exit 1; }
done

exporter=${SCALE_EXPORTER:-}
bench=${SCALE_BENCH:-}
if [ -z "$exporter" ] || [ -z "$bench" ]; then
  dotnet build src/FlowExporter -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  dotnet build bench/FlowExporter.Bench -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  exporter=$repo/src/FlowExporter/bin/Release/net10.0/flowexporter
  bench=$repo/bench/FlowExporter.Bench/bin/Release/net10.0/FlowExporter.Bench
fi

work=$(mktemp -d /tmp/fe-scale-XXXXXX)
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
cleanup() { stop_all; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "scale: work folder $work"

used_ports=" "
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    case "$used_ports" in *" $port "*) continue ;; esac
    if [ -z "$(ss -Hltn "sport = :$port")" ]; then used_ports="$used_ports$port "; echo "$port"; return; fi
  done
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds, or fails the run naming DESCRIPTION.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "scale: timed out after ${limit}s waiting for $what" >&2; return 1; }
    sleep 0.2
  done
}

metric() { # metric URL NAME_REGEX: sum of the matching samples in an exposition
  curl -s --max-time 10 "$1" | awk -v re="^($2)([{ ])" '$0 ~ re { sum += $NF } END { printf "%.0f\n", sum }'
}
query() { # query PROM_PORT PROMQL: the first result's value
  curl -s --max-time 10 "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" |
    sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}
store_series() { curl -s --max-time 10 "http://127.0.0.1:$1/api/v1/series/count" | sed -n 's/.*"data":\[\([0-9]*\)\].*/\1/p'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
store_has() { [ "$(store_series "$1")" = "$2" ]; }
all_up() { [ "$(query "$1" 'count(up{job="flowexporter"} == 1)')" = "$2" ]; }
scraped_twice() { [ "$(query "$1" "count(count_over_time(up{job=\"flowexporter\"}[5m]) >= 2)")" = "$2" ]; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) (shared with other work)"
echo "prometheus $(prometheus --version 2>&1 | awk 'NR == 1 { print $3 }'), victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null || echo '?'), scrape and rule interval 15s, measured over ${measure}s"
printf '%-5s %-9s %-10s %-9s %-9s %-9s %-9s %-10s %-10s %-9s %-10s %-11s\n' \
  N conns/node samples/N head_ser samples/s prom_rss prom_heap scrape_avg scrape_max store_ser store_smp/s exp_rss/N
fit=""
for n in $nodes_list; do
  run=$work/n$n
  mkdir -p "$run/prom/targets" "$run/prom/remote-write"
  summary=$("$bench" scale-capture "$run/capture" "$n" "$pods_per_node" 10)
  pairs=$(sed -n 's/^cluster: .* workload_pairs=\([0-9]*\).*/\1/p' <<<"$summary")
  conns=$(awk '/^node:/ { sub("connections=", "", $3); s += $3; c++ } END { printf "%.0f", s / c }' <<<"$summary")
  expected=$((pairs * 2 * 2))   # x 2 directions x (bytes, packets)

  vm_port=$(free_port)
  victoria-metrics -storageDataPath="$run/vm" -httpListenAddr="127.0.0.1:$vm_port" -loggerLevel=ERROR -search.latencyOffset=0s >"$run/vm.log" 2>&1 &
  pids+=($!)
  wait_for 60 "victoria-metrics on :$vm_port" curl -sf "http://127.0.0.1:$vm_port/health"

  exporter_pids=()
  targets=""
  for i in $(seq 0 $((n - 1))); do
    node=$(printf 'sim-node-%03d' "$i")
    port=$(free_port)
    cat >"$run/$node.yaml" <<EOF
listen: 127.0.0.1:$port
node: $node
capture:
  replay_file: $run/capture/$node.pcap
  replay_loop: true
endpoints_file: $run/capture/endpoints.yaml
EOF
    DOTNET_gcServer=0 "$exporter" --config "$run/$node.yaml" >"$run/$node.log" 2>&1 &
    pids+=($!)
    exporter_pids+=($!)
    targets="$targets${targets:+, }\"127.0.0.1:$port\""
  done
  printf '[{"targets": [%s]}]\n' "$targets" >"$run/prom/targets/exporters.json"
  for port in $(grep -o '127.0.0.1:[0-9]*' "$run/prom/targets/exporters.json" | cut -d: -f2); do
    wait_for 180 "exporter on :$port to be ready" curl -sf "http://127.0.0.1:$port/readyz"
  done

  # The shipped file as it is, but for the store's address.
  sed "s|url: http://victoria-metrics.monitoring.svc:8428/api/v1/write|url: http://127.0.0.1:$vm_port/api/v1/write|" \
    prometheus/prometheus-remote-write.yml >"$run/prom/prometheus.yml"
  cp prometheus/remote-write/*.yml "$run/prom/remote-write/"
  prom_port=$(free_port)
  prometheus --config.file="$run/prom/prometheus.yml" --storage.tsdb.path="$run/prom/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" >"$run/prometheus.log" 2>&1 &
  prom_pid=$!
  pids+=($prom_pid)
  wait_for 60 "prometheus on :$prom_port" curl -sf "http://127.0.0.1:$prom_port/-/ready"
  wait_for 120 "all $n targets up" all_up "$prom_port" "$n"
  wait_for 120 "two scrapes of every target" scraped_twice "$prom_port" "$n"
  wait_for 180 "$expected workload-pair series in the store" store_has "$vm_port" "$expected"

  prom_metrics="http://127.0.0.1:$prom_port/metrics"
  vm_metrics="http://127.0.0.1:$vm_port/metrics"
  appended0=$(metric "$prom_metrics" prometheus_tsdb_head_samples_appended_total)
  stored0=$(metric "$vm_metrics" 'vm_rows_inserted_total[{]type="promremotewrite"[}]')
  start=$(date +%s.%N)
  sleep "$measure"   # the measurement window
  appended1=$(metric "$prom_metrics" prometheus_tsdb_head_samples_appended_total)
  stored1=$(metric "$vm_metrics" 'vm_rows_inserted_total[{]type="promremotewrite"[}]')
  elapsed=$(echo "$(date +%s.%N) - $start" | bc -l)

  head_series=$(metric "$prom_metrics" prometheus_tsdb_head_series)
  prom_rss=$(($(rss_kb "$prom_pid") * 1024))
  prom_heap=$(metric "$prom_metrics" go_memstats_heap_inuse_bytes)
  samples_per_target=$(query "$prom_port" 'avg(scrape_samples_post_metric_relabeling{job="flowexporter"})')
  scrape_avg=$(query "$prom_port" "avg(avg_over_time(scrape_duration_seconds{job=\"flowexporter\"}[${measure}s]))")
  scrape_max=$(query "$prom_port" "max(max_over_time(scrape_duration_seconds{job=\"flowexporter\"}[${measure}s]))")
  store=$(store_series "$vm_port")
  exporter_rss=0
  for pid in "${exporter_pids[@]}"; do exporter_rss=$((exporter_rss + $(rss_kb "$pid"))); done

  awk -v n="$n" -v c="$conns" -v spt="$samples_per_target" -v hs="$head_series" -v a0="$appended0" -v a1="$appended1" \
    -v el="$elapsed" -v rss="$prom_rss" -v heap="$prom_heap" -v sa="$scrape_avg" -v sm="$scrape_max" -v st="$store" \
    -v s0="$stored0" -v s1="$stored1" -v er="$exporter_rss" 'BEGIN {
      printf "%-5d %-9d %-10.0f %-9d %-9.0f %-9s %-9s %-10s %-10s %-9d %-10.1f %-11s\n", n, c, spt, hs, (a1 - a0) / el,
        sprintf("%.0fMB", rss / 1048576), sprintf("%.0fMB", heap / 1048576), sprintf("%.1fms", sa * 1000),
        sprintf("%.1fms", sm * 1000), st, (s1 - s0) / el, sprintf("%.0fMB", er / n / 1024) }'
  fit="$fit$head_series $prom_rss $prom_heap $n $samples_per_target"$'\n'

  if [ "$check" -eq 1 ]; then
    if [ "$store" != "$expected" ]; then
      echo "scale: check: the store holds $store series, expected $expected workload-pair series" >&2
      exit 1
    fi
    recorded=$(curl -s --max-time 10 "http://127.0.0.1:$vm_port/api/v1/query" \
      --data-urlencode 'query=count({__name__=~"workload_pair:network_connection_(bytes|packets):rate5m", cluster="sim-cluster"})' |
      sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p')
    echo "scale: check: N=$n: the store holds $store series, all $recorded of them workload-pair recordings (expected $expected)"
    [ "$recorded" = "$expected" ] || { echo "scale: check: expected $expected workload-pair recordings labelled cluster=sim-cluster" >&2; exit 1; }
  fi
  stop_all
  rm -rf "$run"
done

# Least-squares fit of Prometheus memory (RSS and Go heap in use) against head series, and the extrapolation to
# 1,000 nodes from the largest run's samples per target (series per node).
awk -v rows="$(printf '%s' "$fit" | wc -l)" '
  NF == 5 { x[NR] = $1; r[NR] = $2; h[NR] = $3; spt = $5; k = NR }
  END {
    if (k < 2) { print "fit: needs at least two values of N"; exit }
    for (i = 1; i <= k; i++) { sx += x[i]; sr += r[i]; sh += h[i] }
    mx = sx / k; mr = sr / k; mh = sh / k
    for (i = 1; i <= k; i++) { vx += (x[i] - mx) ^ 2; cr += (x[i] - mx) * (r[i] - mr); ch += (x[i] - mx) * (h[i] - mh) }
    br = cr / vx; bh = ch / vx; ar = mr - br * mx; ah = mh - bh * mx
    printf "fit: prometheus RSS = %.1f MB + %.0f bytes x head series; go heap in use = %.1f MB + %.0f bytes x head series\n", ar / 1048576, br, ah / 1048576, bh
    series = 1000 * spt
    printf "extrapolation: 1000 nodes x %.0f series per node = %.1f M head series -> RSS %.1f GB, heap %.1f GB (linear fit above)\n", spt, series / 1e6, (ar + br * series) / 1073741824, (ah + bh * series) / 1073741824
  }' <<<"$fit"
echo "scale: done"
