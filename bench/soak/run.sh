#!/usr/bin/env bash
# Load and soak benchmark: the real exporter capturing live on a lab veth (two network namespaces joined by a veth
# pair), fed by bench/soak/flowgen.c. Prints one "name: value" line per figure (also written to OUT/figures.txt) and
# keeps the raw material in OUT (samples.tsv, wrk.txt, truth.pcap, exporter.log).
#
#   bench/soak/run.sh soak [--seconds 600] [--rate 2000] [--max 20000] [--timeout 30] [--interval 3] [--warmup 60]
#                          [--iperf-bytes 100M]
#       churn: RATE new short connections per second for SECONDS against a table of MAX connections (idle TIMEOUT),
#       sampling RSS, managed heap and the table's counters every INTERVAL; halfway, a known iperf3 transfer between
#       the two pods, compared frame by frame with an independent tcpdump capture of port 5201.
#   bench/soak/run.sh load [--connections 100000] [--pps 10000] [--seconds 30] [--fill-pps 20000]
#       scrape load: CONNECTIONS tracked, then SECONDS of PPS frames on them without scrapes (baseline), then the same
#       with wrk (10 connections) on /metrics; kernel drops and captured frames of both phases.
#   common: [--exporter PATH] (default: the Release build of src/FlowExporter) [--out DIR]
set -euo pipefail
# Needs root: as a user with sudo, re-executes itself with sudo.
. "$(dirname "$0")/../../scripts/lib/as-root.sh"
cd "$(dirname "$0")/../.."
root=$PWD

mode=${1:-}
[ "$mode" = soak ] || [ "$mode" = load ] || { echo "usage: bench/soak/run.sh soak|load [options] (see the header)" >&2; exit 2; }
shift
seconds='' rate=2000 max=20000 timeout=30 interval=3 warmup='' iperf_bytes=100M
connections=100000 pps=10000 fill_pps=20000
exporter='' out=''
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2 ;;
    --rate) rate=$2 ;;
    --max) max=$2 ;;
    --timeout) timeout=$2 ;;
    --interval) interval=$2 ;;
    --warmup) warmup=$2 ;;
    --iperf-bytes) iperf_bytes=$2 ;;
    --connections) connections=$2 ;;
    --pps) pps=$2 ;;
    --fill-pps) fill_pps=$2 ;;
    --exporter) exporter=$2 ;;
    --out) out=$2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
if [ "$mode" = soak ]; then seconds=${seconds:-600}; warmup=${warmup:-60}; else seconds=${seconds:-30}; fi

