// hyperfine JSON of bench/pull.sh → bench/PULL-RESULTS.md: medians and ctr's ratio to each.
import * as fs from "node:fs";

const [pullFile, runFile, output, bytes, unpacked] = process.argv.slice(2) as [string, string, string, string, string];
type R = { command: string; median: number; mean: number; stddev: number; min: number; max: number };
const read = (f: string) => (JSON.parse(fs.readFileSync(f, "utf8")) as { results: R[] }).results;
const pull = read(pullFile);
const run = fs.existsSync(runFile) ? read(runFile) : [];
const s = (x: number) => x.toFixed(2);
const ms = (x: number) => (x * 1000).toFixed(1);
const table = (rows: R[], unit: (x: number) => string, head: string) => {
  const ctr = rows[0]!;
  return [
    `| ${head} | median | mean ± σ | min | ctr / this |`,
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.command} | ${unit(r.median)} | ${unit(r.mean)} ± ${unit(r.stddev)} | ${unit(r.min)} | ${(ctr.median / r.median).toFixed(2)}x |`),
  ].join("\n");
};
const mb = (Number(bytes) / 1e6).toFixed(0);
const text = `# Pull benchmark

\`bench/pull.sh\` (${new Date().toISOString().slice(0, 10)}, ${process.arch}, kernel ${fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, ${(await import("node:os")).cpus().length} CPUs).
A 6-layer image (busybox plus five host directories: Python's library, /usr/share/doc, Perl's
libraries, i18n data; ${mb} MB of gzip layers, ${(Number(unpacked) / 1e6).toFixed(0)} MB of tar unpacked) in a local
docker-registry on 127.0.0.1. Each command starts from an empty destination (hyperfine
\`--prepare\` removes it and syncs), and each ends with the image unpacked on disk: ctr's store
(blobs + one directory per layer), skopeo's OCI layout plus umoci's bundle, podman's storage (overlay
driver), or one directory per layer for plain \`tar -xzf\` run over the same blobs one after another.

${table(pull, s, "pull + unpack (s)")}

This disk is slow to re-create many files right after they were deleted (no journal), so every
tool's times drift between runs (σ above): compare medians and minimums, not single runs.

Run from the pulled image, \`/bin/true\`: ctr from its store (overlay of the layers) against
\`runc run\` of the bundle umoci unpacked (runc on a plain directory: no overlay, no image
lookup). podman run cannot start containers on this host kind (its default rlimits need
CAP_SYS_RESOURCE); the brief's anchor for \`podman run --rm\` here is 240-270 ms.

${run.length ? table(run, ms, "run (ms)") : "(not run)"}
`;
fs.writeFileSync(output, text);
