// Shell completion: `ctr completion bash|zsh|fish` prints a script; the script asks
// `ctr __complete WORD...` (the words so far, the last one being completed) for candidates, one
// per line: commands, a command's flags, and container, image and volume names from the state.
import type { CommandDef } from "citty";
import { UsageError } from "../errors";
import { out } from "../output";
import { COMMANDS, GROUPS, type Command } from "../cli/commands";
import { stateRoot } from "../container/state";

const CONTAINER_COMMANDS = new Set(["start", "stop", "restart", "kill", "rm", "inspect", "wait", "pause", "unpause", "rename", "attach", "exec", "logs", "top", "stats", "cp", "commit", "port"]);
const IMAGE_COMMANDS = new Set(["run", "create", "rmi", "push", "tag", "save", "image inspect", "image rm", "image push", "image tag", "image save", "image exists", "inspect"]);
const VOLUME_COMMANDS = new Set(["volume rm", "volume inspect"]);

function flagsOf(cmd: Command): string[] {
  const args = (cmd.args ?? {}) as Record<string, { alias?: string | string[] }>;
  return Object.entries(args).flatMap(([n, a]) => [`--${n}`, ...[a.alias ?? []].flat().map((x) => (x.length === 1 ? `-${x}` : `--${x}`))]);
}

async function containerNames(): Promise<string[]> {
  const { ContainerStore } = await import("../container/store");
  return new ContainerStore(stateRoot(undefined)).list().flatMap((c) => [...(c.config.name ? [c.config.name] : []), c.id.slice(0, 12)]);
}

async function imageNames(): Promise<string[]> {
  const { ImageStore } = await import("../image/store");
  const store = ImageStore.open(stateRoot(undefined));
  try {
    return store.listImages().flatMap((i) => i.tags.map((t) => t.replace(/^docker\.io\/library\//, "")));
  } finally {
    store.close();
  }
}

async function volumeNames(): Promise<string[]> {
  const { VolumeStore } = await import("../volumes/store");
  return new VolumeStore(stateRoot(undefined)).names();
}

export async function candidates(words: string[]): Promise<string[]> {
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  if (before.length === 0) return [...Object.keys(COMMANDS), ...Object.keys(GROUPS), "help", "version", "--root", "--help", "--version"];
  const [first, second] = before;
  const group = GROUPS[first!];
  if (group && before.length === 1) return Object.keys(group.subs);
  const key = group ? `${first} ${second}` : first!;
  const loader = group ? group.subs[second!] : COMMANDS[first!];
  if (!loader) return [];
  const cmd = await loader();
  if (current.startsWith("-")) return flagsOf(cmd);
  const prev = before.at(-1)!;
  if (prev === "--volumes-from") return containerNames();
  if (prev === "-v" || prev === "--volume") return volumeNames();
  // Only the first positional is a name (the rest of a `run` is the container's command).
  const positionals = before.slice(group ? 2 : 1).filter((w) => !w.startsWith("-"));
  const sub = group ? second! : first!;
  if (CONTAINER_COMMANDS.has(sub) && (group === undefined || first === "container") && (positionals.length === 0 || !["exec", "rename", "commit", "cp", "top"].includes(sub))) {
    return [...(await containerNames()), ...(sub === "inspect" && positionals.length === 0 ? await imageNames() : [])];
  }
  if (IMAGE_COMMANDS.has(key) && positionals.length === 0) return imageNames();
  if (VOLUME_COMMANDS.has(key)) return volumeNames();
  return [];
}

const SCRIPTS: Record<string, string> = {
  bash: `# ctr bash completion: source <(ctr completion bash)
_ctr() {
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(ctr __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "\${COMP_WORDS[COMP_CWORD]}"))
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}"))
}
complete -F _ctr ctr
`,
  zsh: `#compdef ctr
# ctr zsh completion: source <(ctr completion zsh)
_ctr() {
  local -a items
  items=("\${(@f)$(ctr __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if (( \${#items} )) && [[ -n "\${items[1]}" ]]; then compadd -a items; else _files; fi
}
compdef _ctr ctr
`,
  fish: `# ctr fish completion: ctr completion fish | source
function __ctr_complete
  set -l words (commandline -opc)[2..-1] (commandline -ct)
  ctr __complete $words 2>/dev/null
end
complete -c ctr -f -a '(__ctr_complete)'
`,
};

export const completionCommand = {
  meta: { name: "completion", description: "Print a shell completion script: bash, zsh or fish" },
  args: { shell: { type: "positional", description: "bash, zsh or fish", required: true } },
  usage: "ctr completion bash|zsh|fish",
  async run({ rawArgs }) {
    const shell = rawArgs[0];
    const script = shell === undefined ? undefined : SCRIPTS[shell];
    if (!script) throw new UsageError(`completion: ${shell ? `unknown shell ${JSON.stringify(shell)}` : "which shell?"} (bash, zsh or fish)`);
    out(script);
    return 0;
  },
} satisfies CommandDef & { usage: string };

export const completeCommand = {
  meta: { name: "__complete", description: "Completion candidates for the words given (used by the completion scripts)" },
  async run({ rawArgs }) {
    const list = await candidates(rawArgs.length ? rawArgs : [""]);
    const current = rawArgs.at(-1) ?? "";
    out(list.filter((c) => c.startsWith(current)).map((c) => `${c}\n`).join(""));
    return 0;
  },
} satisfies CommandDef;
