// CTR_TRACE_SYS=1: log every call through the Sys seam with its arguments and outcome (strace for free).
import { log } from "../log";
import type { Sys } from "./sys";

export function traced(sys: Sys, enabled = process.env.CTR_TRACE_SYS === "1"): Sys {
  if (!enabled) return sys;
  return new Proxy(sys, {
    get(target, prop, receiver) {
      const fn = Reflect.get(target, prop, receiver);
      if (typeof fn !== "function") return fn;
      return (...args: unknown[]) => {
        const shown = args.map((a) => (a instanceof Uint8Array ? `<${a.length} bytes>` : JSON.stringify(a, (_, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)))).join(", ");
        try {
          const r = fn.apply(target, args);
          log.debug(`sys.${String(prop)}(${shown}) = ${r === undefined ? "ok" : String(r)}`);
          return r;
        } catch (e) {
          log.debug(`sys.${String(prop)}(${shown}) failed: ${(e as Error).message}`);
          throw e;
        }
      };
    },
  });
}
