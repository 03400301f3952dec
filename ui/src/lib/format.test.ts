import { describe, expect, it } from "vitest";
import { extension, formatBytes, formatEta, formatSpeed, shownName } from "./format";

describe("format", () => {
  it("formats sizes", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.50 KB");
    expect(formatBytes(52_000_000)).toBe("49.6 MB");
    expect(formatBytes(5 * 1024 ** 4)).toBe("5.00 TB");
    expect(formatBytes(-1)).toBe("—");
  });
  it("formats speed and time left", () => {
    expect(formatSpeed(0)).toBe("");
    expect(formatSpeed(2 * 1024 * 1024)).toBe("2.00 MB/s");
    expect(formatEta(null)).toBe("");
    expect(formatEta(59)).toBe("59 s");
    expect(formatEta(125)).toBe("2 min 5 s");
    expect(formatEta(3725)).toBe("1 h 2 min");
  });
  it("reads extensions", () => {
    expect(extension("a.tar.GZ")).toBe("GZ");
    expect(extension(".bashrc")).toBe("");
    expect(extension("README")).toBe("");
  });
  it("shows control characters and direction overrides in names as escapes", () => {
    expect(shownName("report.pdf")).toBe("report.pdf");
    expect(shownName("café ünï.txt")).toBe("café ünï.txt");
    expect(shownName("a\u0001b\u001b[2J.txt")).toBe("a\\x01b\\x1b[2J.txt");
    expect(shownName("evil\u202efdp.exe")).toBe("evil\\u{202e}fdp.exe");
    expect(shownName("line\nbreak")).toBe("line\\x0abreak");
  });
});
