//! Ferry's reliability and security suite: faults on the wire, crashes, full and read-only
//! disks, hostile input, secrets and load. Each test adds what it did to a report (faults
//! injected, jobs run, files verified, bytes lost, secrets found, panics) that `scripts/test`
//! and `scripts/reliability` print. Set FERRY_RELIABILITY_FULL=1 for the slow parts.

mod bounds;
mod common;
mod crash;
mod disk;
mod faults;
mod hostile;
mod load;
mod safety;
mod secrets;
