// Ops as a person reads them: one line each for --dry-run and --log-level debug, and the message
// for an op that failed ("mount proc on /proc (nosuid,nodev,noexec): EPERM (Operation not
// permitted)"). The native program reports only (list, index, errno); the words are made here.
import { errnoName, errnoText } from "../../ffi/errno";
import { describeNamespaces } from "../namespaces";
import { EXIT } from "../errors";
import type { Op } from "./ops";

const capList = (caps: readonly string[]) => (caps.length ? caps.map((c) => `CAP_${c}`).join(" ") : "(none)");
const oct = (n: number) => (n & 0o7777).toString(8);

export function describeOp(op: Op): string {
  switch (op.op) {
    case "wait-release":
      return "wait until the monitor has placed this process in its cgroups";
    case "unshare":
      return `unshare ${describeNamespaces(op.namespaces)}`;
    case "setns":
      return `setns ${op.what} (${describeNamespaces(op.namespaces)})`;
    case "mount": {
      const opts = [...op.flags.map((f) => f.toLowerCase()), ...(op.data ? [op.data] : [])].join(",");
      return `mount ${op.fstype ?? op.source ?? "none"} on ${op.target}${opts ? ` (${opts})` : ""}`;
    }
    case "chdir":
      return `chdir ${op.path}`;
    case "pivot-root":
      return `pivot_root ${op.path} (old root detached)`;
    case "mkdir":
      return `mkdir ${op.path} (mode ${oct(op.mode)})`;
    case "mkdir-all":
      return `mkdir -p ${op.path} (mode ${oct(op.mode)})`;
    case "mknod":
      return `mknod ${op.path} c ${op.major} ${op.minor} (mode ${oct(op.mode)})`;
    case "symlink":
      return `symlink ${op.path} -> ${op.target}`;
    case "mask":
      return `mask ${op.path}`;
    case "readonly":
      return `read-only ${op.path}`;
    case "sethostname":
      return `sethostname ${op.name}`;
    case "loopback-up":
      return "network: lo up";
    case "user":
      return `user ${op.user}${op.group === null ? "" : `:${op.group}`} (looked up in the container's /etc/passwd and /etc/group)`;
    case "console":
      return `console: a pty of the container's devpts as stdin, stdout, stderr and controlling terminal (${op.rows}x${op.cols})`;
    case "setsid":
      return "setsid";
    case "rlimit":
      return `setrlimit RLIMIT_${op.type.toUpperCase()} ${op.soft}:${op.hard}`;
    case "capbset-drop":
      return `drop CAP_${op.cap} from the bounding set`;
    case "keepcaps":
      return `prctl PR_SET_KEEPCAPS ${op.on ? 1 : 0}`;
    case "setgroups":
      return `setgroups [${op.gids.join(",")}]`;
    case "setresgid":
      return "setresgid (the user's gid)";
    case "setresuid":
      return "setresuid (the user's uid)";
    case "pdeathsig":
      return `prctl PR_SET_PDEATHSIG ${op.signal}`;
    case "capset":
      return `capset effective ${capList(op.effective)}; permitted ${capList(op.permitted)}; inheritable ${capList(op.inheritable)}` + (op.nonRoot.effective.length === 0 && op.effective.length ? " (none unless uid 0)" : "");
    case "ambient-clear":
      return "clear the ambient capabilities";
    case "no-new-privs":
      return "prctl PR_SET_NO_NEW_PRIVS 1";
    case "seccomp":
      return `seccomp filter: ${op.summary}`;
    case "dumpable":
      return `prctl PR_SET_DUMPABLE ${op.on ? 1 : 0}`;
    case "close-from":
      return `close_range ${op.fd}.. (close on exec)`;
    case "signals-default":
      return "default signal dispositions, nothing blocked";
    case "open":
      return `open ${op.path} as fd ${op.fd}`;
    case "wait-fifo":
      return `wait for \`start\` (the exec FIFO, fd ${op.fd})`;
    case "exec":
      return `exec ${JSON.stringify(op.args)}`;
    case "exec-reaper":
      return `exec ${JSON.stringify(op.args)} under an init that forwards signals and reaps zombies (--init)`;
    case "bind-mount":
      return `bind ${op.source} on ${op.destination}${op.readOnly ? " (read-only)" : ""} (resolved inside ${op.rootfs})${op.populate ? ", filled first with what the image has there" : ""}`;
    case "monitor":
      return `monitor: ${op.flags.join(", ") || "detached"}${op.pidfile ? `; pids to ${op.pidfile}` : ""}`;
    case "cgroup-mkdir":
      return `mkdir ${op.path}${op.own ? "" : " (if missing)"}`;
    case "cgroup-write":
      return `write ${JSON.stringify(op.value)} to ${op.path}`;
    case "cgroup-device-filter":
      return `attach eBPF device filter to ${op.dir}: allow ${op.rules}; deny the rest`;
    case "log":
      return `log stdout and stderr to ${op.path} (k8s-file; rotate at ${op.maxBytes || "no limit"} bytes, ${op.maxFiles} file(s))`;
    case "netlink":
      return `netlink ${op.what}`;
    case "exit":
      return `exit ${op.code} (nothing to run)`;
    case "attach-socket":
      return `serve stdin, stdout and stderr to ctr attach on ${op.dir}/attach.sock`;
    case "join-pidns":
      return `join the pid namespace of fd ${op.fd} for the container's first process`;
    case "clone":
      return `clone3 the container's first process: ${describeNamespaces(op.namespaces)}${op.cgroup ? `, into ${op.cgroup}` : ""}`;
    case "cgroup-add":
      return `write <container pid> to ${op.path}`;
    case "release":
      return "release the container's first process";
    case "oom-count":
      return `count OOM kills ("${op.key}" in ${op.file})`;
    case "cgroup-kill":
      return `kill what is left in ${op.dir} (cgroup.kill)`;
    case "cgroup-kill-procs":
      return `kill what is left in ${op.dir} (cgroup.procs)`;
    case "cgroup-rmdir":
      return `rmdir ${op.dir}`;
    case "rmdir-if-empty":
      return `rmdir ${op.dir} (if nothing else uses it)`;
    case "exit-file":
      return `record the exit status in ${op.path}`;
    case "exit-command":
      return `exec ${JSON.stringify(op.args)}`;
  }
}

