//! A profile's learned model on disk: `<profile>/learned/model.json`, written by
//! `arxrank learn` and read by `rank`, `daily` and `eval` when the profile is used.
//!
//! One JSON file, replaced atomically, with two parts, either of which may be absent:
//!
//! - the **ranker** ([`RankerModel`]): a logistic model trained on picks against the same days'
//!   other papers (a judge's labelled days, a digest archive, a library), with its 1-10 scale
//!   fitted on held-out scores and how well it did on days it had not seen. It replaces the
//!   hand-set score.
//! - the reader's **marks** ([`Marks`]): papers they liked or disliked, with their vectors.
//!   They move whatever score ranks the day (hand-set or learned) and replace nothing: a
//!   paper like a liked one rises, one very like a disliked one sinks, and every other paper
//!   keeps its score, because a paper the reader left unmarked is not a dislike.
//!
//! Both carry the embedding model's fingerprint: vectors mean nothing under another model,
//! so a mismatch is refused. Version 2 nests the ranker and adds the marks; a version 1 file
//! (a ranker only, its fields at the top level) still reads.

use std::path::{Path, PathBuf};

use base64::Engine;
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::reader::ReaderModel;
use super::{FoldBy, LearnError, LinearModel, Trained, PART_NAMES};
use crate::fsutil::IoError;
use crate::ingest::PaperId;
use crate::labels::marks::{rows, unit};
use crate::labels::Group;
pub use crate::labels::{Mark, MarkSource, Marks};
use crate::topics::Scale;

pub const FORMAT: &str = "arxrank-learned";
/// The version this build writes; it reads this one and version 1.
pub const VERSION: u32 = 2;
/// The folder inside a profile.
pub const DIR: &str = "learned";
const FILE: &str = "model.json";

/// What `learn` stored for a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub format: String,
    pub version: u32,
    /// The embedding model the vectors came from.
    pub fingerprint: String,
    pub vector_dims: usize,
    pub trained_by: String,
    /// The ranker trained on picks and the same days' other papers, if any was.
    pub ranker: Option<RankerModel>,
    /// The reader's likes and dislikes.
    #[serde(default)]
    pub marks: Marks,
    /// The model the marks trained ([`super::reader`]), which ranks in place of the score
    /// the profile ranks by without them. A file without one (from before it existed) has
    /// its marks move the hand-set score as anchors instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<ReaderFit>,
}

/// The reader's model and what it learned from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderFit {
    pub model: ReaderModel,
    /// Days with marks, and the papers of those days it was trained on (marked, and shown
    /// and left unmarked).
    pub days: usize,
    pub papers: usize,
    /// Whether the score the marks start from is the ranker's (else the hand-set one).
    pub over_ranker: bool,
    /// The interests whose own model ordered their papers better than this one on the
    /// later marked days ([`super::reader::interest_models`]): each reorders its topic's
    /// papers within the places this model gives them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interests: Vec<super::reader::InterestModel>,
}

impl ReaderFit {
    /// Whether it reads the columns a model of the marks over vectors of `dim` reads (the
    /// vector, the parts, the ranker's score when it has one, the two mark columns), with
    /// its prior where it belongs, each interest's model reading one more (the model's
    /// score, its prior), and every number whole.
    fn is_whole(&self, dim: usize) -> bool {
        let prior = dim + usize::from(self.over_ranker) * PART_NAMES.len();
        let columns = dim + PART_NAMES.len() + usize::from(self.over_ranker) + 2;
        let interests_ok = (self.interests.iter())
            .all(|i| i.model.columns() == (columns + 1, columns) && i.model.is_whole());
        self.model.columns() == (columns, prior) && self.model.is_whole() && interests_ok
    }
}

