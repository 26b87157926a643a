//! The group a judged paper is held out with: its announcement day where it has one. Papers
//! of one day share a listing and a judge's mood, so cross-validation and time-forward
//! splits keep a day whole; a reader's library has no days, so its papers fall into fixed
//! groups instead.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ingest::Day;

/// How many fixed groups a library's papers are spread over.
pub const LIBRARY_GROUPS: u8 = 5;

/// A judged paper's day, or the group that stands in for one. Ordered days first (by date),
/// then the library's groups, then the undated, which is the order their names sort in:
/// time-forward splits put everything that is not a day after every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Day(Day),
    /// One of [`LIBRARY_GROUPS`] fixed groups of a library's papers (by a hash of the id).
    Library(u8),
    /// A paper of a labelled pool whose line and file name give no day.
    Undated,
}

impl Group {
    /// The group of a paper dated `date`: its day, else undated.
    pub fn of_date(date: Option<Day>) -> Group {
        date.map_or(Group::Undated, Group::Day)
    }

    /// The group of a library paper: the same id always lands in the same group.
    pub fn library(id: &crate::ingest::PaperId) -> Group {
        Group::Library((crate::fsutil::fnv(id.as_str()) % u64::from(LIBRARY_GROUPS)) as u8)
    }

    pub fn day(self) -> Option<Day> {
        match self {
            Group::Day(d) => Some(d),
            _ => None,
        }
    }

    /// The name `Display` writes, read back (a stored model's training span).
    pub fn parse(s: &str) -> Option<Group> {
        if s == "undated" {
            return Some(Group::Undated);
        }
        if let Some(n) = s.strip_prefix("library-") {
            return n
                .parse()
                .ok()
                .filter(|&n| n < LIBRARY_GROUPS)
                .map(Group::Library);
        }
        Day::parse(s).map(Group::Day)
    }
}

impl From<Day> for Group {
    fn from(d: Day) -> Self {
        Group::Day(d)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Group::Day(d) => d.fmt(f),
            Group::Library(n) => write!(f, "library-{n}"),
            Group::Undated => f.write_str("undated"),
        }
    }
}

impl Serialize for Group {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Group {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Group::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{s:?} is neither a YYYY-MM-DD day, `library-N` nor `undated`"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_sort_as_their_names_do_and_read_back() {
        let names = [
            "2025-05-12",
            "2025-05-13",
            "library-0",
            "library-4",
            "undated",
        ];
        let groups: Vec<Group> = names.iter().map(|n| Group::parse(n).unwrap()).collect();
        let mut sorted = groups.clone();
        sorted.sort();
        assert_eq!(sorted, groups);
        let back: Vec<String> = groups.iter().map(Group::to_string).collect();
        assert_eq!(back, names);
        for bad in ["library-5", "library-", "2025-5-12", ""] {
            assert_eq!(Group::parse(bad), None, "{bad}");
        }
    }
}
