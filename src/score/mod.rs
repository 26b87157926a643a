//! Score: pure functions from (paper, topic similarities, profile) to a relevance score with
//! its explanation. No I/O and no model here, so every rule is unit-testable on its own.

use std::collections::BTreeMap;

use regex::Regex;

use crate::ingest::Paper;
use crate::topics::Profile;

/// A compiled keyword: the phrase as the profile spells it and its matcher.
#[derive(Debug, Clone)]
struct Keyword {
    phrase: String,
    re: Regex,
}

impl Keyword {
    fn new(phrase: &str) -> Self {
        let norm = normalize(phrase);
        let words: Vec<String> = norm.split(' ').map(regex::escape).collect();
        // Whole words only, with an optional plural ending so "diffusion model" also matches
        // "diffusion models" but "moe" never matches inside "moea".
        let pattern = format!(r"\b{}(?:s|es)?\b", words.join(" "));
        Self {
            phrase: phrase.to_owned(),
            re: Regex::new(&pattern).expect("escaped phrase is a valid regex"),
        }
    }
}

/// Lowercases and turns hyphens, slashes and underscores into spaces, so
/// "Mixture-of-Experts" and "mixture of experts" are the same words.
fn normalize(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| match c {
            '-' | '‐' | '‑' | '–' | '_' | '/' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    crate::ingest::collapse_ws(&mapped)
}

fn author_key(name: &str) -> String {
    normalize(&name.replace('.', " "))
}

/// The profile's keyword and author rules, compiled once per run.
#[derive(Debug, Clone)]
pub struct Scorer {
    profile: Profile,
    relevant: Vec<Keyword>,
    irrelevant: Vec<Keyword>,
    application: Vec<Keyword>,
    authors: BTreeMap<String, String>,
}

/// Why a paper scored what it did; rendered as the digest's comment.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scored {
    /// 1-10, the digest's scale.
    pub relevance: u8,
    /// The unscaled sum of the score's parts.
    pub raw: f32,
    pub best_topic: String,
    pub best_similarity: f32,
    /// Best cosine to the profile's negative anchors (0 when it has none).
    pub negative_similarity: f32,
    /// Cosine to each topic (best over its anchors), in profile order.
    pub topic_similarity: Vec<(String, f32)>,
    pub keywords: Vec<String>,
    pub title_keyword: bool,
    pub irrelevant: Vec<String>,
    pub application: Vec<String>,
    pub author: Option<String>,
    pub selected: bool,
    pub comment: String,
}

impl Scorer {
    pub fn new(profile: &Profile) -> Self {
        let compile = |list: &[String]| -> Vec<Keyword> {
            let mut seen = std::collections::HashSet::new();
            list.iter()
                .filter(|k| !k.trim().is_empty() && seen.insert(normalize(k)))
                .map(|k| Keyword::new(k))
                .collect()
        };
        let relevant: Vec<String> = profile
            .keywords
            .relevant
            .iter()
            .chain(profile.topics.iter().flat_map(|t| t.keywords.iter()))
            .cloned()
            .collect();
        Self {
            relevant: compile(&relevant),
            irrelevant: compile(&profile.keywords.irrelevant),
            application: compile(&profile.keywords.application),
            authors: profile
                .authors
                .iter()
                .map(|a| (author_key(a), a.clone()))
                .collect(),
            profile: profile.clone(),
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Scores one paper. `topic_sims[i]` is the paper's best cosine to topic `i`;
    /// `negative` its best cosine to the negative anchors.
    pub fn score(&self, paper: &Paper, topic_sims: &[f32], negative: f32) -> Scored {
        let w = &self.profile.weights;
        let title = normalize(&paper.title);
        let text = format!("{title} {}", normalize(&paper.abstract_text));
        let hits = |set: &[Keyword]| -> Vec<String> {
            set.iter()
                .filter(|k| k.re.is_match(&text))
                .map(|k| k.phrase.clone())
                .collect()
        };
        let keywords = hits(&self.relevant);
        let title_keyword = self.relevant.iter().any(|k| k.re.is_match(&title));
        let irrelevant = hits(&self.irrelevant);
        let application = hits(&self.application);
        let author = paper
            .authors
            .iter()
            .find_map(|a| self.authors.get(&author_key(a)).cloned());

        let (best_idx, best_similarity) =
            topic_sims
                .iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f32::MIN),
                    |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
                );
        let best_similarity = best_similarity.max(0.0);
        let raw = w.similarity * best_similarity
            + w.keyword * keywords.len().min(w.keyword_cap) as f32
            + if title_keyword { w.title_keyword } else { 0.0 }
            - w.irrelevant * irrelevant.len().min(w.penalty_cap) as f32
            - w.application * application.len().min(w.penalty_cap) as f32
            + if author.is_some() { w.author } else { 0.0 }
            - w.negative * (negative - best_similarity).max(0.0);
        let relevance = self.scale(raw);
        let selected = relevance >= self.profile.scale.select_min || author.is_some();
        let best_topic = self
            .profile
            .topics
            .get(best_idx)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let topic_similarity = self
            .profile
            .topics
            .iter()
            .zip(topic_sims)
            .map(|(t, s)| (t.name.clone(), *s))
            .collect();
        let mut scored = Scored {
            relevance,
            raw,
            best_topic,
            best_similarity,
            negative_similarity: negative,
            topic_similarity,
            keywords,
            title_keyword,
            irrelevant,
            application,
            author,
            selected,
            comment: String::new(),
        };
        scored.comment = comment(&scored);
        scored
    }

