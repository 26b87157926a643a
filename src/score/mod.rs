//! Score: pure functions from (paper, topic similarities, profile) to a relevance score with
//! its explanation. No I/O and no model here, so every rule is unit-testable on its own.

use std::collections::BTreeMap;

use regex::Regex;

use crate::ingest::Paper;
use crate::topics::{Profile, Scale, Weights};

mod lexical;
mod questions;
mod similarity;

pub use lexical::Lexical;
pub use questions::questions;
pub use similarity::{MarkRow, MarkVectors, Similarities, SimilarityRow, TopicVectors};

use crate::ingest::PaperId;

/// A compiled keyword: the phrase as the profile spells it and its matcher.
#[derive(Debug, Clone)]
struct Keyword {
    phrase: String,
    re: Regex,
}

impl Keyword {
    /// A keyword, or several spellings of one (`"Mixture of Experts | MoE"`), which then
    /// count as one match: a paper that says both is not twice as relevant. The first
    /// spelling names the match.
    fn new(phrase: &str) -> Self {
        let spellings: Vec<String> = phrase
            .split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let norm = normalize(p);
                norm.split(' ')
                    .map(regex::escape)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        // Whole words only, with an optional plural ending so "diffusion model" also matches
        // "diffusion models" but "moe" never matches inside "moea".
        let pattern = format!(r"\b(?:{})(?:s|es)?\b", spellings.join("|"));
        Self {
            phrase: phrase.split('|').next().unwrap_or(phrase).trim().to_owned(),
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
    /// Phrases in which a keyword means something else (`[keywords] other_senses`).
    other_senses: Vec<Keyword>,
    authors: BTreeMap<String, String>,
    /// The reader's liked and disliked papers, in [`MarkRow`]'s index order.
    marks: (Vec<MarkName>, Vec<MarkName>),
}

/// A marked paper's id and title.
pub type MarkName = (PaperId, String);

/// A marked paper a score was moved by, and how close the scored paper is to it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MarkMatch {
    pub id: PaperId,
    pub title: String,
    pub cosine: f32,
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
    /// The liked paper it is closest to, when that lifted its score above its best topic's.
    pub liked: Option<MarkMatch>,
    /// The disliked paper it is closer to than to anything wanted, when that cost it.
    pub disliked: Option<MarkMatch>,
    pub selected: bool,
    pub comment: String,
}

impl Scored {
    /// Whether the digest takes the paper `id` at threshold `select_min`: relevance enough,
    /// or an author match; never a paper the reader marked not for them, whatever else it
    /// matches.
    pub fn selects(&self, select_min: u8, id: &PaperId) -> bool {
        (self.relevance >= select_min || self.author.is_some()) && !self.disliked_itself(id)
    }

    fn disliked_itself(&self, id: &PaperId) -> bool {
        self.disliked.as_ref().is_some_and(|m| &m.id == id)
    }
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
    /// The closest liked and disliked paper (index, cosine), when the reader marked any.
    pub marks: MarkRow,
}

impl Features {
    /// The best topic's cosine, floored at 0.
    pub fn best_similarity(&self) -> f32 {
        self.top_anchors[0].max(0.0)
    }

    /// The closest liked paper's cosine on a topic's footing (`w.mark`; 0 without likes):
    /// the likes' topic.
    fn like_similarity(&self, w: &Weights) -> f32 {
        self.marks.liked.map_or(0.0, |(_, c)| w.mark * c.max(0.0))
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
            other_senses: compile(&profile.keywords.other_senses),
            authors: profile
                .authors
                .iter()
                .map(|a| (author_key(a), a.clone()))
                .collect(),
            profile: profile.clone(),
            marks: Default::default(),
        }
    }

