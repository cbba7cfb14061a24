#!/usr/bin/env bash
# Pull + unpack of a ~200 MB multi-layer image from a local registry (Debian's docker-registry on
# 127.0.0.1): `ctr pull` against `skopeo copy` + `umoci unpack`, `podman pull`, and plain
# `tar -xzf` of the same layer blobs, in one hyperfine call; then `ctr run IMAGE /bin/true` against
# `runc run` of the bundle umoci unpacked. Writes bench/PULL-RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/bench/.work/pull
mkdir -p "$work"
bun=node_modules/.bin/bun

port=$($bun -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat > "$work/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null; rm -rf "$work/ctr-root" "$work/oci" "$work/bundle" "$work/podman" "$work/tar"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

[ -d "$work/layout" ] || $bun bench/make-image.ts "$work/layout"
ref=127.0.0.1:$port/bench/big:1
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:big" "docker://$ref"
layers=$($bun -e '
  const fs = require("fs"), dir = process.argv[1];
  const idx = JSON.parse(fs.readFileSync(dir + "/index.json"));
  const m = JSON.parse(fs.readFileSync(dir + "/blobs/sha256/" + idx.manifests[0].digest.slice(7)));
  console.log(m.layers.map((l) => dir + "/blobs/sha256/" + l.digest.slice(7)).join(" "));
' "$work/layout")
sizes=$(du -cb $layers | tail -1 | cut -f1)
unpacked=$(for l in $layers; do gzip -dc "$l" | wc -c; done | awk '{s+=$1} END {print s}')
untar="i=0; for l in $layers; do i=\$((i+1)); mkdir -p $work/tar/\$i; tar -xzf \$l -C $work/tar/\$i; done"
podman="podman --root $work/podman/root --runroot $work/podman/run --storage-driver overlay"

runs=${BENCH_RUNS:-5}
hyperfine --runs "$runs" --export-json "$work/pull.json" \
  --prepare "rm -rf $work/ctr-root $work/oci $work/bundle $work/tar; $podman rmi -a -f >/dev/null 2>&1 || true; sync" \
  -n "ctr pull" "$PWD/dist/ctr --root $work/ctr-root pull -q $ref" \
  -n "skopeo copy + umoci unpack" "skopeo copy --quiet --src-tls-verify=false docker://$ref oci:$work/oci:big && umoci unpack --image $work/oci:big $work/bundle >/dev/null" \
  -n "podman pull" "$podman pull -q --tls-verify=false $ref" \
  -n "tar -xzf (same layers)" "$untar"

# ctr run from its store against runc on the bundle umoci unpacked from the same image (podman
# run does not start on this host kind: its rlimit defaults need CAP_SYS_RESOURCE, which the
# bounding set lacks).
rm -rf "$work/oci" "$work/bundle" "$work/ctr-root"
"$PWD/dist/ctr" --root "$work/ctr-root" pull -q "$ref" >/dev/null
skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$work/oci:big"
umoci unpack --image "$work/oci:big" "$work/bundle" >/dev/null
$bun -e '
  const f = process.argv[1], c = JSON.parse(require("fs").readFileSync(f, "utf8"));
  c.process.terminal = false; c.process.args = ["/bin/true"];
  require("fs").writeFileSync(f, JSON.stringify(c, null, 2));
' "$work/bundle/config.json"
hyperfine -N --warmup 3 --runs "${BENCH_RUN_RUNS:-30}" --export-json "$work/run.json" \
  -n "ctr run IMAGE /bin/true" "$PWD/dist/ctr --root $work/ctr-root run --cgroup-parent /ctr-bench $ref /bin/true" \
  -n "runc run (umoci bundle)" "runc run -b $work/bundle ctr-bench-runc"

$bun bench/pull-report.ts "$work/pull.json" "$work/run.json" bench/PULL-RESULTS.md "$sizes" "$unpacked"
cat bench/PULL-RESULTS.md
