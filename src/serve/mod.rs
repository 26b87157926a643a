//! `arxrank serve`: the site of the digests as a local web application. The pages are the
//! static site's own (written by [`crate::site::build`] into the site folder, as `daily`
//! writes them), served with a session token the page's script needs for every change of
//! state: a mark (✓ / ✗) goes to the feedback log at once (`POST /api/feedback`), and the
//! search box and every card's "More like this" ask the history (`GET /api/search`,
//! `GET /api/similar`).
//!
//! axum on tokio: it is the ecosystem's default server, kept by the tokio project, and the
//! only layers needed (a body cap, a guard in front of every route) are its own. Work that
//! blocks (the model, the history, the log's lock and fsync) runs on tokio's blocking
//! threads, off the workers that serve pages. A mark never waits for a search: the model is
//! locked while a search embeds its words, the history only while it is looked up or
//! reopened, and each search reads its own handle to it.
//!
//! Safe by default ([`guard`]): it binds loopback; any other address needs an access token
//! (printed in the URL to open). The `Host` of a loopback server must be loopback, so a
//! page on another site that rebinds its name to 127.0.0.1 is refused; a `POST` needs the
//! session token and, when the browser names an `Origin`, this server's; bodies are capped
//! at [`BODY_LIMIT`]; only files inside the site folder are served.

mod api;
mod files;
pub mod guard;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::embed::{BertEmbedder, ComputePrecision, DeviceKind, Embedder, ModelDir};
use crate::fsutil::IoError;
use crate::history::History;
use crate::ingest::PaperId;
use crate::report::Report;

pub use files::served_html;

