//! `stimpack-testserver --port N [--api-key KEY] [--polls N]`: run the stand-in
//! Mabyduck API in the foreground and print its base URL, for demos of the CLI.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use stimpack_testserver::{ServerConfig, TestServer};

const USAGE: &str = "usage: stimpack-testserver [--port N] [--api-key KEY] [--polls N]";

fn main() -> ExitCode {
    let mut config = ServerConfig::default();
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--port" | "--api-key" | "--polls" => args.next(),
            _ => None,
        };
        let Some(value) = value else {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        };
        let parsed = match arg.as_str() {
            "--port" => value.parse().map(|p| port = p).is_ok(),
            "--polls" => value.parse().map(|n| config.polls_until_ready = n).is_ok(),
            _ => {
                config.api_key = value.clone();
                true
            }
        };
        if !parsed {
            eprintln!("invalid value for {arg}: {value}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
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
