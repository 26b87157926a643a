//! Site: many days of digests as one static website, for reading in a browser.
//!
//! `rank` writes one folder per day (`output.json`, `run.json`); this stage reads them back
//! and writes HTML: a page per day with previous/next links, a monthly overview, an index,
//! one stylesheet and one script. It reads only the digest files, never the model or the
//! history, so a site can be rebuilt anywhere the digests are copied to.
//!
//! The digest files are treated as untrusted input: abstracts, titles and author names come
//! from arXiv submitters, and a digest folder may have been edited by hand. Every field is
//! checked as it is read, through the digest schema that `render` owns (ids must be arXiv
//! ids, dates real dates, scores on the 1-10 scale), before it can reach a file name or a
//! link, and the page templates escape all text they write.

mod pages;

use crate::fsutil::IoError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::render::{
    parse_date, read_run_json, read_scores_json, scores_path, DigestPaper, RenderError, RunFacts,
};

pub use pages::{write_site, SiteOptions, Written, DEFAULT_LIST_FROM};

/// Every page's Content-Security-Policy (in `base.html`'s `<meta>`): its own stylesheet and
/// script, nothing else, nothing inline. `arxrank serve` widens it by `connect-src 'self'`.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
    img-src 'self'; base-uri 'none'; form-action 'none'";

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("cannot render a page")]
    Template(#[from] askama::Error),
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error(
        "no digests in {0}: expected one YYYY-MM-DD folder per day holding the \
         output.json and run.json that `arxrank rank --out {0}` writes"
    )]
    Empty(PathBuf),
}

/// One day's digest: its run facts and the papers kept from it, in rank order.
#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    pub run: RunFacts,
    pub papers: Vec<DigestPaper>,
}

impl Day {
    pub fn selected(&self) -> impl Iterator<Item = &DigestPaper> {
        self.papers.iter().filter(|p| p.arxrank.selected)
    }

    /// `YYYY-MM`, the month overview this day belongs to.
    pub fn month(&self) -> String {
        self.date.format("%Y-%m").to_string()
    }
}

impl From<RenderError> for SiteError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::Io(e) => SiteError::Io(e),
            RenderError::Invalid { path, what } => SiteError::Invalid { path, what },
        }
    }
}

/// What [`load_days`] found: the days, oldest first, and dated folders it passed over.
#[derive(Debug)]
pub struct Loaded {
    pub days: Vec<Day>,
    /// Dated folders without an `output.json` (a day `rank` never finished, or other files).
    pub skipped: Vec<PathBuf>,
}

/// Reads every `<dir>/YYYY-MM-DD/` digest, oldest first, keeping the papers `keep` accepts.
///
/// `output.json` holds every scanned paper; a site shows only some, and a year of digests
/// is about half a gigabyte of JSON, so the rest are dropped as each day is read. Every
/// paper is still checked. Folders whose names are not dates are ignored (a digest folder
/// may hold other things); a dated folder with `output.json` but a damaged or missing
/// `run.json` is an error, since a page without its counts would misreport the day.
pub fn load_days(dir: &Path, keep: impl Fn(&DigestPaper) -> bool) -> Result<Loaded, SiteError> {
    load_dated(dir, dated_folders(dir)?, keep)
}

/// The `YYYY-MM-DD` folders of `dir`, by date.
fn dated_folders(dir: &Path) -> Result<BTreeMap<NaiveDate, PathBuf>, SiteError> {
    let mut dated = BTreeMap::new();
    for entry in fs_err::read_dir(dir).map_err(IoError::read(dir))? {
        let entry = entry.map_err(IoError::read(dir))?;
        let name = entry.file_name();
        let Some(date) = name.to_str().and_then(parse_date) else {
            continue;
        };
        if entry.path().is_dir() {
            dated.insert(date, entry.path());
        }
    }
    Ok(dated)
}

/// Reads the digests of the `dated` folders of `dir` (see [`load_days`]).
fn load_dated(
    dir: &Path,
    dated: BTreeMap<NaiveDate, PathBuf>,
    keep: impl Fn(&DigestPaper) -> bool,
) -> Result<Loaded, SiteError> {
    let mut loaded = Loaded {
        days: Vec::new(),
        skipped: Vec::new(),
    };
    for (date, path) in dated {
        if !path.join("output.json").exists() && !path.join("scores.json").exists() {
            loaded.skipped.push(path);
            continue;
        }
        loaded.days.push(load_day(&path, date, &keep)?);
    }
    if loaded.days.is_empty() {
        return Err(SiteError::Empty(dir.to_owned()));
    }
    Ok(loaded)
}

