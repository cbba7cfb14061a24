// The containers of a state root: finding them by id, id prefix or name, naming them (a name is
// a symlink names/<name> -> <id>, claimed with symlink(2): of any number of concurrent claims
// exactly one succeeds), their status as read from their state directories, and reconciliation:
// whatever a killed ctr or monitor left is put right by the next command that looks.
import * as files from "../files";
import { ageSeconds, readLink, readTextFile } from "../../ffi/files";
import { LOCK_EX, LOCK_UN, closeFd, flock } from "../../ffi/at";
import { removeCgroup } from "../cgroups/common";
import { ExitError } from "../errors";
import { releaseNetworkIfHeld } from "../net/record";
import {
  containerDir, containersDir, isAlive, readProcessRef, selfRef, readConfig, readExit, readPids, statePaths, writeAtomically,
  type ContainerConfig, type ExitRecord, type ProcessRef,
} from "./state";

export type ContainerStatus = "created" | "running" | "paused" | "restarting" | "exited" | "dead";

export interface ContainerInfo {
  id: string;
  dir: string;
  config: ContainerConfig;
  status: ContainerStatus;
  pids: { monitor: ProcessRef; init: ProcessRef } | null;
  exit: ExitRecord | null;
  restartCount: number;
  startedAt: string | null;
}

/** Exit code 1, as Docker's CLI uses for "no such container" and its other daemon refusals. */
export class NoSuchObject extends ExitError {
  constructor(message: string) {
    super(message, 1);
  }
}

const ID = /^[0-9a-f]{64}$/;
export const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Files of a container's directory beyond state.ts's. */
export function extraPaths(dir: string) {
  return {
    creator: `${dir}/creator`,
    image: `${dir}/image`,
    fifo: `${dir}/exec.fifo`,
    restarts: `${dir}/restart-count`,
    restarting: `${dir}/restarting`,
    stopped: `${dir}/stopped`,
    started: `${dir}/started-at`,
  };
}

export class ContainerStore {
  constructor(readonly root: string) {}

  private get namesDir(): string {
    return `${this.root}/names`;
  }

  /** An exclusive hold on the set of containers (removal, reconciliation, renames). */
  lock(): () => void {
    files.mkdirp(this.root, 0o700);
    const fd = files.openForLock(`${this.root}/containers.lock`);
    flock(fd, LOCK_EX);
    return () => {
      flock(fd, LOCK_UN);
      closeFd(fd);
    };
  }

  ids(): string[] {
    return files.readdir(containersDir(this.root)).filter((n) => ID.test(n));
  }

