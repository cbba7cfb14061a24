// The native stage and monitor, embedded in the ctr executable (`just build` compiles
// ffi/stage/*.c to dist/ctr-stage.bin) and run from a sealed memfd: no file is written to run it,
// and no process, in a container or not, can ever write to it (CVE-2019-5736). The seals go on
// before the first exec; /proc/<pid>/exe of a monitor or stage leads to that memfd and nowhere else.
import stagePath from "../../dist/ctr-stage.bin" with { type: "file" };
import type { Sys } from "../sys/sys";

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
/** Linux 6.3+: ask for an executable memfd even where vm.memfd_noexec makes them non-exec. */
const MFD_EXEC = 0x10;
const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const F_SEAL_WRITE = 0x8;
const F_SEAL_FUTURE_WRITE = 0x10;
/** Linux 6.3+: its mode (and so its exec bits) cannot change either. */
const F_SEAL_EXEC = 0x20;

let bytes: Uint8Array | null = null;

/** The program's bytes (read once per ctr process). */
export async function stageBytes(): Promise<Uint8Array> {
  return (bytes ??= await Bun.file(stagePath).bytes());
}

/** A sealed, close-on-exec memfd holding the program; the caller passes it to the child it spawns. */
export async function sealedStage(sys: Sys): Promise<number> {
  const program = await stageBytes();
  let fd: number;
  try {
    fd = sys.memfdCreate("ctr-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  } catch {
    fd = sys.memfdCreate("ctr-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING); // before 6.3
  }
  try {
    sys.writeAll(fd, program, "memfd ctr-stage");
    const seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
    try {
      sys.addSeals(fd, seals | F_SEAL_EXEC);
    } catch {
      sys.addSeals(fd, seals);
    }
    sys.addSeals(fd, F_SEAL_SEAL);
  } catch (e) {
    sys.close(fd);
    throw e;
  }
  return fd;
}

/** A memfd holding data for a child to read (the op lists): not sealed, never executed. */
export function dataMemfd(sys: Sys, name: string, data: Uint8Array): number {
  const fd = sys.memfdCreate(name, MFD_CLOEXEC);
  try {
    sys.writeAll(fd, data, `memfd ${name}`);
  } catch (e) {
    sys.close(fd);
    throw e;
  }
  return fd;
}
