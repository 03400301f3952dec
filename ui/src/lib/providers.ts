// Provider presets for the settings dialog: what a person picks and types → endpoint, region
// and addressing style. The endpoint is what is saved; the provider is read back from it.

export type ProviderId = "aws" | "digitalocean" | "r2" | "wasabi" | "b2" | "minio" | "custom";

/** Each provider (and a local folder) in the app's words: the sidebar, the prices table. */
export const providerLabel: Record<string, string> = {
  local: "Local folder",
  aws: "Amazon S3",
  digitalocean: "DigitalOcean Spaces",
  r2: "Cloudflare R2",
  wasabi: "Wasabi",
  b2: "Backblaze B2",
  minio: "MinIO",
  custom: "S3-compatible",
};

export interface Preset {
  id: ProviderId;
  label: string;
  /** What the second field asks for. */
  needs: "region" | "account" | "endpoint";
  regions?: string[];
  defaultRegion: string;
  pathStyle: boolean;
}

export const PRESETS: Preset[] = [
  {
    id: "aws",
    label: "Amazon S3",
    needs: "region",
    defaultRegion: "us-east-1",
    pathStyle: false,
    regions: [
      "us-east-1",
      "us-east-2",
      "us-west-1",
      "us-west-2",
      "ca-central-1",
      "eu-west-1",
      "eu-west-2",
      "eu-central-1",
      "eu-north-1",
      "ap-south-1",
      "ap-southeast-1",
      "ap-southeast-2",
      "ap-northeast-1",
      "sa-east-1",
    ],
  },
  {
    id: "digitalocean",
    label: "DigitalOcean Spaces",
    needs: "region",
    defaultRegion: "nyc3",
    pathStyle: false,
    regions: ["nyc3", "sfo2", "sfo3", "ams3", "fra1", "sgp1", "syd1", "blr1", "lon1", "tor1"],
  },
  {
    id: "r2",
    label: "Cloudflare R2",
    needs: "account",
    defaultRegion: "auto",
    pathStyle: true,
  },
  {
    id: "wasabi",
    label: "Wasabi",
    needs: "region",
    defaultRegion: "us-east-1",
    pathStyle: false,
    regions: ["us-east-1", "us-east-2", "us-west-1", "eu-central-1", "eu-west-1", "ap-northeast-1"],
  },
  {
    id: "b2",
    label: "Backblaze B2",
    needs: "region",
    defaultRegion: "us-west-004",
    pathStyle: false,
    regions: [
      "us-west-000",
      "us-west-001",
      "us-west-002",
      "us-west-004",
      "us-east-005",
      "eu-central-003",
    ],
  },
  { id: "minio", label: "MinIO", needs: "endpoint", defaultRegion: "us-east-1", pathStyle: true },
  {
    id: "custom",
    label: "Other S3-compatible",
    needs: "endpoint",
    defaultRegion: "us-east-1",
    pathStyle: true,
  },
];

export function preset(id: ProviderId): Preset {
  return PRESETS.find((p) => p.id === id) ?? (PRESETS[PRESETS.length - 1] as Preset);
}

/** The endpoint a preset implies ("" for AWS: the SDK's own), or null when typed by hand. */
export function endpointFor(id: ProviderId, region: string, account: string): string | null {
  switch (id) {
    case "aws":
      return "";
    case "digitalocean":
      return `https://${region}.digitaloceanspaces.com`;
    case "r2":
      return account.trim() ? `https://${account.trim()}.r2.cloudflarestorage.com` : "";
    case "wasabi":
      return `https://s3.${region}.wasabisys.com`;
    case "b2":
      return `https://s3.${region}.backblazeb2.com`;
    default:
      return null;
  }
}

/** The R2 account id inside an R2 endpoint. */
export function accountOf(endpoint: string): string {
  const m = /^https?:\/\/([^.]+)\.r2\.cloudflarestorage\.com/.exec(endpoint);
  return m?.[1] ?? "";
}
