//! Wrappers that keep the API key and signed URLs out of `Debug`, `Display` and errors.

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::ClientError;

/// A platform API key. Its `Debug` shows `ApiKey(***)`; it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wrap a key, refusing one that is empty or could not be sent in a header.
    pub fn new(key: impl Into<String>) -> Result<Self, ClientError> {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.is_empty() {
            return Err(ClientError::InvalidApiKey {
                reason: "it is empty",
            });
        }
        if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ClientError::InvalidApiKey {
                reason: "it contains spaces or characters other than printable ASCII",
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// A URL whose query string is a secret (a signed upload URL grants write access).
/// `Debug` and `Display` show only scheme, host and path.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Wrap a full URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The full URL, query string included; only for sending the request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The shareable part: scheme, host and path.
    pub fn redacted(&self) -> RedactedUrl {
        RedactedUrl::new(&self.0)
    }

    /// The query string (without `?`), if any: the part that must never be shown.
    pub(crate) fn query(&self) -> Option<&str> {
        let without_fragment = self.0.split('#').next().unwrap_or("");
        without_fragment
            .split_once('?')
            .map(|(_, q)| q)
            .filter(|q| !q.is_empty())
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({:?})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.redacted(), f)
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

/// A URL cut down to `scheme://host[:port]/path`: no user info, query or fragment.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    /// Redact `url`.
    pub fn new(url: &str) -> Self {
        let url = url.split(['?', '#']).next().unwrap_or("");
        let Some((scheme, rest)) = url.split_once("://") else {
            return Self("<not a URL>".to_owned());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host = authority.rsplit('@').next().unwrap_or("");
        Self(format!("{scheme}://{host}{path}"))
    }

    /// The redacted text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Removes known secrets from text that came from elsewhere (server bodies, I/O errors)
/// before it goes into an error message.
#[derive(Default)]
pub(crate) struct Scrubber<'a> {
    secrets: Vec<&'a str>,
}

impl<'a> Scrubber<'a> {
    pub(crate) fn new(key: &'a ApiKey) -> Self {
        Self {
            secrets: vec![key.expose()],
        }
    }

    /// Also removes `secret` (a confirmation token, ...), when there is one.
    pub(crate) fn with_secret(mut self, secret: Option<&'a str>) -> Self {
        self.secrets.extend(secret);
        self
    }

    pub(crate) fn with_url(mut self, url: &'a SecretUrl) -> Self {
        if let Some(query) = url.query() {
            self.secrets.push(query);
            // Each value on its own too: servers echo single parameters (a signature).
            for pair in query.split('&') {
                if let Some((_, value)) = pair.split_once('=') {
                    if value.len() >= 8 {
                        self.secrets.push(value);
                    }
                }
            }
        }
        self
    }

    /// Replace every known secret with `***`, and cut the query string off any URL in
    /// the text, since a server may echo a signed URL we never saw.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if !secret.is_empty() {
                out = out.replace(secret, "***");
            }
        }
        strip_url_queries(&out)
    }
}

/// `http(s)://host/path?query` → `http(s)://host/path?***` wherever it occurs in `text`.
fn strip_url_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (head, tail) = rest.split_at(start);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(tail.len());
        let url = &tail[..end];
        match url.find('?') {
            Some(q) => {
                out.push_str(&url[..q]);
                out.push_str("?***");
            }
            None => out.push_str(url),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_query_userinfo_and_fragment() {
        let url = "https://user:pw@bucket.s3.example.com:443/a/b.zip?X-Amz-Signature=abc#frag";
        assert_eq!(
            RedactedUrl::new(url).as_str(),
            "https://bucket.s3.example.com:443/a/b.zip"
        );
        assert_eq!(RedactedUrl::new("no scheme?x=1").as_str(), "<not a URL>");
        assert_eq!(
            RedactedUrl::new("http://h:1").as_str(),
            "http://h:1",
            "no path stays no path"
        );
    }

    #[test]
    fn secret_url_debug_and_display_hide_query() {
        let url = SecretUrl::new("https://h/p?X-Amz-Signature=deadbeefdeadbeef");
        assert_eq!(format!("{url}"), "https://h/p");
        assert_eq!(format!("{url:?}"), "SecretUrl(\"https://h/p\")");
        assert_eq!(url.query(), Some("X-Amz-Signature=deadbeefdeadbeef"));
    }

    #[test]
    fn api_key_debug_is_hidden_and_key_is_validated() {
        let key = ApiKey::new(" k3y-secret-value\n").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(***)");
        assert_eq!(key.expose(), "k3y-secret-value");
        assert!(ApiKey::new("  ").is_err());
        assert!(ApiKey::new("has space").is_err());
    }

    #[test]
    fn scrubber_removes_key_query_and_signature() {
        let key = ApiKey::new("supersecretkey").unwrap();
        let url = SecretUrl::new("https://h/p?X-Amz-Expires=3600&X-Amz-Signature=0123456789abcdef");
        let s = Scrubber::new(&key).with_url(&url);
        assert_eq!(
            s.scrub("key supersecretkey sig 0123456789abcdef"),
            "key *** sig ***"
        );
        assert_eq!(
            s.scrub("see \"https://other/x?token=abc\" and http://h/p"),
            "see \"https://other/x?***\" and http://h/p"
        );
        // a confirmation token echoed in a launch's error
        let s = Scrubber::new(&key).with_secret(Some("tok-5f3a9c"));
        assert_eq!(
            s.scrub(r#"{"token": "tok-5f3a9c has expired"}"#),
            r#"{"token": "*** has expired"}"#
        );
    }
}
