//! The `arxrank` binary end to end: exit codes, what is (not) written, the digest's content.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::arxrank;

const HOSTILE: &str = r#"{"id": "2603.09999", "title": "Pwn <script>alert('t')</script> [x](javascript:alert(1))", "authors": ["Mallory <b>"], "abstract": "\"><img src=x onerror=alert(1)> We study sparse Mixture-of-Experts (MoE) transformers with post-training quantization, structured pruning & low-rank KV cache compression; see <a href=http://evil>here</a>.", "categories": ["cs.LG"]}"#;

/// The seed day's 30 GPT-5-selected papers plus one hostile entry, as a JSONL listing.
fn seed_listing(dir: &Path) -> PathBuf {
    let mut text = fs_err::read_to_string(common::data("digest-2026-03-06.jsonl")).unwrap();
    text.push_str(HOSTILE);
    text.push('\n');
    let p = dir.join("2026-03-06.jsonl");
    fs_err::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn ranks_the_seed_day_into_a_digest_like_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let listing = seed_listing(dir.path());
    let out = dir.path().join("out");
    let topics = common::root().join("topics");
    let h1 = dir.path().join("h1");
    let run = arxrank(&[
        "rank",
        s(&listing),
        "--out",
        s(&out),
        "--topics",
        s(&topics),
        "--date",
        "2026-03-06",
        "--history",
        s(&h1),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let day = out.join("2026-03-06");
    let md = fs_err::read_to_string(day.join("output.md")).unwrap();
    assert!(md.starts_with("# Personalized Daily ArXiv Papers 2026-03-06"));
    assert!(md.contains("Total arXiv papers: 31"));
    assert!(md.contains("Total scanned papers: 31"));
    assert!(md.contains("| $0 |"));
    assert!(md.contains("**Table of contents with paper titles:**"));
    // LeCun's two papers are author matches and come first, as in the seed digest.
    let first = md.find("## 1. ").unwrap();
    assert!(
        md[first..].starts_with("## 1. [The Spike, the Sparse and the Sink")
            || md[first..].starts_with("## 1. [AI+HW 2035"),
        "{}",
        &md[first..first + 120]
    );
    assert_eq!(
        md.matches("**Comment:** Author match: Yann LeCun").count(),
        2
    );
    assert!(md.contains("**Novelty:** unavailable"));
    // Hostile text is inert in the Markdown (which viewers render as HTML).
    assert!(
        !md.contains("<script>") && !md.contains("<img") && !md.contains("<a href"),
        "raw HTML leaked"
    );
    assert!(
        md.contains(
            "Pwn &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; \\[x\\](javascript:alert(1))"
        ),
        "hostile title not selected or not escaped"
    );
    assert!(md.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(md.contains("Mallory &lt;b&gt;"));

    let json: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(day.join("scores.json")).unwrap()).unwrap();
    let obj = json.as_object().unwrap();
    assert_eq!(obj.len(), 31, "every scanned paper is kept in scores.json");
    for (id, v) in obj {
        assert_eq!(v["ARXIVID"].as_str(), Some(id.as_str()));
        for key in [
            "COMMENT",
            "RELEVANCE",
            "NOVELTY",
            "SCORE",
            "title",
            "authors",
            "abstract",
        ] {
            assert!(v.get(key).is_some(), "{id} lacks {key}");
        }
        assert!(v["NOVELTY"].is_null());
        let r = v["RELEVANCE"].as_u64().unwrap();
        assert!((1..=10).contains(&r));
        assert_eq!(
            v["arxrank"]["topic_similarity"].as_object().unwrap().len(),
            4
        );
    }
    // The seed's papers are GPT-5's picks for this profile: most reach the digest.
    let selected = obj
        .values()
        .filter(|v| v["arxrank"]["selected"] == true)
        .count();
    assert!(
        selected >= 15,
        "only {selected} of the seed's 30 papers selected"
    );
    // output.json holds the picks only, in gpt_paper_assistant's keys: no history here, so
    // NOVELTY is the middle of the scale and SCORE their sum (tests/gpt_paper_assistant.py
    // checks the whole contract).
    let picks: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(day.join("output.json")).unwrap()).unwrap();
    let picks = picks.as_object().unwrap();
    assert_eq!(picks.len(), selected);
    for (id, v) in picks {
        assert_eq!(obj[id]["arxrank"]["selected"], true, "{id}");
        assert_eq!(v["arxiv_id"].as_str(), Some(id.as_str()));
        assert_eq!(v["NOVELTY"], 5);
        assert!(v.get("arxrank").is_none());
    }
    let said = common::gpt_paper_assistant_contract(&day, 15);
    assert!(
        said.starts_with(&format!("ok: {selected} picks in output.json, 31 scanned")),
        "{said}"
    );

    // Same input, same scores: rerun and compare everything but timing.
    let out2 = dir.path().join("out2");
    // Same day again on the history the first run filled: only earlier days are the past,
    // so the digest is the same.
    let run2 = arxrank(&[
        "rank",
        s(&listing),
        "--out",
        s(&out2),
        "--topics",
        s(&topics),
        "--date",
        "2026-03-06",
        "--history",
        s(&h1),
    ]);
    assert!(run2.status.success());
    for file in ["output.json", "scores.json"] {
        assert_eq!(
            fs_err::read(day.join(file)).unwrap(),
            fs_err::read(out2.join("2026-03-06").join(file)).unwrap(),
            "{file}: scores are not deterministic"
        );
    }
}

#[test]
fn reads_gpt_paper_assistant_config() {
    let dir = tempfile::tempdir().unwrap();
    let listing = seed_listing(dir.path());
    let out = dir.path().join("out");
    let run = arxrank(&[
        "rank",
        s(&listing),
        "--out",
        s(&out),
        "--date",
        "2026-03-06",
        "--topics",
        s(&common::data("paper_topics.txt")),
        "--authors",
        s(&common::data("authors.txt")),
        "--no-history",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("2026-03-06/scores.json")).unwrap())
            .unwrap();
    let spike = &json["2603.05498"];
    assert_eq!(spike["arxrank"]["author_match"], "Yann LeCun");
    // In output.json an author match has gpt_paper_assistant's fixed score.
    common::gpt_paper_assistant_contract(&out.join("2026-03-06"), 15);
    let picks: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("2026-03-06/output.json")).unwrap())
            .unwrap();
    assert_eq!(picks["2603.05498"]["SCORE"], 15);
    let topics: Vec<&String> = spike["arxrank"]["topic_similarity"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        topics,
        [
            "Model Architecture",
            "Model Compression and Efficiency",
            "High Performance Computing",
            "Representation Learning"
        ]
    );
}

