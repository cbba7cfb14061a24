// Containers as Docker's CLI shows them: ps rows (and their template fields), statuses in words,
// and the `inspect` document, with Docker's field names.
import type { ContainerInfo } from "./store";
import { readRecord, type NetRecord } from "../net/record";

/** The network record of a running container (its addresses and published ports), if any. */
function netRecord(c: ContainerInfo): NetRecord | null {
  return c.status === "running" || c.status === "paused" ? readRecord(c.dir) : null;
}

/** Docker's PORTS column: "0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp". */
export function portsText(rec: NetRecord | null): string {
  return (rec?.ports ?? []).map((p) => `${p.hostIp ?? "0.0.0.0"}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(", ");
}

/** Docker's human durations ("5 seconds", "About a minute", "3 hours"). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 3) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function statusText(c: ContainerInfo, now = Date.now()): string {
  const since = (t: string | null | undefined) => (t ? humanDuration(now - Date.parse(t)) : "");
  switch (c.status) {
    case "created":
      return "Created";
    case "running":
      return `Up ${since(c.startedAt)}`;
    case "paused":
      return `Up ${since(c.startedAt)} (Paused)`;
    case "restarting":
      return `Restarting (${c.exit?.exitCode ?? 0}) ${since(c.exit?.finishedAt)} ago`;
    case "exited":
      return c.exit && c.exit.exitCode >= 0 ? `Exited (${c.exit.exitCode}) ${since(c.exit.finishedAt)} ago` : `Exited (unknown) ${since(c.exit?.finishedAt)} ago`;
    case "dead":
      return "Dead";
  }
}


/** The fields `ps --format` templates read (Docker's names). */
export function psFields(c: ContainerInfo, o: { noTrunc: boolean; now?: number }) {
  // As Docker: the arguments joined by spaces, then quoted as a whole (Go's strconv.Quote).
  const cmd = c.config.process.args.join(" ");
  const shortCmd = o.noTrunc || cmd.length <= 20 ? cmd : `${cmd.slice(0, 19)}…`;
  return {
    ID: o.noTrunc ? c.id : c.id.slice(0, 12),
    Image: c.config.image?.name ?? c.config.rootfs,
    Command: JSON.stringify(shortCmd),
    CreatedAt: c.config.created,
    RunningFor: `${humanDuration((o.now ?? Date.now()) - Date.parse(c.config.created))} ago`,
    Ports: portsText(netRecord(c)),
    State: c.status,
    Status: statusText(c, o.now),
    Size: "",
    Names: c.config.name ?? "",
    Labels: Object.entries(c.config.labels).map(([k, v]) => `${k}=${v}`).join(","),
    Mounts: c.config.mounts.map((m) => (m.type === "volume" ? m.name : m.type === "bind" ? m.source : "tmpfs")).join(","),
    Networks: c.config.run?.network === "bridge" ? (c.config.run.net?.networks?.length ? c.config.run.net.networks.join(",") : "bridge") : c.config.run?.network ?? "",
  };
}

function networkSettings(rec: NetRecord | null) {
  const first = rec?.endpoints[0];
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of rec?.ports ?? []) (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp ?? "0.0.0.0", HostPort: String(p.hostPort) });
  return {
    Ports: ports,
    IPAddress: first?.ip ?? "",
    IPPrefixLen: first?.prefix ?? 0,
    Gateway: first?.gateway ?? "",
    MacAddress: first?.mac ?? "",
    GlobalIPv6Address: first?.ip6 ?? "",
    Networks: Object.fromEntries(
      (rec?.endpoints ?? []).map((e) => [
        e.network,
        { NetworkID: e.networkId, IPAddress: e.ip, IPPrefixLen: e.prefix, Gateway: e.gateway, MacAddress: e.mac, GlobalIPv6Address: e.ip6 ?? "", IPv6Gateway: e.gateway6 ?? "", Aliases: e.aliases },
      ]),
    ),
  };
}

const signalName = (n: number) => ({ 1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 9: "SIGKILL", 10: "SIGUSR1", 12: "SIGUSR2", 15: "SIGTERM", 28: "SIGWINCH" } as Record<number, string>)[n] ?? String(n);

/** Docker's `inspect` document for a container. */
export function inspectDocument(c: ContainerInfo) {
  const cfg = c.config;
  const p = cfg.process;
  const r = cfg.run.resources;
  const running = c.status === "running" || c.status === "paused";
  return {
    Id: c.id,
    Created: cfg.created,
    Path: p.args[0],
    Args: p.args.slice(1),
    State: {
      Status: c.status,
      Running: running,
      Paused: c.status === "paused",
      Restarting: c.status === "restarting",
      OOMKilled: c.exit?.oomKilled ?? false,
      Dead: c.status === "dead",
      Pid: running && c.pids ? c.pids.init.pid : 0,
      ExitCode: c.exit?.exitCode ?? 0,
      Error: "",
      StartedAt: c.startedAt ?? "0001-01-01T00:00:00Z",
      FinishedAt: c.exit?.finishedAt ?? "0001-01-01T00:00:00Z",
    },
    Image: cfg.image?.id ?? "",
    ResolvConfPath: `${c.dir}/resolv.conf`,
    HostnamePath: `${c.dir}/hostname`,
    HostsPath: `${c.dir}/hosts`,
    Name: `/${cfg.name ?? ""}`,
    RestartCount: c.restartCount,
    Driver: cfg.image ? "overlay2" : "rootfs",
    Platform: "linux",
    Config: {
      Hostname: cfg.hostname,
      User: p.user.group === null ? String(p.user.user) : `${p.user.user}:${p.user.group}`,
      Tty: cfg.tty,
      OpenStdin: cfg.interactive,
      Env: p.env,
      Cmd: p.args,
      Image: cfg.image?.name ?? "",
      WorkingDir: p.cwd,
      Entrypoint: null,
      Labels: cfg.labels,
      StopSignal: signalName(cfg.stopSignal),
      StopTimeout: cfg.stopTimeout,
    },
    HostConfig: {
      Binds: cfg.mounts.filter((m) => m.type !== "tmpfs").map((m) => `${m.type === "volume" ? m.name : m.source}:${m.destination}${m.readOnly ? ":ro" : ""}`),
      NetworkMode: cfg.run.network === "bridge" ? cfg.run.net.networks[0] ?? "bridge" : cfg.run.network === "container" ? `container:${cfg.run.net.container}` : cfg.run.network,
      PortBindings: Object.fromEntries(cfg.run.net.ports.map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp ?? "", HostPort: p.hostPort ? String(p.hostPort) : "" }]])),
      PublishAllPorts: cfg.run.net.publishAll,
      Dns: cfg.run.net.dns,
      DnsSearch: cfg.run.net.dnsSearch,
      DnsOptions: cfg.run.net.dnsOptions,
      ExtraHosts: cfg.run.net.addHosts.map((h) => `${h.host}:${h.ip}`),
      RestartPolicy: { Name: cfg.restart.name, MaximumRetryCount: cfg.restart.maximumRetryCount },
      AutoRemove: cfg.autoRemove,
      Privileged: cfg.privileged,
      ReadonlyRootfs: cfg.run.readOnly,
      CapAdd: cfg.run.capAdd,
      CapDrop: cfg.run.capDrop,
      CgroupParent: cfg.run.cgroupParent,
      Memory: r.memory ?? 0,
      MemorySwap: r.memorySwap ?? 0,
      MemoryReservation: r.memoryReservation ?? 0,
      NanoCpus: r.cpuQuota && r.cpuPeriod ? Math.round((r.cpuQuota / r.cpuPeriod) * 1e9) : 0,
      CpuShares: r.cpuShares ?? 0,
      CpuPeriod: r.cpuPeriod ?? 0,
      CpuQuota: r.cpuQuota ?? 0,
      CpusetCpus: r.cpusetCpus ?? "",
      CpusetMems: r.cpusetMems ?? "",
      PidsLimit: r.pidsLimit ?? null,
      BlkioWeight: r.blkioWeight ?? 0,
      Init: cfg.run.init,
      Tmpfs: Object.fromEntries(cfg.mounts.flatMap((m) => (m.type === "tmpfs" ? [[m.destination, m.options]] : []))),
      LogConfig: { Type: "k8s-file", Config: cfg.log.maxBytes ? { "max-size": String(cfg.log.maxBytes), "max-file": String(cfg.log.maxFiles) } : {} },
    },
    Mounts: cfg.mounts.map((m) =>
      m.type === "tmpfs"
        ? { Type: "tmpfs", Source: "", Destination: m.destination, Mode: m.options, RW: !m.options.split(",").includes("ro"), Propagation: "" }
        : { Type: m.type, ...(m.type === "volume" ? { Name: m.name, Driver: "local" } : {}), Source: m.source, Destination: m.destination, Mode: m.readOnly ? "ro" : "", RW: !m.readOnly, Propagation: "rprivate" },
    ),
    LogPath: `${c.dir}/ctr.log`,
    NetworkSettings: networkSettings(netRecord(c)),
  };
}
