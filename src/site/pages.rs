//! The site's HTML: day pages, month overviews, the index, and their two asset files.
//!
//! Every page is plain HTML that reads fine without JavaScript; the one script only filters
//! the cards of a day page. Links are relative, so the site works from a web server under
//! any path and straight from disk (`file://`). Each page carries a Content-Security-Policy
//! that allows only the site's own stylesheet and script: should escaping ever miss a spot,
//! an injected inline script or event handler still would not run.
//!
//! The pages are askama templates (`templates/`), compiled into the binary and checked by
//! the compiler against the view types below. Every `{{ }}` is escaped unless a template
//! says otherwise, and none does: the views hold plain text, never markup.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use askama::Template;

use super::{Day, SiteError};
use crate::ingest::PaperId;
use crate::render::{Arxrank, DigestPaper};

const CSS: &str = include_str!("site.css");
const JS: &str = include_str!("site.js");

/// How many papers a month overview lists as its best.
const TOP_OF_MONTH: usize = 20;

/// The default of [`SiteOptions::list_from`]: the two steps below the default profile's
/// selection threshold of 8, the near misses a reader may still want to see.
pub const DEFAULT_LIST_FROM: u8 = 6;

#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// Papers the digest did not select are still listed, hidden until the filter asks for
    /// them, down to this relevance.
    pub list_from: u8,
    /// The command that trains the profile on the exported feedback, with this site's real
    /// paths, shown beside the export button.
    pub learn_command: String,
    /// The browser's storage key for the marks made on the static site: one per profile,
    /// so the sites of several profiles opened in one browser keep their marks apart.
    pub store: String,
}

impl SiteOptions {
    /// The options of a site of one profile, or of the `[[profile]]` named `profile`.
    pub fn new(list_from: u8, learn_command: String, profile: Option<&str>) -> Self {
        SiteOptions {
            list_from,
            learn_command,
            store: match profile {
                Some(name) => format!("arxrank-feedback-{name}"),
                None => "arxrank-feedback".into(),
            },
        }
    }
}

impl Default for SiteOptions {
    fn default() -> Self {
        let learn = "arxrank learn --feedback ~/Downloads/feedback.jsonl";
        Self::new(DEFAULT_LIST_FROM, learn.into(), None)
    }
}

/// What [`write_site`] wrote.
#[derive(Debug)]
pub struct Written {
    pub index: PathBuf,
    pub day_pages: usize,
    pub month_pages: usize,
}

/// Writes the whole site for `days` (oldest first, as [`super::load_days`] returns them)
/// into `out`. Every file is replaced atomically, so a reader never sees half a page.
pub fn write_site(days: &[Day], out: &Path, opts: &SiteOptions) -> Result<Written, SiteError> {
    let write = |rel: &str, text: &str| {
        let path = out.join(rel);
        crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(SiteError::from)
    };
    write("assets/site.css", CSS)?;
    write("assets/site.js", JS)?;

    let topics = topic_order(days);
    let listings: Vec<Vec<&DigestPaper>> = days.iter().map(|d| listed(d, opts)).collect();
    // Where each listed paper has its card, so a nearest past paper links to it on the site.
    let mut cards: HashMap<&PaperId, String> = HashMap::new();
    for (day, papers) in days.iter().zip(&listings) {
        for p in papers {
            cards.entry(&p.id).or_insert_with(|| day_name(day));
        }
    }
    let site = DayContext {
        topics: &topics,
        cards: &cards,
        opts,
    };
    for (i, (day, papers)) in days.iter().zip(&listings).enumerate() {
        let prev = i.checked_sub(1).map(|j| &days[j]);
        let next = days.get(i + 1);
        write(
            &format!("days/{}.html", day_name(day)),
            &html(day_page(day, papers, prev, next, &site))?,
        )?;
    }

    let months = by_month(days);
    let keys: Vec<&String> = months.keys().collect();
    for (i, (month, month_days)) in months.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| keys[j].as_str());
        let next = keys.get(i + 1).map(|k| k.as_str());
        write(
            &format!("months/{month}.html"),
            &html(month_page(month, month_days, prev, next, &topics))?,
        )?;
    }
    write("index.html", &html(index_page(days, &months))?)?;
    Ok(Written {
        index: out.join("index.html"),
        day_pages: days.len(),
        month_pages: months.len(),
    })
}

