// hyperfine JSON → bench/RESULTS.md: medians and ctr's ratio to each other runtime.
import * as fs from "node:fs";

const [input, output] = process.argv.slice(2) as [string, string];
const { results } = JSON.parse(fs.readFileSync(input, "utf8")) as { results: { command: string; median: number; mean: number; stddev: number; min: number; max: number }[] };
const ms = (s: number) => (s * 1000).toFixed(1);
const ctr = results.find((r) => r.command === "ctr")!;
const rows = results.map((r) => `| ${r.command} | ${ms(r.median)} | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} | ${(ctr.median / r.median).toFixed(2)}x |`);
const text = `# Benchmarks

\`ctr run --rootfs B /bin/true\` against \`runc run\` and \`crun run\` on the same busybox bundle, interleaved
in one hyperfine call (\`bench/run.sh\`, ${new Date().toISOString().slice(0, 10)}, ${process.arch}, kernel ${fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}).
All three run inside a private mount namespace where /sys/fs/cgroup/unified is covered by a tmpfs (crun
1.8 refuses this host's hybrid cgroups otherwise). runc and crun also create cgroups; ctr does not yet.

| runtime | median ms | mean ms | min ms | ctr median / this |
| --- | --- | --- | --- | --- |
${rows.join("\n")}
`;
fs.writeFileSync(output, text);
