//! The integration tests, in one binary (one link of the crate and its dependencies instead
//! of one per file): each file of `tests/` is a module here, and `common/` holds the helpers
//! they share (the model, the fixture data, the binary, local servers).

mod common;

mod architecture;
mod backfill;
mod cli;
mod daily;
mod embed_parity;
mod eval;
mod history;
mod ingest;
mod ingest_props;
mod install;
mod learn;
mod library;
mod previous_release;
mod ranking_quality;
mod serve;
mod site;
