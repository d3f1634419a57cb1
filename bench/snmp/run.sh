#!/usr/bin/env bash
# SNMP benchmark: (1) our full IF-MIB poll vs snmpbulkwalk of ifTable and ifXTable against the same local snmpd;
# (2) how many targets one process polls on a 15 s interval, one snmpsimd endpoint (simulated switch) per target.
# Loopback only; snmpd, snmp (snmpbulkwalk) and snmpsim installed. Usage: bench/snmp/run.sh [RUNS] [TARGETS]
set -euo pipefail
RUNS=${1:-20}
TARGETS=${2:-200}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$(mktemp -d /tmp/flowexporter-snmp-bench.XXXXXX)
SNMPD_PID=""; SIM_PID=""
cleanup() {
  [ -n "$SNMPD_PID" ] && kill "$SNMPD_PID" 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$LAB"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for tool in snmpd snmpbulkwalk snmpsimd dotnet; do
  command -v "$tool" >/dev/null || { echo "missing prerequisite: $tool" >&2; exit 1; }
done

dotnet build -c Release "$HERE/FlowExporter.Bench.csproj" -o "$LAB/bin" -v q -nologo >/dev/null
BENCH="$LAB/bin/FlowExporter.Bench"

COMMUNITY="bench-$RANDOM$RANDOM"
PORT=$(free_port)
cat > "$LAB/snmpd.conf" <<CONF
rocommunity $COMMUNITY 127.0.0.1
createUser benchuser SHA "bench-auth-pass" AES "bench-priv-pass"
rouser benchuser authpriv
CONF
SNMP_PERSISTENT_DIR="$LAB" snmpd -f -Lo -C -c "$LAB/snmpd.conf" -p "$LAB/snmpd.pid" "udp:127.0.0.1:$PORT" >"$LAB/snmpd.log" 2>&1 &
SNMPD_PID=$!
for _ in $(seq 1 100); do
  snmpget -v2c -c "$COMMUNITY" -t 0.2 -r 0 "127.0.0.1:$PORT" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== 1. full IF-MIB poll vs snmpbulkwalk (snmpd on 127.0.0.1:$PORT) =="
"$BENCH" poll-vs-walk 127.0.0.1 "$PORT" "$COMMUNITY" "$RUNS"
"$BENCH" poll-vs-walk-v3 127.0.0.1 "$PORT" benchuser bench-auth-pass bench-priv-pass "$RUNS"
kill "$SNMPD_PID"; wait "$SNMPD_PID" 2>/dev/null || true; SNMPD_PID=""

echo "== 2. targets per 15 s interval, one snmpsimd endpoint per target =="
mkdir -p "$LAB/simdata" "$LAB/simcache"
cp "$HERE/../../tests/fixtures/snmp/dlink-des3200-18.ifmib.snmprec" "$LAB/simdata/"
chmod -R a+rX "$LAB"; chmod 777 "$LAB/simcache"
PORTS=()
ENDPOINTS=()
for _ in $(seq 1 "$TARGETS"); do p=$(free_port); PORTS+=("$p"); ENDPOINTS+=("--agent-udpv4-endpoint=127.0.0.1:$p"); done
snmpsimd --data-dir="$LAB/simdata" --cache-dir="$LAB/simcache" --process-user=nobody --process-group=nogroup \
  --logging-method=null "${ENDPOINTS[@]}" >"$LAB/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 300); do
  snmpget -v2c -c dlink-des3200-18.ifmib -t 0.5 -r 0 "127.0.0.1:${PORTS[-1]}" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 && break
  sleep 0.2
done
PORT_LIST=$(IFS=,; echo "${PORTS[*]}")
"$BENCH" scale 127.0.0.1 "$PORT_LIST" dlink-des3200-18.ifmib 64 3
