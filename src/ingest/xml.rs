//! arXiv RSS 2.0 and Atom readers.
//!
//! Listings are small (hundreds of items), so the file is parsed into a tiny element tree
//! first; extraction then walks the tree, and every error can name the element and the line
//! it started on.

use std::path::Path;
use std::sync::OnceLock;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use regex::Regex;

use super::{collapse_ws, split_authors, AnnounceType, Day, IngestError, Location, Paper, PaperId};

#[derive(Debug, Default)]
struct Node {
    /// Local name, namespace prefix dropped (`dc:creator` -> `creator`).
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
    line: usize,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| collapse_ws(&c.text))
            .filter(|t| !t.is_empty())
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The authors of an announcement item or entry: one `dc:creator`, comma-separated.
    fn creators(&self) -> Vec<String> {
        self.child_text("creator")
            .map(|c| split_authors(&c))
            .unwrap_or_default()
    }

    /// `arxiv:announce_type` (new, cross, replace, …), or `Unknown` without one.
    fn announce_type(&self) -> AnnounceType {
        self.child_text("announce_type")
            .map(|t| AnnounceType::parse(&t))
            .unwrap_or(AnnounceType::Unknown)
    }

    fn location(&self) -> Location {
        Location::Element {
            line: self.line,
            name: self.name.clone(),
        }
    }
}

fn line_at(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn parse_tree(path: &Path, text: &str) -> Result<Node, IngestError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    let err = |pos: usize, name: Option<&Node>, message: String| IngestError::Xml {
        path: path.to_owned(),
        location: match name {
            Some(n) if !n.name.is_empty() => n.location(),
            _ => Location::Element {
                line: line_at(text, pos),
                name: "?".into(),
            },
        },
        message,
    };
    let open = |e: &BytesStart, pos: usize| -> Result<Node, String> {
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
            attrs.push((key, value));
        }
        Ok(Node {
            name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
            attrs,
            line: line_at(text, pos),
            ..Default::default()
        })
    };
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            err(
                reader.buffer_position() as usize,
                stack.last(),
                e.to_string(),
            )
        })?;
        match event {
            Event::Start(e) => {
                let node = open(&e, pos).map_err(|m| err(pos, stack.last(), m))?;
                stack.push(node);
            }
            Event::Empty(e) => {
                let node = open(&e, pos).map_err(|m| err(pos, stack.last(), m))?;
                stack.last_mut().expect("root").children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().expect("quick-xml checks nesting");
                let parent = stack
                    .last_mut()
                    .ok_or_else(|| err(pos, None, "closing tag without an opening one".into()))?;
                parent.children.push(node);
            }
            Event::Text(t) => {
                let s = t
                    .unescape()
                    .map_err(|e| err(pos, stack.last(), e.to_string()))?;
                stack.last_mut().expect("root").text.push_str(&s);
            }
            Event::CData(c) => {
                let s = String::from_utf8_lossy(&c.into_inner()).into_owned();
                stack.last_mut().expect("root").text.push_str(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        let open = stack.pop().expect("len > 1");
        return Err(IngestError::Xml {
            path: path.to_owned(),
            location: open.location(),
            message: "element is never closed (file truncated?)".into(),
        });
    }
    Ok(stack.pop().expect("root"))
}

fn rss_prefix() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?").unwrap()
    })
}

fn old_title_suffix() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Pre-2024 arXiv RSS titles end in "(arXiv:2401.00001v1 [cs.LG])" and sometimes "UPDATED".
    RE.get_or_init(|| Regex::new(r"\.?\s*\(arXiv:[^)]*\)(\s*UPDATED)?\s*$").unwrap())
}

fn rfc2822_day(s: &str) -> Option<Day> {
    chrono::DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|d| Day::from(d.date_naive()))
}

fn bad_id(path: &Path, node: &Node, value: String) -> IngestError {
    IngestError::BadId {
        path: path.to_owned(),
        location: node.location(),
        value,
    }
}

