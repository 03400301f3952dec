// The settings form's own checks, shown as the person types (the engine checks again on save).

import type { StorageKind, WorkspaceForm } from "../ipc";
import type { ProviderId } from "./providers";

export function blankForm(kind: StorageKind): WorkspaceForm {
  return {
    id: "",
    name: "",
    kind,
    base_path: "",
    bucket: "",
    prefix: "",
    region: kind === "s3" ? "us-east-1" : "",
    endpoint_url: "",
    path_style: false,
    credentials: "keychain",
    profile: "",
    sse: "",
    kms_key_id: "",
    storage_class: "",
    acl: "",
    cache_control: "",
    public_base_url: "",
    checksums: "",
    upload_gzip: false,
    key_template: "",
    entity: "",
    max_file_size_mb: "",
    file_overwrite: true,
  };
}

/** Field → message for what can be told without the engine. */
export function clientProblems(
  form: WorkspaceForm,
  provider: ProviderId,
  account: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!form.name.trim()) out.name = "Give the workspace a name.";
  if (form.kind === "local") {
    if (!form.base_path.trim()) out["storage.base_path"] = "Choose a folder.";
    return out;
  }
  if (!form.bucket.trim()) out["storage.bucket"] = "Enter the bucket's name.";
  if (provider === "r2" && !/^[0-9a-f]{32}$/i.test(account.trim()))
    out.account = "The account id is 32 hexadecimal characters (R2 dashboard → Overview).";
  if ((provider === "minio" || provider === "custom") && !form.endpoint_url.trim())
    out["storage.endpoint_url"] =
      "Enter the server's address, such as https://minio.example.com:9000.";
  if (form.sse === "aws:kms" && !form.kms_key_id.trim())
    out["storage.kms_key_id"] = "SSE-KMS needs the KMS key id.";
  return out;
}
