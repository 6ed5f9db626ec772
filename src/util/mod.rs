//! Small Redis-exact helpers shared across the server.
pub mod bytebuf;
pub mod glob;
pub mod numbers;
pub mod prefetch;
pub mod repr;
pub mod sha1;
pub mod siphash;
pub mod splitargs;

/// An I/O error as C's strerror() words it ("No such file or directory"), the way
/// Redis's log lines and error replies quote it.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