/// The largest request body read (a mark is under 100 bytes).
pub const BODY_LIMIT: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Embed(#[from] crate::embed::EmbedError),
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    #[error(transparent)]
    Site(#[from] crate::site::SiteError),
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
}

/// What `serve` serves, resolved as `daily` resolves it.
#[derive(Debug, Clone)]
pub struct Options {
    pub bind: SocketAddr,
    /// The digest folder (one `YYYY-MM-DD` folder per day).
    pub digests: PathBuf,
    /// The site folder the pages are written to and served from.
    pub site: PathBuf,
    /// The history root searched (the model's history in it).
    pub history: PathBuf,
    /// The feedback log marks are appended to.
    pub log: PathBuf,
    pub model: ModelDir,
    pub device: DeviceKind,
    pub compute: Option<ComputePrecision>,
    /// The hint under the feedback buttons.
    pub learn_command: String,
}

/// A server bound to its address, ready to [`Bound::run`].
pub struct Bound {
    listener: std::net::TcpListener,
    runtime: tokio::runtime::Runtime,
    state: Arc<State>,
    url: String,
}

/// What every request shares.
pub(crate) struct State {
    site: PathBuf,
    digests: PathBuf,
    log: PathBuf,
    tokens: guard::Tokens,
    /// The model that embeds a search's words: one search embeds at a time.
    embedder: Mutex<BertEmbedder>,
    /// The history, held only while it is looked at or reopened: a search reads its own
    /// handle, so a mark's known-paper check never waits for a search.
    history: Mutex<Reopened<Arc<History>>>,
    history_root: PathBuf,
    /// The model's fingerprint and width, which name and check the history: kept here so
    /// a mark need not lock the model a search may be holding.
    model: (String, usize),
    /// Marks from this process are appended one call at a time (the log's file lock keeps
    /// other processes' appends apart).
    writing: Mutex<()>,
    /// The ids of the digests' papers, read again when a day folder changed.
    known: Mutex<Reopened<HashSet<PaperId>>>,
}

/// Something read from files, with the stamp of the files it was read from: it is read
/// again when the stamp changes (a `daily` or `backfill` beside the server appended a day).
pub(crate) struct Reopened<T> {
    stamp: Vec<(std::ffi::OsString, Option<std::time::SystemTime>, u64)>,
    value: Option<T>,
}

impl<T: Clone> Reopened<T> {
    fn new() -> Self {
        Reopened {
            stamp: Vec::new(),
            value: None,
        }
    }

    /// The value, read again by `read` when `stamp` differs from the one it was read at.
    fn get(
        &mut self,
        stamp: Vec<(std::ffi::OsString, Option<std::time::SystemTime>, u64)>,
        read: impl FnOnce() -> Result<T, ServeError>,
    ) -> Result<T, ServeError> {
        if self.value.is_none() || self.stamp != stamp {
            self.value = Some(read()?);
            self.stamp = stamp;
        }
        Ok(self.value.clone().expect("read above"))
    }
}

/// The modification time and size of each of `paths` (what is missing has neither).
fn stamp_of(
    paths: impl IntoIterator<Item = PathBuf>,
) -> Vec<(std::ffi::OsString, Option<std::time::SystemTime>, u64)> {
    paths
        .into_iter()
        .map(|p| {
            let meta = fs_err::metadata(&p).ok();
            (
                p.into_os_string(),
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.as_ref().map_or(0, |m| m.len()),
            )
        })
        .collect()
}

impl State {
    /// The history as it is now on disk (reopened when its manifest changed).
    pub(crate) fn history(&self) -> Result<Arc<History>, ServeError> {
        let (fingerprint, dim) = &self.model;
        let dir = History::dir_for(&self.history_root, fingerprint);
        let stamp = stamp_of([dir.join("manifest.json")]);
        let mut held = self.history.lock().expect("history lock");
        held.get(stamp, || {
            Ok(Arc::new(History::open(&dir, fingerprint, *dim)?))
        })
    }
}

/// Writes the site from the digests, loads the model, opens the history and binds the
/// address: everything that can fail on bad settings fails here, before a URL is printed.
pub fn bind(opts: &Options, report: &mut dyn Report) -> Result<Bound, ServeError> {
    crate::site::build(
        &opts.digests,
        &opts.site,
        crate::site::DEFAULT_LIST_FROM,
        &opts.learn_command,
        report,
    )?;
    let site = fs_err::canonicalize(&opts.site).map_err(IoError::read(&opts.site))?;
    let embedder = BertEmbedder::load_for(&opts.model, opts.device, opts.compute)?;
    if let Some(parent) = opts.log.parent() {
        fs_err::create_dir_all(parent).map_err(IoError::write(parent))?;
    }
    let listener = std::net::TcpListener::bind(opts.bind).map_err(|source| ServeError::Bind {
        addr: opts.bind,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| ServeError::Bind {
            addr: opts.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: opts.bind,
        source,
    })?;
    let tokens = guard::Tokens::new(addr)?;
    let url = tokens.url(addr);
    let beyond = tokens.access.is_some();
    let state = Arc::new(State {
        site,
        digests: opts.digests.clone(),
        log: opts.log.clone(),
        tokens,
        model: (embedder.fingerprint().to_owned(), embedder.dim()),
        embedder: Mutex::new(embedder),
        history: Mutex::new(Reopened::new()),
        history_root: opts.history.clone(),
        writing: Mutex::new(()),
        known: Mutex::new(Reopened::new()),
    });
    let papers = state.history()?.len();
    report.note(&format!(
        "serve: {} ({papers} papers in the history to search); marks go to {}",
        opts.site.display(),
        opts.log.display()
    ));
    if beyond {
        report.note(
            "serve: listening beyond this machine: open the URL below, with its access token; \
             anyone with it can read the digests and mark papers",
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| ServeError::Bind {
            addr: opts.bind,
            source,
        })?;
    Ok(Bound {
        listener,
        runtime,
        state,
        url,
    })
}

impl Bound {
    /// The URL to open (with the access token when one is needed).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serves until the process is interrupted (Ctrl-C).
    pub fn run(self) -> Result<(), ServeError> {
        let Bound {
            listener,
            runtime,
            state,
            ..
        } = self;
        runtime.block_on(async move {
            let addr = listener.local_addr().map_err(|source| ServeError::Bind {
                addr: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })?;
            let io = |source| ServeError::Bind { addr, source };
            let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
            let app = api::router(state);
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|source| ServeError::Bind { addr, source })
        })
    }
}

/// Whether `id` is a paper arxrank has seen: in the history, else in a digest. The
/// digests' ids are kept: an id among them is answered at once, and for one that is not,
/// they are read again only when a day folder changed since (a `daily` beside the server
/// wrote a day), so a stream of marks on unknown ids does not reread every digest.
pub(crate) fn is_known(state: &State, id: &PaperId) -> Result<bool, ServeError> {
    if state.history()?.get(id).is_some() {
        return Ok(true);
    }
    let mut known = state.known.lock().expect("known lock");
    if known.value.as_ref().is_some_and(|ids| ids.contains(id)) {
        return Ok(true);
    }
    let days = fs_err::read_dir(&state.digests)
        .map(|dir| {
            let mut days: Vec<PathBuf> = dir.filter_map(|e| Some(e.ok()?.path())).collect();
            days.sort();
            days
        })
        .unwrap_or_default();
    let stamp = stamp_of(std::iter::once(state.digests.clone()).chain(days));
    if let Some(ids) = known.value.as_ref().filter(|_| known.stamp == stamp) {
        return Ok(ids.contains(id));
    }
    let ids = known.get(stamp, || digest_ids(&state.digests))?;
    Ok(ids.contains(id))
}

/// Every paper id in the digests' `scores.json` files.
fn digest_ids(digests: &Path) -> Result<HashSet<PaperId>, ServeError> {
    let loaded = crate::site::load_days(digests, |_| true)?;
    Ok(loaded
        .days
        .iter()
        .flat_map(|d| d.papers.iter().map(|p| p.id.clone()))
        .collect())
}
