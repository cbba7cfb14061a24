// The seccomp compiler, checked by running its BPF output in a small interpreter of classic BPF
// (as the device program's test does): which syscalls, with which arguments, get which answer.
import { describe, expect, test } from "bun:test";
import { compileProfile, RET } from "../../src/seccomp/compile";
import { DEFAULT_PROFILE } from "../../src/seccomp/default-profile";
import { syscallTable } from "../../src/seccomp/syscalls";
import type { SeccompProfile } from "../../src/seccomp/profile";
import { DEFAULT_CAPABILITIES } from "../../src/capabilities";
import { DEFAULT_FILTERS } from "../../src/seccomp/default-filters";
import { DEFAULT_FILTER_KERNEL } from "../../src/seccomp/default-filter-key";
import { seccompFilter } from "../../src/seccomp/index";

const AUDIT = { x64: 0xc000003e, x86: 0x40000003, arm64: 0xc00000b7 } as const;

/** Runs a classic BPF program over seccomp_data { nr, arch, ip, args[6] }. */
function run(filter: Buffer, arch: number, nr: number, args: bigint[] = []): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(nr, 0);
  data.writeUInt32LE(arch, 4);
  args.forEach((a, i) => data.writeBigUInt64LE(a, 16 + 8 * i));
  let A = 0;
  for (let pc = 0, steps = 0; steps < 100000; steps++) {
    const code = filter.readUInt16LE(pc * 8), jt = filter[pc * 8 + 2]!, jf = filter[pc * 8 + 3]!, k = filter.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: A = data.readUInt32LE(k); pc++; break;
      case 0x54: A = (A & k) >>> 0; pc++; break;
      case 0x05: pc += 1 + k; break;
      case 0x15: pc += 1 + (A === k ? jt : jf); break;
      case 0x25: pc += 1 + (A > k ? jt : jf); break;
      case 0x35: pc += 1 + (A >= k ? jt : jf); break;
      case 0x06: return k;
      default: throw new Error(`unknown opcode ${code.toString(16)} at ${pc}`);
    }
    if (pc * 8 >= filter.length) throw new Error("ran off the end");
  }
  throw new Error("no return");
}

const caps = DEFAULT_CAPABILITIES.map((c) => `CAP_${c}`);
const ctx = (over: Partial<Parameters<typeof compileProfile>[1]> = {}) => ({ native: "x64" as const, caps, kernel: [6, 18] as const, ...over });
const nr = (name: string, arch: "x64" | "x86" | "arm64" = "x64") => syscallTable(arch).get(name)!;
const EPERM = RET.ERRNO | 1;
const ENOSYS = RET.ERRNO | 38;

describe("seccomp: Docker's default profile", () => {
  const { filter, instructions } = compileProfile(DEFAULT_PROFILE, ctx());
  const x64 = (name: string, args: bigint[] = []) => run(filter, AUDIT.x64, nr(name), args);

  test("fits the kernel's limit and allows what every program needs", () => {
    expect(instructions).toBeLessThan(4096);
    for (const s of ["read", "write", "openat", "mmap", "execve", "exit_group", "futex", "clone", "rt_sigaction", "statx", "close_range"]) expect(x64(s, [0x11n])).toBe(RET.ALLOW);
  });
  test("refuses with EPERM what Docker refuses: unshare, mount, keyctl, kexec_load, reboot, setns, bpf", () => {
    for (const s of ["unshare", "mount", "umount2", "keyctl", "kexec_load", "reboot", "setns", "bpf", "add_key", "init_module", "open_by_handle_at", "pivot_root"]) expect(x64(s)).toBe(EPERM);
  });
  test("clone: a thread or fork is allowed, namespace flags are not; clone3 says ENOSYS", () => {
    expect(x64("clone", [0x11n /* SIGCHLD */])).toBe(RET.ALLOW);
    expect(x64("clone", [0x3d0f00n /* a pthread */])).toBe(RET.ALLOW);
    expect(x64("clone", [0x10000000n | 0x11n /* CLONE_NEWUSER */])).toBe(EPERM);
    expect(x64("clone", [0x20000000n | 0x11n /* CLONE_NEWPID */])).toBe(EPERM);
    expect(x64("clone3")).toBe(ENOSYS);
  });
  test("argument rules: personality by value, socket refuses AF_VSOCK only", () => {
    expect(x64("personality", [0n])).toBe(RET.ALLOW);
    expect(x64("personality", [0xffffffffn])).toBe(RET.ALLOW);
    expect(x64("personality", [0x0040000n /* ADDR_NO_RANDOMIZE */])).toBe(EPERM);
    expect(x64("personality", [0x1_0000_0000n])).toBe(EPERM); // the high word counts too
    expect(x64("socket", [2n])).toBe(RET.ALLOW);
    expect(x64("socket", [40n])).toBe(EPERM);
    expect(x64("socket", [40n | (1n << 32n)])).toBe(RET.ALLOW);
  });
  test("capabilities open their syscalls: CAP_SYS_ADMIN mount and unshare, CAP_SYS_PTRACE kcmp", () => {
    const admin = compileProfile(DEFAULT_PROFILE, ctx({ caps: [...caps, "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"] })).filter;
    for (const s of ["mount", "unshare", "setns", "kcmp", "clone3"]) expect(run(admin, AUDIT.x64, nr(s))).toBe(RET.ALLOW);
    expect(run(admin, AUDIT.x64, nr("clone"), [0x10000000n])).toBe(RET.ALLOW);
    expect(x64("kcmp")).toBe(EPERM);
    // ptrace itself is allowed on kernels from 4.8 on, as in Docker
    expect(x64("ptrace")).toBe(RET.ALLOW);
    expect(run(compileProfile(DEFAULT_PROFILE, ctx({ kernel: [4, 4] })).filter, AUDIT.x64, nr("ptrace"))).toBe(EPERM);
  });
  test("the i386 ABI has its own numbers and rules; x32 and unknown architectures do not pass", () => {
    expect(run(filter, AUDIT.x86, nr("socketcall", "x86"))).toBe(RET.ALLOW);
    expect(run(filter, AUDIT.x86, nr("mount", "x86"))).toBe(EPERM);
    expect(run(filter, AUDIT.x64, 0x40000000 | nr("read"))).toBe(EPERM);
    expect(run(filter, AUDIT.arm64, 63)).toBe(RET.KILL_PROCESS);
  });
  test("numbers newer than the table answer ENOSYS, so a libc can fall back", () => {
    const max = Math.max(...syscallTable("x64").values());
    expect(run(filter, AUDIT.x64, max + 1)).toBe(ENOSYS);
    expect(run(filter, AUDIT.x64, max)).not.toBe(ENOSYS);
  });
  test("aarch64 builds its own filter", () => {
    const arm = compileProfile(DEFAULT_PROFILE, ctx({ native: "arm64" })).filter;
    expect(run(arm, AUDIT.arm64, nr("openat", "arm64"))).toBe(RET.ALLOW);
    expect(run(arm, AUDIT.arm64, nr("unshare", "arm64"))).toBe(EPERM);
    expect(run(arm, AUDIT.x64, 0)).toBe(RET.KILL_PROCESS);
  });
});

