#!/usr/bin/env bash
# Whole-process replay comparison: the C flow table (pcap_ref flows), softflowd -r, and `flowexporter replay` (its
# default output, and with --quality), each as a whole process over the same file, in turn, ROUNDS times; each round
# prints wall and CPU seconds and peak RSS (GNU time) and replay's ratios to the C flow table, then the medians.
#   bench/capture/replay.sh [FILE] [ROUNDS]     (default: artifacts/bench/gen-2m.pcap from gen_pcap.py, 5 rounds)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/bench
mkdir -p "$out"
file=${1:-$out/gen-2m.pcap}
rounds=${2:-5}

# The yardsticks are the shared ones (../shared/bench beside the checkout), run as they are, not copied.
yardsticks=${FLOWEXPORTER_SHARED:-../shared}/bench
[ -f "$yardsticks/pcap_ref.c" ] || { echo "replay.sh: $yardsticks/pcap_ref.c not found (the shared bench folder beside the checkout)" >&2; exit 1; }
[ -f "$file" ] || python3 "$yardsticks/gen_pcap.py" -o "$file" --snaplen 128 >/dev/null
gcc -O2 -o "$out/pcap_ref" "$yardsticks/pcap_ref.c" -lpcap
# Published for the runtime, as shipped: ReadyToRun code for start-up (FlowExporter.csproj).
dotnet publish src/FlowExporter -c Release -r linux-x64 --self-contained false -nologo -v q -clp:ErrorsOnly -o "$out/flowexporter" >/dev/null
exporter="$out/flowexporter/flowexporter"
cat "$file" > /dev/null   # every process starts with the file in the page cache

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "file: $file ($(stat -c %s "$file") bytes)"

# One whole process: "wall cpu peak_kib", its output thrown away (written to /dev/null, as a pipe would cost more).
whole() {
  local stats
  stats=$(mktemp)
  /usr/bin/time -o "$stats" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true
  awk '{ printf "%.3f %.3f %d\n", $1, $2 + $3, $4 }' "$stats"
  rm -f "$stats"
}

results=$(mktemp)
for round in $(seq 1 "$rounds"); do
  read -r rw rc rm < <(whole "$out/pcap_ref" flows "$file")
  read -r sw sc sm < <(whole softflowd -r "$file" -n 127.0.0.1:9 -d)
  read -r fw fc fm < <(whole "$exporter" replay "$file")
  read -r qw qc qm < <(whole "$exporter" replay "$file" --quality)
  echo "$rw $rc $rm $sw $sc $sm $fw $fc $fm $qw $qc $qm" >> "$results"
  awk -v r="$round" '{ printf "round %d: pcap_ref %.2fs (cpu %.2fs, %d MiB); softflowd %.2fs (cpu %.2fs, %d MiB); replay %.2fs (cpu %.2fs, %d MiB) = %.2fx pcap_ref, %.2fx softflowd; replay --quality %.2fs (cpu %.2fs, %d MiB) = %.2fx pcap_ref\n",
    r, $1, $2, $3 / 1024, $4, $5, $6 / 1024, $7, $8, $9 / 1024, $7 / $1, $7 / $4, $10, $11, $12 / 1024, $10 / $1 }' <(tail -1 "$results")
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
col = lambda i: statistics.median(r[i] for r in rows)
ratio = lambda a, b: statistics.median(r[a] / r[b] for r in rows)
print(f"replay_wall_seconds_median: {col(6):.3f} (pcap_ref {col(0):.3f}, softflowd {col(3):.3f}, replay --quality {col(9):.3f})")
print(f"replay_cpu_seconds_median: {col(7):.3f} (pcap_ref {col(1):.3f}, softflowd {col(4):.3f}, replay --quality {col(10):.3f})")
print(f"replay_peak_rss_mib_median: {col(8) / 1024:.0f} (pcap_ref {col(2) / 1024:.0f}, softflowd {col(5) / 1024:.0f}, replay --quality {col(11) / 1024:.0f})")
print(f"replay_to_pcap_ref_wall_ratio_median: {ratio(6, 0):.2f} (cpu {ratio(7, 1):.2f}; --quality wall {ratio(9, 0):.2f})")
print(f"replay_to_softflowd_wall_ratio_median: {ratio(6, 3):.2f} (cpu {ratio(7, 4):.2f}; --quality wall {ratio(9, 3):.2f})")
PY
rm -f "$results"
