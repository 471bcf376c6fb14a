import { describe, expect, it } from "vitest";
import { deviceKey } from "./roomConnection";

describe("this browser's key for the room", () => {
  it("is made once, random, in the form the room accepts, and kept", () => {
    localStorage.clear();
    const first = deviceKey(localStorage);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(deviceKey(localStorage)).toBe(first);
    localStorage.clear();
    expect(deviceKey(localStorage)).not.toBe(first);
  });

  it("replaces a stored value the room would refuse", () => {
    localStorage.setItem("boardroom.device", "not a key");
    expect(deviceKey(localStorage)).toMatch(/^[0-9a-f]{32}$/);
  });
});
