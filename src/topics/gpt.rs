//! gpt_paper_assistant's `paper_topics.txt` and `authors.txt`.

use super::Topic;

/// What a `paper_topics.txt` says: its numbered topics, and what it asks to leave out.
#[derive(Debug, Clone, Default)]
pub struct PaperTopics {
    pub topics: Vec<Topic>,
    /// Subjects listed to be left out ("Usually leave these to others: medical imaging,
    /// segmentation, …"): the profile's irrelevant keywords.
    pub excluded: Vec<String>,
    /// Prose of what to filter out (a topic's "- Filter:" clause, an exclusion sentence
    /// without a list): the profile's negative anchors, embedded like topics.
    pub filters: Vec<String>,
    /// Text outside any topic that says neither, reported so nothing is silently dropped.
    pub ignored: Vec<String>,
}

/// Words that mark a line outside the topics as an exclusion.
fn excludes(line: &str) -> bool {
    let l = line.to_lowercase();
    [
        "leave",
        "exclude",
        "not interested",
        "does not want",
        "do not want",
        "don't want",
        "avoid",
        "skip",
        "ignore",
        "irrelevant",
        "filter out",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// The items of a list after a colon: "a, b and c." → [a, b, c].
fn list_items(list: &str) -> Vec<String> {
    list.split([',', ';'])
        .flat_map(|x| x.split(" and "))
        .map(|x| {
            x.trim()
                .trim_start_matches("or ")
                .trim_end_matches(['.', ')'])
                .trim()
                .to_owned()
        })
        .filter(|x| !x.is_empty() && !x.eq_ignore_ascii_case("etc"))
        .collect()
}

/// Parses numbered topics ("1. Name - Relevant: ... - Irrelevant: ... - Filter: ..."), in
/// tatsu-lab's style (clauses on the topic's line or on indented lines under it) and
/// DaizeDong's (indented clauses, a "- Filter:" clause, and a block after the topics of
/// subjects to leave out). A line that starts at the margin and is neither a numbered topic
/// nor a "- clause" ends the topics: before this parser knew that, such a trailing block of
/// exclusions became part of the last topic's text and pulled the excluded papers up.
pub fn parse_paper_topics(text: &str) -> Result<PaperTopics, String> {
    let (blocks, outside) = topic_blocks(text);
    if blocks.is_empty() {
        return Err("no numbered topics (lines like \"1. Topic - Relevant: ...\")".into());
    }
    let split =
        regex::Regex::new(r"(?i)\s*-\s*(relevant|irrelevant|not relevant|filter)\s*:\s*").unwrap();
    let mut out = PaperTopics::default();
    for block in blocks {
        add_topic(&mut out, &split, &block);
    }
    for line in outside {
        if !excludes(&line) {
            out.ignored.push(line);
            continue;
        }
        match line.split_once(':') {
            Some((_, list)) if list.contains(',') => out.excluded.extend(list_items(list)),
            _ => out.filters.push(line),
        }
    }
    out.excluded.dedup();
    Ok(out)
}

/// The numbered topics, each with the lines that continue it, and the file's other lines.
fn topic_blocks(text: &str) -> (Vec<String>, Vec<String>) {
    let numbered = regex::Regex::new(r"^\s*\d+\.\s+(.*)$").unwrap();
    let mut blocks: Vec<String> = Vec::new();
    let mut outside: Vec<String> = Vec::new();
    let mut in_topics = false;
    let mut blank = false;
    for line in text.lines() {
        if let Some(c) = numbered.captures(line) {
            blocks.push(c[1].trim().to_owned());
            in_topics = true;
            blank = false;
            continue;
        }
        let l = line.trim();
        if l.is_empty() {
            blank = true;
            continue;
        }
        // A "- clause" always belongs to the topic above; indented prose only until a
        // blank line (a new paragraph is the file's own text, not the topic's).
        let continues = l.starts_with('-') || (line.starts_with([' ', '\t']) && !blank);
        blank = false;
        match blocks.last_mut() {
            Some(last) if in_topics && continues => {
                last.push(' ');
                last.push_str(l);
            }
            _ => {
                in_topics = false;
                outside.push(l.to_owned());
            }
        }
    }
    (blocks, outside)
}

/// One numbered topic (`Name - Relevant: … - Irrelevant: … - Filter: …`) as a topic, its
/// filter kept as the file's words.
fn add_topic(out: &mut PaperTopics, split: &regex::Regex, block: &str) {
    let mut parts: Vec<(Option<String>, String)> = Vec::new();
    let mut last = 0;
    let mut current: Option<String> = None;
    for m in split.captures_iter(block) {
        let whole = m.get(0).unwrap();
        parts.push((current.take(), block[last..whole.start()].trim().to_owned()));
        current = Some(m[1].to_lowercase());
        last = whole.end();
    }
    parts.push((current, block[last..].trim().to_owned()));
    let (mut name, mut relevant, mut irrelevant, mut filter) =
        (String::new(), String::new(), String::new(), String::new());
    for (kind, chunk) in parts {
        match kind.as_deref() {
            None => name = chunk,
            Some("relevant") => relevant = chunk,
            Some("filter") => filter = chunk,
            Some(_) => irrelevant = chunk,
        }
    }
    let name = name.trim_end_matches(['.', ':']).to_owned();
    if !filter.is_empty() {
        out.filters.push(format!("{name}: {filter}"));
    }
    let irrelevant = [irrelevant, filter]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    out.topics.push(Topic {
        description: if relevant.is_empty() {
            name.clone()
        } else {
            relevant
        },
        name,
        irrelevant,
        anchors: Vec::new(),
        keywords: Vec::new(),
    });
}

/// One author per line, `Name[, semantic-scholar-id]`; `#` starts a comment.
pub fn parse_authors_txt(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').next().unwrap_or(l).trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inline_and_multiline_topics() {
        let text = "\
 1. Model Architecture - Relevant: Mixture-of-Experts (MoE), Transformers. - Irrelevant: Merely using existing architectures.
 2. New methodological improvements to RLHF
    - Relevant: papers that discuss specific methods like RLHF.
    - Not relevant: papers about adaptation to some task.
";
        let t = parse_paper_topics(text).unwrap().topics;
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name, "Model Architecture");
        assert_eq!(t[0].description, "Mixture-of-Experts (MoE), Transformers.");
        assert_eq!(t[0].irrelevant, "Merely using existing architectures.");
        assert_eq!(t[1].name, "New methodological improvements to RLHF");
        assert_eq!(
            t[1].description,
            "papers that discuss specific methods like RLHF."
        );
        assert_eq!(t[1].irrelevant, "papers about adaptation to some task.");
        assert!(parse_paper_topics("no topics here").is_err());
    }

    #[test]
    fn parses_authors_with_ids_and_comments() {
        let a = parse_authors_txt("# authors\nYann LeCun, 1688882\n\nTri Dao\n");
        assert_eq!(a, vec!["Yann LeCun", "Tri Dao"]);
    }

    #[test]
    fn daizedong_style_filters_and_a_trailing_exclusion_block() {
        let text = include_str!("../../tests/data/topics-daizedong-style.txt");
        let p = parse_paper_topics(text).unwrap();
        let names: Vec<&str> = p.topics.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Representation Learning",
                "Model Architecture",
                "Model Compression and Efficiency"
            ]
        );
        // The block after the topics is not the last topic's text.
        let last = &p.topics[2];
        assert!(!last.description.contains("medical") && !last.irrelevant.contains("medical"));
        assert_eq!(
            p.excluded,
            [
                "medical imaging",
                "MRI",
                "segmentation",
                "3D vision",
                "autonomous driving",
                "remote sensing",
                "recommendation systems",
                "time series"
            ]
        );
        assert_eq!(
            p.filters,
            [
                "Representation Learning: Papers that only apply representation learning to a downstream domain.",
                "Model Architecture: New benchmarks or datasets that evaluate architectures."
            ]
        );
        assert!(p.topics[1]
            .irrelevant
            .starts_with("Merely using existing architectures"));
        assert!(p.topics[1]
            .irrelevant
            .ends_with("that evaluate architectures."));
        assert!(p.ignored.is_empty());
    }

    #[test]
    fn tatsu_style_numbered_criteria_and_trailing_prose() {
        let text = include_str!("../../tests/data/topics-tatsu-style.txt");
        let p = parse_paper_topics(text).unwrap();
        assert_eq!(p.topics.len(), 3);
        assert_eq!(
            p.topics[2].description,
            "papers that study language models that are also diffusion models."
        );
        assert_eq!(
            p.topics[2].irrelevant,
            "papers about image diffusion models."
        );
        // The closing paragraph: its exclusion sentence becomes a filter, the rest is shown
        // as ignored, and none of it joins topic 3.
        assert_eq!(
            p.filters,
            ["He does not want to read papers that are about primarily applications of methods to specific domains."]
        );
        assert_eq!(p.ignored.len(), 1);
        assert!(p.ignored[0].starts_with("In suggesting papers"));
        assert!(p.excluded.is_empty());
    }
}
