// A Program as the bytes the native program parses (format in ffi/stage/ops.h): "CTR1", three
// lists, each op a code and typed arguments. Pure.
import { MS } from "../../ffi/constants";
import { capMask, capNumber } from "../capabilities";
import { namespaceFlags } from "../namespaces";
import { MONITOR_FLAGS, OPCODES } from "./opcodes";
import { LISTS, type Op, type Program } from "./ops";

type Arg = null | number | bigint | string | Uint8Array;

const UNLIMITED = 0xffffffffffffffffn; // RLIM_INFINITY

function args(op: Op): Arg[] {
  switch (op.op) {
    case "wait-release":
    case "loopback-up":
    case "setsid":
    case "setresgid":
    case "setresuid":
    case "ambient-clear":
    case "no-new-privs":
    case "signals-default":
    case "release":
      return [];
    case "unshare":
      return [namespaceFlags(op.namespaces)];
    case "setns":
      return [op.fd, namespaceFlags(op.namespaces)];
    case "mount":
      return [op.source, op.target, op.fstype, op.flags.reduce((a, f) => a | MS[f], 0), op.data, { none: 0, mkdir: 1, directory: 2 }[op.ensure]];
    case "chdir":
    case "pivot-root":
    case "mask":
    case "readonly":
      return [op.path];
    case "mkdir":
    case "mkdir-all":
      return [op.path, op.mode];
    case "mknod":
      return [op.path, op.mode, op.major, op.minor];
    case "symlink":
      return [op.target, op.path];
    case "sethostname":
      return [op.name];
    case "user":
      return [op.user, op.group];
    case "console":
      return [op.rows, op.cols];
    case "rlimit": {
      const n = (x: number | "unlimited") => (x === "unlimited" ? UNLIMITED : BigInt(x));
      return [op.resource, n(op.soft), n(op.hard)];
    }
    case "capbset-drop":
      return [capNumber(op.cap)];
    case "keepcaps":
    case "dumpable":
      return [op.on ? 1 : 0];
    case "setgroups":
      return [op.gids.length, ...op.gids];
    case "pdeathsig":
      return [op.signal];
    case "capset":
      return [capMask(op.effective), capMask(op.permitted), capMask(op.inheritable), capMask(op.nonRoot.effective), capMask(op.nonRoot.permitted)];
    case "seccomp":
      return [op.filter, op.flags];
    case "close-from":
    case "wait-fifo":
      return [op.fd];
    case "open":
      return [op.path, op.flags, op.mode, op.fd];
    case "exec":
    case "exec-reaper":
      return [op.args.length, ...op.args, op.env.length, ...op.env, op.homeFromUser ? 1 : 0];
    case "bind-mount":
      return [op.source, op.rootfs, op.destination, op.readOnly ? 1 : 0, op.populate ? 1 : 0];
    case "monitor":
      return [op.flags.reduce((a, f) => a | MONITOR_FLAGS[f], 0), op.pidfile];
    case "cgroup-mkdir":
      return [op.path, op.own ? 1 : 0];
    case "cgroup-write":
      return [op.path, op.value];
    case "cgroup-device-filter":
      return [op.dir, op.program];
    case "log":
      return [op.path, op.maxBytes, op.maxFiles];
    case "join-pidns":
      return [op.fd];
    case "attach-socket":
      return [op.dir];
    case "netlink":
      return [op.message, op.pidOffset ?? 0xffffffff, op.ifname, op.indexOffset ?? 0xffffffff];
    case "exit":
      return [op.code];
    case "clone":
      return [namespaceFlags(op.namespaces), op.cgroup];
    case "cgroup-add":
      return [op.path];
    case "oom-count":
      return [op.file, op.key];
    case "cgroup-kill":
    case "cgroup-kill-procs":
    case "cgroup-rmdir":
    case "rmdir-if-empty":
      return [op.dir];
    case "exit-file":
      return [op.path];
    case "exit-command":
      return [op.args.length, ...op.args, op.env.length, ...op.env];
  }
}

const utf8 = new TextEncoder();

/** One growing buffer written through a DataView: a start encodes a few hundred arguments. */
class Writer {
  private buf = new Uint8Array(1 << 15);
  private view = new DataView(this.buf.buffer);
  private at = 0;
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }
  u32(n: number): void {
    this.room(4);
    this.view.setUint32(this.at, n >>> 0, true);
    this.at += 4;
  }
  bytes(data: Uint8Array): void {
    this.room(data.length + 6);
    this.buf[this.at++] = 2;
    this.u32(data.length);
    this.buf.set(data, this.at);
    this.at += data.length;
    this.buf[this.at++] = 0;
  }
  arg(a: Arg): void {
    if (a === null) {
      this.room(1);
      this.buf[this.at++] = 0;
    } else if (typeof a === "number" || typeof a === "bigint") {
      this.room(9);
      this.buf[this.at++] = 1;
      if (typeof a === "number" && Number.isSafeInteger(a) && a >= 0) {
        this.view.setUint32(this.at, a % 0x100000000, true);
        this.view.setUint32(this.at + 4, Math.floor(a / 0x100000000), true);
      } else this.view.setBigUint64(this.at, BigInt.asUintN(64, BigInt(a)), true);
      this.at += 8;
    } else if (typeof a === "string") {
      // At most 3 bytes per UTF-16 unit; the length is patched in after encoding.
      this.room(a.length * 3 + 6);
      this.buf[this.at] = 2;
      const { written } = utf8.encodeInto(a, this.buf.subarray(this.at + 5));
      this.view.setUint32(this.at + 1, written, true);
      if (this.buf.subarray(this.at + 5, this.at + 5 + written).includes(0)) throw new Error(`stage: a NUL byte in ${JSON.stringify(a)}`);
      this.at += 5 + written;
      this.buf[this.at++] = 0;
    } else this.bytes(a);
  }
  done(): Buffer {
    return Buffer.from(this.buf.buffer, 0, this.at);
  }
}

export function encodeProgram(p: Program): Buffer {
  const w = new Writer();
  w.u32(0x31525443); // "CTR1"
  w.u32(LISTS.length);
  for (const list of LISTS) {
    const ops: Op[] = p[list];
    w.u32(ops.length);
    for (const op of ops) {
      const a = args(op);
      w.u32(OPCODES[op.op]);
      w.u32(a.length);
      for (const x of a) w.arg(x);
    }
  }
  return w.done();
}
