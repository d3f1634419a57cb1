#!/usr/bin/env bash
# IPFIX export benchmark: replay of one generated file (default 2,000,000 packets, 50,000 connections) with export off,
# then to nfcapd on loopback, in the same run, alternating, best of three each. Prints one "name: value" line per figure:
# replay rate with export off and on (and their ratio), records sent, records nfcapd stored, records per second of the
# whole replay with export on (a lower bound of what the sender sustains: it also decodes and tracks every packet),
# and bytes per record on the wire (messages, headers and templates included).
# Then the in-process pipeline with a stalled TCP collector and the sender alone (bench ipfix-pipeline).
#   bench/ipfix/run.sh [PACKETS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
packets=${1:-2000000}
connections=${2:-50000}
out=artifacts/bench
mkdir -p "$out"
file="$out/capture-$packets-$connections.pcap"

dotnet build bench/FlowExporter.Bench -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
dotnet build src/FlowExporter -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
bench=bench/FlowExporter.Bench/bin/Release/net10.0/FlowExporter.Bench
exporter=src/FlowExporter/bin/Release/net10.0/flowexporter
[ -f "$file" ] || "$bench" generate "$file" "$packets" "$connections"
cat "$file" > /dev/null

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $file ($(stat -c %s "$file") bytes, $packets packets)"

work=$(mktemp -d)
port=$(( 20000 + RANDOM % 20000 ))
mkdir "$work/nf"
nfcapd -w "$work/nf" -p "$port" -b 127.0.0.1 -t 3600 -B 16000000 > "$work/nfcapd.log" 2>&1 &
nfcapd_pid=$!
trap 'kill $nfcapd_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q ":$(printf '%04X' "$port") " /proc/net/udp && break; sleep 0.1; done

seconds() { local start end; start=$(date +%s.%N); "$@" > "$work/last.prom"; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
best_off=999999; best_on=999999
for _ in 1 2 3; do
  s=$(seconds "$exporter" replay "$file")
  best_off=$(echo "if ($s < $best_off) $s else $best_off" | bc -l)
  s=$(seconds "$exporter" replay "$file" --ipfix "udp://127.0.0.1:$port")
  best_on=$(echo "if ($s < $best_on) $s else $best_on" | bc -l)
  cp "$work/last.prom" "$work/on.prom"
done

sent=$(awk '/^flowexporter_ipfix_records_total\{.*result="sent"/ {print $2}' "$work/on.prom")
dropped=$(awk '/^flowexporter_ipfix_records_total\{/ && !/result="sent"/ {s+=$2} END {print s+0}' "$work/on.prom")
bytes=$(awk '/^flowexporter_ipfix_bytes_total\{/ {print $2}' "$work/on.prom")
messages=$(awk '/^flowexporter_ipfix_messages_total\{/ {print $2}' "$work/on.prom")
rx_queue() { awk -v p="$(printf '%04X' "$port")" '$2 ~ ":"p"$" {split($5,q,":"); print q[2]}' /proc/net/udp; }
for _ in $(seq 300); do q=$(rx_queue); [ -n "$q" ] && [ $((16#$q)) -eq 0 ] && break; sleep 0.1; done
kill "$nfcapd_pid"; wait "$nfcapd_pid" 2>/dev/null || true
stored=$(nfdump -R "$work/nf" -q -o 'fmt:%pkt' 2>/dev/null | wc -l)

printf 'replay_packets_per_second_export_off: %.0f\n' "$(echo "$packets / $best_off" | bc -l)"
printf 'replay_packets_per_second_export_on: %.0f\n' "$(echo "$packets / $best_on" | bc -l)"
printf 'export_on_over_off: %.2f\n' "$(echo "$best_off / $best_on" | bc -l)"
echo "records_sent_per_run: $sent"
echo "records_dropped_per_run: $dropped"
echo "records_stored_by_nfcapd_three_runs: $stored"
printf 'records_per_second_whole_replay: %.0f\n' "$(echo "$sent / $best_on" | bc -l)"
printf 'bytes_per_record_on_the_wire: %.1f\n' "$(echo "$bytes / $sent" | bc -l)"
printf 'records_per_message: %.1f\n' "$(echo "$sent / $messages" | bc -l)"

# The live path (replay waits for room by design, so this is the in-process pipeline): export off vs on to a stalled
# TCP collector (accepts, never reads), alternating in the same run, best of three; peak memory; the sender alone.
echo "--- in-process pipeline, stalled TCP collector, sender alone"
"$bench" ipfix-pipeline "$file"