/// A page's text. askama drops the final newline of a template file; a page ends with one.
fn html(page: impl Template) -> Result<String, askama::Error> {
    let mut s = page.render()?;
    s.push('\n');
    Ok(s)
}

fn day_name(day: &Day) -> String {
    day.date.format("%Y-%m-%d").to_string()
}

fn month_title(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| month.to_owned())
}

fn by_month(days: &[Day]) -> BTreeMap<String, Vec<&Day>> {
    let mut m: BTreeMap<String, Vec<&Day>> = BTreeMap::new();
    for d in days {
        m.entry(d.month()).or_default().push(d);
    }
    m
}

/// Topics in the profile's order (as `output.json` lists their cosines), then any other
/// best topic a day names, so the filter and overviews read like the profile.
fn topic_order(days: &[Day]) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut add = |t: &str| {
        if !order.iter().any(|o| o == t) {
            order.push(t.to_owned());
        }
    };
    for p in days.iter().flat_map(|d| d.papers.iter()) {
        for (t, _) in &p.arxrank.topic_similarity {
            add(t);
        }
        add(&p.arxrank.best_topic);
    }
    order
}

/// The papers a day page shows: the digest's picks in digest order, then the papers it did
/// not select down to `list_from`, in rank order.
fn listed<'a>(day: &'a Day, opts: &SiteOptions) -> Vec<&'a DigestPaper> {
    day.selected()
        .chain(
            day.papers
                .iter()
                .filter(|p| !p.arxrank.selected && p.relevance >= opts.list_from),
        )
        .collect()
}

/// What every day page needs to know about the whole site.
struct DayContext<'a> {
    topics: &'a [String],
    cards: &'a HashMap<&'a PaperId, String>,
    opts: &'a SiteOptions,
}

/// A link to a sibling page: its file stem and its text.
struct Link {
    stem: String,
    text: String,
}

/// The previous/next bar of day and month pages. At either end of the run it says there is
/// no earlier or later `unit`; `keep_filter` marks links that carry the day filter along.
struct Pager {
    label: &'static str,
    unit: &'static str,
    keep_filter: bool,
    prev: Option<Link>,
    /// Day pages link their month's overview.
    month: Option<Link>,
    next: Option<Link>,
}

struct TopicOption<'a> {
    name: &'a str,
    picks: usize,
    listed: usize,
}

/// The papers a day page lists under each interest at least, when the interest has fewer
/// picks: its best-ranked listed papers below the line, so a narrow interest is never
/// drowned out of the page by a broad one.
pub const INTEREST_SHARE: usize = 3;

/// One interest's heading on a day page: its picks in the ranking's order, then, when it
/// has fewer than [`INTEREST_SHARE`], its next-best listed papers.
struct InterestHeading<'a> {
    name: &'a str,
    picks: Vec<&'a DigestPaper>,
    near: Vec<&'a DigestPaper>,
}

/// Each hand-set topic's heading, for a profile of several: a paper goes under the topic it
/// is closest to (its best topic), the same rule that splits a reader's marks into
/// interests; `papers` are in rank order.
fn interest_headings<'a>(
    topics: &'a [String],
    papers: &[&'a DigestPaper],
) -> Vec<InterestHeading<'a>> {
    if topics.len() < 2 {
        return Vec::new();
    }
    topics
        .iter()
        .map(|t| {
            let (picks, rest): (Vec<&DigestPaper>, Vec<&DigestPaper>) = papers
                .iter()
                .filter(|p| p.arxrank.best_topic == *t)
                .partition(|p| p.arxrank.selected);
            let near = rest
                .into_iter()
                .take(INTEREST_SHARE.saturating_sub(picks.len()))
                .collect();
            InterestHeading {
                name: t,
                picks,
                near,
            }
        })
        .collect()
}

