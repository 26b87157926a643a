//! Readers on real-format inputs: arXiv RSS and Atom, JSONL, the Kaggle snapshot.

use crate::common;

use std::path::Path;

use arxrank::ingest::{read_listing, AnnounceType, Format, IngestError, ReadOptions};

pub const RSS: &str = r#"<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel>
    <title>cs.LG updates on arXiv.org</title>
    <pubDate>Fri, 06 Mar 2026 00:00:00 -0500</pubDate>
    <item>
      <title>The Spike, the Sparse and the Sink: Anatomy of Massive Activations and Attention Sinks</title>
      <link>https://arxiv.org/abs/2603.05498</link>
      <description>arXiv:2603.05498v1 Announce Type: new 
Abstract: We study two recurring phenomena in Transformer language models &amp; their &lt;sinks&gt;.</description>
      <guid isPermaLink="false">oai:arXiv.org:2603.05498v1</guid>
      <category>cs.LG</category>
      <category>cs.CL</category>
      <pubDate>Fri, 06 Mar 2026 00:00:00 -0500</pubDate>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>Shangwen Sun, Alfredo Canziani, Yann LeCun, Jiachen Zhu</dc:creator>
    </item>
    <item>
      <title>WaterSIC: information-theoretically (near) optimal linear layer quantization</title>
      <link>https://arxiv.org/abs/2603.04956</link>
      <description>arXiv:2603.04956v1 Announce Type: cross 
Abstract: We propose WaterSIC, a linear layer quantizer.</description>
      <guid isPermaLink="false">oai:arXiv.org:2603.04956v1</guid>
      <category>cs.IT</category>
      <arxiv:announce_type>cross</arxiv:announce_type>
      <dc:creator>A. Author and B. Author</dc:creator>
    </item>
    <item>
      <title>An old paper, revised</title>
      <link>https://arxiv.org/abs/2401.00001</link>
      <description>arXiv:2401.00001v3 Announce Type: replace 
Abstract: A replacement.</description>
      <guid isPermaLink="false">oai:arXiv.org:2401.00001v3</guid>
      <arxiv:announce_type>replace</arxiv:announce_type>
      <dc:creator>C. Author</dc:creator>
    </item>
    <item>
      <title>The Spike, the Sparse and the Sink (listed twice)</title>
      <link>https://arxiv.org/abs/2603.05498</link>
      <description>arXiv:2603.05498v2 Announce Type: new 
Abstract: Duplicate entry.</description>
      <guid isPermaLink="false">oai:arXiv.org:2603.05498v2</guid>
      <arxiv:announce_type>new</arxiv:announce_type>
      <dc:creator>Shangwen Sun</dc:creator>
    </item>
  </channel>
</rss>
"#;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    fs_err::write(&p, text).unwrap();
    p
}

#[test]
fn rss_keeps_new_and_cross_strips_prefix_and_dedupes_versions() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "day.xml", RSS);
    let l = read_listing(&p, &ReadOptions::default()).unwrap();
    assert_eq!(l.entries, 4);
    assert_eq!(l.date.map(|d| d.to_string()).as_deref(), Some("2026-03-06"));
    let ids: Vec<&str> = l.papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["2603.05498", "2603.04956"]);
    let spike = &l.papers[0];
    assert_eq!(
        spike.abstract_text,
        "We study two recurring phenomena in Transformer language models & their <sinks>."
    );
    assert_eq!(spike.authors[2], "Yann LeCun");
    assert_eq!(spike.categories, vec!["cs.LG", "cs.CL"]);
    assert_eq!(spike.announce, AnnounceType::New);
    assert_eq!(l.papers[1].authors, vec!["A. Author", "B. Author"]);
    assert_eq!(l.papers[1].announce, AnnounceType::Cross);

    let all = read_listing(
        &p,
        &ReadOptions {
            format: Format::Rss,
            announce: vec![
                AnnounceType::New,
                AnnounceType::Cross,
                AnnounceType::Replace,
            ],
        },
    )
    .unwrap();
    assert_eq!(all.papers.len(), 3);
    assert_eq!(all.papers[2].id.as_str(), "2401.00001");
}

