//! Daily operation over the network, with every server on 127.0.0.1 and started here:
//! `fetch` (RSS and API) against a local arXiv, `daily` end to end with a webhook receiver
//! and an SMTP sink, `init` and the hub download path against a local hub.

use crate::common;

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::feeds;
use common::http::{Reply, Server};

use common::run_isolated as run_in;

fn models() -> String {
    common::root().join("models").display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs_err::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn fetch_saves_todays_feed_and_asks_again_conditionally() {
    let body = feeds::example_rss();
    let server = Server::start(move |req| {
        if req.header("If-None-Match") == Some("\"ex-1\"") {
            return Reply::status(304);
        }
        Reply::ok("application/rss+xml", body.clone())
            .with("ETag", "\"ex-1\"")
            .with("Last-Modified", "Tue, 13 May 2025 04:00:00 GMT")
    });
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "fetch",
        "--categories",
        "cs.LG,cs.AI",
        "--out",
        "listings",
        "--base-url",
        &server.base,
        "--contact",
        "reader@example.org",
    ];
    let first = run_in(dir.path(), &[], &args);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let saved = dir.path().join("listings/2025-05-13.xml");
    assert_eq!(stdout(&first).trim(), "listings/2025-05-13.xml");
    assert_eq!(fs_err::read(&saved).unwrap(), feeds::example_rss());
    assert!(
        stderr(&first).contains("2025-05-13: 644 papers saved"),
        "{}",
        stderr(&first)
    );

    let second = run_in(dir.path(), &[], &args);
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    assert!(
        stderr(&second).contains("not modified"),
        "{}",
        stderr(&second)
    );
    assert_eq!(stdout(&second).trim(), "listings/2025-05-13.xml");
    assert_eq!(fs_err::read(&saved).unwrap(), feeds::example_rss());

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].path(), "/rss/cs.LG+cs.AI");
    let ua = reqs[0].header("User-Agent").unwrap();
    assert!(
        ua.starts_with("arxrank/") && ua.contains("mailto:reader@example.org"),
        "{ua}"
    );
    assert_eq!(reqs[0].header("If-None-Match"), None);
    assert_eq!(reqs[1].header("If-None-Match"), Some("\"ex-1\""));
    assert_eq!(
        reqs[1].header("If-Modified-Since"),
        Some("Tue, 13 May 2025 04:00:00 GMT")
    );
    // One request per 3 s, also across runs.
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(2900), "{gap:?}");
    println!("two fetches {gap:?} apart; the second cost a 304");
}

#[test]
fn a_503_is_retried_after_the_time_it_asks_for() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let body = feeds::pool_rss("2025-05-12", 20);
    let server = Server::start(move |_| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(503).with("Retry-After", "5")
        } else {
            Reply::ok("application/rss+xml", body.clone())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[],
        &["fetch", "--out", "l", "--base-url", &server.base],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("answered 503"), "{}", stderr(&out));
    assert!(dir.path().join("l/2025-05-12.xml").is_file());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(
        gap >= Duration::from_millis(4900),
        "Retry-After: 5 not honoured: {gap:?}"
    );
}

#[test]
fn an_empty_feed_is_a_day_without_papers() {
    let body = feeds::rss("2025-05-17", &[]);
    let server = Server::start(move |_| Reply::ok("application/rss+xml", body.clone()));
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[],
        &["fetch", "--out", "l", "--base-url", &server.base],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no papers today") && stderr(&out).contains("2025-05-17"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    assert_eq!(files_in(&dir.path().join("l")), vec![".fetch-state.json"]);

    // `daily` skips the day with its own exit code, and writes no digest.
    let daily = run_in(
        dir.path(),
        &[],
        &[
            "daily",
            "--listings",
            "l",
            "--out",
            "digests",
            "--base-url",
            &server.base,
            "--topics",
            &common::root().join("topics").display().to_string(),
            "--models-dir",
            &models(),
        ],
    );
    assert_eq!(code(&daily), 3, "{}", stderr(&daily));
    assert!(
        stderr(&daily).contains("no papers today"),
        "{}",
        stderr(&daily)
    );
    assert!(!dir.path().join("digests").exists());
}

#[test]
fn an_html_error_page_or_a_cut_body_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let html = Server::start(|_| {
        Reply::ok(
            "text/html",
            "<!DOCTYPE html>\n<html><head><title>arXiv is down for maintenance</title></head></html>",
        )
    });
    let out = run_in(
        dir.path(),
        &[],
        &["fetch", "--out", "l", "--base-url", &html.base],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}/rss/cs.LG+cs.AI", html.base))
            && err.contains("not an arXiv RSS feed")
            && err.contains("nothing was saved"),
        "{err}"
    );
    assert!(!files_in(&dir.path().join("l"))
        .iter()
        .any(|f| f.ends_with(".xml")));

    // A body cut mid-way (the server claims more bytes than it sends), every time.
    let full = feeds::example_rss();
    let cut = Server::start(move |_| Reply::Cut {
        claimed: full.len(),
        body: full[..full.len() / 2].to_vec(),
    });
    let out = run_in(
        dir.path(),
        &[],
        &[
            "fetch",
            "--out",
            "l",
            "--base-url",
            &cut.base,
            "--retries",
            "1",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("connection broke") && err.contains("after 2 attempts"),
        "{err}"
    );
    assert_eq!(cut.requests().len(), 2);
    assert!(!files_in(&dir.path().join("l"))
        .iter()
        .any(|f| f.ends_with(".xml")));
}

