//! The eval report: one Markdown table per set (metrics with bootstrap intervals, speed),
//! the same as JSON, per-paper scores as JSON lines, and SVG plots (precision-recall
//! curves; score distributions of selected vs. unselected papers).

use crate::fsutil::IoError;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde_json::{json, Value};

use super::metrics::{ranking, DAY_METRICS, METRICS};
use super::simulate::CurvePoint;
use super::tune::{Selection, TuneReport};
use super::{EvalError, SetReport};

/// Run-wide facts for the report's header.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunInfo {
    pub command: String,
    pub model: String,
    pub device: String,
    pub threads: usize,
    pub seed: u64,
    pub resamples: usize,
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.3}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{:.0}%", v * 100.0))
}

fn selection_row(label: &str, s: &Selection) -> String {
    format!(
        "| {label} | {} of {} ({:.1}%) | {} ({:.1}%) | {} | {} | {} |\n",
        s.selected,
        s.papers,
        100.0 * s.selected as f64 / s.papers as f64,
        s.judge_selected,
        100.0 * s.judge_selected as f64 / s.papers as f64,
        s.both,
        pct(s.precision()),
        pct(s.recall()),
    )
}

/// The Markdown report for every set.
pub fn markdown(info: &RunInfo, sets: &[SetReport]) -> String {
    let mut s = String::from("# arxrank eval\n\n");
    s += &format!(
        "`{}`\n\nModel {} on {} ({} threads). Intervals: bootstrap 95% over papers, {} resamples, seed {}. Speed: papers per second of wall time, embedding included for the rankers that embed.\n",
        info.command, info.model, info.device, info.threads, info.resamples, info.seed
    );
    for set in sets {
        set_intro(&mut s, set);
        ranker_table(&mut s, set);
        set_notes(&mut s, set);
        selections(&mut s, set);
        if let Some(t) = &set.tune {
            tuning(&mut s, t);
        }
        if let Some(curve) = &set.simulation {
            learning_curve(&mut s, set, curve);
        }
        if let Some(rows) = &set.interests {
            interests(&mut s, rows);
        }
    }
    s
}

/// `--interests`: each topic's heading, ordered by one mixed model, by the topic's own
/// model and by the hand-set score.
fn interests(s: &mut String, rows: &[super::interests::InterestRow]) {
    *s += "\n### Interests: one model per topic against one for all\n\n";
    *s += "Each paper belongs to the hand-set topic it is closest to. Trained on the first \
           half of the days, measured on the rest: R@10 per day of each topic's heading \
           (its papers in each model's order), over the test days with a pick of the topic; \
           bootstrap 95% intervals over those days. `chosen`: the topic's own model over \
           the mixed one where that won on the training days' last third (*), else the \
           mixed model.\n\n";
    *s += "| topic | picks (train / test) | test days | mixed | per topic | per topic over mixed | chosen | hybrid |\n\
           |---|---:|---:|---|---|---|---|---|\n";
    let cell =
        |e: &crate::metrics::Estimate| format!("{} [{}, {}]", fmt(e.value), fmt(e.lo), fmt(e.hi));
    for r in rows {
        *s += &format!(
            "| {} | {} / {} | {} | {} | {} | {} | {}{} | {} |\n",
            r.topic,
            r.train_picks,
            r.test_picks,
            r.test_days,
            cell(&r.mixed),
            cell(&r.per_topic),
            cell(&r.over_mixed),
            cell(&r.chosen),
            if r.own_chosen { " *" } else { "" },
            cell(&r.hybrid)
        );
    }
}

/// The learning curve of `--simulate-reader`: a row per point, each ranker's figures with
/// their intervals over the test days, and the plot beside it.
fn learning_curve(s: &mut String, set: &SetReport, curve: &[CurvePoint]) {
    *s += "\n### Learning curve: a simulated reader's marks\n\n";
    *s += "Replayed day by day from the hand-set profile: each day the reader marks the \
           digest's picks (and the questions of the \"Help arxrank learn\" block), the model \
           retrains, and at each point it is measured on every later day. `simulated`: \
           trained on the marks; `full_labels`: the same learner on every label of the same \
           days; `hybrid`: the hand-set profile; `anchors`: the same marks as `rank` and `daily` \
           use them today (the liked papers one more topic, papers very like a disliked one \
           pushed down). Intervals: bootstrap 95% over the test days.\n\n";
    if curve.is_empty() {
        *s += "No point: the set has too few days (the first is at 5 days of marks, with \
               later days to test on).\n";
        return;
    }
    *s += "| days of marks | marks (asked) | test days | ranker | ROC-AUC | AP | R@10/day |\n\
           |---:|---:|---:|---|---|---|---|\n";
    for p in curve {
        for (name, f) in &p.rankers {
            let cell = |k: &str| {
                let e = &f[k];
                let v = |x: &serde_json::Value| x.as_f64();
                format!(
                    "{} [{}, {}]",
                    fmt(v(&e["value"])),
                    fmt(v(&e["lo"])),
                    fmt(v(&e["hi"]))
                )
            };
            *s += &format!(
                "| {} | {} ({}) | {} | {name} | {} | {} | {} |\n",
                p.days,
                p.marks,
                p.asked,
                p.test_days,
                cell("roc_auc"),
                cell("ap"),
                cell("r10_per_day")
            );
        }
    }
    *s += &format!("\n![learning curve]({}/learning-curve.svg)\n", set.name);
}

