import { describe, expect, test } from "bun:test";
import { capabilitySet, capMask, DEFAULT_CAPABILITIES, parseCapability } from "../../src/capabilities";

describe("capabilities", () => {
  test("Docker's default set is the mask Docker's containers show in CapEff", () => {
    expect(capMask(DEFAULT_CAPABILITIES).toString(16)).toBe("a80425fb");
  });
  test("--cap-add and --cap-drop accept CAP_ prefixes and any case", () => {
    expect(parseCapability("cap_net_admin", "--cap-add")).toBe("NET_ADMIN");
    const set = capabilitySet({ privileged: false, add: ["net_admin"], drop: ["CAP_CHOWN"] });
    expect(set).toContain("NET_ADMIN");
    expect(set).not.toContain("CHOWN");
  });
  test("--cap-drop ALL then --cap-add one leaves exactly that one", () => {
    expect(capabilitySet({ privileged: false, add: ["KILL"], drop: ["ALL"] })).toEqual(["KILL"]);
  });
  test("--privileged grants every capability", () => {
    expect(capabilitySet({ privileged: true, add: [], drop: [] }).length).toBe(41);
  });
});
