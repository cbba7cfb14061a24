// `ctr commit [-c CHANGE] [-m MSG] [-a AUTHOR] [-p] CONTAINER [NAME[:TAG]]`: prints the new image's id.
import { ExitError } from "../errors";
import { out } from "../output";
import { freeze } from "../container/lifecycle";
import type { ContainerInfo } from "../container/store";
import { ImageStore } from "../image/store";
import { commitImage } from "../image/commit";
import { containerContext, defineCommand, infoOf } from "./containers";

/** The container's own settings, as Docker puts them in a committed image's config. */
function settingsOf(info: ContainerInfo, parentEntrypoint: string[]): Record<string, unknown> & { Env: string[] } {
  const p = info.config.process;
  const args = p.args;
  // The image's entrypoint stays; what followed it was the container's Cmd.
  const hasEntry = parentEntrypoint.length > 0 && parentEntrypoint.every((a, i) => args[i] === a);
  const user = typeof p.user.user === "number" && p.user.user === 0 && p.user.group === null ? undefined : `${p.user.user}${p.user.group === null ? "" : `:${p.user.group}`}`;
  return {
    Env: p.env.filter((e) => !e.startsWith("HOSTNAME=")),
    ...(hasEntry ? { Entrypoint: parentEntrypoint, Cmd: args.slice(parentEntrypoint.length) } : { Cmd: args }),
    WorkingDir: p.cwd,
    ...(user ? { User: user } : {}),
    ...(Object.keys(info.config.labels).length ? { Labels: info.config.labels } : {}),
  };
}

export const commitCommand = defineCommand(
  "commit",
  "Make an image of a container's changes",
  "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  {
    change: { type: "string", alias: "c", multiple: true, description: "A Dockerfile instruction to apply (CMD, ENV, LABEL, ...)", valueHint: "INSTRUCTION" },
    message: { type: "string", alias: "m", description: "Commit message", valueHint: "MESSAGE" },
    author: { type: "string", alias: "a", description: "Author", valueHint: "AUTHOR" },
    pause: { type: "boolean", alias: "p", description: "Pause the container while committing (default true; --pause=false)" },
  },
  { min: 1, max: 2 },
  async (cl) => {
    const { store: containers, ctx } = containerContext(cl);
    const info = infoOf(containers, cl.rest[0]!);
    const images = ImageStore.open(ctx.root);
    try {
      images.lock("shared");
      const parent = info.config.image ? images.getImage(info.config.image.id as `sha256:${string}`) : null;
      if (info.config.image && !parent) throw new ExitError(`commit: the container's image ${info.config.image.name} is gone`, 125);
      const ov = info.config.run.overlay;
      const layerDir = ov ? (ov.upperdir.startsWith("/") ? ov.upperdir : `${ov.storeRoot}/${ov.upperdir}`) : info.config.rootfs;
      const parentEntrypoint = parent ? images.configOf(parent).config?.Entrypoint ?? [] : [];
      const pause = (cl.booleans.pause ?? true) && info.status === "running";
      if (pause) freeze(info, true);
      let id: string;
      try {
        const r = await commitImage(images, {
          parent,
          layerDir,
          overlayWhiteouts: ov !== null,
          settings: settingsOf(info, parentEntrypoint) as never,
          changes: cl.strings.change ?? [],
          message: cl.strings.message?.[0] ?? "",
          author: cl.strings.author?.[0] ?? "",
          createdBy: JSON.stringify(info.config.process.args),
          names: cl.rest[1] ? [cl.rest[1]] : [],
        });
        id = r.id;
      } finally {
        if (pause) freeze(info, false);
      }
      out(`${id}\n`);
      return 0;
    } finally {
      images.close();
    }
  },
);
