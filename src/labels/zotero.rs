//! Zotero's own database, `zotero.sqlite`, read as a library: every item in it (not in the
//! trash, not a note, attachment or annotation) whose arXiv id is in its archive id, DOI,
//! URL, Extra or publication fields is a paper the reader kept.
//!
//! Zotero keeps the file open while it runs, with an exclusive lock, and recent changes may
//! still sit in its write-ahead log. So the file is never opened in place: it is copied,
//! with its `-wal` and `-journal` files when they are there, and the copy is opened. Opening
//! in place as immutable would need no copy, but it reads past the write-ahead log and so
//! misses what the reader saved last; a copy sees the database as Zotero last committed it,
//! and the reader's file is never written or locked.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::library::{arxiv_id_in, LibraryEntry};
use super::sources::invalid;
use super::LabelsError;
use crate::fsutil::IoError;

/// The first 16 bytes of every SQLite 3 database.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Item types that are not works the reader kept.
const NOT_WORKS: [&str; 3] = ["note", "attachment", "annotation"];

/// The fields an arXiv id is looked for in, in this order (Zotero's field names).
const ID_FIELDS: [&str; 6] = [
    "archiveID",
    "DOI",
    "url",
    "extra",
    "publicationTitle",
    "repository",
];

/// Whether the file is an SQLite database (by its header, whatever its name).
pub(super) fn is_sqlite(path: &Path) -> Result<bool, LabelsError> {
    let mut head = [0u8; 16];
    let mut file = fs_err::File::open(path).map_err(IoError::read(path))?;
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]).map_err(IoError::read(path))? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read == head.len() && &head == MAGIC)
}

/// The arXiv papers of a Zotero database, and how many works had no arXiv id.
pub(super) fn read_zotero_db(path: &Path) -> Result<(Vec<LibraryEntry>, usize), LabelsError> {
    let copy = tempfile::tempdir().map_err(IoError::write(&std::env::temp_dir()))?;
    let db = copy.path().join("zotero.sqlite");
    for suffix in ["", "-wal", "-journal"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let from = Path::new(&from);
        if suffix.is_empty() || from.exists() {
            let mut to = db.as_os_str().to_owned();
            to.push(suffix);
            fs_err::copy(from, &to).map_err(IoError::read(from))?;
        }
    }
    let not_zotero = |why: String| invalid(path, format!("not a Zotero database: {why}"));
    let conn = Connection::open_with_flags(
        &db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_zotero(e.to_string()))?;
    let (fields, types) = tables(&conn).map_err(|e| not_zotero(e.to_string()))?;
    let (Some(fields), Some(types)) = (fields, types) else {
        return Err(not_zotero(
            "it has no items, itemData, itemDataValues, fields and itemTypes tables".into(),
        ));
    };
    let items = item_fields(&conn, fields, types).map_err(|e| {
        invalid(
            path,
            format!("cannot read its items ({e}): is it a damaged Zotero database?"),
        )
    })?;
    Ok(entries(items))
}

/// The names of the field and item-type tables this database has (Zotero 5 and later keep
/// the built-in and custom ones together in `fieldsCombined` and `itemTypesCombined`), or
/// none when it lacks Zotero's item tables.
fn tables(conn: &Connection) -> rusqlite::Result<(Option<&'static str>, Option<&'static str>)> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let has = |n: &str| names.iter().any(|t| t == n);
    if !["items", "itemData", "itemDataValues"]
        .iter()
        .all(|t| has(t))
    {
        return Ok((None, None));
    }
    let pick = |combined: &'static str, plain: &'static str| {
        [combined, plain].into_iter().find(|t| has(t))
    };
    Ok((
        pick("fieldsCombined", "fields"),
        pick("itemTypesCombined", "itemTypes"),
    ))
}

/// Each work's fields that matter here: id fields, title and abstract, by item.
fn item_fields(
    conn: &Connection,
    fields: &str,
    types: &str,
) -> rusqlite::Result<BTreeMap<i64, BTreeMap<String, String>>> {
    let trash = match conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deletedItems'")?
        .exists([])?
    {
        true => "AND i.itemID NOT IN (SELECT itemID FROM deletedItems)",
        false => "",
    };
    let wanted: Vec<String> = ID_FIELDS
        .iter()
        .chain(&["title", "abstractNote"])
        .map(|f| format!("'{f}'"))
        .collect();
    let not_works: Vec<String> = NOT_WORKS.iter().map(|t| format!("'{t}'")).collect();
    let sql = format!(
        "SELECT i.itemID, f.fieldName, CAST(v.value AS TEXT) FROM items i \
         JOIN {types} t ON t.itemTypeID = i.itemTypeID \
         JOIN itemData d ON d.itemID = i.itemID \
         JOIN {fields} f ON f.fieldID = d.fieldID \
         JOIN itemDataValues v ON v.valueID = d.valueID \
         WHERE t.typeName NOT IN ({}) AND f.fieldName IN ({}) {trash} \
         ORDER BY i.itemID",
        not_works.join(", "),
        wanted.join(", ")
    );
    let mut items: BTreeMap<i64, BTreeMap<String, String>> = BTreeMap::new();
    // Works with no wanted field at all still count, as works without an arXiv id.
    let all = format!(
        "SELECT i.itemID FROM items i JOIN {types} t ON t.itemTypeID = i.itemTypeID \
         WHERE t.typeName NOT IN ({}) {trash}",
        not_works.join(", ")
    );
    for id in conn.prepare(&all)?.query_map([], |r| r.get::<_, i64>(0))? {
        items.entry(id?).or_default();
    }
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    for row in rows {
        let (item, field, value) = row?;
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            items.entry(item).or_default().insert(field, v);
        }
    }
    Ok(items)
}

/// The works with an arXiv id as library entries, and how many had none.
fn entries(items: BTreeMap<i64, BTreeMap<String, String>>) -> (Vec<LibraryEntry>, usize) {
    let (mut entries, mut without_id) = (Vec::new(), 0);
    for fields in items.values() {
        let id = ID_FIELDS
            .iter()
            .filter_map(|f| fields.get(*f))
            .find_map(|v| arxiv_id_in(v));
        match id {
            Some(id) => entries.push(LibraryEntry {
                id,
                title: fields.get("title").cloned(),
                abstract_text: fields.get("abstractNote").cloned(),
            }),
            None => without_id += 1,
        }
    }
    (entries, without_id)
}
