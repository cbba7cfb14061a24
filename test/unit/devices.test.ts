// The device allow list: v1's files, and the v2 eBPF program, run here by a small interpreter of
// the instructions it uses, against the requests the kernel would make.
import { describe, expect, test } from "bun:test";
import { deviceProgram } from "../../src/cgroups/bpf";
import { DEFAULT_DEVICE_RULES, v1DeviceWrites } from "../../src/cgroups/devices";

/** Runs the program on bpf_cgroup_dev_ctx {access<<16|type, major, minor}; returns r0. */
function evaluate(prog: ReturnType<typeof deviceProgram>, type: "c" | "b", major: number, minor: number, access: string): number {
  const ctx = [((access.includes("m") ? 1 : 0) | (access.includes("r") ? 2 : 0) | (access.includes("w") ? 4 : 0)) * 65536 + (type === "c" ? 2 : 1), major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0; pc < prog.length; pc++) {
    const [code, dst, src, off, imm] = prog[pc]!;
    switch (code) {
      case 0x61: r[dst] = ctx[off / 4]!; break; // ldxw from r1 (the context)
      case 0x54: r[dst] = (r[dst]! & imm) >>> 0; break;
      case 0x74: r[dst] = r[dst]! >>> imm; break;
      case 0xbc: r[dst] = r[src]!; break;
      case 0xb7: r[dst] = imm; break;
      case 0x55: if (r[dst] !== imm) pc += off; break;
      case 0x5d: if (r[dst] !== r[src]) pc += off; break;
      case 0x95: return r[0]!;
      default: throw new Error(`unexpected opcode ${code.toString(16)}`);
    }
  }
  throw new Error("fell off the end");
}

describe("device allow list", () => {
  const prog = deviceProgram(DEFAULT_DEVICE_RULES);
  test("the v2 program allows the default devices and ptys, and mknod of anything", () => {
    expect(evaluate(prog, "c", 1, 3, "rw")).toBe(1); // /dev/null
    expect(evaluate(prog, "c", 5, 2, "rw")).toBe(1); // ptmx
    expect(evaluate(prog, "c", 136, 7, "rw")).toBe(1); // a pty
    expect(evaluate(prog, "c", 10, 200, "rw")).toBe(1); // tun
    expect(evaluate(prog, "b", 8, 0, "m")).toBe(1); // mknod is allowed...
    expect(evaluate(prog, "c", 10, 259, "m")).toBe(1);
  });
  test("...but not reading or writing other devices", () => {
    expect(evaluate(prog, "b", 8, 0, "r")).toBe(0); // a disk
    expect(evaluate(prog, "b", 8, 0, "rw")).toBe(0);
    expect(evaluate(prog, "c", 10, 259, "r")).toBe(0); // cpu_dma_latency
    expect(evaluate(prog, "c", 1, 1, "r")).toBe(0); // /dev/mem
    expect(evaluate(prog, "c", 4, 1, "w")).toBe(0); // a host console
    expect(evaluate(prog, "c", 1, 3, "rwm")).toBe(1);
    expect(evaluate(prog, "b", 1, 3, "r")).toBe(0); // the type matters
  });
  test("v1: deny everything, then the same allow list; --privileged allows all", () => {
    const w = v1DeviceWrites(false);
    expect(w[0]).toEqual({ file: "devices.deny", value: "a" });
    expect(w.slice(1).map((x) => x.value)).toContain("c 136:* rwm");
    expect(w.slice(1).map((x) => x.value)).toContain("b *:* m");
    expect(v1DeviceWrites(true)).toEqual([{ file: "devices.allow", value: "a" }]);
  });
});