/// One paper's card on a day page.
struct Card<'a> {
    p: &'a DigestPaper,
    a: &'a Arxrank,
    /// `1.`, `2.` … for the digest's picks, `·` for the papers it passed over.
    label: String,
    /// The best topic's closeness in words, and its cosine for the chip's tooltip.
    closeness: &'static str,
    best_cosine: String,
    /// Why there is no novelty, when there is none and the paper is no repeat.
    novelty_note: Option<&'static str>,
    /// The learned ranker's chip: its main reason, and the numbers behind it.
    learned: Option<Chip>,
    liked: Option<Chip>,
    disliked: Option<Chip>,
    /// The day whose page has a card for the nearest past paper.
    nearest_on_site: Option<String>,
}

/// A chip's text and the numbers behind it, shown on hover.
struct Chip {
    text: String,
    title: String,
}

#[derive(Template)]
#[template(path = "day.html")]
struct DayPage<'a> {
    title: String,
    root: &'static str,
    script: bool,
    pager: Pager,
    date: String,
    run: &'a crate::render::RunFacts,
    topic_options: Vec<TopicOption<'a>>,
    /// The minimum-relevance choices, highest first.
    min_options: Vec<u8>,
    picks: usize,
    list_from: u8,
    toc: Vec<&'a DigestPaper>,
    /// The picks under each interest's heading (none for a profile of one topic).
    interests: Vec<InterestHeading<'a>>,
    cards: Vec<Card<'a>>,
    /// The "Help arxrank learn" block's papers.
    questions: Vec<&'a DigestPaper>,
    learn_command: &'a str,
    store: &'a str,
    /// What ranked the day, when it was not the hand-set profile alone.
    ranked_with: Option<String>,
    /// Why the profile's learned model was not used, when it could not be.
    warning: Option<String>,
}

/// The filter's topics, in the profile's order, with the day's picks and listed papers of
/// each (topics with no paper that day left out).
fn topic_options<'a>(topics: &'a [String], papers: &[&DigestPaper]) -> Vec<TopicOption<'a>> {
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for p in papers {
        let c = counts.entry(p.arxrank.best_topic.as_str()).or_default();
        c.0 += usize::from(p.arxrank.selected);
        c.1 += 1;
    }
    topics
        .iter()
        .filter_map(|t| {
            counts.get(t.as_str()).map(|&(picks, listed)| TopicOption {
                name: t,
                picks,
                listed,
            })
        })
        .collect()
}

/// `papers` is the day's [`listed`] papers.
fn day_page<'a>(
    day: &'a Day,
    papers: &[&'a DigestPaper],
    prev: Option<&Day>,
    next: Option<&Day>,
    site: &DayContext<'a>,
) -> DayPage<'a> {
    let (topics, opts) = (site.topics, site.opts);
    let date = day_name(day);
    let month = day.month();
    let topic_options = topic_options(topics, papers);
    let lowest = papers
        .iter()
        .map(|p| p.relevance)
        .min()
        .unwrap_or(10)
        .min(opts.list_from);
    let toc: Vec<&DigestPaper> = papers
        .iter()
        .copied()
        .filter(|p| p.arxrank.selected)
        .collect();
    let cards = cards(papers, site.cards);
    let day_link = |d: &Day, what: &str| Link {
        stem: day_name(d),
        text: format!("{what} ({})", day_name(d)),
    };
    DayPage {
        title: format!("arxrank digest {date}"),
        root: "../",
        script: true,
        pager: Pager {
            label: "Days",
            unit: "day",
            keep_filter: true,
            prev: prev.map(|p| day_link(p, "Previous day")),
            month: Some(Link {
                text: month_title(&month),
                stem: month,
            }),
            next: next.map(|n| day_link(n, "Next day")),
        },
        date,
        run: &day.run,
        topic_options,
        min_options: (lowest..=10).rev().collect(),
        picks: toc.len(),
        list_from: opts.list_from,
        interests: interest_headings(topics, papers),
        toc,
        cards,
        questions: day.papers.iter().filter(|p| p.arxrank.ask).collect(),
        learn_command: &opts.learn_command,
        store: &opts.store,
        ranked_with: day
            .run
            .ranked_with
            .as_ref()
            .filter(|w| w.learned_used)
            .map(|w| w.learned.clone()),
        warning: day
            .run
            .ranked_with
            .as_ref()
            .filter(|w| w.learned_sha256.is_some() && !w.learned_used)
            .map(|w| w.learned.clone()),
    }
}