#[test]
fn api_catches_up_missed_days_page_by_page() {
    let server = Server::start(|req| {
        let q: Vec<(String, String)> = req
            .target
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), percent_decode(v)))
            .collect();
        let get = |k: &str| {
            q.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let search = get("search_query");
        let day = if search.contains("20250512") {
            "2025-05-12"
        } else {
            "2025-05-13"
        };
        let start: usize = get("start").parse().unwrap();
        let max: usize = get("max_results").parse().unwrap();
        Reply::ok("application/atom+xml", feeds::api_page(day, 25, start, max))
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(
        dir.path(),
        &[],
        &[
            "fetch",
            "--api",
            "--from",
            "2025-05-12",
            "--to",
            "2025-05-13",
            "--page-size",
            "10",
            "--out",
            "l",
            "--base-url",
            &server.base,
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for day in ["2025-05-12", "2025-05-13"] {
        let lines = common::read_jsonl(&dir.path().join(format!("l/{day}.jsonl")));
        assert_eq!(lines.len(), 25, "{day}");
        assert_eq!(lines[0]["date"], day);
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 6, "3 pages of 10 per day");
    assert!(reqs.iter().all(|r| r.path() == "/api/query"));
    let q = percent_decode(&reqs[0].target);
    assert!(
        q.contains("(cat:cs.LG OR cat:cs.AI) AND submittedDate:[202505120000 TO 202505122359]"),
        "{q}"
    );
    for w in reqs.windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_millis(2900));
    }
    // What it saved is a listing `rank` reads.
    let listing =
        arxrank::ingest::read_listing(&dir.path().join("l/2025-05-12.jsonl"), &Default::default())
            .unwrap();
    assert_eq!(listing.papers.len(), 25);
    assert_eq!(
        listing.date.map(|d| d.to_string()).as_deref(),
        Some("2025-05-12")
    );
}