    /// Linear map of the raw score onto 1-10, clamped and rounded.
    pub fn scale(&self, raw: f32) -> u8 {
        let s = &self.profile.scale;
        one_to_ten((raw - s.raw_at_1) / (s.raw_at_10 - s.raw_at_1))
    }
}

/// Novelty on the 1-10 scale from the cosines of a paper's nearest past papers (best first);
/// `None` when there is no past to compare with.
pub fn novelty(nearest: &[f32], scale: &crate::topics::NoveltyScale) -> Option<u8> {
    let k = nearest.len().min(scale.k);
    if k == 0 {
        return None;
    }
    if nearest[0] >= scale.duplicate_cosine {
        return Some(1);
    }
    let mean = nearest[..k].iter().sum::<f32>() / k as f32;
    Some(one_to_ten(
        (scale.cosine_at_1 - mean) / (scale.cosine_at_1 - scale.cosine_at_10),
    ))
}

/// The digest's 1-10 scale: `t` = 0 maps to 1, `t` = 1 to 10, rounded and clamped.
fn one_to_ten(t: f32) -> u8 {
    (1.0 + 9.0 * t).round().clamp(1.0, 10.0) as u8
}

fn comment(s: &Scored) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &s.author {
        parts.push(format!("Author match: {a}"));
    }
    parts.push(format!(
        "{} (cosine {:.2})",
        s.best_topic, s.best_similarity
    ));
    if s.negative_similarity > s.best_similarity {
        parts.push(format!(
            "closer to unwanted work (cosine {:.2})",
            s.negative_similarity
        ));
    }
    if !s.keywords.is_empty() {
        parts.push(format!("keywords: {}", s.keywords.join(", ")));
    }
    if !s.irrelevant.is_empty() {
        parts.push(format!("off-topic: {}", s.irrelevant.join(", ")));
    }
    if !s.application.is_empty() {
        parts.push(format!("application: {}", s.application.join(", ")));
    }
    parts.join("; ")
}

