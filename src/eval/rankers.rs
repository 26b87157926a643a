//! Rankers: every way of ordering a day's papers that `eval` compares, behind one trait.
//!
//! The profile-driven rankers share the daily ranking's own code (the [`Scorer`]), so the
//! hybrid measured here is exactly what `rank` ships; the baselines take away one part of
//! it (embedding-only, keyword-only), replace it with a lexical model (BM25), or with
//! nothing (random). External scores let any other tool, a GPT run included, sit in the
//! same table.

use crate::fsutil::IoError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::EvalError;
use crate::ingest::{Paper, PaperId};
use crate::score::{Lexical, Scorer, Similarities, SimilarityRow};
use crate::topics::{Profile, Weights};

/// What a ranker may read: the papers, and their vectors and embedding similarities when
/// computed.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub papers: &'a [Paper],
    /// Present when some ranker of the run uses embeddings; computed once for all of them.
    pub sims: Option<&'a Similarities>,
    /// The papers' vectors (row `i` is `papers[i]`), present with `sims`.
    pub vectors: Option<&'a ndarray::Array2<f32>>,
}

impl Inputs<'_> {
    fn sims(&self, ranker: &str) -> Result<&Similarities, EvalError> {
        self.sims.ok_or_else(|| {
            EvalError::Usage(format!(
                "ranker {ranker} needs embeddings, none were computed"
            ))
        })
    }
}

pub trait Ranker {
    fn name(&self) -> String;
    /// Whether it reads `Inputs::sims`: the embedding time counts toward its speed.
    fn uses_embeddings(&self) -> bool {
        false
    }
    /// One score per paper, higher is more relevant.
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError>;
    /// Caveats for the report (e.g. how many papers an external file scored).
    fn notes(&self, _input: &Inputs) -> Vec<String> {
        Vec::new()
    }
}

/// The daily ranking's score: topic similarity, keyword boosts and penalties, authors.
pub struct Hybrid {
    scorer: Scorer,
}

impl Hybrid {
    pub fn new(profile: &Profile) -> Self {
        Self {
            scorer: Scorer::new(profile),
        }
    }
}

impl Ranker for Hybrid {
    fn name(&self) -> String {
        "hybrid".into()
    }
    fn uses_embeddings(&self) -> bool {
        true
    }
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError> {
        let sims = input.sims(&self.name())?;
        Ok(self
            .scorer
            .score_all(input.papers, sims)
            .into_iter()
            .map(|s| s.raw)
            .collect())
    }
}

/// The learned model (see [`crate::learn`]) over the paper's vector and the hybrid's parts;
/// without one (too few picks to learn from) it is the hybrid, and says so.
pub struct Learned {
    model: Option<crate::learn::LinearModel>,
    /// Scores already computed (day-grouped cross-validation: each day scored by the model
    /// of the fold that held it out), in the set's paper order.
    precomputed: Option<Vec<f32>>,
    /// The 1-10 scale of its scores, fitted on days before the test days.
    scale: Option<crate::topics::Scale>,
    /// What it falls back to, and whose scorer gives the features their hybrid parts.
    hybrid: Hybrid,
    notes: Vec<String>,
}

impl Learned {
    pub fn new(
        model: Option<(crate::learn::LinearModel, crate::topics::Scale)>,
        profile: &Profile,
        notes: Vec<String>,
    ) -> Self {
        let (model, scale) = model.unzip();
        Self {
            model,
            precomputed: None,
            scale,
            hybrid: Hybrid::new(profile),
            notes,
        }
    }

    /// Scores computed elsewhere (cross-validation), on `scale`.
    pub fn precomputed(
        scores: Vec<f32>,
        scale: crate::topics::Scale,
        profile: &Profile,
        notes: Vec<String>,
    ) -> Self {
        Self {
            model: None,
            precomputed: Some(scores),
            scale: Some(scale),
            hybrid: Hybrid::new(profile),
            notes,
        }
    }

