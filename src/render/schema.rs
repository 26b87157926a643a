//! The digest's files as types:
//!
//! - `output.json`: what gpt_paper_assistant's pipeline writes for a day, so its renderers,
//!   Slack pusher and site builders read ours unchanged: the selected papers only, one object
//!   keyed by arXiv id, each entry the paper's own fields (`authors`, `title`, `abstract`,
//!   `arxiv_id`, as its paper dataclass is spread into the entry) and the judge's
//!   (`ARXIVID`, `COMMENT`, `RELEVANCE`, `NOVELTY`, `SCORE` = RELEVANCE + NOVELTY, or the
//!   profile's fixed author score for an author match) ([`PickEntry`]);
//! - `scores.json`: every scanned paper with those keys plus our `arxrank` block
//!   ([`DigestPaper`]): what `site`, `learn --digests` and `eval --external` read;
//! - `run.json`: the day's counts and run facts ([`RunFacts`]).
//!
//! `render` writes them from these types and readers read them back through the same
//! types, so the two cannot drift apart.
//!
//! Versioning: `run.json` records [`SCHEMA_VERSION`] as `schema_version`. Version 1 (up to
//! issue 15) kept every scanned paper, with the `arxrank` block, in `output.json` and had no
//! `scores.json`; [`scores_path`] finds the scores of either. Digests written before the
//! field existed read as version 1. A reader refuses a digest of a newer version rather
//! than misread it; a change that renames or retypes a field bumps the version.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Digest, Entry, RenderError};
use crate::fsutil::IoError;
use crate::ingest::{AnnounceType, Day, PaperId};

/// The digest schema this build writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 2;

/// `output.json`'s NOVELTY on a day without one (no history yet, or `--no-history`):
/// gpt_paper_assistant's tools need a number (they sum it into SCORE, print it, and key
/// pages on SCORE ≥ 15), and the middle of the scale claims neither "seen it" nor "new".
/// `scores.json` keeps `null` there.
pub const NOVELTY_UNKNOWN: u8 = 5;

/// The file of a day's digest that holds every scanned paper with arxrank's scores:
/// `scores.json`, or `output.json` in a digest of schema version 1.
pub fn scores_path(day_dir: &Path, run: &RunFacts) -> std::path::PathBuf {
    if run.schema_version >= 2 {
        day_dir.join("scores.json")
    } else {
        day_dir.join("output.json")
    }
}

/// One paper of `output.json`, as gpt_paper_assistant writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PickEntry {
    #[serde(rename = "ARXIVID")]
    pub id: PaperId,
    #[serde(rename = "COMMENT")]
    pub comment: String,
    #[serde(rename = "RELEVANCE")]
    pub relevance: u8,
    #[serde(rename = "NOVELTY")]
    pub novelty: u8,
    pub authors: Vec<String>,
    pub title: String,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub arxiv_id: String,
    #[serde(rename = "SCORE")]
    pub score: u32,
}

impl PickEntry {
    /// A digest pick in gpt_paper_assistant's terms: NOVELTY [`NOVELTY_UNKNOWN`] when the
    /// day has none, SCORE their sum, or `author_score` for an author match (their pipeline
    /// gives author matches a fixed score).
    pub fn of(p: &DigestPaper, author_score: u32) -> Self {
        let novelty = p.novelty.unwrap_or(NOVELTY_UNKNOWN);
        let score = if p.arxrank.author_match.is_some() {
            author_score
        } else {
            u32::from(p.relevance) + u32::from(novelty)
        };
        Self {
            id: p.id.clone(),
            comment: p.comment.clone(),
            relevance: p.relevance,
            novelty,
            authors: p.authors.clone(),
            title: p.title.clone(),
            abstract_text: p.abstract_text.clone(),
            arxiv_id: p.id.to_string(),
            score,
        }
    }
}

/// One paper of an `output.json` as it is read back as labels: arxrank's own
/// ([`PickEntry`]), gpt_paper_assistant's, or ChatGPT-ArXiv-Paper-Assistant's. Their fields
/// differ in name and in type (an id under `ARXIVID`, `arxiv_id` or `id`; scores as numbers
/// or strings; authors as a list or one string), so each field takes any JSON value and
/// says what it holds; a field of a type that means nothing here reads as absent, as a
/// judge's archive is read for its picks and not refused for a stray field.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PickRecord {
    #[serde(rename = "ARXIVID", default)]
    pub arxivid: Loose,
    #[serde(default)]
    pub arxiv_id: Loose,
    #[serde(default)]
    pub id: Loose,
    #[serde(rename = "RELEVANCE", default)]
    pub relevance: Loose,
    #[serde(rename = "NOVELTY", default)]
    pub novelty: Loose,
    #[serde(default)]
    pub title: Loose,
    #[serde(rename = "abstract", default)]
    pub abstract_text: Loose,
    #[serde(default)]
    pub authors: Authors,
}

