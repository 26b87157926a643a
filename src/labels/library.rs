//! The reader's library as positives: a list of arXiv ids, a BibTeX file, a Zotero CSV
//! export or Zotero's own database (`zotero.sqlite`, read from a copy), each joined to the
//! history for the papers the reader did not keep.

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use super::sources::{invalid, judged, some_ids, title_only, Known, Training};
use super::{Group, LabelledSet, LabelsError};
use crate::fsutil::{fnv, IoError};
use crate::history::History;
use crate::ingest::{Paper, PaperId};

/// One entry of a library export: an arXiv id, with whatever text the export carries.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryEntry {
    pub id: PaperId,
    pub title: Option<String>,
    pub abstract_text: Option<String>,
}

/// What a library file held.
#[derive(Debug)]
pub struct Library {
    pub entries: Vec<LibraryEntry>,
    /// Entries with no arXiv id (journal papers, books): arxrank ranks arXiv papers only.
    pub without_id: usize,
}

/// Finds an arXiv id in a free-text field: `arXiv:2401.01234`, an arxiv.org URL, arXiv's
/// DOI `10.48550/arXiv.2401.01234`, or a bare id.
pub(super) fn arxiv_id_in(text: &str) -> Option<PaperId> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?")
            .expect("a valid pattern")
    });
    let bytes = text.as_bytes();
    // A match inside a longer number (a DOI's `3292500.3330701`) is no id.
    re.find_iter(text)
        .filter(|m| {
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            // arXiv's DOI spells it `arXiv.2401.01234`.
            let after_arxiv = m.start() >= 6
                && text[..m.start() - 1]
                    .to_ascii_lowercase()
                    .ends_with("arxiv");
            !before.is_some_and(|c| c.is_ascii_digit() || (c == b'.' && !after_arxiv))
                && !after.is_some_and(|c| c.is_ascii_digit())
        })
        .find_map(|m| PaperId::parse(m.as_str()))
}

/// Reads a library: Zotero's database `zotero.sqlite` (known by its header), or an export,
/// by extension: `.bib` (BibTeX / BibLaTeX: the id from `eprint`,
/// `arxivid`, `url`, `doi` or `journal`), `.csv` (Zotero's export: `Url`, `DOI`, `Extra`,
/// `Title`, `Abstract Note`), anything else a list of arXiv ids or URLs, one per line
/// (`#` starts a comment).
pub fn read_library(path: &Path) -> Result<Library, LabelsError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (mut entries, without_id) = if super::zotero::is_sqlite(path)? {
        super::zotero::read_zotero_db(path)?
    } else if ext == "sqlite" {
        return Err(invalid(
            path,
            "not a Zotero database: not an SQLite file (its first bytes are not SQLite's \
             header)"
                .into(),
        ));
    } else {
        let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
        match ext.as_str() {
            "bib" => read_bibtex(path, &text)?,
            "csv" => read_zotero_csv(path, &text)?,
            _ => (read_id_list(path, &text)?, 0),
        }
    };
    let mut seen = HashSet::new();
    entries.retain(|e| seen.insert(e.id.clone()));
    if entries.is_empty() {
        return Err(invalid(
            path,
            format!("holds no arXiv papers ({without_id} entries without an arXiv id)"),
        ));
    }
    Ok(Library {
        entries,
        without_id,
    })
}

/// A BibTeX file's entries with an arXiv id (from eprint, url, doi, …), and how many had
/// none.
fn read_bibtex(path: &Path, text: &str) -> Result<(Vec<LibraryEntry>, usize), LabelsError> {
    let (mut entries, mut without_id) = (Vec::new(), 0);
    let bib = biblatex::Bibliography::parse(text).map_err(|e| {
        let line = text[..e.span.start.min(text.len())].lines().count().max(1);
        LabelsError::Label {
            path: path.to_owned(),
            line,
            message: format!("not valid BibTeX: {}", e.kind),
        }
    })?;
    use biblatex::ChunksExt;
    for entry in bib.iter() {
        let field = |k: &str| entry.get(k).map(|c| c.format_verbatim());
        let id = ["eprint", "arxivid", "url", "doi", "journal", "note"]
            .iter()
            .filter_map(|k| field(k))
            .find_map(|v| arxiv_id_in(&v));
        match id {
            Some(id) => entries.push(LibraryEntry {
                id,
                title: field("title"),
                abstract_text: field("abstract"),
            }),
            None => without_id += 1,
        }
    }
    Ok((entries, without_id))
}