    /// The scorer with the reader's marks: liked and disliked papers (id, title), in the
    /// order of the [`MarkVectors`] rows the similarities were measured against.
    pub fn with_marks(mut self, likes: Vec<MarkName>, dislikes: Vec<MarkName>) -> Self {
        self.marks = (likes, dislikes);
        self
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
        let keywords = self.hits(&self.relevant, &text);
        let title_keyword = !self.hits(&self.relevant, &title).is_empty();
        let irrelevant = self.hits(&self.irrelevant, &text);
        let application = self.hits(&self.application, &text);
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
            marks: sims.marks,
        }
    }

    /// The keywords of `set` that `text` mentions, in `set`'s order. A keyword found only
    /// inside a longer one ("autoencoder" in "sparse autoencoder") is the same mention and
    /// counts once, as the longer one; one found only inside a phrase of the profile's
    /// `other_senses` ("sparse" in "sparse rewards") is not meant, and counts not at all.
    fn hits(&self, set: &[Keyword], text: &str) -> Vec<String> {
        let spans = |k: &Keyword| -> Vec<(usize, usize)> {
            k.re.find_iter(text).map(|m| (m.start(), m.end())).collect()
        };
        let found: Vec<Vec<(usize, usize)>> = set.iter().map(spans).collect();
        let senses: Vec<(usize, usize)> = self.other_senses.iter().flat_map(spans).collect();
        let inside = |i: usize, (s, e): (usize, usize)| {
            let longer = |&(os, oe): &(usize, usize)| os <= s && e <= oe && oe - os > e - s;
            senses.iter().any(longer)
                || found
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.iter().any(longer))
        };
        set.iter()
            .enumerate()
            .filter(|&(i, _)| found[i].iter().any(|&span| !inside(i, span)))
            .map(|(_, k)| k.phrase.clone())
            .collect()
    }

    /// The raw score of `f` under weights `w` (the profile's, or a candidate's when tuning).
    /// The reader's likes compete with the topics for the similarity term, and count as
    /// wanted when the negative anchors and dislikes are weighed; without marks they are
    /// absent and the score is the hand-set profile's alone.
    pub fn raw(f: &Features, w: &Weights) -> f32 {
        let like = f.like_similarity(w);
        let similarity = w.topic_aggregation.apply(&f.top_anchors).max(0.0).max(like);
        let best = f.best_similarity().max(like);
        let disliked = match f.marks.disliked {
            Some((_, c)) => w.dislike * (w.mark * c - best).max(0.0),
            None => 0.0,
        };
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
            - disliked
    }

    /// Scores one paper: its features under the profile's weights, on the 1-10 scale,
    /// with the comment that explains it.
    pub fn score(&self, paper: &Paper, sims: SimilarityRow) -> Scored {
        self.score_features(self.features(paper, sims), &paper.id)
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

    /// [`Scorer::score`] for features already computed, of the paper `id`.
    pub fn score_features(&self, f: Features, id: &PaperId) -> Scored {
        let w = &self.profile.weights;
        let raw = Self::raw(&f, w);
        let like = f.like_similarity(w);
        let liked = f
            .marks
            .liked
            .filter(|_| like > w.topic_aggregation.apply(&f.top_anchors).max(0.0))
            .map(|(i, cosine)| self.mark(&self.marks.0, i, cosine));
        let disliked = f
            .marks
            .disliked
            .filter(|&(_, c)| w.mark * c > f.best_similarity().max(like))
            .map(|(i, cosine)| self.mark(&self.marks.1, i, cosine));
        let (best_idx, _) = crate::metrics::best_of(&f.topic_sims);
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
            liked,
            disliked,
            selected: false,
            comment: String::new(),
        };
        scored.selected = scored.selects(self.profile.scale.select_min, id);
        scored.comment = comment(&scored, id);
        scored
    }

    fn mark(&self, names: &[MarkName], i: usize, cosine: f32) -> MarkMatch {
        let (id, title) = names
            .get(i)
            .cloned()
            .expect("a mark row indexes the scorer's marks");
        MarkMatch { id, title, cosine }
    }

    /// Linear map of the raw score onto 1-10, clamped and rounded.
    pub fn scale(&self, raw: f32) -> u8 {
        relevance_on(&self.profile.scale, raw)
    }
}

/// The 1-10 relevance of `raw` on `scale`: its position, rounded and clamped.
pub fn relevance_on(scale: &Scale, raw: f32) -> u8 {
    scale.position(raw).round().clamp(1.0, 10.0) as u8
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

/// How close a cosine to a topic is, in words. MiniLM's cosines between an abstract and a
/// topic's description sit in a narrow band, so the numbers mean little to a reader: on the
/// 644-paper example day the median paper's best topic is at 0.38, the top tenth at 0.49
/// or more, and the digest's picks at 0.54 in the median.
pub fn topic_closeness(cosine: f32) -> String {
    match closeness(cosine) {
        "far" => "far from every topic; nearest is".into(),
        near => format!("{near} to"),
    }
}

/// [`topic_closeness`] as a bare word, for a chip beside the topic's name.
pub fn closeness(cosine: f32) -> &'static str {
    match cosine {
        c if c >= 0.60 => "very close",
        c if c >= 0.50 => "close",
        c if c >= 0.40 => "related",
        c if c >= 0.30 => "loosely related",
        _ => "far",
    }
}

/// How close two papers are, in words. Paper-to-paper cosines run higher than paper-to-topic
/// ones: a paper is itself at 1, and two papers on one narrow question sit around 0.7.
pub fn paper_closeness(cosine: f32) -> &'static str {
    match cosine {
        c if c >= 0.95 => "the paper itself or a version of it",
        c if c >= 0.75 => "very close",
        c if c >= 0.60 => "close",
        _ => "related",
    }
}

