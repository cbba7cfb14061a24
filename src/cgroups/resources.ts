// Docker's resource flags: parsing (units and ranges as Docker has them) and the pure conversion
// to cgroup file writes for v1 and v2 (crun's cgroup-resources.c keeps this in one place too).
import { UsageError } from "../errors";

export interface DeviceRate { path: string; major: number; minor: number; rate: number }

export interface Resources {
  memory?: number;
  /** memory + swap, bytes; -1 unlimited (Docker's --memory-swap). */
  memorySwap?: number;
  memoryReservation?: number;
  oomKillDisable?: boolean;
  /** CFS quota and period, microseconds. */
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** <= 0: unlimited. */
  pidsLimit?: number;
  blkioWeight?: number;
  deviceReadBps?: DeviceRate[];
  deviceWriteBps?: DeviceRate[];
  deviceReadIops?: DeviceRate[];
  deviceWriteIops?: DeviceRate[];
}

/** A write with the flag that asked for it, so a failure can name the flag. */
export interface CgroupWrite { controller: string; file: string; value: string; flag: string }

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's RAMInBytes: 512, 64k, 32m, 1g, 1.5g, 32mb (binary units, case-insensitive). */
export function parseSize(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: invalid size ${JSON.stringify(value)}: use a number with an optional unit b, k, m, g or t`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

function parseInteger(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag}: invalid number ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag}: ${value} is out of range (${min}..${max})`);
  return n;
}