/** The message for an op the native program reports as failed. */
export function failureMessage(op: Op | undefined, errno: number, exitCode: number, detail: number): string {
  const why = `${errnoName(errno)} (${errnoText(errno)})`;
  if (op === undefined) return `stage: a malformed op list: ${why}`;
  switch (op.op) {
    case "exec":
    case "exec-reaper": {
      const cmd = JSON.stringify(op.args[0]);
      if (exitCode === EXIT.NOT_FOUND) return `exec ${cmd}: not found in rootfs`;
      if (errnoName(errno) === "EACCES") return `exec ${cmd}: permission denied`;
      if (errnoName(errno) === "ENOEXEC") return `exec ${cmd}: exec format error`;
      return `exec ${cmd}: ${why}`;
    }
    case "user":
      if (detail === 1) return `unable to find user ${op.user}: no matching entries in passwd file`;
      if (detail === 2) return `unable to find group ${op.group}: no matching entries in group file`;
      break;
    case "mount":
      if (op.ensure === "directory" && detail > 0) return `rootfs: ${op.target} must be a directory, not a ${detail === 1 ? "symlink" : "file"}`;
      break;
    case "cgroup-write": {
      const file = op.path.slice(op.path.lastIndexOf("/") + 1);
      if (errnoName(errno) === "ENOENT") return `${op.flag}: ${file} is not available on this host (${op.path})`;
      return `${op.flag}: write ${JSON.stringify(op.value)} to ${op.path}: ${why}`;
    }
  }
  return `${describeOp(op)}: ${why}`;
}
