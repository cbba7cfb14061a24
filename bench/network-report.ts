// bench/network.sh's measurements → bench/NETWORK.md.
import * as fs from "node:fs";

const [work, output] = process.argv.slice(2) as [string, string];
type R = { command: string; median: number; mean: number; stddev: number; min: number };
const results = (JSON.parse(fs.readFileSync(`${work}/start.json`, "utf8")) as { results: R[] }).results;
const ms = (s: number) => (s * 1000).toFixed(1);
const med = (name: string) => results.find((r) => r.command === name)!.median;
const s = JSON.parse(fs.readFileSync(`${work}/stream.json`, "utf8")) as { mb: number; c2c: number; h2p: number; ref: number };
const rate = (sec: number) => `${((s.mb * 8) / 1000 / sec).toFixed(2)} Gbit/s`;

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

One TCP stream of ${s.mb} MB (busybox nc, median of 3):

| path | seconds | rate | vs plain veth |
| --- | --- | --- | --- |
| two namespaces, one plain veth pair (reference) | ${s.ref} | ${rate(s.ref)} | 1.00x |
| container → container, ctr bridge | ${s.c2c} | ${rate(s.c2c)} | ${(s.ref / s.c2c).toFixed(2)}x |
| host → published port (127.0.0.1, DNAT) | ${s.h2p} | ${rate(s.h2p)} | ${(s.ref / s.h2p).toFixed(2)}x |

The container-to-container time includes a container start (~30 ms) on top of the stream.
`,
);
