// The monitor of a detached container, driven directly through the start path (no CLI): it records
// the exit status and OOM kills once, writes every byte of output to the log in order with
// streams and partial lines marked, and rotates the log by size.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { CTR, haveBinary, isRoot, testCgroupParent, waitFor } from "../helpers/cli";
import { BUSYBOX, makeBusyboxRootfs, removeRootfs } from "../helpers/rootfs";
import { baseOptions } from "../helpers/options";
import { startDetached } from "../../src/container/lifecycle";
import { containerConfig } from "../../src/container/start";
import { createContainerDir, writeConfig, readExit, readPids, isAlive, statePaths } from "../../src/container/state";
import { parseLogRecord, streamText } from "../../src/container/logs";
import { detectCgroupHost } from "../../src/cgroups/host";
import { parseResources } from "../../src/cgroups/index";
import { newContainerId } from "../../src/cli/run-options";
import { LinuxSys } from "../../src/sys/linux";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined;
let R = "";
const { parent: PARENT, leftovers } = testCgroupParent("monitor");
const root = () => process.env.CTR_ROOT!;

async function detached(args: string[], o: { memory?: string; log?: { maxBytes: number; maxFiles: number } } = {}) {
  const id = newContainerId();
  const cgroups = detectCgroupHost();
  const options = baseOptions({
    id,
    rootfs: R,
    args,
    env: ["PATH=/bin"],
    cgroupParent: PARENT,
    resources: o.memory ? parseResources({ memory: o.memory }, { hostCpus: 2, deviceNumber: () => ({ major: 0, minor: 0 }) }) : {},
  });
  const dir = createContainerDir(root(), id);
  const config = containerConfig(options, cgroups, {
    name: null, image: null, autoRemove: false, restart: { name: "no", maximumRetryCount: 0 }, labels: {}, stopSignal: 15, stopTimeout: 10,
    log: o.log ?? { maxBytes: 0, maxFiles: 1 }, tty: false, interactive: false,
  });
  writeConfig(dir, config);
  const pids = await startDetached({ sys: new LinuxSys(), root: root(), cgroups, ctrPath: CTR }, config);
  return { id, dir, ...pids };
}

async function exitOf(dir: string) {
  expect(await waitFor(() => readExit(dir) !== null, 30000)).toBe(true);
  return readExit(dir)!;
}

describe.skipIf(!enabled)("the monitor of a detached container", () => {
  beforeAll(() => {
    R = makeBusyboxRootfs();
  });
  afterAll(async () => {
    expect(await waitFor(() => leftovers().length === 0, 10000), leftovers().join(" ")).toBe(true);
    removeRootfs(R);
  });

  test("records the exit status once: 0, 3, and 137 for SIGKILL; then it is gone", async () => {
    // A container's PID 1 ignores even SIGKILL from inside: the last one is killed from the host.
    for (const [args, code, signal] of [[["true"], 0, 0], [["sh", "-c", "exit 3"], 3, 0], [["sleep", "30"], 137, 9]] as const) {
      const c = await detached([...args]);
      if (signal) process.kill(c.containerPid, "SIGKILL");
      const exit = await exitOf(c.dir);
      expect([exit.exitCode, exit.signal, exit.oomKilled], args.join(" ")).toEqual([code, signal, false]);
      expect(Date.parse(exit.finishedAt)).toBeGreaterThan(Date.now() - 60000);
      const pids = readPids(c.dir)!;
      expect(pids.monitor.pid).toBe(c.monitorPid);
      expect(pids.init.pid).toBe(c.containerPid);
      expect(await waitFor(() => !isAlive(pids.monitor))).toBe(true);
      expect(fs.existsSync(`${statePaths(c.dir).exit}.tmp`)).toBe(false);
      fs.rmSync(c.dir, { recursive: true });
    }
  });

  test("records an OOM kill, with 137", async () => {
    const c = await detached(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], { memory: "32m" });
    const exit = await exitOf(c.dir);
    expect(exit).toMatchObject({ exitCode: 137, signal: 9, oomKilled: true });
    fs.rmSync(c.dir, { recursive: true });
  });

  test("the log holds all output in order, stdout and stderr apart, partial lines marked (10 MB)", async () => {
    const script = "printf partial; sleep 0.2; printf ' line\\n'; echo err >&2; yes 0123456789abcdef | head -c 10000000; printf tail";
    const c = await detached(["sh", "-c", script]);
    expect((await exitOf(c.dir)).exitCode).toBe(0);
    const lines = fs.readFileSync(statePaths(c.dir).log, "utf8").split("\n").filter(Boolean);
    const records = lines.map(parseLogRecord);
    expect(records.every((r) => r !== null)).toBe(true);
    const ok = records.filter((r) => r !== null);
    expect(ok[0]).toMatchObject({ stream: "stdout", partial: true, text: "partial" });
    expect(ok[1]).toMatchObject({ stream: "stdout", partial: false, text: " line" });
    const out = streamText(ok, "stdout");
    const body = "0123456789abcdef\n".repeat(Math.ceil(10_000_000 / 17)).slice(0, 10_000_000);
    expect(out.length).toBe("partial line\n".length + 10_000_000 + 4);
    expect(out === `partial line\n${body}tail`).toBe(true);
    expect(streamText(ok, "stderr")).toBe("err\n");
    // Times never go backwards, and carry nanoseconds.
    expect(ok.every((r, i) => i === 0 || r.time >= ok[i - 1]!.time)).toBe(true);
    expect(ok[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    fs.rmSync(c.dir, { recursive: true });
  });

  test("the log rotates by size and keeps the number of files it was given", async () => {
    const c = await detached(["sh", "-c", "yes 0123456789abcdef | head -c 3000000"], { log: { maxBytes: 500_000, maxFiles: 3 } });
    expect((await exitOf(c.dir)).exitCode).toBe(0);
    const log = statePaths(c.dir).log;
    expect(fs.existsSync(log) && fs.existsSync(`${log}.1`) && fs.existsSync(`${log}.2`)).toBe(true);
    expect(fs.existsSync(`${log}.3`)).toBe(false);
    for (const f of [log, `${log}.1`, `${log}.2`]) expect(fs.statSync(f).size).toBeLessThan(500_000 + 33_000);
    // The newest records are in the current file: its last stdout line is the end of the output.
    const last = fs.readFileSync(log, "utf8").trim().split("\n").at(-1)!;
    expect(parseLogRecord(last)?.stream).toBe("stdout");
    fs.rmSync(c.dir, { recursive: true });
  });
});
