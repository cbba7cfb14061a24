// The contract with the native program: op numbers (ops.h against opcodes.ts), the wire format,
// the monitor's event lines, and the messages written for a failed op.
import { describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { OPCODES, MONITOR_FLAGS, cName, type OpName } from "../../src/stage/opcodes";
import { encodeProgram } from "../../src/stage/encode";
import { parseEvent } from "../../src/stage/monitor";
import { describeOp, failureMessage } from "../../src/stage/describe";
import type { Program } from "../../src/stage/ops";

const header = fs.readFileSync(path.join(import.meta.dir, "../../ffi/stage/ops.h"), "utf8");

/** The format of ops.h, read back as the C parser does. */
function decode(buf: Buffer) {
  let at = 0;
  const u32 = () => ((at += 4), buf.readUInt32LE(at - 4));
  expect(buf.subarray(0, 4).toString()).toBe("CTR1");
  at = 4;
  const lists: { code: number; args: (null | bigint | Buffer)[] }[][] = [];
  for (let l = u32(); l > 0; l--) {
    const ops = [];
    for (let n = u32(); n > 0; n--) {
      const code = u32();
      const args: (null | bigint | Buffer)[] = [];
      for (let a = u32(); a > 0; a--) {
        const kind = buf[at++];
        if (kind === 0) args.push(null);
        else if (kind === 1) args.push(((at += 8), buf.readBigUInt64LE(at - 8)));
        else {
          const len = u32();
          args.push(buf.subarray(at, at + len));
          expect(buf[at + len]).toBe(0);
          at += len + 1;
        }
      }
      ops.push({ code, args });
    }
    lists.push(ops);
  }
  expect(at).toBe(buf.length);
  return lists;
}

describe("the op contract with ffi/stage/ops.h", () => {
  test("every op code and monitor flag has the same number on both sides", () => {
    for (const [name, code] of Object.entries(OPCODES)) {
      const m = new RegExp(`#define ${cName(name as OpName)} (\\d+)`).exec(header);
      expect(m?.[1], name).toBe(String(code));
    }
    const cOps = [...header.matchAll(/#define (OP_\w+) (\d+)/g)].filter((m) => !/reserved/.test(header.slice(m.index!, header.indexOf("\n", m.index!))));
    expect(cOps.length).toBe(Object.keys(OPCODES).length);
    for (const [flag, bit] of Object.entries(MONITOR_FLAGS)) {
      const m = new RegExp(`#define MON_${flag.toUpperCase()} (\\d+)`).exec(header);
      expect(m?.[1], flag).toBe(String(bit));
    }
  });

  test("the wire format: three lists, typed arguments, strings NUL-terminated, u64 for numbers", () => {
    const p: Program = {
      setup: [{ op: "monitor", flags: ["foreground", "debug"], pidfile: null }, { op: "clone", namespaces: ["mount", "pid"], cgroup: "/sys/fs/cgroup/x" }],
      child: [
        { op: "rlimit", type: "nofile", resource: 7, soft: 1024, hard: "unlimited" },
        { op: "exec", args: ["sh", "-c", "é"], env: ["A=1"], homeFromUser: true },
      ],
      teardown: [{ op: "exit-file", path: "/s/exit.json" }],
    };
    const [setup, child, teardown] = decode(encodeProgram(p));
    expect(setup).toEqual([
      { code: 100, args: [9n, null] },
      { code: 104, args: [0x20000n | 0x20000000n, Buffer.from("/sys/fs/cgroup/x")] },
    ]);
    expect(child![0]).toEqual({ code: 18, args: [7n, 1024n, 0xffffffffffffffffn] });
    expect(child![1]).toEqual({ code: 34, args: [3n, Buffer.from("sh"), Buffer.from("-c"), Buffer.from("é"), 1n, Buffer.from("A=1"), 1n] });
    expect(teardown).toEqual([{ code: 205, args: [Buffer.from("/s/exit.json")] }]);
  });

  test("a NUL byte in a string is refused: C would cut the path short", () => {
    expect(() => encodeProgram({ setup: [], child: [{ op: "chdir", path: "/a\0/b" }], teardown: [] })).toThrow("NUL byte");
  });
});

describe("the monitor's events", () => {
  test("each line, and unknown ones ignored", () => {
    expect(parseEvent("started 10 11 12345")).toEqual({ type: "started", monitorPid: 10, containerPid: 11, t0: 12345 });
    expect(parseEvent("error 1 7 2 127 0")).toEqual({ type: "error", list: 1, index: 7, errno: 2, exitCode: 127, detail: 0 });
    expect(parseEvent("done 1 3 99")).toEqual({ type: "done", list: 1, index: 3, ns: 99 });
    expect(parseEvent("exited 137 9 1")).toEqual({ type: "exited", exitCode: 137, signal: 9, oomKills: 1 });
    expect(parseEvent("running")).toEqual({ type: "running" });
    expect(parseEvent("hello 1")).toBeNull();
    expect(parseEvent("error x")).toBeNull();
  });
});

describe("messages for a failed op", () => {
  test("named as the user would name the step, with the errno's name and text", () => {
    const mount = { op: "mount" as const, source: "proc", target: "/proc", fstype: "proc", flags: ["NOSUID" as const, "NODEV" as const, "NOEXEC" as const], data: null, ensure: "directory" as const };
    expect(failureMessage(mount, 1, 125, 0)).toBe("mount proc on /proc (nosuid,nodev,noexec): EPERM (Operation not permitted)");
    expect(failureMessage(mount, 20, 125, 1)).toBe("rootfs: /proc must be a directory, not a symlink");
    const exec = { op: "exec" as const, args: ["foo"], env: [], homeFromUser: true };
    expect(failureMessage(exec, 2, 127, 0)).toBe('exec "foo": not found in rootfs');
    expect(failureMessage(exec, 13, 126, 0)).toBe('exec "foo": permission denied');
    expect(failureMessage(exec, 8, 126, 0)).toBe('exec "foo": exec format error');
    expect(failureMessage({ op: "user", user: "app", group: null }, 2, 125, 1)).toBe("unable to find user app: no matching entries in passwd file");
    expect(failureMessage({ op: "user", user: 0, group: "wheel" }, 2, 125, 2)).toBe("unable to find group wheel: no matching entries in group file");
    const write = { op: "cgroup-write" as const, path: "/sys/fs/cgroup/x/memory.max", value: "5", flag: "--memory" };
    expect(failureMessage(write, 2, 125, 0)).toBe("--memory: memory.max is not available on this host (/sys/fs/cgroup/x/memory.max)");
    expect(failureMessage(write, 16, 125, 0)).toBe('--memory: write "5" to /sys/fs/cgroup/x/memory.max: EBUSY (Device or resource busy)');
    expect(describeOp({ op: "pivot-root", path: "/r" })).toBe("pivot_root /r (old root detached)");
  });
});
