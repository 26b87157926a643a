//! `arxrank serve` over copies of the site test's real digests and history: what it
//! refuses (another host, another origin, no token, bad marks, paths outside the site, big
//! bodies), many clients marking at once with `daily` ranking a new day beside it, marks
//! and search in headless Chromium, and a `kill -9` in the middle of the marks.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arxrank::labels::feedback::read_feedback;
use serde_json::{json, Value};

const NEW_DAY: &str = "2025-10-23";
const PLANTED: &str = "2510.90000";
const QUERY: &str = "how many bees fly in and out of a beehive, counted from the air";

/// A running `arxrank serve`, killed when dropped.
pub(crate) struct Served {
    child: Child,
    pub(crate) port: u16,
    log: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn server_log(&self) -> String {
        fs_err::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A data directory of its own: the site test's digests and history copied, the repo's
/// profile copied (daily may teach it). A folder with `topics/` is a project, so the
/// feedback log is `feedback.jsonl` in it.
fn home() -> tempfile::TempDir {
    let f = crate::site::fixture();
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&f.digests, &tmp.path().join("digests"));
    common::copy_tree(
        &f.digests.parent().unwrap().join("history"),
        &tmp.path().join("history"),
    );
    common::copy_dir(&common::root().join("topics"), &tmp.path().join("topics"));
    tmp
}

fn feedback_log(home: &Path) -> PathBuf {
    home.join("feedback.jsonl")
}

fn start(home: &Path) -> Served {
    let args = ["--out", "digests", "--history", "history", "--site", "site"];
    start_in(home, &[&args[..], &["--topics", "topics"]].concat())
}

/// `arxrank serve` on a free loopback port, from `cwd` with `args`, once it printed its URL.
pub(crate) fn start_in(cwd: &Path, args: &[&str]) -> Served {
    let home = cwd;
    let log = home.join(format!("serve-{}.log", fastrand::u32(..)));
    let mut child = common::isolated(home)
        .env("ARXRANK_MODELS_DIR", common::root().join("models"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(fs_err::File::create(&log).unwrap().into_parts().0)
        .spawn()
        .expect("binary runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("http://") => break l,
            Some(Ok(_)) => continue,
            _ => panic!(
                "serve did not start:\n{}",
                fs_err::read_to_string(&log).unwrap()
            ),
        }
    };
    let port = url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|_| panic!("{url}"));
    Served { child, port, log }
}

/// One HTTP/1.1 request as written (nothing normalised), its status and body.
fn raw(port: u16, request: &str) -> (u16, String) {
    try_raw(port, request).unwrap_or_else(|e| panic!("{e}: {request}"))
}

/// [`raw`], with a connection the server dropped (killed) as an error.
fn try_raw(port: u16, request: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    s.write_all(request.as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in {text:?}")))?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Ok((status, format!("{head}\n\n{body}")))
}

pub(crate) fn get(port: u16, path: &str) -> (u16, String) {
    raw(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    )
}

/// A mark as a page sends it, with `extra` headers (the token, an origin) and any body.
fn post(port: u16, extra: &[(&str, &str)], body: &str) -> (u16, String) {
    raw(port, &post_request(port, "/api/", extra, body))
}

/// A `POST` of `body` to the feedback route of the API at `api` (`/api/`, or
/// `/<name>/api/` for one profile of several).
fn post_request(port: u16, api: &str, extra: &[(&str, &str)], body: &str) -> String {
    let headers: String = extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    format!(
        "POST {api}feedback HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
}

fn mark(port: u16, token: &str, id: &str, label: i8) -> u16 {
    mark_at(port, "/api/", token, id, label)
}

/// A mark on `id` sent to the API at `api`, as the page does; the answer's status.
pub(crate) fn mark_at(port: u16, api: &str, token: &str, id: &str, label: i8) -> u16 {
    let body = json!({"id": id, "label": label, "day": "2025-05-12"}).to_string();
    raw(
        port,
        &post_request(port, api, &[("X-Arxrank-Token", token)], &body),
    )
    .0
}

fn token(port: u16) -> String {
    served_page(port, "/days/2025-05-12.html", "/api/")
}

/// The session token of the page at `path`, checked to name its profile's API `api`.
pub(crate) fn served_page(port: u16, path: &str, api: &str) -> String {
    let (status, page) = get(port, path);
    assert_eq!(status, 200, "{page}");
    let re = regex::Regex::new(
        r#"<meta name="arxrank-serve" content="([0-9a-f]{48})" data-api="([^"]*)">"#,
    )
    .unwrap();
    let found = re.captures(&page).expect("the page carries the token");
    assert_eq!(&found[2], api, "{path}");
    found[1].to_owned()
}

/// The ids of a fixture day's papers.
fn day_ids(day: &str) -> Vec<String> {
    let f = crate::site::fixture();
    let scores: Value = serde_json::from_str(
        &fs_err::read_to_string(f.digests.join(day).join("scores.json")).unwrap(),
    )
    .unwrap();
    scores.as_object().unwrap().keys().cloned().collect()
}

/// A listing of a new day: 30 papers on mixtures of experts and one planted paper on
/// something no other paper is about.
fn new_day_listing(home: &Path) -> PathBuf {
    let mut rows: Vec<Value> = common::read_jsonl(&common::data("hf-moe-papers.jsonl"))
        .into_iter()
        .take(30)
        .enumerate()
        .map(|(i, p)| {
            json!({"id": format!("2510.{:05}", 90001 + i), "date": NEW_DAY,
                   "categories": ["cs.LG"], "title": p["title"], "authors": ["A. Author"],
                   "abstract": p["abstract"]})
        })
        .collect();
    rows.push(json!({"id": PLANTED, "date": NEW_DAY, "categories": ["cs.CV"],
        "title": "Counting honeybees at the hive entrance with a drone-mounted thermal camera",
        "authors": ["B. Keeper"],
        "abstract": "Beekeepers need to know how many foragers leave and return to a hive. We fly a \
            small drone with a thermal camera above the hive entrance and count bees in flight \
            with a lightweight detector and tracker, matching manual counts within five percent \
            across forty colonies."}));
    let path = home.join(format!("{NEW_DAY}.jsonl"));
    fs_err::write(
        &path,
        rows.iter().map(|r| format!("{r}\n")).collect::<String>(),
    )
    .unwrap();
    path
}

#[test]
fn serve_refuses_what_it_should_takes_many_marks_beside_daily_and_works_in_chromium() {
    let tmp = home();
    let home = tmp.path();
    let s = start(home);
    let port = s.port;
    let tok = token(port);
    let log = feedback_log(home);

    // Another host name pointing at 127.0.0.1 (DNS rebinding) gets nothing.
    let (status, _) = raw(
        port,
        &format!("GET / HTTP/1.1\r\nHost: evil.example:{port}\r\nConnection: close\r\n\r\n"),
    );
    assert_eq!(status, 403);
    // Pages carry the served policy; files outside the site are never served.
    let (status, page) = get(port, "/");
    assert_eq!(status, 200);
    assert!(page.contains("connect-src 'self'") && page.contains("frame-ancestors 'none'"));
    for path in [
        "/../digests/2025-05-12/scores.json",
        "/days/../../history/",
        "/%2e%2e/digests/2025-05-12/run.json",
        "/..%2f..%2fetc%2fpasswd",
        "/assets/..%5c..%5crun.json",
        "/.well-known/x",
    ] {
        let (status, body) = get(port, path);
        assert_eq!(status, 404, "{path}: {body}");
    }

    // Marks that must be refused, and write nothing.
    let good = json!({"id": "2505.07111", "label": 1, "day": "2025-05-12"}).to_string();
    let cross = [
        ("X-Arxrank-Token", tok.as_str()),
        ("Origin", "http://evil.example"),
    ];
    assert_eq!(post(port, &[], &good).0, 403, "no token");
    assert_eq!(post(port, &cross, &good).0, 403, "cross-origin");
    let wrong = "0".repeat(48);
    assert_eq!(post(port, &[("X-Arxrank-Token", &wrong)], &good).0, 403);
    let with = [("X-Arxrank-Token", tok.as_str())];
    let (status, body) = post(port, &with, "{\"id\": ");
    assert!(
        status == 400 && body.contains("is not {"),
        "{status} {body}"
    );
    let bad_label = json!({"id": day_ids("2025-05-12")[0], "label": 5, "day": "2025-05-12"});
    let (status, body) = post(port, &with, &bad_label.to_string());
    assert!(status == 400 && body.contains("label 5"), "{body}");
    let bad_day = json!({"id": day_ids("2025-05-12")[0], "label": 1, "day": "12 May"});
    assert_eq!(post(port, &with, &bad_day.to_string()).0, 400);
    let unknown = json!({"id": "2512.99999", "label": 1, "day": "2025-05-12"}).to_string();
    let (status, body) = post(port, &with, &unknown);
    assert!(
        status == 422 && body.contains("unknown paper 2512.99999"),
        "{body}"
    );
    let huge = format!("{{\"id\": \"{}\"}}", "x".repeat(8000));
    assert_eq!(post(port, &with, &huge).0, 413, "bodies are capped");
    assert!(!log.exists(), "a refused mark writes nothing");

    // Many clients mark at once while `daily` ranks a new day into the same folders.
    let listing = new_day_listing(home);
    let daily = common::isolated(home)
        .env("ARXRANK_MODELS_DIR", common::root().join("models"))
        .args([
            "daily",
            "--listing",
            listing.to_str().unwrap(),
            "--no-deliver",
        ])
        .args(["--out", "digests", "--history", "history", "--site", "site"])
        .args(["--topics", "topics"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ids = [day_ids("2025-05-12"), day_ids("2025-05-13")].concat();
    ids.sort();
    ids.dedup();
    let (clients, each) = (16, 25);
    assert!(ids.len() >= clients * each);
    // Each client goes over its 25 papers again and again, flipping like and dislike each
    // round, until daily is done: every answered mark is a line, and the log's reading is
    // each paper's last answered label.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let mine: Vec<String> = ids[c * each..(c + 1) * each].to_vec();
            let (tok, done) = (tok.clone(), done.clone());
            std::thread::spawn(move || {
                let (mut answered, mut last) = (0usize, Vec::new());
                for round in 0.. {
                    let label = if (round + c) % 2 == 0 { 1 } else { -1 };
                    last = mine.iter().map(|id| (id.clone(), label)).collect();
                    for id in &mine {
                        assert_eq!(mark(port, &tok, id, label), 200, "{id}");
                        answered += 1;
                    }
                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                }
                (answered, last)
            })
        })
        .collect();
    let daily = daily.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let results: Vec<(usize, Vec<(String, i8)>)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let took = started.elapsed().as_secs_f64();
    let answered: usize = results.iter().map(|r| r.0).sum();
    println!(
        "load: {clients} clients, {answered} marks answered 200 in {took:.1} s ({:.0} marks/s) \
         while daily ranked {NEW_DAY} beside the server",
        answered as f64 / took
    );
    assert!(
        daily.status.success(),
        "daily beside serve: {}",
        String::from_utf8_lossy(&daily.stderr)
    );

    // Every answered mark is one line, and each paper reads as its last answered label.
    let text = fs_err::read_to_string(&log).unwrap();
    assert_eq!(text.lines().count(), answered, "none lost, none doubled");
    let read = read_feedback(&log).unwrap();
    assert_eq!(read.torn_line, None);
    assert_eq!(read.marks.len(), clients * each);
    let last: std::collections::HashMap<String, i8> =
        results.into_iter().flat_map(|r| r.1).collect();
    for f in &read.marks {
        assert_eq!(f.liked, last[f.id.as_str()] == 1, "{}", f.id);
    }
    // The history daily appended to is whole, and the server searches it as it is now.
    let verify = common::run_isolated(
        home,
        &[(
            "ARXRANK_MODELS_DIR",
            common::root().join("models").to_str().unwrap(),
        )],
        &["history", "verify", "--history", "history"],
    );
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let q: String = QUERY
        .bytes()
        .map(|b| match b {
            b' ' => "+".to_string(),
            b',' => "%2C".to_string(),
            _ => (b as char).to_string(),
        })
        .collect();
    let (status, found) = get(port, &format!("/api/search?q={q}&k=5"));
    assert_eq!(status, 200, "{found}");
    let body: Value = serde_json::from_str(found.split_once("\n\n").unwrap().1).unwrap();
    assert_eq!(body["results"][0]["id"], PLANTED, "{body}");
    assert_eq!(
        body["results"][0]["page"],
        format!("/days/{NEW_DAY}.html#paper-{PLANTED}")
    );

    // In Chromium: marks survive a reload, the search box finds the planted paper first.
    let (out, shot) = chromium(port);
    let after = read_feedback(&log).unwrap();
    let marked: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("marked "))
        .collect();
    assert_eq!(marked.len(), 3, "{out}");
    for line in marked {
        let (id, label) = line.split_once(' ').unwrap();
        let got = after.marks.iter().find(|f| f.id.as_str() == id);
        match label {
            "0" => assert!(got.is_none(), "{id} was taken back"),
            l => assert_eq!(got.map(|f| f.liked), Some(l == "1"), "{id}"),
        }
    }
    let png = fs_err::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    println!("{}", s.server_log());
}

/// Runs tests/browser/serve.test.mjs against the server; returns what it printed and the
/// screenshot's path.
fn chromium(port: u16) -> (String, PathBuf) {
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-day-page.png");
    let base = format!("http://127.0.0.1:{port}/");
    let args = [base.as_str(), "2025-05-13", QUERY, PLANTED].map(std::ffi::OsStr::new);
    let args = [&args[..], &[shot.as_os_str()]].concat();
    let log = common::browser_script("serve.test.mjs", &args, "all 4 serve checks passed");
    (log, shot)
}

#[test]
fn serve_killed_mid_write_leaves_a_log_that_reads_back_whole() {
    let tmp = home();
    let home = tmp.path();
    let log = feedback_log(home);
    let mut s = start(home);
    let (port, tok) = (s.port, token(s.port));

    // Eight clients mark distinct papers as fast as they can; the server is killed under them.
    let ids = day_ids("2025-05-13");
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients = 8;
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let mine: Vec<String> = ids.iter().skip(c).step_by(clients).cloned().collect();
            let (tok, acked, sent) = (tok.clone(), acked.clone(), sent.clone());
            std::thread::spawn(move || {
                for id in mine {
                    sent.lock().unwrap().push(id.clone());
                    let body = json!({"id": id, "label": 1, "day": "2025-05-13"}).to_string();
                    let request = post_request(port, "/api/", &[("X-Arxrank-Token", &tok)], &body);
                    match try_raw(port, &request) {
                        Ok((200, _)) => acked.lock().unwrap().push(id),
                        _ => return,
                    }
                }
            })
        })
        .collect();
    // Kill once some marks are on disk, while the rest are in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    for t in threads {
        let _ = t.join();
    }
    let (acked, sent) = (acked.lock().unwrap().clone(), sent.lock().unwrap().clone());
    let read = read_feedback(&log).expect("the log reads back after kill -9");
    let in_log: Vec<&str> = read.marks.iter().map(|f| f.id.as_str()).collect();
    println!(
        "kill -9: {} marks sent, {} answered before the kill, {} in the log, torn line: {:?}",
        sent.len(),
        acked.len(),
        in_log.len(),
        read.torn_line
    );
    assert!(
        acked.len() >= 40 && acked.len() < ids.len(),
        "killed mid-stream"
    );
    for id in &acked {
        assert!(
            in_log.contains(&id.as_str()),
            "{id} was answered, so it is on disk"
        );
    }
    assert!(in_log.iter().all(|id| sent.iter().any(|s| s == id)));

    // A write cut short (a torn last line) is left out on reading, with its line number,
    // and the next server's first mark cuts it off.
    let whole = fs_err::read_to_string(&log).unwrap();
    fs_err::write(&log, format!("{whole}{{\"id\": \"2505.0")).unwrap();
    let torn = read_feedback(&log).unwrap();
    assert_eq!(torn.marks, read.marks);
    assert_eq!(torn.torn_line, Some(whole.lines().count() + 1));
    let s = start(home);
    let last = ids
        .iter()
        .find(|id| !in_log.contains(&id.as_str()))
        .unwrap();
    assert_eq!(mark(s.port, &token(s.port), last, -1), 200);
    let after = read_feedback(&log).unwrap();
    assert_eq!(after.torn_line, None);
    assert_eq!(after.marks.len(), read.marks.len() + 1);
    assert!(fs_err::read_to_string(&log).unwrap().ends_with('\n'));
}
