//! The site's HTML: day pages, month overviews, the index, and their two asset files.
//!
//! Every page is plain HTML that reads fine without JavaScript; the one script only filters
//! the cards of a day page. Links are relative, so the site works from a web server under
//! any path and straight from disk (`file://`). Each page carries a Content-Security-Policy
//! that allows only the site's own stylesheet and script: should escaping ever miss a spot,
//! an injected inline script or event handler still would not run.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Day, DayPaper, SiteError};
use crate::ingest::PaperId;
use crate::render::escape_html as esc;

const CSS: &str = include_str!("site.css");
const JS: &str = include_str!("site.js");

/// How many papers a month overview lists as its best.
const TOP_OF_MONTH: usize = 20;

const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                   base-uri 'none'; form-action 'none'";

/// The default of [`SiteOptions::list_from`]: the two steps below the default profile's
/// selection threshold of 8, the near misses a reader may still want to see.
pub const DEFAULT_LIST_FROM: u8 = 6;

#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// Papers the digest did not select are still listed, hidden until the filter asks for
    /// them, down to this relevance.
    pub list_from: u8,
}

impl Default for SiteOptions {
    fn default() -> Self {
        Self {
            list_from: DEFAULT_LIST_FROM,
        }
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
    let listings: Vec<Vec<&DayPaper>> = days.iter().map(|d| listed(d, opts)).collect();
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
            &day_page(day, papers, prev, next, &site),
        )?;
    }

    let months = by_month(days);
    let keys: Vec<&String> = months.keys().collect();
    for (i, (month, month_days)) in months.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| keys[j].as_str());
        let next = keys.get(i + 1).map(|k| k.as_str());
        write(
            &format!("months/{month}.html"),
            &month_page(month, month_days, prev, next, &topics),
        )?;
    }
    write("index.html", &index_page(days, &months))?;
    Ok(Written {
        index: out.join("index.html"),
        day_pages: days.len(),
        month_pages: months.len(),
    })
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
        for (t, _) in &p.topic_similarity {
            add(t);
        }
        add(&p.best_topic);
    }
    order
}

fn page(title: &str, root: &str, script: bool, body: &str) -> String {
    let script = if script {
        format!("<script src=\"{root}assets/site.js\" defer></script>\n")
    } else {
        String::new()
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"{root}assets/site.css\">\n\
         {script}</head>\n<body>\n{body}\
         <footer>Ranked locally by arxrank: sentence embeddings, keywords and authors against \
         your profile, no remote LLM, $0.</footer>\n</body>\n</html>\n"
    )
}

/// A previous/next bar around `middle`. Each end links to a sibling page `(file stem, link
/// text)` or, at either end of the run, says there is no earlier or later `unit`;
/// `keep_filter` marks links that carry the day filter's choice along.
fn pager(
    label: &str,
    unit: &str,
    keep_filter: bool,
    prev: Option<(String, String)>,
    middle: &str,
    next: Option<(String, String)>,
) -> String {
    let keep = if keep_filter { " data-keep-filter" } else { "" };
    let mut b = format!("<nav class=\"pager\" aria-label=\"{label}\">\n");
    let _ = match prev {
        Some((stem, text)) => writeln!(
            b,
            "<a class=\"prev\" rel=\"prev\"{keep} href=\"{stem}.html\">← {text}</a>"
        ),
        None => writeln!(b, "<span class=\"prev none\">← No earlier {unit}</span>"),
    };
    b.push_str(middle);
    let _ = match next {
        Some((stem, text)) => writeln!(
            b,
            "<a class=\"next\" rel=\"next\"{keep} href=\"{stem}.html\">{text} →</a>"
        ),
        None => writeln!(b, "<span class=\"next none\">No later {unit} →</span>"),
    };
    b.push_str("</nav>\n");
    b
}

fn abs_url(p: &DayPaper) -> String {
    p.id.abs_url()
}

fn pdf_url(p: &DayPaper) -> String {
    format!("https://arxiv.org/pdf/{}", p.id)
}

fn anchor(p: &DayPaper) -> String {
    format!("paper-{}", p.id)
}

fn novelty_text(n: Option<u8>) -> String {
    n.map_or_else(|| "–".into(), |n| n.to_string())
}

/// The papers a day page shows: the digest's picks in digest order, then the papers it did
/// not select down to `list_from`, in rank order.
fn listed<'a>(day: &'a Day, opts: &SiteOptions) -> Vec<&'a DayPaper> {
    day.selected()
        .chain(
            day.papers
                .iter()
                .filter(|p| !p.selected && p.relevance >= opts.list_from),
        )
        .collect()
}