    /// The scale its digest would select with, when a model was trained.
    pub fn scale(&self) -> Option<&crate::topics::Scale> {
        self.scale.as_ref()
    }
}

impl Ranker for Learned {
    fn name(&self) -> String {
        "learned".into()
    }
    fn uses_embeddings(&self) -> bool {
        true
    }
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError> {
        if let Some(scores) = &self.precomputed {
            if scores.len() != input.papers.len() {
                return Err(EvalError::Usage(
                    "cross-validated scores do not match the set".into(),
                ));
            }
            return Ok(scores.clone());
        }
        let sims = input.sims(&self.name())?;
        let Some(model) = &self.model else {
            return self.hybrid.score(input);
        };
        let vectors = input
            .vectors
            .ok_or_else(|| EvalError::Usage("ranker learned needs the papers' vectors".into()))?;
        let x = crate::learn::features(input.papers, vectors.view(), sims, &self.hybrid.scorer);
        let texts: Vec<String> = input.papers.iter().map(crate::learn::text_of).collect();
        Ok(model.score(x.view(), texts.iter().map(String::as_str)))
    }
    fn notes(&self, _input: &Inputs) -> Vec<String> {
        self.notes.clone()
    }
}

/// The best cosine to any topic anchor, nothing else.
pub struct EmbeddingOnly;

impl Ranker for EmbeddingOnly {
    fn name(&self) -> String {
        "embedding-only".into()
    }
    fn uses_embeddings(&self) -> bool {
        true
    }
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError> {
        let sims = input.sims(&self.name())?;
        Ok(sims.top_anchors.iter().map(|t| t[0]).collect())
    }
}

/// The profile's keyword boosts, penalties and author bonus without any model.
pub struct KeywordOnly {
    scorer: Scorer,
    weights: Weights,
    topics: usize,
}

impl KeywordOnly {
    pub fn new(profile: &Profile) -> Self {
        Self {
            scorer: Scorer::new(profile),
            weights: Weights {
                similarity: 0.0,
                negative: 0.0,
                lexical: 0.0,
                ..profile.weights.clone()
            },
            topics: profile.topics.len(),
        }
    }
}

impl Ranker for KeywordOnly {
    fn name(&self) -> String {
        "keyword-only".into()
    }
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError> {
        let zeros = vec![0.0; self.topics];
        let none = SimilarityRow {
            topics: &zeros,
            top_anchors: [0.0; 3],
            negative: 0.0,
            lexical: 0.0,
            marks: Default::default(),
        };
        Ok(input
            .papers
            .iter()
            .map(|p| Scorer::raw(&self.scorer.features(p, none), &self.weights))
            .collect())
    }
}

/// BM25 alone: the hybrid's lexical part (see [`Lexical`]) as a ranker of its own.
pub struct Bm25 {
    lexical: Lexical,
}

impl Bm25 {
    pub fn new(profile: &Profile) -> Self {
        Self {
            lexical: Lexical::new(profile),
        }
    }
}

impl Ranker for Bm25 {
    fn name(&self) -> String {
        "bm25".into()
    }
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError> {
        Ok(self.lexical.bm25(input.papers))
    }
}

/// Uniform random scores from a fixed seed: the floor every ranker must clear.
pub struct Random {
    pub seed: u64,
}

impl Ranker for Random {
    fn name(&self) -> String {
        "random".into()
    }
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError> {
        let mut rng = fastrand::Rng::with_seed(self.seed);
        Ok(input.papers.iter().map(|_| rng.f32()).collect())
    }
}

/// Scores another tool produced, keyed by arXiv id. Papers it did not score rank last,
/// as a GPT ranker that dropped them in its title pass would have them.
pub struct External {
    name: String,
    path: PathBuf,
    scores: HashMap<PaperId, f32>,
}

