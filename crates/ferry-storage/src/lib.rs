//! Ferry's storage seam: [`Backend`] and its two stores, [`LocalBackend`] and [`S3Backend`].
//! This crate knows nothing of workspaces, settings or user interfaces.

pub mod backend;
pub mod bandwidth;
pub mod checksum;
pub mod diagnose;
pub mod error;
pub mod identity;
pub mod integrity;
pub mod key;
pub mod local;
pub mod s3;
pub mod sensitive;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod text;

pub use backend::{
    Backend, BackendExt, ByteRange, Capabilities, Carried, CopySource, DeleteFailure, Entry,
    GetObject, ListOptions, ListPage, MemoryBudget, MemoryLoan, ObjectMeta, PresignMethod, PutBody,
    PutOptions, PutSource, Reader, WriteMode,
};
pub use bandwidth::{Bandwidth, BandwidthLimits};
pub use diagnose::{Check, CheckName, ConnectionReport};
pub use error::{ErrorKind, Result, StorageError};
pub use identity::{Identity, NameFolding, normalize_endpoint};
pub use key::{KeyError, ObjectKey};
pub use local::LocalBackend;
pub use s3::{S3Backend, S3Config, S3Credentials};
pub use sensitive::Sensitive;