/** "0-2,4" as the kernel writes CPU lists, checked for syntax here and against the host later. */
export function parseCpuList(value: string, flag: string): number[] {
  const out: number[] = [];
  for (const part of value.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`${flag}: invalid list ${JSON.stringify(value)}: use forms like 0-3 or 0,2`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`${flag}: invalid range ${JSON.stringify(part)}`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export interface ResourceFlags {
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  oomKillDisable?: boolean;
  cpus?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: string;
  blkioWeight?: string;
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
  deviceReadIops?: string[];
  deviceWriteIops?: string[];
}

export const CPU_PERIOD_DEFAULT = 100_000;

/**
 * Flags → Resources. `deviceNumber` resolves a host device path to major:minor (I/O; injected so the
 * rest stays pure). `hostCpus` bounds --cpus as Docker does.
 */
export function parseResources(
  f: ResourceFlags,
  ctx: { hostCpus: number; deviceNumber: (path: string, flag: string) => { major: number; minor: number } },
): Resources {
  const r: Resources = {};
  // 0 means no limit, as in Docker.
  const memory = f.memory === undefined ? 0 : parseSize(f.memory, "--memory");
  if (memory !== 0) {
    if (memory < 6 * 1024 ** 2) throw new UsageError(`--memory ${f.memory}: the minimum is 6m (0 for no limit)`);
    r.memory = memory;
  }
  if (f.memorySwap !== undefined) {
    if (r.memory === undefined) throw new UsageError("--memory-swap needs --memory as well");
    r.memorySwap = f.memorySwap.trim() === "-1" ? -1 : parseSize(f.memorySwap, "--memory-swap");
    if (r.memorySwap !== -1 && r.memorySwap < r.memory) throw new UsageError("--memory-swap must be at least --memory (it counts memory plus swap)");
  }
  if (f.memoryReservation !== undefined) r.memoryReservation = parseSize(f.memoryReservation, "--memory-reservation");
  if (f.oomKillDisable) r.oomKillDisable = true;

  if (f.cpus !== undefined) {
    if (f.cpuQuota !== undefined || f.cpuPeriod !== undefined) throw new UsageError("--cpus and --cpu-quota/--cpu-period cannot be used together");
    const cpus = Number(f.cpus);
    if (!/^\d*\.?\d+$/.test(f.cpus.trim()) || !(cpus >= 0.01)) throw new UsageError(`--cpus: invalid value ${JSON.stringify(f.cpus)}: use a number like 1.5`);
    if (cpus > ctx.hostCpus) throw new UsageError(`--cpus ${f.cpus}: this host has ${ctx.hostCpus} CPUs`);
    r.cpuPeriod = CPU_PERIOD_DEFAULT;
    r.cpuQuota = Math.round(cpus * CPU_PERIOD_DEFAULT);
  }
  if (f.cpuPeriod !== undefined) r.cpuPeriod = parseInteger(f.cpuPeriod, "--cpu-period", 1000, 1_000_000);
  if (f.cpuQuota !== undefined) {
    const q = parseInteger(f.cpuQuota, "--cpu-quota", -1);
    if (q !== -1 && q < 1000) throw new UsageError(`--cpu-quota ${f.cpuQuota}: the minimum is 1000 (or -1 for none)`);
    r.cpuQuota = q;
    r.cpuPeriod ??= CPU_PERIOD_DEFAULT;
  }
  if (f.cpuShares !== undefined) r.cpuShares = parseInteger(f.cpuShares, "--cpu-shares", 2, 262144);
  if (f.cpusetCpus !== undefined) {
    parseCpuList(f.cpusetCpus, "--cpuset-cpus");
    r.cpusetCpus = f.cpusetCpus.trim();
  }
  if (f.cpusetMems !== undefined) {
    parseCpuList(f.cpusetMems, "--cpuset-mems");
    r.cpusetMems = f.cpusetMems.trim();
  }
  if (f.pidsLimit !== undefined) r.pidsLimit = parseInteger(f.pidsLimit, "--pids-limit", -1);
  if (f.blkioWeight !== undefined) r.blkioWeight = parseInteger(f.blkioWeight, "--blkio-weight", 10, 1000);

  const rates = (values: string[] | undefined, flag: string, iops: boolean): DeviceRate[] | undefined =>
    values?.map((v) => {
      const i = v.lastIndexOf(":");
      if (i <= 0) throw new UsageError(`${flag}: invalid value ${JSON.stringify(v)}: expected DEVICE:${iops ? "IOPS" : "RATE"}`);
      const path = v.slice(0, i);
      const rate = iops ? parseInteger(v.slice(i + 1), flag, 1) : parseSize(v.slice(i + 1), flag);
      return { path, rate, ...ctx.deviceNumber(path, flag) };
    });
  r.deviceReadBps = rates(f.deviceReadBps, "--device-read-bps", false);
  r.deviceWriteBps = rates(f.deviceWriteBps, "--device-write-bps", false);
  r.deviceReadIops = rates(f.deviceReadIops, "--device-read-iops", true);
  r.deviceWriteIops = rates(f.deviceWriteIops, "--device-write-iops", true);
  return r;
}

/** The conversion runc and crun use for cpu.shares (2..262144) → cpu.weight (1..10000). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

export function v2Writes(r: Resources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const add = (controller: string, file: string, value: string | number, flag: string) => w.push({ controller, file, value: String(value), flag });
  if (r.memory !== undefined) add("memory", "memory.max", r.memory, "--memory");
  if (r.memory !== undefined) {
    // Docker: without --memory-swap, the container may swap as much as its memory limit.
    const swap = r.memorySwap === undefined ? r.memory : r.memorySwap === -1 ? "max" : r.memorySwap - r.memory;
    add("memory", "memory.swap.max", swap, r.memorySwap === undefined ? "--memory" : "--memory-swap");
  }
  if (r.memoryReservation !== undefined) add("memory", "memory.low", r.memoryReservation, "--memory-reservation");
  if (r.oomKillDisable) throw new UsageError("--oom-kill-disable: cgroup v2 has no way to disable the OOM killer");
  if (r.cpuQuota !== undefined) add("cpu", "cpu.max", `${r.cpuQuota === -1 ? "max" : r.cpuQuota} ${r.cpuPeriod ?? CPU_PERIOD_DEFAULT}`, "--cpus/--cpu-quota");
  else if (r.cpuPeriod !== undefined) add("cpu", "cpu.max", `max ${r.cpuPeriod}`, "--cpu-period");
  if (r.cpuShares !== undefined) add("cpu", "cpu.weight", sharesToWeight(r.cpuShares), "--cpu-shares");
  if (r.cpusetCpus !== undefined) add("cpuset", "cpuset.cpus", r.cpusetCpus, "--cpuset-cpus");
  if (r.cpusetMems !== undefined) add("cpuset", "cpuset.mems", r.cpusetMems, "--cpuset-mems");
  if (r.pidsLimit !== undefined) add("pids", "pids.max", r.pidsLimit > 0 ? r.pidsLimit : "max", "--pids-limit");
  if (r.blkioWeight !== undefined) add("io", "io.weight", `default ${r.blkioWeight}`, "--blkio-weight");
  // io.max takes all of a device's limits on one line.
  const byDevice = new Map<string, string[]>();
  const rate = (list: DeviceRate[] | undefined, key: string) =>
    list?.forEach((d) => byDevice.set(`${d.major}:${d.minor}`, [...(byDevice.get(`${d.major}:${d.minor}`) ?? []), `${key}=${d.rate}`]));
  rate(r.deviceReadBps, "rbps");
  rate(r.deviceWriteBps, "wbps");
  rate(r.deviceReadIops, "riops");
  rate(r.deviceWriteIops, "wiops");
  for (const [dev, limits] of byDevice) add("io", "io.max", `${dev} ${limits.join(" ")}`, "--device-*-bps/iops");
  return w;
}

export function v1Writes(r: Resources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const add = (controller: string, file: string, value: string | number, flag: string) => w.push({ controller, file, value: String(value), flag });
  if (r.memory !== undefined) add("memory", "memory.limit_in_bytes", r.memory, "--memory");
  // memsw counts memory + swap; only written when asked for (the kernel may lack swap accounting).
  if (r.memorySwap !== undefined) add("memory", "memory.memsw.limit_in_bytes", r.memorySwap, "--memory-swap");
  if (r.memoryReservation !== undefined) add("memory", "memory.soft_limit_in_bytes", r.memoryReservation, "--memory-reservation");
  if (r.oomKillDisable) add("memory", "memory.oom_control", 1, "--oom-kill-disable");
  if (r.cpuPeriod !== undefined) add("cpu", "cpu.cfs_period_us", r.cpuPeriod, "--cpus/--cpu-period");
  if (r.cpuQuota !== undefined) add("cpu", "cpu.cfs_quota_us", r.cpuQuota, "--cpus/--cpu-quota");
  if (r.cpuShares !== undefined) add("cpu", "cpu.shares", r.cpuShares, "--cpu-shares");
  if (r.cpusetCpus !== undefined) add("cpuset", "cpuset.cpus", r.cpusetCpus, "--cpuset-cpus");
  if (r.cpusetMems !== undefined) add("cpuset", "cpuset.mems", r.cpusetMems, "--cpuset-mems");
  if (r.pidsLimit !== undefined) add("pids", "pids.max", r.pidsLimit > 0 ? r.pidsLimit : "max", "--pids-limit");
  if (r.blkioWeight !== undefined) add("blkio", "blkio.weight", r.blkioWeight, "--blkio-weight");
  const dev = (list: DeviceRate[] | undefined, file: string, flag: string) =>
    list?.forEach((d) => add("blkio", file, `${d.major}:${d.minor} ${d.rate}`, flag));
  dev(r.deviceReadBps, "blkio.throttle.read_bps_device", "--device-read-bps");
  dev(r.deviceWriteBps, "blkio.throttle.write_bps_device", "--device-write-bps");
  dev(r.deviceReadIops, "blkio.throttle.read_iops_device", "--device-read-iops");
  dev(r.deviceWriteIops, "blkio.throttle.write_iops_device", "--device-write-iops");
  return w;
}
