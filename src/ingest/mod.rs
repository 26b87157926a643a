//! Ingest: turn a listing file into [`Paper`]s.
//!
//! Every reader ends in the same place, a `Vec<Paper>` with version-less ids, collapsed
//! whitespace and duplicates removed, so the stages after it never care where a paper came
//! from. Readers never write anything; a malformed file fails whole with an error that
//! names the file and the line (JSONL) or element (XML), so a bad listing cannot produce a
//! half-ranked digest.

mod day;
mod id;
mod json;
mod texts;
mod xml;

use crate::fsutil::IoError;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

pub use day::{day_in_file_name, Day, DaySource};
pub use id::PaperId;
pub use json::{paper_from_object, parse_json_line, JsonLines};
pub use texts::{read_texts, Text};

/// One paper as the rest of the pipeline sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Paper {
    pub id: PaperId,
    pub title: String,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// arXiv categories, primary first where the source says which is primary.
    pub categories: Vec<String>,
    /// Announcement (listings) or first-submission (bulk dumps) day.
    pub date: Option<Day>,
    pub announce: AnnounceType,
}

impl Paper {
    /// The text that gets embedded: title and abstract, as the reference embeddings were made.
    pub fn embedding_text(&self) -> String {
        format!("{}\n{}", self.title, self.abstract_text)
    }
}

/// How a paper appeared in an arXiv listing. Only RSS says; other sources give `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnnounceType {
    New,
    Cross,
    Replace,
    ReplaceCross,
    Unknown,
}

impl AnnounceType {
    fn parse(s: &str) -> Self {
        match s.trim() {
            "new" => Self::New,
            "cross" => Self::Cross,
            "replace" => Self::Replace,
            "replace-cross" => Self::ReplaceCross,
            _ => Self::Unknown,
        }
    }
}

impl std::str::FromStr for AnnounceType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match Self::parse(s) {
            Self::Unknown => Err(format!(
                "unknown announce type {s:?} (expected new, cross, replace or replace-cross)"
            )),
            t => Ok(t),
        }
    }
}

/// The input formats arxrank reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Sniff from the content: `<rss`, `<feed` or a JSON object per line.
    Auto,
    /// arXiv's RSS 2.0 daily feed (rss.arxiv.org style).
    Rss,
    /// Atom: an arXiv API response, or arXiv's daily announcement feed (`/atom/<cats>`).
    Atom,
    /// One JSON object per line: `{id,title,authors,abstract,categories,date}`, or the
    /// Kaggle `arxiv-metadata-oai-snapshot` record (recognised per line).
    Jsonl,
}

/// Where in a file something went wrong: a JSONL line or an XML element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Line(usize),
    Element { line: usize, name: String },
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Element { line, name } => write!(f, "line {line}, <{name}>"),
            Location::File => write!(f, "whole file"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: {location}: malformed XML: {message}")]
    Xml {
        path: PathBuf,
        location: Location,
        message: String,
    },
    #[error("{path}: {location}: malformed JSON: {message}")]
    Json {
        path: PathBuf,
        location: Location,
        message: String,
    },
    #[error(
        "{path}: {location}: missing or empty field `{field}`{}",
        accepted_names(field)
    )]
    Missing {
        path: PathBuf,
        location: Location,
        field: &'static str,
    },
    #[error("{path}: {location}: `{value}` is not an arXiv id")]
    BadId {
        path: PathBuf,
        location: Location,
        value: String,
    },
    #[error(
        "{path}: cannot tell the format (expected arXiv RSS, Atom or JSON lines); pass --format"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{path}: holds no papers")]
    Empty { path: PathBuf },
    /// A malformed file like any other (exit 2), not a failure to read it.
    #[error(
        "{path}: not UTF-8 text (the first bad byte is at offset {offset}); arXiv feeds and \
         JSON lines are UTF-8"
    )]
    NotUtf8 { path: PathBuf, offset: usize },
}

/// The other spellings a JSON listing may use for a field, for the error that says it is
/// missing.
fn accepted_names(field: &str) -> &'static str {
    match field {
        "id" => " (accepted names: `id`, `arxiv_id`)",
        "abstract" => " (accepted names: `abstract`, `summary`)",
        "authors" => " (accepted names: `authors` as a list or a string, `authors_parsed`)",
        _ => "",
    }
}

impl IngestError {
    pub(crate) fn missing(path: &Path, location: Location, field: &'static str) -> Self {
        Self::Missing {
            path: path.to_owned(),
            location,
            field,
        }
    }
}

/// What a listing is read with.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub format: Format,
    /// RSS announce types to keep; the default keeps new submissions and cross-lists.
    pub announce: Vec<AnnounceType>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            format: Format::Auto,
            announce: vec![AnnounceType::New, AnnounceType::Cross],
        }
    }
}