/// ROC-AUC against days of marks, a line per ranker.
pub fn learning_curve_svg(set: &SetReport, path: &Path) -> Result<(), EvalError> {
    let err = plot_err(path);
    let curve = set.simulation.as_deref().unwrap_or_default();
    let auc = |p: &CurvePoint, name: &str| p.rankers[name]["roc_auc"]["value"].as_f64();
    let values: Vec<f64> = curve
        .iter()
        .flat_map(|p| p.rankers.keys().filter_map(|n| auc(p, n)))
        .collect();
    let lo = values.iter().copied().fold(1.0, f64::min) - 0.01;
    let hi = values.iter().copied().fold(0.5, f64::max) + 0.01;
    let last = curve.last().map_or(10.0, |p| p.days as f64) + 2.0;
    let root = SVGBackend::new(path, (820, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: ROC-AUC on later days", set.name),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..last, lo.min(hi - 0.02)..hi)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("days of marks")
        .y_desc("ROC-AUC")
        .draw()
        .map_err(|e| err(e.to_string()))?;
    let names: Vec<String> = curve
        .first()
        .map(|p| p.rankers.keys().cloned().collect())
        .unwrap_or_default();
    for (k, name) in names.iter().enumerate() {
        let points: Vec<(f64, f64)> = curve
            .iter()
            .filter_map(|p| Some((p.days as f64, auc(p, name)?)))
            .collect();
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))
}

/// A set's heading and what it holds.
fn set_intro(s: &mut String, set: &SetReport) {
    *s += &format!(
        "\n## {}\n\n{} papers, {} selected by the judge ({:.1}%), {} with graded relevance; days {}; profile {}.",
        set.name,
        set.papers,
        set.positives,
        100.0 * set.positives as f64 / set.papers as f64,
        set.graded,
        set.days
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        set.profile
    );
    if set.unjudged > 0 {
        *s += &format!(" {} rows the judge never saw were left out.", set.unjudged);
    }
    if !set.unmatched.is_empty() {
        *s += &format!(
            " {} labelled ids are not in the listing and were not scored: {}.",
            set.unmatched.len(),
            set.unmatched.join(", ")
        );
    }
}

/// A row per ranker: its speed and every metric with its interval.
fn ranker_table(s: &mut String, set: &SetReport) {
    *s += "\n\n| ranker | papers/s |";
    for m in METRICS.iter().chain(&DAY_METRICS) {
        *s += &format!(" {m} |");
    }
    *s += "\n|---|---:|";
    *s += &"---|".repeat(METRICS.len() + DAY_METRICS.len());
    *s += "\n";
    for r in &set.rankers {
        let speed = match r.papers_per_second {
            v if v.is_nan() => "– (cached)".into(),
            v if v >= 100.0 => format!("{v:.0}"),
            v => format!("{v:.1}"),
        };
        *s += &format!("| {} | {speed} |", r.name);
        for e in r.metrics.iter().chain(&r.per_day) {
            *s += &match (e.value, e.lo, e.hi) {
                (Some(v), Some(lo), Some(hi)) => format!(" {v:.3} [{lo:.3}, {hi:.3}] |"),
                (v, _, _) => format!(" {} |", fmt(v)),
            };
        }
        *s += "\n";
    }
}

/// The rankers' and the set's notes, and where the plots are.
fn set_notes(s: &mut String, set: &SetReport) {
    for n in set.rankers.iter().flat_map(|r| &r.notes).chain(&set.notes) {
        *s += &format!("\n- {n}");
    }
    if set.graded > 0 {
        *s += &format!(
            "\n\nSpearman and Kendall (tau-b) compare scores with the judge's graded relevance over the {} graded papers only; nDCG uses that grade as the gain of a selected paper.\n",
            set.graded
        );
    }
    *s += &format!(
        "\nPlots: [precision-recall]({0}/pr.svg), [score distributions]({0}/scores.svg); per-paper scores: `{0}/scores.jsonl`.\n",
        set.name
    );
}

/// The digest selections against the judge's: the hybrid's and the learned ranker's.
fn selections(s: &mut String, set: &SetReport) {
    if let Some(c) = &set.calibration {
        *s += "\n### Digest selection (hybrid, relevance ≥ select_min)\n\n| scale | we select | judge selects | both | precision | recall |\n|---|---:|---:|---:|---:|---:|\n";
        *s += &selection_row("profile's", &c.profile_scale);
        *s += &selection_row(
            &format!(
                "fitted here (raw_at_1 {:.4}, raw_at_10 {:.4}; in-sample)",
                c.fitted.raw_at_1, c.fitted.raw_at_10
            ),
            &c.fitted_selection,
        );
    }
    if let Some(l) = &set.learned_selection {
        *s += "\n### Digest selection (learned, relevance ≥ select_min, scale fitted on its training days)\n\n| scale | we select | judge selects | both | precision | recall |\n|---|---:|---:|---:|---:|---:|\n";
        *s += &selection_row("learned's", l);
    }
}

/// Leave-one-day-out tuning: the weights chosen per held-out day and what they did.
fn tuning(s: &mut String, t: &TuneReport) {
    *s += &format!(
        "\n### Tuning: leave one day out ({} weightings searched; objective AP on the training days)\n\nEvery figure below is on the held-out day only.\n\n| held-out day | weights chosen on the other days | AP tuned | AP profile | ROC-AUC tuned | ROC-AUC profile | nDCG@10 tuned | nDCG@10 profile |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
        t.candidates
    );
    let (ap, auc, ndcg) = (1, 0, 2);
    for f in &t.folds {
        let w = &f.chosen;
        *s += &format!(
            "| {} | lexical {}, keyword {}, title {}, irrelevant {}, application {}, negative {}, {} | {} | {} | {} | {} | {} | {} |\n",
            f.test_day,
            w.lexical,
            w.keyword,
            w.title_keyword,
            w.irrelevant,
            w.application,
            w.negative,
            w.topic_aggregation.as_str(),
            fmt(f.tuned[ap]),
            fmt(f.profile[ap]),
            fmt(f.tuned[auc]),
            fmt(f.profile[auc]),
            fmt(f.tuned[ndcg]),
            fmt(f.profile[ndcg]),
        );
    }
    *s += "\nHeld-out digest selection, with the scale calibrated on the training days:\n\n| held-out day | we select | judge selects | both | precision | recall |\n|---|---:|---:|---:|---:|---:|\n";
    for f in &t.folds {
        *s += &selection_row(&f.test_day.to_string(), &f.selection);
    }
    let w = &t.all_days_summary;
    *s += &format!(
        "\nChosen on all days (stored only with --write-weights; no figures are quoted for it, they would be in-sample): lexical {}, keyword {}, title {}, irrelevant {}, application {}, negative {}, {}.\n",
        w.lexical,
        w.keyword, w.title_keyword, w.irrelevant, w.application, w.negative, w.topic_aggregation.as_str()
    );
}

/// The JSON report.
pub fn json(info: &RunInfo, sets: &[SetReport]) -> Value {
    json!({
        "run": info,
        "metrics": METRICS,
        "day_metrics": DAY_METRICS,
        "sets": sets,
    })
}

/// Per-paper scores of every ranker, one JSON line per paper (readable back with
/// `--external NAME=FILE` after picking a column).
pub fn scores_jsonl(set: &SetReport) -> String {
    let mut out = String::new();
    for (i, id) in set.ids.iter().enumerate() {
        let mut row = serde_json::Map::new();
        row.insert("id".into(), json!(id));
        row.insert("selected".into(), json!(set.selected[i]));
        for r in &set.rankers {
            let v = r.scores[i];
            row.insert(
                r.name.clone(),
                if v.is_finite() { json!(v) } else { Value::Null },
            );
        }
        out += &Value::Object(row).to_string();
        out.push('\n');
    }
    out
}

fn plot_err(path: &Path) -> impl Fn(String) -> EvalError + '_ {
    move |message| EvalError::Plot {
        path: path.to_owned(),
        message,
    }
}