impl PickRecord {
    /// The id the entry names: the first of `ARXIVID`, `arxiv_id` and `id` that is text.
    pub fn id_text(&self) -> Option<&str> {
        [&self.arxivid, &self.arxiv_id, &self.id]
            .into_iter()
            .find_map(Loose::text)
    }
}

/// A JSON value where text or a number is expected.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Loose {
    Text(String),
    Number(f64),
    Other(serde::de::IgnoredAny),
    #[default]
    Missing,
}

impl Loose {
    pub fn text(&self) -> Option<&str> {
        match self {
            Loose::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A number, or text that is one (`"8"`, as some archives write scores).
    pub fn number(&self) -> Option<f32> {
        match self {
            Loose::Number(n) => Some(*n as f32),
            Loose::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Authors as a list of names, or as one `", "`-joined string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Authors {
    List(Vec<Loose>),
    Joined(String),
    Other(serde::de::IgnoredAny),
    #[default]
    Missing,
}

impl Authors {
    pub fn names(&self) -> Vec<String> {
        match self {
            Authors::List(a) => a
                .iter()
                .filter_map(Loose::text)
                .map(str::to_owned)
                .collect(),
            Authors::Joined(s) => s.split(", ").map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    }
}

/// One paper of `scores.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestPaper {
    #[serde(rename = "ARXIVID")]
    pub id: PaperId,
    #[serde(rename = "COMMENT")]
    pub comment: String,
    /// 1-10.
    #[serde(rename = "RELEVANCE")]
    pub relevance: u8,
    /// 1-10 against the history; null when the history is empty or the paper a repeat.
    #[serde(rename = "NOVELTY")]
    pub novelty: Option<u8>,
    /// gpt_paper_assistant sorts on RELEVANCE + NOVELTY; without novelty the sum would be
    /// meaningless, so SCORE is relevance alone until novelty exists.
    #[serde(rename = "SCORE")]
    pub score: u32,
    pub title: String,
    pub authors: Vec<String>,
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    pub arxrank: Arxrank,
}

/// arxrank's own fields: how the paper was ranked and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arxrank {
    /// 1-based place among every scanned paper of the day.
    pub rank: usize,
    /// In the digest (relevance at or above the profile's threshold, and not a repeat).
    pub selected: bool,
    pub raw_score: f64,
    pub best_topic: String,
    /// Cosine to each topic, in the profile's order (a JSON object, order kept).
    #[serde(with = "ordered_map")]
    pub topic_similarity: Vec<(String, f64)>,
    pub keywords: Vec<String>,
    pub irrelevant_keywords: Vec<String>,
    pub application_keywords: Vec<String>,
    pub author_match: Option<String>,
    /// The numbers behind the comment's words: the cosine to the profile's negative anchors
    /// and the lexical part (BM25 against the topics' text, relative to the day's best).
    /// Absent in digests written before they were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_similarity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lexical: Option<f64>,
    /// The paper the reader liked that lifted this one's score, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liked_mark: Option<MarkRef>,
    /// The paper the reader disliked that pulled this one's score down, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disliked_mark: Option<MarkRef>,
    /// Why the learned ranker scored it as it did, when one ranked the day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<LearnedWhy>,
    pub nearest_past: Option<NearestPast>,
    /// The day the history first saw this paper, when that was an earlier day (a day, so
    /// it can become part of a link on the site).
    pub repeat_of: Option<Day>,
    pub categories: Vec<String>,
    pub announce_type: AnnounceType,
    pub date: Option<Day>,
    /// Asked about in the "Help arxrank learn" block (absent when not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ask: bool,
}

/// A paper the reader marked, and how close the scored paper is to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkRef {
    pub id: PaperId,
    pub title: String,
    pub cosine: f64,
}

/// The learned ranker's score of a paper and what made it: each part's push (the largest
/// five, strongest first), the words that raised it most, and the training pick it is
/// closest to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedWhy {
    pub score: f64,
    #[serde(with = "ordered_map")]
    pub push: Vec<(String, f64)>,
    pub words: Vec<String>,
    pub closest_pick: Option<ClosestPick>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosestPick {
    pub id: PaperId,
    pub title: String,
    pub day: String,
    pub cosine: f64,
}

/// The closest paper the history held when the day was ranked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearestPast {
    pub id: PaperId,
    pub title: String,
    pub date: Option<Day>,
    pub cosine: f64,
}

/// `run.json`: the day's counts and how it was ranked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFacts {
    pub date: crate::ingest::Day,
    /// Where the day came from: `--date`, `listing` (the feed's or the papers' dates),
    /// `file name` (a YYYY-MM-DD in it) or `today`. Absent before schema version 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_from: Option<String>,
    /// Entries in the listing before filtering by announce type and dedupe.
    pub total: usize,
    pub scanned: usize,
    pub relevant: usize,
    pub model: String,
    pub fingerprint: String,
    pub device: String,
    pub profile: String,
    pub tokens: u64,
    pub seconds: f64,
    pub cost_usd: u32,
    /// Absent in digests written before it was recorded: those are version 1.
    #[serde(default = "first_version")]
    pub schema_version: u32,
    /// What the day was ranked with, so `daily` can tell a digest made with another
    /// profile or learned model and rank the day again. Absent before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranked_with: Option<RankedWith>,
}

/// The profile and learned model a day was ranked with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedWith {
    /// sha256 over the profile's files (`topics::profile_sha256`).
    pub profile_sha256: String,
    /// The learned model file's sha256, when the profile had one and it was not turned off
    /// (`--no-learned`); recorded even when it could not be used, so a broken model is
    /// reported, not ranked with again and again.
    pub learned_sha256: Option<String>,
    /// What ranked: "the hand-set profile", a summary of the learned model, or why the model
    /// could not be used.
    pub learned: String,
    /// Whether the learned model was used.
    pub learned_used: bool,
}

