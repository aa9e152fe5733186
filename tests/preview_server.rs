//! `stimpack preview` without a browser: the server (page, media, ranges, refusals, 127.0.0.1
//! only) and the static page of `-o DIR`.

mod common;
mod preview_support;

use std::fs;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{assert_exit, stimpack, testdata};
use preview_support::{Preview, get, page_data, request};

/// A copy of the demo set at `dir/study`, with a file beside it that must never be served.
fn study(dir: &Path) -> PathBuf {
    let root = dir.join("study");
    for source in fs::read_dir(testdata().join("demo")).unwrap() {
        let source = source.unwrap();
        fs::create_dir_all(root.join(source.file_name())).unwrap();
        for f in fs::read_dir(source.path()).unwrap() {
            let f = f.unwrap();
            fs::copy(f.path(), root.join(source.file_name()).join(f.file_name())).unwrap();
        }
    }
    fs::write(dir.join("secret.txt"), b"not part of the dataset").unwrap();
    root
}

/// Asserts two byte strings are equal without printing them.
fn same(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    assert!(got == want, "{what}: the bytes differ");
}

/// Every stimulus of the demo: its path and bytes.
fn demo_files() -> Vec<(String, Vec<u8>)> {
    let (_, report) = common::check_json(&testdata().join("demo"), &[]);
    let mut files = Vec::new();
    for group in report["groups"].as_array().unwrap() {
        for s in group["stimuli"].as_array().unwrap() {
            let path = s["path"].as_str().unwrap().to_string();
            let bytes = fs::read(testdata().join("demo").join(&path)).unwrap();
            files.push((path, bytes));
        }
    }
    assert_eq!(files.len(), 16);
    files
}

#[test]
fn serves_the_page_and_every_stimulus_whole_and_in_ranges() {
    let preview = Preview::start(&testdata().join("demo"), &[]);
    assert!(preview.url.starts_with("http://127.0.0.1:"), "{}", preview.url);
    let page = get(preview.port, "/");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let data = page_data(&String::from_utf8(page.body).unwrap());
    assert_eq!(data["report"]["summary"]["stimuli"], 16);
    for (path, bytes) in demo_files() {
        let url = data["media"][&path]
            .as_str()
            .unwrap_or_else(|| panic!("no media URL for {path}"));
        let whole = get(preview.port, url);
        assert_eq!(whole.status, 200, "{path}");
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        same(&whole.body, &bytes, &path);
        let part = request(preview.port, "GET", url, &[("Range", "bytes=100-1099")]);
        assert_eq!(part.status, 206, "{path}");
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes 100-1099/{}", bytes.len()).as_str())
        );
        same(&part.body, &bytes[100..1100], &path);
        let end = request(preview.port, "GET", url, &[("Range", "bytes=-10")]);
        same(&end.body, &bytes[bytes.len() - 10..], &path);
        let past = request(
            preview.port,
            "GET",
            url,
            &[("Range", &format!("bytes={}-", bytes.len()))],
        );
        assert_eq!(past.status, 416, "{path}");
        assert_eq!(
            past.header("content-range"),
            Some(format!("bytes */{}", bytes.len()).as_str())
        );
        let head = request(preview.port, "HEAD", url, &[]);
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
    }
}

#[test]
fn media_type_names_the_format() {
    let preview = Preview::start(&testdata().join("demo"), &[]);
    for (path, ty) in [
        ("/media/music_1/reference.wav", "audio/wav"),
        ("/media/music_1/codec_mp3.mp3", "audio/mpeg"),
        ("/media/music_1/codec_aac.m4a", "audio/mp4"),
        ("/media/music_1/codec_opus.opus", "audio/ogg"),
        ("/media/music_1/codec_8bit.flac", "audio/flac"),
    ] {
        assert_eq!(get(preview.port, path).header("content-type"), Some(ty), "{path}");
    }
}

#[test]
fn zip_entries_are_served_in_place_with_ranges_and_nothing_is_extracted() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let zip_path = dir.path().join("study.zip");
    let mut w = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
    let files = demo_files();
    for (i, (path, bytes)) in files.iter().enumerate() {
        // Half deflated, half stored; all under a wrapping folder, as a Finder zip has them.
        let method = if i % 2 == 0 {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(format!("study/{path}"), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
    let preview = Preview::start_in(&zip_path, &[], Some(&tmp));
    let data = page_data(&String::from_utf8(get(preview.port, "/").body).unwrap());
    for (path, bytes) in &files {
        let url = data["media"][path].as_str().unwrap();
        assert_eq!(url, format!("/media/study/{path}"));
        same(&get(preview.port, url).body, bytes, path);
        let mid = bytes.len() as u64 / 2;
        let part = request(preview.port, "GET", url, &[("Range", &format!("bytes={mid}-"))]);
        assert_eq!(part.status, 206);
        same(&part.body, &bytes[mid as usize..], path);
    }
    // Overlapping requests for one open entry each get their own bytes.
    let (path, bytes) = &files[0];
    let url = data["media"][path].as_str().unwrap().to_string();
    std::thread::scope(|scope| {
        for start in [0usize, 1000, 50_000, 100_000] {
            let url = url.clone();
            scope.spawn(move || {
                for _ in 0..5 {
                    let part = request(
                        preview.port,
                        "GET",
                        &url,
                        &[("Range", &format!("bytes={start}-"))],
                    );
                    same(&part.body, &bytes[start..], "overlapping range");
                }
            });
        }
    });
    let left: Vec<_> = fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "files written to TMPDIR: {left:?}");
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["study.zip", "tmp"]);
}

