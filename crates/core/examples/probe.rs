//! Probes media files one by one and prints what each holds, with its findings:
//! `cargo run -p stimpack-core --example probe -- FILE...`

use std::path::Path;
use std::process::ExitCode;

use stimpack_core::probe_file;

fn main() -> ExitCode {
    let mut worst = ExitCode::SUCCESS;
    for arg in std::env::args().skip(1) {
        match probe_file(Path::new(&arg)) {
            Ok(probed) => {
                let s = &probed.stimulus;
                println!(
                    "{}: {} {} {:?}, {:?} s, {:?} Hz, {:?}x{:?}",
                    s.path,
                    s.media.as_str(),
                    s.reading.format,
                    s.reading.codec,
                    s.reading.duration_s,
                    s.reading.sample_rate,
                    s.reading.width,
                    s.reading.height
                );
                for issue in &probed.issues {
                    println!("  {issue}");
                }
                if !probed.ok() {
                    worst = ExitCode::from(1);
                }
            }
            Err(e) => {
                eprintln!("{e}");
                worst = ExitCode::from(2);
            }
        }
    }
    worst
}
