//! What `--version` says: the package version and the commit it was built from (recorded by
//! `build.rs`); `--version` (long) adds the target and profile.

/// `stimpack -V`.
pub const SHORT: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("STIMPACK_COMMIT"), ")");

/// `stimpack --version`.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("STIMPACK_COMMIT"),
    ")\ntarget: ",
    env!("STIMPACK_TARGET"),
    ", ",
    env!("STIMPACK_PROFILE"),
    " build\nformats, codecs and extensions: `stimpack formats`"
);