/// A listing after reading: its papers and the day it is for.
#[derive(Debug, Clone)]
pub struct Listing {
    pub papers: Vec<Paper>,
    /// The day the listing announces, from the feed or the papers' dates.
    pub date: Option<Day>,
    /// Entries in the file before announce-type filtering and deduplication.
    pub entries: usize,
}

/// Reads one listing file of any supported format.
pub fn read_listing(path: &Path, opts: &ReadOptions) -> Result<Listing, IngestError> {
    let bytes = fs_err::read(path).map_err(IoError::read(path))?;
    parse_listing(path, &bytes, opts)
}

/// Parses a listing held in memory (a feed as it came off the network, before it is saved);
/// `path` names it in errors (a URL reads as well as a file name).
pub fn parse_listing(
    path: &Path,
    bytes: &[u8],
    opts: &ReadOptions,
) -> Result<Listing, IngestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| IngestError::NotUtf8 {
        path: path.to_owned(),
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let format = match opts.format {
        Format::Auto => sniff(text).ok_or_else(|| IngestError::UnknownFormat {
            path: path.to_owned(),
        })?,
        f => f,
    };
    let (papers, feed_date) = match format {
        Format::Rss => xml::read_rss(path, text)?,
        Format::Atom => xml::read_atom(path, text)?,
        Format::Jsonl | Format::Auto => (json::read_all(path, text)?, None),
    };
    if papers.is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    let entries = papers.len();
    let papers =
        dedupe(papers.into_iter().filter(|p| {
            p.announce == AnnounceType::Unknown || opts.announce.contains(&p.announce)
        }));
    let date = feed_date.or_else(|| most_common_date(&papers));
    Ok(Listing {
        papers,
        date,
        entries,
    })
}

/// The format a listing's text looks like, from its first element or character.
pub fn sniff(text: &str) -> Option<Format> {
    let head = text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') {
        return Some(Format::Jsonl);
    }
    if !head.starts_with('<') {
        return None;
    }
    // Skip the XML declaration and comments: the first real element decides.
    let window: String = head.chars().take(4096).collect();
    let rss = window.find("<rss");
    let feed = window.find("<feed");
    match (rss, feed) {
        (Some(a), Some(b)) => Some(if a < b { Format::Rss } else { Format::Atom }),
        (Some(_), None) => Some(Format::Rss),
        (None, Some(_)) => Some(Format::Atom),
        (None, None) => None,
    }
}

/// Keeps the first occurrence of each id; later versions of the same paper are the same paper.
pub fn dedupe(papers: impl IntoIterator<Item = Paper>) -> Vec<Paper> {
    let mut seen = HashSet::new();
    papers
        .into_iter()
        .filter(|p| seen.insert(p.id.clone()))
        .collect()
}

fn most_common_date(papers: &[Paper]) -> Option<Day> {
    let mut counts: std::collections::BTreeMap<Day, usize> = Default::default();
    for p in papers {
        if let Some(d) = p.date {
            *counts.entry(d).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)))
        .map(|(d, _)| d)
}

/// An arXiv category name (`cs.LG`, `math`, `astro-ph.GA`, `q-bio.NC`).
pub fn valid_category(c: &str) -> bool {
    !c.is_empty()
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '-')
        && c.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic())
}

/// Collapses runs of whitespace (newlines in Kaggle abstracts, indentation in XML) to one space.
pub fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits an author string of the form "A, B and C" or "A, B, C".
pub fn split_authors(s: &str) -> Vec<String> {
    let s = collapse_ws(s);
    s.split(',')
        .flat_map(|part| part.split(" and "))
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_checked() {
        assert!(valid_category("cs.LG"));
        assert!(valid_category("astro-ph.GA"));
        assert!(valid_category("math"));
        assert!(!valid_category("cs.LG+cs.AI"));
        assert!(!valid_category("../etc"));
        assert!(!valid_category(""));
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff("{\"id\":1}"), Some(Format::Jsonl));
        assert_eq!(
            sniff("<?xml version='1.0'?>\n<rss version=\"2.0\">"),
            Some(Format::Rss)
        );
        assert_eq!(
            sniff("<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            Some(Format::Atom)
        );
        assert_eq!(sniff("id,title\n1,x"), None);
    }

    #[test]
    fn splits_author_lists() {
        assert_eq!(
            split_authors("A. One, B. Two and C. Three"),
            vec!["A. One", "B. Two", "C. Three"]
        );
        assert_eq!(split_authors(" Solo  Author "), vec!["Solo Author"]);
    }
}