#[test]
fn atom_from_the_arxiv_api() {
    let atom = r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>ArXiv Query</title>
  <entry>
    <id>http://arxiv.org/abs/2505.06839v2</id>
    <published>2025-05-11T04:31:12Z</published>
    <title>The power of fine-grained experts:
      Granularity boosts expressivity in Mixture of Experts</title>
    <summary>  Mixture-of-Experts (MoE) layers are increasingly central.
</summary>
    <author><name>Enric Boix-Adsera</name></author>
    <author><name>Philippe Rigollet</name></author>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="stat.ML" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>"#;
    let dir = tempfile::tempdir().unwrap();
    let l = read_listing(
        &write(dir.path(), "api.atom", atom),
        &ReadOptions::default(),
    )
    .unwrap();
    let p = &l.papers[0];
    assert_eq!(p.id.as_str(), "2505.06839");
    assert_eq!(
        p.title,
        "The power of fine-grained experts: Granularity boosts expressivity in Mixture of Experts"
    );
    assert_eq!(
        p.abstract_text,
        "Mixture-of-Experts (MoE) layers are increasingly central."
    );
    assert_eq!(p.authors, vec!["Enric Boix-Adsera", "Philippe Rigollet"]);
    assert_eq!(p.categories, vec!["cs.LG", "stat.ML"]);
    assert_eq!(p.date.map(|d| d.to_string()).as_deref(), Some("2025-05-11"));
    assert_eq!(l.date.map(|d| d.to_string()).as_deref(), Some("2025-05-11"));
}

#[test]
fn kaggle_snapshot_sample_reads_all_200_records() {
    let l = read_listing(
        &common::data("kaggle-arxiv-metadata-format-sample.jsonl"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(l.entries, 200);
    assert_eq!(l.papers.len(), 200);
    let first = &l.papers[0];
    assert_eq!(first.id.as_str(), "0704.0001");
    assert_eq!(
        first.title,
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    );
    assert_eq!(
        first.date.map(|d| d.to_string()).as_deref(),
        Some("2007-04-02")
    );
    assert_eq!(first.categories, vec!["hep-ph"]);
    assert!(
        first.authors.contains(&"C. Balázs".to_string()),
        "{:?}",
        first.authors
    );
    assert!(l
        .papers
        .iter()
        .all(|p| !p.abstract_text.contains('\n') && !p.title.contains("  ")));
}

#[test]
fn labelled_pool_reads_as_a_listing() {
    let l = read_listing(
        &common::data("daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl"),
        &ReadOptions::default(),
    )
    .unwrap();
    // 916 entries over two days; 10 papers were listed on both days and are kept once.
    assert_eq!(l.entries, 916);
    assert_eq!(l.papers.len(), 906);
    // Two announcement days; the listing's date is the one most papers carry.
    assert_eq!(l.date.map(|d| d.to_string()).as_deref(), Some("2025-05-13"));
}

#[test]
fn malformed_inputs_name_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("truncated.xml", RSS[..RSS.len() / 2].to_string(), "never closed"),
        ("badxml.xml", RSS.replace("</title>\n      <link>https://arxiv.org/abs/2603.04956", "</titel>\n      <link>https://arxiv.org/abs/2603.04956"), "malformed XML"),
        ("noabs.xml", RSS.replace("Abstract: We propose WaterSIC, a linear layer quantizer.", "Abstract: "), "missing or empty field `description`"),
        ("badid.xml", RSS.replace("oai:arXiv.org:2603.04956v1", "not-an-id"), "`not-an-id` is not an arXiv id"),
        ("bad.jsonl", "{\"id\":\"2505.00001\",\"title\":\"T\",\"authors\":[\"A\"],\"abstract\":\"x\"}\n{\"id\": oops}\n".into(), "line 2: malformed JSON"),
        ("empty.jsonl", "\n\n".into(), "holds no papers"),
        ("what.csv", "id,title\n".into(), "cannot tell the format"),
    ];
    for (name, text, want) in cases {
        let p = write(dir.path(), name, &text);
        let err: IngestError = read_listing(&p, &ReadOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(name),
            "{name}: error does not name the file: {msg}"
        );
        assert!(msg.contains(want), "{name}: expected {want:?} in {msg:?}");
    }
    // Element errors say which element and line.
    let p = write(
        dir.path(),
        "noabs2.xml",
        &RSS.replace(
            "Abstract: We propose WaterSIC, a linear layer quantizer.",
            "",
        ),
    );
    let msg = read_listing(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("line 18, <item>"), "{msg}");
}

