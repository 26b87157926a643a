//! The reader's marks as a profile stores them: what `learn --feedback` reads from the
//! site's export and `learn::Stored` keeps in `model.json`.

use std::path::PathBuf;

use base64::Engine;
use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::ingest::{Day, PaperId};

/// The reader's marks: each liked or disliked paper with its vector, and the files they were
/// read from (with each file's sha256, so a changed file can be told from the one used).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Marks {
    pub sources: Vec<MarkSource>,
    pub papers: Vec<Mark>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkSource {
    pub file: PathBuf,
    pub sha256: String,
    pub marks: usize,
}

/// One marked paper. The vector is kept in half precision (base64 of little-endian f16):
/// a liked paper is an anchor other papers are measured against, so it must find itself at
/// cosine 1, which 8 bits would not quite give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub id: PaperId,
    pub title: String,
    /// The day whose page it was marked on.
    pub day: Day,
    pub liked: bool,
    pub vector: String,
}

impl Mark {
    pub fn new(id: PaperId, title: String, day: Day, liked: bool, vector: &[f32]) -> Self {
        let bytes: Vec<u8> = vector
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect();
        Self {
            id,
            title,
            day,
            liked,
            vector: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    pub(crate) fn decode(&self, dim: usize) -> Option<Vec<f32>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.vector)
            .ok()?;
        if bytes.len() != dim * 2 {
            return None;
        }
        let v: Vec<f32> = bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect();
        v.iter().all(|x| x.is_finite()).then(|| unit(v))
    }
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        self.papers.is_empty()
    }

    pub fn likes(&self) -> impl Iterator<Item = &Mark> {
        self.papers.iter().filter(|m| m.liked)
    }

    pub fn dislikes(&self) -> impl Iterator<Item = &Mark> {
        self.papers.iter().filter(|m| !m.liked)
    }

    /// The liked and the disliked papers' vectors, one unit row each, in the order of
    /// [`Marks::likes`] and [`Marks::dislikes`].
    pub fn vectors(&self, dim: usize) -> (Array2<f32>, Array2<f32>) {
        let decode = |m: &Mark| m.decode(dim).expect("checked on load");
        let likes: Vec<Vec<f32>> = self.likes().map(decode).collect();
        let dislikes: Vec<Vec<f32>> = self.dislikes().map(decode).collect();
        (rows(&likes, dim), rows(&dislikes, dim))
    }
}

pub(crate) fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.into_iter().map(|x| x / norm).collect()
}

/// Rows of unit vectors, one per item.
pub(crate) fn rows(vectors: &[Vec<f32>], dim: usize) -> Array2<f32> {
    let mut m = Array2::zeros((vectors.len(), dim));
    for (i, r) in vectors.iter().enumerate() {
        m.row_mut(i).assign(&ArrayView1::from(r.as_slice()));
    }
    m
}
