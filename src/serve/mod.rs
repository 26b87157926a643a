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
//! threads, off the workers that serve pages. A mark still waits for a running search:
//! checking that its paper is known takes the same lock as the model and the history.
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
    searcher: Mutex<Searcher>,
    /// Marks from this process are appended one call at a time (the log's file lock keeps
    /// other processes' appends apart).
    writing: Mutex<()>,
    /// The ids of the digests' papers, read when an id is not in the history.
    known: Mutex<HashSet<PaperId>>,
}

/// The model and the history, reopened when the history's manifest changed (a `daily` or
/// `backfill` beside the server appended a day).
pub(crate) struct Searcher {
    embedder: BertEmbedder,
    root: PathBuf,
    history: Option<(Option<std::time::SystemTime>, u64, History)>,
}

impl Searcher {
    fn history(&mut self) -> Result<&History, ServeError> {
        let dir = History::dir_for(&self.root, self.embedder.fingerprint());
        let manifest = dir.join("manifest.json");
        let meta = fs_err::metadata(&manifest).ok();
        let stamp = (
            meta.as_ref().and_then(|m| m.modified().ok()),
            meta.as_ref().map_or(0, |m| m.len()),
        );
        let fresh = matches!(&self.history, Some((t, n, _)) if (*t, *n) == stamp);
        if !fresh {
            let h = History::open(&dir, self.embedder.fingerprint(), self.embedder.dim())?;
            self.history = Some((stamp.0, stamp.1, h));
        }
        Ok(&self.history.as_ref().expect("opened above").2)
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
    let mut searcher = Searcher {
        embedder,
        root: opts.history.clone(),
        history: None,
    };
    let papers = searcher.history()?.len();
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
    report.note(&format!(
        "serve: {} ({papers} papers in the history to search); marks go to {}",
        opts.site.display(),
        opts.log.display()
    ));
    if tokens.access.is_some() {
        report.note(
            "serve: listening beyond this machine: open the URL below, with its access token; \
             anyone with it can read the digests and mark papers",
        );
    }
    let state = Arc::new(State {
        site,
        digests: opts.digests.clone(),
        log: opts.log.clone(),
        tokens,
        searcher: Mutex::new(searcher),
        writing: Mutex::new(()),
        known: Mutex::new(HashSet::new()),
    });
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

/// Whether `id` is a paper arxrank has seen: in the history, else in a digest.
pub(crate) fn is_known(state: &State, id: &PaperId) -> Result<bool, ServeError> {
    if state
        .searcher
        .lock()
        .expect("searcher lock")
        .history()?
        .get(id)
        .is_some()
    {
        return Ok(true);
    }
    let mut known = state.known.lock().expect("known lock");
    if !known.contains(id) {
        *known = digest_ids(&state.digests)?;
    }
    Ok(known.contains(id))
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