/// The day's cards: the digest's picks numbered in digest order, then the others.
fn cards<'a>(papers: &[&'a DigestPaper], on_site: &HashMap<&PaperId, String>) -> Vec<Card<'a>> {
    let mut number = 0;
    papers
        .iter()
        .map(|&p| {
            let label = if p.arxrank.selected {
                number += 1;
                format!("{number}.")
            } else {
                "·".into()
            };
            let cosine = p
                .arxrank
                .topic_similarity
                .iter()
                .find(|(t, _)| *t == p.arxrank.best_topic)
                .map(|(_, v)| *v);
            Card {
                p,
                a: &p.arxrank,
                label,
                closeness: cosine.map_or("", |c| crate::score::closeness(c as f32)),
                best_cosine: cosine.map_or(String::new(), |c| {
                    format!("cosine {c:.2} to the topic's closest description or anchor")
                }),
                novelty_note: (p.novelty.is_none() && p.arxrank.repeat_of.is_none())
                    .then_some("no earlier day in the history to compare with"),
                learned: p.arxrank.learned.as_ref().map(learned_chip),
                liked: p.arxrank.liked_mark.as_ref().map(|m| Chip {
                    text: format!(
                        "♥ like \u{201c}{}\u{201d}, which you liked",
                        short(&m.title)
                    ),
                    title: format!("cosine {:.2} to {} ({})", m.cosine, m.id, m.title),
                }),
                disliked: p.arxrank.disliked_mark.as_ref().map(|m| Chip {
                    text: format!(
                        "✗ like \u{201c}{}\u{201d}, marked not for you",
                        short(&m.title)
                    ),
                    title: format!("cosine {:.2} to {} ({})", m.cosine, m.id, m.title),
                }),
                nearest_on_site: p
                    .arxrank
                    .nearest_past
                    .as_ref()
                    .and_then(|n| on_site.get(&n.id))
                    .cloned(),
            }
        })
        .collect()
}

/// A title cut to fit a chip.
fn short(title: &str) -> String {
    const MAX: usize = 48;
    if title.chars().count() <= MAX {
        return title.to_owned();
    }
    let cut: String = title.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The learned ranker's chip: its strongest push in words, every push on hover.
fn learned_chip(l: &crate::render::LearnedWhy) -> Chip {
    let main = l.push.first().map_or("its learned score", |(name, v)| {
        match (name.as_str(), *v >= 0.0) {
            ("vector like past picks", true) => "like past picks",
            ("vector like past picks", false) => "unlike past picks",
            ("words", true) => "words of past picks",
            ("words", false) => "words past picks lack",
            (_, true) => "the profile's parts",
            (_, false) => "against the profile's parts",
        }
    });
    let mut title = format!("learned score {:.2}", l.score);
    for (name, v) in &l.push {
        title.push_str(&format!("; {name} {v:+.2}"));
    }
    if !l.words.is_empty() {
        title.push_str(&format!("; words: {}", l.words.join(", ")));
    }
    if let Some(c) = &l.closest_pick {
        title.push_str(&format!(
            "; closest past pick: {} ({}, cosine {:.2})",
            c.title, c.day, c.cosine
        ));
    }
    Chip {
        text: format!("Learned: {main}"),
        title,
    }
}

/// A row of a table of days.
struct DayRow<'a> {
    name: String,
    scanned: usize,
    picks: usize,
    top: Option<&'a DigestPaper>,
}

