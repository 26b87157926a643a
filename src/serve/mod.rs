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
use crate::site::{ProfileSite, SiteOptions};

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
    /// The site folder served at `/` when there are several profiles: the overview's.
    pub site: PathBuf,
    /// The profiles served: one at `/`, or each of several at `/<name>/`.
    pub profiles: Vec<ServedProfile>,
    /// The history root searched (the model's history in it).
    pub history: PathBuf,
    pub model: ModelDir,
    pub device: DeviceKind,
    pub compute: Option<ComputePrecision>,
}

/// One profile served: its digests, its site and the log its marks go to.
#[derive(Debug, Clone)]
pub struct ServedProfile {
    /// Its `[[profile]]` name; none for a settings file without profiles.
    pub name: Option<String>,
    /// The digest folder (one `YYYY-MM-DD` folder per day).
    pub digests: PathBuf,
    /// The site folder its pages are written to and served from.
    pub site: PathBuf,
    /// The feedback log its marks are appended to.
    pub log: PathBuf,
    /// The hint under the feedback buttons.
    pub learn_command: String,
}

/// A server bound to its address, ready to [`Bound::run`].
pub struct Bound {
    listener: std::net::TcpListener,
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    url: String,
}

/// What every request shares, whichever profile it is for.
pub(crate) struct Common {
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
}

/// A site folder and the path it is served under.
pub(crate) struct Site {
    /// The folder, canonical: a file served must resolve inside it.
    dir: PathBuf,
    /// `/`, or `/<name>/` for one profile of several: where its pages and its API are.
    prefix: String,
    common: Arc<Common>,
}

/// One profile as its requests see it.
pub(crate) struct State {
    site: Arc<Site>,
    digests: PathBuf,
    log: PathBuf,
    /// The ids of the digests' papers, read again when a day folder changed.
    known: Mutex<Reopened<HashSet<PaperId>>>,
}

impl State {
    fn common(&self) -> &Common {
        &self.site.common
    }
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

impl Common {
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

/// Writes the sites from the digests, loads the model, opens the history and binds the
/// address: everything that can fail on bad settings fails here, before a URL is printed.
pub fn bind(opts: &Options, report: &mut dyn Report) -> Result<Bound, ServeError> {
    build_sites(opts, report)?;
    let embedder = BertEmbedder::load_for(&opts.model, opts.device, opts.compute)?;
    for p in &opts.profiles {
        if let Some(parent) = p.log.parent() {
            fs_err::create_dir_all(parent).map_err(IoError::write(parent))?;
        }
    }
    let bind_error = |source| ServeError::Bind {
        addr: opts.bind,
        source,
    };
    let listener = std::net::TcpListener::bind(opts.bind).map_err(bind_error)?;
    listener.set_nonblocking(true).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let tokens = guard::Tokens::new(addr)?;
    let url = tokens.url(addr);
    let beyond = tokens.access.is_some();
    let common = Arc::new(Common {
        tokens,
        model: (embedder.fingerprint().to_owned(), embedder.dim()),
        embedder: Mutex::new(embedder),
        history: Mutex::new(Reopened::new()),
        history_root: opts.history.clone(),
        writing: Mutex::new(()),
    });
    let papers = common.history()?.len();
    let (root, states) = mount(opts, &common)?;
    for s in &states {
        report.note(&format!(
            "serve: {} at {} ({papers} papers in the history to search); marks go to {}",
            s.site.dir.display(),
            s.site.prefix,
            s.log.display()
        ));
    }
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
        .map_err(bind_error)?;
    let app = api::router(common, root, states);
    Ok(Bound {
        listener,
        runtime,
        app,
        url,
    })
}

/// The site of the one profile, or each profile's and the overview across them.
fn build_sites(opts: &Options, report: &mut dyn Report) -> Result<(), ServeError> {
    let list_from = crate::site::DEFAULT_LIST_FROM;
    if let [one] = opts.profiles.as_slice() {
        let site = SiteOptions::new(list_from, one.learn_command.clone(), one.name.as_deref());
        return Ok(crate::site::build(&one.digests, &one.site, &site, report)?);
    }
    let mut sites = Vec::with_capacity(opts.profiles.len());
    for p in &opts.profiles {
        let Some(name) = p.name.clone() else {
            return Err(ServeError::Usage(
                "several profiles to serve, one without a name".into(),
            ));
        };
        sites.push(ProfileSite {
            name,
            digests: p.digests.clone(),
            site: p.site.clone(),
            learn_command: p.learn_command.clone(),
        });
    }
    Ok(crate::site::build_profiles(
        &opts.site, &sites, list_from, report,
    )?)
}

/// The overview's site at `/` (with several profiles), and each profile served.
type Mounted = (Option<Arc<Site>>, Vec<Arc<State>>);

/// Where each profile is served: the one at `/`, or each of several at `/<name>/`
/// beside the overview's site at `/`, which is returned with them.
fn mount(opts: &Options, common: &Arc<Common>) -> Result<Mounted, ServeError> {
    let site = |dir: &Path, prefix: String| -> Result<Arc<Site>, ServeError> {
        Ok(Arc::new(Site {
            dir: fs_err::canonicalize(dir).map_err(IoError::read(dir))?,
            prefix,
            common: common.clone(),
        }))
    };
    let several = opts.profiles.len() > 1;
    let states = (opts.profiles.iter())
        .map(|p| {
            let prefix = match (&p.name, several) {
                (Some(name), true) => format!("/{name}/"),
                _ => "/".to_owned(),
            };
            Ok(Arc::new(State {
                site: site(&p.site, prefix)?,
                digests: p.digests.clone(),
                log: p.log.clone(),
                known: Mutex::new(Reopened::new()),
            }))
        })
        .collect::<Result<Vec<_>, ServeError>>()?;
    let root = several.then(|| site(&opts.site, "/".into())).transpose()?;
    Ok((root, states))
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
            app,
            ..
        } = self;
        runtime.block_on(async move {
            let addr = listener.local_addr().map_err(|source| ServeError::Bind {
                addr: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })?;
            let io = |source| ServeError::Bind { addr, source };
            let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
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
    if state.common().history()?.get(id).is_some() {
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
