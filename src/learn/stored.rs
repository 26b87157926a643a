//! A profile's learned model on disk: `<profile>/learned/model.json`, written by
//! `arxrank learn` and read by `rank` and `eval` when the profile is used.
//!
//! One JSON file, replaced atomically: the weights and their z-scoring, the 1-10 scale fitted
//! on held-out scores, the embedding model's fingerprint (vector columns mean nothing under
//! another model, so a mismatch is refused), and what it was trained on and how well it did
//! on days it had not seen.

use std::path::{Path, PathBuf};

use base64::Engine;
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{LearnError, LinearModel, PART_NAMES};
use crate::fsutil::IoError;
use crate::ingest::PaperId;
use crate::topics::Scale;

pub const FORMAT: &str = "arxrank-learned";
pub const VERSION: u32 = 1;
/// The folder inside a profile.
pub const DIR: &str = "learned";
const FILE: &str = "model.json";

/// A trained model with everything needed to use it and to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub format: String,
    pub version: u32,
    /// The embedding model the vectors came from.
    pub fingerprint: String,
    /// Columns: the vector's dimensions, then [`PART_NAMES`].
    pub vector_dims: usize,
    pub parts: Vec<String>,
    pub model: LinearModel,
    /// Learned scores at relevance 1 and 10, fitted on the held-out scores so that the share
    /// of papers at 8 or more is the judge's pick rate.
    pub raw_at_1: f32,
    pub raw_at_10: f32,
    pub training: Vec<TrainingSet>,
    pub first_day: String,
    pub last_day: String,
    /// Day-grouped cross-validation: folds, and the held-out ROC-AUC of each L2 strength.
    pub folds: usize,
    pub cv: Vec<CvRow>,
    pub trained_by: String,
    /// The latest picks, so a comment can name the one a paper is closest to.
    #[serde(default)]
    pub liked: Vec<LikedPaper>,
}

/// A pick of the training days: its id, title and day, and its vector stored as 8-bit
/// integers (base64), which is close enough to find the nearest and keeps the file small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikedPaper {
    pub id: PaperId,
    pub title: String,
    pub day: String,
    pub vector: String,
}

/// At most this many picks are kept, the latest first: 2,000 cost about 1 MB.
pub const MAX_LIKED: usize = 2000;

impl LikedPaper {
    pub fn new(id: PaperId, title: String, day: String, vector: ArrayView1<f32>) -> Self {
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
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        Some(v.into_iter().map(|x| x / norm).collect())
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
                let (best, cos) =
                    row.iter()
                        .enumerate()
                        .fold(
                            (0, f32::NEG_INFINITY),
                            |b, (i, &c)| if c > b.1 { (i, c) } else { b },
                        );
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
    pub roc_auc: f64,
}

impl Stored {
    pub fn path(profile_dir: &Path) -> PathBuf {
        profile_dir.join(DIR).join(FILE)
    }

    /// The profile's model, if it has one. A model of another format version, or one
    /// trained on another embedding model's vectors, is an error naming the file.
    pub fn load(profile_dir: &Path, fingerprint: &str) -> Result<Option<Self>, LearnError> {
        let path = Self::path(profile_dir);
        if !path.exists() {
            return Ok(None);
        }
        let text = fs_err::read_to_string(&path).map_err(IoError::read(&path))?;
        let invalid = |message: String| LearnError::Invalid {
            path: path.clone(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
        if value["format"] != FORMAT {
            return Err(invalid(format!("not an {FORMAT} file")));
        }
        if value["version"].as_u64() != Some(u64::from(VERSION)) {
            return Err(invalid(format!(
                "format version {} is not the {VERSION} this arxrank reads",
                value["version"]
            )));
        }
        let stored: Self = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        let columns = stored.vector_dims + stored.parts.len();
        if stored.model.weights.len() != columns
            || stored.model.mean.len() != columns
            || stored.model.scale.len() != columns
            || stored.parts != PART_NAMES
            || stored.model.text.as_ref().is_some_and(|t| {
                t.weights.len() != t.vocabulary.len()
                    || t.vocabulary.idf.len() != t.vocabulary.len()
            })
            || stored
                .liked
                .iter()
                .any(|l| l.decode(stored.vector_dims).is_none())
        {
            return Err(invalid(format!(
                "{} weights for {columns} columns: the file is damaged",
                stored.model.weights.len()
            )));
        }
        if stored.fingerprint != fingerprint {
            return Err(LearnError::ModelMismatch {
                path,
                trained: stored.fingerprint,
                model: fingerprint.to_owned(),
            });
        }
        Ok(Some(stored))
    }

    /// Writes the model atomically into the profile; returns the file written.
    pub fn store(&self, profile_dir: &Path) -> Result<PathBuf, LearnError> {
        let path = Self::path(profile_dir);
        let mut json = serde_json::to_string_pretty(self).expect("a model serialises");
        json.push('\n');
        crate::fsutil::write_atomic(&path, json.as_bytes())?;
        Ok(path)
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
    pub fn liked_index(&self) -> LikedIndex<'_> {
        let rows: Vec<Vec<f32>> = self
            .liked
            .iter()
            .map(|l| l.decode(self.vector_dims).expect("checked on load"))
            .collect();
        let mut vectors = Array2::zeros((rows.len(), self.vector_dims));
        for (i, r) in rows.iter().enumerate() {
            vectors.row_mut(i).assign(&ArrayView1::from(r.as_slice()));
        }
        LikedIndex {
            papers: &self.liked,
            vectors,
        }
    }

    /// What pushed one paper's score up or down most: the vector as one part (closeness to
    /// the kind of paper the judge picked), the words as another, and each of the hybrid's
    /// parts, strongest first; then the words that raised it most, as arxiv-sanity shows its
    /// SVM's. `words` is the paper's row of [`super::LinearModel::words`].
    pub fn explain(&self, row: ArrayView1<f32>, words: Option<(&[u32], &[f32])>) -> String {
        let c = self.model.contributions(row);
        let mut parts: Vec<(String, f32)> = vec![(
            "vector like past picks".into(),
            c[..self.vector_dims].iter().sum(),
        )];
        for (k, name) in self.parts.iter().enumerate() {
            parts.push((name.clone(), c[self.vector_dims + k]));
        }
        let mut top = Vec::new();
        if let (Some(t), Some(words)) = (&self.model.text, words) {
            parts.push(("words".into(), t.row_score(words)));
            top = t.top_terms(words, 3);
        }
        parts.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        let mut out = parts
            .iter()
            .take(3)
            .map(|(name, c)| format!("{name} {c:+.2}"))
            .collect::<Vec<_>>()
            .join(", ");
        if !top.is_empty() {
            let w: Vec<&str> = top.iter().map(|(w, _)| w.as_str()).collect();
            out.push_str(&format!("; words: {}", w.join(", ")));
        }
        out
    }
}
