// `ctr cp [-a] [-L] CONTAINER:SRC DEST|-` and `ctr cp [-a] [-L] SRC|- CONTAINER:DEST`.
import { UsageError } from "../errors";
import { out } from "../output";
import { copyIn, copyOut } from "../container/copy";
import { containerContext, defineCommand, infoOf } from "./containers";

/** `NAME:PATH` names a container path; a path with a slash before any colon is the host's. */
export function splitRef(arg: string): { container: string; path: string } | null {
  const colon = arg.indexOf(":");
  if (colon <= 0 || arg.slice(0, colon).includes("/")) return null;
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || "/" };
}

async function* stdinChunks(): AsyncGenerator<Buffer> {
  for await (const chunk of Bun.stdin.stream()) yield Buffer.from(chunk);
}

export const cpCommand = defineCommand(
  "cp",
  "Copy files between a container and the host (- is a tar stream on stdin or stdout)",
  "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       ctr cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
  {
    archive: { type: "boolean", alias: "a", description: "Keep owners (uid and gid) as they are" },
    "follow-link": { type: "boolean", alias: "L", description: "Follow a symlink that is the source" },
  },
  { min: 2, max: 2 },
  async (cl) => {
    const [src, dest] = cl.rest as [string, string];
    const from = splitRef(src);
    const to = splitRef(dest);
    if ((from === null) === (to === null)) throw new UsageError("cp: exactly one of the two paths must be CONTAINER:PATH");
    const o = { archive: cl.booleans.archive ?? false, followLink: cl.booleans["follow-link"] ?? false };
    const { store } = containerContext(cl);
    if (from) await copyOut(infoOf(store, from.container), from.path, dest, o, (b) => out(b));
    else await copyIn(src, infoOf(store, to!.container), to!.path, o, stdinChunks);
    return 0;
  },
);
