//! Helpers of the preview tests: running `stimpack preview` as a server in the background,
//! raw HTTP requests to it (so that no client tidies a hostile path before it is sent), and
//! reading the data a written page carries.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub mod webdriver;

/// A running `stimpack preview`, stopped when dropped.
pub struct Preview {
    child: Child,
    /// The URL it printed, e.g. `http://127.0.0.1:41234/`.
    pub url: String,
    /// Its port.
    pub port: u16,
}

impl Preview {
    /// Starts `stimpack preview INPUT ARGS...` and waits for the URL on its stdout.
    pub fn start(input: &Path, args: &[&str]) -> Preview {
        Self::start_in(input, args, None)
    }

    /// As [`Preview::start`], with `TMPDIR` set to `tmp` when given.
    pub fn start_in(input: &Path, args: &[&str], tmp: Option<&Path>) -> Preview {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("stimpack"));
        command
            .arg("preview")
            .arg(input)
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(tmp) = tmp {
            command.env("TMPDIR", tmp);
        }
        let mut child = command.spawn().expect("stimpack runs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if !line.trim().is_empty() => line,
            _ => {
                let _ = child.kill();
                let mut err = String::new();
                let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                panic!("stimpack preview printed no URL; stderr: {err}");
            }
        };
        let url = line.trim().to_string();
        let port = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url:?}"));
        Preview { child, url, port }
    }
}

impl Preview {
    /// Sends SIGINT (what Ctrl-C sends) and waits for the process to end, for at most `limit`.
    #[cfg(unix)]
    pub fn interrupt(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        // SAFETY: signals a child process this test started and has not yet reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers (names lower-cased) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `METHOD TARGET` exactly as given, with `Host: 127.0.0.1:PORT` unless `headers` has one.
pub fn request(port: u16, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut text = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        text.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reads the answer");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// `GET TARGET`.
pub fn get(port: u16, target: &str) -> Answer {
    request(port, "GET", target, &[])
}

/// The data a page carries (`report`, `media`, `note`), as the page's script reads it.
pub fn page_data(html: &str) -> Value {
    let start_tag = r#"<script type="application/json" id="stimpack-data">"#;
    let start = html.find(start_tag).expect("the data script") + start_tag.len();
    let end = start + html[start..].find("</script>").expect("its end");
    serde_json::from_str(&html[start..end]).expect("JSON data")
}

/// A 16-bit mono AIFF of `frames` samples at 24 kHz: a file stimpack reads as valid and that
/// Chromium cannot play (it has no AIFF demuxer).
pub fn aiff(frames: u32) -> Vec<u8> {
    let data_len = frames * 2;
    let mut comm = Vec::new();
    comm.extend_from_slice(&1u16.to_be_bytes()); // channels
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes()); // bits
    // 24000 as an 80-bit extended float: exponent 16383 + 14, mantissa 24000 << (63 - 14).
    comm.extend_from_slice(&(16383u16 + 14).to_be_bytes());
    comm.extend_from_slice(&(24000u64 << 49).to_be_bytes());
    let mut ssnd = vec![0u8; 8]; // offset, block size
    for i in 0..frames {
        let v = ((i as f64 * 440.0 * std::f64::consts::TAU / 24000.0).sin() * 8000.0) as i16;
        ssnd.extend_from_slice(&v.to_be_bytes());
    }
    let mut out = b"FORM".to_vec();
    let form_len = 4 + (8 + comm.len()) + (8 + ssnd.len());
    out.extend_from_slice(&(form_len as u32).to_be_bytes());
    out.extend_from_slice(b"AIFF");
    out.extend_from_slice(b"COMM");
    out.extend_from_slice(&(comm.len() as u32).to_be_bytes());
    out.extend_from_slice(&comm);
    out.extend_from_slice(b"SSND");
    out.extend_from_slice(&(data_len + 8).to_be_bytes());
    out.extend_from_slice(&ssnd);
    out
}
