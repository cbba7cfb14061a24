// Compiles reaper.c with bun:ffi's TinyCC. tcc reads only real paths (not the compiled binary's
// embedded files), so the source goes into a memfd and tcc reads /proc/self/fd/N.
import { cc, FFIType, ptr } from "bun:ffi";
import * as fs from "node:fs";
import source from "./reaper.c" with { type: "text" };
import { C } from "./libc";
import { cstr, cstrArray } from "./cstring";
import { MFD_CLOEXEC } from "./constants";

export type Reaper = (path: string, argv: string[], env: string[]) => number;

/** Compile once, early (tcc may need the host's files, which pivot_root takes away). */
export function compileReaper(): Reaper {
  const fd = C.memfd_create(ptr(cstr("ctr-reaper.c")), MFD_CLOEXEC);
  if (fd < 0) throw new Error("memfd_create for the --init reaper failed");
  fs.writeSync(fd, source);
  const lib = cc({
    source: `/proc/self/fd/${fd}`,
    symbols: { reaper_run: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } },
  });
  fs.closeSync(fd);
  return (path, argv, env) => {
    const p = cstr(path);
    const a = cstrArray(argv);
    const e = cstrArray(env);
    // Returns only if fork failed.
    const rc = lib.symbols.reaper_run(ptr(p), a.array, e.array);
    void [p, a.keep, e.keep];
    return rc;
  };
}
