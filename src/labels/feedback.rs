//! The reader's marks as they are made, one JSON line per mark: the static site's exported
//! `feedback.jsonl` (`{"id", "label", "date"}`) and the feedback log (`{"id", "label",
//! "day", "time"}`), which only ever grows: `arxrank feedback import` (and the local server
//! to come) append to it, `learn --feedback` reads it. A later line about a paper replaces
//! an earlier one, and label 0 takes a mark back, so the log keeps every change of mind and
//! its reading is the reader's current marks.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LabelsError;
use crate::fsutil::IoError;
use crate::ingest::{Day, PaperId};

/// A paper the reader marks: liked (1) or not for them (-1), on a day's page.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    pub id: PaperId,
    pub liked: bool,
    pub date: Day,
}

/// A feedback file read: its current marks, in the order the papers were first marked, and
/// the number of a torn last line that was left out (a writer killed mid-line).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackFile {
    pub marks: Vec<Feedback>,
    pub torn_line: Option<usize>,
}

/// One line as either format writes it.
#[derive(Deserialize)]
struct Line {
    id: Option<String>,
    label: Option<serde_json::Value>,
    day: Option<String>,
    date: Option<String>,
}

/// One line of the log as it is written.
#[derive(Serialize)]
struct LogLine<'a> {
    id: &'a PaperId,
    label: i8,
    day: Day,
    time: String,
}

/// Reads a feedback file or log. A malformed line is an error naming the file and line,
/// except the last line of a file that does not end in a newline: that is a write cut
/// short, and it is left out (and said so in `torn_line`).
pub fn read_feedback(path: &Path) -> Result<FeedbackFile, LabelsError> {
    let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
    let lines: Vec<&str> = text.lines().collect();
    // A paper's slot is where it was first marked; a mark taken back empties it.
    let mut slots: Vec<Option<Feedback>> = Vec::new();
    let mut at: HashMap<PaperId, usize> = HashMap::new();
    let (mut read, mut torn_line) = (0, None);
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (id, label, day) = match parse_line(line) {
            Ok(mark) => mark,
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {
                torn_line = Some(i + 1);
                continue;
            }
            Err(message) => {
                return Err(LabelsError::Label {
                    path: path.to_owned(),
                    line: i + 1,
                    message,
                })
            }
        };
        read += 1;
        let mark = (label != 0).then(|| Feedback {
            id: id.clone(),
            liked: label == 1,
            date: day,
        });
        let k = *at.entry(id).or_insert_with(|| {
            slots.push(None);
            slots.len() - 1
        });
        slots[k] = mark;
    }
    if read == 0 {
        return Err(LabelsError::Invalid {
            path: path.to_owned(),
            message: "holds no feedback".into(),
        });
    }
    Ok(FeedbackFile {
        marks: slots.into_iter().flatten().collect(),
        torn_line,
    })
}

/// A line's paper, label (1, -1, or 0 to take a mark back) and day (`day`, or the site
/// export's `date`), or what is wrong with it.
fn parse_line(line: &str) -> Result<(PaperId, i8, Day), String> {
    let l: Line = serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let raw = l.id.ok_or("missing `id` (an arXiv id)")?;
    let id = PaperId::parse(&raw).ok_or_else(|| format!("`{raw}` is not an arXiv id"))?;
    let label = match l.label.as_ref().and_then(serde_json::Value::as_i64) {
        Some(v @ (-1..=1)) => v as i8,
        _ => {
            let shown = l.label.map_or("missing".into(), |v| v.to_string());
            return Err(format!("`label` is {shown}, not 1, -1 or 0"));
        }
    };
    let raw_day = l.day.or(l.date);
    let day = raw_day.as_deref().and_then(Day::parse).ok_or_else(|| {
        format!(
            "`day` (or `date`) is {}, not YYYY-MM-DD",
            raw_day.map_or("missing".into(), |d| format!("{d:?}"))
        )
    })?;
    Ok((id, label, day))
}

/// Appends marks to the log at `path` (created if missing), each with the time now: all
/// of them in one write, under an exclusive lock on the file, then flushed to disk, so two
/// writers (a server's requests, an import) never interleave and a mark the call returned
/// for is on disk. A torn last line left by a writer killed mid-write is cut off first, so
/// the new lines start on a line of their own; returns whether it was.
pub fn append(path: &Path, marks: &[(PaperId, i8, Day)]) -> Result<bool, LabelsError> {
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut text = String::new();
    for (id, label, day) in marks {
        let line = LogLine {
            id,
            label: *label,
            day: *day,
            time: time.clone(),
        };
        text.push_str(&serde_json::to_string(&line).expect("log lines serialise"));
        text.push('\n');
    }
    let io = IoError::write(path);
    let mut file = fs_err::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    file.file().lock().map_err(IoError::write(path))?;
    let cut = cut_torn_tail(&mut file).map_err(IoError::write(path))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(IoError::write(path))?;
    Ok(cut)
}

/// Truncates the log after its last newline when bytes follow it.
fn cut_torn_tail(file: &mut fs_err::File) -> std::io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(false);
    }
    let mut tail = Vec::new();
    let from = len.saturating_sub(64 * 1024);
    file.seek(SeekFrom::Start(from))?;
    file.read_to_end(&mut tail)?;
    if tail.last() == Some(&b'\n') {
        return Ok(false);
    }
    let keep = tail
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(from, |p| from + p as u64 + 1);
    file.file().set_len(keep)?;
    Ok(true)
}

