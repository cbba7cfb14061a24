#!/usr/bin/env bash
# What a network adds to a container start, side by side with podman (netavark) in one interleaved
# hyperfine call: --network none, the default bridge, and the bridge with -p (whole --rm runs, and
# detached starts alone). Then throughput of one TCP stream (an HTTP download of 1000 MB):
# container → container on a bridge, and host → a published port, against the same stream between
# two plain veth-connected namespaces. Own state roots, own bridge and nftables table names (a real
# ctr's are not touched). Writes bench/NETWORK.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/bench/.work/network
rm -rf "$work" && mkdir -p "$work"
rootfs=$(bash scripts/busybox-rootfs.sh "$work/rootfs")
printf '[containers]\ndefault_ulimits = []\n' > "$work/containers.conf"
export CTR_ROOT=$work/ctr CTR_DEFAULT_BRIDGE=ctrbench0 CTR_NFT_TABLE=ctrbench CONTAINERS_CONF=$work/containers.conf
CTR=$PWD/dist/ctr
PODMAN="podman --root $work/podman --runroot $work/podman-run --runtime runc --cgroup-manager cgroupfs --events-backend file"
runs=${BENCH_RUNS:-20}

# The bridge and rules exist before timing, as they do after a host's first container.
$CTR run --rm --rootfs "$rootfs" true
$PODMAN run --rm --rootfs "$rootfs" true >/dev/null
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/start.json" \
  -n "ctr none" "$CTR run --rm --network none --rootfs $rootfs true" \
  -n "ctr bridge" "$CTR run --rm --rootfs $rootfs true" \
  -n "ctr bridge -p" "$CTR run --rm -p 18950:80 --rootfs $rootfs true" \
  -n "podman none" "$PODMAN run --rm --network none --rootfs $rootfs true" \
  -n "podman bridge" "$PODMAN run --rm --rootfs $rootfs true" \
  -n "podman bridge -p" "$PODMAN run --rm -p 18951:80 --rootfs $rootfs true"

# The start alone (run -d of a sleep; every container removed before each run, untimed).
clean="sh -c '$CTR ps -aq | xargs -r $CTR rm -f >/dev/null; $PODMAN rm -f -a -t 0 >/dev/null 2>&1; true'"
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/detached.json" --prepare "$clean" \
  -n "ctr -d none" "$CTR run -d --network none --rootfs $rootfs sleep 60" \
  -n "ctr -d bridge" "$CTR run -d --rootfs $rootfs sleep 60" \
  -n "ctr -d bridge -p" "$CTR run -d -p 18953:80 --rootfs $rootfs sleep 60" \
  -n "podman -d none" "$PODMAN run -d --network none --rootfs $rootfs sleep 60" \
  -n "podman -d bridge" "$PODMAN run -d --rootfs $rootfs sleep 60" \
  -n "podman -d bridge -p" "$PODMAN run -d -p 18954:80 --rootfs $rootfs sleep 60"
sh -c "$clean"

# Throughput: one HTTP download of 1000 MB (busybox httpd → busybox wget -O /dev/null, which checks
# the body against Content-Length; the same busybox binary everywhere), seconds, median of 3:
# container → container, host → published port, and the same between two namespaces joined by a
# plain veth pair.
mb=1000
stream() { # stream CLIENT_CMD...: it must print "ok" (a complete download); prints the median seconds
  for i in 1 2 3; do
    start=$(date +%s%N)
    got=$("$@")
    end=$(date +%s%N)
    [ "$got" = "ok" ] || { echo "stream: $* failed: $got" >&2; exit 1; }
    echo "$(( (end - start) / 1000000 ))"
  done | sort -n | sed -n 2p | awk '{printf "%.3f", $1 / 1000}'
}
serve='dd if=/dev/zero of=/tmp/big bs=1M count='$mb' 2>/dev/null; exec httpd -f -p 80 -h /tmp'
src=$($CTR run -d -p 18952:80 --rootfs "$rootfs" sh -c "$serve")
ip=$($CTR inspect -f '{{.NetworkSettings.IPAddress}}' "$src")
sleep 2
client=$($CTR run -d --rootfs "$rootfs" sleep 3600)
c2c=$(stream $CTR exec "$client" sh -c "wget -qO /dev/null http://$ip/big && echo ok")
h2p=$(stream busybox sh -c "busybox wget -qO /dev/null http://127.0.0.1:18952/big && echo ok")
mkdir -p "$work/www" && dd if=/dev/zero of="$work/www/big" bs=1M count=$mb 2>/dev/null
ip netns add ctrbench-a; ip netns add ctrbench-b
ip link add ctrbva netns ctrbench-a type veth peer name ctrbvb netns ctrbench-b
ip -n ctrbench-a addr add 10.254.0.1/30 dev ctrbva; ip -n ctrbench-b addr add 10.254.0.2/30 dev ctrbvb
ip -n ctrbench-a link set ctrbva up; ip -n ctrbench-b link set ctrbvb up
ip netns exec ctrbench-b busybox httpd -f -p 10.254.0.2:8000 -h "$work/www" & refsrv=$!
sleep 0.5
ref=$(stream ip netns exec ctrbench-a busybox sh -c "busybox wget -qO /dev/null http://10.254.0.2:8000/big && echo ok")
kill $refsrv 2>/dev/null || true
ip netns del ctrbench-a; ip netns del ctrbench-b
$CTR rm -f "$src" "$client" >/dev/null
echo "{\"mb\": $mb, \"c2c\": $c2c, \"h2p\": $h2p, \"ref\": $ref}" > "$work/stream.json"

$PODMAN network rm -f podman >/dev/null 2>&1 || true
ip link del ctrbench0 2>/dev/null || true
nft delete table inet ctrbench 2>/dev/null || true
node_modules/.bin/bun bench/network-report.ts "$work" bench/NETWORK.md
cat bench/NETWORK.md
