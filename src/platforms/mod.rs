//! `--platform`: which platform's rules `check` applies, what `pack` writes and how `upload`
//! talks to the API. Mabyduck (the default) is served by `check_cmd`, `pack_cmd` and
//! `upload`; Prolific, Datature and Coactive by `export` (rows and export files), `pack`
//! and `upload` here.

pub mod export;
pub mod pack;
pub mod upload;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use stimpack_core::Platform;

/// The environment variable that chooses the platform when `--platform` is not given.
pub const PLATFORM_ENV: &str = "STIMPACK_PLATFORM";

/// Flags that choose the platform and where its media will be served.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The platform whose rules apply and whose export is written: mabyduck (the default),
    /// prolific, datature or coactive [env: STIMPACK_PLATFORM].
    #[arg(long, value_name = "NAME", value_parser = platform_parser())]
    pub platform: Option<Platform>,
    /// For prolific, datature and coactive with a folder or zip: the URL the dataset's folder
    /// will be served at; each stimulus is then BASE/source/condition.ext.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

fn platform_parser() -> impl TypedValueParser<Value = Platform> {
    PossibleValuesParser::new(Platform::ALL.iter().map(|p| p.as_str())).try_map(|s| s.parse::<Platform>())
}

impl TargetArgs {
    /// The platform asked for: the flag, else `STIMPACK_PLATFORM`, else Mabyduck. A message
    /// naming the variable when it holds no platform; and `--base-url` is refused for
    /// Mabyduck, which takes the dataset itself.
    pub fn platform(&self) -> Result<Platform, String> {
        let platform = match self.platform {
            Some(p) => p,
            None => match std::env::var(PLATFORM_ENV) {
                Ok(v) if !v.trim().is_empty() => v.parse().map_err(|e| format!("{PLATFORM_ENV}={v}: {e}"))?,
                _ => Platform::default(),
            },
        };
        if platform == Platform::Mabyduck && self.base_url.is_some() {
            return Err(
                "--base-url is for --platform prolific, datature and coactive, which show media by URL; Mabyduck takes the dataset itself"
                    .into(),
            );
        }
        Ok(platform)
    }
}