/// The comment: why the paper `id` scored what it did, in words a reader can use. The
/// numbers behind each phrase are in `scores.json` (and on the site, on hover); a mark on
/// the paper itself is named as the reader's own.
fn comment(s: &Scored, id: &PaperId) -> String {
    let mut parts = Vec::new();
    let mine = |m: &MarkMatch| &m.id == id;
    if s.disliked_itself(id) {
        parts.push("You marked this paper not for you, so it is not a pick".to_owned());
    }
    if let Some(a) = &s.author {
        parts.push(format!("Author match: {a}"));
    }
    match &s.liked {
        Some(m) if mine(m) => parts.push("you liked this paper".into()),
        Some(m) => parts.push(format!(
            "like a paper you liked, \"{}\" ({})",
            m.title,
            paper_closeness(m.cosine)
        )),
        None => {}
    }
    parts.push(format!(
        "{} {}",
        topic_closeness(s.best_similarity),
        s.best_topic
    ));
    if s.negative_similarity > s.best_similarity {
        parts.push("reads more like work the profile avoids".into());
    }
    if let Some(m) = s.disliked.as_ref().filter(|m| !mine(m)) {
        parts.push(format!(
            "like a paper you marked not for you, \"{}\" ({})",
            m.title,
            paper_closeness(m.cosine)
        ));
    }
    if s.lexical >= 0.8 {
        parts.push("uses the topics' terms more than almost any other paper today".into());
    } else if s.lexical >= 0.5 {
        parts.push("uses many of the topics' terms".into());
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
    capitalise(&parts.join("; "))
}

/// `s` with its first letter in upper case.
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
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
                other_senses: Vec::new(),
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
                mark: 0.85,
                dislike: 2.0,
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
            marks: Default::default(),
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
    fn a_keyword_inside_a_longer_one_is_one_mention() {
        let mut p = profile();
        p.keywords.relevant = vec!["autoencoder".into(), "sparse autoencoder".into()];
        let s = Scorer::new(&p);
        let r = s.score(
            &paper(
                "Features",
                "We train a sparse autoencoder on activations.",
                &["A"],
            ),
            sims(&[0.3, 0.1]),
        );
        assert_eq!(r.keywords, vec!["sparse autoencoder"]);
        let r = s.score(
            &paper(
                "Features",
                "A sparse autoencoder beats a plain autoencoder.",
                &["A"],
            ),
            sims(&[0.3, 0.1]),
        );
        assert_eq!(r.keywords, vec!["autoencoder", "sparse autoencoder"]);
    }

    #[test]
    fn a_keyword_in_another_sense_does_not_count() {
        let mut p = profile();
        p.keywords.relevant = vec!["sparsity | sparse".into()];
        p.keywords.other_senses = vec!["sparse reward".into(), "data sparsity".into()];
        let s = Scorer::new(&p);
        let r = s.score(
            &paper(
                "Sparse rewards",
                "Agents learn from sparse rewards despite data sparsity.",
                &["A"],
            ),
            sims(&[0.3, 0.1]),
        );
        assert!(
            r.keywords.is_empty() && !r.title_keyword,
            "{:?}",
            r.keywords
        );
        let r = s.score(
            &paper(
                "Exploration",
                "Sparse rewards, and a sparse network to learn them.",
                &["A"],
            ),
            sims(&[0.3, 0.1]),
        );
        assert_eq!(r.keywords, vec!["sparsity"]);
        assert!(!r.title_keyword);
    }

    #[test]
    fn spellings_of_one_keyword_count_once() {
        let mut p = profile();
        p.keywords.relevant = vec!["Mixture of Experts | MoE".into(), "quantization".into()];
        let s = Scorer::new(&p);
        let r = s.score(
            &paper(
                "MoE layers",
                "A sparse mixture-of-experts model with MoE routing.",
                &["A"],
            ),
            sims(&[0.3, 0.1]),
        );
        assert_eq!(r.keywords, vec!["Mixture of Experts"]);
        assert!(
            r.title_keyword,
            "the title's MoE is a spelling of the keyword"
        );
        let r = s.score(
            &paper("Routing", "Experts, but no mixture.", &["A"]),
            sims(&[0.3, 0.1]),
        );
        assert!(r.keywords.is_empty());
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
            marks: Vec::new(),
        };
        let without = Scorer::new(&p).score_all(&papers, &sims);
        p.weights.lexical = 0.2;
        let with = Scorer::new(&p).score_all(&papers, &sims);
        assert!((with[0].raw - without[0].raw - 0.2).abs() < 1e-6);
        assert_eq!(with[1].raw, without[1].raw);
        assert!(
            with[0]
                .comment
                .contains("uses the topics' terms more than almost any other paper today"),
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
