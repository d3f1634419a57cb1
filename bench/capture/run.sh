#!/usr/bin/env bash
# Capture-path benchmark: one generated file (default 2,000,000 packets, 50,000 connections), every reader over it in
# the same run, then the /metrics render with 100,000 connections, then the whole-process replay comparison
# (bench/capture/replay.sh). Prints one "name: value" line per figure.
#   bench/capture/run.sh [PACKETS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
packets=${1:-2000000}
connections=${2:-50000}
out=artifacts/bench
mkdir -p "$out"
file="$out/capture-$packets-$connections.pcap"

scripts/install-prereqs >/dev/null
dotnet build bench/FlowExporter.Bench -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
bench=bench/FlowExporter.Bench/bin/Release/net10.0/FlowExporter.Bench
gcc -O2 -o "$out/rawloop" bench/capture/rawloop.c -lpcap

[ -f "$file" ] || "$bench" generate "$file" "$packets" "$connections"
cat "$file" > /dev/null   # every reader starts with the file in the page cache

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $file ($(stat -c %s "$file") bytes)"

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
best_rate() {
  local name=$1; shift
  local best=0 s rate
  for _ in 1 2 3; do
    s=$(seconds "$@")
    rate=$(echo "$packets / $s" | bc -l)
    best=$(echo "if ($rate > $best) $rate else $best" | bc -l)
  done
  printf '%s: %.0f\n' "$name" "$best"
}

"$out/rawloop" "$file" 2>/dev/null
# Five rounds, each running the raw loop just before its pipeline runs, with each round's ratio and the median.
"$bench" pipeline "$file" connection --raw "$out/rawloop"
"$bench" pipeline "$file" pod_pair
"$bench" libpcap "$file"
"$bench" sharppcap-read "$file"
"$bench" packetdotnet "$file"
best_rate softflowd_packets_per_second softflowd -r "$file" -n 127.0.0.1:9 -d
s=$(seconds tshark -r "$file" -q -z conv,tcp)
printf 'tshark_conv_tcp_packets_per_second: %.0f\n' "$(echo "$packets / $s" | bc -l)"
"$bench" render 100000
# Whole processes: the C flow table, softflowd and `flowexporter replay` over gen_pcap.py's file, with peak RSS.
bench/capture/replay.sh
