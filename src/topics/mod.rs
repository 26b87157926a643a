//! Topics: what the researcher cares about, as data.
//!
//! A profile is a directory of TOML files (`profile.toml` for keywords, authors, weights and
//! the score scale; one file per topic), or gpt_paper_assistant's own `paper_topics.txt` and
//! `authors.txt`, so its users can switch without rewriting their config. Every number that
//! shapes a score lives here, in the profile, never in the scoring code.

mod gpt;

use crate::fsutil::IoError;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use gpt::{parse_authors_txt, parse_paper_topics, PaperTopics};

/// One research topic the profile ranks papers against.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub name: String,
    /// What is relevant, in prose; embedded as the topic's main anchor.
    pub description: String,
    /// What the topic excludes, in prose, kept as the prompt wrote it. It is not embedded:
    /// a paper about "merely using an architecture" is close to the architecture text too,
    /// so exclusion is carried by the profile's negative anchors and keyword penalties.
    #[serde(default)]
    pub irrelevant: String,
    /// Short phrases for sub-areas; each is embedded too and a paper's similarity to the
    /// topic is its best match over description and anchors, so one narrow sub-area
    /// (say, MoE routing) is not diluted by the rest of a broad description.
    #[serde(default)]
    pub anchors: Vec<String>,
    /// Keywords that mark a paper as on-topic; each distinct match adds a boost.
    #[serde(default)]
    pub keywords: Vec<String>,
}

impl Topic {
    /// The texts embedded for this topic: description first, then anchors.
    pub fn anchor_texts(&self) -> Vec<String> {
        std::iter::once(format!("{}: {}", self.name, self.description))
            .chain(self.anchors.iter().cloned())
            .collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keywords {
    /// Profile-wide relevant keywords (in addition to each topic's own).
    #[serde(default)]
    pub relevant: Vec<String>,
    /// Areas the researcher does not want (e.g. reinforcement learning).
    #[serde(default)]
    pub irrelevant: Vec<String>,
    /// Application domains that make a paper application-driven (e.g. medical imaging).
    #[serde(default)]
    pub application: Vec<String>,
    /// Phrases that use a keyword in a sense the profile does not mean ("sparse rewards",
    /// "data sparsity" for a profile that wants sparse networks): a keyword found only
    /// inside one of these counts not at all.
    #[serde(default)]
    pub other_senses: Vec<String>,
}

/// How the parts of the score are combined. `raw = similarity * best_topic_cosine
/// + keyword * min(matches, keyword_cap) + title_keyword (if a keyword is in the title)
/// - irrelevant * min(irrelevant matches, penalty_cap) - application * min(...)
/// + author (if an author matches)`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub similarity: f32,
    pub keyword: f32,
    pub keyword_cap: usize,
    #[serde(default)]
    pub title_keyword: f32,
    pub irrelevant: f32,
    pub application: f32,
    pub penalty_cap: usize,
    pub author: f32,
    /// Penalty per unit by which the paper is closer to the profile's negative anchors
    /// (application-driven work, off-topic areas) than to its best topic.
    #[serde(default)]
    pub negative: f32,
    /// How the anchor cosines become the similarity term.
    #[serde(default)]
    pub topic_aggregation: Aggregation,
    /// Weight of the lexical part: BM25 against the topics' text, relative to the day's
    /// best match (0-1). 0 leaves it out (and skips computing it).
    #[serde(default)]
    pub lexical: f32,
    /// How a cosine between two papers counts against one between a paper and a topic,
    /// for the reader's marks (`arxrank learn --feedback`). Papers sit closer to each other
    /// than to a topic's description: on the example day a paper's nearest other paper is at
    /// 0.61 in the median and 0.77 at the 99th percentile, its best topic at 0.38 and 0.64.
    /// At 0.85 a liked paper itself counts as a topic at 0.85 (a pick), a paper at 0.8 to it
    /// as one at 0.68 (a pick on that alone), a loosely related one at 0.6 as 0.51 (not).
    /// The liked papers are one more topic on this footing, and a paper closer, on it, to a
    /// disliked paper than to its best topic or like loses `dislike` per unit of the gap.
    #[serde(default = "default_mark")]
    pub mark: f32,
    /// Penalty per unit by which a paper is closer to a paper the reader disliked than to
    /// its best topic or like (on `mark`'s footing): only papers very like a disliked one
    /// lose much.
    #[serde(default = "default_dislike")]
    pub dislike: f32,
}

fn default_mark() -> f32 {
    0.85
}

fn default_dislike() -> f32 {
    2.0
}

/// How a paper's cosines to the topic anchors combine into one similarity. `max` rewards
/// the single best-matching sub-area; `mean-top2`/`mean-top3` reward papers that sit close
/// to several anchors at once, which is steadier when one anchor is a loose paraphrase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Aggregation {
    #[default]
    Max,
    MeanTop2,
    MeanTop3,
}