/// Compares scored papers for the digest: author matches first (as gpt_paper_assistant does),
/// then by raw score, ties broken by id so the order is reproducible.
pub fn rank_cmp(a: (&Paper, &Scored), b: (&Paper, &Scored)) -> std::cmp::Ordering {
    let ((pa, sa), (pb, sb)) = (a, b);
    sb.author
        .is_some()
        .cmp(&sa.author.is_some())
        .then(sb.raw.total_cmp(&sa.raw))
        .then_with(|| pa.id.cmp(&pb.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{AnnounceType, PaperId};
    use crate::topics::{Keywords, Scale, Topic, Weights};

    fn profile() -> Profile {
        let topic = |name: &str| Topic {
            name: name.into(),
            description: "d".into(),
            irrelevant: String::new(),
            anchors: vec![],
            keywords: vec![],
        };
        Profile {
            name: "test".into(),
            topics: vec![topic("Architecture"), topic("Compression")],
            keywords: Keywords {
                relevant: vec![
                    "Mixture of Experts".into(),
                    "MoE".into(),
                    "quantization".into(),
                ],
                irrelevant: vec!["reinforcement learning".into()],
                application: vec!["medical imaging".into()],
            },
            negative: Default::default(),
            authors: vec!["Yann LeCun".into()],
            weights: Weights {
                similarity: 1.0,
                keyword: 0.05,
                keyword_cap: 3,
                title_keyword: 0.05,
                irrelevant: 0.06,
                application: 0.05,
                penalty_cap: 2,
                author: 0.5,
                negative: 0.0,
            },
            scale: Scale {
                raw_at_1: 0.1,
                raw_at_10: 0.75,
                select_min: 8,
            },
            novelty: crate::topics::NoveltyScale {
                k: 3,
                duplicate_cosine: 0.95,
                cosine_at_1: 0.9,
                cosine_at_10: 0.4,
            },
            source: "test".into(),
        }
    }

    fn paper(title: &str, abstract_text: &str, authors: &[&str]) -> Paper {
        Paper {
            id: PaperId::parse("2603.00001").unwrap(),
            title: title.into(),
            authors: authors.iter().map(|a| a.to_string()).collect(),
            abstract_text: abstract_text.into(),
            categories: vec![],
            date: None,
            announce: AnnounceType::New,
        }
    }

    #[test]
    fn keywords_match_whole_words_across_hyphens() {
        let s = Scorer::new(&profile());
        let r = s.score(
            &paper(
                "Sparse Mixture-of-Experts at scale",
                "We route tokens.",
                &["A"],
            ),
            &[0.3, 0.1],
            0.0,
        );
        assert_eq!(r.keywords, vec!["Mixture of Experts"]);
        assert!(r.title_keyword);
        let r = s.score(
            &paper(
                "MOEA/D for scheduling",
                "A multi-objective evolutionary method.",
                &["A"],
            ),
            &[0.3, 0.1],
            0.0,
        );
        assert!(
            r.keywords.is_empty(),
            "moe must not match inside moea: {:?}",
            r.keywords
        );
    }

    #[test]
    fn boosts_and_penalties_move_the_score_in_the_right_direction() {
        let s = Scorer::new(&profile());
        let base = s.score(
            &paper("A study", "We study networks.", &["A"]),
            &[0.4, 0.2],
            0.0,
        );
        let boosted = s.score(
            &paper("A study", "We study quantization of networks.", &["A"]),
            &[0.4, 0.2],
            0.0,
        );
        let penalised = s.score(
            &paper(
                "A study",
                "We study networks for medical imaging with reinforcement learning.",
                &["A"],
            ),
            &[0.4, 0.2],
            0.0,
        );
        assert!(boosted.raw > base.raw);
        assert!(penalised.raw < base.raw);
        assert_eq!(penalised.application, vec!["medical imaging"]);
        assert_eq!(penalised.irrelevant, vec!["reinforcement learning"]);
        assert!(
            penalised.comment.contains("application: medical imaging"),
            "{}",
            penalised.comment
        );
    }

    #[test]
    fn author_match_is_named_and_selected() {
        let s = Scorer::new(&profile());
        let r = s.score(
            &paper("Unrelated", "Nothing here.", &["J. Doe", "yann lecun"]),
            &[0.0, 0.0],
            0.0,
        );
        assert_eq!(r.author.as_deref(), Some("Yann LeCun"));
        assert!(r.selected);
        assert!(
            r.comment.starts_with("Author match: Yann LeCun"),
            "{}",
            r.comment
        );
    }

    #[test]
    fn scale_is_clamped_and_monotone() {
        let s = Scorer::new(&profile());
        assert_eq!(s.scale(-1.0), 1);
        assert_eq!(s.scale(5.0), 10);
        let mut last = 0;
        for i in 0..100 {
            let r = s.scale(i as f32 / 100.0);
            assert!(r >= last);
            last = r;
        }
    }

    #[test]
    fn novelty_falls_as_past_papers_get_closer() {
        let scale = crate::topics::NoveltyScale {
            k: 2,
            duplicate_cosine: 0.95,
            cosine_at_1: 0.9,
            cosine_at_10: 0.4,
        };
        assert_eq!(novelty(&[], &scale), None);
        assert_eq!(novelty(&[0.99, 0.95], &scale), Some(1));
        assert_eq!(novelty(&[0.3, 0.2], &scale), Some(10));
        // Only the k nearest count: a far third neighbour changes nothing.
        assert_eq!(
            novelty(&[0.7, 0.6, 0.0], &scale),
            novelty(&[0.7, 0.6], &scale)
        );
        assert!(novelty(&[0.8, 0.8], &scale) < novelty(&[0.6, 0.6], &scale));
        // One twin is enough, however far the rest are.
        assert_eq!(novelty(&[0.96, 0.2], &scale), Some(1));
    }

    #[test]
    fn names_the_best_topic() {
        let s = Scorer::new(&profile());
        let r = s.score(&paper("t", "a", &["A"]), &[0.2, 0.5], 0.0);
        assert_eq!(r.best_topic, "Compression");
        assert!((r.best_similarity - 0.5).abs() < 1e-6);
    }
}

/// Embedded topic anchors: row `i` of `vectors` belongs to topic `owner[i]`; owner
/// `topics` (one past the last topic) marks a negative anchor.
#[derive(Debug, Clone)]
pub struct TopicVectors {
    vectors: ndarray::Array2<f32>,
    owner: Vec<usize>,
    topics: usize,
}

/// A batch of documents' similarities: `topics` is `(documents x topics)`, `negative` the
/// best cosine to any negative anchor (0 without negative anchors).
#[derive(Debug, Clone)]
pub struct Similarities {
    pub topics: ndarray::Array2<f32>,
    pub negative: Vec<f32>,
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

    /// `(documents x topics)`: each document's best cosine over each topic's anchors. Rows of
    /// both matrices are unit vectors, so the dot product is the cosine.
    pub fn similarities(&self, docs: &ndarray::Array2<f32>) -> Similarities {
        let all = docs.dot(&self.vectors.t());
        // One extra column collects the negative anchors.
        let mut best = ndarray::Array2::from_elem((docs.nrows(), self.topics + 1), f32::MIN);
        for (col, &t) in self.owner.iter().enumerate() {
            for row in 0..docs.nrows() {
                let v = all[[row, col]];
                if v > best[[row, t]] {
                    best[[row, t]] = v;
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
        }
    }
}