fn load_day(
    dir: &Path,
    date: NaiveDate,
    keep: &impl Fn(&DigestPaper) -> bool,
) -> Result<Day, SiteError> {
    let run_path = dir.join("run.json");
    if !run_path.exists() {
        return Err(SiteError::Invalid {
            path: run_path,
            what: "missing; the digest's other files are there, so `arxrank rank` stopped \
                   before finishing this day: run it again for this day"
                .into(),
        });
    }
    let run = read_run_json(&run_path)?;
    if run.date.date() != date {
        return Err(SiteError::Invalid {
            path: run_path,
            what: format!(
                "its date {} is not the folder's date {}",
                run.date,
                date.format("%Y-%m-%d")
            ),
        });
    }
    let mut papers = read_scores_json(&scores_path(dir, &run), keep)?;
    papers.sort_by_key(|p| p.arxrank.rank);
    Ok(Day { date, run, papers })
}

/// Builds the site of the digests in `digests` into `out`, listing on the day pages the
/// picks and the papers at `opts.list_from` or more.
pub fn build(
    digests: &Path,
    out: &Path,
    opts: &SiteOptions,
    report: &mut dyn crate::report::Report,
) -> Result<(), SiteError> {
    let list_from = opts.list_from;
    let loaded = load_days(digests, |p| {
        p.arxrank.selected || p.arxrank.ask || p.relevance >= list_from
    })?;
    for dir in &loaded.skipped {
        report.note(&format!(
            "arxrank: skipped {}: no digest files (no digest was written for that day)",
            dir.display()
        ));
    }
    let written = write_site(&loaded.days, out, opts)?;
    report.note(&format!(
        "arxrank: site written: day pages {}, monthly overviews {}",
        written.day_pages, written.month_pages
    ));
    report.wrote(&written.index);
    Ok(())
}

/// The days the overview of several profiles shows: a month of a lab's days, without
/// reading a year of every profile's digests on every run.
pub const OVERVIEW_DAYS: usize = 30;

/// One profile of a settings file with several, as its site sees it.
#[derive(Debug, Clone)]
pub struct ProfileSite {
    pub name: String,
    /// Its digests (`<out>/<name>`).
    pub digests: PathBuf,
    /// Its site folder (`<site>/<name>`, or its own).
    pub site: PathBuf,
    /// The hint under its feedback buttons.
    pub learn_command: String,
}

/// Builds every profile's site ([`build`]) and the overview across them at
/// `<site>/index.html` ([`build_overview`]): what `arxrank site` does on a settings file with
/// profiles, and `serve` before it serves them.
pub fn build_profiles(
    site: &Path,
    profiles: &[ProfileSite],
    list_from: u8,
    report: &mut dyn crate::report::Report,
) -> Result<(), SiteError> {
    for p in profiles {
        report.note(&format!("arxrank: [{}] its site", p.name));
        let opts = SiteOptions::new(list_from, p.learn_command.clone(), Some(&p.name));
        build(&p.digests, &p.site, &opts, report)?;
    }
    build_overview(site, profiles, report)
}