/// Renames the log to `<stem>-set-aside-<UTC time>.jsonl` beside it, if there is one;
/// returns the new name.
pub fn set_aside(log: &Path) -> Result<Option<std::path::PathBuf>, LabelsError> {
    if !log.is_file() {
        return Ok(None);
    }
    let stem = log
        .file_stem()
        .map_or("feedback".into(), |s| s.to_string_lossy());
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept = log.with_file_name(format!("{stem}-set-aside-{time}.jsonl"));
    fs_err::rename(log, &kept).map_err(IoError::write(log))?;
    Ok(Some(kept))
}

/// Imports the static site's exported marks into the log: the whole file is read and
/// checked first, so a bad file adds nothing. Returns the marks added.
pub fn import(export: &Path, log: &Path) -> Result<usize, LabelsError> {
    let read = read_feedback(export)?;
    let marks: Vec<(PaperId, i8, Day)> = read
        .marks
        .iter()
        .map(|f| (f.id.clone(), if f.liked { 1 } else { -1 }, f.date))
        .collect();
    append(log, &marks)?;
    Ok(marks.len())
}

#[cfg(test)]
mod tests {
    use super::super::tests::write;
    use super::*;

    fn id(s: &str) -> PaperId {
        PaperId::parse(s).unwrap()
    }

    fn day() -> Day {
        Day::parse("2025-05-13").unwrap()
    }

    #[test]
    fn later_marks_replace_earlier_ones_and_zero_takes_a_mark_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("feedback.jsonl");
        append(
            &log,
            &[(id("2505.00001"), 1, day()), (id("2505.00002"), 1, day())],
        )
        .unwrap();
        append(
            &log,
            &[(id("2505.00003"), -1, day()), (id("2505.00001"), -1, day())],
        )
        .unwrap();
        append(&log, &[(id("2505.00002"), 0, day())]).unwrap();
        let read = read_feedback(&log).unwrap();
        let got: Vec<(String, bool)> = read
            .marks
            .iter()
            .map(|f| (f.id.to_string(), f.liked))
            .collect();
        assert_eq!(
            got,
            [
                ("2505.00001".to_owned(), false),
                ("2505.00003".to_owned(), false)
            ]
        );
        assert_eq!(read.torn_line, None);
        // Every change is kept: five lines, each with its time.
        let text = fs_err::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), 5);
        assert!(text.lines().all(|l| l.contains("\"time\":\"20")), "{text}");
    }

    #[test]
    fn a_torn_last_line_is_dropped_on_reading_and_cut_before_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("feedback.jsonl");
        append(&log, &[(id("2505.00001"), 1, day())]).unwrap();
        let mut text = fs_err::read_to_string(&log).unwrap();
        text.push_str("{\"id\": \"2505.00002\", \"lab");
        fs_err::write(&log, &text).unwrap();
        let read = read_feedback(&log).unwrap();
        assert_eq!((read.marks.len(), read.torn_line), (1, Some(2)));
        assert!(append(&log, &[(id("2505.00003"), -1, day())]).unwrap());
        let read = read_feedback(&log).unwrap();
        assert_eq!((read.marks.len(), read.torn_line), (2, None));
        // The same bytes in the middle of the file are an error naming the line.
        let text = fs_err::read_to_string(&log).unwrap();
        fs_err::write(&log, format!("{{\"id\": 3\n{text}")).unwrap();
        let e = read_feedback(&log).unwrap_err().to_string();
        assert!(e.contains("feedback.jsonl: line 1"), "{e}");
    }

    #[test]
    fn feedback_lines_are_checked_and_the_last_word_wins() {
        let dir = tempfile::tempdir().unwrap();
        let ok = write(
            dir.path(),
            "feedback.jsonl",
            "{\"id\":\"2505.00001\",\"label\":1,\"date\":\"2025-05-12\"}\n\
             {\"id\":\"2505.00002\",\"label\":-1,\"date\":\"2025-05-12\"}\n\
             {\"id\":\"2505.00001\",\"label\":-1,\"date\":\"2025-05-12\"}\n",
        );
        let f = read_feedback(&ok).unwrap();
        assert_eq!(f.marks.len(), 2);
        assert!(!f.marks[0].liked, "the later dislike replaced the like");
        for (line, want) in [
            (
                "{\"id\":\"2505.00001\",\"label\":2,\"date\":\"2025-05-12\"}",
                "not 1, -1 or 0",
            ),
            (
                "{\"id\":\"x\",\"label\":1,\"date\":\"2025-05-12\"}",
                "not an arXiv id",
            ),
            (
                "{\"id\":\"2505.00001\",\"label\":1,\"date\":\"May 12\"}",
                "not YYYY-MM-DD",
            ),
            ("{\"id\":\"2505.00001\",", "malformed JSON"),
        ] {
            let p = write(
                dir.path(),
                "bad.jsonl",
                &format!("{{\"id\":\"2505.00003\",\"label\":1,\"date\":\"2025-05-12\"}}\n{line}\n"),
            );
            let e = read_feedback(&p).unwrap_err().to_string();
            assert!(e.contains("bad.jsonl: line 2") && e.contains(want), "{e}");
        }
    }
}
