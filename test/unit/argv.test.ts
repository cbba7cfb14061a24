import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "../../src/cli/argv";
import { RUN_FLAGS } from "../../src/cli/run-options";

const parse = (args: string[]) => parseCommandLine(args, RUN_FLAGS, "run");

describe("parseCommandLine", () => {
  test("stops at the first positional: the command's own flags are not ctr's", () => {
    const cl = parse(["--rootfs", "/r", "sh", "-c", "echo -t"]);
    expect(cl.strings.rootfs).toEqual(["/r"]);
    expect(cl.rest).toEqual(["sh", "-c", "echo -t"]);
    expect(cl.booleans.tty).toBeUndefined();
  });
  test("`--` ends the options", () => {
    expect(parse(["--rootfs=/r", "--", "--weird"]).rest).toEqual(["--weird"]);
  });
  test("-it is -i -t; -e repeats; -uNAME glues a value", () => {
    const cl = parse(["-it", "-e", "A=1", "-e", "B=2", "-unobody", "sh"]);
    expect(cl.booleans).toEqual({ interactive: true, tty: true });
    expect(cl.strings.env).toEqual(["A=1", "B=2"]);
    expect(cl.strings.user).toEqual(["nobody"]);
  });
  test("an unknown flag is an error with a hint", () => {
    expect(() => parse(["--rootf", "/r", "sh"])).toThrow("unknown flag: --rootf (did you mean --rootfs?)");
  });
  test("a flag missing its value says which", () => {
    expect(() => parse(["--rootfs"])).toThrow("--rootfs needs a value (DIR)");
  });
  test("a single-valued flag given twice is an error", () => {
    expect(() => parse(["-w", "/a", "-w", "/b", "sh"])).toThrow("-w given twice");
  });
});
