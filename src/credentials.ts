// Who the container process is: bounding set, uid/gid, capability sets, no_new_privs.
// Order after runc's finalizeNamespace: drop from the bounding set while we still hold CAP_SETPCAP,
// switch ids with KEEPCAPS so the permitted set survives, then set the final sets with capset.
import { PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, SIGNALS } from "../ffi/constants";
import { CAPABILITIES, capMask, capNumber, type Capability } from "./capabilities";
import type { InitPlan } from "./plan/schema";
import type { Sys } from "./sys/sys";
import type { ExecUser } from "./user";

export function applyCredentials(sys: Sys, proc: InitPlan["process"], user: ExecUser, privileged: boolean): void {
  const available = CAPABILITIES.filter((c) => sys.capBoundingHas(capNumber(c)));
  const want = (set: readonly Capability[]) => {
    const missing = set.filter((c) => !available.includes(c));
    // --privileged means "everything this host lets ctr have"; an explicit cap must really be granted.
    if (missing.length && !privileged) {
      throw new Error(`capabilities: ${missing.map((c) => `CAP_${c}`).join(", ")} not in ctr's own bounding set on this host`);
    }
    return set.filter((c) => available.includes(c));
  };
  const bounding = want(proc.capabilities.bounding);
  for (const c of available) if (!bounding.includes(c)) sys.capBoundingDrop(capNumber(c));

  sys.prctl(PR_SET_KEEPCAPS, 1, "PR_SET_KEEPCAPS");
  sys.setgroups([]);
  sys.setresgid(user.gid);
  sys.setresuid(user.uid);
  sys.prctl(PR_SET_KEEPCAPS, 0, "PR_SET_KEEPCAPS");
  // A credential change clears the parent-death signal; set it again so ctr's death still ends us.
  sys.prctl(PR_SET_PDEATHSIG, SIGNALS.SIGKILL!, "PR_SET_PDEATHSIG");

  // As Docker: a non-root user keeps the bounding set but holds no capabilities.
  const isRoot = user.uid === 0;
  sys.capset({
    effective: isRoot ? capMask(want(proc.capabilities.effective)) : 0n,
    permitted: isRoot ? capMask(want(proc.capabilities.permitted)) : 0n,
    inheritable: capMask(want(proc.capabilities.inheritable)),
  });
  sys.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, "PR_CAP_AMBIENT_CLEAR_ALL");
  if (proc.noNewPrivileges) sys.prctl(PR_SET_NO_NEW_PRIVS, 1, "PR_SET_NO_NEW_PRIVS");
}