#[test]
fn paths_outside_the_dataset_are_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let root = study(dir.path());
    // A link inside the dataset to a media file outside it.
    #[cfg(unix)]
    {
        fs::copy(root.join("music_1/low.wav"), dir.path().join("outside.wav")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.wav"), root.join("music_1/linked.wav")).unwrap();
    }
    let preview = Preview::start(&root, &[]);
    assert_eq!(get(preview.port, "/media/music_1/low.wav").status, 200);
    for target in [
        "/media/../secret.txt",
        "/media/music_1/../../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/%2E%2E%2Fsecret.txt",
        "/media/music_1%2F..%2F..%2Fsecret.txt",
        "/media/..%5Csecret.txt",
        "/media/music_1/../music_1/low.wav",
        "/media/./music_1/low.wav",
        "/media//etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/media/%252e%252e/secret.txt",
        "/media/music_1/low.wav%00.txt",
        "/../secret.txt",
        "/secret.txt",
        "/etc/passwd",
        "http://127.0.0.1/media/../secret.txt",
        "/media/music_1/linked.wav",
        "/media/music_1",
        "/media/",
    ] {
        let answer = get(preview.port, target);
        assert!(
            answer.status == 404 || answer.status == 400,
            "{target}: HTTP {} {:?}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        assert!(
            !String::from_utf8_lossy(&answer.body).contains("not part of the dataset"),
            "{target}"
        );
        assert!(
            !String::from_utf8_lossy(&answer.body).contains("root:"),
            "{target}"
        );
    }
}

#[test]
fn only_loopback_names_and_reads_are_answered() {
    let preview = Preview::start(&testdata().join("demo"), &[]);
    let evil = request(preview.port, "GET", "/", &[("Host", "attacker.example:80")]);
    assert_eq!(evil.status, 403, "a rebound DNS name must not read the page");
    let localhost = request(
        preview.port,
        "GET",
        "/",
        &[("Host", &format!("localhost:{}", preview.port))],
    );
    assert_eq!(localhost.status, 200);
    let post = request(
        preview.port,
        "POST",
        "/media/music_1/low.wav",
        &[("Content-Length", "0")],
    );
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    assert_eq!(get(preview.port, "/favicon.ico").status, 404);
}

/// This machine's address on its default route, if it has one: not a loopback address.
fn outward_address() -> Option<std::net::IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?; // TEST-NET-1: nothing is sent by a UDP connect
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn binds_to_127_0_0_1_only() {
    let preview = Preview::start(&testdata().join("demo"), &["--port", "0"]);
    assert!(TcpStream::connect(("127.0.0.1", preview.port)).is_ok());
    match outward_address() {
        Some(ip) => {
            let outside = TcpStream::connect_timeout(&(ip, preview.port).into(), Duration::from_secs(3));
            assert!(outside.is_err(), "the server answers on {ip}:{}", preview.port);
        }
        None => eprintln!("NOTE: no non-loopback address on this machine; only 127.0.0.1 was checked"),
    }
    #[cfg(target_os = "linux")]
    {
        // The kernel's own list of listening sockets: this port only on 127.0.0.1.
        let tcp = fs::read_to_string("/proc/net/tcp").unwrap_or_default();
        let port = format!(":{:04X}", preview.port);
        let listening: Vec<&str> = tcp
            .lines()
            .filter(|l| l.split_whitespace().nth(1).is_some_and(|a| a.ends_with(&port)))
            .filter(|l| l.split_whitespace().nth(3) == Some("0A"))
            .collect();
        assert_eq!(listening.len(), 1, "{listening:?}");
        assert!(
            listening[0]
                .split_whitespace()
                .nth(1)
                .unwrap()
                .starts_with("0100007F:"),
            "{listening:?}"
        );
        let tcp6 = fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
        assert!(
            !tcp6
                .lines()
                .any(|l| l.split_whitespace().nth(1).is_some_and(|a| a.ends_with(&port)))
        );
    }
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = stimpack()
        .args(["preview", "--port", &port])
        .arg(testdata().join("demo"))
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(err.contains("--port 0"), "{err}");
}

#[test]
fn an_unreadable_input_exits_2_naming_it() {
    let out = stimpack().args(["preview", "no/such/study"]).output().unwrap();
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/study"));
}