fn percent_decode(s: &str) -> String {
    let s = s.replace('+', " ");
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const SMTP_PASSWORD: &str = "s3cret-Pa55-for-the-sink";
const HOOK_SECRET: &str = "T000/B000/XXXXhooksecretXXXX";

/// A hostile copy of a day-1 MoE paper: its title carries markup and Slack link syntax.
fn hostile_item() -> String {
    let mut p = feeds::pool_papers("2025-05-12", 1000)
        .into_iter()
        .find(|p| p["id"] == "2505.05799")
        .unwrap();
    p["id"] = "2505.09999".into();
    p["title"] = "MxMoE <script>alert(1)</script> & <https://evil.example|click>: \
                  Mixed-precision Quantization for MoE"
        .into();
    feeds::rss_item(&p, "2025-05-12")
}

#[test]
fn daily_end_to_end_twice_a_day_and_on_the_next_day() {
    // Day 1: 80 papers of the pool's 2025-05-12 and the hostile one; day 2: the bundled
    // example day, 2025-05-13.
    let mut items: Vec<String> = feeds::pool_papers("2025-05-12", 80)
        .iter()
        .map(|p| feeds::rss_item(p, "2025-05-12"))
        .collect();
    items.push(hostile_item());
    let day1 = feeds::rss("2025-05-12", &items).into_bytes();
    let day2 = feeds::example_rss();
    let day = Arc::new(AtomicUsize::new(1));
    let d = day.clone();
    let arxiv = Server::start(move |req| {
        let (body, tag) = if d.load(Ordering::SeqCst) == 1 {
            (day1.clone(), "\"day-1\"")
        } else {
            (day2.clone(), "\"day-2\"")
        };
        if req.header("If-None-Match") == Some(tag) {
            return Reply::status(304);
        }
        Reply::ok("application/rss+xml", body).with("ETag", tag)
    });
    // The webhook fails once, then works.
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let h = hook_calls.clone();
    let hook = Server::start(move |_| {
        if h.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(500)
        } else {
            Reply::ok("text/plain", "ok")
        }
    });
    let smtp = common::smtp::Sink::start();

    let dir = tempfile::tempdir().unwrap();
    let topics = common::root().join("topics");
    fs_err::write(
        dir.path().join("arxrank.toml"),
        format!(
            "categories = [\"cs.LG\", \"cs.AI\"]\ntopics = {:?}\ncontact = \"reader@example.org\"\n\
             base_url = {:?}\n\n[delivery.webhook]\ntop = 50\nsite_url = \"https://reader.example/arxrank\"\n\n\
             [delivery.email]\nto = [\"reader@example.org\"]\nfrom = \"arxrank@example.org\"\n\
             server = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntop = 50\n\
             site_url = \"https://reader.example/arxrank/\"\n",
            topics.display().to_string(),
            arxiv.base,
            smtp.port
        ),
    )
    .unwrap();
    let hook_url = format!("{}/services/{HOOK_SECRET}", hook.base);
    let env = [
        ("ARXRANK_WEBHOOK_URL", hook_url.as_str()),
        ("ARXRANK_SMTP_USER", "reader"),
        ("ARXRANK_SMTP_PASSWORD", SMTP_PASSWORD),
    ];
    let m = models();
    let daily = |extra: &[&str]| {
        let mut args = vec!["daily", "--models-dir", &m];
        args.extend_from_slice(extra);
        let out = run_in(dir.path(), &env, &args);
        let (o, e) = (stdout(&out), stderr(&out));
        for secret in [SMTP_PASSWORD, HOOK_SECRET] {
            assert!(
                !o.contains(secret) && !e.contains(secret),
                "a secret was printed:\n{o}{e}"
            );
        }
        println!("--- arxrank daily {}\n{e}{o}", extra.join(" "));
        out
    };

    let shown = daily(&["--show-config", "--out", "elsewhere"]);
    assert_eq!(code(&shown), 0);
    let s = stdout(&shown);
    assert!(s.contains("# config file: arxrank.toml"), "{s}");
    assert!(
        s.contains("\"elsewhere\"") && s.contains("# flag or environment"),
        "{s}"
    );
    assert!(
        s.contains("[\"cs.LG\", \"cs.AI\"]") && s.contains("# arxrank.toml"),
        "{s}"
    );
    assert!(
        s.contains("webhook: top 50 to $ARXRANK_WEBHOOK_URL (set)"),
        "{s}"
    );

    // Day 1: ranked, site written, e-mail sent; the webhook answers 500: exit 4.
    let first = daily(&[]);
    assert_eq!(code(&first), 4, "{}", stderr(&first));
    let e = stderr(&first);
    assert!(
        e.contains("delivery failed: webhook:") && e.contains("answered 500"),
        "{e}"
    );
    assert!(e.contains(&format!("{}/…", hook.base)), "{e}");
    let d1 = dir.path().join("out/2025-05-12");
    for f in ["output.md", "output.json", "scores.json", "run.json"] {
        assert!(d1.join(f).is_file(), "{f}");
    }
    assert!(dir.path().join("out/site/days/2025-05-12.html").is_file());
    assert!(dir.path().join("listings/2025-05-12.xml").is_file());
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let picks = arxrank::deliver::DayPicks::load(&d1).unwrap();
    assert!(
        picks.picks.iter().any(|p| p.id.as_str() == "2505.09999"),
        "the hostile paper is a pick"
    );
    let mail = &mails[0];
    assert_eq!(
        mail.auth.as_deref(),
        Some(format!("reader\0{SMTP_PASSWORD}").as_str())
    );
    assert_eq!(mail.to, vec!["<reader@example.org>"]);
    let data = mail.data.replace("=\r\n", "");
    assert!(
        data.contains(&format!(
            "Subject: arxrank: {} picks for 2025-05-12",
            picks.picks.len()
        )),
        "{data}"
    );
    assert!(
        data.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp;"),
        "{data}"
    );
    let html = &data[data.find("Content-Type: text/html").expect("an HTML part")..];
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>"),
        "the HTML part must escape titles: {html}"
    );
    assert!(data.contains("https://arxiv.org/abs/2505.09999"), "{data}");
    assert!(data.contains("https://reader.example/arxrank/days/2025-05-12.html"));
    let digest_before = fs_err::read(d1.join("scores.json")).unwrap();

    // Same day again: not ranked again, the webhook retried and sent, the e-mail not resent.
    let second = daily(&[]);
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    let e = stderr(&second);
    assert!(e.contains("has not changed since the last fetch"), "{e}");
    assert!(e.contains("already ranked from this listing"), "{e}");
    assert!(e.contains("delivered 2025-05-12 by webhook"), "{e}");
    assert_eq!(smtp.mails().len(), 1);
    let hooks: Vec<_> = hook.requests();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[1].path(), format!("/services/{HOOK_SECRET}"));
    let msg: serde_json::Value = serde_json::from_slice(&hooks[1].body).unwrap();
    let text = msg["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "arxrank: {} picks for 2025-05-12",
            picks.picks.len()
        )),
        "{text}"
    );
    assert!(
        text.contains("<https://arxiv.org/abs/2505.09999|MxMoE &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;https://evil.example/click&gt;: Mixed-precision Quantization for MoE>"),
        "{text}"
    );
    // Every `<` left opens one of our links.
    for (i, _) in text.match_indices('<') {
        let rest = &text[i..];
        assert!(
            rest.starts_with("<https://arxiv.org/abs/")
                || rest.starts_with("<https://reader.example/"),
            "{rest}"
        );
    }
    assert_eq!(fs_err::read(d1.join("scores.json")).unwrap(), digest_before);

    // And again: nothing to do.
    let third = daily(&[]);
    assert_eq!(code(&third), 0);
    assert!(
        stderr(&third).contains("nothing to do"),
        "{}",
        stderr(&third)
    );
    assert_eq!(hook.requests().len(), 2);
    assert_eq!(smtp.mails().len(), 1);
    assert_eq!(fs_err::read(d1.join("scores.json")).unwrap(), digest_before);

    // The next day: novelty against day 1, prev/next links between the two days.
    day.store(2, Ordering::SeqCst);
    let next = daily(&[]);
    assert_eq!(code(&next), 0, "{}", stderr(&next));
    let d2 = dir.path().join("out/2025-05-13");
    let scores: serde_json::Value =
        serde_json::from_slice(&fs_err::read(d2.join("scores.json")).unwrap()).unwrap();
    let scores = scores.as_object().unwrap();
    assert_eq!(scores.len(), 644);
    let with_novelty = scores.values().filter(|p| p["NOVELTY"].is_u64()).count();
    assert!(with_novelty > 600, "{with_novelty} of 644 have a novelty");
    assert!(
        scores
            .values()
            .any(|p| p["arxrank"]["nearest_past"]["date"] == "2025-05-12"),
        "day 2's nearest past papers come from day 1"
    );
    let p1 = fs_err::read_to_string(dir.path().join("out/site/days/2025-05-12.html")).unwrap();
    let p2 = fs_err::read_to_string(dir.path().join("out/site/days/2025-05-13.html")).unwrap();
    assert!(
        p1.contains("2025-05-13.html"),
        "day 1 links to the next day"
    );
    assert!(
        p2.contains("2025-05-12.html"),
        "day 2 links to the previous day"
    );
    assert_eq!(smtp.mails().len(), 2);
    assert_eq!(hook.requests().len(), 3);
    let history = arxrank::history::History::open(
        &arxrank::history::History::dir_for(
            &dir.path().join("history"),
            &common::model_dir().fingerprint,
        ),
        &common::model_dir().fingerprint,
        384,
    )
    .unwrap();
    // Papers day 1 listed too are repeats: kept in the digest, not stored twice.
    let repeats = scores
        .values()
        .filter(|p| p["arxrank"]["repeat_of"] == "2025-05-12")
        .count();
    assert!(repeats > 0);
    assert_eq!(history.len(), 81 + 644 - repeats);
}

