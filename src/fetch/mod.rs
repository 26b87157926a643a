//! Fetch: the day's listing from arXiv, politely, into a file `rank` reads.
//!
//! arXiv asks automated clients to identify themselves, to wait 3 s between requests and
//! to back off when it says so; its RSS feed changes once a day, so a second fetch on the
//! same day should cost it nothing. Hence: a User-Agent naming arxrank and the contact
//! from the config, conditional requests (ETag / Last-Modified, remembered per URL in the
//! listings folder), retries with backoff on 5xx, 429, timeouts and cut connections
//! (`Retry-After` honoured), and at most one request per 3 s, also across runs.
//!
//! A response is only saved after it parses as the listing it should be, so an HTML error
//! page or a body cut short never becomes "today's listing"; saving is atomic. A feed with
//! no items is a day without announcements (weekends, holidays), which is not an error.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::fsutil::{write_atomic, IoError};
use crate::ingest::{parse_listing, sniff, Day, Format, IngestError, Listing, Paper, ReadOptions};

/// arXiv's RSS host; the feed for `cs.LG` and `cs.AI` is `<RSS_BASE>/rss/cs.LG+cs.AI`.
pub const RSS_BASE: &str = "https://rss.arxiv.org";
/// arXiv's API host; queries go to `<API_BASE>/api/query`.
pub const API_BASE: &str = "https://export.arxiv.org";
/// arXiv's terms for automated access: no more than one request every three seconds.
pub const MIN_INTERVAL: Duration = Duration::from_secs(3);
/// Where the conditional-request validators and the last request's time are kept.
pub const STATE_FILE: &str = ".fetch-state.json";
/// The largest response read: all of cs.* on a busy day is about 10 MB of RSS.
const MAX_BODY: u64 = 256 << 20;
/// The longest `Retry-After` honoured; a server asking for more is reported instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{url}: answered {status} {reason}")]
    Status {
        url: String,
        status: u16,
        reason: String,
    },
    #[error("{url}: {message} (after {attempts} attempts)")]
    Unreachable {
        url: String,
        message: String,
        attempts: u32,
    },
    #[error("{url}: not an arXiv {expected} feed ({found}); nothing was saved")]
    NotAFeed {
        url: String,
        expected: &'static str,
        found: String,
    },
    #[error("{url}: the response does not parse, so nothing was saved: {source}")]
    Invalid {
        url: String,
        #[source]
        source: IngestError,
    },
    #[error("{path}: {message}")]
    State { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}

/// How fetching behaves; the defaults are arXiv's rules.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Replaces the host (mirrors, tests): RSS from `<base>/rss/…`, the API from
    /// `<base>/api/query`.
    pub base_url: Option<String>,
    pub contact: Option<String>,
    /// Further attempts after a 5xx, 429, timeout or cut connection.
    pub retries: u32,
    /// Connect and read timeout of one request.
    pub timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            base_url: None,
            contact: None,
            retries: 3,
            timeout: Duration::from_secs(60),
        }
    }
}

/// What a fetch of the day's feed found.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// A new listing, saved to `path`.
    Saved {
        path: PathBuf,
        date: Day,
        papers: usize,
    },
    /// The server said nothing changed since the last fetch, which saved `path`.
    NotModified {
        path: PathBuf,
        date: Day,
        papers: usize,
    },
    /// The feed lists no papers: no announcements that day. `unchanged` when the server
    /// answered 304 to a feed that was already empty.
    NoAnnouncements { date: Option<Day>, unchanged: bool },
}

/// The remembered outcome of the last fetch of a URL.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct UrlState {
    etag: Option<String>,
    last_modified: Option<String>,
    /// The file saved from it, with its day and paper count; none for an empty feed.
    saved: Option<PathBuf>,
    date: Option<Day>,
    papers: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    /// Unix time in milliseconds of the last request to any arXiv URL from this folder.
    last_request_ms: u64,
    urls: BTreeMap<String, UrlState>,
}

/// A polite client for one listings folder.
pub struct Fetcher {
    agent: ureq::Agent,
    opts: FetchOptions,
    dir: PathBuf,
    state: State,
}

