//! JSON lines: arxrank's own schema, the labelled pools (same schema plus `label`) and the
//! Kaggle `arxiv-metadata-oai-snapshot` dump, recognised line by line so a file may mix them.

use crate::fsutil::IoError;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{collapse_ws, split_authors, AnnounceType, Day, IngestError, Location, Paper, PaperId};

pub(super) fn read_all(path: &Path, text: &str) -> Result<Vec<Paper>, IngestError> {
    let mut papers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(p) = parse_json_line(path, i + 1, line)? {
            papers.push(p);
        }
    }
    Ok(papers)
}

/// Parses one line; blank lines give `None`. `line_no` is 1-based and only used in errors.
pub fn parse_json_line(
    path: &Path,
    line_no: usize,
    line: &str,
) -> Result<Option<Paper>, IngestError> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let loc = || Location::Line(line_no);
    let value: Value = serde_json::from_str(line).map_err(|e| IngestError::Json {
        path: path.to_owned(),
        location: loc(),
        message: e.to_string(),
    })?;
    let Value::Object(obj) = value else {
        return Err(IngestError::Json {
            path: path.to_owned(),
            location: loc(),
            message: "expected a JSON object".into(),
        });
    };
    paper_from_object(path, line_no, &obj).map(Some)
}

/// The paper in one parsed JSON line (arxrank's schema, a labelled pool's or Kaggle's), for
/// readers that also want the line's other fields. `line_no` is only used in errors.
pub fn paper_from_object(
    path: &Path,
    line_no: usize,
    obj: &Map<String, Value>,
) -> Result<Paper, IngestError> {
    let loc = || Location::Line(line_no);
    let field = |name: &'static str| -> Result<String, IngestError> {
        match obj.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(collapse_ws(s)),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(IngestError::missing(path, loc(), name)),
        }
    };
    // daily-arXiv-ai-enhanced and other crawlers: `arxiv_id` for the id, `summary` for
    // the abstract.
    let any = |names: &[&'static str]| -> Result<String, IngestError> {
        let mut last = None;
        for &n in names {
            match field(n) {
                Ok(v) => return Ok(v),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least one name"))
    };
    let raw_id = any(&["id", "arxiv_id"]).map_err(|_| IngestError::missing(path, loc(), "id"))?;
    let id = PaperId::parse(&raw_id).ok_or_else(|| IngestError::BadId {
        path: path.to_owned(),
        location: loc(),
        value: raw_id.clone(),
    })?;
    let title = field("title")?;
    let abstract_text =
        any(&["abstract", "summary"]).map_err(|_| IngestError::missing(path, loc(), "abstract"))?;
    let authors = authors(obj);
    if authors.is_empty() {
        return Err(IngestError::missing(path, loc(), "authors"));
    }
    let categories = match obj.get("categories") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(Paper {
        id,
        title,
        authors,
        abstract_text,
        categories,
        date: date(obj),
        announce: AnnounceType::Unknown,
    })
}

fn authors(obj: &Map<String, Value>) -> Vec<String> {
    // Kaggle's authors_parsed ([last, first, suffix]) is cleaner than its LaTeX-ish string.
    if let Some(Value::Array(parsed)) = obj.get("authors_parsed") {
        let names: Vec<String> = parsed
            .iter()
            .filter_map(|a| a.as_array())
            .map(|parts| {
                let s = |i: usize| parts.get(i).and_then(|v| v.as_str()).unwrap_or("").trim();
                collapse_ws(&format!("{} {} {}", s(1), s(0), s(2)))
            })
            .filter(|n| !n.is_empty())
            .collect();
        if !names.is_empty() {
            return names;
        }
    }
    match obj.get("authors") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str())
            .map(collapse_ws)
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) => split_authors(s),
        _ => Vec::new(),
    }
}

fn date(obj: &Map<String, Value>) -> Option<Day> {
    if let Some(d) = obj.get("date").and_then(|v| v.as_str()).and_then(iso_day) {
        return Some(d);
    }
    // Kaggle: the first version's submission time is when the paper appeared.
    let first_version = obj
        .get("versions")
        .and_then(|v| v.as_array())
        .and_then(|v| v.first())
        .and_then(|v| v.get("created"))
        .and_then(|v| v.as_str())
        .and_then(|s| chrono::DateTime::parse_from_rfc2822(s).ok())
        .map(|d| Day::from(d.date_naive()));
    first_version.or_else(|| {
        obj.get("update_date")
            .and_then(|v| v.as_str())
            .and_then(iso_day)
    })
}

