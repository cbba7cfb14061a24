// --dry-run: the Program exactly as the monitor and the stage would run it, one op per line, with
// the container's id and namespaces on top. `--dry-run --log-level debug` adds the raw ops.
import { describeNamespaces, type NamespacePlan } from "../namespaces";
import { describeOp } from "./describe";
import type { Program } from "./ops";

export function formatProgram(id: string, namespaces: readonly NamespacePlan[], p: Program): string {
  const list = (title: string, ops: Program[keyof Program]) => [title, ...ops.map((op, i) => `  ${String(i).padStart(2)}  ${describeOp(op)}`)];
  return [
    `container ${id}`,
    "namespaces:",
    ...namespaces.map((n) => `  ${n.type.padEnd(7)} ${n.mode === "new" ? `new (${describeNamespaces([n.type])})` : "host (shared)"}`),
    ...list("monitor, before the container exists:", p.setup),
    ...list("the container's first process (the stage), in order:", p.child),
    ...list("monitor, after the container's PID 1 exits:", p.teardown),
  ].join("\n");
}
