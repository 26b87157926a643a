//! ARCHITECTURE.md's layer order and its table of who may name which external crate, checked
//! against `src/`: a `crate::X` import that runs against the order, or a crate named outside
//! the modules allowed to name it, fails here with the file and the line to change (or the
//! map to correct). Test modules (`#[cfg(test)]`, at the end of a file) and comments are not
//! read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common;

/// The fenced block of ARCHITECTURE.md tagged `tag`.
fn block(doc: &str, tag: &str) -> Vec<String> {
    let open = format!("```{tag}\n");
    let start = doc
        .find(&open)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no ```{tag} block"))
        + open.len();
    let end = start + doc[start..].find("```").expect("the block is closed");
    doc[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Module name → its layer (0 lowest), from lines `N  a b c`.
fn layers(doc: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for line in block(doc, "layers") {
        let mut words = line.split_whitespace();
        let n: usize = words.next().unwrap().parse().expect("a layer number first");
        for m in words {
            assert!(
                out.insert(m.to_string(), n).is_none(),
                "{m} is in two layers"
            );
        }
    }
    out
}

/// Crate → the modules that may name it (`any`: every module), from lines `crate: a b c`.
fn allowed_crates(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    block(doc, "crates")
        .iter()
        .map(|line| {
            let (c, ms) = line.split_once(':').expect("`crate: modules`");
            (
                c.trim().to_string(),
                ms.split_whitespace().map(String::from).collect(),
            )
        })
        .collect()
}

/// The library's and the binary's code: (module, file, code without tests and comments).
fn sources() -> Vec<(String, PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs_err::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = common::root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|f| !f.ends_with("src/lib.rs"))
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            let first = rel.components().next().unwrap().as_os_str();
            let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
            let text = fs_err::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let code: Vec<&str> = code
                .lines()
                .map(|l| l.split("//").next().unwrap())
                .collect();
            (module, f, code.join("\n"))
        })
        .collect()
}

/// The first path segment after each `crate::` (and each name of a `crate::{…}` group),
/// with its line. Capitalised names are the crate root's re-exports (`crate::IoError`).
fn crate_imports(code: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut from = 0;
    while let Some(i) = code[from..].find("crate::") {
        let at = from + i + "crate::".len();
        from = at;
        if code[..at - "crate::".len()].ends_with('$') {
            continue;
        }
        let rest = &code[at..];
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut end) = (1, 0);
            for (k, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = k;
                    break;
                }
            }
            let mut top = Vec::new();
            let (mut depth, mut start) = (0, 0);
            let body = &group[..end];
            for (k, ch) in body.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        top.push(&body[start..k]);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            top.push(&body[start..]);
            top
        } else {
            vec![rest]
        };
        for n in names {
            let n = n.trim();
            let end = n
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(n.len());
            let name = &n[..end];
            if !name.is_empty() && name.starts_with(|c: char| c.is_ascii_lowercase()) {
                out.push((line_of(at), name.to_string()));
            }
        }
    }
    out
}

/// Whether `code` names the external crate `krate` as a path (`krate::…`).
fn names_crate(code: &str, krate: &str) -> bool {
    let pat = format!("{krate}::");
    code.match_indices(&pat).any(|(i, _)| {
        !code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// The crate names of Cargo.toml's `[dependencies]`, as code spells them.
fn dependencies() -> Vec<String> {
    let manifest: toml::Table = fs_err::read_to_string(common::root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["dependencies"]
        .as_table()
        .unwrap()
        .keys()
        .map(|k| k.replace('-', "_"))
        .collect()
}

/// Every violation of the map by the code at `root` (the repository), one line each.
pub fn violations(doc: &str, sources: &[(String, PathBuf, String)]) -> Vec<String> {
    let layer = layers(doc);
    let allowed = allowed_crates(doc);
    let mut bad = Vec::new();
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file, code) in sources {
        let rel = file.strip_prefix(common::root()).unwrap_or(file).display();
        let Some(&own) = layer.get(module) else {
            bad.push(format!(
                "{rel}: module `{module}` is in no layer of ARCHITECTURE.md"
            ));
            continue;
        };
        for (line, used) in crate_imports(code) {
            if &used == module {
                continue;
            }
            match layer.get(&used) {
                Some(&l) if l < own => {}
                Some(&l) => bad.push(format!(
                    "{rel}:{line}: `{module}` (layer {own}) uses `crate::{used}` (layer {l}): \
                     a module may use only lower layers"
                )),
                None => bad.push(format!(
                    "{rel}:{line}: `crate::{used}` is in no layer of ARCHITECTURE.md"
                )),
            }
        }
        for krate in dependencies() {
            if !names_crate(code, &krate) {
                continue;
            }
            named
                .entry(krate.clone())
                .or_default()
                .insert(module.clone());
            match allowed.get(&krate) {
                None => bad.push(format!(
                    "{rel}: names `{krate}`, which ARCHITECTURE.md's crates block does not list"
                )),
                Some(ms) if ms.contains("any") || ms.contains(module) => {}
                Some(ms) => bad.push(format!(
                    "{rel}: `{module}` names `{krate}`, which only {} may name",
                    ms.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
            }
        }
    }
    // The map says no more than the code does: a module listed for a crate names it.
    for (krate, ms) in &allowed {
        for m in ms.iter().filter(|m| *m != "any") {
            if !named.get(krate).is_some_and(|n| n.contains(m)) {
                bad.push(format!(
                    "ARCHITECTURE.md: the crates block lets `{m}` name `{krate}`, and it does not"
                ));
            }
        }
    }
    bad
}

#[test]
fn imports_follow_the_layers_and_crates_of_architecture_md() {
    let doc = fs_err::read_to_string(common::root().join("ARCHITECTURE.md")).unwrap();
    let sources = sources();
    let bad = violations(&doc, &sources);
    assert!(
        bad.is_empty(),
        "the code and ARCHITECTURE.md disagree:\n{}",
        bad.join("\n")
    );
    let imports: usize = sources.iter().map(|(_, _, c)| crate_imports(c).len()).sum();
    println!(
        "{} files: {imports} crate:: imports, all to lower layers ({} layers); {} external \
         crates, each named only where ARCHITECTURE.md allows",
        sources.len(),
        layers(&doc).values().max().unwrap() + 1,
        dependencies().len()
    );
}

#[test]
fn the_checker_sees_a_wrong_way_import_and_a_stray_crate() {
    let doc = fs_err::read_to_string(common::root().join("ARCHITECTURE.md")).unwrap();
    let file = common::root().join("src/learn/extra.rs");
    let code = "use crate::pipeline::embed_day;\nuse crate::{score::Scorer, eval::Ranker};\n\
                fn f() { let _ = plotters::style::RED; }\n";
    let bad = violations(&doc, &[("learn".into(), file, code.into())]);
    let text = bad.join("\n");
    assert!(
        text.contains("src/learn/extra.rs:1: `learn` (layer"),
        "{text}"
    );
    assert!(text.contains("uses `crate::pipeline`"), "{text}");
    assert!(text.contains("uses `crate::eval`"), "{text}");
    assert!(!text.contains("crate::score"), "{text}");
    assert!(text.contains("`learn` names `plotters`"), "{text}");
}