/// A trained model with everything needed to use it and to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankerModel {
    /// Columns: the vector's dimensions, then these ([`PART_NAMES`]).
    pub parts: Vec<String>,
    pub model: LinearModel,
    /// Learned scores at relevance 1 and 10, fitted on the held-out scores so that the share
    /// of papers at 8 or more is the judge's pick rate.
    pub raw_at_1: f32,
    pub raw_at_10: f32,
    pub training: Vec<TrainingSet>,
    pub first_day: Group,
    pub last_day: Group,
    /// Cross-validation: folds, what they held, and the held-out ROC-AUC of each setting.
    pub folds: usize,
    #[serde(default = "by_days")]
    pub fold_by: FoldBy,
    /// False when no fold measured anything and the default setting was used.
    #[serde(default = "yes")]
    pub chosen_by_cv: bool,
    pub cv: Vec<CvRow>,
    /// The latest picks, so a comment can name the one a paper is closest to.
    #[serde(default)]
    pub liked: Vec<LikedPaper>,
}

fn by_days() -> FoldBy {
    FoldBy::Days
}

fn yes() -> bool {
    true
}

/// A pick of the training days: its id, title and day, and its vector stored as 8-bit
/// integers (base64), which is close enough to find the nearest and keeps the file small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikedPaper {
    pub id: PaperId,
    pub title: String,
    pub day: Group,
    pub vector: String,
}

/// At most this many picks are kept, the latest first: 2,000 cost about 1 MB.
pub const MAX_LIKED: usize = 2000;

impl LikedPaper {
    pub fn new(id: PaperId, title: String, day: Group, vector: ArrayView1<f32>) -> Self {
        let max = vector.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
        let bytes: Vec<u8> = vector
            .iter()
            .map(|v| ((v / max * 127.0).round() as i8) as u8)
            .collect();
        Self {
            id,
            title,
            day,
            vector: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The stored vector, scaled back to unit length.
    fn decode(&self, dim: usize) -> Option<Vec<f32>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.vector)
            .ok()?;
        if bytes.len() != dim {
            return None;
        }
        let v: Vec<f32> = bytes.iter().map(|&b| f32::from(b as i8)).collect();
        Some(unit(v))
    }
}

/// The picks' vectors, one row each, to find the pick closest to a paper.
pub struct LikedIndex<'a> {
    papers: &'a [LikedPaper],
    vectors: Array2<f32>,
}