#[test]
fn three_profiles_rank_from_one_pass_each_to_its_own_digest_site_and_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<String> = feeds::pool_papers("2025-05-12", 80)
        .iter()
        .map(|p| feeds::rss_item(p, "2025-05-12"))
        .collect();
    let feed = feeds::rss("2025-05-12", &items).into_bytes();
    let arxiv = Server::start(move |_| Reply::ok("application/rss+xml", feed.clone()));
    let root = common::root();
    // name, topics, its own webhook's environment variable and server.
    let profiles: Vec<(&str, std::path::PathBuf, &str, Server)> = [
        ("moe", "topics", "ARXRANK_WEBHOOK_URL_MOE"),
        (
            "daizedong",
            "topics/daizedong-2025-05",
            "ARXRANK_WEBHOOK_URL_DZD",
        ),
        (
            "jackyfl",
            "topics/jackyfl-2025-10",
            "ARXRANK_WEBHOOK_URL_JFL",
        ),
    ]
    .into_iter()
    .map(|(n, t, var)| {
        let hook = Server::start(|_| Reply::ok("text/plain", "ok"));
        let copy = dir.path().join("profiles").join(n);
        common::copy_dir(&root.join(t), &copy);
        (n, copy, var, hook)
    })
    .collect();
    let topics_of = |n: &str| dir.path().join("profiles").join(n);
    let mut toml = format!(
        "categories = [\"cs.LG\", \"cs.AI\"]\ncontact = \"lab@example.org\"\nbase_url = {:?}\n",
        arxiv.base
    );
    for (name, topics, var, _) in &profiles {
        toml.push_str(&format!(
            "\n[[profile]]\nname = {name:?}\ntopics = {:?}\n\n[profile.delivery.webhook]\n\
             url_env = {var:?}\ntop = 5\n",
            topics.display().to_string()
        ));
    }
    fs_err::write(dir.path().join("arxrank.toml"), toml).unwrap();
    let urls: Vec<(String, String)> = profiles
        .iter()
        .map(|(_, _, var, hook)| (var.to_string(), format!("{}/hook", hook.base)))
        .collect();
    let env: Vec<(&str, &str)> = urls.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let m = models();
    let daily = || run_in(dir.path(), &env, &["daily", "--models-dir", &m]);

    let first = daily();
    let e = stderr(&first);
    println!("--- arxrank daily (three profiles)\n{e}");
    assert_eq!(code(&first), 0, "{e}");
    // One embedding pass: the day is ranked once, for the three profiles.
    assert_eq!(e.matches("ranking 80 papers").count(), 1, "{e}");
    assert!(e.contains("for 3 profiles"), "{e}");
    let out = dir.path().join("out");
    for (name, topics, _, hook) in &profiles {
        let day = out.join(name).join("2025-05-12");
        for f in ["output.md", "output.json", "scores.json", "run.json"] {
            assert!(day.join(f).is_file(), "{name}: {f}");
        }
        let scores: serde_json::Value =
            serde_json::from_slice(&fs_err::read(day.join("scores.json")).unwrap()).unwrap();
        assert_eq!(scores.as_object().unwrap().len(), 80, "{name}");
        assert!(out
            .join("site")
            .join(name)
            .join("days/2025-05-12.html")
            .is_file());
        // Its own webhook got its own picks.
        let picks = arxrank::deliver::DayPicks::load(&day).unwrap();
        let sent = hook.requests();
        assert_eq!(sent.len(), 1, "{name}'s webhook");
        let msg: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
        let want = format!("arxrank: {} picks for 2025-05-12", picks.picks.len());
        assert!(
            msg["text"].as_str().unwrap().starts_with(&want),
            "{name}: {msg}"
        );
        // The same digest as the profile ranked alone.
        if *name == "daizedong" {
            let alone = run_in(
                dir.path(),
                &[],
                &[
                    "rank",
                    "listings/2025-05-12.xml",
                    "--topics",
                    &topics.display().to_string(),
                    "--out",
                    "alone",
                    "--no-history",
                    "--models-dir",
                    &m,
                ],
            );
            assert_eq!(code(&alone), 0, "{}", stderr(&alone));
            for f in ["output.json", "scores.json"] {
                let one = fs_err::read(dir.path().join("alone/2025-05-12").join(f)).unwrap();
                assert!(one == fs_err::read(day.join(f)).unwrap(), "{name}: {f}");
            }
        }
    }
    // The picks differ between profiles: each ranked with its own topics.
    let picks_of =
        |n: &str| arxrank::deliver::DayPicks::load(&out.join(n).join("2025-05-12")).unwrap();
    assert_ne!(picks_of("moe").picks, picks_of("jackyfl").picks);
    // The overview names the three and links each one's site.
    let overview = fs_err::read_to_string(out.join("site/index.html")).unwrap();
    for (name, ..) in &profiles {
        assert!(
            overview.contains(&format!("href=\"{name}/index.html\"")),
            "{overview}"
        );
        assert!(
            overview.contains(&format!("href=\"{name}/days/2025-05-12.html\"")),
            "{overview}"
        );
    }
    // The day went into the history once.
    let fp = &common::model_dir().fingerprint;
    let history_dir = arxrank::history::History::dir_for(&dir.path().join("history"), fp);
    let history = arxrank::history::History::open(&history_dir, fp, 384).unwrap();
    assert_eq!(history.len(), 80);

    // Again: nothing to do for any of them.
    let again = daily();
    let e = stderr(&again);
    assert_eq!(code(&again), 0, "{e}");
    assert_eq!(
        e.matches("already ranked from this listing").count(),
        3,
        "{e}"
    );
    assert!(!e.contains("ranking 80 papers"), "{e}");
    assert!(profiles.iter().all(|(.., hook)| hook.requests().len() == 1));

    // Marks in one profile's log teach that profile alone: daily learns them and ranks
    // that profile's day again; the others stay as they were. (The profiles' topics are
    // copies here, so the learned model is written into the test's folder.)
    let scores_of = |n: &str| fs_err::read(out.join(n).join("2025-05-12/scores.json")).unwrap();
    let (moe_before, jackyfl_before) = (scores_of("moe"), scores_of("jackyfl"));
    let day = out.join("daizedong/2025-05-12");
    let ranked: Vec<String> = arxrank::render::read_scores_json(&day.join("scores.json"), |_| true)
        .unwrap()
        .into_iter()
        .map(|p| p.id.to_string())
        .collect();
    let mut log = String::new();
    for (i, id) in ranked.iter().enumerate().take(12) {
        let label = if i % 3 == 2 { -1 } else { 1 };
        log.push_str(&format!(
            "{{\"id\":\"{id}\",\"label\":{label},\"date\":\"2025-05-12\"}}\n"
        ));
    }
    fs_err::write(dir.path().join("feedback-daizedong.jsonl"), log).unwrap();
    let taught = daily();
    let e = stderr(&taught);
    println!("--- arxrank daily (marks of one profile)\n{e}");
    assert_eq!(code(&taught), 0, "{e}");
    assert_eq!(e.matches("learning your marks again").count(), 1, "{e}");
    assert!(e.contains("feedback-daizedong.jsonl changed"), "{e}");
    assert!(
        e.contains(
            "[daizedong] 2025-05-12: ranking it again: the profile or its learned model changed"
        ),
        "{e}"
    );
    assert_eq!(
        e.matches("already ranked from this listing").count(),
        2,
        "{e}"
    );
    assert!(topics_of("daizedong").join("learned/model.json").is_file());
    assert!(!topics_of("moe").join("learned").exists());
    assert_eq!(scores_of("moe"), moe_before);
    assert_eq!(scores_of("jackyfl"), jackyfl_before);
    assert_ne!(
        scores_of("daizedong"),
        fs_err::read(dir.path().join("alone/2025-05-12/scores.json")).unwrap()
    );
    // `learn` works on one profile: it asks which when the file names several.
    let run = run_in(
        dir.path(),
        &[],
        &["learn", "--feedback", "--models-dir", &m],
    );
    let e = stderr(&run);
    assert_eq!(code(&run), 2, "{e}");
    assert!(e.contains("say which with --profile NAME"), "{e}");
    // `site` alone builds every profile's site and the overview again.
    let site = out.join("site");
    for page in [
        "index.html",
        "moe/index.html",
        "jackyfl/days/2025-05-12.html",
    ] {
        fs_err::remove_file(site.join(page)).unwrap();
    }
    let run = run_in(dir.path(), &[], &["site"]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    for page in [
        "index.html",
        "moe/index.html",
        "jackyfl/days/2025-05-12.html",
    ] {
        assert!(site.join(page).is_file(), "{page}");
    }
    serve_every_profile(dir.path(), &scores_of("moe"));
    let run = run_in(
        dir.path(),
        &[],
        &["learn", "--feedback", "--profile", "nobody"],
    );
    let e = stderr(&run);
    assert_eq!(code(&run), 2, "{e}");
    assert!(
        e.contains(
            "--profile \"nobody\": no [[profile]] of that name (it names: moe, daizedong, jackyfl)"
        ),
        "{e}"
    );
}

