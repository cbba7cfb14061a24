// A seccomp profile → a classic BPF filter, in TypeScript (no libseccomp). The stage loads the
// bytes as its last op before execve. Layout of the program:
//
//   load arch; one jump per architecture the profile covers; any other arch: kill the process
//   per architecture: load the syscall number; x32 numbers: the default action; numbers newer than
//   this table knows: ENOSYS (so a libc falls back, as runc does); then a binary search over the
//   number space cut into intervals of one outcome each (a run of allowed syscalls is one
//   interval), each leaf jumping to a shared "allow", the default action, or one syscall's rules
//   (argument checks, first match wins).
//
// Conditional jumps only ever skip one instruction; every longer jump is a JA with a 32-bit offset,
// so the program can be any size up to the kernel's 4096 instructions.
import { syscallTable, type SeccompArch } from "./syscalls";
import type { SeccompAction, SeccompProfile, SyscallRule } from "./profile";

const AUDIT_ARCH: Record<SeccompArch, number> = { x64: 0xc000003e, x86: 0x40000003, arm64: 0xc00000b7 };
/** x32 syscalls arrive with AUDIT_ARCH_X86_64 and this bit set in the number. */
const X32_SYSCALL_BIT = 0x40000000;
/** Docker's names for architectures (includes.arches) and libseccomp's (archMap). */
const DOCKER_ARCH: Record<SeccompArch, string> = { x64: "amd64", x86: "x86", arm64: "arm64" };
const SCMP_ARCH: Record<string, SeccompArch> = { SCMP_ARCH_X86_64: "x64", SCMP_ARCH_X86: "x86", SCMP_ARCH_AARCH64: "arm64" };

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

const ENOSYS = 38;
const EPERM = 1;

// Classic BPF opcodes.
const LD_W_ABS = 0x20;
const ALU_AND_K = 0x54;
const JMP_JA = 0x05;
const JMP_JEQ = 0x15;
const JMP_JGT = 0x25;
const JMP_JGE = 0x35;
const RET_K = 0x06;

type Label = { readonly name: string };
type Insn = { code: number; jt: number; jf: number; k: number | Label };

class Assembler {
  readonly insns: Insn[] = [];
  private readonly at = new Map<Label, number>();
  label(name: string): Label {
    return { name };
  }
  place(l: Label): void {
    this.at.set(l, this.insns.length);
  }
  ld(offset: number): void {
    this.insns.push({ code: LD_W_ABS, jt: 0, jf: 0, k: offset });
  }
  and(k: number): void {
    this.insns.push({ code: ALU_AND_K, jt: 0, jf: 0, k });
  }
  ret(k: number): void {
    this.insns.push({ code: RET_K, jt: 0, jf: 0, k });
  }
  ja(l: Label): void {
    this.insns.push({ code: JMP_JA, jt: 0, jf: 0, k: l });
  }
  /** Jump to `to` when (A op k) holds, else fall through. */
  jumpIf(op: number, k: number, to: Label): void {
    this.insns.push({ code: op, jt: 0, jf: 1, k });
    this.ja(to);
  }
  /** Jump to `to` when (A op k) does not hold, else fall through. */
  jumpUnless(op: number, k: number, to: Label): void {
    this.insns.push({ code: op, jt: 1, jf: 0, k });
    this.ja(to);
  }
  bytes(): Buffer {
    const out = Buffer.alloc(this.insns.length * 8);
    this.insns.forEach((ins, pc) => {
      let k = ins.k;
      if (typeof k !== "number") {
        const target = this.at.get(k);
        if (target === undefined) throw new Error(`seccomp: label ${k.name} was never placed`);
        k = target - (pc + 1);
      }
      out.writeUInt16LE(ins.code, pc * 8);
      out.writeUInt8(ins.jt, pc * 8 + 2);
      out.writeUInt8(ins.jf, pc * 8 + 3);
      out.writeUInt32LE(k >>> 0, pc * 8 + 4);
    });
    return out;
  }
}

export interface CompileContext {
  /** The machine's architecture. */
  native: "x64" | "arm64";
  /** The container's bounding set, as CAP_ names: includes/excludes by capability use it (as Docker). */
  caps: readonly string[];
  /** The running kernel's version, for includes.minKernel. */
  kernel: readonly [number, number];
}

export interface CompiledFilter {
  filter: Buffer;
  instructions: number;
  summary: string;
}

