//! The demo binary prints its base URL first and then serves on it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn binary_prints_its_base_url_and_answers_there() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stimpack-testserver"))
        .args(["--port", "0", "--api-key", "demo-key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().to_owned();
    let result = (|| {
        let host = base.strip_prefix("http://")?;
        let mut stream = TcpStream::connect(host).ok()?;
        stream
            .write_all(
                b"GET /projects/p1/datasets/ HTTP/1.1\r\nHost: x\r\n\
                  Authorization: Api-Key demo-key\r\n\r\n",
            )
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        Some(answer)
    })();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let answer = result.expect("the server answers at the printed URL");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("[]"), "{answer}");
}
