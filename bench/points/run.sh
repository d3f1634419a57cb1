#!/usr/bin/env bash
# Capture points at scale (issue 16): the exporter's RSS, CPU and threads with 1, 50 and 200 capture points (libpcap
# engine, pod ports chosen by a glob, so each has capture.pod_buffer_bytes' default 1 MiB ring), idle and with iperf3
# traffic on a few of them; memory per point; and the time from creating a link to the exporter counting its first
# packet, median and max over LINKS links. Everything runs in two network namespaces of its own (random suffix),
# removed at the end (or on Ctrl-C). Root only. Prints every figure, then a summary table.
#
#   bench/points/run.sh [--points "1 50 200"] [--measure SECONDS] [--links 100] [--traffic-points 4] [--rate 50M]
#
# POINTS_EXPORTER names a prebuilt exporter (no build then).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/as-root.sh"   # namespaces, capture, tc filters
cd "$(dirname "$0")/../.."
repo=$(pwd)

points_list="1 50 200"
measure=20
links=100
traffic_points=4
rate=50M
while [ $# -gt 0 ]; do
  case "$1" in
    --points) points_list=$2; shift 2 ;;
    --measure) measure=$2; shift 2 ;;
    --links) links=$2; shift 2 ;;
    --traffic-points) traffic_points=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "usage: $0 [--points \"1 50 200\"] [--measure SECONDS] [--links N] [--traffic-points N] [--rate BITS]" >&2; exit 2 ;;
  esac
done
for tool in ip iperf3 ping curl awk timeout; do
  command -v "$tool" >/dev/null || { echo "points: $tool is not installed" >&2; exit 1; }
done

exporter=${POINTS_EXPORTER:-}
if [ -z "$exporter" ]; then
  dotnet build src/FlowExporter -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  exporter=$repo/src/FlowExporter/bin/Release/net10.0/flowexporter
fi