/// What every day page needs to know about the whole site.
struct DayContext<'a> {
    topics: &'a [String],
    cards: &'a HashMap<&'a PaperId, String>,
    opts: &'a SiteOptions,
}

/// `papers` is the day's [`listed`] papers.
fn day_page(
    day: &Day,
    papers: &[&DayPaper],
    prev: Option<&Day>,
    next: Option<&Day>,
    site: &DayContext,
) -> String {
    let (topics, opts) = (site.topics, site.opts);
    let date = day_name(day);
    let month = day.month();
    let picks = papers.iter().filter(|p| p.selected).count();
    let mut b = String::new();

    b.push_str(&pager(
        "Days",
        "day",
        true,
        prev.map(|p| (day_name(p), format!("Previous day ({})", day_name(p)))),
        &format!(
            "<a class=\"month\" href=\"../months/{month}.html\">Monthly overview ({})</a>\n\
             <a class=\"home\" href=\"../index.html\">All days</a>\n",
            month_title(&month)
        ),
        next.map(|n| (day_name(n), format!("Next day ({})", day_name(n)))),
    ));

    let r = &day.run;
    let _ = write!(
        b,
        "<h1>Personalized Daily ArXiv Papers {date}</h1>\n\
         <table class=\"run\">\n<tr><th>Total arXiv papers</th><th>Scanned</th>\
         <th>Relevant</th><th>Model</th><th>Device</th><th>Run time</th><th>Cost</th></tr>\n\
         <tr><td class=\"total\">{}</td><td class=\"scanned\">{}</td>\
         <td class=\"relevant\">{}</td><td>{}</td><td>{}</td><td>{:.1} s</td><td>$0</td></tr>\n\
         </table>\n<p class=\"profile\">Profile: {}</p>\n",
        r.total,
        r.scanned,
        r.relevant,
        esc(&r.model),
        esc(&r.device),
        r.seconds,
        esc(&r.profile)
    );

    // The filter starts hidden: without JavaScript it could not work, and the page then
    // shows the digest's picks, which is what the filter shows by default.
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for p in papers {
        let c = counts.entry(p.best_topic.as_str()).or_default();
        c.0 += usize::from(p.selected);
        c.1 += 1;
    }
    b.push_str(
        "<form id=\"filter\" class=\"filter\" hidden>\n<label>Topic <select name=\"topic\">\
         <option value=\"\">All topics</option>",
    );
    for t in topics {
        if let Some((picked, all)) = counts.get(t.as_str()) {
            let _ = write!(
                b,
                "<option value=\"{0}\">{0} ({picked} picks, {all} listed)</option>",
                esc(t)
            );
        }
    }
    b.push_str(
        "</select></label>\n<label>Minimum relevance <select name=\"min\">\
         <option value=\"1\">any</option>",
    );
    let lowest = papers
        .iter()
        .map(|p| p.relevance)
        .min()
        .unwrap_or(10)
        .min(opts.list_from);
    for v in (lowest..=10).rev() {
        let _ = write!(b, "<option value=\"{v}\">{v}</option>");
    }
    let _ = write!(
        b,
        "</select></label>\n<label><input type=\"checkbox\" name=\"picks\" checked> \
         Digest picks only</label>\n<span class=\"shown\">Showing <output id=\"shown\">{picks}\
         </output> of {} papers listed ({picks} picks; others down to relevance {})</span>\n\
         </form>\n",
        papers.len(),
        opts.list_from
    );

    b.push_str(
        "<nav id=\"toc\" aria-label=\"Table of contents\">\n<h2>Table of contents</h2>\n<ol>\n",
    );
    // Explicit numbers: the filter hides entries, and the rest must keep the numbers their
    // cards show.
    for (i, p) in papers.iter().filter(|p| p.selected).enumerate() {
        let _ = writeln!(
            b,
            "<li value=\"{}\" data-paper=\"{a}\"><a href=\"#{a}\">{}</a><br>\
             <span class=\"authors\">{}</span></li>",
            i + 1,
            esc(&p.title),
            esc(&p.authors.join(", ")),
            a = esc(&anchor(p)),
        );
    }
    if picks == 0 {
        b.push_str("<li class=\"none\">The digest selected no paper this day.</li>\n");
    }
    b.push_str("</ol>\n</nav>\n<main>\n");
    let mut number = 0;
    for p in papers {
        let label = if p.selected {
            number += 1;
            format!("{number}.")
        } else {
            "·".into()
        };
        b.push_str(&card(p, &label, site.cards));
    }
    b.push_str("</main>\n");
    page(&format!("arxrank digest {date}"), "../", true, &b)
}