/// A table of days, newest first.
fn day_rows<'a>(days: &[&'a Day]) -> Vec<DayRow<'a>> {
    days.iter()
        .rev()
        .map(|d| DayRow {
            name: day_name(d),
            scanned: d.run.scanned,
            picks: d.selected().count(),
            top: d.selected().next(),
        })
        .collect()
}

struct TopicCount<'a> {
    name: &'a str,
    picks: usize,
}

#[derive(Template)]
#[template(path = "month.html")]
struct MonthPage<'a> {
    title: String,
    root: &'static str,
    script: bool,
    pager: Pager,
    month_title: String,
    days: usize,
    scanned: usize,
    picks: usize,
    /// Links in the table of days start here.
    base: &'static str,
    table: Vec<DayRow<'a>>,
    topics: Vec<TopicCount<'a>>,
    meter_max: usize,
    top_limit: usize,
    /// (day, paper), best first.
    top: Vec<(String, &'a DigestPaper)>,
}

fn month_page<'a>(
    month: &str,
    days: &[&'a Day],
    prev: Option<&str>,
    next: Option<&str>,
    topics: &'a [String],
) -> MonthPage<'a> {
    let title = month_title(month);
    let month_link = |m: &str| Link {
        stem: m.to_owned(),
        text: month_title(m),
    };
    let picks: Vec<(&Day, &DigestPaper)> = days
        .iter()
        .flat_map(|d| d.selected().map(move |p| (*d, p)))
        .collect();
    // A topic no paper of the month names at all is left out; one named only by papers the
    // digest passed over shows with 0.
    let topic_counts = topics
        .iter()
        .filter_map(|t| {
            let n = picks
                .iter()
                .filter(|(_, p)| p.arxrank.best_topic == *t)
                .count();
            let named = days
                .iter()
                .any(|d| d.papers.iter().any(|p| p.arxrank.best_topic == *t));
            (n > 0 || named).then_some(TopicCount { name: t, picks: n })
        })
        .collect();
    let mut top = picks.clone();
    top.sort_by(|(da, a), (db, b)| {
        b.relevance
            .cmp(&a.relevance)
            .then(b.novelty.unwrap_or(0).cmp(&a.novelty.unwrap_or(0)))
            .then(b.arxrank.raw_score.total_cmp(&a.arxrank.raw_score))
            .then(da.date.cmp(&db.date))
    });
    let mut seen = std::collections::HashSet::new();
    top.retain(|(_, p)| seen.insert(p.id.clone()));
    top.truncate(TOP_OF_MONTH);
    MonthPage {
        title: format!("arxrank: {title}"),
        root: "../",
        script: false,
        pager: Pager {
            label: "Months",
            unit: "month",
            keep_filter: false,
            prev: prev.map(month_link),
            month: None,
            next: next.map(month_link),
        },
        month_title: title,
        days: days.len(),
        scanned: days.iter().map(|d| d.run.scanned).sum(),
        picks: picks.len(),
        base: "../days/",
        table: day_rows(days),
        topics: topic_counts,
        meter_max: picks.len().max(1),
        top_limit: TOP_OF_MONTH,
        top: top.into_iter().map(|(d, p)| (day_name(d), p)).collect(),
    }
}

/// One month on the index page.
struct MonthRows<'a> {
    stem: String,
    title: String,
    table: Vec<DayRow<'a>>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    title: &'static str,
    root: &'static str,
    script: bool,
    days: usize,
    first: String,
    last: String,
    scanned: usize,
    picks: usize,
    /// Links in the tables of days start here.
    base: &'static str,
    /// Newest first.
    months: Vec<MonthRows<'a>>,
}