/// arXiv's Atom announcement feed (`/atom/<cats>`): authors in one `dc:creator`, the
/// abstract behind the RSS-style prefix, announce types filtered as in RSS.
#[test]
fn atom_announcement_feed_reads_like_the_rss_one() {
    let path = common::data("cs-announce-2025-10-22.atom.xml");
    let l = read_listing(&path, &ReadOptions::default()).unwrap();
    assert_eq!(l.entries, 5);
    let ids: Vec<&str> = l.papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        ["2510.18189", "2510.18278", "2510.18658"],
        "new and cross only"
    );
    assert_eq!(l.date.map(|d| d.to_string()).as_deref(), Some("2025-10-22"));
    let first = &l.papers[0];
    assert_eq!(first.authors.len(), 8);
    assert_eq!(first.authors[1], "Mukund Varma T");
    assert!(first
        .abstract_text
        .starts_with("Global illumination (GI) is essential"));
    assert_eq!(first.categories, ["cs.GR", "cs.CV"]);
    assert_eq!(first.announce, AnnounceType::New);
    assert_eq!(l.papers[2].announce, AnnounceType::Cross);
    assert_eq!(l.papers[2].categories[0], "stat.ML", "primary first");
    // Asked for, replacements come too; the DOI and journal reference do not get in the way.
    let all = read_listing(
        &path,
        &ReadOptions {
            format: Format::Atom,
            announce: vec![
                AnnounceType::New,
                AnnounceType::Cross,
                AnnounceType::Replace,
                AnnounceType::ReplaceCross,
            ],
        },
    )
    .unwrap();
    assert_eq!(all.papers.len(), 5);
    // Without its dc:creator an entry names what is missing.
    let dir = tempfile::tempdir().unwrap();
    let text = fs_err::read_to_string(&path).unwrap();
    let start = text.find("<dc:creator>").unwrap();
    let end = text[start..].find("</dc:creator>").unwrap() + start + "</dc:creator>".len();
    let p = write(
        dir.path(),
        "noauthors.atom.xml",
        &format!("{}{}", &text[..start], &text[end..]),
    );
    let msg = read_listing(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("noauthors.atom.xml")
            && msg.contains("<entry>")
            && msg.contains("author (or dc:creator)"),
        "{msg}"
    );
}

/// daily-arXiv-ai-enhanced style JSON lines: `summary` for the abstract, no date, rows
/// repeated.
#[test]
fn crawler_json_lines_with_summary_and_duplicates() {
    let path = common::data("daily-arxiv-ai-enhanced_2025-10-22.jsonl");
    let l = read_listing(&path, &ReadOptions::default()).unwrap();
    assert_eq!((l.entries, l.papers.len()), (8, 6), "duplicates dropped");
    assert_eq!(l.date, None, "the rows carry no date");
    assert!(l.papers.iter().all(|p| p.abstract_text.len() > 100));
    // A row without an abstract under any accepted name says which names those are.
    let dir = tempfile::tempdir().unwrap();
    let text = fs_err::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut row: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    row.as_object_mut().unwrap().remove("summary");
    lines[2] = row.to_string();
    let p = write(dir.path(), "crawl.jsonl", &lines.join("\n"));
    let msg = read_listing(&p, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("crawl.jsonl: line 3: missing or empty field `abstract` (accepted names: `abstract`, `summary`)"),
        "{msg}"
    );
}
