#!/usr/bin/env bash
# ctr run vs runc run vs crun run, /bin/true in the same busybox rootfs, one hyperfine call: each
# runtime plain, and with -m 64m --pids-limit 100 (the same limits in config.json for runc and crun).
# crun 1.8 refuses this host's hybrid cgroups, so everything runs inside a private mount namespace
# where /sys/fs/cgroup/unified is covered by an empty tmpfs (the same environment for all three).
# Writes bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/bench/.work
mkdir -p "$work"
rootfs=$(bash scripts/busybox-rootfs.sh "$work/rootfs")
bundle=$work/bundle
rm -rf "$bundle" && mkdir -p "$bundle"
(cd "$bundle" && runc spec)
node_modules/.bin/bun -e '
  const f = process.argv[1], c = JSON.parse(require("fs").readFileSync(f, "utf8"));
  c.root = { path: process.argv[2], readonly: false };
  c.process.terminal = false;
  c.process.args = ["/bin/true"];
  require("fs").writeFileSync(f, JSON.stringify(c, null, 2));
  c.linux.resources = { ...c.linux.resources, memory: { limit: 67108864 }, pids: { limit: 100 } };
  require("fs").mkdirSync(f.replace(/bundle\/config.json$/, "bundle-limits"), { recursive: true });
  require("fs").writeFileSync(f.replace(/bundle\/config.json$/, "bundle-limits/config.json"), JSON.stringify(c, null, 2));
' "$bundle/config.json" "$rootfs"

runs=${BENCH_RUNS:-40}
# ctr's containers of this benchmark live in a state root of its own (--rm: none stays), with a
# network namespace holding only lo, as runc's and crun's bundle has (bench/network.sh measures bridges).
export CTR_ROOT=$work/ctr-state
unshare --mount --propagation private bash -euo pipefail -c '
  if mountpoint -q /sys/fs/cgroup/unified; then umount -l /sys/fs/cgroup/unified; mount -t tmpfs -o size=4k none /sys/fs/cgroup/unified; fi
  hyperfine -N --warmup 5 --runs '"$runs"' --export-json '"$work"'/run.json \
    -n ctr  "'"$PWD"'/dist/ctr run --rm --network none --rootfs '"$rootfs"' /bin/true" \
    -n runc "runc run -b '"$bundle"' ctr-bench-runc" \
    -n crun "crun run -b '"$bundle"' ctr-bench-crun" \
    -n "ctr +limits"  "'"$PWD"'/dist/ctr run --rm --network none -m 64m --pids-limit 100 --rootfs '"$rootfs"' /bin/true" \
    -n "runc +limits" "runc run -b '"$bundle"'-limits ctr-bench-runc" \
    -n "crun +limits" "crun run -b '"$bundle"'-limits ctr-bench-crun"
'
# Memory: the largest max RSS among the runtime's processes (GNU time's %M), median of 5 runs.
rss() { for i in 1 2 3 4 5; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 3p; }
unshare --mount --propagation private bash -c '
  if mountpoint -q /sys/fs/cgroup/unified; then umount -l /sys/fs/cgroup/unified; mount -t tmpfs -o size=4k none /sys/fs/cgroup/unified; fi
  '"$(declare -f rss)"'
  echo "{\"ctr\": $(rss '"$PWD"'/dist/ctr run --rm --network none --rootfs '"$rootfs"' /bin/true), \"runc\": $(rss runc run -b '"$bundle"' ctr-bench-runc), \"crun\": $(rss crun run -b '"$bundle"' ctr-bench-crun)}"
' > "$work/rss.json"
node_modules/.bin/bun bench/report.ts "$work/run.json" bench/RESULTS.md "$work/rss.json"
cat bench/RESULTS.md