impl LikedIndex<'_> {
    /// The closest pick to each of `docs` (unit vectors, one per row) and its cosine.
    pub fn closest(&self, docs: ArrayView2<f32>) -> Vec<Option<(&LikedPaper, f32)>> {
        if self.papers.is_empty() {
            return vec![None; docs.nrows()];
        }
        let sims = docs.dot(&self.vectors.t());
        sims.rows()
            .into_iter()
            .map(|row| {
                let (best, cos) = crate::metrics::best_of(row);
                Some((&self.papers[best], cos))
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSet {
    pub name: String,
    pub papers: usize,
    pub positives: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvRow {
    pub lambda: f32,
    /// The TF-IDF block's weight (0: words left out).
    #[serde(default)]
    pub text_scale: f32,
    /// `null` where no fold could measure it (a fold without a pick or a non-pick).
    pub roc_auc: Option<f64>,
}

/// Version 1: the ranker's fields at the top level, no marks.
#[derive(Deserialize)]
struct StoredV1 {
    fingerprint: String,
    vector_dims: usize,
    parts: Vec<String>,
    model: LinearModel,
    raw_at_1: f32,
    raw_at_10: f32,
    training: Vec<TrainingSet>,
    first_day: Group,
    last_day: Group,
    folds: usize,
    cv: Vec<CvRow>,
    trained_by: String,
    #[serde(default)]
    liked: Vec<LikedPaper>,
}

impl From<StoredV1> for Stored {
    fn from(v: StoredV1) -> Self {
        Stored {
            format: FORMAT.into(),
            version: 1,
            fingerprint: v.fingerprint,
            vector_dims: v.vector_dims,
            trained_by: v.trained_by,
            ranker: Some(RankerModel {
                parts: v.parts,
                model: v.model,
                raw_at_1: v.raw_at_1,
                raw_at_10: v.raw_at_10,
                training: v.training,
                first_day: v.first_day,
                last_day: v.last_day,
                folds: v.folds,
                fold_by: FoldBy::Days,
                chosen_by_cv: true,
                cv: v.cv,
                liked: v.liked,
            }),
            marks: Marks::default(),
            reader: None,
        }
    }
}

impl Stored {
    /// A model for vectors of `fingerprint` (`vector_dims` wide), with either part or both.
    pub fn new(
        fingerprint: &str,
        vector_dims: usize,
        ranker: Option<RankerModel>,
        marks: Marks,
    ) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            fingerprint: fingerprint.to_owned(),
            vector_dims,
            trained_by: format!("arxrank {}", env!("CARGO_PKG_VERSION")),
            ranker,
            marks,
            reader: None,
        }
    }

    pub fn path(profile_dir: &Path) -> PathBuf {
        profile_dir.join(DIR).join(FILE)
    }

    /// The profile's model, if it has one. A model of another format version, one trained on
    /// another embedding model's vectors, or a damaged one is an error naming the file.
    pub fn load(profile_dir: &Path, fingerprint: &str) -> Result<Option<Self>, LearnError> {
        let path = Self::path(profile_dir);
        if !path.exists() {
            return Ok(None);
        }
        let text = fs_err::read_to_string(&path).map_err(IoError::read(&path))?;
        let stored = Self::parse(&path, &text)?;
        if stored.fingerprint != fingerprint {
            return Err(LearnError::ModelMismatch {
                path,
                trained: stored.fingerprint,
                model: fingerprint.to_owned(),
            });
        }
        Ok(Some(stored))
    }

    /// Reads a model file of either version and checks that every part of it can be used.
    fn parse(path: &Path, text: &str) -> Result<Self, LearnError> {
        let invalid = |message: String| LearnError::Invalid {
            path: path.to_owned(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
        if value["format"] != FORMAT {
            return Err(invalid(format!("not an {FORMAT} file")));
        }
        let stored: Self = match value["version"].as_u64() {
            Some(1) => serde_json::from_value::<StoredV1>(value)
                .map_err(|e| invalid(e.to_string()))?
                .into(),
            Some(v) if v == u64::from(VERSION) => {
                serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?
            }
            _ => {
                return Err(invalid(format!(
                    "format version {} is not one this arxrank reads (1 or {VERSION})",
                    value["version"]
                )))
            }
        };
        let dim = stored.vector_dims;
        if let Some(r) = &stored.ranker {
            let columns = dim + r.parts.len();
            if r.model.weights.len() != columns
                || r.model.mean.len() != columns
                || r.model.scale.len() != columns
                || r.parts != PART_NAMES
                || r.model.text.as_ref().is_some_and(|t| {
                    t.weights.len() != t.vocabulary.len()
                        || t.vocabulary.idf.len() != t.vocabulary.len()
                })
                || r.liked.iter().any(|l| l.decode(dim).is_none())
            {
                return Err(invalid(format!(
                    "{} weights for {columns} columns: the file is damaged",
                    r.model.weights.len()
                )));
            }
        }
        if let Some(m) = stored.marks.papers.iter().find(|m| m.decode(dim).is_none()) {
            return Err(invalid(format!(
                "the vector of the marked paper {} is not {dim} half-precision numbers: the \
                 file is damaged",
                m.id
            )));
        }
        if let Some(r) = &stored.reader {
            let columns = dim + PART_NAMES.len() + usize::from(r.over_ranker) + 2;
            let n = r.model.columns().0;
            if !r.is_whole(dim) || r.over_ranker != stored.ranker.is_some() {
                return Err(invalid(format!(
                    "the model your marks trained reads {n} columns, not {columns}, or its \
                     numbers are not whole: the file is damaged"
                )));
            }
        }
        if stored.ranker.is_none() && stored.marks.is_empty() {
            return Err(invalid(
                "holds neither a ranker nor any marks: the file is damaged".into(),
            ));
        }
        Ok(stored)
    }

    /// Writes the model atomically into the profile; returns the file written.
    pub fn store(&self, profile_dir: &Path) -> Result<PathBuf, LearnError> {
        let path = Self::path(profile_dir);
        let mut json = serde_json::to_string_pretty(self).expect("a model serialises");
        json.push('\n');
        crate::fsutil::write_atomic(&path, json.as_bytes())?;
        Ok(path)
    }

    /// Removes the profile's model; returns whether there was one. The folder goes too
    /// when nothing else is in it.
    pub fn remove(profile_dir: &Path) -> Result<bool, LearnError> {
        let path = Self::path(profile_dir);
        if !path.exists() {
            return Ok(false);
        }
        fs_err::remove_file(&path).map_err(IoError::write(&path))?;
        let dir = profile_dir.join(DIR);
        // Only an empty folder is removed; anything the reader put there stays.
        let _ = fs_err::remove_dir(&dir);
        Ok(true)
    }

    /// What the model holds, in a line: for `rank`, `daily` and `learn` to say what ranks.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.ranker {
            parts.push(format!(
                "a ranker trained on {} papers ({} picks, {} to {})",
                r.training.iter().map(|t| t.papers).sum::<usize>(),
                r.training.iter().map(|t| t.positives).sum::<usize>(),
                r.first_day,
                r.last_day
            ));
        }
        if !self.marks.is_empty() {
            parts.push(format!(
                "your marks ({} liked, {} disliked)",
                self.marks.likes().count(),
                self.marks.dislikes().count()
            ));
        }
        if let Some(r) = &self.reader {
            parts.push(format!(
                "a model of your marks trained on {} papers of {} day{}, over the {} score",
                r.papers,
                r.days,
                if r.days == 1 { "" } else { "s" },
                if r.over_ranker {
                    "ranker's"
                } else {
                    "hand-set"
                }
            ));
        }
        parts.join(" and ")
    }
}

impl RankerModel {
    /// The ranker `trained` became, with its 1-10 scale, the sets it learned from and its
    /// latest picks (for the comment's "closest past pick").
    pub fn new(
        trained: Trained,
        scale: &Scale,
        training: Vec<TrainingSet>,
        days: (Group, Group),
        liked: Vec<LikedPaper>,
    ) -> Self {
        Self {
            parts: PART_NAMES.iter().map(|s| s.to_string()).collect(),
            model: trained.model,
            raw_at_1: scale.raw_at_1,
            raw_at_10: scale.raw_at_10,
            training,
            first_day: days.0,
            last_day: days.1,
            folds: trained.folds,
            fold_by: trained.fold_by,
            chosen_by_cv: trained.chosen_by_cv,
            cv: trained
                .cv
                .iter()
                .map(|c| CvRow {
                    lambda: c.lambda,
                    text_scale: c.text_scale,
                    roc_auc: c.roc_auc,
                })
                .collect(),
            liked,
        }
    }

    /// The 1-10 scale of learned scores, with the profile's selection threshold.
    pub fn scale(&self, select_min: u8) -> Scale {
        Scale {
            raw_at_1: self.raw_at_1,
            raw_at_10: self.raw_at_10,
            select_min,
            calibrated: None,
        }
    }

    /// The picks' vectors, decoded once for a day's papers.
    pub fn liked_index(&self, dim: usize) -> LikedIndex<'_> {
        let vectors: Vec<Vec<f32>> = self
            .liked
            .iter()
            .map(|l| l.decode(dim).expect("checked on load"))
            .collect();
        LikedIndex {
            papers: &self.liked,
            vectors: rows(&vectors, dim),
        }
    }

    /// What pushed one paper's score up or down most: the vector as one part (closeness to
    /// the kind of paper the judge picked), the words as another, and each of the hybrid's
    /// parts, strongest first; then the words that raised it most, as arxiv-sanity shows its
    /// SVM's. `row` is the paper's features, `words` its row of
    /// [`super::LinearModel::words`].
    pub fn explain(
        &self,
        dim: usize,
        row: ArrayView1<f32>,
        words: Option<(&[u32], &[f32])>,
    ) -> Explained {
        let c = self.model.contributions(row);
        let mut parts: Vec<(String, f32)> =
            vec![("vector like past picks".into(), c[..dim].iter().sum())];
        for (k, name) in self.parts.iter().enumerate() {
            parts.push((name.clone(), c[dim + k]));
        }
        let mut top = Vec::new();
        if let (Some(t), Some(words)) = (&self.model.text, words) {
            parts.push(("words".into(), t.row_score(words)));
            top = t.top_terms(words, 3);
        }
        parts.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        Explained {
            parts,
            words: top.into_iter().map(|(w, _)| w).collect(),
        }
    }
}

/// Why the ranker scored a paper as it did: every part's push, strongest first, and the
/// words that raised it most.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub parts: Vec<(String, f32)>,
    pub words: Vec<String>,
}