impl External {
    /// Reads `path`: a JSON object keyed by id (values a number, or an object with `score`,
    /// `arxrank.raw_score`, `RELEVANCE`, `relevance` or `SCORE`, so arxrank's and
    /// gpt_paper_assistant's `output.json` both work), or JSON lines with `id` and one of
    /// those fields.
    pub fn read(name: &str, path: &Path) -> Result<Self, EvalError> {
        let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
        let invalid = |message: String| EvalError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut scores = HashMap::new();
        let mut put = |id: &str, v: &Value, at: &str| -> Result<(), EvalError> {
            let id = PaperId::parse(id)
                .ok_or_else(|| invalid(format!("{at}: `{id}` is not an arXiv id")))?;
            let s = score_of(v).ok_or_else(|| {
                invalid(format!(
                    "{at}: no numeric score (expected a number or one of score, arxrank.raw_score, RELEVANCE, relevance, SCORE)"
                ))
            })?;
            scores.insert(id, s);
            Ok(())
        };
        match serde_json::from_str::<Value>(&text) {
            // An object keyed by arXiv ids never has an `id` key; one that does is a
            // one-line JSON-lines file.
            Ok(Value::Object(m)) if !m.contains_key("id") => {
                for (id, v) in &m {
                    put(id, v, &format!("entry {id}"))?;
                }
            }
            Ok(v) if !v.is_object() => {
                return Err(invalid("expected an object keyed by arXiv id".into()))
            }
            // Not one JSON document, or one record: JSON lines.
            _ => {
                for (i, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let at = format!("line {}", i + 1);
                    let v: Value = serde_json::from_str(line)
                        .map_err(|e| invalid(format!("{at}: malformed JSON: {e}")))?;
                    let id = ["id", "ARXIVID", "arxiv_id"]
                        .iter()
                        .find_map(|k| v.get(*k).and_then(Value::as_str))
                        .ok_or_else(|| invalid(format!("{at}: no `id`")))?
                        .to_owned();
                    put(&id, &v, &at)?;
                }
            }
        }
        if scores.is_empty() {
            return Err(invalid("holds no scores".into()));
        }
        Ok(Self {
            name: name.to_owned(),
            path: path.to_owned(),
            scores,
        })
    }

    fn covered(&self, papers: &[Paper]) -> usize {
        papers
            .iter()
            .filter(|p| self.scores.contains_key(&p.id))
            .count()
    }
}

fn score_of(v: &Value) -> Option<f32> {
    if let Some(x) = v.as_f64() {
        return Some(x as f32);
    }
    let nested = v.get("arxrank").and_then(|a| a.get("raw_score"));
    [
        v.get("score"),
        nested,
        v.get("RELEVANCE"),
        v.get("relevance"),
        v.get("SCORE"),
    ]
    .into_iter()
    .flatten()
    .find_map(Value::as_f64)
    .map(|x| x as f32)
}