fn card(p: &DayPaper, label: &str, cards: &HashMap<&PaperId, String>) -> String {
    let mut c = String::new();
    let _ = writeln!(
        c,
        "<article class=\"paper{}\" id=\"{}\" data-topic=\"{}\" data-relevance=\"{}\" \
         data-selected=\"{}\"{}>",
        if p.selected { "" } else { " extra" },
        esc(&anchor(p)),
        esc(&p.best_topic),
        p.relevance,
        u8::from(p.selected),
        if p.selected { "" } else { " hidden" }
    );
    let _ = writeln!(
        c,
        "<h2><span class=\"num\">{label}</span> <a href=\"{}\">{}</a></h2>",
        esc(&abs_url(p)),
        esc(&p.title)
    );
    let _ = writeln!(
        c,
        "<p class=\"ids\">arXiv:<a href=\"{}\">{}</a> · <a href=\"{}\">PDF</a>{}{}</p>",
        esc(&abs_url(p)),
        esc(p.id.as_str()),
        esc(&pdf_url(p)),
        if p.categories.is_empty() {
            String::new()
        } else {
            format!(" · {}", esc(&p.categories.join(", ")))
        },
        if p.selected {
            ""
        } else {
            " · <span class=\"badge\">not in the digest</span>"
        }
    );
    let _ = writeln!(c, "<p class=\"authors\">{}</p>", esc(&p.authors.join(", ")));
    let _ = write!(
        c,
        "<p class=\"scores\"><span class=\"score relevance r{0}\">Relevance <b>{0}</b></span> \
         <span class=\"score novelty\">Novelty <b>{1}</b></span>",
        p.relevance,
        novelty_text(p.novelty)
    );
    if let Some(d) = &p.repeat_of {
        let _ = write!(
            c,
            " <span class=\"badge repeat\">Repeat: in the history since {}</span>",
            esc(d)
        );
    }
    c.push_str("</p>\n<ul class=\"chips\">");
    let cosine = p
        .topic_similarity
        .iter()
        .find(|(t, _)| *t == p.best_topic)
        .map(|(_, v)| format!(" {v:.2}"))
        .unwrap_or_default();
    let _ = write!(
        c,
        "<li class=\"chip topic\">{}{cosine}</li>",
        esc(&p.best_topic)
    );
    if let Some(a) = &p.author_match {
        let _ = write!(c, "<li class=\"chip author\">Author: {}</li>", esc(a));
    }
    for k in &p.keywords {
        let _ = write!(c, "<li class=\"chip keyword\">{}</li>", esc(k));
    }
    for k in &p.penalties {
        let _ = write!(c, "<li class=\"chip penalty\">− {}</li>", esc(k));
    }
    c.push_str("</ul>\n");
    let _ = writeln!(
        c,
        "<p class=\"comment\"><b>Comment:</b> {}</p>\n<p class=\"abstract\">{}</p>",
        esc(&p.comment),
        esc(&p.abstract_text)
    );
    if let Some(n) = &p.nearest_past {
        let _ = writeln!(
            c,
            "<p class=\"nearest\">Nearest past paper: <a href=\"{}\">{}</a> ({}cosine {:.2}){}</p>",
            esc(&n.id.abs_url()),
            esc(&n.title),
            n.date
                .as_deref()
                .map(|d| format!("{}, ", esc(d)))
                .unwrap_or_default(),
            n.cosine,
            cards
                .get(&n.id)
                .map(|d| format!(
                    " · <a class=\"on-site\" href=\"{d}.html#paper-{0}\">its entry on {d}</a>",
                    esc(n.id.as_str())
                ))
                .unwrap_or_default()
        );
    }
    c.push_str("</article>\n");
    c
}

