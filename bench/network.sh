#!/usr/bin/env bash
# What a network adds to a container start, side by side with podman (netavark) in one interleaved
# hyperfine call: --network none, the default bridge, and the bridge with -p. Then throughput of
# one TCP stream (busybox nc, 2 GB): container → container on a bridge, and host → a published
# port, against the same stream between two plain veth-connected namespaces. Own state roots,
# own bridge and nftables table names (a real ctr's are not touched). Writes bench/NETWORK.md.
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

# Throughput: one TCP stream of 2 GB, seconds (median of 3).
mb=2000
stream() { # stream CLIENT_CMD...: runs it 3 times, prints the median seconds
  for i in 1 2 3; do /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 2p
}
sink=$($CTR run -d --rootfs "$rootfs" sh -c 'while :; do nc -l -p 5000 > /dev/null; done')
sinkp=$($CTR run -d -p 18952:5000 --rootfs "$rootfs" sh -c 'while :; do nc -l -p 5000 > /dev/null; done')
ip=$($CTR inspect -f '{{.NetworkSettings.IPAddress}}' "$sink")
sleep 0.5
c2c=$(stream "$CTR" run --rm --rootfs "$rootfs" sh -c "dd if=/dev/zero bs=1M count=$mb 2>/dev/null | nc -w 1 $ip 5000")
h2p=$(stream sh -c "dd if=/dev/zero bs=1M count=$mb 2>/dev/null | busybox nc -w 1 127.0.0.1 18952")
# The reference: two namespaces joined by a plain veth pair.
ip netns add ctrbench-a; ip netns add ctrbench-b
ip link add ctrbva netns ctrbench-a type veth peer name ctrbvb netns ctrbench-b
ip -n ctrbench-a addr add 10.254.0.1/30 dev ctrbva; ip -n ctrbench-b addr add 10.254.0.2/30 dev ctrbvb
ip -n ctrbench-a link set ctrbva up; ip -n ctrbench-b link set ctrbvb up
ip netns exec ctrbench-b sh -c 'while :; do busybox nc -l -p 5000 > /dev/null; done' & refsink=$!
sleep 0.3
ref=$(stream ip netns exec ctrbench-a sh -c "dd if=/dev/zero bs=1M count=$mb 2>/dev/null | busybox nc -w 1 10.254.0.2 5000")
kill $refsink 2>/dev/null || true
for p in $(ip netns pids ctrbench-b); do kill -9 "$p"; done
ip netns del ctrbench-a; ip netns del ctrbench-b
$CTR rm -f "$sink" "$sinkp" >/dev/null
echo "{\"mb\": $mb, \"c2c\": $c2c, \"h2p\": $h2p, \"ref\": $ref}" > "$work/stream.json"

$PODMAN network rm -f podman >/dev/null 2>&1 || true
ip link del ctrbench0 2>/dev/null || true
nft delete table inet ctrbench 2>/dev/null || true
node_modules/.bin/bun bench/network-report.ts "$work" bench/NETWORK.md
cat bench/NETWORK.md
