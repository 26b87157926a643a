//! Version-less arXiv identifiers.
//!
//! Every source spells ids differently (`arXiv:2603.05498v1`, `oai:arXiv.org:…`,
//! `http://arxiv.org/abs/…v2`, `hep-th/9901001`). Dedupe, history and label joins all key on
//! the id, so it is normalised once, here, and nowhere else.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct PaperId(String);

fn patterns() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // New style (2007-): YYMM.NNNN or YYMM.NNNNN. Old style: archive(.SUB)/YYMMNNN.
        Regex::new(r"^(?:(\d{4}\.\d{4,5})|([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?$").unwrap()
    })
}

impl PaperId {
    /// Parses any of the spellings arXiv and its mirrors use; `None` if it is no arXiv id.
    pub fn parse(raw: &str) -> Option<Self> {
        // The canonical new-style form (what histories store, millions of times) skips the
        // regex: YYMM.NNNN or YYMM.NNNNN.
        let b = raw.as_bytes();
        if (b.len() == 9 || b.len() == 10)
            && b[4] == b'.'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit())
        {
            return Some(Self(raw.to_owned()));
        }
        let mut s = raw.trim();
        for prefix in ["oai:arXiv.org:", "arXiv:", "arxiv:"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest;
            }
        }
        if let Some(pos) = s.find("/abs/").or_else(|| s.find("/pdf/")) {
            s = &s[pos + 5..];
            s = s.strip_suffix(".pdf").unwrap_or(s);
        }
        let caps = patterns().captures(s)?;
        let id = caps.get(1).or_else(|| caps.get(2))?.as_str();
        Some(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn abs_url(&self) -> String {
        format!("https://arxiv.org/abs/{}", self.0)
    }

    pub fn pdf_url(&self) -> String {
        format!("https://arxiv.org/pdf/{}", self.0)
    }
}

impl fmt::Display for PaperId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PaperId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s).ok_or_else(|| format!("`{s}` is not an arXiv id"))
    }
}

impl From<PaperId> for String {
    fn from(id: PaperId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        PaperId::parse(s).map(|i| i.0)
    }

    #[test]
    fn strips_versions_and_prefixes() {
        assert_eq!(p("2603.05498v1").as_deref(), Some("2603.05498"));
        assert_eq!(p("arXiv:2603.05498v12").as_deref(), Some("2603.05498"));
        assert_eq!(
            p("oai:arXiv.org:2603.05498v2").as_deref(),
            Some("2603.05498")
        );
        assert_eq!(
            p("http://arxiv.org/abs/2505.06543v1").as_deref(),
            Some("2505.06543")
        );
        assert_eq!(
            p("https://arxiv.org/pdf/2505.06543v1.pdf").as_deref(),
            Some("2505.06543")
        );
        assert_eq!(p("0704.0001").as_deref(), Some("0704.0001"));
        assert_eq!(p("hep-th/9901001v3").as_deref(), Some("hep-th/9901001"));
        assert_eq!(p("math.GT/0309136").as_deref(), Some("math.GT/0309136"));
    }

    #[test]
    fn rejects_non_ids() {
        for bad in [
            "",
            "paper-1",
            "2603.054",
            "12345.6789",
            "2603.05498v",
            "<script>",
        ] {
            assert_eq!(p(bad), None, "{bad:?} should not parse");
        }
    }
}