/// What to do about a stored model that cannot be used, with the profile's path.
pub fn way_out(topics: &Path) -> String {
    format!(
        "  to rank without it: add --no-learned; to remove it: arxrank learn --reset --topics \
         {t}; to replace it: run arxrank learn --topics {t} again",
        t = topics.display()
    )
}

/// Why a stored model cannot be used and what to do, for a job that goes on without it.
pub fn unusable_text(source: &LearnError, topics: &Path) -> String {
    format!("{source}\n{}", way_out(topics))
}

#[cfg(test)]
mod tests {
    use super::super::{train, Examples, FoldBy};
    use super::*;
    use ndarray::Array2;

    /// Examples with the vector part and the nine parts' columns: the first vector column
    /// separates picks from the rest; `day` names each row's day; `text` gives each row
    /// words (or none).
    fn examples(n: usize, positives: usize, day: impl Fn(usize) -> String, text: bool) -> Examples {
        let dim = 4;
        let mut x = Array2::zeros((n, dim + PART_NAMES.len()));
        let mut y = Vec::new();
        for i in 0..n {
            let pick = i < positives;
            x[[i, 0]] = if pick { 1.0 } else { -1.0 } + ((i * 7919) % 13) as f32 * 0.05;
            x[[i, 1]] = ((i * 104_729) % 17) as f32 * 0.1;
            x[[i, dim]] = x[[i, 0]] * 0.3;
            y.push(pick);
        }
        let words = [
            "experts", "routing", "pruning", "graphs", "proteins", "weather",
        ];
        Examples {
            x,
            names: (0..n)
                .map(|i| {
                    let id = format!("2505.{:05}", i + 1);
                    (PaperId::parse(&id).unwrap(), format!("Paper {id}"))
                })
                .collect(),
            texts: (0..n)
                .map(|i| {
                    text.then(|| {
                        let pick = i < positives;
                        let w = if pick { &words[..3] } else { &words[3..] };
                        format!("{} {} {} study", w[i % 3], w[(i + 1) % 3], words[i % 6])
                    })
                })
                .collect(),
            y,
            days: (0..n)
                .map(|i| Group::parse(&day(i)).expect("a day or a group"))
                .collect(),
        }
    }

