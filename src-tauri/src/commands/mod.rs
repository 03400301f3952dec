//! The commands the UI calls. Each translates arguments, calls the engine, and translates back.

pub mod browse;
pub mod import;
pub mod look;
pub mod objects;
pub mod open;
pub mod settings;
pub mod storage_move;
pub mod sync;
pub mod system;
pub mod transfer;
pub mod updates;
