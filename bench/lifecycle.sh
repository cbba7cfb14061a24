#!/usr/bin/env bash
# The daily workflow, side by side in interleaved hyperfine runs, on one busybox rootfs:
#   - 50 detached starts: ctr run -d, runc run -d, crun run -d, podman run -d (runtime runc)
#   - exec of `true` into a running container: ctr exec, runc exec, crun exec, podman exec
#   - ps and inspect with 50 containers: ctr vs podman
#   - memory (PSS) of what each keeps alive per container: ctr's monitors, podman's conmons
# Every container has a network namespace with only lo (runc's and crun's bundle, --network none).
# Everything runs in a private mount namespace where /sys/fs/cgroup/unified is covered (crun 1.8
# refuses this hybrid host otherwise), with state roots under bench/.work. Writes bench/LIFECYCLE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/bench/.work/lifecycle
rm -rf "$work" && mkdir -p "$work"
rootfs=$(bash scripts/busybox-rootfs.sh "$work/rootfs")
bundle=$work/bundle
mkdir -p "$bundle" && (cd "$bundle" && runc spec)
node_modules/.bin/bun -e '
  const f = process.argv[1], c = JSON.parse(require("fs").readFileSync(f, "utf8"));
  c.root = { path: process.argv[2], readonly: false };
  c.process.terminal = false;
  c.process.args = ["sleep", "100000"];
  require("fs").writeFileSync(f, JSON.stringify(c, null, 2));
' "$bundle/config.json" "$rootfs"
printf '[containers]\ndefault_ulimits = []\n' > "$work/containers.conf"
runs=${BENCH_RUNS:-5}
n=${BENCH_CONTAINERS:-50}

cat > "$work/env.sh" <<EOF
export CTR_ROOT=$work/ctr CONTAINERS_CONF=$work/containers.conf
CTR="$PWD/dist/ctr"
PODMAN="podman --root $work/podman --runroot $work/podman-run --runtime runc --cgroup-manager cgroupfs --events-backend file"
ROOTFS=$rootfs
BUNDLE=$bundle
N=$n
EOF
cat > "$work/start.sh" <<'EOF'
# start.sh RUNTIME COUNT: COUNT detached containers running `sleep`.
. "$(dirname "$0")/env.sh"
for i in $(seq "$2"); do
  case $1 in
    ctr) $CTR run -d --network none --rootfs "$ROOTFS" sleep 100000 >/dev/null ;;
    runc) runc run -d -b "$BUNDLE" "bench-runc-$i" </dev/null >/dev/null 2>&1 ;;
    crun) crun run -d -b "$BUNDLE" "bench-crun-$i" </dev/null >/dev/null 2>&1 ;;
    podman) $PODMAN run -d --network none --rootfs "$ROOTFS" sleep 100000 >/dev/null ;;
  esac
done
EOF
cat > "$work/clean.sh" <<'EOF'
# clean.sh RUNTIME: every container of this benchmark's state, removed.
. "$(dirname "$0")/env.sh"
case $1 in
  ctr) ids=$($CTR ps -aq); [ -z "$ids" ] || $CTR rm -f $ids >/dev/null ;;
  runc|crun) for id in $($1 list | awk 'NR > 1 {print $1}'); do $1 delete -f "$id" >/dev/null 2>&1 || true; done ;;
  podman) $PODMAN rm -f -a -t 0 >/dev/null 2>&1 || true ;;
esac
EOF
cat > "$work/pss.sh" <<'EOF'
# pss.sh PATTERN: total PSS (kB) of processes whose command line starts with PATTERN.
total=0
for p in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
  case "$cmd" in "$1"*) kb=$(awk '/^Pss:/ {print $2}' "$p/smaps_rollup" 2>/dev/null || echo 0); total=$((total + ${kb:-0})) ;; esac
done
echo "$total"
EOF

unshare --mount --propagation private bash -euo pipefail -c '
  if mountpoint -q /sys/fs/cgroup/unified; then umount -l /sys/fs/cgroup/unified; mount -t tmpfs -o size=4m none /sys/fs/cgroup/unified; fi
  w='"$work"'
  . $w/env.sh
  for r in ctr runc crun podman; do bash $w/clean.sh $r; done
  # 1. N detached starts; each run starts from none (cleaned before, not timed).
  hyperfine -N --runs '"$runs"' --export-json $w/start.json \
    --prepare "bash $w/clean.sh ctr" --prepare "bash $w/clean.sh runc" --prepare "bash $w/clean.sh crun" --prepare "bash $w/clean.sh podman" \
    -n "ctr run -d x$N" "bash $w/start.sh ctr $N" \
    -n "runc run -d x$N" "bash $w/start.sh runc $N" \
    -n "crun run -d x$N" "bash $w/start.sh crun $N" \
    -n "podman run -d x$N" "bash $w/start.sh podman $N"
  # 2. Memory with N running (the last start left them), then with 1.
  sleep 1
  echo "{\"ctr\": {\"n\": $N, \"kb\": $(bash $w/pss.sh "ctr monitor")}, \"podman\": {\"n\": $N, \"kb\": $(bash $w/pss.sh /usr/bin/conmon)}" > $w/mem.json
  # 3. ps and inspect with N containers each.
  name=$($CTR ps -lq); pname=$($PODMAN ps -lq)
  hyperfine -N --warmup 3 --runs 30 --export-json $w/list.json \
    -n "ctr ps" "$CTR ps" -n "podman ps" "$PODMAN ps" \
    -n "ctr inspect" "$CTR inspect $name" -n "podman inspect" "$PODMAN inspect $pname"
  for r in ctr runc crun podman; do bash $w/clean.sh $r; done
  bash $w/start.sh ctr 1; bash $w/start.sh runc 1; bash $w/start.sh crun 1; bash $w/start.sh podman 1
  sleep 1
  echo ", \"ctr1\": {\"n\": 1, \"kb\": $(bash $w/pss.sh "ctr monitor")}, \"podman1\": {\"n\": 1, \"kb\": $(bash $w/pss.sh /usr/bin/conmon)}}" >> $w/mem.json
  # 4. exec into the one running container of each.
  c=$($CTR ps -q); p=$($PODMAN ps -q)
  hyperfine -N --warmup 5 --runs 40 --export-json $w/exec.json \
    -n "ctr exec" "$CTR exec $c true" -n "runc exec" "runc exec bench-runc-1 true" \
    -n "crun exec" "crun exec bench-crun-1 true" -n "podman exec" "$PODMAN exec $p true"
  for r in ctr runc crun podman; do bash $w/clean.sh $r; done
'
node_modules/.bin/bun bench/lifecycle-report.ts "$work" bench/LIFECYCLE.md
cat bench/LIFECYCLE.md
