//! The guide's shell blocks (docs/src), run as written by bash: every page's
//! `sh` blocks in order, as one script, in an empty directory with the
//! command on PATH and the repository's `examples/` beside it. A block that
//! only includes a file (`{{#include ...}}`) shows a script another test
//! runs (examples/serve/demo.sh: tests/serve.rs) and is skipped here.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

mod common;
use common::{column, path_with_command, read_csv};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The runnable `sh` blocks of a guide page.
fn sh_blocks(page: &Path) -> Vec<String> {
    let text = fs::read_to_string(page).unwrap();
    let mut blocks = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```sh\n") {
        let body = &rest[start + 6..];
        let end = body.find("\n```").expect("a closed block");
        let block = &body[..=end];
        let include_only = block
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.trim_start().starts_with("{{#include"));
        if !include_only {
            blocks.push(block.to_owned());
        }
        rest = &body[end..];
    }
    blocks
}

/// Every page under docs/src with a runnable shell block.
fn pages_with_shell() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    let src = repo().join("docs/src");
    let mut pages = Vec::new();
    walk(&src, &mut pages);
    pages
        .into_iter()
        .filter(|p| !sh_blocks(p).is_empty())
        .map(|p| p.strip_prefix(&src).unwrap().display().to_string())
        .collect()
}

/// Runs a page's blocks; returns the directory and stderr.
fn run_page(page: &str) -> (TempDir, String) {
    let blocks = sh_blocks(&repo().join("docs/src").join(page));
    assert!(!blocks.is_empty(), "{page} has no shell block");
    let dir = TempDir::new().unwrap();
    std::os::unix::fs::symlink(repo().join("examples"), dir.path().join("examples")).unwrap();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &blocks.join("\n")])
        .current_dir(dir.path())
        .env("PATH", path_with_command())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{page}:\n{stderr}");
    (dir, stderr)
}

const TESTED: &[&str] = &[
    "analysts/command.md",
    "operators/ledger.md",
    "operators/service.md",
];

#[test]
fn every_page_with_shell_blocks_has_a_test_here() {
    let tested: BTreeSet<String> = TESTED.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(pages_with_shell(), tested);
}

#[test]
fn the_command_walkthrough_finds_the_known_answer() {
    let (dir, stderr) = run_page("analysts/command.md");
    let d = dir.path();
    let truth = read_csv(&repo().join("examples/data/expected_overlap.csv"));
    assert_eq!(
        column(&read_csv(&d.join("a-matches.csv")), "record_id"),
        column(&truth, "a_id")
    );
    assert_eq!(
        column(&read_csv(&d.join("b-matches.csv")), "record_id"),
        column(&truth, "b_id")
    );
    assert!(stderr.contains("verified"), "{stderr}");
    // The watch-list over files: A's records on B's list (e-mail and phone
    // only), each labelled with B's id of the same suspect.
    let pairs: BTreeSet<(String, String)> = truth
        .iter()
        .map(|r| (r["a_id"].clone(), r["b_id"].clone()))
        .collect();
    let watch = read_csv(&d.join("matches.csv"));
    assert!(watch.len() > 1000, "{}", watch.len());
    for row in &watch {
        assert!(
            pairs.contains(&(row["record_id"].clone(), row["label"].clone())),
            "{row:?}"
        );
    }
}

#[test]
fn the_ledger_walkthrough_runs_as_written() {
    let (dir, stderr) = run_page("operators/ledger.md");
    assert!(stderr.contains("verified"), "{stderr}");
    assert!(dir.path().join("both.receipt").exists());
}

#[test]
fn the_operators_certificate_commands_run_as_written() {
    let (dir, _) = run_page("operators/service.md");
    for f in ["ca.crt", "server.crt", "agency-nl.crt", "agency-nl.key"] {
        assert!(dir.path().join("certs").join(f).exists(), "{f}");
    }
}
