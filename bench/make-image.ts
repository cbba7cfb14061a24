// A multi-layer image of ~200 MB (uncompressed) from host directories, as an OCI layout, built with
// GNU tar and gzip like the tests' images. Usage: bun bench/make-image.ts OUT_DIR
import * as fs from "node:fs";
import { ociLayout } from "../test/helpers/oci";
import { makeBusyboxRootfs, removeRootfs } from "../test/helpers/rootfs";

const out = process.argv[2]!;
const dirs = ["/usr/lib/python3.11", "/usr/share/doc", "/usr/share/perl", "/usr/lib/x86_64-linux-gnu/perl", "/usr/share/i18n"].filter((d) => fs.existsSync(d));
// A busybox base first, so the image also runs: `ctr run IMAGE /bin/true`.
const base = makeBusyboxRootfs();
const layout = ociLayout({ layers: [base, ...dirs].map((dir) => ({ dir })) }, "big");
removeRootfs(base);
fs.rmSync(out, { recursive: true, force: true });
fs.renameSync(layout, out);
console.log(`${out}: ${dirs.length + 1} layers: busybox, ${dirs.join(", ")}`);