/// The `YYYY-MM-DD` prefix of an ISO date or datetime.
pub(super) fn iso_day(s: &str) -> Option<Day> {
    Day::parse(s.get(..10)?)
}

/// Streams papers from a JSONL file of any size, one line at a time.
pub struct JsonLines<R> {
    path: PathBuf,
    reader: R,
    line_no: usize,
    /// Bytes before the current line, to place a byte that is not UTF-8.
    offset: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> JsonLines<R> {
    pub fn new(path: impl Into<PathBuf>, reader: R) -> Self {
        Self {
            path: path.into(),
            reader,
            line_no: 0,
            offset: 0,
            buf: Vec::new(),
        }
    }

    /// 1-based number of the last line read.
    pub fn line_no(&self) -> usize {
        self.line_no
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<Paper, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(source) => return Some(Err(IoError::read(&self.path)(source).into())),
            }
            self.line_no += 1;
            let start = self.offset;
            self.offset += self.buf.len();
            // Malformed input like any other (exit 2), not a failure to read the file.
            let line = match std::str::from_utf8(&self.buf) {
                Ok(l) => l,
                Err(e) => {
                    return Some(Err(IngestError::NotUtf8 {
                        path: self.path.clone(),
                        offset: start + e.valid_up_to(),
                    }))
                }
            };
            match parse_json_line(&self.path, self.line_no, line) {
                Ok(Some(p)) => return Some(Ok(p)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kaggle_record() {
        let line = r#"{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\\'azs, E. L. Berger","title":"Calculation of prompt diphoton\n  production","comments":null,"categories":"hep-ph math.CO","abstract":"  A fully differential\ncalculation.\n","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"}],"update_date":"2008-11-13","authors_parsed":[["Balázs","C.",""],["Berger","E. L.",""]]}"#;
        let p = parse_json_line(Path::new("k.jsonl"), 1, line)
            .unwrap()
            .unwrap();
        assert_eq!(p.id.as_str(), "0704.0001");
        assert_eq!(p.title, "Calculation of prompt diphoton production");
        assert_eq!(p.abstract_text, "A fully differential calculation.");
        assert_eq!(p.authors, vec!["C. Balázs", "E. L. Berger"]);
        assert_eq!(p.categories, vec!["hep-ph", "math.CO"]);
        assert_eq!(p.date.map(|d| d.to_string()).as_deref(), Some("2007-04-02"));
    }

    #[test]
    fn streams_lines_skipping_blanks_and_reports_the_failing_line() {
        let text = "{\"id\":\"2505.00001\",\"title\":\"A\",\"authors\":[\"X\"],\"abstract\":\"a\"}\n\n{\"id\":\"2505.00002v3\",\"title\":\"B\",\"authors\":\"Y and Z\",\"abstract\":\"b\"}\n{oops\n";
        let mut it = JsonLines::new("big.jsonl", std::io::Cursor::new(text));
        assert_eq!(it.next().unwrap().unwrap().id.as_str(), "2505.00001");
        let b = it.next().unwrap().unwrap();
        assert_eq!((b.id.as_str(), b.authors.len()), ("2505.00002", 2));
        assert_eq!(it.line_no(), 3);
        let e = it.next().unwrap().unwrap_err().to_string();
        assert!(e.starts_with("big.jsonl: line 4: malformed JSON"), "{e}");
        assert!(it.next().is_none());
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = parse_json_line(
            Path::new("day.jsonl"),
            7,
            r#"{"id":"2505.00001","title":"T","authors":["A"],"abstract":"  "}"#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "day.jsonl: line 7: missing or empty field `abstract` (accepted names: `abstract`, `summary`)"
        );
        let e = parse_json_line(Path::new("day.jsonl"), 3, r#"{"id":"2505.00001","#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("day.jsonl: line 3: malformed JSON"), "{e}");
        let e = parse_json_line(
            Path::new("day.jsonl"),
            2,
            r#"{"id":"x1","title":"T","authors":["A"],"abstract":"a"}"#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "day.jsonl: line 2: `x1` is not an arXiv id");
    }
}
