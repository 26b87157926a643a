//! A profile's learned model on disk: `<profile>/learned/model.json`, written by
//! `arxrank learn` and read by `rank` and `eval` when the profile is used.
//!
//! One JSON file, replaced atomically: the weights and their z-scoring, the 1-10 scale fitted
//! on held-out scores, the embedding model's fingerprint (vector columns mean nothing under
//! another model, so a mismatch is refused), and what it was trained on and how well it did
//! on days it had not seen.

use std::path::{Path, PathBuf};

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{LearnError, LinearModel, PART_NAMES};
use crate::fsutil::IoError;
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

    pub fn score(&self, x: ArrayView2<f32>) -> Vec<f32> {
        self.model.score(x)
    }

    /// What pushed one paper's score up or down most: the vector as one part (closeness to
    /// the kind of paper the judge picked), and each of the hybrid's parts, strongest first.
    pub fn explain(&self, row: ArrayView1<f32>) -> String {
        let m = &self.model;
        let contribution = |j: usize| m.weights[j] * (row[j] - m.mean[j]) / m.scale[j];
        let mut parts: Vec<(String, f32)> = vec![(
            "paper's text like past picks".into(),
            (0..self.vector_dims).map(contribution).sum(),
        )];
        for (k, name) in self.parts.iter().enumerate() {
            parts.push((name.clone(), contribution(self.vector_dims + k)));
        }
        parts.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        parts
            .iter()
            .take(3)
            .map(|(name, c)| format!("{name} {c:+.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