/// One `serve` for a file's three profiles: the overview at `/`, each profile's pages and
/// API under `/<name>/`, and each mark in its own profile's log.
fn serve_every_profile(dir: &Path, moe_scores: &[u8]) {
    use crate::serve::{get, mark_at, served_page, start_in};
    let scores: serde_json::Value = serde_json::from_slice(moe_scores).unwrap();
    let ids: Vec<&String> = scores.as_object().unwrap().keys().take(2).collect();
    let logs = ["moe", "daizedong", "jackyfl"].map(|n| dir.join(format!("feedback-{n}.jsonl")));
    let before = logs.each_ref().map(|l| fs_err::read(l).unwrap_or_default());
    let served = start_in(dir, &[]);
    let port = served.port;
    let (status, overview) = get(port, "/");
    assert_eq!(status, 200, "{overview}");
    for name in ["moe", "daizedong", "jackyfl"] {
        assert!(overview.contains(&format!("href=\"{name}/")), "{overview}");
    }
    // A profile's folder without its `/` is sent to it, so its relative links resolve.
    let (status, moved) = get(port, "/moe");
    assert_eq!(status, 308, "{moved}");
    assert!(moved.to_lowercase().contains("location: /moe/"), "{moved}");
    let moe = served_page(port, "/moe/days/2025-05-12.html", "/moe/api/");
    let jfl = served_page(port, "/jackyfl/days/2025-05-12.html", "/jackyfl/api/");
    assert_eq!(mark_at(port, "/moe/api/", &moe, ids[0], 1), 200);
    assert_eq!(mark_at(port, "/jackyfl/api/", &jfl, ids[1], -1), 200);
    let (status, marks) = get(port, "/moe/api/feedback");
    assert_eq!(status, 200, "{marks}");
    assert!(marks.contains(&format!("\"{}\":1", ids[0])), "{marks}");
    assert!(!marks.contains(ids[1].as_str()), "{marks}");
    // Nothing outside the site: not a profile's log beside it.
    for bad in [
        "/moe/%2e%2e/%2e%2e/feedback-moe.jsonl",
        "/moe/../../arxrank.toml",
    ] {
        assert_eq!(get(port, bad).0, 404, "{bad}");
    }
    drop(served);
    let read = |l: &Path| arxrank::labels::feedback::read_feedback(l).unwrap().marks;
    let moe_marks = read(&logs[0]);
    assert_eq!(moe_marks.len(), 1);
    assert_eq!(
        (moe_marks[0].id.as_str(), moe_marks[0].liked),
        (ids[0].as_str(), true)
    );
    let jfl_marks = read(&logs[2]);
    assert_eq!(jfl_marks.len(), 1);
    assert_eq!(
        (jfl_marks[0].id.as_str(), jfl_marks[0].liked),
        (ids[1].as_str(), false)
    );
    assert_eq!(
        fs_err::read(&logs[1]).unwrap(),
        before[1],
        "daizedong's log"
    );
    assert!(before[0].is_empty() && before[2].is_empty());
}

