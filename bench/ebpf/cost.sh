#!/usr/bin/env bash
# What each capture engine costs, through the whole exporter: iperf3 over a veth pair between two network namespaces
# (LAB.md "Measuring what capture costs the traffic"), rounds alternating (the order rotating) (a) no exporter, (b) the published exporter
# with --engine libpcap capturing the client's end, (c) the same with --engine ebpf. Per run: iperf3 Gbit/s, bytes
# moved, packets (the client veth's rx+tx frames: with offloads on these are the super packets the stack handed over),
# the exporter's CPU (utime+stime from /proc/PID/stat over the iperf3 run), its CPU per GB and per million packets, the
# machine's softirq CPU, and the bytes the exporter counted (its connection series, a check that it was working).
# Then medians per mode and the issue's two ratios: eBPF throughput loss against no exporter (goal <= 3%) and eBPF
# exporter CPU per GB / libpcap exporter CPU per GB (goal <= 0.1). Root; every step bounded in time.
#
#   bench/ebpf/cost.sh [--rounds 3] [--seconds 10] [--offloads "on off"]
#
# The exporter starts before each of its runs and is given 3 s after /readyz before anything is measured; then its CPU
# with no traffic over 3 s (idle_cpu_s_per_s: the sweeps and timers, paid whatever the rate), then the run.
# FLOWEXPORTER_BIN names a published exporter (flow.bpf.o beside it); otherwise the script publishes one.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib/as-root.sh"   # namespaces, tc filters, eBPF
rounds=3
seconds=10
settle=3
offloads_list="on off"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --offloads) offloads_list=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--offloads \"on off\"]" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
for tool in ip ethtool iperf3 curl python3 dotnet bc; do
  command -v "$tool" >/dev/null || { echo "bench/ebpf/cost: '$tool' is missing" >&2; exit 1; }
done

work=$(mktemp -d /tmp/fe-ebpfcost-XXXXXX)
exporter=${FLOWEXPORTER_BIN:-}
if [ -z "$exporter" ]; then
  timeout 600 dotnet publish "$repo/src/FlowExporter" -c Release -r linux-x64 --self-contained false -nologo -v q \
    -clp:ErrorsOnly -o "$work/publish" >/dev/null
  exporter=$work/publish/flowexporter
fi
[ -f "$(dirname "$exporter")/flow.bpf.o" ] || { echo "bench/ebpf/cost: no flow.bpf.o beside $exporter" >&2; exit 1; }

