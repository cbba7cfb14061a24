// DNS messages (pure): a query's question, and the answers ctr's resolver gives for container
// names on user-defined networks (A and AAAA, RFC 1035 wire format). Anything else is forwarded.
import { ipBytes } from "./ip";

export interface Question {
  id: number;
  name: string;
  type: number;
  /** Byte offset just after the question: the answer section starts here. */
  end: number;
  rd: boolean;
}

export const TYPE = { A: 1, AAAA: 28 } as const;

/** The first question of a query, or null for anything malformed (or not a plain query). */
export function parseQuery(msg: Uint8Array): Question | null {
  if (msg.length < 12) return null;
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const flags = v.getUint16(2);
  if (flags & 0x8000 || ((flags >> 11) & 0xf) !== 0 || v.getUint16(4) < 1) return null;
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    if (at >= msg.length) return null;
    const len = msg[at]!;
    if (len === 0) {
      at++;
      break;
    }
    if (len > 63 || at + 1 + len > msg.length) return null;
    labels.push(new TextDecoder().decode(msg.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  if (at + 4 > msg.length) return null;
  return { id: v.getUint16(0), name: labels.join(".").toLowerCase(), type: v.getUint16(at), end: at + 4, rd: (flags & 0x100) !== 0 };
}

/** An answer to `query` with these addresses (none: NOERROR and no data; null: NXDOMAIN). */
export function answer(query: Uint8Array, q: Question, addresses: string[] | null, ttl = 5): Uint8Array {
  const records = (addresses ?? []).map((a) => ipBytes(a)).filter((b) => b.length === (q.type === TYPE.AAAA ? 16 : 4));
  const out = new Uint8Array(q.end + records.reduce((s, r) => s + 12 + r.length, 0));
  out.set(query.subarray(0, q.end));
  const v = new DataView(out.buffer);
  // QR, the query's RD, RA; RCODE 3 (NXDOMAIN) for a name nobody has.
  v.setUint16(2, 0x8000 | (q.rd ? 0x100 : 0) | 0x80 | (addresses === null ? 3 : 0));
  v.setUint16(4, 1);
  v.setUint16(6, records.length);
  v.setUint16(8, 0);
  v.setUint16(10, 0);
  let at = q.end;
  for (const r of records) {
    v.setUint16(at, 0xc00c); // the question's name
    v.setUint16(at + 2, q.type);
    v.setUint16(at + 4, 1); // IN
    v.setUint32(at + 6, ttl);
    v.setUint16(at + 10, r.length);
    out.set(r, at + 12);
    at += 12 + r.length;
  }
  return out;
}

/** SERVFAIL for a query that could not be forwarded. */
export function servfail(query: Uint8Array, q: Question): Uint8Array {
  const out = query.slice(0, q.end);
  const v = new DataView(out.buffer);
  v.setUint16(2, 0x8000 | (q.rd ? 0x100 : 0) | 0x80 | 2);
  for (const o of [6, 8, 10]) v.setUint16(o, 0);
  v.setUint16(4, 1);
  return out;
}
