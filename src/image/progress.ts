// Pull progress: one redrawn line per layer on a terminal, plain status lines otherwise (logs, CI).
export interface Progress {
  start(id: string, total: number): void;
  update(id: string, done: number): void;
  status(id: string, text: string): void;
  end(): void;
}

function mb(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}kB` : `${n}B`;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { start() {}, update() {}, status() {}, end() {} };
  if (!stream.isTTY) {
    return {
      start(id, total) {
        stream.write(`${id}: downloading ${mb(total)}\n`);
      },
      update() {},
      status(id, text) {
        stream.write(`${id}: ${text}\n`);
      },
      end() {},
    };
  }
  const order: string[] = [];
  const lines = new Map<string, string>();
  const totals = new Map<string, number>();
  let drawn = 0;
  let last = 0;
  const width = 30;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    let out = drawn ? `\x1b[${drawn}A` : "";
    for (const id of order) out += `\r\x1b[2K${id}: ${lines.get(id)}\n`;
    drawn = order.length;
    stream.write(out);
  };
  return {
    start(id, total) {
      if (!lines.has(id)) order.push(id);
      totals.set(id, total);
      lines.set(id, "downloading");
      draw(true);
    },
    update(id, done) {
      const total = totals.get(id) ?? 0;
      const filled = total ? Math.min(width, Math.floor((done / total) * width)) : 0;
      lines.set(id, `downloading [${"=".repeat(filled)}${filled < width ? ">" : ""}${" ".repeat(Math.max(0, width - filled - 1))}] ${mb(done)}/${mb(total)}`);
      draw();
    },
    status(id, text) {
      if (!lines.has(id)) order.push(id);
      lines.set(id, text);
      draw(true);
    },
    end() {
      draw(true);
    },
  };
}