/// Precision against recall down each ranker's list.
pub fn precision_recall_svg(set: &SetReport, path: &Path) -> Result<(), EvalError> {
    let err = plot_err(path);
    let root = SVGBackend::new(path, (820, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{}: precision-recall", set.name),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)
        .map_err(|e| err(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("recall")
        .y_desc("precision")
        .draw()
        .map_err(|e| err(e.to_string()))?;
    let total = set.positives.max(1) as f64;
    for (k, r) in set.rankers.iter().enumerate() {
        let mut hits = 0usize;
        let points: Vec<(f64, f64)> = ranking(&r.scores)
            .into_iter()
            .enumerate()
            .map(|(rank, i)| {
                hits += set.selected[i] as usize;
                (hits as f64 / total, hits as f64 / (rank + 1) as f64)
            })
            .collect();
        let color = Palette99::pick(k).to_rgba();
        let ap = fmt(r.metrics[1].value);
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?
            .label(format!("{} (AP {ap})", r.name))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(e.to_string()))?;
    root.present().map_err(|e| err(e.to_string()))
}

/// One panel per ranker: the share of selected and of unselected papers per score bin
/// (scores min-max scaled to 0-1 per ranker).
pub fn score_distributions_svg(set: &SetReport, path: &Path) -> Result<(), EvalError> {
    const BINS: usize = 20;
    let err = plot_err(path);
    let cols = 3;
    let rows = set.rankers.len().div_ceil(cols).max(1);
    let root = SVGBackend::new(path, (cols as u32 * 330, rows as u32 * 260)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let panels = root.split_evenly((rows, cols));
    for (r, area) in set.rankers.iter().zip(panels.iter()) {
        let finite: Vec<f32> = r.scores.iter().copied().filter(|v| v.is_finite()).collect();
        let lo = finite.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = finite.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        let mut hist = [[0f64; BINS]; 2];
        let mut counts = [0f64; 2];
        for (s, &sel) in r.scores.iter().zip(&set.selected) {
            // Unscored papers (external files) sit in the lowest bin.
            let t = if s.is_finite() { (s - lo) / span } else { 0.0 };
            let b = ((t * BINS as f32) as usize).min(BINS - 1);
            hist[sel as usize][b] += 1.0;
            counts[sel as usize] += 1.0;
        }
        let peak = hist
            .iter()
            .zip(counts)
            .flat_map(|(h, c)| h.iter().map(move |v| v / c.max(1.0)))
            .fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(&r.name, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(0f64..1f64, 0f64..(peak * 1.1).max(0.05))
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("score (scaled)")
            .y_desc("share of class")
            .x_labels(5)
            .y_labels(4)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for (class, color, label) in [(0, BLUE, "not selected"), (1, RED, "selected")] {
            let pts: Vec<(f64, f64)> = (0..BINS)
                .map(|b| {
                    (
                        (b as f64 + 0.5) / BINS as f64,
                        hist[class][b] / counts[class].max(1.0),
                    )
                })
                .collect();
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(|e| err(e.to_string()))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .label_font(("sans-serif", 11))
            .draw()
            .map_err(|e| err(e.to_string()))?;
    }
    root.present().map_err(|e| err(e.to_string()))
}

/// Writes `eval.md`, `eval.json` and, per set, `<set>/pr.svg`, `<set>/scores.svg` and
/// `<set>/scores.jsonl` under `out`; returns the paths written.
pub fn write(out: &Path, info: &RunInfo, sets: &[SetReport]) -> Result<Vec<PathBuf>, EvalError> {
    let put = |path: PathBuf, bytes: &[u8]| -> Result<PathBuf, EvalError> {
        crate::fsutil::write_atomic(&path, bytes)?;
        Ok(path)
    };
    let mut written = Vec::new();
    for set in sets {
        let dir = out.join(&set.name);
        fs_err::create_dir_all(&dir).map_err(IoError::write(&dir))?;
        written.push(put(dir.join("scores.jsonl"), scores_jsonl(set).as_bytes())?);
        // plotters writes in place; draw beside the target and rename, so a crash never
        // leaves half a plot under the final name.
        for (name, draw) in [
            (
                "pr.svg",
                precision_recall_svg as fn(&SetReport, &Path) -> Result<(), EvalError>,
            ),
            ("scores.svg", score_distributions_svg),
            ("learning-curve.svg", learning_curve_svg),
        ] {
            if name == "learning-curve.svg" && set.simulation.is_none() {
                continue;
            }
            let tmp = dir.join(format!(".{name}.partial"));
            draw(set, &tmp)?;
            let dest = dir.join(name);
            fs_err::rename(&tmp, &dest).map_err(IoError::write(&dest))?;
            written.push(dest);
        }
    }
    let mut js = serde_json::to_string_pretty(&json(info, sets)).expect("serialisable");
    js.push('\n');
    written.push(put(out.join("eval.json"), js.as_bytes())?);
    written.push(put(out.join("eval.md"), markdown(info, sets).as_bytes())?);
    Ok(written)
}
