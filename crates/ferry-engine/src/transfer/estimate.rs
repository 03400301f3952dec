//! What a plan will ask of the stores, before it runs: how many requests of each billed class
//! and how many bytes leave a provider, priced from the settings' `prices` table (Ferry's list
//! prices where the user set none). An estimate, said so wherever it is shown: it counts the
//! requests Ferry's own transfer makes (single PUTs below the multipart threshold, parts plus
//! create and complete above it, one GET per range of a large download, one DELETE per file,
//! a LIST per 1,000 keys listed) and leaves out retries and the reads a checksum compare makes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::plan::PlannedAction;
use super::reviewed::ReviewedPlan;
use crate::Engine;
use crate::settings::{Price, Provider, Storage};
use crate::workspace::{Location, Place};

/// The providers a price can be set for, as `prices` names them.
pub const PRICED: [&str; 7] = [
    "aws",
    "digitalocean",
    "r2",
    "wasabi",
    "b2",
    "minio",
    "custom",
];

/// The provider a `prices` key names.
pub fn provider_named(name: &str) -> Option<Provider> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .ok()
        .filter(|p| *p != Provider::Local)
}

/// The name `prices` uses for a provider.
pub fn provider_name(provider: Provider) -> String {
    serde_json::to_value(provider)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Ferry's list prices (US dollars, standard storage class, as the providers published them in
/// 2024): a starting point the user corrects in the settings for their region and contract.
pub fn list_price(provider: Provider) -> Price {
    let price = |write, read, list, egress| Price {
        write_per_1000: write,
        read_per_1000: read,
        list_per_1000: list,
        delete_per_1000: 0.0,
        egress_per_gb: egress,
    };
    match provider {
        // S3 Standard, us-east-1.
        Provider::Aws => price(0.005, 0.0004, 0.005, 0.09),
        // Requests included; transfer beyond the plan's allowance.
        Provider::Digitalocean => price(0.0, 0.0, 0.0, 0.01),
        // Class A (writes, lists) and class B (reads); no egress fee.
        Provider::R2 => price(0.0045, 0.00036, 0.0045, 0.0),
        // No request or egress fees.
        Provider::Wasabi => price(0.0, 0.0, 0.0, 0.0),
        Provider::B2 => price(0.0, 0.0004, 0.004, 0.01),
        // Self-hosted: nobody bills requests.
        Provider::Minio | Provider::Custom | Provider::Local => Price::default(),
    }
}

/// The prices in force for each provider: the settings' where set, else the list prices.
pub fn prices(engine: &Engine) -> BTreeMap<String, Price> {
    PRICED
        .iter()
        .filter_map(|name| {
            let provider = provider_named(name)?;
            let set = engine.settings().prices.get(*name).copied();
            Some((
                name.to_string(),
                set.unwrap_or_else(|| list_price(provider)),
            ))
        })
        .collect()
}

/// Requests and egress on one provider's side of a plan, and what they cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Charges {
    /// The provider's name in `prices`.
    pub provider: String,
    pub writes: u64,
    pub reads: u64,
    pub lists: u64,
    pub deletes: u64,
    pub egress_bytes: u64,
    /// US dollars.
    pub cost: f64,
}

impl Charges {
    fn requests(&self) -> u64 {
        self.writes + self.reads + self.lists + self.deletes
    }
}

/// What a plan is estimated to ask of the stores.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    /// Every request to an S3 store (a local folder's reads and writes are not requests).
    pub requests: u64,
    /// US dollars, both sides.
    pub cost: f64,
    /// The source's side, when it is in S3.
    pub source: Option<Charges>,
    /// The destination's side, when it is in S3.
    pub destination: Option<Charges>,
}

/// One side of a plan: whether it is in S3, and which workspace and provider.
struct End {
    workspace: Option<String>,
    provider: Provider,
}

impl End {
    fn of(engine: &Engine, location: &Location) -> Self {
        match &location.place {
            Place::Local(_) => End {
                workspace: None,
                provider: Provider::Local,
            },
            Place::Workspace(id) => match engine.workspace(id) {
                Ok(ws) if matches!(ws.storage, Storage::S3(_)) => End {
                    workspace: Some(ws.id.clone()),
                    provider: ws.provider(),
                },
                _ => End {
                    workspace: None,
                    provider: Provider::Local,
                },
            },
        }
    }

    fn in_s3(&self) -> bool {
        self.provider != Provider::Local
    }
}

