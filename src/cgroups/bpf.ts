// cgroup v2 has no devices files: device access is decided by an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup (as runc and crun do). This assembles the
// allow list into one: the default is deny, each rule is a block that returns 1 on a match. The
// monitor loads and attaches it (BPF_PROG_LOAD, BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI) as an op.
import type { DeviceRule } from "./devices";

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type = access << 16 | type
const DEV_BLOCK = 1;
const DEV_CHAR = 2;
const ACC = { m: 1, r: 2, w: 4 } as const;

// The few instructions used (struct bpf_insn: u8 code, u8 dst|src<<4, s16 off, s32 imm).
type Insn = [code: number, dst: number, src: number, off: number, imm: number];
const LDX_W = (dst: number, src: number, off: number): Insn => [0x61, dst, src, off, 0];
const AND32_K = (dst: number, imm: number): Insn => [0x54, dst, 0, 0, imm];
const RSH32_K = (dst: number, imm: number): Insn => [0x74, dst, 0, 0, imm];
const MOV32_X = (dst: number, src: number): Insn => [0xbc, dst, src, 0, 0];
const MOV64_K = (dst: number, imm: number): Insn => [0xb7, dst, 0, 0, imm];
const JNE_K = (dst: number, imm: number, off: number): Insn => [0x55, dst, 0, off, imm];
const JNE_X = (dst: number, src: number, off: number): Insn => [0x5d, dst, src, off, 0];
const EXIT: Insn = [0x95, 0, 0, 0, 0];

/** The program as instructions: r2 type, r3 access, r4 major, r5 minor; one block per rule. */
export function deviceProgram(rules: readonly DeviceRule[]): Insn[] {
  const prog: Insn[] = [LDX_W(2, 1, 0), AND32_K(2, 0xffff), LDX_W(3, 1, 0), RSH32_K(3, 16), LDX_W(4, 1, 4), LDX_W(5, 1, 8)];
  for (const r of rules) {
    const block: ((skip: number) => Insn)[] = [];
    if (r.type !== "a") block.push((skip) => JNE_K(2, r.type === "c" ? DEV_CHAR : DEV_BLOCK, skip));
    const mask = [...r.access].reduce((m, c) => m | ACC[c as keyof typeof ACC], 0);
    if (mask !== 7) {
      // Every requested bit must be allowed: (access & mask) == access.
      block.push(() => MOV32_X(1, 3), () => AND32_K(1, mask), (skip) => JNE_X(1, 3, skip));
    }
    if (r.major !== "*") block.push((skip) => JNE_K(4, r.major as number, skip));
    if (r.minor !== "*") block.push((skip) => JNE_K(5, r.minor as number, skip));
    const n = block.length + 2; // + r0 = 1; exit
    block.forEach((make, i) => prog.push(make(n - i - 1)));
    prog.push(MOV64_K(0, 1), EXIT);
  }
  prog.push(MOV64_K(0, 0), EXIT);
  return prog;
}

export function encode(prog: Insn[]): Buffer {
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, dst, src, off, imm], i) => {
    buf.writeUInt8(code, i * 8);
    buf.writeUInt8((src << 4) | dst, i * 8 + 1);
    buf.writeInt16LE(off, i * 8 + 2);
    buf.writeInt32LE(imm, i * 8 + 4);
  });
  return buf;
}
