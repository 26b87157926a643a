//! `arxrank embed`'s input: texts (or papers) to embed, with the id to write beside each
//! vector.

use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use super::{paper_from_object, IngestError, Location};
use crate::fsutil::IoError;

/// One text to embed, and the id (any JSON value) its vector is written with.
pub struct Text {
    pub id: Option<Value>,
    pub text: String,
}

/// A file of texts to embed, one JSON object per line: `{"text", "id"?}`, or a paper
/// (`id`, `title`, `abstract`), whose text is what the ranking embeds. Empty lines are
/// skipped; anything else that is not one of those is refused with its line.
pub fn read_texts(path: &Path) -> Result<Vec<Text>, IngestError> {
    let file = fs_err::File::open(path).map_err(IoError::read(path))?;
    let reader = std::io::BufReader::new(file);
    let mut items = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => IngestError::Json {
                path: path.to_owned(),
                location: Location::Line(line_no),
                message: "not UTF-8".into(),
            },
            _ => IoError::read(path)(e).into(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| IngestError::Json {
            path: path.to_owned(),
            location: Location::Line(line_no),
            message,
        };
        let value: Value = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let Value::Object(obj) = value else {
            return Err(bad("expected an object".into()));
        };
        let item = match obj.get("text") {
            Some(Value::String(text)) if !text.trim().is_empty() => Text {
                id: obj.get("id").cloned(),
                text: text.clone(),
            },
            Some(_) => return Err(bad("`text` must be a non-empty string".into())),
            None => {
                let paper = paper_from_object(path, line_no, &obj)?;
                Text {
                    id: Some(Value::String(paper.id.to_string())),
                    text: paper.embedding_text(),
                }
            }
        };
        items.push(item);
    }
    if items.is_empty() {
        return Err(IngestError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(items)
}