#[test]
fn static_page_of_a_folder_links_every_stimulus_relatively() {
    let dir = tempfile::tempdir().unwrap();
    let root = study(dir.path());
    let out_dir = dir.path().join("pages").join("preview");
    let out = stimpack()
        .arg("preview")
        .arg(&root)
        .arg("-o")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        out_dir.join("index.html").display().to_string()
    );
    let html = fs::read_to_string(out_dir.join("index.html")).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "a static page loads nothing from the network"
    );
    let data = page_data(&html);
    let media = data["media"].as_object().unwrap();
    assert_eq!(media.len(), 16);
    for (path, url) in media {
        let url = url.as_str().unwrap();
        assert_eq!(url, format!("../../study/{path}"));
        assert!(out_dir.join(url).is_file(), "{url} does not lead to the file");
    }
    assert!(data["note"].is_null());
    // The same page again needs --force; then it is replaced.
    let again = stimpack()
        .arg("preview")
        .arg(&root)
        .arg("-o")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_exit(&again, 2);
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = stimpack()
        .arg("preview")
        .arg(&root)
        .arg("-o")
        .arg(&out_dir)
        .arg("--force")
        .output()
        .unwrap();
    assert_exit(&forced, 0);
}

#[test]
fn static_page_inside_the_dataset_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = study(dir.path());
    let out = stimpack()
        .arg("preview")
        .arg(&root)
        .arg("-o")
        .arg(root.join("music_1"))
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the dataset folder"));
    assert!(!root.join("music_1/index.html").exists());
}

#[test]
fn static_page_of_a_zip_says_it_needs_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("study.zip");
    let packed = stimpack()
        .arg("pack")
        .arg(testdata().join("demo"))
        .arg("-o")
        .arg(&zip_path)
        .output()
        .unwrap();
    assert_exit(&packed, 0);
    let out = stimpack()
        .arg("preview")
        .arg(&zip_path)
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let data = page_data(&fs::read_to_string(dir.path().join("index.html")).unwrap());
    assert!(data["media"].as_object().unwrap().is_empty());
    let note = data["note"].as_str().unwrap();
    assert!(
        note.contains("stimpack preview") && note.contains("study.zip"),
        "{note}"
    );
    assert_eq!(data["report"]["summary"]["stimuli"], 16);
}

#[test]
fn url_lists_play_from_their_urls() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    fs::write(
        &list,
        "https://cdn.example.com/study/s1/reference.wav\nhttps://cdn.example.com/study/s1/codec.mp3?sig=1\n",
    )
    .unwrap();
    let preview = Preview::start(&list, &[]);
    let data = page_data(&String::from_utf8(get(preview.port, "/").body).unwrap());
    assert_eq!(
        data["media"]["s1/reference.wav"],
        "https://cdn.example.com/study/s1/reference.wav"
    );
    assert_eq!(
        data["media"]["s1/codec.mp3"],
        "https://cdn.example.com/study/s1/codec.mp3?sig=1"
    );
    assert_eq!(get(preview.port, "/media/s1/reference.wav").status, 404);
    let out = stimpack()
        .arg("preview")
        .arg(&list)
        .arg("-o")
        .arg(dir.path().join("page"))
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let data = page_data(&fs::read_to_string(dir.path().join("page/index.html")).unwrap());
    assert_eq!(data["media"].as_object().unwrap().len(), 2);
}

#[cfg(unix)]
#[test]
fn open_starts_the_browser_named_by_browser_with_the_url() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen.txt");
    let script = dir.path().join("browser.sh");
    fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", seen.display()),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("stimpack"));
    command
        .args(["preview", "--open"])
        .arg(testdata().join("demo"))
        .env("BROWSER", &script)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let mut opened = String::new();
    for _ in 0..100 {
        opened = fs::read_to_string(&seen).unwrap_or_default();
        if !opened.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(opened, line.trim());
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server() {
    let mut preview = Preview::start(&testdata().join("demo"), &[]);
    assert_eq!(get(preview.port, "/").status, 200);
    let status = preview
        .interrupt(Duration::from_secs(10))
        .expect("stopped by SIGINT");
    assert!(!status.success());
    assert!(
        TcpStream::connect(("127.0.0.1", preview.port)).is_err(),
        "still listening"
    );
}

#[test]
fn names_with_spaces_unicode_and_url_characters_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("study");
    let names = ["my source/ref #1.wav", "my source/ü?%20.wav", "b&c/reference.wav"];
    let wav = fs::read(testdata().join("demo/music_1/low.wav")).unwrap();
    for name in names {
        fs::create_dir_all(root.join(name).parent().unwrap()).unwrap();
        fs::write(root.join(name), &wav).unwrap();
    }
    let preview = Preview::start(&root, &[]);
    let data = page_data(&String::from_utf8(get(preview.port, "/").body).unwrap());
    for name in names {
        let url = data["media"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no URL for {name}: {data}"));
        let answer = get(preview.port, url);
        assert_eq!(answer.status, 200, "{name} at {url}");
        same(&answer.body, &wav, name);
    }
}
