//! Render: a ranked day as a digest, in Markdown (the shape of gpt_paper_assistant's
//! `output.md`) and JSON (its `output.json` keys plus ours).
//!
//! Titles and abstracts are untrusted text: anything that reaches Markdown is HTML-escaped,
//! because Markdown viewers pass raw HTML through. Files are written atomically (temporary
//! file, fsync, rename), so a crash never leaves half a digest behind.

use crate::fsutil::IoError;
use std::path::{Path, PathBuf};

mod schema;

pub use schema::{
    output_json, parse_date, read_run_json, read_scores_json, round4, run_json, scores_json,
    scores_path, Arxrank, Authors, ClosestPick, DigestPaper, LearnedWhy, Loose, MarkRef,
    NearestPast, PickEntry, PickRecord, RankedWith, RunFacts, NOVELTY_UNKNOWN, SCHEMA_VERSION,
};

use askama::filters::Escaper as _;

use crate::history::Neighbour;
use crate::ingest::{Day, DaySource, Paper};
use crate::score::Scored;

/// One paper of the day with its score, in rank order.
#[derive(Debug, Clone)]
pub struct Entry {
    pub paper: Paper,
    pub scored: Scored,
    /// 1-10 against the history; `None` when the history is empty or the paper is a repeat.
    pub novelty: Option<u8>,
    /// The closest paper in the history.
    pub nearest: Option<Neighbour>,
    /// The day the history first saw this paper, when that was an earlier day.
    pub repeat_of: Option<Day>,
    /// Why the learned ranker scored it so, when one ranked the day.
    pub learned: Option<LearnedWhy>,
    /// In the "Help arxrank learn" block: not a pick, but a mark on it would teach most.
    pub ask: bool,
}

/// The whole day: what was read, how it was scored, and every paper in rank order.
#[derive(Debug, Clone)]
pub struct Digest {
    pub date: Day,
    /// Entries in the listing before filtering by announce type and dedupe.
    pub total: usize,
    pub entries: Vec<Entry>,
    pub model: String,
    pub fingerprint: String,
    pub device: String,
    pub profile: String,
    pub tokens: u64,
    pub seconds: f64,
    /// gpt_paper_assistant's fixed SCORE of an author match in `output.json`.
    pub author_score: u32,
    /// Where the day came from: `--date`, `listing`, `file name` or `today`.
    pub date_from: DaySource,
    /// The profile and learned model it was ranked with, for `run.json`.
    pub ranked_with: Option<RankedWith>,
}

impl Digest {
    pub fn selected(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.scored.selected)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Io(#[from] IoError),
    /// A digest file read back that is not what `render` writes.
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
}

/// Escapes text for HTML, and so for Markdown that may be shown as HTML.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = HtmlEscaper.write_escaped_str(&mut out, s);
    out
}

/// The one HTML escaping of every page and digest: the site's templates use it through
/// askama (`askama.toml` names it for `.html` templates), Markdown through [`escape_html`].
/// Named entities, as browsers and Markdown viewers all read them, for `& < > " '`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlEscaper;

impl askama::filters::Escaper for HtmlEscaper {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, s: &str) -> std::fmt::Result {
        let mut last = 0;
        for (i, b) in s.bytes().enumerate() {
            let entity = match b {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            dest.write_str(&s[last..i])?;
            dest.write_str(entity)?;
            last = i + 1;
        }
        dest.write_str(&s[last..])
    }
}

/// Escaped text that also cannot close a Markdown link label.
fn link_text(s: &str) -> String {
    escape_html(s).replace('[', "\\[").replace(']', "\\]")
}

fn novelty_text(n: Option<u8>) -> String {
    n.map_or_else(
        || "unavailable (no earlier day in the history to compare with)".into(),
        |n| n.to_string(),
    )
}

