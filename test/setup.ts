// Preloaded by bun test: tests never read the invoking user's ctr settings, and never touch the
// host's state root: every ctr the tests start uses a temp root of this test process (unless a test
// names its own), removed when the process exits.
import { afterAll } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

delete process.env.CTR_LOG_LEVEL;
delete process.env.CTR_TRACE_SYS;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-root-"));
process.env.CTR_ROOT = root;
// A preload's afterAll runs after every test file; a later file's ctr makes the root again.
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
