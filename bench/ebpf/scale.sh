#!/usr/bin/env bash
# The eBPF engine at scale, through the published exporter: POINTS capture points (veth pairs between a "node" and a
# "pods" network namespace, chosen by one glob in capture.interfaces) with --engine ebpf and
# capture.ebpf.max_connections sized for CONNECTIONS; then CONNECTIONS live UDP connections (bench/ebpf/connflood.c:
# one datagram per distinct source address and port, all of them every ROUND seconds, through the first point).
# Prints: time from the exporter's start to all points attached (network_capture_points and the log's attach lines),
# the flow maps' memory (bpftool's memlock for our program's maps), and over MEASURE seconds at that load the sweep's
# duration (flowexporter_capture_ebpf_sweep_seconds, the last sweep's, read each second: median and max), the map
# entries a sweep drained, the connections tracked, map_full, the exporter's RSS and its CPU. Root; bounded in time.
#
#   bench/ebpf/scale.sh [--points 200] [--connections 100000] [--round 1] [--measure 20]
#
# --round 1 sends every connection each second: each sweep (1 s) drains all CONNECTIONS entries, the worst case for
# the sweep; a longer round keeps them live in the table (timeout 60 s) with fewer entries per sweep.
# FLOWEXPORTER_BIN names a published exporter (flow.bpf.o beside it); otherwise the script publishes one.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/as-root.sh"   # namespaces, tc filters, eBPF
points=200
connections=100000
round=1
measure=20
while [ $# -gt 0 ]; do
  case "$1" in
    --points) points=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --round) round=$2; shift 2 ;;
    --measure) measure=$2; shift 2 ;;
    *) echo "usage: $0 [--points N] [--connections N] [--round SECONDS] [--measure SECONDS]" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
for tool in ip curl python3 dotnet gcc bpftool tc; do
  command -v "$tool" >/dev/null || { echo "bench/ebpf/scale: '$tool' is missing" >&2; exit 1; }
done

work=$(mktemp -d /tmp/fe-ebpfscale-XXXXXX)
exporter=${FLOWEXPORTER_BIN:-}
if [ -z "$exporter" ]; then
  timeout 600 dotnet publish "$repo/src/FlowExporter" -c Release -r linux-x64 --self-contained false -nologo -v q \
    -clp:ErrorsOnly -o "$work/publish" >/dev/null
  exporter=$work/publish/flowexporter
fi
gcc -O2 -Wall -o "$work/connflood" "$here/connflood.c"

id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
node="fes${id}n" pods="fes${id}p"
prefix="fs${id}v"           # node side: fs<id>v000.. (the points), pod side fs<id>w000..
port=$((20000 + RANDOM % 20000))
exp_pid="" flood_pid=""
cleanup() {
  [ -n "$flood_pid" ] && { kill "$flood_pid" 2>/dev/null; wait "$flood_pid" 2>/dev/null; } || true
  if [ -n "$exp_pid" ]; then
    kill "$exp_pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$exp_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$exp_pid" 2>/dev/null || true
    wait "$exp_pid" 2>/dev/null || true
  fi
  ip netns del "$node" 2>/dev/null || true
  ip netns del "$pods" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$node"; ip netns add "$pods"
ip -n "$node" link set lo up   # the exporter listens on the node namespace's loopback
: >"$work/links"
for i in $(seq 0 $((points - 1))); do
  n=$(printf '%03d' "$i")
  echo "link add ${prefix}$n netns $node type veth peer name fs${id}w$n netns $pods" >>"$work/links"
done
timeout 300 ip -batch "$work/links"
: >"$work/up-node"; : >"$work/up-pods"
for i in $(seq 0 $((points - 1))); do
  n=$(printf '%03d' "$i")
  echo "link set ${prefix}$n up" >>"$work/up-node"
  echo "link set fs${id}w$n up" >>"$work/up-pods"
done
timeout 300 ip -n "$node" -batch "$work/up-node"
timeout 300 ip -n "$pods" -batch "$work/up-pods"

scrape() { ip netns exec "$node" curl -s --max-time 10 "http://127.0.0.1:$port/metrics"; }
sum_of() { awk -v re="^($1)([{ ])" '$0 ~ re { s += $NF } END { printf "%.6f\n", s }'; }
entries=$(python3 -c "import math; print(max(16, int(math.ceil($connections * 1.25 / 1024)) * 1024))")
cat >"$work/config.yaml" <<EOF
listen: 127.0.0.1:$port
node: bench
capture:
  interfaces: ["${prefix}*"]
  engine: ebpf
  max_points: $((points + 16))
  ebpf:
    max_connections: $entries
    sweep_interval: 1s
connections:
  timeout: 60s
  max: $((connections * 2))
  max_series: $((connections * 2))
kubernetes:
  enabled: "false"
EOF

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $points points, $connections connections, every connection once per ${round}s, capture.ebpf.max_connections $entries"
start=$(date +%s.%N)
ip netns exec "$node" "$exporter" --config "$work/config.yaml" >"$work/exporter.log" 2>&1 &
exp_pid=$!
attached_s=""
deadline=$((SECONDS + 120))
while [ $SECONDS -lt $deadline ]; do
  kill -0 "$exp_pid" 2>/dev/null || { echo "bench/ebpf/scale: the exporter exited:" >&2; cat "$work/exporter.log" >&2; exit 1; }
  open=$(scrape 2>/dev/null | sum_of network_capture_points || echo 0)
  if [ "${open%.*}" -ge "$points" ] 2>/dev/null; then
    attached_s=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc -l)")
    break
  fi
  sleep 0.1