/// A Zotero CSV export's rows with an arXiv id (from Url, DOI, Extra, …), and how many had
/// none.
fn read_zotero_csv(path: &Path, text: &str) -> Result<(Vec<LibraryEntry>, usize), LabelsError> {
    let (mut entries, mut without_id) = (Vec::new(), 0);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| invalid(path, format!("not a CSV file: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (title, abs) = (col("Title"), col("Abstract Note"));
    let id_cols: Vec<usize> = ["Url", "DOI", "Extra", "Publication Title"]
        .iter()
        .filter_map(|n| col(n))
        .collect();
    if id_cols.is_empty() {
        return Err(invalid(
            path,
            "no Url, DOI or Extra column: not a Zotero CSV export".into(),
        ));
    }
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| LabelsError::Label {
            path: path.to_owned(),
            line: i + 2,
            message: format!("malformed CSV: {e}"),
        })?;
        let get = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .map(str::to_owned)
                .filter(|s| !s.trim().is_empty())
        };
        match id_cols.iter().find_map(|&c| arxiv_id_in(row.get(c)?)) {
            Some(id) => entries.push(LibraryEntry {
                id,
                title: get(title),
                abstract_text: get(abs),
            }),
            None => without_id += 1,
        }
    }
    Ok((entries, without_id))
}

/// A list of arXiv ids, one per line (`#` starts a comment).
fn read_id_list(path: &Path, text: &str) -> Result<Vec<LibraryEntry>, LabelsError> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let id = PaperId::parse(line).ok_or_else(|| LabelsError::Label {
            path: path.to_owned(),
            line: i + 1,
            message: format!("`{line}` is not an arXiv id"),
        })?;
        entries.push(LibraryEntry {
            id,
            title: None,
            abstract_text: None,
        });
    }
    Ok(entries)
}

/// Negatives drawn per library paper: enough that the picks' rate is near a daily digest's.
const NEGATIVES_PER_POSITIVE: usize = 20;
const MAX_NEGATIVES: usize = 10_000;