impl Ranker for External {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn score(&self, input: &Inputs) -> Result<Vec<f32>, EvalError> {
        if self.covered(input.papers) == 0 {
            return Err(EvalError::Invalid {
                path: self.path.clone(),
                message: "scores none of the set's papers (do the ids match?)".into(),
            });
        }
        Ok(input
            .papers
            .iter()
            .map(|p| self.scores.get(&p.id).copied().unwrap_or(f32::NEG_INFINITY))
            .collect())
    }
    fn notes(&self, input: &Inputs) -> Vec<String> {
        let n = self.covered(input.papers);
        if n == input.papers.len() {
            return Vec::new();
        }
        vec![format!(
            "{}: {} scores {n} of {} papers; the rest rank last",
            self.name,
            self.path.display(),
            input.papers.len()
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::AnnounceType;

    fn paper(id: &str, title: &str, abstract_text: &str) -> Paper {
        Paper {
            id: PaperId::parse(id).unwrap(),
            title: title.into(),
            authors: vec!["A".into()],
            abstract_text: abstract_text.into(),
            categories: vec![],
            date: None,
            announce: AnnounceType::New,
        }
    }

    fn profile() -> Profile {
        Profile::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("topics")).unwrap()
    }

    #[test]
    fn bm25_prefers_papers_that_share_the_topics_words() {
        let papers =
            vec![
            paper("2505.00001", "Cooking pasta", "We boil water and add salt to pasta."),
            paper(
                "2505.00002",
                "Sparse mixture-of-experts routing",
                "We study expert routing and load balancing in mixture of experts transformers.",
            ),
            paper("2505.00003", "Bird migration", "Birds fly south in winter."),
        ];
        let s = Bm25::new(&profile())
            .score(&Inputs {
                papers: &papers,
                sims: None,
                vectors: None,
            })
            .unwrap();
        assert!(s[1] > s[0] && s[1] > s[2], "{s:?}");
    }

    #[test]
    fn keyword_only_counts_boosts_and_penalties() {
        let papers = vec![
            paper(
                "2505.00001",
                "Quantization of MoE models",
                "Pruning and quantization.",
            ),
            paper("2505.00002", "A plain title", "Nothing to see."),
            paper(
                "2505.00003",
                "Agents",
                "Reinforcement learning for medical imaging.",
            ),
        ];
        let s = KeywordOnly::new(&profile())
            .score(&Inputs {
                papers: &papers,
                sims: None,
                vectors: None,
            })
            .unwrap();
        assert!(s[0] > s[1] && s[1] > s[2], "{s:?}");
        assert_eq!(s[1], 0.0);
    }

    #[test]
    fn external_scores_from_object_lines_and_gpt_output() {
        let dir = tempfile::tempdir().unwrap();
        let papers = vec![
            paper("2505.00001", "a", "a"),
            paper("2505.00002", "b", "b"),
            paper("2505.00003", "c", "c"),
        ];
        let input = Inputs {
            papers: &papers,
            sims: None,
            vectors: None,
        };
        let cases = [
            r#"{"2505.00001": 0.5, "2505.00002v2": {"score": 0.9}}"#,
            "{\"id\":\"2505.00001\",\"score\":0.5}\n{\"id\":\"2505.00002\",\"score\":0.9}\n",
            // A one-line JSON-lines file is also one JSON object.
            "{\"id\":\"2505.00002\",\"score\":0.9}\n",
            r#"{"2505.00001": {"RELEVANCE": 5, "NOVELTY": 9}, "2505.00002": {"RELEVANCE": 9, "NOVELTY": 7}}"#,
            r#"{"2505.00001": {"RELEVANCE": 9, "arxrank": {"raw_score": 0.5}}, "2505.00002": {"RELEVANCE": 9, "arxrank": {"raw_score": 0.9}}}"#,
        ];
        for text in cases {
            let p = dir.path().join("x.json");
            fs_err::write(&p, text).unwrap();
            let e = External::read("gpt", &p).unwrap();
            let s = e.score(&input).unwrap();
            assert!(s[1] > s[0] && s[2] == f32::NEG_INFINITY, "{text}: {s:?}");
            assert_eq!(e.notes(&input).len(), 1);
        }
        for (text, want) in [
            (
                r#"{"2505.00001": "high"}"#,
                "entry 2505.00001: no numeric score",
            ),
            (
                "{\"id\":\"2505.00001\",\"score\":1}\n{oops\n",
                "line 2: malformed JSON",
            ),
            (r#"{"nope": 1}"#, "`nope` is not an arXiv id"),
            (r#"{"2601.00001": 1}"#, "scores none of the set's papers"),
        ] {
            let p = dir.path().join("bad.json");
            fs_err::write(&p, text).unwrap();
            let e = External::read("x", &p)
                .and_then(|e| e.score(&input).map(|_| ()))
                .unwrap_err()
                .to_string();
            assert!(e.contains("bad.json") && e.contains(want), "{e}");
        }
    }
}
