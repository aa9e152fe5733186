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

/// Configuration and exit codes of `stimpack upload`, every platform's, shown in `--help`.
pub const UPLOAD_HELP: &str = "Configuration (--platform, or STIMPACK_PLATFORM; default mabyduck):
  mabyduck  MABYDUCK_API_KEY (or --api-key-file), MABYDUCK_PROJECT (or --project),
            MABYDUCK_API_URL (or --api-url; default https://api.mabyduck.com)
  prolific  PROLIFIC_API_TOKEN (or --api-key-file), PROLIFIC_WORKSPACE (or --workspace),
            PROLIFIC_API_URL (or --api-url; default https://api.prolific.com)
  datature  DATATURE_SECRET_KEY (or --api-key-file), DATATURE_PROJECT (or --project),
            DATATURE_API_URL (or --api-url; default https://api.datature.io)
  coactive  COACTIVE_API_TOKEN (or --api-key-file), --encoder (default multimodal),
            COACTIVE_API_URL (or --api-url; default https://app.coactive.ai)
  prolific, datature and coactive take a .txt URL list, or a folder with --base-url URL.

Exit codes:
  0  done
  1  the dataset has errors, the platform refused it, processing failed, or the platform's
     stimuli (or item count) differ from ours
  2  the input could not be read, the arguments or configuration are wrong
  3  the platform or the network failed (key refused, time-out, retries exhausted)";

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
        if let Some(base) = &self.base_url {
            stimpack_core::platform::check_base_url(base).map_err(|e| e.to_string())?;
        }
        if platform == Platform::Mabyduck && self.base_url.is_some() {
            return Err(
                "--base-url is for --platform prolific, datature and coactive, which show media by URL; Mabyduck takes the dataset itself"
                    .into(),
            );
        }
        Ok(platform)
    }
}