id=$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
a="febc${id}a" b="febc${id}b" x="febc${id}x" y="febc${id}y"
port=$((20000 + RANDOM % 20000))
server="" exp_pid=""
stop_exporter() {
  [ -n "$exp_pid" ] || return 0
  kill "$exp_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$exp_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$exp_pid" 2>/dev/null || true
  wait "$exp_pid" 2>/dev/null || true
  exp_pid=""
}
cleanup() {
  stop_exporter
  [ -n "$server" ] && { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; } || true
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$a"; ip netns add "$b"
ip link add "$x" netns "$a" type veth peer name "$y" netns "$b"
ip -n "$a" addr add 10.99.0.1/24 dev "$x"; ip -n "$b" addr add 10.99.0.2/24 dev "$y"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "$x" up; ip -n "$b" link set "$y" up
ip netns exec "$b" iperf3 -s -B 10.99.0.2 >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do ip netns exec "$a" bash -c "exec 3<>/dev/tcp/10.99.0.2/5201" 2>/dev/null && break; sleep 0.1; done

hz=$(getconf CLK_TCK)
softirq() { awk '/^cpu /{print $7+$8}' /proc/stat; }
proc_jiffies() { awk '{print $14+$15}' "/proc/$1/stat"; }
frames() { ip netns exec "$a" cat "/sys/class/net/$x/statistics/rx_packets" "/sys/class/net/$x/statistics/tx_packets" | awk '{s+=$1} END {print s}'; }
scrape() { ip netns exec "$a" curl -s --max-time 10 "http://127.0.0.1:$port/metrics"; }
metric_sum() { scrape | awk -v re="^($1)([{ ])" '$0 ~ re { s += $NF } END { printf "%.0f\n", s }'; }

start_exporter() {  # $1: engine
  cat >"$work/config.yaml" <<EOF
listen: 127.0.0.1:$port
node: bench
capture:
  interfaces: [$x]
  engine: $1
  ebpf:
    sweep_interval: 1s
kubernetes:
  enabled: "false"
EOF
  ip netns exec "$a" "$exporter" --config "$work/config.yaml" >"$work/exporter-$1.log" 2>&1 &
  exp_pid=$!
  for _ in $(seq 300); do
    if ip netns exec "$a" curl -sf --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      sleep "$settle"  # the runtime's start-up work (tiered JIT, first GCs) is not the engine's cost
      # Its CPU with no traffic (sweeps, timers), over as long again: what it costs whatever the rate.
      local i0; i0=$(proc_jiffies "$exp_pid")
      sleep "$settle"
      idle_cpu_per_s=$(echo "($(proc_jiffies "$exp_pid") - $i0) / $hz / $settle" | bc -l)
      return 0
    fi
    kill -0 "$exp_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench/ebpf/cost: the exporter ($1) did not become ready:" >&2; cat "$work/exporter-$1.log" >&2; exit 1
}

results=$work/results
run() {  # $1: offloads, $2: mode (none, libpcap, ebpf)
  local mode=$2 soft0 soft1 f0 f1 c0=0 c1=0 json counted=0
  idle_cpu_per_s=0
  [ "$mode" = none ] || start_exporter "$mode"
  soft0=$(softirq); f0=$(frames)
  [ -n "$exp_pid" ] && c0=$(proc_jiffies "$exp_pid")
  json=$(ip netns exec "$a" timeout $((seconds + 30)) iperf3 -c 10.99.0.2 -t "$seconds" -J)
  soft1=$(softirq); f1=$(frames)
  [ -n "$exp_pid" ] && c1=$(proc_jiffies "$exp_pid")
  if [ -n "$exp_pid" ]; then
    if [ "$mode" = ebpf ]; then  # the bytes of the run's last second are in the kernel map until the next sweep
      local s0; s0=$(metric_sum flowexporter_capture_ebpf_sweeps_total)
      for _ in $(seq 50); do [ "$(metric_sum flowexporter_capture_ebpf_sweeps_total)" -gt "$s0" ] && break; sleep 0.1; done
    fi
    counted=$(metric_sum network_connection_bytes_total)
    stop_exporter
  fi
  python3 - "$1" "$mode" "$json" "$((soft1 - soft0))" "$((f1 - f0))" "$((c1 - c0))" "$hz" "$counted" "$idle_cpu_per_s" <<'EOF' | tee -a "$results"
import json, sys
off, mode, doc, soft, frames, cpu, hz, counted, idle = sys.argv[1:]
end = json.loads(doc)["end"]
moved = end["sum_received"]["bytes"]
cpu_s = int(cpu) / int(hz)
print(f"offloads={off} mode={mode} gbit_s={end['sum_received']['bits_per_second'] / 1e9:.2f} gb={moved / 1e9:.2f} "
      f"mpkts={int(frames) / 1e6:.3f} exp_cpu_s={cpu_s:.2f} cpu_s_per_gb={cpu_s / (moved / 1e9):.4f} "
      f"cpu_s_per_mpkt={cpu_s / max(int(frames) / 1e6, 1e-9):.4f} softirq_s={int(soft) / int(hz):.2f} "
      f"counted_gb={int(counted) / 1e9:.2f} idle_cpu_s_per_s={float(idle):.4f}")
EOF
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of ${seconds}s per mode and offload setting"
for off in $offloads_list; do
  for dev in "$a:$x" "$b:$y"; do
    ip netns exec "${dev%%:*}" ethtool -K "${dev##*:}" tso "$off" gso "$off" gro "$off" >/dev/null
  done
  for round in $(seq "$rounds"); do
    # The order rotates each round, so that no mode always follows the same one.
    case $((round % 3)) in
      1) order="none libpcap ebpf" ;;
      2) order="libpcap ebpf none" ;;
      0) order="ebpf none libpcap" ;;
    esac
    for mode in $order; do run "$off" "$mode"; done
  done
done

echo
echo "summary (medians; machine load average $(cut -d' ' -f1-3 /proc/loadavg) at the end):"
python3 - "$results" <<'EOF'
import statistics, sys
rows = [dict(f.split("=", 1) for f in line.split()) for line in open(sys.argv[1]) if line.strip()]
keys = ["gbit_s", "gb", "mpkts", "exp_cpu_s", "cpu_s_per_gb", "cpu_s_per_mpkt", "softirq_s", "counted_gb", "idle_cpu_s_per_s"]
print(f"{'offloads':<9}{'mode':<9}" + "".join(f"{k:>17}" for k in keys))
for off in dict.fromkeys(r["offloads"] for r in rows):
    med = {}
    for mode in ("none", "libpcap", "ebpf"):
        sel = [r for r in rows if r["offloads"] == off and r["mode"] == mode]
        med[mode] = {k: statistics.median(float(r[k]) for r in sel) for k in keys}
        print(f"{off:<9}{mode:<9}" + "".join(f"{med[mode][k]:>17.4f}" for k in keys))
    loss = 1 - med["ebpf"]["gbit_s"] / med["none"]["gbit_s"]
    pcap_loss = 1 - med["libpcap"]["gbit_s"] / med["none"]["gbit_s"]
    ratio = med["ebpf"]["cpu_s_per_gb"] / med["libpcap"]["cpu_s_per_gb"] if med["libpcap"]["cpu_s_per_gb"] else float("nan")
    print(f"offloads {off}: throughput loss vs none: ebpf {loss * 100:.1f}% (goal <= 3%), libpcap {pcap_loss * 100:.1f}%; "
          f"exporter CPU per GB ebpf/libpcap = {ratio:.3f} (goal <= 0.1)")
EOF