impl Aggregation {
    pub const ALL: [Aggregation; 3] = [Self::Max, Self::MeanTop2, Self::MeanTop3];

    /// Combines the three best anchor cosines (best first).
    pub fn apply(self, top: &[f32; 3]) -> f32 {
        match self {
            Self::Max => top[0],
            Self::MeanTop2 => (top[0] + top[1]) / 2.0,
            Self::MeanTop3 => (top[0] + top[1] + top[2]) / 3.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Max => "max",
            Self::MeanTop2 => "mean-top2",
            Self::MeanTop3 => "mean-top3",
        }
    }
}

/// Maps the raw score onto the digest's 1-10 relevance scale.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// Raw score that maps to relevance 1 (and below).
    pub raw_at_1: f32,
    /// Raw score that maps to relevance 10 (and above); linear in between.
    pub raw_at_10: f32,
    /// Papers with at least this relevance go into the digest (author matches always do).
    pub select_min: u8,
    /// Where `raw_at_1`/`raw_at_10` came from when `arxrank eval --calibrate` fitted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibrated: Option<String>,
}

impl Scale {
    /// Where `raw` sits on the 1-10 scale, neither rounded nor clamped: the one linear map
    /// behind both the digest's whole relevance (rounded and clamped by the scorer) and the
    /// continuous score `eval` ranks the learned ranker's held-out papers by, so the two can
    /// never disagree about what a raw score means.
    pub fn position(&self, raw: f32) -> f32 {
        let span = (self.raw_at_10 - self.raw_at_1).max(f32::EPSILON);
        1.0 + 9.0 * ((raw - self.raw_at_1) / span)
    }

    /// This scale refitted so that a share `rate` of `raws` reaches `select_min` and the
    /// median paper sits at 4; `note` says where it was fitted. Refused (with why) on fewer
    /// than 10 papers, a rate of 50% or more, or scores too flat to cut.
    pub fn fitted(&self, raws: &[f32], rate: f64, note: String) -> Result<Scale, String> {
        let n = raws.len();
        let k = (rate * n as f64).round() as usize;
        if n < 10 || k == 0 || k * 2 >= n {
            return Err(format!(
                "cannot calibrate on {n} papers with a selection rate of {:.1}% (needs at least 10 papers and a rate under 50%)",
                rate * 100.0
            ));
        }
        let mut sorted: Vec<f32> = raws.to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        // The cut sits halfway between the k-th and (k+1)-th best paper.
        let cut = (sorted[k - 1] + sorted[k]) / 2.0;
        let median = sorted[n / 2];
        if cut <= median {
            return Err("cannot calibrate: the selection cut is not above the median score".into());
        }
        // Relevance r sits at t = (r - 1) / 9 on the raw axis; 8 starts at 7.5 after rounding.
        let at = |r: f32| (r - 1.0) / 9.0;
        let select = self.select_min as f32 - 0.5;
        let span = (cut - median) / (at(select) - at(4.0));
        let raw_at_1 = median - at(4.0) * span;
        Ok(Scale {
            raw_at_1,
            raw_at_10: raw_at_1 + span,
            select_min: self.select_min,
            calibrated: Some(note),
        })
    }
}

/// Maps closeness to past papers onto the 1-10 novelty scale: the mean cosine of the `k`
/// nearest papers in the history, `cosine_at_1` or more giving 1 (a near-duplicate) and
/// `cosine_at_10` or less giving 10, linear in between. A single past paper at
/// `duplicate_cosine` or closer makes it a near-duplicate (novelty 1) whatever the mean says,
/// since one twin is diluted by the other k-1 neighbours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoveltyScale {
    pub k: usize,
    pub duplicate_cosine: f32,
    pub cosine_at_1: f32,
    pub cosine_at_10: f32,
}

/// How the digest's `output.json` speaks gpt_paper_assistant's language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    /// The fixed SCORE of an author match in `output.json`. gpt_paper_assistant
    /// (tatsu-lab) uses 15; DaizeDong's fork 20.
    #[serde(default = "default_author_score")]
    pub author_score: u32,
    /// How many papers the digest's "Help arxrank learn" block asks the reader to mark:
    /// papers that are not picks, where a mark would teach the most (0: no block).
    #[serde(default = "default_ask")]
    pub ask: usize,
}

