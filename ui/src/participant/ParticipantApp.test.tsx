import { describe, expect, it } from "vitest";
import { insecureReason } from "./ParticipantApp";

describe("the participant page outside a secure context", () => {
  it("asks for nothing extra on https or this computer's own address", () => {
    expect(insecureReason({ isSecureContext: true, hasMediaDevices: true, origin: "https://192.168.1.5:8443" })).toBeNull();
  });

  it("says why the microphone is unavailable over plain http, and what to do", () => {
    const reason = insecureReason({ isSecureContext: false, hasMediaDevices: false, origin: "http://192.168.1.5:8080" });
    expect(reason).toContain("http://192.168.1.5:8080");
    expect(reason).toContain("starts with https://");
  });

  it("names the browser as the problem when a secure page still has no microphone", () => {
    const reason = insecureReason({ isSecureContext: true, hasMediaDevices: false, origin: "https://meet.example.com" });
    expect(reason).toContain("does not offer a microphone");
  });
});
