//! gpt_paper_assistant's `paper_topics.txt` and `authors.txt`.

use super::Topic;

/// Parses numbered topics ("1. Name - Relevant: ... - Irrelevant: ..."), where the
/// Relevant/Irrelevant parts may also sit on their own indented lines.
pub fn parse_paper_topics(text: &str) -> Result<Vec<Topic>, String> {
    let numbered = regex::Regex::new(r"^\s*\d+\.\s+(.*)$").unwrap();
    let mut blocks: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(c) = numbered.captures(line) {
            blocks.push(c[1].trim().to_owned());
        } else if let Some(last) = blocks.last_mut() {
            let l = line.trim();
            if !l.is_empty() {
                last.push(' ');
                last.push_str(l);
            }
        }
    }
    if blocks.is_empty() {
        return Err("no numbered topics (lines like \"1. Topic - Relevant: ...\")".into());
    }
    let split = regex::Regex::new(r"(?i)\s*-\s*(relevant|irrelevant|not relevant)\s*:\s*").unwrap();
    Ok(blocks
        .into_iter()
        .map(|block| {
            let mut name = String::new();
            let mut relevant = String::new();
            let mut irrelevant = String::new();
            let mut last = 0;
            let mut current: Option<String> = None;
            for m in split.captures_iter(&block) {
                let whole = m.get(0).unwrap();
                let chunk = block[last..whole.start()].trim().to_owned();
                match current.as_deref() {
                    None => name = chunk,
                    Some("relevant") => relevant = chunk,
                    Some(_) => irrelevant = chunk,
                }
                current = Some(m[1].to_lowercase());
                last = whole.end();
            }
            let chunk = block[last..].trim().to_owned();
            match current.as_deref() {
                None => name = chunk,
                Some("relevant") => relevant = chunk,
                Some(_) => irrelevant = chunk,
            }
            let description = if relevant.is_empty() {
                name.clone()
            } else {
                relevant
            };
            Topic {
                name: name.trim_end_matches(['.', ':']).to_owned(),
                description,
                irrelevant,
                anchors: Vec::new(),
                keywords: Vec::new(),
            }
        })
        .collect())
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
        let t = parse_paper_topics(text).unwrap();
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
}
