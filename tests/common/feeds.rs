//! arXiv feeds for the network tests, built from the labelled pool of 2025-05-12/13 the way
//! scripts/make-example-listing.py builds the bundled example day.

use std::path::PathBuf;

pub fn example_path() -> PathBuf {
    super::root().join("examples/cs-2025-05-13.rss.xml")
}

/// The bundled example day (644 papers of 2025-05-13), byte for byte.
pub fn example_rss() -> Vec<u8> {
    fs_err::read(example_path()).unwrap()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// RFC 2822 midnight of a 2025-05 day in arXiv's zone.
fn pub_date(day: &str) -> String {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    d.format("%a, %d %b %Y 00:00:00 -0400").to_string()
}

/// The pool's papers of `day` (at most `limit`), as JSON objects, in file order.
pub fn pool_papers(day: &str, limit: usize) -> Vec<serde_json::Value> {
    super::read_jsonl(&super::data(
        "daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl",
    ))
    .into_iter()
    .filter(|p| p["date"] == day)
    .take(limit)
    .collect()
}

/// An RSS item in arXiv's shape.
pub fn rss_item(p: &serde_json::Value, day: &str) -> String {
    let cats: Vec<&str> = p["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let kind = if matches!(cats[0], "cs.LG" | "cs.AI") {
        "new"
    } else {
        "cross"
    };
    let authors: Vec<&str> = p["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let id = p["id"].as_str().unwrap();
    format!(
        "    <item>\n      <title>{}</title>\n      <link>https://arxiv.org/abs/{id}</link>\n      \
         <description>arXiv:{id}v1 Announce Type: {kind} \nAbstract: {}</description>\n      \
         <guid isPermaLink=\"false\">oai:arXiv.org:{id}v1</guid>\n{}      <pubDate>{}</pubDate>\n      \
         <arxiv:announce_type>{kind}</arxiv:announce_type>\n      <dc:creator>{}</dc:creator>\n    </item>\n",
        esc(p["title"].as_str().unwrap()),
        esc(p["abstract"].as_str().unwrap()),
        cats.iter()
            .map(|c| format!("      <category>{c}</category>\n"))
            .collect::<String>(),
        pub_date(day),
        esc(&authors.join(", "))
    )
}

/// A whole RSS document for `day` holding `items`.
pub fn rss(day: &str, items: &[String]) -> String {
    let date = pub_date(day);
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<rss xmlns:arxiv=\"http://arxiv.org/schemas/atom\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" version=\"2.0\">\n  <channel>\n    \
         <title>cs.LG, cs.AI updates on arXiv.org</title>\n    <link>http://rss.arxiv.org/rss/cs.LG+cs.AI</link>\n    \
         <description>cs.LG, cs.AI updates on the arXiv.org e-print archive.</description>\n    \
         <lastBuildDate>{date}</lastBuildDate>\n    <pubDate>{date}</pubDate>\n{}  </channel>\n</rss>\n",
        items.concat()
    )
}

/// `limit` papers of the pool's `day` as that day's RSS feed.
pub fn pool_rss(day: &str, limit: usize) -> String {
    let items: Vec<String> = pool_papers(day, limit)
        .iter()
        .map(|p| rss_item(p, day))
        .collect();
    rss(day, &items)
}

/// The pool's `day` as pages of the arXiv API's Atom (the `start`/`max_results` window).
pub fn api_page(day: &str, limit: usize, start: usize, max: usize) -> String {
    let all = pool_papers(day, limit);
    let mut entries = String::new();
    for p in all.iter().skip(start).take(max) {
        let id = p["id"].as_str().unwrap();
        let authors: String = p["authors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| format!("<author><name>{}</name></author>", esc(a.as_str().unwrap())))
            .collect();
        let cats: String = p["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("<category term=\"{}\"/>", c.as_str().unwrap()))
            .collect();
        entries.push_str(&format!(
            "<entry><id>http://arxiv.org/abs/{id}v1</id><published>{day}T17:59:59Z</published>\
             <title>{}</title><summary>{}</summary>{authors}\
             <arxiv:primary_category term=\"{}\"/>{cats}</entry>\n",
            esc(p["title"].as_str().unwrap()),
            esc(p["abstract"].as_str().unwrap()),
            p["categories"][0].as_str().unwrap()
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" \
         xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\" xmlns:arxiv=\"http://arxiv.org/schemas/atom\">\
         <title>arXiv Query</title><opensearch:totalResults>{}</opensearch:totalResults>\
         <opensearch:startIndex>{start}</opensearch:startIndex>\n{entries}</feed>\n",
        all.len()
    )
}