/// Estimates what the plan's actions (those still in it) will ask of the stores.
pub fn estimate(engine: &Engine, plan: &ReviewedPlan) -> Estimate {
    let transfer = &engine.settings().transfer;
    let sizes = Sizes {
        threshold: u64::from(transfer.multipart_threshold_mib) << 20,
        part: (u64::from(transfer.part_size_mib) << 20).max(1),
    };
    let (src, dst) = (
        End::of(engine, &plan.source),
        End::of(engine, &plan.destination),
    );
    let mut source = Charges::default();
    let mut destination = Charges::default();
    // Listing: every key of each side is read once, 1,000 a page.
    let s = &plan.summary;
    // (`update` counts the conflicts too.)
    let listed_source = s.copy + s.update + s.unchanged;
    let listed_destination = s.update + s.unchanged + s.delete;
    source.lists = pages(listed_source);
    destination.lists = pages(listed_destination);
    let server_side = src.in_s3() && src.workspace == dst.workspace;
    for action in &plan.actions {
        // A conflict the reviewer did not decide follows the plan's rule.
        let policy = action.resolution.unwrap_or(plan.options.conflict);
        if action.action == "conflict" && policy == crate::settings::ConflictPolicy::Skip {
            continue;
        }
        count(
            action,
            &src,
            &dst,
            server_side,
            sizes,
            &mut source,
            &mut destination,
        );
    }
    let price_list = prices(engine);
    let priced = |end: &End, mut charges: Charges| {
        if !end.in_s3() {
            return None;
        }
        charges.provider = provider_name(end.provider);
        let price = price_list
            .get(&charges.provider)
            .copied()
            .unwrap_or_else(|| list_price(end.provider));
        charges.cost = cost(&charges, &price);
        Some(charges)
    };
    let (source, destination) = (priced(&src, source), priced(&dst, destination));
    let sides = || source.iter().chain(destination.iter());
    Estimate {
        requests: sides().map(Charges::requests).sum(),
        cost: sides().map(|c| c.cost).sum(),
        source: source.clone(),
        destination: destination.clone(),
    }
}

#[derive(Clone, Copy)]
struct Sizes {
    threshold: u64,
    part: u64,
}

impl Sizes {
    /// How many parts an object of `size` goes in, if it goes in parts: from the threshold up,
    /// parts of the part size, grown so that no object needs more than 10,000.
    fn parts(self, size: u64) -> Option<u64> {
        (size >= self.threshold).then(|| size.div_ceil(self.part.max(size.div_ceil(10_000))))
    }

    /// Requests to upload (or copy in place) one object: one, or its parts plus create and
    /// complete.
    fn writes(self, size: u64) -> u64 {
        self.parts(size).map_or(1, |n| n + 2)
    }

    /// Requests to download one object: one GET, or one per range of a large one.
    fn reads(self, size: u64) -> u64 {
        self.parts(size).unwrap_or(1)
    }
}

fn pages(keys: u64) -> u64 {
    keys.div_ceil(1000).max(1)
}

fn count(
    action: &PlannedAction,
    src: &End,
    dst: &End,
    server_side: bool,
    sizes: Sizes,
    source: &mut Charges,
    destination: &mut Charges,
) {
    let size = action.size;
    match action.action.as_str() {
        "copy" | "update" | "conflict" => {
            if server_side {
                destination.writes += sizes.writes(size);
                return;
            }
            if src.in_s3() {
                source.reads += sizes.reads(size);
                source.egress_bytes += size;
            }
            if dst.in_s3() {
                destination.writes += sizes.writes(size);
            }
        }
        "delete" if dst.in_s3() => destination.deletes += 1,
        "mkdir" | "link" if dst.in_s3() => destination.writes += 1,
        _ => {}
    }
}

fn cost(charges: &Charges, price: &Price) -> f64 {
    let per_1000 = |n: u64, p: f64| n as f64 / 1000.0 * p;
    per_1000(charges.writes, price.write_per_1000)
        + per_1000(charges.reads, price.read_per_1000)
        + per_1000(charges.lists, price.list_per_1000)
        + per_1000(charges.deletes, price.delete_per_1000)
        + charges.egress_bytes as f64 / 1e9 * price.egress_per_gb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_priced_name_is_a_provider_and_back() {
        for name in PRICED {
            let provider = provider_named(name).expect(name);
            assert_eq!(provider_name(provider), name);
        }
        assert_eq!(provider_named("local"), None);
        assert_eq!(provider_named("aws "), None);
    }

    #[test]
    fn large_objects_count_their_parts() {
        let sizes = Sizes {
            threshold: 16 << 20,
            part: 8 << 20,
        };
        assert_eq!(sizes.writes((16 << 20) - 1), 1);
        // The threshold itself goes in parts (as uploads do): two, plus create and complete.
        assert_eq!(sizes.writes(16 << 20), 4);
        // 17 MiB: three parts, plus create and complete.
        assert_eq!(sizes.writes(17 << 20), 5);
        // 1 TiB: parts grown to fit 10,000.
        assert_eq!(sizes.reads(1 << 40), 10_000);
        assert_eq!(sizes.reads(17 << 20), 3);
        assert_eq!(sizes.reads(0), 1);
        assert_eq!(pages(0), 1);
        assert_eq!(pages(1000), 1);
        assert_eq!(pages(1001), 2);
    }

    #[test]
    fn cost_adds_each_class_and_egress() {
        let charges = Charges {
            writes: 2000,
            reads: 10_000,
            lists: 1000,
            deletes: 5,
            egress_bytes: 2_000_000_000,
            ..Charges::default()
        };
        let c = cost(&charges, &list_price(Provider::Aws));
        // 2×0.005 + 10×0.0004 + 1×0.005 + 0 + 2×0.09
        assert!((c - (0.01 + 0.004 + 0.005 + 0.18)).abs() < 1e-9, "{c}");
        assert_eq!(cost(&charges, &list_price(Provider::Wasabi)), 0.0);
    }
}
