//! The lexical part of the hybrid score: BM25 of each paper against the topics' own words.

use crate::ingest::Paper;
use crate::topics::Profile;

/// Okapi BM25 (k1 1.2, b 0.75, English stemming and stop words) of papers against each
/// topic's text: its description, anchors and keywords plus the profile's relevant
/// keywords. A paper's score is its best topic's. Document frequencies come from the papers
/// scored together (a day's listing), as nothing else is known on the day.
///
/// Sentence embeddings blur exact terms ("MoE", "quantization") that a judge reading for
/// keywords rewards; BM25 keeps them, so the hybrid can add it as its lexical part.
#[derive(Debug, Clone)]
pub struct Lexical {
    queries: Vec<String>,
}

impl Lexical {
    pub fn new(profile: &Profile) -> Self {
        let shared = profile.keywords.relevant.join(" ");
        let queries = profile
            .topics
            .iter()
            .map(|t| {
                format!(
                    "{} {} {shared}",
                    t.anchor_texts().join(" "),
                    t.keywords.join(" ")
                )
            })
            .collect();
        Self { queries }
    }

    /// Raw BM25 per paper (best topic).
    pub fn bm25(&self, papers: &[Paper]) -> Vec<f32> {
        let texts: Vec<String> = papers.iter().map(Paper::embedding_text).collect();
        let corpus: Vec<&str> = texts.iter().map(String::as_str).collect();
        let embedder =
            bm25::EmbedderBuilder::<u32>::with_fit_to_corpus(bm25::Language::English, &corpus)
                .k1(1.2)
                .b(0.75)
                .build();
        let mut scorer = bm25::Scorer::<usize>::new();
        for (i, t) in corpus.iter().enumerate() {
            scorer.upsert(&i, embedder.embed(t));
        }
        let queries: Vec<_> = self.queries.iter().map(|q| embedder.embed(q)).collect();
        (0..corpus.len())
            .map(|i| {
                queries
                    .iter()
                    .filter_map(|q| scorer.score(&i, q))
                    .fold(0.0f32, f32::max)
            })
            .collect()
    }

    /// BM25 divided by the best paper's, so 0-1 whatever the query length: the listing's
    /// closest lexical match gets 1. All zeros when no paper shares a word with the topics.
    pub fn normalized(&self, papers: &[Paper]) -> Vec<f32> {
        let raw = self.bm25(papers);
        let best = raw.iter().copied().fold(0.0f32, f32::max);
        if best <= 0.0 {
            return vec![0.0; raw.len()];
        }
        raw.into_iter().map(|x| x / best).collect()
    }
}
