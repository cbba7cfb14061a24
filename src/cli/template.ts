// The Go-template subset `--format` takes, as Docker's CLI uses it in scripts:
//   {{.Field}} {{.A.B}} {{json .}} {{json .Field}} {{index .Labels "key"}} {{lower X}} {{upper X}}
//   {{join .List ", "}} and a leading `table` (a header row from the field names, columns tab-aligned).
// Unknown functions and fields are errors that name them, never silently empty.
import { UsageError } from "../errors";
import { out } from "../output";

type Value = unknown;

function lookup(data: Value, path: string, template: string): Value {
  let v: Value = data;
  for (const key of path.split(".").filter(Boolean)) {
    if (v === null || typeof v !== "object" || !(key in (v as object))) throw new UsageError(`--format ${template}: no field ${JSON.stringify(key)} (in ${path})`);
    v = (v as Record<string, Value>)[key];
  }
  return v;
}

/** As Go's text/template prints a value. */
function show(v: Value): string {
  if (v === null || v === undefined) return "<no value>";
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") return `map[${Object.entries(v as object).map(([k, x]) => `${k}:${show(x)}`).join(" ")}]`;
  return String(v);
}

function tokens(expr: string): string[] {
  return [...expr.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? JSON.stringify(JSON.parse(`"${m[1]}"`)) : m[2]!));
}

function evaluate(expr: string, data: Value, template: string): Value {
  const [head, ...args] = tokens(expr.trim());
  const arg = (t: string | undefined): Value => {
    if (t === undefined) throw new UsageError(`--format ${template}: ${head} needs an argument`);
    if (t.startsWith('"')) return JSON.parse(t);
    if (t === ".") return data;
    if (t.startsWith(".")) return lookup(data, t, template);
    throw new UsageError(`--format ${template}: cannot read ${JSON.stringify(t)}`);
  };
  if (head === undefined) return "";
  if (head.startsWith(".") || head.startsWith('"')) return arg(head);
  switch (head) {
    case "json":
      return JSON.stringify(arg(args[0]));
    case "index": {
      const obj = arg(args[0]);
      const key = arg(args[1]);
      return obj && typeof obj === "object" ? (obj as Record<string, Value>)[String(key)] ?? "" : "";
    }
    case "lower":
      return show(arg(args[0])).toLowerCase();
    case "upper":
      return show(arg(args[0])).toUpperCase();
    case "join": {
      const list = arg(args[0]);
      return Array.isArray(list) ? list.map(show).join(String(arg(args[1]))) : show(list);
    }
    default:
      throw new UsageError(`--format ${template}: unknown function ${JSON.stringify(head)} (json, index, lower, upper, join)`);
  }
}

export interface Formatter {
  header: string | null;
  row(data: Value): string;
}

/** Unescapes \t and \n, splits off `table`, and compiles the rest. */
export function compileTemplate(template: string, headers: Record<string, string> = {}): Formatter {
  let t = template.replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  const table = /^table\s/.test(t);
  if (table) t = t.replace(/^table\s+/, "");
  const parts = t.split(/({{.*?}})/s);
  const render = (data: Value) => parts.map((p) => (p.startsWith("{{") && p.endsWith("}}") ? show(evaluate(p.slice(2, -2), data, template)) : p)).join("");
  // The header of `table`: each field's name, in Docker's upper-case spelling.
  const header = table ? parts.map((p) => (p.startsWith("{{") ? headerName(p.slice(2, -2), headers) : p)).join("") : null;
  return { header, row: render };
}

const HEADERS: Record<string, string> = { ID: "CONTAINER ID", Names: "NAMES", Image: "IMAGE", Command: "COMMAND", RunningFor: "CREATED", CreatedAt: "CREATED AT", Status: "STATUS", Ports: "PORTS", State: "STATE", Repository: "REPOSITORY", Tag: "TAG", Size: "SIZE", Name: "NAME", Driver: "DRIVER", Mountpoint: "MOUNTPOINT", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %", NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS", Container: "CONTAINER" };

function headerName(expr: string, headers: Record<string, string>): string {
  const last = tokens(expr.trim()).at(-1) ?? "";
  const field = last.split(".").filter(Boolean).at(-1) ?? "";
  return headers[field] ?? HEADERS[field] ?? field.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
}

/** Rows whose columns are tab-separated, aligned as Go's tabwriter does (3 spaces between). */
export function alignColumns(lines: string[]): string[] {
  const rows = lines.map((l) => l.split("\t"));
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("").trimEnd());
}

/** table (aligned, with a header), json (one object a line), or a template: a listing's rows. */
export function printRows(rows: object[], format: string | undefined, table: string, headers: Record<string, string> = {}): void {
  const template = format === undefined || format === "table" ? table : format === "json" ? "{{json .}}" : format;
  const f = compileTemplate(template, headers);
  const lines = rows.map((r) => f.row(r));
  out((f.header !== null ? alignColumns([f.header, ...lines]) : lines).map((l) => `${l}\n`).join(""));
}

/** inspect's output: Docker's JSON array (4-space indent), or one templated line per document. */
export function printDocuments(docs: object[], format: string | undefined): void {
  if (format) {
    const f = compileTemplate(format);
    out(docs.map((d) => `${f.row(d)}\n`).join(""));
  } else out(`${JSON.stringify(docs, null, 4)}\n`);
}

/** prune's question on a terminal (Docker's words); true without a terminal (scripts pass -f). */
export async function confirm(warning: string): Promise<boolean> {
  const { isTerminal } = await import("../terminal");
  if (!isTerminal(0)) return true;
  out(`WARNING! ${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = (await new Promise<string>((resolve) => process.stdin.once("data", (d) => resolve(String(d))))).trim();
  process.stdin.pause();
  return /^y(es)?$/i.test(answer);
}