done
[ -n "$attached_s" ] || { echo "bench/ebpf/scale: not all $points points opened within 120s:" >&2; tail -20 "$work/exporter.log" >&2; exit 1; }
log_attached=$(grep -c "eBPF attached to ${prefix}" "$work/exporter.log" || true)
# From the log's own timestamps: the exporter's first line to its last attach line.
log_span=$(python3 - "$work/exporter.log" "${prefix}" <<'EOF'
import datetime, sys
stamps = [(l.split()[0], "eBPF attached to " + sys.argv[2] in l) for l in open(sys.argv[1]) if l[:4].isdigit()]
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
last = [s for s, attach in stamps if attach]
print(f"{(t(last[-1]) - t(stamps[0][0])).total_seconds():.2f}" if last else "?")
EOF
)
programs=$(for hook in ingress egress; do ip netns exec "$node" tc filter show dev "${prefix}000" "$hook" | grep -o ' id [0-9]*' | head -1; done | awk '{print $2}')
[ -n "$programs" ] || { echo "bench/ebpf/scale: no filter of ours on ${prefix}000" >&2; exit 1; }
map_ids=$(for p in $programs; do bpftool prog show id "$p" -j; echo; done |
  python3 -c 'import json,sys; print(" ".join(sorted({str(m) for l in sys.stdin if l.strip() for m in json.loads(l).get("map_ids", [])})))')
maps=$(for m in $map_ids; do bpftool map show id "$m" -j; echo; done | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
for r in rows:
    print(":".join(str(r.get(k, 0)) for k in ("name", "type", "max_entries", "bytes_memlock")))')
flow_mb=$(awk -F: '$1 ~ /^flows_/ { s += $4 } END { printf "%.1f", s / 1048576 }' <<<"$maps")
all_mb=$(awk -F: '{ s += $4 } END { printf "%.1f", s / 1048576 }' <<<"$maps")
rss_idle=$(awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$exp_pid/status")
echo "attach: all $points points open after ${attached_s}s from the exporter's start (seen in network_capture_points); $log_attached attach lines in its log, the last ${log_span}s after its first line; RSS ${rss_idle} MB"
echo "maps (name:type:max_entries:memlock bytes):"; sed 's/^/  /' <<<"$maps"

rate=$(python3 -c "print(max(64, int($connections / $round)))")
ip netns exec "$pods" "$work/connflood" "fs${id}w000" "$connections" "$rate" >"$work/flood.log" 2>&1 &
flood_pid=$!
# Warm: the table holds the connections (every one sent at least once) and a full round was swept.
deadline=$((SECONDS + 180))
until [ "$(scrape | sum_of network_connections_tracked | cut -d. -f1)" -ge "$connections" ]; do
  [ $SECONDS -lt $deadline ] || { echo "bench/ebpf/scale: the table did not reach $connections connections within 180s" >&2; scrape | grep -E '^(network_connections_tracked|flowexporter_capture)' >&2; exit 1; }
  kill -0 "$flood_pid" 2>/dev/null || { cat "$work/flood.log" >&2; exit 1; }
  sleep 1
done

hz=$(getconf CLK_TCK)
cpu0=$(awk '{print $14+$15}' "/proc/$exp_pid/stat"); t0=$(date +%s.%N)
: >"$work/samples"
for _ in $(seq "$measure"); do
  scrape | awk '/^flowexporter_capture_ebpf_sweep_seconds[{ ]/ { s = $NF } /^flowexporter_capture_ebpf_sweep_connections[{ ]/ { c = $NF }
    /^network_connections_tracked[{ ]/ { t += $NF } END { print s, c, t }' >>"$work/samples"
  awk '/^VmRSS/ { print $2 }' "/proc/$exp_pid/status" >>"$work/rss"
  sleep 1
done
cpu1=$(awk '{print $14+$15}' "/proc/$exp_pid/stat"); t1=$(date +%s.%N)
page=$(scrape)
map_full=$(grep -E '^flowexporter_capture_dropped_total[{].*reason="map_full"' <<<"$page" | awk '{ s += $NF } END { print s + 0 }')
dropped=$(sum_of network_connections_dropped_total <<<"$page")
kill "$flood_pid"; wait "$flood_pid" 2>/dev/null || true; flood_pid=""
flood=$(tail -1 "$work/flood.log")

python3 - "$work/samples" "$work/rss" "$cpu0" "$cpu1" "$hz" "$t0" "$t1" <<EOF
import statistics, sys
samples = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 3]
rss = [int(l) / 1024 for l in open(sys.argv[2]) if l.strip()]
cpu = (int(sys.argv[4]) - int(sys.argv[3])) / int(sys.argv[5]) / (float(sys.argv[7]) - float(sys.argv[6]))
sweep = [s[0] for s in samples]
print("$flood")
print()
print("summary (loaded machine unless the load average above is low):")
print(f"{'points':>7} {'attach_s':>9} {'flow_maps_MB':>13} {'all_maps_MB':>12} {'connections':>12} {'tracked':>9} {'drained/sweep':>14} "
      f"{'sweep_med_ms':>13} {'sweep_max_ms':>13} {'rss_MB':>7} {'cpu_cores':>10} {'map_full':>9} {'table_dropped':>14}")
print(f"{$points:>7} {float('$attached_s'):>9.2f} {$flow_mb:>13} {$all_mb:>12} {$connections:>12} {statistics.median(s[2] for s in samples):>9.0f} "
      f"{statistics.median(s[1] for s in samples):>14.0f} {statistics.median(sweep) * 1000:>13.1f} {max(sweep) * 1000:>13.1f} "
      f"{max(rss):>7.0f} {cpu:>10.2f} {float('$map_full'):>9.0f} {float('$dropped'):>14.0f}")
EOF