    /// Trains on `ex`, stores the ranker (and one mark) in a profile folder, and reads it back.
    fn round_trip(ex: &Examples) -> (Trained, Stored) {
        let trained = train(ex).expect("trains");
        let scale = Scale {
            raw_at_1: -2.0,
            raw_at_10: 3.0,
            select_min: 8,
            calibrated: None,
        };
        let liked = vec![LikedPaper::new(
            ex.names[0].0.clone(),
            ex.names[0].1.clone(),
            ex.days[0],
            ex.x.row(0).slice(ndarray::s![..4]),
        )];
        let mut days = ex.days.clone();
        days.sort();
        let ranker = RankerModel::new(
            trained.clone(),
            &scale,
            vec![TrainingSet {
                name: "toy".into(),
                papers: ex.y.len(),
                positives: trained.positives,
            }],
            (days[0], days[days.len() - 1]),
            liked,
        );
        let marks = Marks {
            sources: vec![MarkSource {
                file: "feedback.jsonl".into(),
                sha256: "00".repeat(32),
                marks: 1,
            }],
            papers: vec![Mark::new(
                ex.names[1].0.clone(),
                "A liked paper".into(),
                // Marks are made on a day's page, whatever groups the examples fall in.
                crate::ingest::Day::parse("2025-05-12").unwrap(),
                true,
                &[0.5, 0.5, 0.5, 0.5],
            )],
        };
        let mut stored = Stored::new("toy-model", 4, Some(ranker), marks);
        // The model of the marks, over the ranker's score: the vector, the parts, that
        // score and the two mark columns.
        let columns = 4 + PART_NAMES.len() + 1 + 2;
        let x = Array2::from_shape_fn((6, columns), |(i, j)| ((i * 7 + j * 3) % 5) as f32);
        let prior = super::super::reader::Prior::on(4 + PART_NAMES.len());
        stored.reader = Some(ReaderFit {
            model: super::super::reader::ReaderModel::prior(x.view(), prior),
            days: 1,
            papers: 6,
            over_ranker: true,
            // An interest's own model reads those columns and, last, the model's score.
            interests: vec![super::super::reader::InterestModel {
                topic: "Model Compression".into(),
                model: super::super::reader::ReaderModel::prior(
                    Array2::from_shape_fn((6, columns + 1), |(i, j)| ((i + j) % 3) as f32).view(),
                    super::super::reader::Prior::on(columns),
                ),
            }],
        });
        let dir = tempfile::tempdir().unwrap();
        stored.store(dir.path()).unwrap();
        let back = Stored::load(dir.path(), "toy-model")
            .expect("every model learn writes loads")
            .expect("present");
        assert_eq!(back, stored);
        (trained, back)
    }