/// The reader's library as positives against papers drawn from the history (a fixed
/// pseudo-random sample, the same every run). A library has no days, so the folds of
/// cross-validation are five fixed groups of papers instead. Ids whose text is in neither
/// the export, the digests, the listings nor the history are an error naming them.
pub fn library_set(
    path: &Path,
    known: &Known,
    history: Option<&History>,
    notes: &mut Vec<String>,
) -> Result<Training, LabelsError> {
    let library = read_library(path)?;
    let Some(h) = history.filter(|h| !h.is_empty()) else {
        return Err(invalid(
            path,
            "a library's negatives are drawn from the history, and there is none: pass \
             --history with a history built by `rank` or `backfill`"
                .into(),
        ));
    };
    let (mut items, mut vectors, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for e in &library.entries {
        let from_export = e.title.as_ref().map(|t| Paper {
            abstract_text: e.abstract_text.clone().unwrap_or_default(),
            ..title_only(&e.id, t, None)
        });
        let day = Group::library(&e.id);
        if let Some(v) = h.vector(&e.id) {
            let paper = from_export
                .or_else(|| known.find(&e.id).cloned())
                .unwrap_or_else(|| title_only(&e.id, &h.get(&e.id).expect("a row").title, None));
            items.push(judged(paper, day, true));
            vectors.push(Some(v.to_vec()));
        } else if let Some(p) = known.find(&e.id).cloned().or(from_export) {
            items.push(judged(p, day, true));
            vectors.push(None);
        } else {
            unknown.push(&e.id);
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(
            path,
            format!(
                "{} of its {} arXiv ids are in none of the history, digests or listings \
                 given, and the file carries no title for them: {} (add them to the history \
                 with `arxrank backfill`, or export the library with titles and abstracts)",
                unknown.len(),
                library.entries.len(),
                some_ids(unknown)
            ),
        ));
    }
    let positives: HashSet<PaperId> = library.entries.iter().map(|e| e.id.clone()).collect();
    let mut pool: Vec<usize> = (0..h.len())
        .filter(|&r| !positives.contains(&h.papers()[r].id))
        .collect();
    pool.sort_by_key(|&r| (fnv(h.papers()[r].id.as_str()), r));
    pool.truncate((items.len() * NEGATIVES_PER_POSITIVE).min(MAX_NEGATIVES));
    pool.sort_unstable();
    for r in pool {
        let past = &h.papers()[r];
        items.push(judged(
            title_only(&past.id, &past.title, past.date),
            Group::library(&past.id),
            false,
        ));
        vectors.push(h.vector(&past.id).map(std::borrow::Cow::into_owned));
    }
    if library.without_id > 0 {
        notes.push(format!(
            "{}: {} entries without an arXiv id left out",
            path.display(),
            library.without_id
        ));
    }
    Ok(Training {
        set: LabelledSet::from_items(path, items)?,
        vectors: Some(vectors),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::write;
    use super::*;

    #[test]
    fn finds_arxiv_ids_however_a_library_spells_them() {
        for (text, want) in [
            ("arXiv:2401.01234v2", "2401.01234"),
            ("https://arxiv.org/abs/2401.01234", "2401.01234"),
            ("http://arxiv.org/pdf/2401.01234v1.pdf", "2401.01234"),
            ("10.48550/arXiv.2401.01234", "2401.01234"),
            ("arXiv preprint arXiv:2312.11805", "2312.11805"),
            ("hep-th/9901001", "hep-th/9901001"),
        ] {
            assert_eq!(
                arxiv_id_in(text).map(|i| i.to_string()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        assert_eq!(arxiv_id_in("10.1145/3292500.3330701"), None);
        assert_eq!(arxiv_id_in("Nature 521, 436"), None);
    }

    #[test]
    fn reads_bibtex_zotero_csv_and_id_lists() {
        let dir = tempfile::tempdir().unwrap();
        let bib = write(
            dir.path(),
            "lib.bib",
            r#"@article{shazeer2017,
  title = {Outrageously Large Neural Networks: The Sparsely-Gated {Mixture-of-Experts} Layer},
  author = {Shazeer, Noam and others},
  journal = {arXiv preprint arXiv:1701.06538},
  year = {2017}
}
@misc{fedus2021,
  title = {Switch Transformers},
  eprint = {2101.03961},
  archivePrefix = {arXiv},
  abstract = {In deep learning, models typically reuse the same parameters for all inputs.}
}
@book{bishop2006, title = {Pattern Recognition and Machine Learning}, publisher = {Springer}}
"#,
        );
        let lib = read_library(&bib).unwrap();
        assert_eq!(lib.without_id, 1);
        let ids: Vec<String> = lib.entries.iter().map(|e| e.id.to_string()).collect();
        assert_eq!(ids, ["1701.06538", "2101.03961"]);
        assert_eq!(lib.entries[1].title.as_deref(), Some("Switch Transformers"));
        assert!(lib.entries[1]
            .abstract_text
            .as_deref()
            .unwrap()
            .starts_with("In deep"));

        let csv = write(
            dir.path(),
            "zotero.csv",
            "\"Key\",\"Item Type\",\"Title\",\"Url\",\"Abstract Note\",\"DOI\",\"Extra\"\n\
             \"AB12\",\"preprint\",\"Mixtral of Experts\",\"http://arxiv.org/abs/2401.04088\",\"We introduce Mixtral, a \"\"sparse\"\" model.\",\"10.48550/arXiv.2401.04088\",\"arXiv:2401.04088 [cs]\"\n\
             \"CD34\",\"journalArticle\",\"Deep learning\",\"https://www.nature.com/articles/nature14539\",\"\",\"10.1038/nature14539\",\"\"\n",
        );
        let lib = read_library(&csv).unwrap();
        assert_eq!(lib.without_id, 1);
        assert_eq!(lib.entries.len(), 1);
        assert_eq!(lib.entries[0].id.as_str(), "2401.04088");
        assert_eq!(
            lib.entries[0].abstract_text.as_deref(),
            Some("We introduce Mixtral, a \"sparse\" model.")
        );

        let ids = write(dir.path(), "ids.txt", "# my reading list\n2401.04088\nhttps://arxiv.org/abs/2101.03961v3  # switch\n\n2401.04088\n");
        let lib = read_library(&ids).unwrap();
        assert_eq!(lib.entries.len(), 2, "duplicates collapse");
        let bad = write(dir.path(), "bad.txt", "2401.04088\nnot-an-id\n");
        let e = read_library(&bad).unwrap_err().to_string();
        assert!(
            e.contains("bad.txt") && e.contains("line 2") && e.contains("not-an-id"),
            "{e}"
        );
        let broken = write(dir.path(), "broken.bib", "@article{x, title = {Unclosed\n");
        let e = read_library(&broken).unwrap_err().to_string();
        assert!(
            e.contains("broken.bib") && e.contains("not valid BibTeX"),
            "{e}"
        );
    }
}
