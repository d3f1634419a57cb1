#!/usr/bin/env bash
# What the eBPF program costs the traffic: iperf3 over a plain veth pair between two network namespaces (LAB.md
# "Measuring what capture costs the traffic"), alternating runs without any engine and with the program attached to the
# client's end (held by tools/EbpfAttach, sweeping every second). Prints per run: throughput, the machine's softirq and
# total CPU time during the run, and the holder's CPU (utime+stime); then the medians. Root; bounded in time.
# usage: bench/ebpf/run.sh [ROUNDS=3] [SECONDS=5] [offloads on|off = on]
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/as-root.sh"   # namespaces, capture, tc filters
rounds=${1:-3}
seconds=${2:-5}
offloads=${3:-on}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
for tool in ip ethtool iperf3 dotnet; do command -v "$tool" >/dev/null || { echo "bench/ebpf: '$tool' is missing" >&2; exit 1; }; done

dotnet build "$repo/tools/EbpfAttach" -c Release -nologo -clp:ErrorsOnly >/dev/null
holder_bin="$repo/tools/EbpfAttach/bin/Release/net10.0/ebpf-attach"

id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
a="febb${id}a" b="febb${id}b" x="febb${id}x" y="febb${id}y"
holder=""
server=""
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add "$x" netns "$a" type veth peer name "$y" netns "$b"
ip -n "$a" addr add 10.99.0.1/24 dev "$x"; ip -n "$b" addr add 10.99.0.2/24 dev "$y"
for pair in "$a:$x" "$b:$y"; do
  ns=${pair%%:*} dev=${pair##*:}
  ip netns exec "$ns" ethtool -K "$dev" tso "$offloads" gso "$offloads" gro "$offloads" >/dev/null
  ip -n "$ns" link set "$dev" up
done
ip netns exec "$b" iperf3 -s -B 10.99.0.2 >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do ip netns exec "$a" bash -c "exec 3<>/dev/tcp/10.99.0.2/5201" 2>/dev/null && break; sleep 0.1; done

cpu_jiffies() { awk '/^cpu /{print $7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }  # softirq (+irq), total
proc_jiffies() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run() {  # $1: label
  read -r soft0 total0 < <(cpu_jiffies)
  local h0=0; [ -n "$holder" ] && h0=$(proc_jiffies "$holder")
  local bps
  bps=$(ip netns exec "$a" timeout $((seconds + 30)) iperf3 -c 10.99.0.2 -t "$seconds" -J | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
  read -r soft1 total1 < <(cpu_jiffies)
  local h1=0; [ -n "$holder" ] && h1=$(proc_jiffies "$holder")
  printf '%s gbit_s=%.2f softirq_s=%.2f cpu_s=%.2f holder_cpu_s=%.2f\n' "$1" "$(echo "$bps / 1000000000" | bc -l)" \
    "$(echo "($soft1 - $soft0) / $hz" | bc -l)" "$(echo "($total1 - $total0) / $hz" | bc -l)" "$(echo "($h1 - $h0) / $hz" | bc -l)"
}

results=$(mktemp)
for round in $(seq "$rounds"); do
  run none | tee -a "$results"
  ip netns exec "$a" "$holder_bin" hold "$x" 1000 > "$results.holder" 2>&1 &
  holder=$!
  for _ in $(seq 100); do grep -q attached "$results.holder" && break; sleep 0.1; done
  grep -q attached "$results.holder" || { cat "$results.holder" >&2; exit 1; }
  run ebpf | tee -a "$results"
  kill "$holder"; wait "$holder" || true; holder=""
  tail -1 "$results.holder"
done

echo "medians over $rounds rounds of ${seconds}s, offloads $offloads (figures are noisy on a shared machine):"
for label in none ebpf; do
  grep "^$label " "$results" | python3 -c '
import sys, statistics
rows = [dict(f.split("=") for f in line.split()[1:]) for line in sys.stdin]
print(sys.argv[1], " ".join(f"{k}={statistics.median(float(r[k]) for r in rows):.2f}" for k in rows[0]))' "$label"
done
rm -f "$results" "$results.holder"
