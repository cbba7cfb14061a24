// `ctr stats` and `ctr top` read a container's cgroup: CPU time, memory, pids and block I/O from
// its controllers' files (v1 or v2), network bytes from /proc/<pid>/net/dev (its namespace).
// The parsers are pure; `sample` does the reading.
import { readTextFile } from "../../ffi/files";
import type { CgroupPlan } from "../cgroups/schema";
import type { ContainerInfo } from "./store";

export interface Sample {
  /** Monotonic time of the sample, ns. */
  at: number;
  cpuNs: number;
  memoryUsage: number;
  memoryLimit: number;
  pids: number;
  blockRead: number;
  blockWrite: number;
  netRx: number;
  netTx: number;
}

/** "key value" lines (memory.stat, cpu.stat). */
export function keyValues(text: string | null): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (text ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 ..." per device, summed. */
export function ioStatV2(text: string | null): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const m of (text ?? "").matchAll(/rbytes=(\d+) wbytes=(\d+)/g)) {
    read += Number(m[1]);
    write += Number(m[2]);
  }
  return { read, write };
}

/** v1 blkio.throttle.io_service_bytes(_recursive): "8:0 Read 123" lines, summed. */
export function ioStatV1(text: string | null): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of (text ?? "").split("\n")) {
    const [, op, n] = line.trim().split(/\s+/);
    if (op === "Read") read += Number(n);
    else if (op === "Write") write += Number(n);
  }
  return { read, write };
}

/** /proc/<pid>/net/dev, every interface but loopback. */
export function netDev(text: string | null): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of (text ?? "").split("\n").slice(2)) {
    const [name, rest] = line.split(":");
    if (!rest || name!.trim() === "lo") continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

function hostMemory(): number {
  const kb = /MemTotal:\s+(\d+)/.exec(readTextFile("/proc/meminfo") ?? "")?.[1];
  return kb ? Number(kb) * 1024 : 0;
}

const num = (s: string | null) => (s !== null && /^\d+/.test(s.trim()) ? Number(s.trim().split(/\s/)[0]) : null);

/** The container's own directory in the hierarchy holding `controller` (v1), or its one dir (v2). */
export function cgroupDir(cg: CgroupPlan, controller: string): string | null {
  if (cg.version === "v2") return cg.own[0] ?? null;
  return cg.own.find((d) => d.split("/").some((part) => part.split(",").includes(controller))) ?? null;
}

export function sample(info: ContainerInfo): Sample {
  const cg = info.config.cgroup;
  const at = Number(process.hrtime.bigint());
  const s: Sample = { at, cpuNs: 0, memoryUsage: 0, memoryLimit: hostMemory(), pids: 0, blockRead: 0, blockWrite: 0, netRx: 0, netTx: 0 };
  if (cg) {
    const read = (controller: string, file: string) => {
      const dir = cgroupDir(cg, controller);
      return dir === null ? null : readTextFile(`${dir}/${file}`);
    };
    if (cg.version === "v2") {
      s.cpuNs = (keyValues(read("cpu", "cpu.stat")).get("usage_usec") ?? 0) * 1000;
      // As Docker's CLI: the page cache that can go (inactive_file) is not counted as used.
      s.memoryUsage = Math.max(0, (num(read("memory", "memory.current")) ?? 0) - (keyValues(read("memory", "memory.stat")).get("inactive_file") ?? 0));
      s.memoryLimit = num(read("memory", "memory.max")) ?? s.memoryLimit;
      const io = ioStatV2(read("io", "io.stat"));
      [s.blockRead, s.blockWrite] = [io.read, io.write];
    } else {
      s.cpuNs = num(read("cpuacct", "cpuacct.usage")) ?? 0;
      s.memoryUsage = Math.max(0, (num(read("memory", "memory.usage_in_bytes")) ?? 0) - (keyValues(read("memory", "memory.stat")).get("total_inactive_file") ?? 0));
      s.memoryLimit = Math.min(num(read("memory", "memory.limit_in_bytes")) ?? Infinity, s.memoryLimit);
      const io = ioStatV1(read("blkio", "blkio.throttle.io_service_bytes_recursive") ?? read("blkio", "blkio.throttle.io_service_bytes"));
      [s.blockRead, s.blockWrite] = [io.read, io.write];
    }
    s.pids = num(read("pids", "pids.current")) ?? containerPids(info).length;
  }
  if (info.pids && info.status !== "exited") {
    const net = netDev(readTextFile(`/proc/${info.pids.init.pid}/net/dev`));
    [s.netRx, s.netTx] = [net.rx, net.tx];
  }
  return s;
}

/** Every process of the container (its cgroup's), PID 1 and exec'd ones alike. */
export function containerPids(info: ContainerInfo): number[] {
  const cg = info.config.cgroup;
  const dir = cg ? cgroupDir(cg, "pids") ?? cgroupDir(cg, "memory") ?? cg.own[0] ?? null : null;
  const text = dir ? readTextFile(`${dir}/cgroup.procs`) : null;
  if (text === null) return info.pids ? [info.pids.init.pid] : [];
  return text.split("\n").filter(Boolean).map(Number);
}

/** Docker's units: binary for memory (MiB), decimal for I/O (kB, MB). */
export function humanSize(n: number, binary: boolean): string {
  const base = binary ? 1024 : 1000;
  const units = binary ? ["B", "KiB", "MiB", "GiB", "TiB"] : ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= base && i < units.length - 1) {
    n /= base;
    i++;
  }
  // Go's %.4g, as docker/go-units prints sizes.
  return `${+n.toPrecision(4)}${units[i]}`;
}

/** One row of `ctr stats`, from two samples. */
export function statsRow(info: ContainerInfo, a: Sample, b: Sample): Record<string, string> {
  const wall = b.at - a.at;
  const cpu = wall > 0 ? ((b.cpuNs - a.cpuNs) / wall) * 100 : 0;
  const mem = b.memoryLimit > 0 ? (b.memoryUsage / b.memoryLimit) * 100 : 0;
  return {
    ID: info.id.slice(0, 12),
    Container: info.id.slice(0, 12),
    Name: info.config.name ?? "",
    CPUPerc: `${Math.max(0, cpu).toFixed(2)}%`,
    MemUsage: `${humanSize(b.memoryUsage, true)} / ${humanSize(b.memoryLimit, true)}`,
    MemPerc: `${mem.toFixed(2)}%`,
    NetIO: `${humanSize(b.netRx, false)} / ${humanSize(b.netTx, false)}`,
    BlockIO: `${humanSize(b.blockRead, false)} / ${humanSize(b.blockWrite, false)}`,
    PIDs: String(b.pids),
  };
}