  /** The container a user means: a full id, a unique id prefix, or a name. */
  resolve(ref: string): string {
    const byName = this.nameTarget(ref.replace(/^\//, ""));
    if (byName && files.isDirectory(containerDir(this.root, byName))) return byName;
    if (/^[0-9a-f]+$/.test(ref)) {
      const hits = this.ids().filter((id) => id.startsWith(ref));
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) throw new ExitError(`multiple containers match the id prefix ${JSON.stringify(ref)}: be more specific`, 1);
    }
    throw new NoSuchObject(`no such container: ${ref}`);
  }

  nameTarget(name: string): string | null {
    const t = readLink(`${this.namesDir}/${name}`);
    return t && ID.test(t) ? t : null;
  }

  /** Claims a name for a container: symlink(2) either creates it or fails, whoever races. */
  claimName(name: string, id: string): void {
    if (!NAME.test(name)) throw new ExitError(`invalid container name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, 125);
    files.mkdirp(this.namesDir, 0o700);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        files.symlink(id, `${this.namesDir}/${name}`);
        return;
      } catch (e) {
        if (!(e instanceof Error) || !e.message.includes("EEXIST")) throw e;
      }
      const owner = this.nameTarget(name);
      // A name whose container is gone (a crash mid-removal) is free again.
      if (owner && !files.isDirectory(containerDir(this.root, owner))) {
        files.unlink(`${this.namesDir}/${name}`);
        continue;
      }
      throw new ExitError(`the name "${name}" is already in use by ${owner ?? "another container"}`, 125);
    }
  }

  releaseName(name: string, id: string): void {
    if (this.nameTarget(name) === id) files.unlink(`${this.namesDir}/${name}`);
  }

  /** `full`: the config checked in full (to act on it); a listing reads less. */
  info(id: string, full = true): ContainerInfo | null {
    const dir = containerDir(this.root, id);
    const config = readConfig(dir, full);
    if (config === null) return null;
    const x = extraPaths(dir);
    const pids = readPids(dir);
    const exit = readExit(dir);
    const restartCount = Number(readTextFile(x.restarts) ?? 0) || 0;
    let status: ContainerStatus;
    if (files.exists(x.restarting)) status = "restarting";
    else if (exit) status = "exited";
    else if (pids === null) status = "created";
    else if (!isAlive(pids.monitor)) status = "dead";
    else if (files.exists(x.fifo)) status = "created";
    else status = frozen(config) ? "paused" : "running";
    return { id, dir, config, status, pids, exit, restartCount, startedAt: readTextFile(x.started)?.trim() ?? null };
  }

  /** Every container, newest first. */
  list(): ContainerInfo[] {
    return this.ids()
      .map((id) => this.info(id))
      .filter((c): c is ContainerInfo => c !== null)
      .sort((a, b) => (a.config.created < b.config.created ? 1 : -1));
  }

  /**
   * Puts right what killed processes left: a start whose ctr died before its monitor ran is
   * removed; a container whose monitor died is recorded as exited (code unknown) and its cgroup
   * taken down; an auto-removed container that exited is removed. Returns what is left, newest first.
   */
  reconcile(): ContainerInfo[] {
    const unlock = this.lock();
    const listed: ContainerInfo[] = [];
    // Whether something was found removed or dead: then the networks' leftovers are swept too.
    let swept = false;
    try {
      const ids = this.ids();
      for (const id of ids) {
        const dir = containerDir(this.root, id);
        const x = extraPaths(dir);
        let info = this.info(id, false);
        if (info === null || (info.pids === null && info.status !== "restarting")) {
          // No monitor ever ran: a start whose ctr died (or, with no creator recorded yet, one
          // that is older than a start takes), unless it is still under way.
          const creator = readProcessRef(x.creator);
          const gone = creator ? !isAlive(creator) : (ageSeconds(dir) ?? 0) > 2;
          if (!gone) {
            if (info) listed.push(info);
          } else if (info && files.exists(x.started) && !info.config.autoRemove) {
            // A start (or restart) of a container that exists was killed: it stays, Exited (unknown).
            writeAtomically(statePaths(dir).exit, JSON.stringify({ exitCode: -1, signal: 0, oomKilled: false, finishedAt: new Date().toISOString() }));
            listed.push(this.info(id, false)!);
          } else {
            this.removeDir(id, info?.config ?? readConfig(dir));
            swept = true;
          }
          continue;
        }
        let changed = false;
        if (info.status === "restarting") {
          // A restart whose process was killed during its back-off: it will not happen.
          const restarter = readProcessRef(x.restarting);
          if (!(restarter && isAlive(restarter))) {
            files.unlink(x.restarting);
            changed = true;
          }
        }
        if (info.status === "dead") {
          // The monitor was killed: its container died with it (its parent-death signal).
          if (info.config.cgroup) {
            try {
              removeCgroup(info.config.cgroup);
            } catch {
              /* retried by the next reconciliation */
            }
          }
          writeAtomically(statePaths(dir).exit, JSON.stringify({ exitCode: -1, signal: 0, oomKilled: false, finishedAt: new Date().toISOString() }));
          changed = true;
          swept = true;
        }
        // A container that ended with no one to give back its addresses and rules (a killed
        // monitor, a killed exit command): done here. Loaded only when there is such a thing.
        if ((info.exit !== null && info.status !== "restarting") || changed) {
          releaseNetworkIfHeld(this.root, dir);
        }
        if (changed) info = this.info(id, false)!;
        if (info.exit && info.status === "exited" && info.config.autoRemove) {
          this.removeDir(id, info.config);
          continue;
        }
        listed.push(info);
      }
      // A directory a killed ctr was making, not yet renamed into place.
      for (const name of files.readdir(containersDir(this.root)).filter((n) => n.startsWith(".new-"))) {
        const creator = readProcessRef(`${containersDir(this.root)}/${name}/creator`);
        if (!(creator && isAlive(creator))) files.removeTree(`${containersDir(this.root)}/${name}`);
      }
      if (swept && files.isDirectory(`${this.root}/networks`)) {
        const net = require("../net/attach") as typeof import("../net/attach");
        try {
          net.sweepNetworkOrphans(this.root, new Set(this.ids()));
        } catch {
          /* nftables unavailable: the next reconciliation tries again */
        }
      }
      // Names need no sweep: a name whose container is gone is free to claim (claimName) and
      // resolves to nothing (resolve).
    } finally {
      unlock();
    }
    return listed.sort((a, b) => (a.config.created < b.config.created ? 1 : -1));
  }

  /** Removes a container's directory and name (its processes must be gone). */
  removeDir(id: string, config: ContainerConfig | null): void {
    if (config?.name) this.releaseName(config.name, id);
    files.removeTree(containerDir(this.root, id));
  }
}

/** Records which process is creating a container (so a reconciliation leaves it alone). */
export function writeCreator(dir: string): void {
  files.writeFile(extraPaths(dir).creator, selfRef());
}

/** A container frozen by `pause` (cgroup v2 cgroup.freeze, v1 freezer.state). */
export function frozen(config: ContainerConfig): boolean {
  const cg = config.cgroup;
  if (!cg) return false;
  if (cg.version === "v2") return readTextFile(`${cg.own[0]}/cgroup.freeze`)?.trim() === "1";
  const freezer = cg.own.find((d) => d.includes("/freezer/"));
  return freezer !== undefined && readTextFile(`${freezer}/freezer.state`)?.trim() === "FROZEN";
}
