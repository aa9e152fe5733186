//! `stimpack-mediahost ROOT [--port N] [--latency-ms N] [--slow-ms N]`: serve the files under
//! ROOT as the static media host of the tests (see `media_host`), in the foreground, and print
//! its base URL. For the `check --online` benchmark (`bench/online.sh`) and demos.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use stimpack_testserver::media_host::{MediaHost, MediaHostConfig};

const USAGE: &str = "usage: stimpack-mediahost ROOT [--port N] [--latency-ms N] [--slow-ms N]";

fn main() -> ExitCode {
    let mut config = MediaHostConfig::default();
    let mut port = 0u16;
    let mut root = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let ok = match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--port" => args
                .next()
                .and_then(|v| v.parse().ok())
                .map(|p| port = p)
                .is_some(),
            "--latency-ms" => args
                .next()
                .and_then(|v| v.parse().ok())
                .map(|ms| config.latency = Duration::from_millis(ms))
                .is_some(),
            "--slow-ms" => args
                .next()
                .and_then(|v| v.parse().ok())
                .map(|ms| config.slow = Duration::from_millis(ms))
                .is_some(),
            other if !other.starts_with('-') && root.is_none() => {
                root = Some(other.to_string());
                true
            }
            _ => false,
        };
        if !ok {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Some(root) = root else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let host = match MediaHost::bind(&root, config, &format!("127.0.0.1:{port}")) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("stimpack-mediahost: cannot listen on port {port}: {e}");
            return ExitCode::from(1);
        }
    };
    println!("{}", host.base_url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