#[test]
fn malformed_listing_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.jsonl");
    fs_err::write(&bad, "{\"id\":\"2505.00001\",\"title\":\"T\",\"authors\":[\"A\"],\"abstract\":\"x\"}\n{\"id\":\"2505.00002\",\"title\":\"T\"}\n").unwrap();
    let out = dir.path().join("out");
    let hist = dir.path().join("history");
    let run = arxrank(&["rank", s(&bad), "--out", s(&out), "--history", s(&hist)]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("broken.jsonl: line 2: missing or empty field `abstract`"),
        "{err}"
    );
    assert!(
        !out.exists() && !hist.exists(),
        "output written despite bad input"
    );

    let run = arxrank(&[
        "rank",
        s(&bad),
        "--out",
        s(&out),
        "--date",
        "13/05/2025",
        "--no-history",
    ]);
    assert_eq!(run.status.code(), Some(2));

    // A file that is not UTF-8 is malformed input too: exit 2, named, with the offset.
    let latin1 = dir.path().join("latin1.jsonl");
    fs_err::write(&latin1, b"{\"id\":\"2505.00001\",\"title\":\"Caf\xe9\"}\n").unwrap();
    let run = arxrank(&["rank", s(&latin1), "--out", s(&out), "--no-history"]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("latin1.jsonl: not UTF-8 text (the first bad byte is at offset 31)"),
        "{err}"
    );
    assert!(!out.exists());

    // So is any other file arxrank reads: a topics file, arxrank.toml.
    let topics = dir.path().join("latin1-topics");
    common::copy_dir(&common::root().join("topics"), &topics);
    fs_err::write(
        topics.join("1-model-architecture.toml"),
        b"name = \"Caf\xe9\"\n",
    )
    .unwrap();
    let run = arxrank(&[
        "rank",
        s(&seed_listing(dir.path())),
        "--topics",
        s(&topics),
        "--out",
        s(&out),
        "--no-history",
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("1-model-architecture.toml"), "{err}");
    let toml = dir.path().join("arxrank.toml");
    fs_err::write(&toml, b"contact = \"caf\xe9@example.org\"\n").unwrap();
    let run = arxrank(&["daily", "--config", s(&toml), "--show-config"]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("arxrank.toml"), "{err}");
    assert!(!out.exists());

    // Bad [[profile]] tables, through `rank --config` and `daily --listing`.
    let listing = seed_listing(dir.path());
    let topics = common::root().join("topics");
    let profile = |name: &str, topics: &Path| {
        format!("[[profile]]\nname = {name:?}\ntopics = {:?}\n\n", s(topics))
    };
    for (text, want) in [
        (
            profile("lab", &topics) + &profile("lab", &topics),
            "[[profile]] name \"lab\": two profiles have this name",
        ),
        (
            profile("lab", &dir.path().join("gone")),
            "[[profile]] \"lab\": topics",
        ),
        (
            profile("../lab", &topics),
            "[[profile]] name \"../lab\": not a safe folder name",
        ),
    ] {
        fs_err::write(&toml, &text).unwrap();
        for args in [
            vec!["rank", s(&listing), "--config", s(&toml), "--out", s(&out)],
            vec![
                "daily",
                "--config",
                s(&toml),
                "--listing",
                s(&listing),
                "--no-deliver",
            ],
        ] {
            let run = arxrank(&args);
            let err = String::from_utf8_lossy(&run.stderr);
            assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains("arxrank.toml") && err.contains(want), "{err}");
            assert!(!out.exists(), "{args:?} wrote a digest");
        }
    }
}