pub fn markdown(d: &Digest) -> String {
    let selected: Vec<&Entry> = d.selected().collect();
    let mut s = String::new();
    s.push_str(&format!("# Personalized Daily ArXiv Papers {}\n\n", d.date));
    s.push_str(&format!(
        "| *[arxrank]* | Model | Device | Tokens | Run time | Cost |\n\
         |:---:|:---:|:---:|:---:|:---:|:---:|\n\
         | **Local** | {} | {} | {} | {:.1} s | $0 |\n\n",
        escape_html(&d.model),
        d.device,
        d.tokens,
        d.seconds
    ));
    if let Some(w) = d
        .ranked_with
        .as_ref()
        .filter(|w| w.learned_sha256.is_some() && !w.learned_used)
    {
        s.push_str(&format!("**Ranked with {}.**\n\n", escape_html(&w.learned)));
    }
    s.push_str(&format!("Total arXiv papers: {}\n\n", d.total));
    s.push_str(&format!("Total scanned papers: {}\n\n", d.entries.len()));
    s.push_str(&format!("Total relevant papers: {}\n\n", selected.len()));
    s.push_str("**Table of contents with paper titles:**\n\n");
    for (i, e) in selected.iter().enumerate() {
        s.push_str(&format!(
            "{}. [{}](#user-content-link{}) \n**Authors:** {}\n\n",
            i + 1,
            link_text(&e.paper.title),
            i + 1,
            escape_html(&e.paper.authors.join(", "))
        ));
    }
    s.push_str("---\n\n");
    for (i, e) in selected.iter().enumerate() {
        let p = &e.paper;
        s.push_str(&format!(
            "## {}. [{}]({}) <a id=\"link{}\"></a>\n\n",
            i + 1,
            link_text(&p.title),
            p.id.abs_url(),
            i + 1
        ));
        s.push_str(&format!("**ArXiv ID:** {}\n\n", p.id));
        s.push_str(&format!(
            "**Authors:** {}\n\n",
            escape_html(&p.authors.join(", "))
        ));
        s.push_str(&format!(
            "**Abstract:** {}\n\n",
            escape_html(&p.abstract_text)
        ));
        s.push_str(&format!(
            "**Comment:** {}\n\n",
            escape_html(&e.scored.comment)
        ));
        s.push_str(&format!("**Relevance:** {}\n", e.scored.relevance));
        s.push_str(&format!(
            "**Novelty:** {}\n\n---\n\n",
            novelty_text(e.novelty)
        ));
    }
    help_block(d, &mut s);
    s.push_str(&format!(
        "Ranked by arxrank with {} (fingerprint `{}`) against the profile `{}`. \
         Relevance is cosine similarity to the profile's topics plus keyword boosts, \
         penalties and author matches, mapped to 1-10; every scanned paper's scores are in \
         `scores.json`.\n",
        escape_html(&d.model),
        d.fingerprint,
        escape_html(&d.profile)
    ));
    if let Some(w) = d.ranked_with.as_ref().filter(|w| w.learned_used) {
        s.push_str(&format!(
            "\nThe profile's learned model ranked the day: {}.\n",
            escape_html(&w.learned)
        ));
    }
    s
}

/// The "Help arxrank learn" block: the papers asked about, where a mark teaches most.
fn help_block(d: &Digest, s: &mut String) {
    let asked: Vec<&Entry> = d.entries.iter().filter(|e| e.ask).collect();
    if asked.is_empty() {
        return;
    }
    s.push_str(
        "## Help arxrank learn\n\nNot in the digest, but a mark on one of these teaches \
         arxrank most: they are just below the line, and unlike each other. Mark them ✓ or ✗ \
         on the site (`arxrank serve`).\n\n",
    );
    for (i, e) in asked.iter().enumerate() {
        s.push_str(&format!(
            "{}. [{}]({}) (relevance {}, {})\n",
            i + 1,
            link_text(&e.paper.title),
            e.paper.id.abs_url(),
            e.scored.relevance,
            escape_html(&e.scored.best_topic)
        ));
    }
    s.push_str("\n---\n\n");
}

/// The digest's papers as `output.json` stores them, in rank order.
pub fn digest_papers(d: &Digest) -> Vec<DigestPaper> {
    d.entries
        .iter()
        .enumerate()
        .map(|(i, e)| DigestPaper::from_entry(i + 1, e))
        .collect()
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync the directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    Ok(crate::fsutil::write_atomic(path, bytes)?)
}

/// Writes `output.md`, `output.json` (the picks, as gpt_paper_assistant writes them),
/// `scores.json` (every scanned paper with arxrank's scores) and `run.json` into `dir`;
/// returns their paths. `run.json` goes last: a day without it is unfinished.
pub fn write_digest(d: &Digest, dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let md = dir.join("output.md");
    let js = dir.join("output.json");
    let scores = dir.join("scores.json");
    let run = dir.join("run.json");
    let papers = digest_papers(d);
    write_atomic(&scores, scores_json(&papers).as_bytes())?;
    write_atomic(&js, output_json(&papers, d.author_score).as_bytes())?;
    write_atomic(&md, markdown(d).as_bytes())?;
    write_atomic(&run, run_json(&RunFacts::of(d)).as_bytes())?;
    Ok(vec![md, js, scores, run])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_hostile_text() {
        assert_eq!(
            escape_html("<script>alert(1)</script> & \"x\""),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(link_text("a [b]"), "a \\[b\\]");
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.json");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs_err::read(&p).unwrap(), b"second");
        assert_eq!(fs_err::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }
}