/// One HTTP answer with its body read whole.
struct Answer {
    status: u16,
    etag: Option<String>,
    last_modified: Option<String>,
    body: Vec<u8>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Fetcher {
    /// A fetcher saving into `dir`, with the state an earlier run left there.
    pub fn new(dir: &Path, opts: FetchOptions) -> Result<Self, FetchError> {
        let state_path = dir.join(STATE_FILE);
        let state = match fs_err::read_to_string(&state_path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| FetchError::State {
                path: state_path.clone(),
                message: format!("{e}; delete it to fetch afresh"),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(IoError::read(&state_path)(e).into()),
        };
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(opts.timeout)
            .timeout_read(opts.timeout)
            .user_agent(&crate::net::user_agent(opts.contact.as_deref()))
            .build();
        Ok(Self {
            agent,
            opts,
            dir: dir.to_owned(),
            state,
        })
    }

    fn save_state(&self) -> Result<(), FetchError> {
        let text = serde_json::to_string_pretty(&self.state).expect("state serialises");
        write_atomic(&self.dir.join(STATE_FILE), text.as_bytes())?;
        Ok(())
    }

    /// Sleeps until 3 s have passed since the last request (this run's or an earlier one's).
    fn throttle(&mut self, at_least: Duration) {
        let wait_until = self.state.last_request_ms + MIN_INTERVAL.as_millis() as u64;
        let now = now_ms();
        let wait = Duration::from_millis(wait_until.saturating_sub(now)).max(at_least);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        self.state.last_request_ms = now_ms();
    }

    /// GETs `url`, retrying what may pass; 304 comes back as an answer, other 4xx as errors.
    fn get(
        &mut self,
        url: &str,
        query: &[(&str, String)],
        validators: Option<&UrlState>,
    ) -> Result<Answer, FetchError> {
        let mut wait = Duration::ZERO;
        let mut last_problem = String::new();
        let attempts = self.opts.retries + 1;
        for attempt in 0..attempts {
            self.throttle(wait);
            let result = self.request(url, query, validators).call();
            // Saved at once, so a run killed mid-download still spaces the next one.
            self.save_state()?;
            match step(url, result, attempt) {
                Step::Done(answer) => return Ok(answer),
                Step::Fail(e) => return Err(e),
                Step::Retry { problem, after } => {
                    last_problem = problem;
                    wait = after;
                }
            }
            if attempt + 1 < attempts {
                eprintln!(
                    "fetch: {url}: {last_problem}; retrying in {} s",
                    wait.max(MIN_INTERVAL).as_secs()
                );
            }
        }
        Err(FetchError::Unreachable {
            url: url.to_owned(),
            message: last_problem,
            attempts,
        })
    }

    /// The request for `url`, conditional when the last answer's validators are known.
    fn request(
        &self,
        url: &str,
        query: &[(&str, String)],
        validators: Option<&UrlState>,
    ) -> ureq::Request {
        let mut req = self.agent.get(url);
        for (k, v) in query {
            req = req.query(k, v);
        }
        if let Some(v) = validators {
            if let Some(e) = &v.etag {
                req = req.set("If-None-Match", e);
            }
            if let Some(m) = &v.last_modified {
                req = req.set("If-Modified-Since", m);
            }
        }
        req
    }

    fn rss_url(&self, categories: &[String]) -> String {
        let base = self.opts.base_url.as_deref().unwrap_or(RSS_BASE);
        format!(
            "{}/rss/{}",
            base.trim_end_matches('/'),
            categories.join("+")
        )
    }

    /// Fetches the day's RSS feed of `categories` and saves it as `<dir>/<date>.xml`, the
    /// date being the feed's announcement day.
    pub fn fetch_rss(&mut self, categories: &[String]) -> Result<Fetched, FetchError> {
        check_categories(categories)?;
        let url = self.rss_url(categories);
        // Validators are only sent when the file they vouch for is still there.
        let known = self
            .state
            .urls
            .get(&url)
            .filter(|s| s.saved.as_ref().is_none_or(|p| p.is_file()))
            .cloned();
        let answer = self.get(&url, &[], known.as_ref())?;
        if answer.status == 304 {
            let Some(known) = known else {
                return Err(FetchError::NotAFeed {
                    url,
                    expected: "RSS",
                    found: "304 Not Modified, to a request that named no earlier copy".into(),
                });
            };
            return Ok(match (known.saved, known.date) {
                (Some(path), Some(date)) => Fetched::NotModified {
                    path,
                    date,
                    papers: known.papers,
                },
                (Some(path), None) => {
                    return Err(FetchError::NotAFeed {
                        url,
                        expected: "RSS",
                        found: format!(
                            "304 Not Modified, but the copy it refers to ({}) has no day on \
                             record; delete the fetch state to fetch it again",
                            path.display()
                        ),
                    })
                }
                (None, date) => Fetched::NoAnnouncements {
                    date,
                    unchanged: true,
                },
            });
        }
        let outcome = match check_feed(&url, &answer.body, Format::Rss)? {
            Some(listing) => {
                let date = listing.date.ok_or_else(|| FetchError::NotAFeed {
                    url: url.clone(),
                    expected: "RSS",
                    found: "a feed without a date (no <pubDate> or <lastBuildDate>)".into(),
                })?;
                let path = self.dir.join(format!("{date}.xml"));
                write_atomic(&path, &answer.body)?;
                Fetched::Saved {
                    path,
                    date,
                    papers: listing.papers.len(),
                }
            }
            None => Fetched::NoAnnouncements {
                date: feed_day(&answer.body),
                unchanged: false,
            },
        };
        let (saved, date, papers) = match &outcome {
            Fetched::Saved { path, date, papers } => (Some(path.clone()), Some(*date), *papers),
            Fetched::NoAnnouncements { date, .. } => (None, *date, 0),
            Fetched::NotModified { .. } => unreachable!("handled above"),
        };
        self.state.urls.insert(
            url,
            UrlState {
                etag: answer.etag,
                last_modified: answer.last_modified,
                saved,
                date,
                papers,
            },
        );
        self.save_state()?;
        Ok(outcome)
    }

    /// Fetches the papers first submitted on each day from `from` to `to` through the arXiv
    /// API (paged, 3 s apart) and saves each day that has any as `<dir>/<date>.jsonl`.
    /// Returns each day with its file and paper count (none for a day without papers).
    pub fn fetch_api(
        &mut self,
        categories: &[String],
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        page_size: usize,
    ) -> Result<Vec<(Day, Option<PathBuf>, usize)>, FetchError> {
        check_categories(categories)?;
        if to < from {
            return Err(FetchError::Usage(format!(
                "--to {to} is before --from {from}"
            )));
        }
        let base = self.opts.base_url.as_deref().unwrap_or(API_BASE);
        let url = format!("{}/api/query", base.trim_end_matches('/'));
        let cats = categories
            .iter()
            .map(|c| format!("cat:{c}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let mut days = Vec::new();
        let mut day = from;
        while day <= to {
            let stamp = day.format("%Y%m%d");
            let search = format!("({cats}) AND submittedDate:[{stamp}0000 TO {stamp}2359]");
            let mut papers: Vec<Paper> = Vec::new();
            let mut start = 0usize;
            loop {
                let query = [
                    ("search_query", search.clone()),
                    ("start", start.to_string()),
                    ("max_results", page_size.to_string()),
                    ("sortBy", "submittedDate".to_string()),
                    ("sortOrder", "ascending".to_string()),
                ];
                let answer = self.get(&url, &query, None)?;
                let total = total_results(&answer.body);
                let page = check_feed(&url, &answer.body, Format::Atom)?
                    .map(|l| l.papers)
                    .unwrap_or_default();
                let n = page.len();
                papers.extend(page);
                start += page_size;
                if n == 0 || total.is_some_and(|t| start >= t) || (total.is_none() && n < page_size)
                {
                    break;
                }
            }
            let papers = crate::ingest::dedupe(papers);
            let date = Day::from(day);
            if papers.is_empty() {
                days.push((date, None, 0));
            } else {
                let mut text = String::new();
                for p in &papers {
                    text.push_str(&serde_json::to_string(p).expect("papers serialise"));
                    text.push('\n');
                }
                let path = self.dir.join(format!("{date}.jsonl"));
                write_atomic(&path, text.as_bytes())?;
                days.push((date, Some(path), papers.len()));
            }
            day = day.succ_opt().expect("a day after a real date");
        }
        Ok(days)
    }
}

fn check_categories(categories: &[String]) -> Result<(), FetchError> {
    if categories.is_empty() {
        return Err(FetchError::Usage("no categories given".into()));
    }
    if let Some(bad) = categories
        .iter()
        .find(|c| !crate::ingest::valid_category(c))
    {
        return Err(FetchError::Usage(format!(
            "{bad:?} is not an arXiv category (e.g. cs.LG)"
        )));
    }
    Ok(())
}

/// Parses a response as the feed it should be: `Some` listing with papers, `None` for a
/// well-formed feed without any, an error for anything else.
fn check_feed(url: &str, body: &[u8], expected: Format) -> Result<Option<Listing>, FetchError> {
    let name = match expected {
        Format::Rss => "RSS",
        _ => "API Atom",
    };
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
    let found = sniff(&head);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FetchError::NotAFeed {
            url: url.to_owned(),
            expected: name,
            found: "an empty body".into(),
        });
    }
    if found != Some(expected) {
        let start: String = head.trim_start().chars().take(60).collect();
        return Err(FetchError::NotAFeed {
            url: url.to_owned(),
            expected: name,
            found: format!("it starts {start:?}"),
        });
    }
    let opts = ReadOptions {
        format: expected,
        ..ReadOptions::default()
    };
    match parse_listing(Path::new(url), body, &opts) {
        Ok(l) => Ok(Some(l)),
        Err(IngestError::Empty { .. }) => Ok(None),
        Err(source) => Err(FetchError::Invalid {
            url: url.to_owned(),
            source,
        }),
    }
}

/// The day of an empty RSS feed, from its `<pubDate>` or `<lastBuildDate>`.
fn feed_day(body: &[u8]) -> Option<Day> {
    let text = std::str::from_utf8(body).ok()?;
    ["pubDate", "lastBuildDate"].iter().find_map(|tag| {
        let start = text.find(&format!("<{tag}>"))? + tag.len() + 2;
        let end = start + text[start..].find('<')?;
        chrono::DateTime::parse_from_rfc2822(text[start..end].trim())
            .ok()
            .map(|d| Day::from(d.date_naive()))
    })
}

/// `<opensearch:totalResults>` of an API page.
fn total_results(body: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("totalResults")?;
    let open = start + text[start..].find('>')? + 1;
    let close = open + text[open..].find('<')?;
    text[open..close].trim().parse().ok()
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (when.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64;
    Some(Duration::from_secs(secs))
}

/// What went wrong with a connection, without the URL: ureq's own message starts with it,
/// and every message here already names it once.
fn transport_problem(t: &ureq::Transport) -> String {
    match t.message() {
        Some(m) => format!("{}: {m}", t.kind()),
        None => t.kind().to_string(),
    }
}

/// What one attempt's outcome calls for.
enum Step {
    Done(Answer),
    /// Try again after `after` (the server's Retry-After, else an exponential backoff).
    Retry {
        problem: String,
        after: Duration,
    },
    Fail(FetchError),
}

/// The retry decision for attempt `attempt` (from 0): an answer is read whole (at most
/// `MAX_BODY`); a server error, 429 or a broken connection is retried; any other status
/// fails, as does a server asking to wait longer than `MAX_RETRY_AFTER`.
fn step(url: &str, result: Result<ureq::Response, ureq::Error>, attempt: u32) -> Step {
    // Exponential backoff when the server does not say how long to wait.
    let backoff = Duration::from_secs(2u64 << attempt.min(6));
    match result {
        Ok(resp) => {
            let status = resp.status();
            let etag = resp.header("ETag").map(str::to_owned);
            let last_modified = resp.header("Last-Modified").map(str::to_owned);
            let mut body = Vec::new();
            match resp.into_reader().take(MAX_BODY + 1).read_to_end(&mut body) {
                Ok(_) if body.len() as u64 > MAX_BODY => Step::Fail(FetchError::NotAFeed {
                    url: url.to_owned(),
                    expected: "listing",
                    found: format!("a body over {} MiB", MAX_BODY >> 20),
                }),
                Ok(_) => Step::Done(Answer {
                    status,
                    etag,
                    last_modified,
                    body,
                }),
                Err(e) => Step::Retry {
                    problem: format!("the connection broke after {} bytes: {e}", body.len()),
                    after: backoff,
                },
            }
        }
        Err(ureq::Error::Status(code, resp)) if code >= 500 || code == 429 => {
            let asked = resp.header("Retry-After").and_then(parse_retry_after);
            let problem = format!("answered {code} {}", resp.status_text());
            match asked {
                Some(d) if d > MAX_RETRY_AFTER => Step::Fail(FetchError::Unreachable {
                    url: url.to_owned(),
                    message: format!("{problem} and asks to wait {} s; try later", d.as_secs()),
                    attempts: attempt + 1,
                }),
                Some(d) => Step::Retry { problem, after: d },
                None => Step::Retry {
                    problem,
                    after: backoff,
                },
            }
        }
        Err(ureq::Error::Status(code, resp)) => Step::Fail(FetchError::Status {
            url: url.to_owned(),
            status: code,
            reason: resp.status_text().to_owned(),
        }),
        Err(ureq::Error::Transport(t)) => Step::Retry {
            problem: transport_problem(&t),
            after: backoff,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_problem_names_the_url_once() {
        // Nothing listens on port 1: the connection is refused at once, no network needed.
        let url = "http://127.0.0.1:1/rss/cs.LG";
        let Err(ureq::Error::Transport(t)) = ureq::get(url).call() else {
            panic!("port 1 answered");
        };
        let problem = transport_problem(&t);
        assert!(!problem.contains("127.0.0.1"), "{problem}");
        let e = FetchError::Unreachable {
            url: url.into(),
            message: problem,
            attempts: 1,
        }
        .to_string();
        assert_eq!(e.matches(url).count(), 1, "{e}");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn api_totals_and_feed_days_are_read() {
        let page = br#"<feed><opensearch:totalResults xmlns:opensearch="x">412</opensearch:totalResults></feed>"#;
        assert_eq!(total_results(page), Some(412));
        let rss =
            b"<rss><channel><pubDate>Sat, 17 May 2025 00:00:00 -0400</pubDate></channel></rss>";
        assert_eq!(
            feed_day(rss).map(|d| d.to_string()).as_deref(),
            Some("2025-05-17")
        );
    }

    #[test]
    fn html_is_not_a_feed() {
        let e = check_feed(
            "http://x/rss/cs.LG",
            b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
            Format::Rss,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not an arXiv RSS feed"), "{e}");
    }
}
