//! arxrank ranks a day of new arXiv papers for one researcher, locally.
//!
//! # Architecture
//!
//! Data flows one way, one module per stage:
//!
//! ```text
//! ingest  -> embed  -> history lookup -> score  -> render -> history append
//! (Paper)   (vectors) (novelty, repeats) (Scored)  (Digest -> output.md / .json, scores.json)
//!              ^
//! topics ------+  (Profile: topics, keywords, authors, weights, scales)
//! ```
//!
//! - [`ingest`] reads arXiv RSS, Atom, JSONL and Kaggle-snapshot files into `Paper`s with
//!   version-less ids. It never writes.
//! - [`embed`] is the only module that knows candle, tokenizers and hf-hub; it hands out
//!   plain `ndarray` matrices of unit vectors behind the `Embedder` trait.
//! - [`topics`] loads the researcher's profile from TOML (or gpt_paper_assistant's txt files).
//! - [`score`] is pure: cosine to topics, keyword boosts and penalties, author matches, and
//!   the map to the 1-10 scale, each with the words that explain it.
//! - [`history`] stores every embedded paper per model fingerprint (the only module that
//!   names hnsw_rs); `rank` reads it for novelty and repeats and appends the day last, after
//!   the digest is written; `backfill` streams large corpora into it, a checkpoint per batch.
//! - [`render`] writes the digest atomically, escaping all paper text, and owns its schema
//!   ([`render::DigestPaper`], [`render::RunFacts`]), which [`site`] reads back to write a
//!   static website from askama templates: day pages, monthly overviews, an index, and a
//!   small filter script.
//! - [`fetch`] downloads the day's RSS (or API pages for missed days) from arXiv, politely
//!   and conditionally, and saves only what parses; [`deliver`] posts the picks to a
//!   webhook or mails them; [`config`] resolves where files live (a project directory or
//!   the platform's directories) and `daily`'s settings from `arxrank.toml`.
//! - [`labels`] reads what judges and the reader said (labelled sets, digest archives,
//!   libraries, feedback), below both [`learn`], which trains on it, and [`eval`], which
//!   measures rankers against it with [`metrics`].
//! - [`pipeline`] strings the stages together for the daily ranking, the embedding cache of
//!   [`eval`], the training job and the bulk backfill; [`cli`] parses flags, resolves settings, calls it and
//!   prints; `main` turns errors into exit codes.
//!
//! ARCHITECTURE.md has the full map: type ownership, on-disk formats, where to add things.

pub mod cli;
pub mod config;
pub mod daily;
pub mod deliver;
pub mod embed;
pub mod eval;
pub mod fetch;
mod fsutil;
pub mod history;
pub mod ingest;
/// The int16 GEMM below both the native encoder (`embed`) and the history's batched search.
mod int16;
pub mod labels;
pub mod learn;
mod linalg;
pub mod metrics;
pub mod net;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod score;
pub mod serve;
pub mod site;
pub mod topics;

pub use fsutil::{IoAction, IoError};