fn default_ask() -> usize {
    5
}

fn default_author_score() -> u32 {
    15
}

impl Default for DigestSettings {
    fn default() -> Self {
        Self {
            author_score: default_author_score(),
            ask: default_ask(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: Option<String>,
    #[serde(default)]
    keywords: Keywords,
    #[serde(default)]
    negative: Negative,
    #[serde(default)]
    authors: Vec<String>,
    weights: Weights,
    scale: Scale,
    novelty: NoveltyScale,
    #[serde(default)]
    digest: DigestSettings,
}

/// The bundled profile. gpt_paper_assistant's txt files carry no weights or scale, so an
/// imported profile borrows these (and only these) from it.
const DEFAULT_PROFILE: &str = include_str!("../../topics/profile.toml");

/// Descriptions of what the researcher does not want (the prompt's "Irrelevant" lines and
/// application areas), embedded like topic anchors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Negative {
    #[serde(default)]
    pub anchors: Vec<String>,
}

/// Everything scoring needs to know about the researcher.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub topics: Vec<Topic>,
    pub keywords: Keywords,
    pub negative: Negative,
    pub authors: Vec<String>,
    pub weights: Weights,
    pub scale: Scale,
    pub novelty: NoveltyScale,
    pub digest: DigestSettings,
    /// Lines of a `paper_topics.txt` outside its topics that say nothing arxrank uses
    /// (shown by `rank --show-profile`).
    pub ignored: Vec<String>,
    /// Where it was read from, for the digest footer.
    pub source: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

fn read(path: &Path) -> Result<String, TopicsError> {
    Ok(fs_err::read_to_string(path).map_err(IoError::read(path))?)
}

fn invalid(path: &Path, message: impl Into<String>) -> TopicsError {
    TopicsError::Invalid {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// A fingerprint of what a profile says: sha256 over the name and bytes of every file
/// [`Profile::load`] reads from `path` (not the learned model in its `learned/` folder, which
/// is stamped on its own), and of an authors file that replaces the profile's list. A digest
/// records it, so a day ranked with another profile can be told and ranked again.
pub fn profile_sha256(path: &Path, authors: Option<&Path>) -> Result<String, TopicsError> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in Profile::files(path)?
        .iter()
        .map(PathBuf::as_path)
        .chain(authors)
    {
        let bytes = fs_err::read(f).map_err(IoError::read(f))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        h.update(name.as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

impl Profile {
    /// Loads a profile from a directory of TOML files, a `paper_topics.txt`, or a directory
    /// holding `paper_topics.txt` (and optionally `authors.txt`).
    pub fn load(path: &Path) -> Result<Self, TopicsError> {
        if !path.exists() {
            return Err(invalid(
                path,
                "no such profile: expected a directory of TOML topic files (see README, \
                 \"Your own topics\") or gpt_paper_assistant's paper_topics.txt",
            ));
        }
        if path.is_file() {
            return Self::from_gpt_files(path, None);
        }
        let gpt_topics = path.join("paper_topics.txt");
        if !path.join("profile.toml").exists() && gpt_topics.is_file() {
            let authors = path.join("authors.txt");
            return Self::from_gpt_files(
                &gpt_topics,
                authors.is_file().then_some(authors.as_path()),
            );
        }
        Self::from_toml_dir(path)
    }

    /// The files [`Profile::load`] reads from `path`, in a fixed order.
    fn files(path: &Path) -> Result<Vec<PathBuf>, TopicsError> {
        if path.is_file() {
            return Ok(vec![path.to_owned()]);
        }
        let gpt_topics = path.join("paper_topics.txt");
        if !path.join("profile.toml").exists() && gpt_topics.is_file() {
            let authors = path.join("authors.txt");
            return Ok(std::iter::once(gpt_topics)
                .chain(authors.is_file().then_some(authors))
                .collect());
        }
        let mut files: Vec<PathBuf> = fs_err::read_dir(path)
            .map_err(IoError::read(path))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        Ok(files)
    }

    fn from_toml_dir(dir: &Path) -> Result<Self, TopicsError> {
        let files = Self::files(dir)?;
        let profile_path = dir.join("profile.toml");
        let mut profile: Option<ProfileFile> = None;
        let mut topics = Vec::new();
        for f in &files {
            let text = read(f)?;
            if *f == profile_path {
                profile = Some(toml::from_str(&text).map_err(|e| invalid(f, e.to_string()))?);
            } else {
                let t: Topic = toml::from_str(&text).map_err(|e| invalid(f, e.to_string()))?;
                if t.description.trim().is_empty() {
                    return Err(invalid(f, "topic description is empty"));
                }
                topics.push(t);
            }
        }
        if topics.is_empty() {
            return Err(invalid(dir, "no topic files (*.toml besides profile.toml)"));
        }
        let profile = profile.ok_or_else(|| {
            invalid(
                &profile_path,
                "missing: a profile directory needs profile.toml ([weights], [scale])",
            )
        })?;
        let p = Self {
            name: profile.name.unwrap_or_else(|| dir.display().to_string()),
            topics,
            keywords: profile.keywords,
            negative: profile.negative,
            authors: profile.authors,
            weights: profile.weights,
            scale: profile.scale,
            novelty: profile.novelty,
            digest: profile.digest,
            ignored: Vec::new(),
            source: dir.to_owned(),
        };
        p.validate(&profile_path)?;
        Ok(p)
    }

    /// gpt_paper_assistant's config: topics from `paper_topics.txt`, authors from
    /// `authors.txt`; weights and scale from the bundled profile.
    pub fn from_gpt_files(topics: &Path, authors: Option<&Path>) -> Result<Self, TopicsError> {
        let parsed = parse_paper_topics(&read(topics)?).map_err(|m| invalid(topics, m))?;
        let authors = match authors {
            Some(a) => parse_authors_txt(&read(a)?),
            None => Vec::new(),
        };
        let defaults: ProfileFile =
            toml::from_str(DEFAULT_PROFILE).expect("the bundled profile.toml parses (tested)");
        // What the file asks to leave out: listed subjects are penalised as keywords and
        // embedded as "Papers about …" anchors; filter prose is embedded as written.
        let mut anchors = parsed.filters.clone();
        anchors.extend(parsed.excluded.iter().map(|x| format!("Papers about {x}.")));
        Ok(Self {
            name: topics.display().to_string(),
            topics: parsed.topics,
            keywords: Keywords {
                irrelevant: parsed.excluded,
                ..Keywords::default()
            },
            negative: Negative { anchors },
            authors,
            weights: defaults.weights,
            scale: defaults.scale,
            novelty: defaults.novelty,
            digest: defaults.digest,
            ignored: parsed.ignored,
            source: topics.to_owned(),
        })
    }

    /// The profile as built, in words: what `rank --show-profile` prints, so a user of a
    /// `paper_topics.txt` can see what each line became.
    pub fn describe(&self) -> String {
        let mut s = format!("profile {} (from {})\n", self.name, self.source.display());
        for (i, t) in self.topics.iter().enumerate() {
            s += &format!(
                "topic {}: {}\n  relevant: {}\n",
                i + 1,
                t.name,
                t.description
            );
            if !t.irrelevant.is_empty() {
                s += &format!("  irrelevant (prose, not embedded): {}\n", t.irrelevant);
            }
            for a in &t.anchors {
                s += &format!("  anchor: {a}\n");
            }
            if !t.keywords.is_empty() {
                s += &format!("  keywords: {}\n", t.keywords.join(", "));
            }
        }
        let list = |name: &str, v: &[String]| {
            if v.is_empty() {
                String::new()
            } else {
                format!("{name}: {}\n", v.join(", "))
            }
        };
        s += &list("relevant keywords", &self.keywords.relevant);
        s += &list("irrelevant keywords (penalised)", &self.keywords.irrelevant);
        s += &list(
            "application keywords (penalised)",
            &self.keywords.application,
        );
        for a in &self.negative.anchors {
            s += &format!("negative anchor: {a}\n");
        }
        s += &list("authors", &self.authors);
        s += &format!(
            "digest: relevance >= {} selected; an author match scores {} in output.json; \
             {} papers asked about\n",
            self.scale.select_min, self.digest.author_score, self.digest.ask
        );
        for l in &self.ignored {
            s += &format!("ignored (neither a topic nor an exclusion): {l}\n");
        }
        s
    }

    /// Writes `scale` and, when given, `weights` into the profile's `profile.toml`, keeping
    /// its comments and everything else, atomically; then reads the profile back so a bad
    /// value never stays on disk unnoticed. Returns the file written.
    pub fn store(&self, scale: &Scale, weights: Option<&Weights>) -> Result<PathBuf, TopicsError> {
        let path = self.source.join("profile.toml");
        if !path.is_file() {
            return Err(invalid(
                &self.source,
                "only a TOML profile directory (with profile.toml) can store calibration or weights",
            ));
        }
        let mut doc: toml_edit::DocumentMut = read(&path)?
            .parse()
            .map_err(|e: toml_edit::TomlError| invalid(&path, e.to_string()))?;
        let round = |x: f32| ((x as f64) * 1e4).round() / 1e4;
        let s = &mut doc["scale"];
        s["raw_at_1"] = toml_edit::value(round(scale.raw_at_1));
        s["raw_at_10"] = toml_edit::value(round(scale.raw_at_10));
        s["select_min"] = toml_edit::value(scale.select_min as i64);
        if let Some(c) = &scale.calibrated {
            s["calibrated"] = toml_edit::value(c.as_str());
        }
        if let Some(w) = weights {
            let t = &mut doc["weights"];
            for (k, v) in [
                ("lexical", w.lexical),
                ("keyword", w.keyword),
                ("title_keyword", w.title_keyword),
                ("irrelevant", w.irrelevant),
                ("application", w.application),
                ("negative", w.negative),
            ] {
                t[k] = toml_edit::value(round(v));
            }
            t["topic_aggregation"] = toml_edit::value(w.topic_aggregation.as_str());
        }
        crate::fsutil::write_atomic(&path, doc.to_string().as_bytes())?;
        Self::load(&self.source)?;
        Ok(path)
    }

    /// Replaces the author list (e.g. `--authors authors.txt`).
    pub fn with_authors_file(mut self, path: &Path) -> Result<Self, TopicsError> {
        self.authors = parse_authors_txt(&read(path)?);
        Ok(self)
    }

    fn validate(&self, path: &Path) -> Result<(), TopicsError> {
        if self.scale.raw_at_10 <= self.scale.raw_at_1 {
            return Err(invalid(
                path,
                "[scale] raw_at_10 must be greater than raw_at_1",
            ));
        }
        if !(1..=10).contains(&self.scale.select_min) {
            return Err(invalid(path, "[scale] select_min must be within 1..=10"));
        }
        if self.novelty.k == 0 || self.novelty.cosine_at_1 <= self.novelty.cosine_at_10 {
            return Err(invalid(
                path,
                "[novelty] needs k >= 1 and cosine_at_1 > cosine_at_10",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_profile_parses_with_weights_and_scale() {
        let p: ProfileFile = toml::from_str(DEFAULT_PROFILE).unwrap();
        assert!(p.scale.raw_at_10 > p.scale.raw_at_1);
        assert_eq!(p.authors, vec!["Yann LeCun"]);
    }

    #[test]
    fn store_rewrites_scale_and_weights_and_keeps_comments() {
        let dir = tempfile::tempdir().unwrap();
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("topics");
        for e in fs_err::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                fs_err::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
            }
        }
        let p = Profile::load(dir.path()).unwrap();
        let scale = Scale {
            raw_at_1: 0.2,
            raw_at_10: 0.8,
            select_min: 8,
            calibrated: Some("pool x".into()),
        };
        let weights = Weights {
            keyword: 0.02,
            topic_aggregation: Aggregation::MeanTop2,
            ..p.weights.clone()
        };
        p.store(&scale, Some(&weights)).unwrap();
        let back = Profile::load(dir.path()).unwrap();
        assert_eq!(back.scale.raw_at_1, 0.2);
        assert_eq!(back.scale.calibrated.as_deref(), Some("pool x"));
        assert_eq!(back.weights.keyword, 0.02);
        assert_eq!(back.weights.topic_aggregation, Aggregation::MeanTop2);
        assert_eq!(back.topics.len(), p.topics.len());
        let text = fs_err::read_to_string(dir.path().join("profile.toml")).unwrap();
        assert!(text.contains("# Linear map of raw"), "comments kept");
        // A gpt_paper_assistant profile has nowhere to keep them.
        let gpt = Profile::load(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/paper_topics.txt"),
        )
        .unwrap();
        let e = gpt.store(&scale, None).unwrap_err().to_string();
        assert!(e.contains("TOML profile directory"), "{e}");
    }

    #[test]
    fn profile_dir_without_profile_toml_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            dir.path().join("a.toml"),
            "name = \"A\"\ndescription = \"d\"\n",
        )
        .unwrap();
        let e = Profile::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("profile.toml") && e.contains("missing"), "{e}");
        fs_err::write(
            dir.path().join("profile.toml"),
            "[weights]\nsimilarity = 1.0\n",
        )
        .unwrap();
        let e = Profile::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("profile.toml"), "{e}");
    }
}