    #[test]
    fn an_interest_model_of_another_width_is_damage() {
        let (_, mut bad) = round_trip(&examples(
            200,
            30,
            |i| format!("2025-05-0{}", 1 + i % 4),
            true,
        ));
        let fit = bad.reader.as_mut().unwrap();
        fit.interests[0].model = fit.model.clone();
        let dir = tempfile::tempdir().unwrap();
        bad.store(dir.path()).unwrap();
        let e = Stored::load(dir.path(), "toy-model")
            .unwrap_err()
            .to_string();
        assert!(e.contains("the file is damaged"), "{e}");
    }

    #[test]
    fn every_kind_of_training_run_writes_a_model_that_loads() {
        // Four days, words: folds by day, chosen by cross-validation.
        let (t, s) = round_trip(&examples(
            200,
            30,
            |i| format!("2025-05-0{}", 1 + i % 4),
            true,
        ));
        assert_eq!(
            (t.fold_by, t.folds, t.chosen_by_cv),
            (FoldBy::Days, 4, true)
        );
        assert!(t.cv.iter().all(|c| c.roc_auc.is_some()));
        assert_eq!(s.ranker.as_ref().unwrap().cv.len(), 20);

        // One day: folds of papers, still measured.
        let (t, s) = round_trip(&examples(200, 30, |_| "2025-05-12".into(), true));
        assert_eq!((t.fold_by, t.folds), (FoldBy::Papers, 5));
        assert!(t.held_out_roc_auc().is_some());
        assert_eq!(s.ranker.unwrap().fold_by, FoldBy::Papers);

        // No words (vector-only papers): only the settings without words are tried.
        let (t, _) = round_trip(&examples(
            200,
            30,
            |i| format!("2025-05-0{}", 1 + i % 2),
            false,
        ));
        assert_eq!(t.cv.len(), 5);
        assert!(t.model.text.is_none());

        // A library has no days: five fixed groups of papers stand in for them.
        let (t, _) = round_trip(&examples(
            200,
            30,
            |i| {
                format!(
                    "library-{}",
                    crate::fsutil::fnv(&format!("2505.{:05}", i + 1)) % 5
                )
            },
            false,
        ));
        assert_eq!((t.fold_by, t.folds), (FoldBy::Days, 5));

        // Two days with every pick on the first: holding it out leaves no pick to train on,
        // holding out the other leaves none to measure. Nothing is measured, the default
        // setting is used and said to be, and `null` figures read back.
        let (t, s) = round_trip(&examples(
            200,
            30,
            |i| {
                if i < 30 || i % 2 == 0 {
                    "2025-05-12"
                } else {
                    "2025-05-13"
                }
                .into()
            },
            true,
        ));
        assert!(!t.chosen_by_cv);
        assert!(t.cv.iter().all(|c| c.roc_auc.is_none()));
        assert_eq!(
            (
                t.model.lambda,
                t.model.text.as_ref().map_or(0.0, |w| w.scale)
            ),
            crate::learn::DEFAULT_SETTING
        );
        let r = s.ranker.unwrap();
        assert!(!r.chosen_by_cv && r.cv.iter().all(|c| c.roc_auc.is_none()));
    }

