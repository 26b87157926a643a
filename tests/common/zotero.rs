//! A Zotero database for the tests: the tables `learn --library` reads, laid out column for
//! column as Zotero 7's `zotero.sqlite` lays them out (its item, field and item-type
//! tables, the combined views of built-in and custom fields it reads through, and the
//! trash), filled with the works a reader keeps: preprints, journal articles, a note and an
//! attachment (not works), and a trashed paper.

use std::path::Path;

use rusqlite::{params, Connection};

/// Zotero's tables, as its schema declares them (the columns the reader does not touch
/// included, so a query that leans on Zotero's layout fails here as it would there).
const SCHEMA: &str = "
CREATE TABLE version (schema TEXT PRIMARY KEY, version INT NOT NULL);
CREATE TABLE libraries (libraryID INTEGER PRIMARY KEY, type TEXT NOT NULL, editable INT NOT NULL,
    filesEditable INT NOT NULL, version INT NOT NULL DEFAULT 0, storageVersion INT NOT NULL DEFAULT 0,
    lastSync INT NOT NULL DEFAULT 0, archived INT NOT NULL DEFAULT 0);
CREATE TABLE itemTypes (itemTypeID INTEGER PRIMARY KEY, typeName TEXT, templateItemTypeID INT,
    display INT DEFAULT 1);
CREATE TABLE itemTypesCombined (itemTypeID INT NOT NULL, typeName TEXT NOT NULL, display INT DEFAULT 1 NOT NULL,
    custom INT NOT NULL, PRIMARY KEY (itemTypeID));
CREATE TABLE fields (fieldID INTEGER PRIMARY KEY, fieldName TEXT, fieldFormatID INT);
CREATE TABLE fieldsCombined (fieldID INT NOT NULL, fieldName TEXT NOT NULL, label TEXT,
    fieldFormatID INT, custom INT NOT NULL, PRIMARY KEY (fieldID));
CREATE TABLE items (itemID INTEGER PRIMARY KEY, itemTypeID INT NOT NULL,
    dateAdded TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    dateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    clientDateModified TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    libraryID INT NOT NULL, key TEXT NOT NULL, version INT NOT NULL DEFAULT 0,
    synced INT NOT NULL DEFAULT 0, UNIQUE (libraryID, key),
    FOREIGN KEY (libraryID) REFERENCES libraries(libraryID) ON DELETE CASCADE);
CREATE TABLE itemDataValues (valueID INTEGER PRIMARY KEY, value UNIQUE);
CREATE TABLE itemData (itemID INT, fieldID INT, valueID, PRIMARY KEY (itemID, fieldID),
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE,
    FOREIGN KEY (fieldID) REFERENCES fieldsCombined(fieldID),
    FOREIGN KEY (valueID) REFERENCES itemDataValues(valueID));
CREATE TABLE deletedItems (itemID INTEGER PRIMARY KEY, dateDeleted DEFAULT CURRENT_TIMESTAMP NOT NULL,
    FOREIGN KEY (itemID) REFERENCES items(itemID) ON DELETE CASCADE);
INSERT INTO version VALUES ('userdata', 120), ('system', 33);
INSERT INTO libraries VALUES (1, 'user', 1, 1, 0, 0, 0, 0);
";

const TYPES: [(i64, &str); 5] = [
    (1, "annotation"),
    (3, "attachment"),
    (22, "journalArticle"),
    (28, "note"),
    (30, "preprint"),
];

const FIELDS: [(i64, &str); 8] = [
    (1, "title"),
    (2, "abstractNote"),
    (13, "url"),
    (16, "extra"),
    (38, "publicationTitle"),
    (59, "DOI"),
    (124, "archiveID"),
    (125, "repository"),
];

/// One work: its type, and its fields by Zotero's names.
pub struct Work<'a> {
    pub kind: &'a str,
    pub fields: Vec<(&'a str, String)>,
    pub trashed: bool,
}

impl<'a> Work<'a> {
    /// A preprint as Zotero saves one from arXiv: archive id, DOI, URL, title, abstract.
    pub fn preprint(id: &str, title: &str, abstract_text: &str) -> Self {
        Work {
            kind: "preprint",
            fields: vec![
                ("title", title.to_owned()),
                ("abstractNote", abstract_text.to_owned()),
                ("url", format!("http://arxiv.org/abs/{id}")),
                ("DOI", format!("10.48550/arXiv.{id}")),
                ("archiveID", format!("arXiv:{id}")),
                ("repository", "arXiv".to_owned()),
            ],
            trashed: false,
        }
    }
}

/// Creates `path` as a Zotero database holding `works`.
pub fn create(path: &Path, works: &[Work]) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    for (id, name) in TYPES {
        conn.execute(
            "INSERT INTO itemTypes VALUES (?1, ?2, NULL, 1)",
            params![id, name],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO itemTypesCombined VALUES (?1, ?2, 1, 0)",
            params![id, name],
        )
        .unwrap();
    }
    for (id, name) in FIELDS {
        conn.execute(
            "INSERT INTO fields VALUES (?1, ?2, NULL)",
            params![id, name],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO fieldsCombined VALUES (?1, ?2, NULL, NULL, 0)",
            params![id, name],
        )
        .unwrap();
    }
    add(&conn, works);
    conn
}

/// Adds `works` to an open Zotero database, as Zotero does when the reader saves them.
pub fn add(conn: &Connection, works: &[Work]) {
    conn.execute_batch("BEGIN").unwrap();
    for w in works {
        let kind = TYPES
            .iter()
            .find(|t| t.1 == w.kind)
            .expect("a known type")
            .0;
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
            .unwrap();
        let key = format!("K{:07}", n + 1);
        conn.execute(
            "INSERT INTO items (itemTypeID, libraryID, key) VALUES (?1, 1, ?2)",
            params![kind, key],
        )
        .unwrap();
        let item = conn.last_insert_rowid();
        for (name, value) in &w.fields {
            let field = FIELDS
                .iter()
                .find(|f| f.1 == *name)
                .expect("a known field")
                .0;
            conn.execute(
                "INSERT OR IGNORE INTO itemDataValues (value) VALUES (?1)",
                params![value],
            )
            .unwrap();
            let v: i64 = conn
                .query_row(
                    "SELECT valueID FROM itemDataValues WHERE value = ?1",
                    params![value],
                    |r| r.get(0),
                )
                .unwrap();
            conn.execute(
                "INSERT INTO itemData VALUES (?1, ?2, ?3)",
                params![item, field, v],
            )
            .unwrap();
        }
        if w.trashed {
            conn.execute(
                "INSERT INTO deletedItems (itemID) VALUES (?1)",
                params![item],
            )
            .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
}
