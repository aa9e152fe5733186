//! Streaming the dataset file to the signed upload URL, with progress and retries.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use ureq::SendBody;

use super::{Attempt, Client, excerpt, status_failure, transport_failure};
use crate::error::ClientError;
use crate::mabyduck::CreatedDataset;
use crate::reporter::Reporter;
use crate::secret::Scrubber;

/// Counts bytes as ureq pulls them from the file.
struct ProgressReader<'a, R> {
    inner: R,
    reporter: &'a dyn Reporter,
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.reporter.on_upload_progress(n as u64);
        }
        Ok(n)
    }
}

impl Client {
    /// `PUT` the file at `path` to the dataset's signed upload URL and return its size.
    ///
    /// The file is streamed with `Content-Length` (never read whole into memory) and
    /// opened anew for each attempt. No API key is sent: the URL's signature is the
    /// credential, and in production it points at another host.
    pub fn upload_file(
        &self,
        created: &CreatedDataset,
        path: &Path,
        reporter: &dyn Reporter,
    ) -> Result<u64, ClientError> {
        let url = &created.upload_url;
        let redacted = url.redacted();
        let scrubber = Scrubber::new(&self.key).with_url(url);
        let dataset = Some(created.id.clone());
        let read_error = |source| {
            Attempt::Fail(ClientError::ReadFile {
                path: path.to_owned(),
                source,
                dataset_id: dataset.clone(),
            })
        };
        self.retrying(&redacted, Some(&created.id), reporter, || {
            let file = match File::open(path) {
                Ok(file) => file,
                Err(e) => return read_error(e),
            };
            let length = match file.metadata() {
                Ok(meta) => meta.len(),
                Err(e) => return read_error(e),
            };
            reporter.on_upload_start(length);
            let mut body = ProgressReader {
                inner: file,
                reporter,
            };
            let sent = self
                .agent
                .put(url.expose())
                .header("Content-Length", length)
                // Lets the store refuse (expired URL, 403) before the body is sent; without
                // it a large body meets a closed connection and the 403 is never seen.
                .header("Expect", "100-continue")
                .send(SendBody::from_reader(&mut body));
            let mut response = match sent {
                Ok(response) => response,
                Err(e) => return transport_failure(e, &scrubber, &redacted, &dataset),
            };
            let status = response.status().as_u16();
            let retry_after = super::retry_after_of(&response);
            // Object-store answers are small; a failed read only loses the detail.
            let text = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_string()
                .unwrap_or_default();
            if (200..300).contains(&status) {
                reporter.on_upload_complete();
                return Attempt::Done(length);
            }
            let detail = object_store_detail(&text, &scrubber);
            if status == 403 {
                return Attempt::Fail(ClientError::UploadUrlRefused {
                    dataset_id: created.id.clone(),
                    url: redacted.clone(),
                    detail,
                });
            }
            status_failure(status, retry_after, detail, &redacted, &dataset)
        })
    }
}

/// `Code: Message` from an S3-style XML error, else the start of the text. S3 echoes the
/// signature in some errors, so only these two elements are kept, and scrubbed.
fn object_store_detail(text: &str, scrubber: &Scrubber<'_>) -> String {
    let element = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(text[start..end].trim().to_owned())
    };
    let detail = match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => excerpt(text),
    };
    scrubber.scrub(&detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{ApiKey, SecretUrl};

    #[test]
    fn object_store_detail_keeps_code_and_message_only() {
        let key = ApiKey::new("k3y").unwrap();
        let url = SecretUrl::new("https://s3/b/k?X-Amz-Signature=abcdef0123456789");
        let scrubber = Scrubber::new(&key).with_url(&url);
        let xml = "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message>\
                   <SignatureProvided>abcdef0123456789</SignatureProvided></Error>";
        assert_eq!(object_store_detail(xml, &scrubber), "SignatureDoesNotMatch: no");
        assert_eq!(object_store_detail("bad abcdef0123456789", &scrubber), "bad ***");
    }
}