function actionValue(action: SeccompAction, errno: number | null | undefined, fallbackErrno: number): number {
  switch (action) {
    case "SCMP_ACT_ALLOW":
      return RET.ALLOW;
    case "SCMP_ACT_ERRNO":
      return RET.ERRNO | ((errno ?? fallbackErrno) & 0xffff);
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return RET.KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return RET.KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return RET.TRAP;
    case "SCMP_ACT_LOG":
      return RET.LOG;
    case "SCMP_ACT_TRACE":
      // No tracer is ever attached by ctr: the kernel answers ENOSYS.
      return RET.TRACE | ((errno ?? ENOSYS) & 0xffff);
  }
}

function kernelAtLeast(have: readonly [number, number], want: string): boolean {
  const [maj = 0, min = 0] = want.split(".").map(Number);
  return have[0] > maj || (have[0] === maj && have[1] >= min);
}

/** Docker's rule selection: includes must all hold, excludes must not. */
function applies(rule: SyscallRule, ctx: CompileContext): boolean {
  const native = DOCKER_ARCH[ctx.native];
  const inc = rule.includes;
  if (inc?.arches?.length && !inc.arches.includes(native)) return false;
  if (inc?.caps?.length && !inc.caps.every((c) => ctx.caps.includes(c))) return false;
  if (inc?.minKernel && !kernelAtLeast(ctx.kernel, inc.minKernel)) return false;
  const exc = rule.excludes;
  if (exc?.arches?.includes(native)) return false;
  if (exc?.caps?.some((c) => ctx.caps.includes(c))) return false;
  return true;
}

/** The architectures a profile covers on this machine: the native one and supported sub-arches. */
export function profileArches(profile: SeccompProfile, native: "x64" | "arm64"): SeccompArch[] {
  const listed = new Set<string>();
  for (const m of profile.archMap ?? []) {
    if (SCMP_ARCH[m.architecture] === native) for (const s of m.subArchitectures ?? []) listed.add(s);
  }
  for (const a of profile.architectures ?? []) listed.add(a);
  const subs = [...listed].map((a) => SCMP_ARCH[a]).filter((a): a is SeccompArch => a !== undefined && a !== native && (native === "x64" ? a === "x86" : false));
  return [native, ...new Set(subs)];
}

interface ArgRule {
  args: NonNullable<SyscallRule["args"]>;
  value: number;
}

export function compileProfile(profile: SeccompProfile, ctx: CompileContext): CompiledFilter {
  if (profile.listenerPath) throw new Error("seccomp: SCMP_ACT_NOTIFY listeners are not supported");
  const fallbackErrno = profile.defaultErrnoRet ?? EPERM;
  const defaultValue = actionValue(profile.defaultAction, profile.defaultErrnoRet, EPERM);
  const rules = (profile.syscalls ?? []).filter((r) => applies(r, ctx));
  const arches = profileArches(profile, ctx.native);
  const asm = new Assembler();
  const killArch = asm.label("bad arch");
  const archLabels = arches.map((a) => asm.label(`arch ${a}`));

  asm.ld(4); // seccomp_data.arch
  arches.forEach((a, i) => asm.jumpIf(JMP_JEQ, AUDIT_ARCH[a], archLabels[i]!));
  asm.place(killArch);
  asm.ret(RET.KILL_PROCESS);

  let allowed = 0;
  arches.forEach((arch, i) => {
    const table = syscallTable(arch);
    // number → its rules in profile order (first match wins)
    const byNr = new Map<number, ArgRule[]>();
    for (const r of rules) {
      const names = [...(r.names ?? []), ...(r.name ? [r.name] : [])];
      for (const name of names) {
        const nr = table.get(name);
        if (nr === undefined) continue; // not a syscall of this architecture
        const list = byNr.get(nr) ?? [];
        list.push({ args: r.args ?? [], value: actionValue(r.action, r.errnoRet, fallbackErrno) });
        byNr.set(nr, list);
      }
    }
    const entries = [...byNr.entries()].sort((a, b) => a[0] - b[0]);
    if (i === 0) allowed = entries.filter(([, rs]) => rs.some((r) => r.value === RET.ALLOW)).length;
    const deflt = asm.label(`${arch} default`);
    const enosys = asm.label(`${arch} enosys`);
    const allow = asm.label(`${arch} allow`);
    const blocks = entries.map(([nr, rs]) => ({ nr, rs, label: rs.length === 1 && rs[0]!.args.length === 0 && rs[0]!.value === RET.ALLOW ? allow : asm.label(`${arch} ${nr}`) }));

    asm.place(archLabels[i]!);
    asm.ld(0); // seccomp_data.nr
    if (arch === "x64") asm.jumpIf(JMP_JGE, X32_SYSCALL_BIT, deflt);
    asm.jumpIf(JMP_JGT, Math.max(...table.values()), enosys);
    // The numbers 0..max as intervals of equal outcome (runs of allowed syscalls become one),
    // searched in a balanced tree: about log2(intervals) compares per syscall.
    const max = Math.max(...table.values());
    const labelOf = new Map(blocks.map((b) => [b.nr, b.label]));
    const intervals: { start: number; label: Label }[] = [];
    for (let nr = 0; nr <= max; nr++) {
      const label = labelOf.get(nr) ?? deflt;
      if (intervals.at(-1)?.label !== label) intervals.push({ start: nr, label });
    }
    const tree = (list: typeof intervals): void => {
      if (list.length === 1) return asm.ja(list[0]!.label);
      const mid = list.length >> 1;
      const right = asm.label(`${arch} >= ${list[mid]!.start}`);
      asm.jumpIf(JMP_JGE, list[mid]!.start, right);
      tree(list.slice(0, mid));
      asm.place(right);
      tree(list.slice(mid));
    };
    tree(intervals);
    for (const b of blocks) {
      if (b.label === allow) continue;
      asm.place(b.label);
      for (const r of b.rs) {
        const next = asm.label(`${arch} ${b.nr} next`);
        for (const c of r.args) emitArgCheck(asm, c, next);
        asm.ret(r.value);
        asm.place(next);
      }
      asm.ret(defaultValue);
    }
    asm.place(allow);
    asm.ret(RET.ALLOW);
    asm.place(enosys);
    asm.ret(RET.ERRNO | ENOSYS);
    asm.place(deflt);
    asm.ret(defaultValue);
  });

  const filter = asm.bytes();
  if (asm.insns.length > 4096) throw new Error(`seccomp: the profile compiles to ${asm.insns.length} instructions, more than the kernel's 4096`);
  const archNames = arches.map((a) => ({ x64: "x86_64", x86: "i386", arm64: "aarch64" })[a]).join(", ");
  return { filter, instructions: asm.insns.length, summary: `${allowed} syscalls with allow rules (${archNames}), default ${describeAction(profile.defaultAction, fallbackErrno)}; ${asm.insns.length} BPF instructions` };
}

