//! Endpoint-level operations: the buckets these credentials can see, and creating one.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde::Serialize;

use super::{S3Backend, timestamp};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketInfo {
    pub name: String,
    pub created: Option<jiff::Timestamp>,
}

impl S3Backend {
    pub async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let mut buckets = Vec::new();
        let mut token = None;
        let mut seen = super::list::SeenTokens::default();
        loop {
            let out = self
                .client()
                .list_buckets()
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| self.fail("list buckets", e))?;
            buckets.extend(out.buckets().iter().map(|b| BucketInfo {
                name: b.name().unwrap_or_default().to_string(),
                created: timestamp(b.creation_date()),
            }));
            token = out.continuation_token().map(str::to_string);
            if token.is_none() {
                return Ok(buckets);
            }
            seen.next(token.as_deref(), "list of buckets")?;
        }
    }

    /// Creates the configured bucket in the configured region.
    pub async fn create_bucket(&self) -> Result<()> {
        let region = &self.config().region;
        // us-east-1 is the default location and must not be named; custom endpoints often
        // reject location constraints they do not know.
        let configuration =
            (region != "us-east-1" && self.config().endpoint_url.is_none()).then(|| {
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build()
            });
        self.client()
            .create_bucket()
            .bucket(self.bucket())
            .set_create_bucket_configuration(configuration)
            .send()
            .await
            .map_err(|e| self.fail("create the bucket", e))?;
        Ok(())
    }
}
