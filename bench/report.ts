// hyperfine JSON → bench/RESULTS.md: medians, and ctr's ratio to each runtime under the same limits.
import * as fs from "node:fs";

const [input, output, rssFile] = process.argv.slice(2) as [string, string, string | undefined];
const rss = rssFile && fs.existsSync(rssFile) ? (JSON.parse(fs.readFileSync(rssFile, "utf8")) as Record<string, number>) : {};
type R = { command: string; median: number; mean: number; stddev: number; min: number };
const { results } = JSON.parse(fs.readFileSync(input, "utf8")) as { results: R[] };
const ms = (s: number) => (s * 1000).toFixed(1);
const limited = (r: R) => r.command.endsWith("+limits");
const ctrOf = (r: R) => results.find((x) => x.command.startsWith("ctr") && limited(x) === limited(r))!;
const rows = results.map((r) => `| ${r.command} | ${ms(r.median)} | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} | ${(ctrOf(r).median / r.median).toFixed(2)}x |`);
const plain = (name: string) => results.find((r) => r.command === name);
const cost = (name: string) => {
  const a = plain(name), b = plain(`${name} +limits`);
  return a && b ? `${name} ${ms(b.median - a.median)} ms` : "";
};
const text = `# Benchmarks

\`ctr run --rootfs B /bin/true\` against \`runc run\` and \`crun run\` on the same busybox bundle, each plain and
with \`-m 64m --pids-limit 100\` (for runc and crun: the same limits in config.json), interleaved in one
hyperfine call (\`bench/run.sh\`, ${new Date().toISOString().slice(0, 10)}, ${process.arch}, kernel ${fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}).
All run inside a private mount namespace where /sys/fs/cgroup/unified is covered by a tmpfs (crun 1.8
refuses this host's hybrid cgroups otherwise), so all three use cgroup v1 here. Every runtime creates a
cgroup for every container, limits or not.

| runtime | median ms | mean ms | min ms | ctr median / this (same limits) |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

Cost of the limits (median with minus median without): ${[cost("ctr"), cost("runc"), cost("crun")].filter(Boolean).join(", ")}.
Across runs on this machine that difference moves by about ±10 ms (its noise), for every runtime.

Memory, the largest max RSS of a runtime's processes during \`run /bin/true\` (GNU time \`%M\`, median of 5):
${Object.entries(rss).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} MiB`).join(", ")}. ctr's parent stays alive while the container runs
(it relays signals and the terminal and removes the cgroup), as \`runc run\` does.
`;
fs.writeFileSync(output, text);
