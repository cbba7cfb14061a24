// Preloaded by bun test: tests never read the invoking user's ctr settings, and never touch the
// host's state root: every ctr the tests start uses a temp root of this test process (unless a test
// names its own), removed when the process exits. Networks too: the default bridge and the
// nftables table have names of this test process, removed at the end (a real ctr's ctr0 and
// `inet ctr` are never touched).
import { afterAll } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

delete process.env.CTR_LOG_LEVEL;
delete process.env.CTR_TRACE_SYS;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-root-"));
process.env.CTR_ROOT = root;
const tag = (process.pid % 100000).toString(36);
process.env.CTR_DEFAULT_BRIDGE = `ctrt${tag}`;
process.env.CTR_NFT_TABLE = `ctrtest${tag}`;
// ctr turns IPv4 forwarding on (with a note on stderr) at the first bridge container of a host;
// here it is done first, so that which test runs first does not change any test's stderr. The note
// itself is tested in a network namespace of its own (networks.test.ts).
if (process.getuid?.() === 0) Bun.spawnSync(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
// A DNS server of a test root forwards only to what a test names (never the host's resolvers).
process.env.CTR_DNS_UPSTREAM ??= "";
// A preload's afterAll runs after every test file; a later file's ctr makes the root again.
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  if (process.getuid?.() !== 0) return;
  Bun.spawnSync(["ip", "link", "del", process.env.CTR_DEFAULT_BRIDGE!], { stderr: "ignore" });
  Bun.spawnSync(["nft", "delete", "table", "inet", process.env.CTR_NFT_TABLE!], { stderr: "ignore" });
});