fn month_page(
    month: &str,
    days: &[&Day],
    prev: Option<&str>,
    next: Option<&str>,
    topics: &[String],
) -> String {
    let title = month_title(month);
    let mut b = String::new();
    b.push_str(&pager(
        "Months",
        "month",
        false,
        prev.map(|m| (m.to_owned(), month_title(m))),
        "<a class=\"home\" href=\"../index.html\">All days</a>\n",
        next.map(|m| (m.to_owned(), month_title(m))),
    ));

    let scanned: usize = days.iter().map(|d| d.run.scanned).sum();
    let picks: Vec<(&Day, &DayPaper)> = days
        .iter()
        .flat_map(|d| d.selected().map(move |p| (*d, p)))
        .collect();
    let _ = writeln!(
        b,
        "<h1>Monthly overview: {title}</h1>\n<p class=\"summary\">{} days, {scanned} papers \
         scanned, {} in the digests.</p>",
        days.len(),
        picks.len()
    );

    b.push_str("<h2>Days</h2>\n");
    b.push_str(&days_table(days, "../days/"));

    b.push_str(
        "<h2>Papers per topic</h2>\n<table class=\"topics\">\n<tr><th>Topic (best match)</th>\
         <th>Digest papers</th><th>Share</th></tr>\n",
    );
    for t in topics {
        let n = picks.iter().filter(|(_, p)| p.best_topic == *t).count();
        if n == 0
            && !days
                .iter()
                .any(|d| d.papers.iter().any(|p| p.best_topic == *t))
        {
            continue;
        }
        let _ = writeln!(
            b,
            "<tr data-topic=\"{0}\"><td>{0}</td><td class=\"count\">{n}</td>\
             <td><meter min=\"0\" max=\"{1}\" value=\"{n}\"></meter></td></tr>",
            esc(t),
            picks.len().max(1)
        );
    }
    b.push_str("</table>\n");

    let mut top = picks.clone();
    top.sort_by(|(da, a), (db, b)| {
        b.relevance
            .cmp(&a.relevance)
            .then(b.novelty.unwrap_or(0).cmp(&a.novelty.unwrap_or(0)))
            .then(b.raw_score.total_cmp(&a.raw_score))
            .then(da.date.cmp(&db.date))
    });
    let mut seen = std::collections::HashSet::new();
    top.retain(|(_, p)| seen.insert(p.id.clone()));
    let _ = writeln!(
        b,
        "<h2>Top papers of the month</h2>\n<p class=\"note\">The digest picks with the highest \
         relevance, then novelty; up to {TOP_OF_MONTH}.</p>\n<ol class=\"top\">"
    );
    for (d, p) in top.iter().take(TOP_OF_MONTH) {
        let day = day_name(d);
        let _ = writeln!(
            b,
            "<li><a href=\"../days/{day}.html#{}\">{}</a> <span class=\"meta\">Relevance {} · \
             Novelty {} · {} · <a href=\"../days/{day}.html\">{day}</a> · \
             <a href=\"{}\">arXiv</a></span></li>",
            esc(&anchor(p)),
            esc(&p.title),
            p.relevance,
            novelty_text(p.novelty),
            esc(&p.best_topic),
            esc(&abs_url(p))
        );
    }
    if top.is_empty() {
        b.push_str("<li class=\"none\">No paper was selected this month.</li>\n");
    }
    b.push_str("</ol>\n");
    page(&format!("arxrank: {title}"), "../", false, &b)
}

/// A table of days, newest first, with links relative to `base`.
fn days_table(days: &[&Day], base: &str) -> String {
    let mut b = String::from(
        "<table class=\"days\">\n<tr><th>Day</th><th>Scanned</th><th>In the digest</th>\
         <th>Top paper</th></tr>\n",
    );
    for d in days.iter().rev() {
        let name = day_name(d);
        let top = d
            .selected()
            .next()
            .map(|p| {
                format!(
                    "<a href=\"{base}{name}.html#{}\">{}</a>",
                    esc(&anchor(p)),
                    esc(&p.title)
                )
            })
            .unwrap_or_else(|| "–".into());
        let _ = writeln!(
            b,
            "<tr><td><a href=\"{base}{name}.html\">{name}</a></td><td>{}</td><td>{}</td>\
             <td>{top}</td></tr>",
            d.run.scanned,
            d.selected().count()
        );
    }
    b.push_str("</table>\n");
    b
}

fn index_page(days: &[Day], months: &BTreeMap<String, Vec<&Day>>) -> String {
    let mut b = String::from("<h1>arxrank digests</h1>\n");
    let first = days.first().map(day_name).unwrap_or_default();
    let last = days.last().map(day_name).unwrap_or_default();
    let scanned: usize = days.iter().map(|d| d.run.scanned).sum();
    let picks: usize = days.iter().map(|d| d.selected().count()).sum();
    let _ = writeln!(
        b,
        "<p class=\"summary\">{} days from {first} to {last}: {scanned} papers scanned, {picks} \
         in the digests. Latest: <a class=\"latest\" href=\"days/{last}.html\">{last}</a>.</p>",
        days.len()
    );
    for (month, month_days) in months.iter().rev() {
        let _ = writeln!(
            b,
            "<h2><a href=\"months/{month}.html\">{}</a></h2>",
            month_title(month)
        );
        b.push_str(&days_table(month_days, "days/"));
    }
    page("arxrank digests", "", false, &b)
}
