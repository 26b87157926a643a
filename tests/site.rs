//! `arxrank site` on real digests: three days ranked by the binary with a shared history
//! (2025-05-12 and 2025-05-13 from the labelled pool, 2025-10-22 from the graded set plus
//! one paper with a hostile title, authors and abstract). The HTML is checked as text here,
//! then driven in headless Chromium by tests/browser/site.test.mjs.

use crate::common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{json, Value};

pub(crate) struct Fixture {
    pub(crate) digests: PathBuf,
    pub(crate) site: PathBuf,
}

const DAYS: [&str; 3] = ["2025-05-12", "2025-05-13", "2025-10-22"];
const HOSTILE_ID: &str = "2510.99999";

/// Ranks the three days into `<tmp>/site-test/digests` (their history beside it, in
/// `history`) and writes the site, once per run; `tests/serve.rs` serves copies of them.
pub(crate) fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site-test");
        let _ = fs_err::remove_dir_all(&root);
        fs_err::create_dir_all(&root).unwrap();
        let mut by_day: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for name in [
            "daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl",
            "jackyfl-gpt41-labels_dwdengwei-pool_2025-10-22.jsonl",
        ] {
            for row in common::read_jsonl(&common::data(name)) {
                by_day
                    .entry(row["date"].as_str().unwrap().to_owned())
                    .or_default()
                    .push(row);
            }
        }
        let moe = &common::read_jsonl(&common::data("hf-moe-papers.jsonl"))[0];
        by_day.get_mut("2025-10-22").unwrap().push(json!({
            "id": HOSTILE_ID,
            "date": "2025-10-22",
            "categories": ["cs.LG"],
            "title": "Sparse <b>Mixture-of-Experts</b></title><script>window.__pwned=1</script>",
            // On the profile's author list, so the digest selects it.
            "authors": ["Yann LeCun", "\"><img src=x onerror=\"window.__pwned=2\">"],
            "abstract": format!(
                "{} </p><script>window.__pwned=3;alert(3)</script>\"><img src=x \
                 onerror=alert(4)> & $a<b$ <!-- <iframe src=javascript:alert(5)>",
                moe["abstract"].as_str().unwrap()
            ),
        }));
        assert_eq!(by_day.keys().collect::<Vec<_>>(), DAYS);

        let digests = root.join("digests");
        let history = root.join("history");
        for (day, rows) in &by_day {
            let listing = root.join(format!("{day}.jsonl"));
            let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
            fs_err::write(&listing, text).unwrap();
            let out = common::arxrank(&[
                "rank",
                listing.to_str().unwrap(),
                "--out",
                digests.to_str().unwrap(),
                "--history",
                history.to_str().unwrap(),
            ]);
            assert!(out.status.success(), "rank {day}: {}", stderr(&out));
        }
        let site = root.join("site");
        let out = common::arxrank(&["site", digests.to_str().unwrap(), site.to_str().unwrap()]);
        assert!(out.status.success(), "site: {}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            site.join("index.html").to_str().unwrap()
        );
        Fixture { digests, site }
    })
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read(path: &Path) -> String {
    fs_err::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn html_files(site: &Path) -> Vec<PathBuf> {
    let mut files = vec![site.join("index.html")];
    for sub in ["days", "months"] {
        let mut v: Vec<PathBuf> = fs_err::read_dir(site.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        files.extend(v);
    }
    files
}

fn output_json(f: &Fixture, day: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(&read(&f.digests.join(day).join("scores.json"))).unwrap();
    v.as_object().unwrap().values().cloned().collect()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn every_page_and_month_exists_and_every_local_link_resolves() {
    let f = fixture();
    let files = html_files(&f.site);
    let names: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(&f.site)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "index.html",
            "days/2025-05-12.html",
            "days/2025-05-13.html",
            "days/2025-10-22.html",
            "months/2025-05.html",
            "months/2025-10.html"
        ]
    );
    let link = Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    let id = Regex::new(r#" id="([^"]*)""#).unwrap();
    let mut checked = 0;
    for file in &files {
        let html = read(file);
        for cap in link.captures_iter(&html) {
            let target = &cap[1];
            if target.starts_with("https://arxiv.org/") {
                continue;
            }
            assert!(
                !target.contains("://"),
                "{}: off-site link {target}",
                file.display()
            );
            let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
            let dest = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            assert!(dest.is_file(), "{}: broken link {target}", file.display());
            if !fragment.is_empty() {
                let ids: HashSet<String> = id
                    .captures_iter(&read(&dest))
                    .map(|c| c[1].into())
                    .collect();
                assert!(ids.contains(fragment), "{}: no #{fragment}", file.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} links");

    // Previous/next: the first day has no previous, the last no next, the rest chain.
    let day = |d: &str| read(&f.site.join(format!("days/{d}.html")));
    let prev = Regex::new(r#"rel="prev" data-keep-filter href="([^"]+)""#).unwrap();
    let next = Regex::new(r#"rel="next" data-keep-filter href="([^"]+)""#).unwrap();
    let target = |re: &Regex, html: &str| re.captures(html).map(|c| c[1].to_owned());
    assert_eq!(target(&prev, &day(DAYS[0])), None);
    assert_eq!(target(&next, &day(DAYS[0])).unwrap(), "2025-05-13.html");
    assert_eq!(target(&prev, &day(DAYS[1])).unwrap(), "2025-05-12.html");
    assert_eq!(target(&next, &day(DAYS[1])).unwrap(), "2025-10-22.html");
    assert_eq!(target(&next, &day(DAYS[2])), None);
    assert!(
        day(DAYS[2]).contains("href=\"../months/2025-10.html\">Monthly overview (October 2025)")
    );
}

/// Each pick is listed again under its interest's heading (the topic it is closest to), in
/// rank order; an interest with fewer than three picks is topped up with its best listed
/// papers below the line.
fn interest_headings(html: &str, papers: &[Value], d: &str) {
    let start = html
        .find("<nav id=\"interests\"")
        .expect("the interests' headings");
    let section = &html[start..start + html[start..].find("</nav>").unwrap()];
    let id_re = regex::Regex::new(r##"href="#paper-([^"]+)""##).unwrap();
    let mut headings = 0;
    for chunk in section.split("<h3>").skip(1) {
        headings += 1;
        let name = &chunk[..chunk.find(" <span").unwrap()];
        let listed: Vec<&str> = id_re
            .captures_iter(chunk)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        let of = |selected: bool| -> Vec<&str> {
            let mut v: Vec<&Value> = papers
                .iter()
                .filter(|p| {
                    p["arxrank"]["best_topic"] == name && p["arxrank"]["selected"] == selected
                })
                .filter(|p| selected || p["RELEVANCE"].as_u64() >= Some(6))
                .collect();
            v.sort_by_key(|p| p["arxrank"]["rank"].as_u64());
            v.into_iter()
                .map(|p| p["ARXIVID"].as_str().unwrap())
                .collect()
        };
        let picks = of(true);
        let near: Vec<&str> = of(false)
            .into_iter()
            .take(3usize.saturating_sub(picks.len()))
            .collect();
        assert_eq!(listed, [picks.clone(), near].concat(), "{d}: {name}");
        assert!(
            chunk.contains(&format!("({} picks)", picks.len())),
            "{d}: {name}"
        );
    }
    let topics: std::collections::BTreeSet<&str> = papers
        .iter()
        .filter(|p| p["arxrank"]["selected"] == true)
        .map(|p| p["arxrank"]["best_topic"].as_str().unwrap())
        .collect();
    assert!(headings >= topics.len().max(2), "{d}: {headings} headings");
}

#[test]
fn day_pages_show_what_the_digests_hold() {
    let f = fixture();
    for d in DAYS {
        let html = read(&f.site.join(format!("days/{d}.html")));
        let run: Value = serde_json::from_str(&read(&f.digests.join(d).join("run.json"))).unwrap();
        for (class, key) in [
            ("total", "total"),
            ("scanned", "scanned"),
            ("relevant", "relevant"),
        ] {
            let cell = format!("<td class=\"{class}\">{}</td>", run[key]);
            assert!(html.contains(&cell), "{d}: {cell}");
        }
        let papers = output_json(f, d);
        let picks: Vec<&Value> = papers
            .iter()
            .filter(|p| p["arxrank"]["selected"] == true)
            .collect();
        let extra = papers
            .iter()
            .filter(|p| p["arxrank"]["selected"] == false && p["RELEVANCE"].as_u64() >= Some(6))
            .count();
        assert_eq!(picks.len() as u64, run["relevant"].as_u64().unwrap());
        assert_eq!(
            count(&html, "<article class=\"paper\" "),
            picks.len(),
            "{d}"
        );
        assert_eq!(
            count(&html, "<article class=\"paper extra\" "),
            extra,
            "{d}"
        );
        assert_eq!(
            count(&html, " hidden>\n<h2>"),
            extra,
            "{d}: extras start hidden"
        );
        assert_eq!(
            count(&html, "\" data-paper="),
            picks.len(),
            "{d}: table of contents"
        );
        interest_headings(&html, &papers, d);
        // Picks appear in digest order with their scores, novelty and nearest past paper.
        let mut at = 0;
        for p in &picks {
            let a = p["arxrank"]["rank"].as_u64().unwrap();
            let id = format!("id=\"paper-{}\"", p["ARXIVID"].as_str().unwrap());
            let pos = html[at..]
                .find(&id)
                .unwrap_or_else(|| panic!("{d}: {id} (rank {a})"));
            at += pos;
            let card = &html[at..at + html[at..].find("</article>").unwrap()];
            assert!(card.contains(&format!("Relevance <b>{}</b>", p["RELEVANCE"])));
            match p["NOVELTY"].as_u64() {
                Some(n) => assert!(card.contains(&format!("Novelty <b>{n}</b>"))),
                None => assert!(card.contains("Novelty <b>–</b>")),
            }
            if let Some(near) = p["arxrank"]["nearest_past"].as_object() {
                assert!(card.contains(&format!(
                    "https://arxiv.org/abs/{}",
                    near["id"].as_str().unwrap()
                )));
            }
        }
    }
    // Day one had no history, so no novelty; later days do, and name their nearest paper.
    let day2 = read(&f.site.join("days/2025-05-13.html"));
    assert!(count(&day2, "Nearest past paper:") > 20);
    assert!(count(&day2, "\">its entry on 2025-05-12</a>") > 5);
    let day1 = read(&f.site.join("days/2025-05-12.html"));
    assert_eq!(count(&day1, "Nearest past paper:"), 0);
    // Says why, in words: no novelty on the first day; the topic's closeness in words with
    // the number on hover; a legend; the command that trains on the marks, with real paths.
    assert!(day1.contains(
        "Novelty <b>–</b> <span class=\"why\">(no earlier day in the history to compare with)</span>"
    ));
    assert!(day1.contains("<details class=\"legend\"><summary>How to read a card</summary>"));
    assert!(day1.contains("title=\"cosine 0."), "numbers on hover");
    assert!(
        day1.contains(" · very close</li>") || day1.contains(" · close</li>"),
        "closeness in words"
    );
    assert!(day1.contains(&format!(
        "arxrank learn --feedback ~/Downloads/feedback.jsonl --topics {}",
        arxrank::config::shown(&common::root().join("topics"))
    )));
    assert!(day1.contains(&format!("--digests {}", arxrank::config::shown(&f.digests))));
}

#[test]
fn month_overviews_count_picks_per_topic_and_rank_the_best() {
    let f = fixture();
    let html = read(&f.site.join("months/2025-05.html"));
    let mut per_topic: BTreeMap<String, usize> = BTreeMap::new();
    let mut picks = Vec::new();
    for d in &DAYS[..2] {
        for p in output_json(f, d) {
            if p["arxrank"]["selected"] == true {
                *per_topic
                    .entry(p["arxrank"]["best_topic"].as_str().unwrap().into())
                    .or_default() += 1;
                picks.push(p);
            }
        }
    }
    assert!(per_topic.len() >= 3);
    for (topic, n) in &per_topic {
        let row =
            format!("<tr data-topic=\"{topic}\"><td>{topic}</td><td class=\"count\">{n}</td>");
        assert!(html.contains(&row), "{row}");
    }
    assert!(html.contains(&format!("{} in the digests", picks.len())));
    assert_eq!(count(&html, "<li><a href=\"../days/"), 20.min(picks.len()));
    // The first of the month's top papers has the month's highest relevance.
    let best = picks
        .iter()
        .map(|p| p["RELEVANCE"].as_u64().unwrap())
        .max()
        .unwrap();
    let first = html.split("<ol class=\"top\">").nth(1).unwrap();
    assert!(first.contains(&format!("Relevance {best} ·")));
    let index = read(&f.site.join("index.html"));
    assert!(index.contains("3 days from 2025-05-12 to 2025-10-22"));
    assert!(
        index.find("October 2025").unwrap() < index.find("May 2025").unwrap(),
        "newest first"
    );
}

#[test]
fn hostile_paper_text_is_escaped_and_no_page_runs_inline_script() {
    let f = fixture();
    let html = read(&f.site.join("days/2025-10-22.html"));
    assert!(
        html.contains(&format!("id=\"paper-{HOSTILE_ID}\"")),
        "the author match is selected"
    );
    assert!(html.contains(
        "Sparse &lt;b&gt;Mixture-of-Experts&lt;/b&gt;&lt;/title&gt;&lt;script&gt;window.__pwned=1"
    ));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;"));
    assert!(html.contains("&lt;/p&gt;&lt;script&gt;window.__pwned=3;alert(3)&lt;/script&gt;"));
    assert!(html.contains("&amp; $a&lt;b$ &lt;!-- &lt;iframe"));
    const ALLOWED: &[&str] = &[
        "html", "head", "meta", "title", "link", "script", "body", "nav", "a", "span", "h1", "h2",
        "h3", "table", "tr", "th", "td", "p", "form", "label", "select", "option", "input",
        "output", "ol", "li", "br", "main", "article", "b", "ul", "meter", "footer", "button",
        "code", "details", "summary", "dl", "dt", "dd", "section",
    ];
    let tag = Regex::new(r"<([a-zA-Z][a-zA-Z0-9]*)[^>]*>").unwrap();
    let handler = Regex::new(r"(?i)\son[a-z]+\s*=").unwrap();
    for file in html_files(&f.site) {
        let page = read(&file);
        let scripts: Vec<&str> = page
            .match_indices("<script")
            .map(|(i, _)| &page[i..])
            .collect();
        for s in &scripts {
            assert!(
                s.starts_with("<script src=\"../assets/site.js\" defer></script>"),
                "{}: {}",
                file.display(),
                &s[..60.min(s.len())]
            );
        }
        // Every tag on every page is one the site writes, and none has an event handler:
        // the hostile text survives only as text.
        for tag in tag.captures_iter(&page) {
            assert!(
                ALLOWED.contains(&&tag[1]),
                "{}: <{}",
                file.display(),
                &tag[1]
            );
            assert!(
                !handler.is_match(&tag[0]),
                "{}: {}",
                file.display(),
                &tag[0]
            );
        }
        assert!(!page.contains("<!--"), "{}", file.display());
        assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none'; style-src 'self'; script-src 'self'"));
    }
}

#[test]
fn the_site_is_the_same_every_time_it_is_built() {
    let f = fixture();
    let again = tempfile::tempdir().unwrap();
    let out = common::arxrank(&[
        "site",
        f.digests.to_str().unwrap(),
        again.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for file in html_files(&f.site) {
        let rel = file.strip_prefix(&f.site).unwrap();
        assert_eq!(
            read(&file),
            read(&again.path().join(rel)),
            "{}",
            rel.display()
        );
    }
}

/// Days ranked on a growing history: the first without novelty (NOVELTY 5 in output.json),
/// the later ones with it; the October day has an author match (SCORE 15).
#[test]
fn every_day_speaks_gpt_paper_assistant() {
    let f = fixture();
    for d in DAYS {
        let said = common::gpt_paper_assistant_contract(&f.digests.join(d), 15);
        let picks = output_json(f, d)
            .iter()
            .filter(|p| p["arxrank"]["selected"] == true)
            .count();
        assert!(
            said.starts_with(&format!("ok: {picks} picks")),
            "{d}: {said}"
        );
        let out: Value =
            serde_json::from_str(&read(&f.digests.join(d).join("output.json"))).unwrap();
        let novelty: Vec<i64> = out
            .as_object()
            .unwrap()
            .values()
            .map(|p| p["NOVELTY"].as_i64().unwrap())
            .collect();
        if d == DAYS[0] {
            assert!(novelty.iter().all(|&n| n == 5), "{d}: no history yet");
        } else {
            assert!(
                novelty.iter().any(|&n| n != 5),
                "{d}: novelty against the history"
            );
        }
    }
    let oct: Value =
        serde_json::from_str(&read(&f.digests.join("2025-10-22/output.json"))).unwrap();
    assert_eq!(
        oct[HOSTILE_ID]["SCORE"], 15,
        "the author match's fixed score"
    );
}

#[test]
fn bad_digest_folders_fail_with_exit_2_naming_the_file() {
    let f = fixture();
    let bad = tempfile::tempdir().unwrap();
    let day = bad.path().join("2025-05-13");
    fs_err::create_dir_all(&day).unwrap();
    fs_err::copy(f.digests.join("2025-05-13/run.json"), day.join("run.json")).unwrap();
    let text = read(&f.digests.join("2025-05-13/scores.json"));
    fs_err::write(day.join("scores.json"), &text[..text.len() / 2]).unwrap();
    let site = bad.path().join("site");
    let out = common::arxrank(&["site", bad.path().to_str().unwrap(), site.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("2025-05-13/scores.json: not valid JSON"), "{e}");
    assert!(!site.exists(), "nothing is written from a bad digest");

    let empty = tempfile::tempdir().unwrap();
    let out = common::arxrank(&[
        "site",
        empty.path().to_str().unwrap(),
        site.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no digests in"), "{}", stderr(&out));
}

/// Headless Chromium over the site: navigation, the filter, the hostile page, `file://`,
/// and a screenshot of a day page. Needs Debian's `chromium` and the npm package
/// playwright-core in tests/browser (both installed by `scripts/setup-browser`, which the
/// README's test command runs).
#[test]
fn the_site_works_in_headless_chromium() {
    let f = fixture();
    let shot = f.site.parent().unwrap().join("day-page.png");
    let feedback = f.site.parent().unwrap().join("feedback.jsonl");
    let _ = fs_err::remove_file(&shot);
    let _ = fs_err::remove_file(&feedback);
    let args = [&f.site, &f.digests, &shot, &feedback].map(|p| p.as_os_str());
    common::browser_script("site.test.mjs", &args, "all 10 browser checks passed");
    let png = fs_err::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // The exported file is what `learn --feedback` reads: 22 likes on two days, each with
    // its vector from the history the digests were ranked with.
    let marks = common::read_jsonl(&feedback);
    assert_eq!(marks.iter().filter(|m| m["label"] == 1).count(), 22);
    let days: std::collections::BTreeSet<&str> =
        marks.iter().map(|m| m["date"].as_str().unwrap()).collect();
    assert_eq!(days.iter().copied().collect::<Vec<_>>(), DAYS[..2]);
    let profile = f.site.parent().unwrap().join("feedback-profile");
    let _ = fs_err::remove_dir_all(&profile);
    common::copy_dir(&common::root().join("topics"), &profile);
    let out = common::arxrank(&[
        "learn",
        "--feedback",
        feedback.to_str().unwrap(),
        "--digests",
        f.digests.to_str().unwrap(),
        "--history",
        f.digests
            .parent()
            .unwrap()
            .join("history")
            .to_str()
            .unwrap(),
        "--topics",
        profile.to_str().unwrap(),
        "--no-cache",
    ]);
    assert!(out.status.success(), "learn --feedback: {}", stderr(&out));
    let model: Value = serde_json::from_str(&read(&profile.join("learned/model.json"))).unwrap();
    assert!(model["ranker"].is_null(), "marks alone train no ranker");
    let stored = model["marks"]["papers"].as_array().unwrap();
    assert_eq!(stored.len(), marks.len());
    assert_eq!(stored.iter().filter(|m| m["liked"] == true).count(), 22);
    assert_eq!(model["marks"]["sources"][0]["marks"], marks.len());
    for m in stored {
        let exported = marks.iter().find(|e| e["id"] == m["id"]).unwrap();
        assert_eq!(m["day"], exported["date"], "{m}");
    }
}