#[test]
fn missing_model_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let listing = seed_listing(dir.path());
    let run = Command::new(env!("CARGO_BIN_EXE_arxrank"))
        .args(["rank", s(&listing), "--topics"])
        .arg(common::root().join("topics"))
        .args([
            "--models-dir",
            s(dir.path()),
            "--out",
            s(&dir.path().join("out")),
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("is not installed") && err.contains("arxrank model fetch all-MiniLM-L6-v2"),
        "{err}"
    );
}

#[test]
fn tampered_model_file_is_rejected_by_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::model_dir().root;
    let dst = dir.path().join("all-MiniLM-L6-v2");
    fs_err::create_dir_all(dst.join("1_Pooling")).unwrap();
    for f in [
        "model.safetensors",
        "tokenizer.json",
        "1_Pooling/config.json",
    ] {
        fs_err::copy(src.join(f), dst.join(f)).unwrap();
    }
    let cfg = fs_err::read_to_string(src.join("config.json")).unwrap();
    fs_err::write(
        dst.join("config.json"),
        cfg.replace("\"num_hidden_layers\": 6", "\"num_hidden_layers\": 5"),
    )
    .unwrap();
    let err = arxrank::embed::ModelDir::resolve("all-MiniLM-L6-v2", dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("config.json") && err.contains("sha256"),
        "{err}"
    );
}

