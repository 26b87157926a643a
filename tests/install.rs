//! An installed arxrank: `model fetch --source hub` against a local server in the Hugging
//! Face hub's URL layout (`HF_ENDPOINT`), and `init` followed by `rank` from a directory
//! that holds nothing of arxrank's.

use crate::common;

use std::path::PathBuf;
use std::process::Output;

use common::http::{Reply, Request, Server};

const COMMIT: &str = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf";

fn model_files() -> PathBuf {
    common::model_dir().root
}

/// The hub's answers for `sentence-transformers/all-MiniLM-L6-v2@main`: hf-hub first asks
/// for byte 0 (to learn the etag, commit and size), then for the rest. `tamper` flips a byte
/// of that file; `missing` answers 404 for it.
fn hub(tamper: Option<&'static str>, missing: Option<&'static str>) -> Server {
    let root = model_files();
    Server::start(move |req: &Request| {
        let Some(name) = req
            .path()
            .strip_prefix("/sentence-transformers/all-MiniLM-L6-v2/resolve/main/")
        else {
            return Reply::status(404);
        };
        if Some(name) == missing {
            return Reply::status(404).with("X-Error-Code", "EntryNotFound");
        }
        let Ok(mut bytes) = fs_err::read(root.join(name)) else {
            return Reply::status(404);
        };
        if Some(name) == tamper {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x55;
        }
        let size = bytes.len();
        let from: usize = req
            .header("Range")
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.split('-').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let to = match req.header("Range") {
            Some("bytes=0-0") => 1,
            _ => size,
        };
        Reply::Full {
            status: 206,
            headers: vec![
                (
                    "ETag".into(),
                    format!("\"etag-{name}-{size}\"").replace('/', "_"),
                ),
                ("X-Repo-Commit".into(), COMMIT.into()),
                (
                    "Content-Range".into(),
                    format!("bytes {from}-{}/{size}", to.max(from + 1) - 1),
                ),
            ],
            body: bytes[from.min(size)..to].to_vec(),
        }
    })
}