fn first_version() -> u32 {
    1
}

impl DigestPaper {
    /// The paper at `rank` (1-based) of a ranked day.
    pub fn from_entry(rank: usize, e: &Entry) -> Self {
        let s = &e.scored;
        Self {
            id: e.paper.id.clone(),
            comment: s.comment.clone(),
            relevance: s.relevance,
            novelty: e.novelty,
            score: u32::from(s.relevance) + e.novelty.map_or(0, u32::from),
            title: e.paper.title.clone(),
            authors: e.paper.authors.clone(),
            abstract_text: e.paper.abstract_text.clone(),
            arxrank: Arxrank {
                rank,
                selected: s.selected,
                raw_score: round4(s.raw),
                best_topic: s.best_topic.clone(),
                topic_similarity: s
                    .topic_similarity
                    .iter()
                    .map(|(t, v)| (t.clone(), round4(*v)))
                    .collect(),
                keywords: s.keywords.clone(),
                irrelevant_keywords: s.irrelevant.clone(),
                application_keywords: s.application.clone(),
                author_match: s.author.clone(),
                negative_similarity: Some(round4(s.negative_similarity)),
                lexical: Some(round4(s.lexical)),
                liked_mark: s.liked.as_ref().map(|m| MarkRef {
                    id: m.id.clone(),
                    title: m.title.clone(),
                    cosine: round4(m.cosine),
                }),
                disliked_mark: s.disliked.as_ref().map(|m| MarkRef {
                    id: m.id.clone(),
                    title: m.title.clone(),
                    cosine: round4(m.cosine),
                }),
                learned: e.learned.clone(),
                nearest_past: e.nearest.as_ref().map(|n| NearestPast {
                    id: n.paper.id.clone(),
                    title: n.paper.title.clone(),
                    date: n.paper.date,
                    cosine: round4(n.cosine),
                }),
                repeat_of: e.repeat_of,
                categories: e.paper.categories.clone(),
                announce_type: e.paper.announce,
                date: e.paper.date,
                ask: e.ask,
            },
        }
    }

    /// Irrelevant and application keywords together: everything that pulled the score down.
    pub fn penalties(&self) -> impl Iterator<Item = &String> {
        self.arxrank
            .irrelevant_keywords
            .iter()
            .chain(&self.arxrank.application_keywords)
    }

    /// The rule the types alone do not carry: scores on the 1-10 scale.
    fn check(&self) -> Result<(), String> {
        let score = |name: &str, v: u8| {
            if (1..=10).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} {v} is outside the 1-10 scale"))
            }
        };
        score("RELEVANCE", self.relevance)?;
        match self.novelty {
            Some(n) => score("NOVELTY", n),
            None => Ok(()),
        }
    }
}