/// A crawler's day without dates inside: the day comes from `--date`, else the file name,
/// else today, and run.json says which.
#[test]
fn the_digest_day_comes_from_the_flag_the_file_name_or_today() {
    let dir = tempfile::tempdir().unwrap();
    let crawl = common::data("daily-arxiv-ai-enhanced_2025-10-22.jsonl");
    let undated = dir.path().join("papers.jsonl");
    fs_err::copy(&crawl, &undated).unwrap();
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    for (listing, flag, day, from) in [
        (&crawl, None, "2025-10-22", "file name"),
        (&crawl, Some("2025-10-23"), "2025-10-23", "--date"),
        (&undated, None, today.as_str(), "today"),
    ] {
        let out = dir.path().join(from);
        let mut args = vec!["rank", s(listing), "--out", s(&out), "--no-history"];
        if let Some(d) = flag {
            args.extend(["--date", d]);
        }
        let run = arxrank(&args);
        let err = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(run.status.success(), "{err}");
        assert!(err.contains(&format!("day {day} (from {from})")), "{err}");
        let facts: serde_json::Value =
            serde_json::from_str(&fs_err::read_to_string(out.join(day).join("run.json")).unwrap())
                .unwrap();
        assert_eq!(facts["date_from"], from);
        assert_eq!(facts["scanned"], 6, "the crawl's duplicate rows count once");
    }
}

/// DaizeDong-style topics: the trailing block of subjects to leave out becomes penalised
/// keywords and negative anchors (it used to join the last topic and pull those papers up),
/// and --show-profile prints what was built.
#[test]
fn a_topics_files_exclusions_push_papers_down_and_show_in_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = arxrank(&[
        "rank",
        s(&common::data("daily-arxiv-ai-enhanced_2025-10-22.jsonl")),
        "--topics",
        s(&common::data("topics-daizedong-style.txt")),
        "--out",
        s(&out),
        "--no-history",
        "--show-profile",
    ]);
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{err}");
    for line in [
        "topic 3: Model Compression and Efficiency\n  relevant: Sparsity, pruning, quantization, low-rank approaches, cache, or other algorithmic/theoretical efficiency breakthroughs.\n",
        "irrelevant keywords (penalised): medical imaging, MRI, segmentation, 3D vision, autonomous driving, remote sensing, recommendation systems, time series\n",
        "negative anchor: Model Architecture: New benchmarks or datasets that evaluate architectures.\n",
        "negative anchor: Papers about time series.\n",
    ] {
        assert!(err.contains(line), "{line:?} not in:\n{err}");
    }
    let scores: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("2025-10-22/scores.json")).unwrap())
            .unwrap();
    let mri = &scores["2510.17851"];
    assert_eq!(
        mri["arxrank"]["irrelevant_keywords"],
        serde_json::json!(["MRI"]),
        "{mri}"
    );
    assert!(
        mri["COMMENT"].as_str().unwrap().contains("off-topic: MRI"),
        "{mri}"
    );
    assert_eq!(mri["arxrank"]["selected"], false);
}

/// Splits a shell line into words: whitespace, with '…' and "…" quoting.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    words.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        words.push(cur);
    }
    words
}

/// Every `arxrank …` command the README and the GitHub Actions example show parses with
/// today's flags, so the documented recipes cannot drift from the binary.
#[test]
fn documented_commands_parse() {
    use clap::Parser;
    let mut lines = Vec::new();
    let readme = fs_err::read_to_string(common::root().join("README.md")).unwrap();
    let mut in_block = false;
    for l in readme.lines() {
        if l.starts_with("```") {
            in_block = !in_block && l.starts_with("```sh");
            continue;
        }
        if in_block {
            lines.push(l.to_owned());
        }
    }
    let workflow =
        fs_err::read_to_string(common::root().join("examples/github-actions-daily.yml")).unwrap();
    lines.extend(
        workflow
            .lines()
            .map(|l| l.trim())
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                l.trim_start_matches("- ")
                    .trim_start_matches("run: ")
                    .to_owned()
            }),
    );
    let mut checked = 0;
    for line in lines {
        // Drop comments, crontab's schedule fields and a path before the binary.
        let line = line.split(" #").next().unwrap();
        // The binary starts the line, or ends a path (crontab, systemd).
        let Some(at) = line
            .match_indices("arxrank ")
            .map(|(i, _)| i)
            .find(|&i| line[..i].trim().is_empty() || line[..i].ends_with('/'))
        else {
            continue;
        };
        let cmd = &line[at..];
        if cmd.contains('[') || cmd.contains(';') || cmd.contains(">>") && !cmd.contains(" daily") {
            continue; // a synopsis or two commands on one line
        }
        let cmd = cmd.split(">>").next().unwrap();
        let words = shell_words(cmd);
        if words.len() < 2 || words[1].starts_with('-') && words[1] != "--help" {
            continue;
        }
        arxrank::cli::Cli::try_parse_from(&words)
            .unwrap_or_else(|e| panic!("`{cmd}` does not parse:\n{e}"));
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} commands found");
    println!("{checked} documented commands parse");
}

