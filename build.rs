//! Records the commit the binary is built from, for `stimpack --version`. Outside a git
//! checkout (a source tarball, `cargo install` from a registry) it says "unknown commit";
//! packagers can set STIMPACK_COMMIT themselves.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=STIMPACK_COMMIT");
    let commit = std::env::var("STIMPACK_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            // Only this package's own checkout counts: a source tarball unpacked inside some
            // other repository must not take that repository's commit.
            let top = git(&["rev-parse", "--show-toplevel"])?;
            let here = std::env::var("CARGO_MANIFEST_DIR").ok()?;
            let same = |a: &str, b: &str| {
                std::fs::canonicalize(a)
                    .ok()
                    .zip(std::fs::canonicalize(b).ok())
                    .is_some_and(|(a, b)| a == b)
            };
            if !same(&top, &here) {
                return None;
            }
            let hash = git(&["rev-parse", "--short=12", "HEAD"])?;
            // Rebuild when HEAD moves: HEAD itself, and the branch it points at.
            if let Some(head) = git(&["rev-parse", "--path-format=absolute", "--git-path", "HEAD"]) {
                println!("cargo:rerun-if-changed={head}");
            }
            if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
                if let Some(r) = git(&["rev-parse", "--path-format=absolute", "--git-path", &branch]) {
                    println!("cargo:rerun-if-changed={r}");
                }
            }
            if let Some(packed) = git(&["rev-parse", "--path-format=absolute", "--git-path", "packed-refs"]) {
                println!("cargo:rerun-if-changed={packed}");
            }
            // No "-dirty" mark: it would need a rerun on every edit of every file.
            Some(hash)
        })
        .unwrap_or_else(|| "unknown commit".to_string());
    println!("cargo:rustc-env=STIMPACK_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=STIMPACK_TARGET={target}");
    let profile = std::env::var("PROFILE").unwrap_or_default();
    println!("cargo:rustc-env=STIMPACK_PROFILE={profile}");
}