    #[test]
    fn a_version_1_file_reads_and_a_damaged_one_is_named() {
        let ex = examples(120, 25, |i| format!("2025-05-0{}", 1 + i % 3), false);
        let (_, stored) = round_trip(&ex);
        let r = stored.ranker.clone().unwrap();
        // Version 1: the ranker's fields at the top level, a held-out figure possibly null
        // (what a one-day `learn` wrote before it was fixed).
        let mut v1 = serde_json::json!({
            "format": FORMAT, "version": 1, "fingerprint": "toy-model", "vector_dims": 4,
            "parts": r.parts, "model": r.model, "raw_at_1": r.raw_at_1,
            "raw_at_10": r.raw_at_10, "training": r.training, "first_day": r.first_day,
            "last_day": r.last_day, "folds": 1,
            "cv": [{"lambda": 0.03, "text_scale": 0.0, "roc_auc": null}],
            "trained_by": "arxrank 0.1.0", "liked": r.liked,
        });
        let dir = tempfile::tempdir().unwrap();
        let write = |v: &serde_json::Value| {
            let path = Stored::path(dir.path());
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, v.to_string()).unwrap();
        };
        write(&v1);
        let old = Stored::load(dir.path(), "toy-model").unwrap().unwrap();
        assert_eq!(old.version, 1);
        assert_eq!(old.ranker.as_ref().unwrap().model, r.model);
        assert!(old.marks.is_empty());

        v1["model"]["weights"] = serde_json::json!([1.0]);
        write(&v1);
        let e = Stored::load(dir.path(), "toy-model")
            .unwrap_err()
            .to_string();
        assert!(e.contains("model.json") && e.contains("damaged"), "{e}");

        let mut v2 = serde_json::to_value(&stored).unwrap();
        v2["marks"]["papers"][0]["vector"] = "AAAA".into();
        write(&v2);
        let e = Stored::load(dir.path(), "toy-model")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("marked paper 2505.00002") && e.contains("damaged"),
            "{e}"
        );

        v2["version"] = 3.into();
        write(&v2);
        let e = Stored::load(dir.path(), "toy-model")
            .unwrap_err()
            .to_string();
        assert!(e.contains("format version 3"), "{e}");

        assert!(Stored::remove(dir.path()).unwrap());
        assert!(!dir.path().join(DIR).exists());
        assert!(!Stored::remove(dir.path()).unwrap());
    }

    #[test]
    fn a_damaged_model_of_the_marks_is_refused() {
        let (_, stored) = round_trip(&examples(
            200,
            30,
            |i| format!("2025-05-0{}", 1 + i % 4),
            false,
        ));
        let mut json = serde_json::to_value(&stored).unwrap();
        json["reader"]["model"]["weights"]
            .as_array_mut()
            .unwrap()
            .pop();
        let e = Stored::parse(Path::new("model.json"), &json.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains("model.json") && e.contains("damaged"), "{e}");
        let mut json = serde_json::to_value(&stored).unwrap();
        json["reader"]["over_ranker"] = false.into();
        let e = Stored::parse(Path::new("model.json"), &json.to_string()).unwrap_err();
        assert!(e.to_string().contains("damaged"), "{e}");
    }

    #[test]
    fn a_liked_paper_finds_itself_at_cosine_one() {
        let v = [0.1f32, -0.7, 0.2, 0.68];
        let m = Mark::new(
            PaperId::parse("2505.00001").unwrap(),
            "t".into(),
            crate::ingest::Day::parse("2025-05-12").unwrap(),
            true,
            &v,
        );
        let back = m.decode(4).unwrap();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let cos: f32 = back.iter().zip(&v).map(|(a, b)| a * b / norm).sum();
        assert!(cos > 0.99999, "{cos}");
    }
}
