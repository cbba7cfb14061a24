import { describe, expect, test } from "bun:test";
import { parseGroup, parsePasswd, parseUserSpec, resolveUser } from "../../src/user";

const passwd = parsePasswd("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\n");
const groups = parseGroup("root:x:0:\nstaff:x:50:\n");

describe("users", () => {
  test("parses USER[:GROUP]", () => {
    expect(parseUserSpec("1000")).toEqual({ user: 1000, group: null });
    expect(parseUserSpec("app:staff")).toEqual({ user: "app", group: "staff" });
    expect(() => parseUserSpec(":1")).toThrow("-u: invalid value");
    expect(() => parseUserSpec("99999999999")).toThrow("out of range");
  });
  test("a name takes uid, primary gid and home from passwd", () => {
    expect(resolveUser({ user: "app", group: null }, passwd, groups)).toEqual({ uid: 1000, gid: 1001, home: "/home/app" });
  });
  test("a numeric uid need not exist (gid 0, home /), as with Docker", () => {
    expect(resolveUser({ user: 4242, group: null }, passwd, groups)).toEqual({ uid: 4242, gid: 0, home: "/" });
  });
  test("group by name or number", () => {
    expect(resolveUser({ user: "app", group: "staff" }, passwd, groups).gid).toBe(50);
    expect(resolveUser({ user: 0, group: 7 }, passwd, groups).gid).toBe(7);
  });
  test("unknown names are errors that say which file", () => {
    expect(() => resolveUser({ user: "ghost", group: null }, passwd, groups)).toThrow("unable to find user ghost: no matching entries in passwd file");
    expect(() => resolveUser({ user: 0, group: "ghosts" }, passwd, groups)).toThrow("unable to find group ghosts: no matching entries in group file");
  });
});