id=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
node=fbpn-$id
peer=fbpp-$id
work=$(mktemp -d /tmp/fe-points-XXXXXX)
port=9104
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
namespaces_down() { ip netns del "$node" 2>/dev/null || true; ip netns del "$peer" 2>/dev/null || true; }
namespaces_up() {
  namespaces_down
  ip netns add "$node"; ip netns add "$peer"
  ip -n "$node" link set lo up; ip -n "$peer" link set lo up
}
cleanup() { stop_all; namespaces_down; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

in_node() { timeout 20 ip netns exec "$node" "$@"; }
scrape() { in_node curl -s --max-time 5 "http://127.0.0.1:$port/metrics"; }
# metric REGEX: sum of the samples whose line matches REGEX (name and labels), from one scrape.
metric() { scrape | awk -v re="$1" '$0 ~ re { sum += $NF } END { printf "%.0f\n", sum }'; }
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "points: timed out after ${limit}s waiting for $what" >&2; return 1; }
    sleep 0.2
  done
}
points_are() { [ "$(metric "^network_capture_points[{].*selector=\"$1\"")" = "$2" ]; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
threads() { awk '/^Threads/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

start_exporter() { # start_exporter GLOB LOGFILE: runs the exporter in the node namespace, waits for /readyz
  cat >"$work/flowexporter.yaml" <<YAML
node: bench-node
capture:
  interfaces: ["$1"]
YAML
  ip netns exec "$node" "$exporter" --listen "127.0.0.1:$port" --engine libpcap --config "$work/flowexporter.yaml" >"$2" 2>&1 &
  exporter_pid=$!
  pids+=("$exporter_pid")
  wait_for 60 "the exporter's /readyz" in_node curl -sf "http://127.0.0.1:$port/readyz"
}

# measure PID SECONDS: prints "CPU_PERCENT RSS_MB THREADS" over the window (RSS and threads at its end).
measure_window() {
  local t0 t1 c0 c1
  c0=$(cpu_ticks "$1"); t0=$(date +%s.%N)
  sleep "$2"
  c1=$(cpu_ticks "$1"); t1=$(date +%s.%N)
  awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v rss="$(rss_kb "$1")" -v th="$(threads "$1")" \
    'BEGIN { printf "%.1f %.1f %d\n", (c1 - c0) / hz / (t1 - t0) * 100, rss / 1024, th }'
}

echo "points: machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) (shared with other work)"
echo "points: exporter $exporter, libpcap engine, pod_buffer_bytes default (1 MiB per point), windows of ${measure}s, iperf3 at $rate on $traffic_points points"
rows=()
for n in $points_list; do
  namespaces_up
  glob="p$id*"
  batch=$work/links.batch; : >"$batch"; peer_batch=$work/peer.batch; : >"$peer_batch"
  for i in $(seq 0 $((n - 1))); do
    name=$(printf 'p%s%03d' "$id" "$i"); other=$(printf 'q%s%03d' "$id" "$i")
    echo "link add $name type veth peer name $other netns $peer" >>"$batch"
    echo "link set $name up" >>"$batch"
    echo "link set $other up" >>"$peer_batch"
    if [ "$i" -lt "$traffic_points" ]; then
      echo "addr add 10.77.$i.1/24 dev $name" >>"$batch"
      echo "addr add 10.77.$i.2/24 dev $other" >>"$peer_batch"
    fi
  done
  ip -n "$node" -batch "$batch"
  ip -n "$peer" -batch "$peer_batch"
  start_exporter "$glob" "$work/exporter-$n.log"
  wait_for 120 "$n points open" points_are "p$id[*]" "$n"   # the glob as a regex
  sleep 3   # the opening burst's garbage and threads settle before the idle window
  read -r idle_cpu idle_rss idle_threads < <(measure_window "$exporter_pid" "$measure")

  active=$((n < traffic_points ? n : traffic_points))
  for i in $(seq 0 $((active - 1))); do
    ip netns exec "$peer" iperf3 -s -1 -B "10.77.$i.2" -p $((5201 + i)) >"$work/iperf-server-$i.log" 2>&1 &
    pids+=($!)
  done
  sleep 1
  for i in $(seq 0 $((active - 1))); do
    ip netns exec "$node" iperf3 -c "10.77.$i.2" -p $((5201 + i)) -t $((measure + 3)) -b "$rate" >"$work/iperf-client-$i.log" 2>&1 &
    pids+=($!)
  done
  sleep 2
  frames0=$(metric "^network_capture_packets_total[{]")
  read -r busy_cpu busy_rss busy_threads < <(measure_window "$exporter_pid" "$measure")
  frames1=$(metric "^network_capture_packets_total[{]")
  drops=$(metric "^network_capture_dropped_packets_total[{]")
  pps=$(awk -v a="$frames0" -v b="$frames1" -v s="$measure" 'BEGIN { printf "%.0f", (b - a) / s }')
  echo "points: N=$n idle: cpu ${idle_cpu}% rss ${idle_rss} MB threads $idle_threads | traffic on $active points: cpu ${busy_cpu}% rss ${busy_rss} MB threads $busy_threads, ~$pps frames/s captured, drops $drops"
  rows+=("$n $idle_cpu $idle_rss $idle_threads $active $busy_cpu $busy_rss $busy_threads $pps $drops")
  stop_all
done

# Link creation to first counted packet: the exporter runs with a glob and no link; each link is created and raised
# (one ip -batch in each namespace), then the peer pings across it every 5 ms until the exporter's
# network_capture_packets_total{interface} for it is above 0 (scraped in a loop); the link is then deleted.
namespaces_up
start_exporter "l$id*" "$work/exporter-latency.log"
: >"$work/latency.txt"
for i in $(seq 0 $((links - 1))); do
  name=$(printf 'l%s%03d' "$id" "$i"); other=$(printf 'm%s%03d' "$id" "$i")
  net="10.78.$((i / 64)).$(((i % 64) * 4))"
  a=$(awk -v n="$net" 'BEGIN { split(n, o, "."); printf "%s.%s.%s.%d", o[1], o[2], o[3], o[4] + 1 }')
  b=$(awk -v n="$net" 'BEGIN { split(n, o, "."); printf "%s.%s.%s.%d", o[1], o[2], o[3], o[4] + 2 }')
  printf 'link add %s type veth peer name %s netns %s\naddr add %s/30 dev %s\nlink set %s up\n' "$name" "$other" "$peer" "$a" "$name" "$name" >"$work/l.batch"
  printf 'addr add %s/30 dev %s\nlink set %s up\n' "$b" "$other" "$other" >"$work/m.batch"
  t0=$(date +%s%N)
  ip -n "$node" -batch "$work/l.batch"
  ip -n "$peer" -batch "$work/m.batch"
  ip netns exec "$peer" ping -q -i 0.005 -w 10 "$a" >/dev/null 2>&1 &
  ping_pid=$!
  counted=""
  for _ in $(seq 1 500); do
    if scrape | awk -v re="^network_capture_packets_total[{].*interface=\"$name\"" '$0 ~ re && $NF > 0 { found = 1 } END { exit !found }'; then
      counted=$(date +%s%N); break
    fi
  done
  kill "$ping_pid" 2>/dev/null || true; wait "$ping_pid" 2>/dev/null || true
  [ -n "$counted" ] || { echo "points: link $name: no packet counted within 500 scrapes" >&2; exit 1; }
  opened=$(sed -n "s/^\([0-9T:.-]*\)Z info: .*capture point $name (ifindex [0-9]*) opened as.*/\1/p" "$work/exporter-latency.log" | head -1)
  [ -n "$opened" ] || { echo "points: link $name: no 'opened' line in the exporter's log" >&2; exit 1; }
  opened_ns=$(date -d "${opened}Z" +%s%N)
  echo "$(( (counted - t0) / 1000 )) $(( (opened_ns - t0) / 1000 ))" >>"$work/latency.txt"
  ip -n "$node" link del "$name"
done
scrape_ms=$( { t0=$(date +%s%N); for _ in $(seq 1 20); do scrape >/dev/null; done; t1=$(date +%s%N); echo $(( (t1 - t0) / 20000000 )); } )
echo "points: link creation to first counted packet over $links links (one scrape through ip netns exec and curl takes ~${scrape_ms} ms now: the resolution)"
latency=$(sort -n -k1 "$work/latency.txt" | awk '{ c[NR] = $1 } END { printf "%.1f %.1f", c[int((NR + 1) / 2)] / 1000, c[NR] / 1000 }')
open_latency=$(sort -n -k2 "$work/latency.txt" | awk '{ o[NR] = $2 } END { printf "%.1f %.1f", o[int((NR + 1) / 2)] / 1000, o[NR] / 1000 }')
echo "points:   counted: median ${latency% *} ms, max ${latency#* } ms; opened (the exporter's log line, ms resolution): median ${open_latency% *} ms, max ${open_latency#* } ms"
stop_all

echo
echo "summary (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; machine shared with other work):"
printf '%-7s %-9s %-9s %-8s | %-6s %-9s %-9s %-8s %-9s %-6s\n' points idle_cpu idle_rss threads busy busy_cpu busy_rss threads frames/s drops
for row in "${rows[@]}"; do
  read -r n ic ir it a bc br bt pps d <<<"$row"
  printf '%-7s %-9s %-9s %-8s | %-6s %-9s %-9s %-8s %-9s %-6s\n' "$n" "$ic%" "${ir}MB" "$it" "$a" "$bc%" "${br}MB" "$bt" "$pps" "$d"
done
first=(${rows[0]}); last=(${rows[${#rows[@]} - 1]})
if [ "${last[0]}" -gt "${first[0]}" ]; then
  awk -v n0="${first[0]}" -v r0="${first[2]}" -v n1="${last[0]}" -v r1="${last[2]}" -v t0="${first[3]}" -v t1="${last[3]}" \
    'BEGIN { printf "memory per point (idle RSS, %d to %d points): %.2f MB; threads per point: %.2f\n", n0, n1, (r1 - r0) / (n1 - n0), (t1 - t0) / (n1 - n0) }'
fi
echo "link to first counted packet ($links links): median ${latency% *} ms, max ${latency#* } ms; link to open: median ${open_latency% *} ms, max ${open_latency#* } ms"
echo "points: done"