function describeAction(a: SeccompAction, errno: number): string {
  return a === "SCMP_ACT_ERRNO" ? `errno ${errno}` : a.replace("SCMP_ACT_", "").toLowerCase();
}

/** One argument condition (64-bit, in two 32-bit words); jumps to `fail` when it does not hold. */
function emitArgCheck(asm: Assembler, c: NonNullable<SyscallRule["args"]>[number], fail: Label): void {
  const lo = 16 + 8 * c.index; // seccomp_data.args[i]; both architectures are little-endian
  const hi = lo + 4;
  const split = (n: number) => {
    const b = BigInt(n);
    return [Number(b >> 32n), Number(b & 0xffffffffn)] as const;
  };
  const [vhi, vlo] = split(c.value);
  const ok = asm.label("arg ok");
  switch (c.op) {
    case "SCMP_CMP_EQ":
      asm.ld(hi);
      asm.jumpUnless(JMP_JEQ, vhi, fail);
      asm.ld(lo);
      asm.jumpUnless(JMP_JEQ, vlo, fail);
      break;
    case "SCMP_CMP_NE":
      asm.ld(hi);
      asm.jumpUnless(JMP_JEQ, vhi, ok);
      asm.ld(lo);
      asm.jumpIf(JMP_JEQ, vlo, fail);
      break;
    case "SCMP_CMP_MASKED_EQ": {
      const [dhi, dlo] = split(c.valueTwo ?? 0);
      asm.ld(hi);
      asm.and(vhi);
      asm.jumpUnless(JMP_JEQ, dhi, fail);
      asm.ld(lo);
      asm.and(vlo);
      asm.jumpUnless(JMP_JEQ, dlo, fail);
      break;
    }
    case "SCMP_CMP_GT":
    case "SCMP_CMP_GE":
      asm.ld(hi);
      asm.jumpIf(JMP_JGT, vhi, ok);
      asm.jumpUnless(JMP_JEQ, vhi, fail);
      asm.ld(lo);
      asm.jumpUnless(c.op === "SCMP_CMP_GT" ? JMP_JGT : JMP_JGE, vlo, fail);
      break;
    case "SCMP_CMP_LT":
    case "SCMP_CMP_LE":
      asm.ld(hi);
      asm.jumpIf(JMP_JGT, vhi, fail);
      asm.jumpUnless(JMP_JEQ, vhi, ok);
      asm.ld(lo);
      asm.jumpIf(c.op === "SCMP_CMP_LT" ? JMP_JGE : JMP_JGT, vlo, fail);
      break;
  }
  asm.place(ok);
}