/// The binary as a new reader runs it: `HOME` an empty folder, so the config and data
/// directories are the platform's inside it (no ARXRANK_* or XDG variables); the model
/// comes from the checkout's models folder, as README's `ARXRANK_MODELS_DIR` allows.
fn as_new_reader(home: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_arxrank"));
    cmd.current_dir(home)
        .env("HOME", home)
        .env("ARXRANK_MODELS_DIR", models())
        .env("ARXRANK_THREADS", "2");
    let platform = [
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "ARXRANK_CONFIG_DIR",
        "ARXRANK_DATA_DIR",
    ];
    let machine = common::MACHINE_VARS
        .iter()
        .filter(|v| **v != "ARXRANK_MODELS_DIR");
    for var in platform.iter().chain(machine) {
        cmd.env_remove(var);
    }
    let out = cmd.args(args).output().expect("binary runs");
    println!(
        "--- arxrank {} (exit {:?})\n{}{}",
        args.join(" "),
        out.status.code(),
        stderr(&out),
        stdout(&out)
    );
    out
}

fn picks(scores: &serde_json::Value) -> std::collections::BTreeSet<String> {
    scores
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, p)| p["arxrank"]["selected"] == true)
        .map(|(id, _)| id.clone())
        .collect()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs_err::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_new_reader_likes_a_day_of_papers_and_the_next_run_ranks_it_again_keeping_the_profile() {
    let arxiv = Server::start(move |_| Reply::ok("application/rss+xml", feeds::example_rss()));
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let run = |args: &[&str]| as_new_reader(home, args);
    let daily = |extra: &[&str]| {
        let mut args = vec!["daily", "--base-url", arxiv.base.as_str()];
        args.extend_from_slice(extra);
        run(&args)
    };

    let init = run(&["init", "--contact", "reader@uni.edu", "--no-model"]);
    assert_eq!(code(&init), 0, "{}", stderr(&init));
    let config = home.join(".config/arxrank");
    let data = home.join(".local/share/arxrank");
    assert!(config.join("topics/profile.toml").is_file());

    // The first morning: the example day, ranked with the starter profile.
    let first = daily(&[]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let day = data.join("digests/2025-05-13");
    let before = read_json(&day.join("scores.json"));
    let picked = picks(&before);
    assert!((25..=50).contains(&picked.len()), "{} picks", picked.len());
    let page = fs_err::read_to_string(data.join("digests/site/days/2025-05-13.html")).unwrap();
    assert!(
        page.contains(
            "arxrank learn --feedback ~/Downloads/feedback.jsonl --topics \
             ~/.config/arxrank/topics --digests ~/.local/share/arxrank/digests --history \
             ~/.local/share/arxrank/history"
        ),
        "the site's hint names the real command"
    );

    // A day of marks, as the site's export writes them: 20 graph-learning papers the profile
    // passed over are liked, 5 quantization or MoE picks are not for this reader.
    let papers = before.as_object().unwrap();
    let liked: Vec<&String> = papers
        .iter()
        .filter(|(_, p)| {
            p["arxrank"]["selected"] == false
                && p["title"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("graph")
        })
        .map(|(id, _)| id)
        .take(20)
        .collect();
    assert_eq!(liked.len(), 20);
    let disliked: Vec<&String> = papers
        .iter()
        .filter(|(_, p)| {
            p["arxrank"]["selected"] == true
                && p["arxrank"]["keywords"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k == "quantization" || k == "Mixture of Experts")
        })
        .map(|(id, _)| id)
        .take(5)
        .collect();
    assert_eq!(disliked.len(), 5);
    let mut feedback = String::new();
    for (ids, label) in [(&liked, 1), (&disliked, -1)] {
        for id in ids.iter() {
            feedback.push_str(&format!(
                "{{\"id\":\"{id}\",\"label\":{label},\"date\":\"2025-05-13\"}}\n"
            ));
        }
    }
    fs_err::create_dir_all(home.join("Downloads")).unwrap();
    fs_err::write(home.join("Downloads/feedback.jsonl"), feedback).unwrap();

    // The export goes into the feedback log in the data directory; a file with a bad line
    // adds nothing.
    let log = data.join("feedback.jsonl");
    fs_err::write(
        home.join("Downloads/bad.jsonl"),
        "{\"id\":\"x\",\"label\":1}\n",
    )
    .unwrap();
    let bad = run(&["feedback", "import", "Downloads/bad.jsonl"]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("bad.jsonl: line 1"),
        "{}",
        stderr(&bad)
    );
    assert!(!log.exists());
    let import = run(&["feedback", "import", "Downloads/feedback.jsonl"]);
    assert_eq!(code(&import), 0, "{}", stderr(&import));
    assert!(stderr(&import).contains("25 marks"), "{}", stderr(&import));
    assert_eq!(fs_err::read_to_string(&log).unwrap().lines().count(), 25);

    // `learn --feedback` reads the log; it finds the profile, digests and history as
    // `daily` does, and takes the marked papers' vectors from the history: nothing to embed.
    let learn = run(&["learn", "--feedback"]);
    assert_eq!(code(&learn), 0, "{}", stderr(&learn));
    let model = config.join("topics/learned/model.json");
    assert!(
        stderr(&learn).contains("20 liked and 5 disliked"),
        "{}",
        stderr(&learn)
    );

    // The next run notices the taught profile and ranks the day again.
    let again = daily(&[]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(
        stderr(&again).contains("ranking it again: the profile or its learned model changed"),
        "{}",
        stderr(&again)
    );
    let after = read_json(&day.join("scores.json"));
    let now = picks(&after);
    for id in &liked {
        assert!(
            now.contains(*id),
            "liked {id} is a pick: {}",
            after[*id]["COMMENT"]
        );
    }
    for id in &disliked {
        assert!(!now.contains(*id), "disliked {id} is no pick");
    }
    let former: Vec<&String> = picked.iter().filter(|id| !disliked.contains(id)).collect();
    let kept = former.iter().filter(|id| now.contains(**id)).count();
    // The marks train a model of this reader over the profile's score: a day of dislikes of
    // quantization and MoE picks takes some of their like with it, but the profile's picks
    // mostly stay, and every one that left says the marks moved it.
    assert!(
        kept * 3 >= former.len() * 2,
        "{kept} of the {} former picks not disliked stay picks",
        former.len()
    );
    for id in former.iter().filter(|id| !now.contains(**id)) {
        let comment = after[id.as_str()]["COMMENT"].as_str().unwrap();
        assert!(
            comment.starts_with("Your marks moved it down"),
            "{id}: {comment}"
        );
    }
    let joined = now
        .iter()
        .filter(|id| !picked.contains(*id) && !liked.contains(id))
        .count();
    println!(
        "after a day of marks: {} picks (were {}); liked 20 of 20 picks; {kept} of the {} former \
         picks not disliked stay picks; disliked 0 of 5 picks; {joined} papers near liked ones \
         joined",
        now.len(),
        picked.len(),
        former.len()
    );
    // The profile is a prior the marks move, not replace: over the papers no mark names,
    // the order of the scores before and after mostly agrees.
    let unnamed: Vec<(f64, f64)> = after
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, p)| {
            p["arxrank"]["liked_mark"].is_null() && p["arxrank"]["disliked_mark"].is_null()
        })
        .map(|(id, p)| {
            let raw = |v: &serde_json::Value| v["arxrank"]["raw_score"].as_f64().unwrap();
            (raw(&before[id.as_str()]), raw(p))
        })
        .collect();
    let (old, new): (Vec<f64>, Vec<f64>) = unnamed.iter().copied().unzip();
    let rho = arxrank::metrics::spearman(&old, &new).unwrap();
    assert!(
        unnamed.len() > 100 && rho > 0.7,
        "{} papers, Spearman {rho}",
        unnamed.len()
    );
    println!(
        "papers no mark names: {}, Spearman of their scores before and after: {rho:.3}",
        unnamed.len()
    );
    let ranked_with = &read_json(&day.join("run.json"))["ranked_with"];
    assert_eq!(ranked_with["learned_used"], true);
    assert!(ranked_with["learned"]
        .as_str()
        .unwrap()
        .contains("20 liked, 5 disliked"));
    assert!(after[liked[0].as_str()]["COMMENT"]
        .as_str()
        .unwrap()
        .starts_with("You liked this paper"));

    // Once done, done: the log has not changed since `learn` read it.
    let third = daily(&[]);
    assert_eq!(code(&third), 0);
    assert!(
        stderr(&third).contains("nothing to do") && !stderr(&third).contains("learning your"),
        "{}",
        stderr(&third)
    );

    // A mark made later goes into the log, and the next run learns it by itself: the pick
    // marked not for me leaves the digest.
    let unwanted = now.iter().find(|id| !liked.contains(id)).unwrap().clone();
    fs_err::write(
        home.join("Downloads/more.jsonl"),
        format!("{{\"id\":\"{unwanted}\",\"label\":-1,\"date\":\"2025-05-13\"}}\n"),
    )
    .unwrap();
    let import = run(&["feedback", "import", "Downloads/more.jsonl"]);
    assert_eq!(code(&import), 0, "{}", stderr(&import));
    let fourth = daily(&[]);
    assert_eq!(code(&fourth), 0, "{}", stderr(&fourth));
    for said in [
        "changed since the profile last learned from it",
        "20 liked and 6 disliked",
        "ranking it again",
    ] {
        assert!(
            stderr(&fourth).contains(said),
            "{said}: {}",
            stderr(&fourth)
        );
    }
    assert!(!picks(&read_json(&day.join("scores.json"))).contains(&unwanted));

    // A typo in a setting is caught even on a day with nothing to do.
    let typo = daily(&["--topics", "topcis"]);
    assert_eq!(code(&typo), 2, "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("topcis: no such profile"),
        "{}",
        stderr(&typo)
    );

    // A model that cannot be read does not take the job down: the day is ranked with the
    // hand-set profile, loudly, with the way out, and a distinct exit code.
    fs_err::write(&model, "{\"format\": \"arxrank-learned\", \"version\": 2,").unwrap();
    let broken = daily(&[]);
    assert_eq!(code(&broken), 5, "{}", stderr(&broken));
    let e = stderr(&broken);
    assert!(
        e.contains("WARNING")
            && e.contains("model.json: not valid JSON")
            && e.contains("--no-learned")
            && e.contains("arxrank learn --reset"),
        "{e}"
    );
    assert_eq!(picks(&read_json(&day.join("scores.json"))), picked);
    let page = fs_err::read_to_string(data.join("digests/site/days/2025-05-13.html")).unwrap();
    assert!(page.contains("class=\"warning\""), "the site says so too");

    // --reset removes it, and the day is ranked with the hand-set profile, exit 0.
    // The marks are forgotten, not lost: the log is set aside, so `daily` does not learn
    // them again.
    let reset = run(&["learn", "--reset"]);
    assert_eq!(code(&reset), 0, "{}", stderr(&reset));
    assert!(!model.exists());
    assert!(
        stderr(&reset).contains("is set aside as"),
        "{}",
        stderr(&reset)
    );
    assert!(!log.exists());
    let plain = daily(&[]);
    assert_eq!(code(&plain), 0, "{}", stderr(&plain));
    assert_eq!(picks(&read_json(&day.join("scores.json"))), picked);
}
