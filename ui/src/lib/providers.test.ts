import { describe, expect, it } from "vitest";
import { accountOf, endpointFor, preset } from "./providers";
import { blankForm, clientProblems } from "./workspace-form";

describe("provider presets", () => {
  it("derive endpoints from region or account", () => {
    expect(endpointFor("aws", "eu-west-1", "")).toBe("");
    expect(endpointFor("digitalocean", "ams3", "")).toBe("https://ams3.digitaloceanspaces.com");
    expect(endpointFor("r2", "auto", "0123456789abcdef0123456789abcdef")).toBe(
      "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
    );
    expect(endpointFor("wasabi", "eu-central-1", "")).toBe("https://s3.eu-central-1.wasabisys.com");
    expect(endpointFor("b2", "us-west-004", "")).toBe("https://s3.us-west-004.backblazeb2.com");
    expect(endpointFor("minio", "us-east-1", "")).toBeNull();
    expect(preset("r2").pathStyle).toBe(true);
  });
  it("reads the R2 account back from the endpoint", () => {
    expect(accountOf("https://abc123.r2.cloudflarestorage.com")).toBe("abc123");
    expect(accountOf("https://s3.amazonaws.com")).toBe("");
  });
});

describe("form checks", () => {
  it("asks for what is missing", () => {
    const f = blankForm("s3");
    expect(Object.keys(clientProblems(f, "minio", "")).sort()).toEqual([
      "name",
      "storage.bucket",
      "storage.endpoint_url",
    ]);
    f.name = "Media";
    f.bucket = "media";
    expect(clientProblems(f, "aws", "")).toEqual({});
    expect(clientProblems(f, "r2", "nothex")).toHaveProperty("account");
    const local = blankForm("local");
    local.name = "Docs";
    expect(clientProblems(local, "aws", "")).toHaveProperty(["storage.base_path"]);
  });
});