missing=()
[ "$(id -u)" -eq 0 ] || missing+=("root")
for tool in ip curl tcpdump tshark iperf3 wrk gcc awk; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ ${#missing[@]} -eq 0 ] || { echo "run.sh: missing prerequisites: ${missing[*]} (scripts/install-prereqs installs them)" >&2; exit 2; }

out=${out:-artifacts/bench/$mode-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -z "$exporter" ]; then
  dotnet build src/FlowExporter -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  exporter=$root/src/FlowExporter/bin/Release/net10.0/flowexporter
fi
gcc -O2 -Wall -Wextra -Werror -o "$out/flowgen" bench/soak/flowgen.c

# Unique per run: parallel or left-over runs never collide.
id=$(printf '%04x%04x' $(($$ & 0xffff)) $RANDOM)
cli=soak-$id-cli srv=soak-$id-srv
cli_ip=10.99.7.1 srv_ip=10.99.7.2
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$cli" 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$cli"
ip netns add "$srv"
for ns in "$cli" "$srv"; do
  # No IPv6: the lab's only traffic is what the benchmark sends (no neighbour discovery or MLD frames).
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "sk${id}a" type veth peer name "sk${id}b"
ip link set "sk${id}a" netns "$cli"
ip link set "sk${id}b" netns "$srv"
ip -n "$cli" link set "sk${id}a" name eth0
ip -n "$srv" link set "sk${id}b" name eth0
ip -n "$cli" addr add "$cli_ip/24" dev eth0
ip -n "$srv" addr add "$srv_ip/24" dev eth0
for ns in "$cli" "$srv"; do ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up; done

figures=$out/figures.txt
: > "$figures"
figure() { echo "$1: $2" | tee -a "$figures"; }
figure machine "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

metrics=http://127.0.0.1:9004/metrics
start_exporter() {
  ip netns exec "$cli" "$exporter" --config "$out/exporter.yaml" --listen 127.0.0.1:9004 --node soak-node \
    > "$out/exporter.log" 2>&1 &
  exporter_pid=$!
  pids+=("$exporter_pid")
  for _ in $(seq 300); do
    [ "$(ip netns exec "$cli" curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:9004/readyz)" = 200 ] && return 0
    kill -0 "$exporter_pid" 2>/dev/null || { cat "$out/exporter.log" >&2; echo "run.sh: the exporter exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "run.sh: the exporter was not ready within 30 s" >&2; exit 1
}
scrape() { ip netns exec "$cli" curl -sS --max-time 60 -o "$1" "$metrics"; }
# Sum of a metric's samples whose line contains FILTER (a label pair such as reason="evicted"), from a scrape file.
sum() { awk -v name="$1" -v filter="${3:-}" 'index($0, name) == 1 && (substr($0, length(name) + 1, 1) ~ /[{ ]/) && index($0, filter) { s += $NF } END { printf "%.0f", s }' "$2"; }
rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$exporter_pid/status"; }
wait_until() { # SECONDS COMMAND...: polls a condition every 0.2 s
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.2; done
}

if [ "$mode" = soak ]; then
  # Series room: the table's connections plus those that ended and wait for the scrape that shows their final values
  # (RATE a second for up to 120 s between samples on a loaded machine); with less, new connections go unexported.
  cat > "$out/exporter.yaml" <<EOF
capture:
  interfaces: [eth0]
  engine: libpcap   # the soak measures the libpcap engine: frames, ring drops, its quality path
connections:
  timeout: ${timeout}s
  max: $max
  max_series: $((max + rate * 120))
EOF
  ip netns exec "$cli" tcpdump -i eth0 -s 128 -B 65536 -n -U -w "$out/truth.pcap" host "$srv_ip" and tcp port 5201 > "$out/tcpdump.log" 2>&1 &
  tcpdump_pid=$!
  pids+=("$tcpdump_pid")
  wait_until 20 grep -q "listening on" "$out/tcpdump.log" || { echo "run.sh: tcpdump did not start" >&2; exit 1; }
  ip netns exec "$srv" iperf3 -s -1 -B "$srv_ip" --forceflush > "$out/iperf-server.log" 2>&1 &
  pids+=($!)
  wait_until 20 grep -q "Server listening" "$out/iperf-server.log" || { echo "run.sh: iperf3 -s did not start" >&2; exit 1; }
  start_exporter

  ip netns exec "$cli" "$out/flowgen" eth0 churn "$rate" "$seconds" > "$out/flowgen.txt" &
  gen_pid=$!
  pids+=("$gen_pid")
  samples=$out/samples.tsv
  : > "$out/iperf.last"
  printf 't\ttracked\ttracked_max\topened\tclosed_fin\tclosed_rst\tclosed_timeout\tclosed_evicted\tdropped\tactive\tseries\trss_bytes\ttotal_memory_bytes\tworking_set_bytes\tcaptured\tkernel_dropped\tiperf_lines\theap_after_gc_bytes\tlong_lived_heap_after_gc_bytes\tseries_rejected\tlive_after_full_gc_bytes\tfull_gcs\n' > "$samples"
  sample() {
    local t=$1 f=$out/scrape.prom
    scrape "$f"
    grep -E '^network_connection_(bytes|packets)_total\{.*target_port="5201"' "$f" > "$out/iperf.now" || true
    [ -s "$out/iperf.now" ] && cp "$out/iperf.now" "$out/iperf.last"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" \
      "$(sum network_connections_tracked "$f")" "$(sum network_connections_tracked_max "$f")" \
      "$(sum network_connections_opened_total "$f")" "$(sum network_connections_closed_total "$f" 'reason="fin"')" \
      "$(sum network_connections_closed_total "$f" 'reason="rst"')" "$(sum network_connections_closed_total "$f" 'reason="timeout"')" \
      "$(sum network_connections_closed_total "$f" 'reason="evicted"')" "$(sum network_connections_dropped_total "$f")" \
      "$(sum network_connections_active "$f")" "$(sum network_connection_series "$f")" "$(rss_bytes)" \
      "$(sum dotnet_total_memory_bytes "$f")" "$(sum process_working_set_bytes "$f")" \
      "$(sum network_capture_packets_total "$f")" "$(sum network_capture_dropped_packets_total "$f" 'reason="kernel"')" \
      "$(wc -l < "$out/iperf.now")" "$(sum dotnet_gc_heap_after_collection_bytes "$f")" \
      "$(($(sum dotnet_gc_heap_after_collection_bytes "$f" 'generation="gen2"') + $(sum dotnet_gc_heap_after_collection_bytes "$f" 'generation="loh"') + $(sum dotnet_gc_heap_after_collection_bytes "$f" 'generation="poh"')))" "$(sum network_connection_series_rejected_total "$f")" \
      "$(sum dotnet_gc_live_bytes_after_full_collection "$f")" "$(sum dotnet_gc_full_collections "$f")" >> "$samples"
  }

  start=$SECONDS iperf_pid=''
  while kill -0 "$gen_pid" 2>/dev/null; do
    sample $((SECONDS - start))
    if [ -z "$iperf_pid" ] && [ $((SECONDS - start)) -ge $((seconds / 2)) ]; then
      # A paced transfer (the capture must keep up with it alongside the churn), halfway through the soak.
      ip netns exec "$cli" iperf3 -c "$srv_ip" -n "$iperf_bytes" -b 400M -J > "$out/iperf.json" 2> "$out/iperf-client.log" &
      iperf_pid=$!
      pids+=("$iperf_pid")
    fi
    sleep "$interval"
  done
  wait "$gen_pid" || true
  [ -n "$iperf_pid" ] || { echo "run.sh: the soak ended before the iperf3 transfer started (--seconds too short)" >&2; exit 1; }
  wait "$iperf_pid" || { cat "$out/iperf-client.log" >&2; echo "run.sh: iperf3 failed" >&2; exit 1; }
  # The iperf3 connections leave (FIN, linger, or evicted while closing); the scrape after that shows their final
  # values once. Sample until they are gone, then stop the independent capture.
  for _ in $(seq 60); do
    sample $((SECONDS - start))
    [ -s "$out/iperf.now" ] || break
    sleep 1
  done
  [ ! -s "$out/iperf.now" ] || { echo "run.sh: the iperf3 series did not leave within 60 s" >&2; exit 1; }
  kill -INT "$tcpdump_pid"
  wait "$tcpdump_pid" || true
  # Drain: with no new traffic every connection leaves (FIN/RST after the linger, the rest by the idle timeout), so the
  # final sample closes the books: everything opened has closed, each by one reason.
  for _ in $(seq $((timeout + 60))); do
    sleep 1
    sample $((SECONDS - start))
    [ "$(tail -n 1 "$samples" | cut -f2)" != 0 ] || break
  done
  cat "$out/flowgen.txt" | tee -a "$figures"

  figure soak_seconds "$seconds"
  figure soak_rate_connections_per_second "$rate"
  figure connections_max "$max"
  figure connections_timeout_seconds "$timeout"
  figure table_turnover_connections_per_second "$((max / timeout)) (max / timeout)"
  figure samples "$(($(wc -l < "$samples") - 1))"
  awk -F'\t' -v warmup="$warmup" -v soak="$seconds" 'NR > 1 {
      if ($2 > peak) peak = $2
      if ($2 > $3) over++
      if ($4 - $5 - $6 - $7 - $8 != $10 || $10 != $2) broken++
      if ($1 >= warmup && $1 <= soak) {
        n++
        if (rmin == "" || $12 < rmin) rmin = $12; if ($12 > rmax) rmax = $12
        if (hmin == "" || $13 < hmin) hmin = $13; if ($13 > hmax) hmax = $13
        if (amin == "" || $18 < amin) amin = $18; if ($18 > amax) amax = $18
        if (fmin == "" || $19 < fmin) fmin = $19; if ($19 > fmax) fmax = $19
        # What each full collection found alive, once per collection (the gauge holds until the next one).
        if ($22 != lastgc && $21 > 0) { lastgc = $22; gcs++; if (lmin == "" || $21 < lmin) lmin = $21; if ($21 > lmax) lmax = $21; lfirst = (lfirst == "" ? $21 : lfirst); llast = $21 }
      }
    } END {
      printf "tracked_peak: %d\nsamples_over_cap: %d\nsamples_breaking_opened_minus_closed_equals_active: %d\n", peak, over, broken
      printf "samples_after_warmup: %d (%d s <= t <= %d s)\n", n, warmup, soak
      printf "rss_min_max_bytes: %d %d\nrss_max_over_min: %.3f\n", rmin, rmax, rmax / rmin
      printf "dotnet_total_memory_min_max_bytes: %d %d\ndotnet_total_memory_max_over_min: %.3f\n", hmin, hmax, hmax / hmin
      printf "heap_after_any_gc_min_max_bytes: %d %d\nheap_after_any_gc_max_over_min: %.3f\n", amin, amax, amax / amin
      printf "long_lived_heap_after_gc_min_max_bytes: %d %d\nlong_lived_heap_after_gc_max_over_min: %.3f\n", fmin, fmax, fmax / fmin
      if (gcs > 0) printf "live_after_full_gc: %d full collections seen after warm-up; first %d, last %d, min %d, max %d bytes; max/min %.3f, last/first %.3f\n", gcs, lfirst, llast, lmin, lmax, lmax / lmin, llast / lfirst
      else printf "live_after_full_gc: no full collection after warm-up\n"
    }' "$samples" | tee -a "$figures"
  final=$(tail -n 1 "$samples")
  IFS=$'\t' read -r _ tracked _ opened fin rst tout evicted dropped active _ <<< "$final"
  figure final_opened "$opened"
  figure final_closed "fin $fin, rst $rst, timeout $tout, evicted $evicted"
  figure final_dropped "$dropped"
  figure final_active "$active"
  figure final_tracked "$tracked"
  figure final_series_rejected "$(tail -n 1 "$samples" | cut -f20)"
  figure final_kernel_dropped "$(tail -n 1 "$samples" | cut -f16)"
  figure tcpdump "$(grep -E 'packets (captured|received by filter|dropped by kernel)' "$out/tcpdump.log" | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $0 } END { print "" }')"
  figure iperf3_sent_payload_bytes "$(grep -o '"bytes":[[:space:]]*[0-9]*' "$out/iperf.json" | tail -n 2 | head -n 1 | grep -o '[0-9]*$')"
  # Per direction of every port-5201 connection: tcpdump's frames and wire bytes (tshark) against the exporter's last
  # shown values. "iperf3_direction: FROM TO tcpdump_bytes tcpdump_frames exporter_bytes exporter_packets".
  tshark -r "$out/truth.pcap" -n -T fields -E separator=/t -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e frame.len -Y tcp 2>/dev/null \
    | awk -F'\t' '{ k = $1 ":" $2 " " $3 ":" $4; b[k] += $5; f[k]++ } END { for (k in b) print k, b[k], f[k] }' | sort > "$out/truth.txt"
  awk 'function label(name,   m) { if (match($0, name "=\"[^\"]*\"")) return substr($0, RSTART + length(name) + 2, RLENGTH - length(name) - 3); return "" }
    { i = label("initiator_ip") ":" label("initiator_port"); t = label("target_ip") ":" label("target_port")
      k = label("direction") == "initiator_to_target" ? i " " t : t " " i
      if (index($0, "network_connection_bytes_total") == 1) b[k] = $NF; else p[k] = $NF }
    END { for (k in b) print k, b[k], p[k] }' "$out/iperf.last" | sort > "$out/exporter-iperf.txt"
  join -j1 -a1 -a2 -e missing -o 0,1.2,1.3,2.2,2.3 <(awk '{ print $1 "|" $2, $3, $4 }' "$out/truth.txt") \
    <(awk '{ print $1 "|" $2, $3, $4 }' "$out/exporter-iperf.txt") | tr '|' ' ' | while read -r line; do figure iperf3_direction "$line"; done
  figure load_average_end "$(cut -d' ' -f1-3 /proc/loadavg)"
else
  cat > "$out/exporter.yaml" <<EOF
capture:
  interfaces: [eth0]
  engine: libpcap   # the soak measures the libpcap engine: frames, ring drops, its quality path
connections:
  timeout: 3600s
  max: $((connections + 10000))
  max_series: $((connections + 10000))
EOF
  start_exporter
  ip netns exec "$cli" "$out/flowgen" eth0 fill "$connections" "$fill_pps" > "$out/fill.txt"
  tracked_now() { scrape "$out/scrape.prom" && [ "$(sum network_connections_tracked "$out/scrape.prom")" -ge "$connections" ]; }
  if ! wait_until 120 tracked_now; then
    # Frames lost while filling: one more pass over the same tuples adds the missing connections.
    ip netns exec "$cli" "$out/flowgen" eth0 steady "$connections" "$fill_pps" "$((connections / fill_pps + 1))" > /dev/null
    wait_until 120 tracked_now || { echo "run.sh: $connections connections were not tracked within 240 s" >&2; exit 1; }
  fi
  figure connections_tracked "$(sum network_connections_tracked "$out/scrape.prom")"
  figure scrape_bytes "$(stat -c %s "$out/scrape.prom")"
  figure scrape_lines "$(wc -l < "$out/scrape.prom")"
  # Counters after the capture has caught up: captured frames hold still for a second.
  settled() {
    local last='' now
    for _ in $(seq 120); do
      scrape "$out/scrape.prom"
      now=$(sum network_capture_packets_total "$out/scrape.prom")
      [ "$now" = "$last" ] && return 0
      last=$now
      sleep 1
    done
    return 1
  }
  counters() { settled; echo "$(sum network_capture_packets_total "$out/scrape.prom") $(sum network_capture_dropped_packets_total "$out/scrape.prom" 'reason="kernel"') $(sum network_capture_kernel_received_packets_total "$out/scrape.prom")"; }
  read -r cap0 drop0 recv0 <<< "$(counters)"
  ip netns exec "$cli" "$out/flowgen" eth0 steady "$connections" "$pps" "$seconds" > "$out/baseline.txt"
  read -r cap1 drop1 recv1 <<< "$(counters)"
  ip netns exec "$cli" "$out/flowgen" eth0 steady "$connections" "$pps" "$seconds" > "$out/loaded.txt" &
  gen_pid=$!
  pids+=("$gen_pid")
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  ip netns exec "$cli" wrk -t 2 -c 10 -d "${seconds}s" --timeout 60s --latency "$metrics" > "$out/wrk.txt" 2>&1
  load_during=$(cut -d' ' -f1-3 /proc/loadavg)
  wait "$gen_pid"
  read -r cap2 drop2 recv2 <<< "$(counters)"
  figure phase_seconds "$seconds"
  figure phase_frames_per_second "$pps"
  figure baseline_generated_frames "$(awk '/^gen_frames:/ { print $2 }' "$out/baseline.txt")"
  figure baseline_captured_frames "$((cap1 - cap0))"
  figure baseline_kernel_received "$((recv1 - recv0))"
  figure baseline_kernel_dropped "$((drop1 - drop0))"
  figure scraped_generated_frames "$(awk '/^gen_frames:/ { print $2 }' "$out/loaded.txt")"
  figure scraped_captured_frames "$((cap2 - cap1))"
  figure scraped_kernel_received "$((recv2 - recv1))"
  figure scraped_kernel_dropped "$((drop2 - drop1))"
  figure connections_tracked_after "$(sum network_connections_tracked "$out/scrape.prom")"
  figure wrk_requests "$(awk '/requests in/ { print $1 }' "$out/wrk.txt")"
  figure wrk_requests_per_second "$(awk '/^Requests\/sec:/ { print $2 }' "$out/wrk.txt")"
  figure wrk_latency_p50 "$(awk '$1 == "50%" { print $2 }' "$out/wrk.txt")"
  figure wrk_latency_p99 "$(awk '$1 == "99%" { print $2 }' "$out/wrk.txt")"
  figure wrk_non_2xx "$(awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$out/wrk.txt")"
  figure wrk_socket_errors "$(awk '/Socket errors:/ { gsub(",", ""); n = $4 + $6 + $8 + $10 } END { print n + 0 }' "$out/wrk.txt")"
  figure load_average_before_wrk "$load_before"
  figure load_average_after_wrk "$load_during"
  figure exporter_rss_bytes "$(rss_bytes)"
fi
