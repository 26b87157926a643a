//! A digest's day and where it came from: one parse, one `Display`, one rule for the day in
//! a file's name, for every stage that names a day (the digest folder, the history, the
//! label sources).

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An arXiv announcement day, written `YYYY-MM-DD` and nothing else: `2025-5-13` and
/// `2025-05-13T00:00` are not days, so a folder or file name parses or does not, one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(NaiveDate);

impl Day {
    /// The day `s` names, exactly `YYYY-MM-DD` (a real date, zero-padded). Read byte by
    /// byte: a history of millions of papers parses one per paper when it opens.
    pub fn parse(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let number = |digits: &[u8]| {
            digits.iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let (y, m, d) = (number(&b[..4])?, number(&b[5..7])?, number(&b[8..])?);
        NaiveDate::from_ymd_opt(y as i32, m, d).map(Day)
    }

    /// The local calendar's today: the day of a listing that names none.
    pub fn today() -> Day {
        Day(chrono::Local::now().date_naive())
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl From<NaiveDate> for Day {
    fn from(d: NaiveDate) -> Self {
        Day(d)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// Files keep a day as the string `Display` writes, so `run.json`, a model's training span
/// and a feedback line read as they did when days were strings.
impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The one parse: a file whose day is not `YYYY-MM-DD` fails where it is read, naming the
/// value, instead of becoming a folder name or a link later.
impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(DayVisitor)
    }
}

/// Reads the string in place: no copy per paper of a history's id map.
struct DayVisitor;

impl serde::de::Visitor<'_> for DayVisitor {
    type Value = Day;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YYYY-MM-DD day")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Day, E> {
        Day::parse(s).ok_or_else(|| E::custom(format!("{s:?} is not a YYYY-MM-DD day")))
    }
}

/// Where a digest's day came from; `run.json` keeps it as `date_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySource {
    /// `--date`.
    Flag,
    /// The listing's own date (the feed's, or most papers').
    Listing,
    /// A `YYYY-MM-DD` in the listing's path ([`day_in_file_name`]).
    FileName,
    /// None of those: the day it ran.
    Today,
}

impl DaySource {
    /// The words `run.json` and the log use.
    pub fn as_str(self) -> &'static str {
        match self {
            DaySource::Flag => "--date",
            DaySource::Listing => "listing",
            DaySource::FileName => "file name",
            DaySource::Today => "today",
        }
    }
}

impl fmt::Display for DaySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The day a file's path names: the last `YYYY-MM-DD` of its file name, else of the nearest
/// folder above it that has one. So `2025-05-12/output_2025-05-13.json` is 2025-05-13 (the
/// file says more than its folder), `2025-05-12/output.json` is 2025-05-12, and
/// `2025/2025-05-12.json` and `cs-2025-05-12.rss.xml` are 2025-05-12. Crawlers write
/// `2025-05-13.jsonl` without dates inside; gpt_paper_assistant archives keep a folder or a
/// file per day.
pub fn day_in_file_name(path: &Path) -> Option<Day> {
    path.iter()
        .rev()
        .find_map(|part| last_day_in(&part.to_string_lossy()))
}

/// The last valid `YYYY-MM-DD` in `text`.
fn last_day_in(text: &str) -> Option<Day> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(9))
        .rev()
        .filter(|&i| {
            let digits_before = i > 0 && b[i - 1].is_ascii_digit();
            let digits_after = b.get(i + 10).is_some_and(u8::is_ascii_digit);
            !digits_before && !digits_after
        })
        .find_map(|i| text.get(i..i + 10).and_then(Day::parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(p: &str) -> Option<String> {
        day_in_file_name(Path::new(p)).map(|d| d.to_string())
    }

    #[test]
    fn the_file_name_says_more_than_its_folder() {
        // The regression: `rank` took the first date of the file name and the archive
        // reader the last of the whole path; one rule now, the file name's own day first.
        assert_eq!(
            day("2025-05-12/output_2025-05-13.json").as_deref(),
            Some("2025-05-13")
        );
        assert_eq!(day("2025-05-12/output.json").as_deref(), Some("2025-05-12"));
        assert_eq!(day("2025/2025-05-12.json").as_deref(), Some("2025-05-12"));
        assert_eq!(
            day("listings/cs-2025-05-13.rss.xml").as_deref(),
            Some("2025-05-13")
        );
        assert_eq!(
            day("out/output_2025-05-12.json").as_deref(),
            Some("2025-05-12")
        );
        assert_eq!(day("2025-13-40/output.json"), None);
        assert_eq!(day("output.json"), None);
        assert_eq!(day("12025-05-130.json"), None);
    }

    #[test]
    fn a_day_is_exactly_yyyy_mm_dd() {
        assert_eq!(Day::parse("2025-05-13").unwrap().to_string(), "2025-05-13");
        for bad in [
            "2025-5-13",
            "2025-02-30",
            "2025-05-13T00:00",
            "",
            "13-05-2025",
        ] {
            assert!(Day::parse(bad).is_none(), "{bad}");
        }
    }
}