describe("seccomp: profiles in Docker's format", () => {
  test("an errno action, comparisons in both words, and the default action", () => {
    const p: SeccompProfile = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [
        { names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38 },
        { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [{ index: 1, value: 9, op: "SCMP_CMP_EQ" }] },
        { names: ["dup2"], action: "SCMP_ACT_KILL_PROCESS", args: [{ index: 1, value: 100, op: "SCMP_CMP_GE" }] },
        { names: ["dup3"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 0x1_0000_0005, op: "SCMP_CMP_LT" }] },
        { names: ["fchmod"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 0o7000, valueTwo: 0o4000, op: "SCMP_CMP_MASKED_EQ" }] },
      ],
    };
    const f = compileProfile(p, ctx()).filter;
    const r = (name: string, args: bigint[] = []) => run(f, AUDIT.x64, nr(name), args);
    expect(r("mkdirat")).toBe(RET.ERRNO | 38);
    expect(r("getpid")).toBe(RET.ALLOW);
    expect(r("kill", [1n, 9n])).toBe(EPERM);
    expect(r("kill", [1n, 15n])).toBe(RET.ALLOW);
    expect(r("dup2", [0n, 99n])).toBe(RET.ALLOW);
    expect(r("dup2", [0n, 100n])).toBe(RET.KILL_PROCESS);
    expect(r("dup2", [0n, 1n << 40n])).toBe(RET.KILL_PROCESS);
    expect(r("dup3", [0n, 0x1_0000_0004n])).toBe(EPERM);
    expect(r("dup3", [0n, 0x1_0000_0005n])).toBe(RET.ALLOW);
    expect(r("dup3", [0n, 7n])).toBe(EPERM);
    expect(r("fchmod", [3n, 0o4755n])).toBe(EPERM);
    expect(r("fchmod", [3n, 0o2755n])).toBe(RET.ALLOW);
  });
});

describe("seccomp: the precompiled default filters", () => {
  test("are what the compiler makes today (else run scripts/gen-seccomp-default.ts)", () => {
    for (const native of ["x64", "arm64"] as const) {
      const now = compileProfile(DEFAULT_PROFILE, { native, caps, kernel: DEFAULT_FILTER_KERNEL });
      expect(DEFAULT_FILTERS[native].base64).toBe(now.filter.toString("base64"));
      expect(DEFAULT_FILTERS[native].summary).toBe(now.summary);
    }
  });
  test("are used only for the default profile and capabilities", () => {
    const dflt = seccompFilter({ mode: "default" }, [...DEFAULT_CAPABILITIES])!;
    const withAdmin = seccompFilter({ mode: "default" }, [...DEFAULT_CAPABILITIES, "SYS_ADMIN"])!;
    const native = process.arch === "arm64" ? "arm64" : "x64";
    expect(dflt.filter.toString("base64")).toBe(DEFAULT_FILTERS[native].base64);
    expect(withAdmin.filter.equals(dflt.filter)).toBe(false);
    expect(seccompFilter({ mode: "unconfined" }, [...DEFAULT_CAPABILITIES])).toBeNull();
  });
});
