//! Topic similarities: each paper's cosine to every topic's anchors, computed for a whole
//! day at once as one matrix product.

/// Embedded topic anchors: row `i` of `vectors` belongs to topic `owner[i]`; owner
/// `topics` (one past the last topic) marks a negative anchor.
#[derive(Debug, Clone)]
pub struct TopicVectors {
    vectors: ndarray::Array2<f32>,
    owner: Vec<usize>,
    topics: usize,
}

/// A batch of documents' similarities: `topics` is `(documents x topics)`, `negative` the
/// best cosine to any negative anchor (0 without negative anchors), `top_anchors` each
/// document's three best cosines over all topic anchors.
#[derive(Debug, Clone)]
pub struct Similarities {
    pub topics: ndarray::Array2<f32>,
    pub negative: Vec<f32>,
    pub top_anchors: Vec<[f32; 3]>,
    /// Each document's [`super::Lexical`] score; zeros until [`Similarities::set_lexical`].
    pub lexical: Vec<f32>,
    /// Each document's closest liked and disliked paper; empty until
    /// [`Similarities::set_marks`].
    pub marks: Vec<MarkRow>,
}

/// A document's closest marked papers: the index (among the likes, or the dislikes) and
/// cosine of each, where the reader marked any.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MarkRow {
    pub liked: Option<(usize, f32)>,
    pub disliked: Option<(usize, f32)>,
}

/// The reader's marked papers as unit vectors, one row each: liked and disliked apart.
#[derive(Debug, Clone)]
pub struct MarkVectors {
    pub likes: ndarray::Array2<f32>,
    pub dislikes: ndarray::Array2<f32>,
}

impl MarkVectors {
    /// Each document's closest liked and closest disliked paper (rows of `docs` are unit
    /// vectors).
    pub fn closest(&self, docs: ndarray::ArrayView2<f32>) -> Vec<MarkRow> {
        let best = |marks: &ndarray::Array2<f32>| -> Vec<Option<(usize, f32)>> {
            if marks.nrows() == 0 {
                return vec![None; docs.nrows()];
            }
            docs.dot(&marks.t())
                .rows()
                .into_iter()
                .map(|row| {
                    row.iter()
                        .copied()
                        .enumerate()
                        .fold(None, |b: Option<(usize, f32)>, (i, c)| match b {
                            Some((_, bc)) if bc >= c => b,
                            _ => Some((i, c)),
                        })
                })
                .collect()
        };
        best(&self.likes)
            .into_iter()
            .zip(best(&self.dislikes))
            .map(|(liked, disliked)| MarkRow { liked, disliked })
            .collect()
    }
}

/// One document's row of [`Similarities`].
#[derive(Debug, Clone, Copy)]
pub struct SimilarityRow<'a> {
    pub topics: &'a [f32],
    pub top_anchors: [f32; 3],
    pub negative: f32,
    pub lexical: f32,
    pub marks: MarkRow,
}

impl Similarities {
    /// The topic each document is closest to: the scorer's best topic, and the interest a
    /// mark on the paper teaches.
    pub fn closest_topics(&self) -> Vec<usize> {
        (self.topics.rows().into_iter())
            .map(|r| crate::metrics::best_of(r).0)
            .collect()
    }

    pub fn row(&self, i: usize) -> SimilarityRow<'_> {
        SimilarityRow {
            topics: self
                .topics
                .row(i)
                .to_slice()
                .expect("an owned row-major array"),
            top_anchors: self.top_anchors[i],
            negative: self.negative[i],
            lexical: self.lexical[i],
            marks: self.marks.get(i).copied().unwrap_or_default(),
        }
    }

    /// Adds the documents' closest marked papers (one row per document, in order).
    pub fn set_marks(&mut self, marks: Vec<MarkRow>) {
        assert_eq!(marks.len(), self.negative.len(), "one row per document");
        self.marks = marks;
    }

    /// Adds the documents' lexical scores (one per document, in order).
    pub fn set_lexical(&mut self, lexical: Vec<f32>) {
        assert_eq!(
            lexical.len(),
            self.negative.len(),
            "one lexical score per document"
        );
        self.lexical = lexical;
    }
}

impl TopicVectors {
    pub fn new(vectors: ndarray::Array2<f32>, owner: Vec<usize>, topics: usize) -> Self {
        assert_eq!(vectors.nrows(), owner.len(), "one owner per anchor row");
        assert!(owner.iter().all(|&t| t <= topics), "owner out of range");
        Self {
            vectors,
            owner,
            topics,
        }
    }

    /// Each document's best cosine over each topic's anchors, and its best anchors overall.
    /// Rows of both matrices are unit vectors, so the dot product is the cosine.
    pub fn similarities(&self, docs: &ndarray::Array2<f32>) -> Similarities {
        let all = docs.dot(&self.vectors.t());
        // One extra column collects the negative anchors.
        let mut best = ndarray::Array2::from_elem((docs.nrows(), self.topics + 1), f32::MIN);
        let mut top_anchors = vec![[f32::MIN; 3]; docs.nrows()];
        for (col, &t) in self.owner.iter().enumerate() {
            for row in 0..docs.nrows() {
                let v = all[[row, col]];
                if v > best[[row, t]] {
                    best[[row, t]] = v;
                }
                if t < self.topics {
                    insert_top(&mut top_anchors[row], v);
                }
            }
        }
        for top in &mut top_anchors {
            // Fewer than three anchors: repeat the last one, so a mean over the top k is
            // the mean over what exists.
            for i in 1..3 {
                if top[i] == f32::MIN {
                    top[i] = top[i - 1];
                }
            }
        }
        let negative = best
            .column(self.topics)
            .iter()
            .map(|&v| if v == f32::MIN { 0.0 } else { v })
            .collect();
        Similarities {
            topics: best.slice(ndarray::s![.., ..self.topics]).to_owned(),
            negative,
            lexical: vec![0.0; top_anchors.len()],
            marks: Vec::new(),
            top_anchors,
        }
    }
}

/// Keeps `top` the three largest values seen, in descending order.
fn insert_top(top: &mut [f32; 3], v: f32) {
    if v <= top[2] {
        return;
    }
    top[2] = v;
    let mut i = 2;
    while i > 0 && top[i] > top[i - 1] {
        top.swap(i, i - 1);
        i -= 1;
    }
}
