//! Small Redis-exact helpers shared across the server.
pub mod glob;
pub mod numbers;
pub mod repr;
pub mod sha1;
pub mod splitargs;
