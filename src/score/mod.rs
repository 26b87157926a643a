//! Score: pure functions from (paper, topic similarities, profile) to a relevance score with
//! its explanation. No I/O and no model here, so every rule is unit-testable on its own.

use std::collections::BTreeMap;

use regex::Regex;

use crate::ingest::Paper;
use crate::topics::{Profile, Scale, Weights};

mod lexical;
mod similarity;

pub use lexical::Lexical;
pub use similarity::{Similarities, SimilarityRow, TopicVectors};

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
    /// The lexical part before weighting (0 when the profile does not weigh it).
    pub lexical: f32,
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

/// One paper's score before weighting: similarities and keyword/author matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// Best cosine to each topic, in profile order.
    pub topic_sims: Vec<f32>,
    /// The three best cosines over all topic anchors, best first (missing ones are 0).
    pub top_anchors: [f32; 3],
    /// Best cosine to the negative anchors (0 without any).
    pub negative: f32,
    /// BM25 against the topics' text, relative to the listing's best (0-1; see [`Lexical`]).
    pub lexical: f32,
    pub keywords: Vec<String>,
    pub title_keyword: bool,
    pub irrelevant: Vec<String>,
    pub application: Vec<String>,
    pub author: Option<String>,
}

impl Features {
    /// The best topic's cosine, floored at 0.
    pub fn best_similarity(&self) -> f32 {
        self.top_anchors[0].max(0.0)
    }
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

    /// What the score is made of, for one paper: everything that does not depend on the
    /// weights, so tuning can try many weightings without re-matching keywords.
    /// `sims` holds the paper's row of [`Similarities`].
    pub fn features(&self, paper: &Paper, sims: SimilarityRow) -> Features {
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
        Features {
            topic_sims: sims.topics.to_vec(),
            top_anchors: sims.top_anchors,
            negative: sims.negative,
            lexical: sims.lexical,
            keywords,
            title_keyword,
            irrelevant,
            application,
            author,
        }
    }

    /// The raw score of `f` under weights `w` (the profile's, or a candidate's when tuning).
    pub fn raw(f: &Features, w: &Weights) -> f32 {
        let similarity = w.topic_aggregation.apply(&f.top_anchors).max(0.0);
        let best = f.best_similarity();
        w.similarity * similarity
            + w.lexical * f.lexical
            + w.keyword * f.keywords.len().min(w.keyword_cap) as f32
            + if f.title_keyword {
                w.title_keyword
            } else {
                0.0
            }
            - w.irrelevant * f.irrelevant.len().min(w.penalty_cap) as f32
            - w.application * f.application.len().min(w.penalty_cap) as f32
            + if f.author.is_some() { w.author } else { 0.0 }
            - w.negative * (f.negative - best).max(0.0)
    }

    /// Scores one paper: its features under the profile's weights, on the 1-10 scale,
    /// with the comment that explains it.
    pub fn score(&self, paper: &Paper, sims: SimilarityRow) -> Scored {
        self.score_features(self.features(paper, sims))
    }

    /// Scores papers scored together (a day's listing): row `i` of `sims` is `papers[i]`.
    /// Computes the lexical part over these papers when the profile weighs it.
    pub fn score_all(&self, papers: &[Paper], sims: &Similarities) -> Vec<Scored> {
        let lexical = (self.profile.weights.lexical != 0.0)
            .then(|| Lexical::new(&self.profile).normalized(papers));
        papers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut row = sims.row(i);
                if let Some(l) = &lexical {
                    row.lexical = l[i];
                }
                self.score(p, row)
            })
            .collect()
    }

    /// [`Scorer::score`] for features already computed.
    pub fn score_features(&self, f: Features) -> Scored {
        let raw = Self::raw(&f, &self.profile.weights);
        let (best_idx, _) =
            f.topic_sims
                .iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f32::MIN),
                    |acc, (i, s)| if s > acc.1 { (i, s) } else { acc },
                );
        let best_similarity = f.best_similarity();
        let Features {
            topic_sims,
            negative,
            lexical,
            keywords,
            title_keyword,
            irrelevant,
            application,
            author,
            ..
        } = f;
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
            .zip(&topic_sims)
            .map(|(t, s)| (t.name.clone(), *s))
            .collect();
        let mut scored = Scored {
            relevance,
            raw,
            best_topic,
            best_similarity,
            negative_similarity: negative,
            lexical,
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
        relevance_on(&self.profile.scale, raw)
    }
}

