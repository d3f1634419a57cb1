#!/usr/bin/env bash
# OVS source cost per scrape with N dummy ports, in OVSDB monitor mode and in ovs-vsctl mode, printed in the same run.
# Needs root and openvswitch-switch (userspace datapath; no kernel module). Usage: bench/ovs/run.sh [PORTS] [PORTS_PER_CALL]
set -euo pipefail
# Needs root: as a user with sudo, re-executes itself with sudo.
. "$(dirname "$0")/../../scripts/lib/as-root.sh"
PORTS=${1:-1000}
PER_CALL=${2:-250}
HERE=$(cd "$(dirname "$0")" && pwd)

missing=()
[ "$(id -u)" = 0 ] || missing+=("root")
for tool in ip ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl ovs-appctl dotnet; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then echo "bench/ovs: missing: ${missing[*]}" >&2; exit 1; fi

SUFFIX=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
NODE="febench-$SUFFIX"
LAB=$(mktemp -d "/tmp/febench-ovs-$SUFFIX-XXXX")
export OVS_RUNDIR=$LAB OVS_LOGDIR=$LAB OVS_DBDIR=$LAB
DB="unix:$LAB/db.sock"

cleanup() {
  ovs-appctl --timeout=5 -t "$LAB/vswitchd.ctl" exit >/dev/null 2>&1 || true
  ovs-appctl --timeout=5 -t "$LAB/ovsdb.ctl" exit >/dev/null 2>&1 || true
  for pidfile in "$LAB/vswitchd.pid" "$LAB/ovsdb.pid"; do
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" >/dev/null 2>&1 || true; fi
  done
  ip netns del "$NODE" >/dev/null 2>&1 || true
  rm -rf "$LAB"
}
trap cleanup EXIT

ip netns add "$NODE"
ovsdb-tool create "$LAB/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server "$LAB/conf.db" --remote="punix:$LAB/db.sock" --pidfile="$LAB/ovsdb.pid" --unixctl="$LAB/ovsdb.ctl" \
  --log-file="$LAB/ovsdb.log" --detach 2>/dev/null
ovs-vsctl --db="$DB" --no-wait init
# One userspace vswitchd per network namespace (LAB.md): it runs in a namespace of its own. --enable-dummy adds
# the dummy port type without replacing the real ones.
ip netns exec "$NODE" ovs-vswitchd "$DB" --disable-system --enable-dummy --pidfile="$LAB/vswitchd.pid" \
  --unixctl="$LAB/vswitchd.ctl" --log-file="$LAB/vswitchd.log" --detach 2>/dev/null
ovs-vsctl --db="$DB" --timeout=30 add-br br0 -- set bridge br0 datapath_type=netdev

start=$(date +%s.%N)
for ((first = 0; first < PORTS; first += PER_CALL)); do
  args=()
  for ((i = first; i < first + PER_CALL && i < PORTS; i++)); do
    args+=(-- add-port br0 "d$i" -- set interface "d$i" type=dummy)
  done
  ovs-vsctl --db="$DB" --timeout=120 "${args[@]:1}"
done
echo "added $PORTS dummy ports in $(echo "$(date +%s.%N) - $start" | bc) s ($PER_CALL per ovs-vsctl call)"

dotnet build "$HERE/OvsBench.csproj" -c Release -v q -nologo >/dev/null
dotnet "$HERE/bin/Release/net10.0/FlowExporter.Bench.dll" --db "$DB" --ports "$PORTS"
