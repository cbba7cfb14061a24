// bench/network.sh's measurements → bench/NETWORK.md.
import * as fs from "node:fs";

const [work, output] = process.argv.slice(2) as [string, string];
type R = { command: string; median: number; mean: number; stddev: number; min: number };
const results = (JSON.parse(fs.readFileSync(`${work}/start.json`, "utf8")) as { results: R[] }).results;
const detached = fs.existsSync(`${work}/detached.json`) ? (JSON.parse(fs.readFileSync(`${work}/detached.json`, "utf8")) as { results: R[] }).results : [];
const dmed = (name: string) => detached.find((r) => r.command === name)?.median ?? NaN;
const ms = (s: number) => (s * 1000).toFixed(1);
const med = (name: string) => results.find((r) => r.command === name)!.median;
const s = JSON.parse(fs.readFileSync(`${work}/stream.json`, "utf8")) as { mb: number; c2c: number; h2p: number; ref: number };
const rate = (sec: number) => `${((s.mb * 1.048576 * 8) / 1000 / sec).toFixed(2)} Gbit/s`;

fs.writeFileSync(
  output,
  `# Network benchmarks

\`bench/network.sh\`, ${new Date().toISOString().slice(0, 10)}, ${process.arch}, kernel ${fs.readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, 2 cores.
\`run --rm --rootfs B true\`, interleaved in one hyperfine call; podman 4 with netavark, \`--runtime runc\`.

| command | median ms | mean ms | min ms |
| --- | --- | --- | --- |
${results.map((r) => `| ${r.command} | ${ms(r.median)} | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} |`).join("\n")}

What the network adds (median minus \`none\`'s): ctr bridge +${ms(med("ctr bridge") - med("ctr none"))} ms, -p +${ms(med("ctr bridge -p") - med("ctr bridge"))} ms more;
podman bridge +${ms(med("podman bridge") - med("podman none"))} ms, -p +${ms(med("podman bridge -p") - med("podman bridge"))} ms more.

The start alone, \`run -d ... sleep 60\` (every container removed before each run, untimed):

| command | median ms | mean ms | min ms |
| --- | --- | --- | --- |
${detached.map((r) => `| ${r.command} | ${ms(r.median)} | ${ms(r.mean)} ± ${ms(r.stddev)} | ${ms(r.min)} |`).join("\n")}

What the network adds to the start: ctr bridge +${ms(dmed("ctr -d bridge") - dmed("ctr -d none"))} ms, -p +${ms(dmed("ctr -d bridge -p") - dmed("ctr -d bridge"))} ms more;
podman bridge +${ms(dmed("podman -d bridge") - dmed("podman -d none"))} ms, -p +${ms(dmed("podman -d bridge -p") - dmed("podman -d bridge"))} ms more.
A \`--rm\` run also pays the end: removing a rule from nftables waits for an RCU grace period in the
kernel (~10 ms here, as the first \`cgroup.procs\` write on cgroup v1 does), and so does podman's.

One HTTP download of ${s.mb} MB (busybox httpd and wget, one TCP stream; median of 3):

| path | seconds | rate | vs plain veth |
| --- | --- | --- | --- |
| two namespaces, one plain veth pair (reference) | ${s.ref} | ${rate(s.ref)} | 1.00x |
| container → container, ctr bridge (ctr exec in the client) | ${s.c2c} | ${rate(s.c2c)} | ${(s.ref / s.c2c).toFixed(2)}x |
| host → published port (127.0.0.1, DNAT) | ${s.h2p} | ${rate(s.h2p)} | ${(s.ref / s.h2p).toFixed(2)}x |

The container-to-container time includes an exec (~20 ms) on top of the stream; the published port's
goes through DNAT (and conntrack) on the host.
`,
);
