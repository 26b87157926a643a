//! Shared by the integration tests: the real MiniLM model (installed by the README's test
//! command) and the fixture data copied into tests/data.
#![allow(dead_code)]

pub mod feeds;
pub mod http;
pub mod smtp;
pub mod zotero;

use std::path::{Path, PathBuf};

use arxrank::embed::{BertEmbedder, DeviceKind, ModelDir, DEFAULT_MODEL};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn data(name: &str) -> PathBuf {
    root().join("tests/data").join(name)
}

pub fn model_dir() -> ModelDir {
    ModelDir::resolve(DEFAULT_MODEL, &root().join("models")).unwrap_or_else(|e| {
        panic!("{e}\n(the README's test command installs the model: scripts/test)")
    })
}

pub fn embedder() -> BertEmbedder {
    BertEmbedder::load(&model_dir(), DeviceKind::Cpu).expect("model loads")
}

pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    fs_err::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Copies the files (not subfolders) of `from` into `to`: a profile to train or edit.
pub fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for e in fs_err::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            fs_err::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// Copies `from` into `to` with every subfolder: a digest folder, a history.
pub fn copy_tree(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for e in fs_err::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            fs_err::copy(&p, dest).unwrap();
        }
    }
}

/// Runs the `arxrank` binary with the installed model and 2 threads (through the
/// environment, which every command that runs the model reads and the others ignore).
pub fn arxrank(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_arxrank"))
        .args(args)
        .env("ARXRANK_MODELS_DIR", root().join("models"))
        .env("ARXRANK_THREADS", "2")
        .output()
        .expect("binary runs")
}

/// The binary, to run in `cwd` isolated from the machine's own arxrank: its config and
/// data directories inside `cwd`, no arxrank or hub variables inherited, 2 threads.
pub fn isolated(cwd: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_arxrank"));
    cmd.current_dir(cwd)
        .env("ARXRANK_CONFIG_DIR", cwd.join(".cfg"))
        .env("ARXRANK_DATA_DIR", cwd.join(".data"))
        .env("ARXRANK_THREADS", "2")
        .env("HF_HOME", cwd.join(".hf"))
        .env_remove("HF_TOKEN")
        .env_remove("HF_ENDPOINT");
    for var in MACHINE_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The variables through which this machine's own arxrank settings and secrets would leak
/// into a test's run.
pub const MACHINE_VARS: [&str; 7] = [
    "ARXRANK_MODELS_DIR",
    "ARXRANK_CONFIG",
    "ARXRANK_TOPICS",
    "ARXRANK_HISTORY",
    "ARXRANK_WEBHOOK_URL",
    "ARXRANK_SMTP_USER",
    "ARXRANK_SMTP_PASSWORD",
];

/// Runs [`isolated`] with `args` and the extra `env`.
pub fn run_isolated(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    isolated(cwd)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

/// Runs tests/gpt_paper_assistant.py on a day's digest: reads its output.json as
/// gpt_paper_assistant's renderer does and checks it against scores.json. Returns what the
/// script printed; panics with its complaint otherwise.
pub fn gpt_paper_assistant_contract(day: &Path, author_score: u32) -> String {
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/gpt_paper_assistant.py"))
        .arg(day)
        .arg(author_score.to_string())
        .output()
        .expect("python3 runs (the README's test command needs it for the model too)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}: {}{text}",
        day.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Runs a headless-Chromium script of tests/browser with `args` and returns what it
/// printed; panics, with the output, unless it exits 0 and prints `passed`. Needs Debian's
/// `chromium` (or `$ARXRANK_CHROMIUM`) and playwright-core in tests/browser, both installed
/// by `scripts/setup-browser`.
pub fn browser_script(script: &str, args: &[&std::ffi::OsStr], passed: &str) -> String {
    let browser = root().join("tests/browser");
    let chromium = std::env::var("ARXRANK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        browser.join("node_modules/playwright-core").is_dir() && Path::new(&chromium).exists(),
        "the browser test needs {chromium} and tests/browser/node_modules: run scripts/setup-browser"
    );
    let out = std::process::Command::new("node")
        .arg(browser.join(script))
        .args(args)
        .env("ARXRANK_CHROMIUM", &chromium)
        .output()
        .expect("node runs (scripts/setup-browser installs it)");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{log}");
    assert!(out.status.success(), "{script} failed:\n{log}");
    assert!(log.contains(passed), "{log}");
    log
}