impl RunFacts {
    pub fn of(d: &Digest) -> Self {
        Self {
            date: d.date,
            date_from: Some(d.date_from.as_str().to_owned()),
            total: d.total,
            scanned: d.entries.len(),
            relevant: d.selected().count(),
            model: d.model.clone(),
            fingerprint: d.fingerprint.clone(),
            device: d.device.clone(),
            profile: d.profile.clone(),
            tokens: d.tokens,
            seconds: d.seconds,
            cost_usd: 0,
            schema_version: SCHEMA_VERSION,
            ranked_with: d.ranked_with.clone(),
        }
    }
}

/// A strict `YYYY-MM-DD`: dates become file names and links, so nothing else may pass.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    crate::ingest::Day::parse(s).map(crate::ingest::Day::date)
}

/// A score as the digest files keep it: four decimals, so a rerun writes the same bytes.
pub fn round4(x: f32) -> f64 {
    (x as f64 * 10_000.0).round() / 10_000.0
}

/// `scores.json`'s text: every paper keyed by its id, in rank order.
pub fn scores_json(papers: &[DigestPaper]) -> String {
    keyed(papers.iter().map(|p| {
        let value = serde_json::to_value(p).expect("digest papers serialise");
        (p.id.to_string(), value)
    }))
}

/// `output.json`'s text: the digest's picks as gpt_paper_assistant writes them, keyed by
/// id, in rank order.
pub fn output_json(papers: &[DigestPaper], author_score: u32) -> String {
    keyed(papers.iter().filter(|p| p.arxrank.selected).map(|p| {
        let entry = PickEntry::of(p, author_score);
        let value = serde_json::to_value(&entry).expect("picks serialise");
        (entry.arxiv_id, value)
    }))
}

/// Through a map, as gpt_paper_assistant's dict: an id listed twice keeps one entry.
fn keyed(entries: impl Iterator<Item = (String, Value)>) -> String {
    let mut map = Map::new();
    for (k, v) in entries {
        map.insert(k, v);
    }
    pretty(&Value::Object(map))
}

/// `run.json`'s text.
pub fn run_json(run: &RunFacts) -> String {
    pretty(&serde_json::to_value(run).expect("run facts serialise"))
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values always serialise");
    s.push('\n');
    s
}

fn read_json(path: &Path) -> Result<Value, RenderError> {
    let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
    serde_json::from_str(&text).map_err(|e| invalid(path, format!("not valid JSON: {e}")))
}

fn invalid(path: &Path, what: String) -> RenderError {
    RenderError::Invalid {
        path: path.to_owned(),
        what,
    }
}

/// Reads and checks `run.json`.
pub fn read_run_json(path: &Path) -> Result<RunFacts, RenderError> {
    let run: RunFacts =
        serde_json::from_value(read_json(path)?).map_err(|e| invalid(path, e.to_string()))?;
    if run.schema_version > SCHEMA_VERSION {
        return Err(invalid(
            path,
            format!(
                "digest schema version {} is newer than this arxrank reads ({SCHEMA_VERSION}); \
                 upgrade arxrank",
                run.schema_version
            ),
        ));
    }
    Ok(run)
}

/// Reads and checks every paper of `scores.json` (or a version-1 `output.json`), in file
/// order, keeping those `keep` accepts: a year of digests is about half a gigabyte of JSON,
/// and a reader that shows only some papers should not hold the rest. Every paper is
/// checked all the same.
pub fn read_scores_json(
    path: &Path,
    mut keep: impl FnMut(&DigestPaper) -> bool,
) -> Result<Vec<DigestPaper>, RenderError> {
    let Value::Object(map) = read_json(path)? else {
        return Err(invalid(
            path,
            "expected an object keyed by arXiv id (the digest's scores)".into(),
        ));
    };
    let mut papers = Vec::new();
    for (key, value) in map {
        let paper: DigestPaper = serde_json::from_value(value)
            .map_err(|e| invalid(path, format!("paper {key:?}: {e}")))?;
        paper
            .check()
            .map_err(|what| invalid(path, format!("paper {key:?}: {what}")))?;
        if keep(&paper) {
            papers.push(paper);
        }
    }
    Ok(papers)
}

/// A list of pairs as a JSON object whose keys keep the list's order.
mod ordered_map {
    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(pairs: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (k, v) in pairs {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, f64)>, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Vec<(String, f64)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of topic names to numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(0));
                while let Some(pair) = m.next_entry()? {
                    out.push(pair);
                }
                Ok(out)
            }
        }
        d.deserialize_map(Pairs)
    }
}