/// The README's "Your own topics" example is a complete profile: its topic file and its
/// profile.toml, written to a folder, load as one, with every field they show.
#[test]
fn the_readmes_own_topics_example_is_a_profile_that_loads() {
    let readme = fs_err::read_to_string(common::root().join("README.md")).unwrap();
    let section = &readme[readme.find("### Your own topics").expect("the section")..];
    let section = &section[..section[4..].find("\n### ").map_or(section.len(), |i| i + 4)];
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for l in section.lines() {
        match (&mut current, l) {
            (None, "```toml") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    assert_eq!(blocks.len(), 2, "a topic file and profile.toml");
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("1-topic.toml"), &blocks[0]).unwrap();
    fs_err::write(dir.path().join("profile.toml"), &blocks[1]).unwrap();
    let p = arxrank::topics::Profile::load(dir.path()).unwrap();
    assert_eq!(p.topics.len(), 1);
    assert_eq!(p.topics[0].anchors.len(), 3);
    assert!(!p.topics[0].keywords.is_empty() && !p.topics[0].irrelevant.is_empty());
    assert_eq!(p.authors.len(), 1);
    assert!(!p.keywords.relevant.is_empty() && !p.negative.anchors.is_empty());
    assert_eq!(p.scale.select_min, 8);
}

/// A reader's first mistakes get clear answers: a missing profile is bad input (exit 2),
/// found before the model loads; the command list starts where a reader starts; `daily`
/// shows its defaults; `site` does not offer flags it would ignore.
#[test]
fn a_missing_profile_is_bad_input_and_help_reads_in_a_readers_order() {
    let dir = tempfile::tempdir().unwrap();
    let listing = seed_listing(dir.path());
    let out = common::arxrank(&[
        "rank",
        s(&listing),
        "--topics",
        s(&dir.path().join("missing")),
        "--out",
        s(&dir.path().join("out")),
        "--no-history",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("missing: no such profile"), "{err}");
    assert!(!err.contains("ranking"), "stopped before the model: {err}");
    assert!(!dir.path().join("out").exists());

    let help = |args: &[&str]| String::from_utf8_lossy(&common::arxrank(args).stdout).into_owned();
    let top = help(&["--help"]);
    let at = |c: &str| {
        top.find(&format!("\n  {c} "))
            .unwrap_or_else(|| panic!("{c}: {top}"))
    };
    assert!(at("init") < at("daily") && at("daily") < at("rank") && at("rank") < at("backfill"));
    let site = help(&["site", "--help"]);
    assert!(
        !site.contains("--threads") && !site.contains("--models-dir"),
        "{site}"
    );
    // Help wraps to the terminal: compare words, not lines.
    let daily = help(&["daily", "--help"])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for flag in ["out", "history", "listings"] {
        assert!(
            daily.contains(&format!("Default: arxrank.toml's `{flag}`, else")),
            "--{flag}: {daily}"
        );
    }
    let learn = help(&["learn", "--help"]);
    assert!(!learn.contains("judge's picks"), "{learn}");
}