use common::run_isolated as run;

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn hub_download_installs_the_model_and_refuses_tampered_or_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = hub(None, None);
    let out = run(
        dir.path(),
        &[("HF_ENDPOINT", &good.base)],
        &["model", "fetch", "--source", "hub", "--models-dir", "m"],
    );
    assert!(out.status.success(), "{}", err(&out));
    let installed = dir.path().join("m/all-MiniLM-L6-v2");
    for f in [
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "1_Pooling/config.json",
    ] {
        assert_eq!(
            fs_err::read(installed.join(f)).unwrap(),
            fs_err::read(model_files().join(f)).unwrap(),
            "{f}"
        );
    }
    let verify = run(dir.path(), &[], &["model", "verify", "--models-dir", "m"]);
    assert!(verify.status.success(), "{}", err(&verify));
    assert!(String::from_utf8_lossy(&verify.stdout).starts_with(&common::model_dir().fingerprint));
    let asked: Vec<String> = good.requests().iter().map(|r| r.target.clone()).collect();
    assert!(
        asked
            .iter()
            .any(|t| t.ends_with("/resolve/main/model.safetensors")),
        "{asked:?}"
    );

    // A tampered file fails its checksum and is not installed.
    let bad = hub(Some("model.safetensors"), None);
    let out = run(
        dir.path(),
        &[("HF_ENDPOINT", &bad.base), ("HF_HOME", "hf-tampered")],
        &["model", "fetch", "--source", "hub", "--models-dir", "m2"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", err(&out));
    let e = err(&out);
    assert!(
        e.contains("model.safetensors")
            && e.contains("53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        "{e}"
    );
    assert!(!dir
        .path()
        .join("m2/all-MiniLM-L6-v2/model.safetensors")
        .exists());

    // A file the hub does not have: the error names the repository and the file.
    let gone = hub(None, Some("tokenizer.json"));
    let out = run(
        dir.path(),
        &[("HF_ENDPOINT", &gone.base), ("HF_HOME", "hf-missing")],
        &["model", "fetch", "--source", "hub", "--models-dir", "m3"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", err(&out));
    let e = err(&out);
    assert!(
        e.contains("sentence-transformers/all-MiniLM-L6-v2@main: tokenizer.json")
            && e.contains("404"),
        "{e}"
    );
    assert!(!dir
        .path()
        .join("m3/all-MiniLM-L6-v2/tokenizer.json")
        .exists());
}

#[test]
fn init_then_rank_from_a_directory_that_holds_nothing() {
    let home = tempfile::tempdir().unwrap();
    let server = hub(None, None);
    let env = [("HF_ENDPOINT", server.base.as_str())];
    let out = run(
        home.path(),
        &env,
        &["init", "--contact", "reader@example.org", "--source", "hub"],
    );
    assert!(out.status.success(), "{}", err(&out));
    let cfg = home.path().join(".cfg");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        cfg.join("arxrank.toml").display().to_string()
    );
    let toml = fs_err::read_to_string(cfg.join("arxrank.toml")).unwrap();
    assert!(toml.contains("contact = \"reader@example.org\""), "{toml}");
    // The starter profile: the reader's, with the bundled topics as its example and no
    // author of ours to follow; the placeholder address is pointed out.
    assert!(
        err(&out).contains("reader@example.org is a placeholder"),
        "{}",
        err(&out)
    );
    let profile = arxrank::topics::Profile::load(&cfg.join("topics")).unwrap();
    assert!(profile.authors.is_empty());
    assert_eq!(profile.topics.len(), 4);
    let text = fs_err::read_to_string(cfg.join("topics/profile.toml")).unwrap();
    assert!(
        text.contains("Your own topics") && !text.contains("../shared"),
        "{text}"
    );
    for f in fs_err::read_dir(common::root().join("topics")).unwrap() {
        let p = f.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_file() && name != "profile.toml" {
            let written = fs_err::read_to_string(cfg.join("topics").join(&name)).unwrap();
            assert!(written.starts_with("# One topic of your profile"), "{name}");
            assert!(
                written.ends_with(&fs_err::read_to_string(&p).unwrap()),
                "{name}"
            );
        }
    }
    assert!(home
        .path()
        .join(".data/models/all-MiniLM-L6-v2/model.safetensors")
        .is_file());

    // A second init keeps what is there.
    let again = run(home.path(), &env, &["init", "--no-model"]);
    assert!(err(&again).contains("keeping"), "{}", err(&again));
    assert_eq!(
        fs_err::read_to_string(cfg.join("arxrank.toml")).unwrap(),
        toml
    );

    // rank from a directory with no models/ or topics/: both come from the platform dirs.
    let work = home.path().join("elsewhere");
    fs_err::create_dir(&work).unwrap();
    let slice = common::feeds::pool_rss("2025-05-12", 30);
    fs_err::write(work.join("today.xml"), slice).unwrap();
    let out = common::isolated(&work)
        .args(["rank", "today.xml"])
        .env("ARXRANK_CONFIG_DIR", &cfg)
        .env("ARXRANK_DATA_DIR", home.path().join(".data"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", err(&out));
    assert!(work.join("out/2025-05-12/output.json").is_file());
    let e = err(&out);
    assert!(
        e.contains(".data/history/all-MiniLM-L6-v2-"),
        "history in the data dir: {e}"
    );
    assert!(!work.join("history").exists());

    // From paper_topics.txt and authors.txt instead, with --force.
    let out = run(
        home.path(),
        &[],
        &[
            "init",
            "--no-model",
            "--force",
            "--paper-topics",
            &common::data("paper_topics.txt").display().to_string(),
            "--authors",
            &common::data("authors.txt").display().to_string(),
        ],
    );
    assert!(out.status.success(), "{}", err(&out));
    assert!(cfg.join("topics/paper_topics.txt").is_file());
    assert!(cfg.join("topics/authors.txt").is_file());
    assert!(!cfg.join("topics/profile.toml").exists());
    let profile = arxrank::topics::Profile::load(&cfg.join("topics")).unwrap();
    let expected = arxrank::topics::Profile::load(&common::data("paper_topics.txt"))
        .unwrap()
        .with_authors_file(&common::data("authors.txt"))
        .unwrap();
    assert_eq!(profile.topics.len(), expected.topics.len());
    assert_eq!(profile.authors, expected.authors);
}
