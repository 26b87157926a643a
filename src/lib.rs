//! arxrank ranks a day of new arXiv papers for one researcher, locally.
//!
//! # Architecture
//!
//! Data flows one way, one module per stage:
//!
//! ```text
//! ingest  -> embed  -> score  -> render
//! (Paper)   (vectors) (Scored)  (Digest -> output.md / output.json)
//!              ^
//! topics ------+  (Profile: topics, keywords, authors, weights, scale)
//! ```
//!
//! - [`ingest`] reads arXiv RSS, Atom, JSONL and Kaggle-snapshot files into `Paper`s with
//!   version-less ids. It never writes.
//! - [`embed`] is the only module that knows candle, tokenizers and hf-hub; it hands out
//!   plain `ndarray` matrices of unit vectors behind the `Embedder` trait.
//! - [`topics`] loads the researcher's profile from TOML (or gpt_paper_assistant's txt files).
//! - [`score`] is pure: cosine to topics, keyword boosts and penalties, author matches, and
//!   the map to the 1-10 scale, each with the words that explain it.
//! - [`render`] writes the digest atomically, escaping all paper text.
//! - [`cli`] wires the stages together; `main` only parses flags and prints errors.

pub mod cli;
pub mod embed;
pub mod eval;
pub mod ingest;
pub mod render;
pub mod score;
pub mod topics;
