import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCommandLine } from "../../src/cli/argv";
import { buildRunRequest, checkRootfs, mergeEnv, parseEnvEntry, parseSecurityOpts, parseUlimit, RUN_FLAGS } from "../../src/cli/run-options";
import { parseRunFlags } from "../../src/cli/run-flags";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-unit-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
// As `ctr run --rootfs DIR CMD...` puts it together: flags first, then the rootfs, then the request.
const build = (args: string[]) => {
  const cl = parseCommandLine(args, RUN_FLAGS, "run");
  const flags = parseRunFlags(cl, { hostEnv: { FROM_HOST: "yes" }, hostCpus: "0-1" });
  const rootfs = checkRootfs(cl.strings.rootfs![0]!);
  return buildRunRequest(flags, { rootfs, args: cl.rest, nofileHard: 4096, consoleSize: null });
};

describe("run options", () => {
  test("a missing rootfs, or a file, is refused by name", () => {
    expect(() => build(["--rootfs", "/nonexistent-ctr", "sh"])).toThrow("--rootfs /nonexistent-ctr: no such directory");
    const file = path.join(dir, "f");
    fs.writeFileSync(file, "");
    expect(() => build(["--rootfs", file, "sh"])).toThrow(`--rootfs ${file}: not a directory`);
  });
  test("no command is an error", () => {
    expect(() => build(["--rootfs", dir])).toThrow("no command given");
  });
  test("environment: default PATH and HOSTNAME, then --env-file, then -e; bare KEY copies ctr's", () => {
    const envFile = path.join(dir, "env");
    fs.writeFileSync(envFile, "# comment\nA=file\n\nB=file\nFROM_HOST\nUNSET_ONE\n");
    const req = build(["--rootfs", dir, "--hostname", "box", "--env-file", envFile, "-e", "B=flag", "sh"]);
    expect(req.options.env).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=box", "A=file", "B=flag", "FROM_HOST=yes",
    ]);
  });
  test("-t adds TERM; the hostname defaults to the short id", () => {
    const req = build(["--rootfs", dir, "-t", "sh"]);
    expect(req.options.env).toContain("TERM=xterm");
    expect(req.options.hostname).toBe(req.options.id.slice(0, 12));
    expect(req.options.id).toMatch(/^[0-9a-f]{64}$/);
  });
  test("bad values name the flag", () => {
    expect(() => build(["--rootfs", dir, "-u", "a:b:c", "sh"])).toThrow('-u: invalid value "a:b:c": expected USER[:GROUP]');
    expect(() => build(["--rootfs", dir, "-p", "80:99999", "sh"])).toThrow('-p 80:99999: invalid port "99999"');
    expect(() => build(["--rootfs", dir, "--ip", "10.0.0.2", "sh"])).toThrow("--ip and --ip6 need a user-defined network");
    expect(() => build(["--rootfs", dir, "--network", "none", "-p", "80", "sh"])).toThrow("-p/--publish needs a bridge network");
    expect(() => build(["--rootfs", dir, "-w", "rel", "sh"])).toThrow("--workdir rel: must be an absolute path");
    expect(() => build(["--rootfs", dir, "--hostname", "-bad", "sh"])).toThrow('--hostname: invalid hostname "-bad"');
    expect(() => parseEnvEntry("A B=1", "-e", {})).toThrow('-e: invalid environment variable "A B=1"');
  });
  test("--ulimit", () => {
    expect(parseUlimit("nofile=100:200")).toEqual({ type: "nofile", resource: 7, soft: 100, hard: 200 });
    expect(parseUlimit("core=unlimited")).toEqual({ type: "core", resource: 4, soft: "unlimited", hard: "unlimited" });
    expect(() => parseUlimit("nofile=300:200")).toThrow("soft limit is above the hard limit");
    expect(() => parseUlimit("files=1")).toThrow('--ulimit: invalid value "files=1"');
  });
  test("--security-opt no-new-privileges and seccomp", () => {
    expect(parseSecurityOpts(["no-new-privileges=false"])).toEqual({ noNewPrivileges: false, seccomp: null });
    expect(parseSecurityOpts(["no-new-privileges"])).toEqual({ noNewPrivileges: true, seccomp: null });
    expect(parseSecurityOpts(["seccomp=unconfined"])).toEqual({ noNewPrivileges: null, seccomp: { mode: "unconfined" } });
    expect(() => parseSecurityOpts(["seccomp=/nonexistent/x.json"])).toThrow("--security-opt seccomp=/nonexistent/x.json: cannot read the profile file");
    expect(() => parseSecurityOpts(["apparmor=x"])).toThrow("unsupported option");
  });
  test("later environment entries win", () => {
    expect(mergeEnv(["A=1", "B=2", "A=3"])).toEqual(["A=3", "B=2"]);
  });
});