pub(super) fn read_rss(path: &Path, text: &str) -> Result<(Vec<Paper>, Option<Day>), IngestError> {
    let root = parse_tree(path, text)?;
    let channel = root
        .child("rss")
        .and_then(|r| r.child("channel"))
        .ok_or_else(|| IngestError::Xml {
            path: path.to_owned(),
            location: Location::File,
            message: "no <rss><channel> element".into(),
        })?;
    let feed_date = channel
        .child_text("pubDate")
        .or_else(|| channel.child_text("lastBuildDate"))
        .and_then(|d| rfc2822_day(&d));
    let mut papers = Vec::new();
    for item in channel.children("item") {
        let missing = |field| IngestError::missing(path, item.location(), field);
        let raw_id = item
            .child_text("guid")
            .or_else(|| item.child_text("link"))
            .ok_or_else(|| missing("guid"))?;
        let id = PaperId::parse(&raw_id).ok_or_else(|| bad_id(path, item, raw_id))?;
        let title = item.child_text("title").ok_or_else(|| missing("title"))?;
        let title = old_title_suffix().replace(&title, "").into_owned();
        let description = item.child_text("description").unwrap_or_default();
        let abstract_text = rss_prefix().replace(&description, "").trim().to_owned();
        if abstract_text.is_empty() {
            return Err(missing("description"));
        }
        let authors = item.creators();
        if authors.is_empty() {
            return Err(missing("dc:creator"));
        }
        let announce = item.announce_type();
        papers.push(Paper {
            id,
            title,
            authors,
            abstract_text,
            categories: item
                .children("category")
                .map(|c| collapse_ws(&c.text))
                .filter(|c| !c.is_empty())
                .collect(),
            date: item
                .child_text("pubDate")
                .and_then(|d| rfc2822_day(&d))
                .or(feed_date),
            announce,
        });
    }
    Ok((papers, feed_date))
}

pub(super) fn read_atom(path: &Path, text: &str) -> Result<(Vec<Paper>, Option<Day>), IngestError> {
    let root = parse_tree(path, text)?;
    let feed = root.child("feed").ok_or_else(|| IngestError::Xml {
        path: path.to_owned(),
        location: Location::File,
        message: "no <feed> element".into(),
    })?;
    let mut papers = Vec::new();
    for entry in feed.children("entry") {
        let missing = |field| IngestError::missing(path, entry.location(), field);
        let raw_id = entry.child_text("id").ok_or_else(|| missing("id"))?;
        if raw_id.contains("/api/errors") {
            // The arXiv API reports a bad query as a feed with one "Error" entry.
            return Err(IngestError::Xml {
                path: path.to_owned(),
                location: entry.location(),
                message: format!(
                    "the arXiv API returned an error: {}",
                    entry.child_text("summary").unwrap_or_default()
                ),
            });
        }
        let id = PaperId::parse(&raw_id).ok_or_else(|| bad_id(path, entry, raw_id))?;
        let title = entry.child_text("title").ok_or_else(|| missing("title"))?;
        // arXiv's Atom announcement feed prefixes the abstract as its RSS does.
        let summary = entry
            .child_text("summary")
            .ok_or_else(|| missing("summary"))?;
        let abstract_text = rss_prefix().replace(&summary, "").trim().to_owned();
        if abstract_text.is_empty() {
            return Err(missing("summary"));
        }
        // The API gives one <author><name> per author; the announcement feed one
        // <dc:creator> with them all, comma-separated.
        let mut authors: Vec<String> = entry
            .children("author")
            .filter_map(|a| a.child_text("name"))
            .collect();
        if authors.is_empty() {
            authors = entry.creators();
        }
        if authors.is_empty() {
            return Err(missing("author (or dc:creator)"));
        }
        let announce = entry.announce_type();
        let primary = entry.child("primary_category").and_then(|c| c.attr("term"));
        let mut categories: Vec<String> = primary.into_iter().map(str::to_owned).collect();
        for c in entry.children("category").filter_map(|c| c.attr("term")) {
            if Some(c) != primary {
                categories.push(c.to_owned());
            }
        }
        papers.push(Paper {
            id,
            title,
            authors,
            abstract_text,
            categories,
            date: entry
                .child_text("published")
                .and_then(|d| super::json::iso_day(&d)),
            announce,
        });
    }
    // An announcement feed is one day's listing: its <updated> is that day. (An API
    // response's <updated> is when the query ran, so it says nothing of the papers.)
    let announced = papers.iter().any(|p| p.announce != AnnounceType::Unknown);
    let feed_date = announced
        .then(|| feed.child_text("updated"))
        .flatten()
        .and_then(|d| super::json::iso_day(&d));
    Ok((papers, feed_date))
}