/// Writes the overview of several profiles' sites at `<site>/index.html`, over their
/// newest [`OVERVIEW_DAYS`] days. A profile's site folder inside `site` is linked
/// relatively, so the whole tree can be published as one site.
pub fn build_overview(
    site: &Path,
    profiles: &[ProfileSite],
    report: &mut dyn crate::report::Report,
) -> Result<(), SiteError> {
    let mut loaded = Vec::with_capacity(profiles.len());
    for p in profiles {
        let mut dated = dated_folders(&p.digests)?;
        while dated.len() > OVERVIEW_DAYS {
            dated.pop_first();
        }
        let days = load_dated(&p.digests, dated, |p| p.arxrank.selected)?.days;
        let href = match p.site.strip_prefix(site) {
            Ok(rel) => format!("{}/", rel.display()),
            Err(_) => format!(
                "file://{}/",
                std::path::absolute(&p.site)
                    .unwrap_or_else(|_| p.site.clone())
                    .display()
            ),
        };
        loaded.push((p.name.clone(), days, href));
    }
    let path = pages::write_overview(site, &loaded)?;
    report.wrote(&path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn paper(id: &str, rank: usize, relevance: u8) -> Value {
        serde_json::json!({
            "ARXIVID": id, "COMMENT": "c", "RELEVANCE": relevance, "NOVELTY": null, "SCORE": 1,
            "title": "t", "authors": ["a"], "abstract": "x",
            "arxrank": {
                "rank": rank, "selected": relevance >= 8, "raw_score": 0.5,
                "best_topic": "T", "topic_similarity": {"T": 0.5, "U": 0.1},
                "keywords": [], "irrelevant_keywords": [], "application_keywords": ["robot"],
                "author_match": null, "nearest_past": null, "repeat_of": null,
                "categories": ["cs.LG"], "announce_type": "new", "date": "2025-05-13"
            }
        })
    }

    fn write_day(root: &Path, date: &str, output: &Value) {
        let dir = root.join(date);
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(dir.join("output.json"), output.to_string()).unwrap();
        let run = serde_json::json!({
            "date": date, "total": 3, "scanned": 2, "relevant": 1, "model": "m",
            "fingerprint": "f", "device": "cpu", "profile": "p", "tokens": 1, "seconds": 1.0,
            "cost_usd": 0
        });
        fs_err::write(dir.join("run.json"), run.to_string()).unwrap();
    }

    #[test]
    fn reads_days_in_date_order_and_papers_in_rank_order() {
        let dir = tempfile::tempdir().unwrap();
        let out = serde_json::json!({
            "2505.00002": paper("2505.00002", 2, 3),
            "2505.00001": paper("2505.00001", 1, 9),
        });
        write_day(dir.path(), "2025-05-13", &out);
        write_day(dir.path(), "2025-05-12", &out);
        fs_err::create_dir_all(dir.path().join("2025-05-14")).unwrap();
        fs_err::create_dir_all(dir.path().join("assets")).unwrap();
        let loaded = load_days(dir.path(), |_| true).unwrap();
        let dates: Vec<String> = loaded.days.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(dates, ["2025-05-12", "2025-05-13"]);
        assert_eq!(loaded.skipped, [dir.path().join("2025-05-14")]);
        let d = &loaded.days[0];
        assert_eq!(d.papers[0].id.as_str(), "2505.00001");
        assert_eq!(d.selected().count(), 1);
        assert_eq!(d.papers[0].penalties().collect::<Vec<_>>(), ["robot"]);
        assert_eq!(
            d.papers[0].arxrank.topic_similarity[1],
            ("U".to_string(), 0.1)
        );
        let picks = load_days(dir.path(), |p| p.arxrank.selected).unwrap();
        assert_eq!(picks.days[1].papers.len(), 1);
    }

    #[test]
    fn bad_digests_name_the_file_and_the_problem() {
        let err = |out: Value, date: &str| {
            let dir = tempfile::tempdir().unwrap();
            write_day(dir.path(), date, &out);
            load_days(dir.path(), |_| true).unwrap_err().to_string()
        };
        let mut p = paper("2505.00001", 1, 9);
        p.as_object_mut().unwrap().remove("COMMENT");
        let e = err(serde_json::json!({ "2505.00001": p }), "2025-05-13");
        assert!(
            e.contains("2025-05-13/output.json") && e.contains("missing field `COMMENT`"),
            "{e}"
        );

        let e = err(
            serde_json::json!({ "x": paper("javascript:alert(1)", 1, 9) }),
            "2025-05-13",
        );
        assert!(e.contains("output.json") && e.contains("arXiv"), "{e}");

        let e = err(
            serde_json::json!({ "2505.00001": paper("2505.00001", 1, 11) }),
            "2025-05-13",
        );
        assert!(e.contains("RELEVANCE 11 is outside the 1-10 scale"), "{e}");

        let mut p = paper("2505.00001", 1, 9);
        p["arxrank"]["repeat_of"] = "../../etc".into();
        let e = err(serde_json::json!({ "2505.00001": p }), "2025-05-13");
        assert!(e.contains("\"../../etc\" is not a YYYY-MM-DD day"), "{e}");

        let e = err(serde_json::json!([1, 2]), "2025-05-13");
        assert!(e.contains("expected an object keyed by arXiv id"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        write_day(dir.path(), "2025-05-13", &serde_json::json!({}));
        fs_err::write(dir.path().join("2025-05-13/output.json"), "{\"a\": [").unwrap();
        let e = load_days(dir.path(), |_| true).unwrap_err().to_string();
        assert!(
            e.contains("output.json: not valid JSON") && e.contains("line 1"),
            "{e}"
        );

        fs_err::remove_file(dir.path().join("2025-05-13/run.json")).unwrap();
        fs_err::write(dir.path().join("2025-05-13/output.json"), "{}").unwrap();
        let e = load_days(dir.path(), |_| true).unwrap_err().to_string();
        assert!(e.contains("run.json: missing"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        write_day(dir.path(), "2025-05-13", &serde_json::json!({}));
        fs_err::rename(dir.path().join("2025-05-13"), dir.path().join("2025-05-14")).unwrap();
        let e = load_days(dir.path(), |_| true).unwrap_err().to_string();
        assert!(e.contains("is not the folder's date 2025-05-14"), "{e}");

        let empty = tempfile::tempdir().unwrap();
        let e = load_days(empty.path(), |_| true).unwrap_err().to_string();
        assert!(e.starts_with("no digests in"), "{e}");
    }

    #[test]
    fn every_page_carries_the_policy_serve_widens() {
        let base = include_str!("templates/base.html");
        assert!(base.contains(&format!("content=\"{PAGE_CSP}\">")), "{base}");
    }

    #[test]
    fn only_strict_dates_name_day_folders() {
        assert!(parse_date("2025-05-13").is_some());
        for bad in [
            "2025-5-13",
            "2025-02-30",
            "../2025-05-13",
            "2025-05-13x",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }
}
