//! `stimpack-testserver [--platform mabyduck|prolific|datature|coactive] --port N
//! [--api-key KEY] [--polls N]`: run a stand-in platform API in the foreground and print its
//! base URL, for demos of the CLI.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use stimpack_testserver::standin::PlatformFaults;
use stimpack_testserver::{ServerConfig, TestServer, coactive, datature, prolific};

const USAGE: &str = "usage: stimpack-testserver [--platform mabyduck|prolific|datature|coactive] [--port N] [--api-key KEY] [--polls N]";

fn main() -> ExitCode {
    let mut config = ServerConfig::default();
    let mut port = 0u16;
    let mut platform = String::from("mabyduck");
    let mut key = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--port" | "--api-key" | "--polls" | "--platform" => args.next(),
            _ => None,
        };
        let Some(value) = value else {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        };
        let parsed = match arg.as_str() {
            "--port" => value.parse().map(|p| port = p).is_ok(),
            "--polls" => value.parse().map(|n| config.polls_until_ready = n).is_ok(),
            "--platform" => {
                platform = value.clone();
                ["mabyduck", "prolific", "datature", "coactive"].contains(&value.as_str())
            }
            _ => {
                key = Some(value.clone());
                true
            }
        };
        if !parsed {
            eprintln!("invalid value for {arg}: {value}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let faults = PlatformFaults {
        polls_until_ready: config.polls_until_ready,
        ..PlatformFaults::default()
    };
    let started = match platform.as_str() {
        "prolific" => {
            let key = key.unwrap_or_else(|| prolific::DEFAULT_TOKEN.into());
            prolific::start(Some(addr), &key, faults).map(|s| {
                announce(s.base_url(), &key);
                s.run_forever()
            })
        }
        "datature" => {
            let key = key.unwrap_or_else(|| datature::DEFAULT_SECRET_KEY.into());
            datature::start(Some(addr), &key, faults, datature::DEFAULT_EXPIRY_MS).map(|s| {
                announce(s.base_url(), &key);
                s.run_forever()
            })
        }
        "coactive" => {
            let key = key.unwrap_or_else(|| coactive::DEFAULT_TOKEN.into());
            coactive::start(Some(addr), &key, faults).map(|s| {
                announce(s.base_url(), &key);
                s.run_forever()
            })
        }
        _ => {
            if let Some(key) = key {
                config.api_key = key;
            }
            return mabyduck(port, config);
        }
    };
    match started {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("could not start the {platform} stand-in on port {port}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the URL and the key accepted.
fn announce(url: &str, key: &str) {
    println!("{url}");
    let _ = std::io::stdout().flush();
    eprintln!("stimpack-testserver: accepting key `{key}`; Ctrl-C to stop");
}

fn mabyduck(port: u16, config: ServerConfig) -> ExitCode {
    let server = match TestServer::start_on(SocketAddr::from(([127, 0, 0, 1], port)), config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("could not start the test server on port {port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", server.base_url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "stimpack-testserver: accepting API key `{}`; any project id; Ctrl-C to stop",
        server.api_key()
    );
    server.run_forever();
    ExitCode::SUCCESS
}
