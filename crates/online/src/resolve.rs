//! The addresses connections are made to: the system's DNS answer, less private and loopback
//! addresses unless `--allow-private`.
//!
//! `open.rs` looks up each URL's host before asking it, to name the finding (`private-url`, with
//! the address). This guard sits on the lookup the connection itself uses, so a name that
//! answers with a public address first and a private one the second time (DNS rebinding) still
//! cannot reach the local network. A configured proxy (`HTTP_PROXY`, ...) is exempt: it is the
//! user's own, and it resolves the target itself.

use std::io;

use stimpack_core::private_ip;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// The system resolver, keeping only public addresses when `allow_private` is false.
#[derive(Debug, Default)]
pub(crate) struct PublicOnly {
    system: DefaultResolver,
    allow_private: bool,
}

impl PublicOnly {
    pub(crate) fn new(allow_private: bool) -> Self {
        PublicOnly {
            system: DefaultResolver::default(),
            allow_private,
        }
    }
}

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let found = self.system.resolve(uri, config, timeout)?;
        let proxy = config.proxy().is_some_and(|p| uri.host() == Some(p.host()));
        if self.allow_private || proxy {
            return Ok(found);
        }
        let mut public = self.empty();
        for addr in found.iter().filter(|a| private_ip(a.ip()).is_none()) {
            public.push(*addr);
        }
        if public.is_empty() {
            let first = found.first().map(|a| a.ip().to_string()).unwrap_or_default();
            return Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the host name resolved to the private or loopback address {first} when connecting \
                     (a public one just before: its DNS answers change), which stimpack does not connect to"
                ),
            )));
        }
        Ok(public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration;

    fn resolve(url: &str, allow_private: bool) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let uri: Uri = url.parse().unwrap();
        let timeout = NextTimeout {
            after: Duration::NotHappening,
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        PublicOnly::new(allow_private).resolve(&uri, &Config::default(), timeout)
    }

    #[test]
    fn private_addresses_are_not_connected_to_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/a.wav",
            "http://10.1.2.3/a.wav",
            "http://[::1]:80/a.wav",
        ] {
            let err = resolve(url, false).unwrap_err();
            assert!(err.to_string().contains("does not connect to"), "{url}: {err}");
            assert!(resolve(url, true).is_ok(), "{url}");
        }
        assert_eq!(resolve("http://93.184.215.14/a.wav", false).unwrap().len(), 1);
    }
}