fn index_page<'a>(days: &'a [Day], months: &BTreeMap<String, Vec<&'a Day>>) -> IndexPage<'a> {
    IndexPage {
        title: "arxrank digests",
        root: "",
        script: false,
        days: days.len(),
        first: days.first().map(day_name).unwrap_or_default(),
        last: days.last().map(day_name).unwrap_or_default(),
        scanned: days.iter().map(|d| d.run.scanned).sum(),
        picks: days.iter().map(|d| d.selected().count()).sum(),
        base: "days/",
        months: months
            .iter()
            .rev()
            .map(|(m, month_days)| MonthRows {
                stem: m.clone(),
                title: month_title(m),
                table: day_rows(month_days),
            })
            .collect(),
    }
}

/// A profile as the overview lists it.
struct OverviewProfile {
    name: String,
    /// Its site, relative to the overview.
    href: String,
    days: usize,
    picks: usize,
}

/// One profile's picks of one day.
struct OverviewCount {
    name: String,
    /// Its day page, relative to the overview.
    href: String,
    picks: usize,
}

/// A paper several profiles picked on one day.
struct SharedPick {
    id: String,
    title: String,
    by: Vec<String>,
}

/// One day across the profiles.
struct OverviewDay {
    date: String,
    counts: Vec<OverviewCount>,
    shared: Vec<SharedPick>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    title: &'static str,
    root: &'static str,
    script: bool,
    profiles: Vec<OverviewProfile>,
    /// Newest first.
    days: Vec<OverviewDay>,
}

/// The overview of several profiles' sites at `out/index.html`: each profile with its days
/// and picks, then each day (newest first) with every profile's number of picks and the
/// papers more than one profile picked. `profiles` are (name, days, site folder relative
/// to `out`), in the order the settings name them.
pub fn write_overview(
    out: &Path,
    profiles: &[(String, Vec<Day>, String)],
) -> Result<PathBuf, SiteError> {
    let mut dates: Vec<chrono::NaiveDate> = profiles
        .iter()
        .flat_map(|(_, days, _)| days.iter().map(|d| d.date))
        .collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    dates.dedup();
    let days = dates
        .into_iter()
        .map(|date| overview_day(date, profiles))
        .collect();
    let page = OverviewPage {
        title: "arxrank profiles",
        root: "",
        script: false,
        profiles: profiles
            .iter()
            .map(|(name, days, href)| OverviewProfile {
                name: name.clone(),
                href: href.clone(),
                days: days.len(),
                picks: days.iter().map(|d| d.selected().count()).sum(),
            })
            .collect(),
        days,
    };
    let path = out.join("index.html");
    crate::fsutil::write_atomic(&path, page.render()?.as_bytes())?;
    crate::fsutil::write_atomic(&out.join("assets/site.css"), CSS.as_bytes())?;
    Ok(path)
}

/// One day of the overview.
fn overview_day(date: chrono::NaiveDate, profiles: &[(String, Vec<Day>, String)]) -> OverviewDay {
    let mut counts = Vec::new();
    // Each picked paper: its title and who picked it, in the profiles' order.
    let mut picked: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (name, days, href) in profiles {
        let Some(day) = days.iter().find(|d| d.date == date) else {
            continue;
        };
        counts.push(OverviewCount {
            name: name.clone(),
            href: format!("{href}days/{date}.html"),
            picks: day.selected().count(),
        });
        for p in day.selected() {
            let entry = picked
                .entry(p.id.to_string())
                .or_insert_with(|| (p.title.clone(), Vec::new()));
            entry.1.push(name.clone());
        }
    }
    let mut shared: Vec<SharedPick> = picked
        .into_iter()
        .filter(|(_, (_, by))| by.len() > 1)
        .map(|(id, (title, by))| SharedPick { id, title, by })
        .collect();
    shared.sort_by(|a, b| b.by.len().cmp(&a.by.len()).then(a.id.cmp(&b.id)));
    OverviewDay {
        date: date.to_string(),
        counts,
        shared,
    }
}