/// The 1-10 relevance of `raw` on `scale`.
pub fn relevance_on(scale: &Scale, raw: f32) -> u8 {
    one_to_ten((raw - scale.raw_at_1) / (scale.raw_at_10 - scale.raw_at_1))
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
    if s.lexical >= 0.5 {
        parts.push(format!("word overlap {:.2} of the day's best", s.lexical));
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
    use crate::topics::{Keywords, Topic};

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
                topic_aggregation: Default::default(),
                lexical: 0.0,
            },
            scale: Scale {
                raw_at_1: 0.1,
                raw_at_10: 0.75,
                select_min: 8,
                calibrated: None,
            },
            novelty: crate::topics::NoveltyScale {
                k: 3,
                duplicate_cosine: 0.95,
                cosine_at_1: 0.9,
                cosine_at_10: 0.4,
            },
            digest: crate::topics::DigestSettings::default(),
            ignored: Vec::new(),
            source: "test".into(),
        }
    }

    /// A similarity row for topic cosines `t` (anchors are the topics themselves).
    fn sims(t: &[f32]) -> SimilarityRow<'_> {
        let mut sorted = t.to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        sorted.resize(3, *sorted.last().unwrap());
        SimilarityRow {
            topics: t,
            top_anchors: [sorted[0], sorted[1], sorted[2]],
            negative: 0.0,
            lexical: 0.0,
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
            sims(&[0.3, 0.1]),
        );
        assert_eq!(r.keywords, vec!["Mixture of Experts"]);
        assert!(r.title_keyword);
        let r = s.score(
            &paper(
                "MOEA/D for scheduling",
                "A multi-objective evolutionary method.",
                &["A"],
            ),
            sims(&[0.3, 0.1]),
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
            sims(&[0.4, 0.2]),
        );
        let boosted = s.score(
            &paper("A study", "We study quantization of networks.", &["A"]),
            sims(&[0.4, 0.2]),
        );
        let penalised = s.score(
            &paper(
                "A study",
                "We study networks for medical imaging with reinforcement learning.",
                &["A"],
            ),
            sims(&[0.4, 0.2]),
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
            sims(&[0.0, 0.0]),
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
    fn lexical_part_is_bm25_relative_to_the_listing_and_only_counts_when_weighed() {
        let mut p = profile();
        p.topics[0].description = "Sparse mixture of experts routing in transformers.".into();
        let papers = vec![
            paper(
                "Expert routing",
                "Sparse mixture of experts routing for transformers.",
                &["A"],
            ),
            paper("Pasta", "We cook pasta in salted water.", &["B"]),
        ];
        let l = Lexical::new(&p).normalized(&papers);
        assert_eq!(l[0], 1.0);
        assert_eq!(l[1], 0.0);
        let sims = Similarities {
            topics: ndarray::Array2::zeros((2, 2)),
            negative: vec![0.0; 2],
            top_anchors: vec![[0.3; 3]; 2],
            lexical: vec![0.0; 2],
        };
        let without = Scorer::new(&p).score_all(&papers, &sims);
        p.weights.lexical = 0.2;
        let with = Scorer::new(&p).score_all(&papers, &sims);
        assert!((with[0].raw - without[0].raw - 0.2).abs() < 1e-6);
        assert_eq!(with[1].raw, without[1].raw);
        assert!(
            with[0].comment.contains("word overlap 1.00"),
            "{}",
            with[0].comment
        );
    }

    #[test]
    fn names_the_best_topic() {
        let s = Scorer::new(&profile());
        let r = s.score(&paper("t", "a", &["A"]), sims(&[0.2, 0.5]));
        assert_eq!(r.best_topic, "Compression");
        assert!((r.best_similarity - 0.5).abs() < 1e-6);
    }
}
