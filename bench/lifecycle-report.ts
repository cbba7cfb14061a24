// bench/lifecycle.sh's hyperfine JSON and memory readings → bench/LIFECYCLE.md, with ratios.
import * as fs from "node:fs";

const [work, output] = process.argv.slice(2) as [string, string];
type R = { command: string; median: number; mean: number; stddev: number; min: number };
const load = (f: string) => (JSON.parse(fs.readFileSync(`${work}/${f}`, "utf8")) as { results: R[] }).results;
const ms = (s: number) => (s * 1000).toFixed(1);

function table(results: R[], base: string): string {
  const ctr = results.find((r) => r.command.startsWith(base))!;
  return [
    "| command | median ms | mean ms | min ms | ctr / this |",
    "| --- | --- | --- | --- | --- |",
    ...results.map((r) => `| ${r.command} | ${ms(r.median)} | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} | ${(ctr.median / r.median).toFixed(2)}x |`),
  ].join("\n");
}

const mem = JSON.parse(fs.readFileSync(`${work}/mem.json`, "utf8")) as Record<string, { n: number; kb: number }>;
const per = (k: string) => (mem[k] ? `${(mem[k]!.kb / mem[k]!.n / 1024).toFixed(2)} MiB` : "?");
const list = load("list.json");
const ratio = (a: string, b: string) => {
  const x = list.find((r) => r.command === a)!, y = list.find((r) => r.command === b)!;
  return (x.median / y.median).toFixed(2);
};

const text = `# Lifecycle benchmarks

\`bench/lifecycle.sh\`, ${new Date().toISOString().slice(0, 10)}, ${process.arch}, kernel ${fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, 2 cores.
One busybox rootfs for all; runc and crun from one OCI bundle; podman with \`--runtime runc\`,
\`--network none\`, \`--rootfs\`, cgroupfs, and a containers.conf without default ulimits (this machine
lacks CAP_SYS_RESOURCE). All inside a private mount namespace where /sys/fs/cgroup/unified is covered
(crun 1.8 refuses this hybrid cgroup host otherwise): cgroup v1 for everyone. Commands of one table
are interleaved in one hyperfine call.

## ${mem.ctr?.n ?? 50} detached starts (sequential, each run from an empty state)

${table(load("start.json"), "ctr")}

## exec of \`true\` into a running container

${table(load("exec.json"), "ctr")}

## ps and inspect with ${mem.ctr?.n ?? 50} containers

${table(list, "ctr ps")}

ctr ps / podman ps: ${ratio("ctr ps", "podman ps")}x; ctr inspect / podman inspect: ${ratio("ctr inspect", "podman inspect")}x.

## Memory kept alive per running container (PSS)

What stays alive besides the container's own processes: ctr's native monitor, podman's conmon;
runc and crun (\`run -d\`) keep nothing (no one waits for the container, keeps its log or its exit code).

| | 1 container | ${mem.ctr?.n ?? 50} containers (per container) |
| --- | --- | --- |
| ctr monitor | ${per("ctr1")} | ${per("ctr")} |
| podman conmon | ${per("podman1")} | ${per("podman")} |
`;
fs.writeFileSync(output, text);
