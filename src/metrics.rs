//! Ranking metrics against a judge's labels, and bootstrap intervals for them.
//!
//! Every metric takes the ranker's scores (higher = more relevant) and the labels in the
//! same order. Metrics that read a ranked list (AP, nDCG, P@k, R@k) break score ties by a
//! fixed shuffle of the positions, never by file order, so a ranker that ties many papers
//! (keyword-only) is not flattered or punished by how the file happens to be sorted.

/// Area under the ROC curve: the probability that a random positive outscores a random
/// negative, ties counting half. `None` unless both classes are present.
pub fn roc_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), positive.len());
    // Rank-sum (Mann-Whitney U) with average ranks for ties.
    let ranks = average_ranks(&scores.iter().map(|&s| s as f64).collect::<Vec<_>>());
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, &p)| p)
        .map(|(r, _)| r)
        .sum();
    Some((rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

/// The index and value of the largest of `values` (the first on a tie; `(0, -inf)` for
/// none): a paper's best topic, its closest marked paper.
pub fn best_of<'a>(values: impl IntoIterator<Item = &'a f32>) -> (usize, f32) {
    values.into_iter().enumerate().fold(
        (0, f32::NEG_INFINITY),
        |b, (i, &c)| if c > b.1 { (i, c) } else { b },
    )
}

/// Indices ordered by descending score; ties in a fixed pseudo-random order of the indices.
pub fn ranking(scores: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| {
        scores[b]
            .total_cmp(&scores[a])
            .then(mix(a as u64).cmp(&mix(b as u64)))
            .then(a.cmp(&b))
    });
    idx
}

/// splitmix64's finaliser: a fixed, well-spread permutation key for tie-breaking.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Fraction of the top `k` that are positives.
pub fn precision_at_k(scores: &[f32], positive: &[bool], k: usize) -> f64 {
    let k = k.min(scores.len());
    if k == 0 {
        return 0.0;
    }
    hits_at_k(scores, positive, k) as f64 / k as f64
}

/// Positives among the top `k`.
fn hits_at_k(scores: &[f32], positive: &[bool], k: usize) -> usize {
    ranking(scores)
        .into_iter()
        .take(k)
        .filter(|&i| positive[i])
        .count()
}

/// Normalised discounted cumulative gain of the top `k`, linear gains, log2 discount.
/// `None` when no paper has a gain.
pub fn ndcg_at_k(scores: &[f32], gains: &[f64], k: usize) -> Option<f64> {
    let dcg = |order: &mut dyn Iterator<Item = f64>| -> f64 {
        order
            .take(k)
            .enumerate()
            .map(|(r, g)| g / ((r + 2) as f64).log2())
            .sum()
    };
    let got = dcg(&mut ranking(scores).into_iter().map(|i| gains[i]));
    let mut ideal: Vec<f64> = gains.to_vec();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let best = dcg(&mut ideal.into_iter());
    (best > 0.0).then(|| got / best)
}

/// Average ranks (1-based), ties sharing the mean of their positions.
fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            ranks[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's rho (Pearson on average ranks). `None` with fewer than 3 pairs or when
/// either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 3 {
        return None;
    }
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// Kendall's tau-b, which corrects for ties on both sides (graded labels tie a lot).
pub fn kendall_tau_b(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 3 {
        return None;
    }
    let (mut concordant, mut discordant, mut ties_a, mut ties_b) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..a.len() {
        for j in i + 1..a.len() {
            let da = a[i].total_cmp(&a[j]) as i64;
            let db = b[i].total_cmp(&b[j]) as i64;
            match (da, db) {
                (0, 0) => {}
                (0, _) => ties_a += 1,
                (_, 0) => ties_b += 1,
                _ if da == db => concordant += 1,
                _ => discordant += 1,
            }
        }
    }
    let n1 = (concordant + discordant + ties_a) as f64;
    let n2 = (concordant + discordant + ties_b) as f64;
    (n1 > 0.0 && n2 > 0.0).then(|| (concordant - discordant) as f64 / (n1 * n2).sqrt())
}

/// The metrics of the eval table, in column order.
pub const METRICS: [&str; 10] = [
    "ROC-AUC", "AP", "nDCG@10", "nDCG@30", "P@10", "P@30", "R@10", "R@30", "Spearman", "Kendall",
];

/// The labels a ranking is measured against, in the ranker's paper order.
#[derive(Debug, Clone, Copy)]
pub struct Truth<'a> {
    pub selected: &'a [bool],
    /// Graded relevance where the judge published it.
    pub grades: &'a [Option<f32>],
}

/// Every metric of [`METRICS`] for one ranking (`None` where undefined).
pub fn evaluate(scores: &[f32], truth: Truth) -> Vec<Option<f64>> {
    let pos = truth.selected;
    // nDCG gains: the judge's grade for a selected paper (1 if ungraded), 0 otherwise.
    let gains: Vec<f64> = pos
        .iter()
        .zip(truth.grades)
        .map(|(&p, g)| if p { g.map_or(1.0, f64::from) } else { 0.0 })
        .collect();
    let (gs, gg): (Vec<f64>, Vec<f64>) = scores
        .iter()
        .zip(truth.grades)
        .filter_map(|(&s, g)| g.map(|g| (s as f64, g as f64)))
        .unzip();
    vec![
        roc_auc(scores, pos),
        Some(average_precision(scores, pos)),
        ndcg_at_k(scores, &gains, 10),
        ndcg_at_k(scores, &gains, 30),
        Some(precision_at_k(scores, pos, 10)),
        Some(precision_at_k(scores, pos, 30)),
        Some(recall_at_k(scores, pos, 10)),
        Some(recall_at_k(scores, pos, 30)),
        spearman(&gs, &gg),
        kendall_tau_b(&gs, &gg),
    ]
}

/// A metric with its bootstrap 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub value: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

/// [`evaluate`] plus percentile bootstrap intervals: `resamples` draws of the papers with
/// replacement (seeded, so a rerun gives the same interval). Every metric is measured on
/// the same draws, so intervals of different rankers on one set are comparable.
pub fn evaluate_with_intervals(
    scores: &[f32],
    truth: Truth,
    resamples: usize,
    seed: u64,
) -> Vec<Estimate> {
    let point = evaluate(scores, truth);
    let n = scores.len();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut draws: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); point.len()];
    let (mut s, mut p, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..resamples {
        s.clear();
        p.clear();
        g.clear();
        for _ in 0..n {
            let i = rng.usize(..n);
            s.push(scores[i]);
            p.push(truth.selected[i]);
            g.push(truth.grades[i]);
        }
        let m = evaluate(
            &s,
            Truth {
                selected: &p,
                grades: &g,
            },
        );
        for (d, v) in draws.iter_mut().zip(m) {
            if let Some(v) = v {
                d.push(v);
            }
        }
    }
    point
        .into_iter()
        .zip(draws)
        .map(|(value, d)| percentile_interval(value, d, resamples))
        .collect()
}

/// The 95% percentile interval of the bootstrap draws of a metric whose point value is
/// `value`. An interval needs most draws to define the metric (AUC needs both classes).
fn percentile_interval(value: Option<f64>, mut draws: Vec<f64>, resamples: usize) -> Estimate {
    draws.sort_by(f64::total_cmp);
    let ok = value.is_some() && draws.len() * 10 >= resamples * 9 && !draws.is_empty();
    let q = |f: f64| draws[((draws.len() - 1) as f64 * f).round() as usize];
    Estimate {
        value,
        lo: ok.then(|| q(0.025)),
        hi: ok.then(|| q(0.975)),
    }
}

/// The per-day metrics: a reader sees one day's digest, so P@10 and R@10 are measured within
/// each day and averaged over days (R@10 over days with a pick).
pub const DAY_METRICS: [&str; 2] = ["P@10/day", "R@10/day"];

/// [`DAY_METRICS`] with percentile bootstrap intervals over days: `resamples` draws of the
/// days with replacement (seeded), since papers of one day are not independent draws.
pub fn per_day_with_intervals<D: Ord>(
    scores: &[f32],
    positive: &[bool],
    days: &[D],
    resamples: usize,
    seed: u64,
) -> Vec<Estimate> {
    let mut by_day: std::collections::BTreeMap<&D, Vec<usize>> = Default::default();
    for (i, d) in days.iter().enumerate() {
        by_day.entry(d).or_default().push(i);
    }
    let (mut precision, mut recall) = (Vec::new(), Vec::new());
    for rows in by_day.values() {
        let s: Vec<f32> = rows.iter().map(|&i| scores[i]).collect();
        let p: Vec<bool> = rows.iter().map(|&i| positive[i]).collect();
        let k = 10.min(rows.len());
        precision.push(hits_at_k(&s, &p, k) as f64 / k as f64);
        if p.contains(&true) {
            recall.push(Some(recall_at_k(&s, &p, 10)));
        } else {
            recall.push(None);
        }
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let point = [
        mean(&precision),
        mean(&recall.iter().flatten().copied().collect::<Vec<_>>()),
    ];
    let n = precision.len();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut draws = [Vec::new(), Vec::new()];
    for _ in 0..resamples {
        let (mut p, mut r) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let d = rng.usize(..n);
            p.push(precision[d]);
            r.extend(recall[d]);
        }
        for (draw, v) in draws.iter_mut().zip([mean(&p), mean(&r)]) {
            draw.extend(v);
        }
    }
    point
        .into_iter()
        .zip(draws)
        .map(|(value, d)| match n {
            // One day is no sample of days: its value, without an interval.
            1 => Estimate {
                value,
                lo: None,
                hi: None,
            },
            _ => percentile_interval(value, d, resamples),
        })
        .collect()
}

/// ROC-AUC and AP over the papers of all `days`, and R@10 within each day averaged over
/// the days with a pick, each with a percentile bootstrap interval over days: `resamples`
/// draws of the days with replacement (seeded). For a learning curve, whose test days
/// are a sample of the days a reader would meet.
pub fn over_days_with_intervals<D: Ord>(
    scores: &[f32],
    positive: &[bool],
    days: &[D],
    resamples: usize,
    seed: u64,
) -> [Estimate; 3] {
    let mut by_day: std::collections::BTreeMap<&D, Vec<usize>> = Default::default();
    for (i, d) in days.iter().enumerate() {
        by_day.entry(d).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = by_day.into_values().collect();
    let measure = |draw: &[usize]| -> [Option<f64>; 3] {
        let rows: Vec<usize> = draw
            .iter()
            .flat_map(|&g| groups[g].iter().copied())
            .collect();
        let s: Vec<f32> = rows.iter().map(|&i| scores[i]).collect();
        let p: Vec<bool> = rows.iter().map(|&i| positive[i]).collect();
        let recalls: Vec<f64> = draw
            .iter()
            .filter_map(|&g| {
                let s: Vec<f32> = groups[g].iter().map(|&i| scores[i]).collect();
                let p: Vec<bool> = groups[g].iter().map(|&i| positive[i]).collect();
                p.contains(&true).then(|| recall_at_k(&s, &p, 10))
            })
            .collect();
        [
            roc_auc(&s, &p),
            p.contains(&true).then(|| average_precision(&s, &p)),
            (!recalls.is_empty()).then(|| recalls.iter().sum::<f64>() / recalls.len() as f64),
        ]
    };
    let n = groups.len();
    let point = measure(&(0..n).collect::<Vec<_>>());
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut draws = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..resamples {
        let draw: Vec<usize> = (0..n).map(|_| rng.usize(..n)).collect();
        for (d, v) in draws.iter_mut().zip(measure(&draw)) {
            d.extend(v);
        }
    }
    let [a, b, c] = draws;
    [
        percentile_interval(point[0], a, resamples),
        percentile_interval(point[1], b, resamples),
        percentile_interval(point[2], c, resamples),
    ]
}

/// Fraction of all positives found in the top `k`.
pub fn recall_at_k(scores: &[f32], positive: &[bool], k: usize) -> f64 {
    let total = positive.iter().filter(|&&p| p).count();
    if total == 0 {
        return 0.0;
    }
    hits_at_k(scores, positive, k) as f64 / total as f64
}

/// Mean of precision at each positive's rank.
pub fn average_precision(scores: &[f32], positive: &[bool]) -> f64 {
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (rank, i) in ranking(scores).into_iter().enumerate() {
        if positive[i] {
            hits += 1;
            sum += hits as f64 / (rank + 1) as f64;
        }
    }
    if hits == 0 {
        0.0
    } else {
        sum / hits as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_day_precision_and_recall_are_measured_within_each_day() {
        let (mut scores, mut pos, mut days) = (Vec::new(), Vec::new(), Vec::new());
        let mut day = |name: &str, n: usize, picks: &[usize]| {
            for r in 0..n {
                scores.push((n - r) as f32);
                pos.push(picks.contains(&r));
                days.push(name.to_string());
            }
        };
        day("a", 12, &[0, 1, 2]); // P@10 0.3, R@10 1
        day("b", 15, &[0, 11]); // P@10 0.1, R@10 0.5
        day("c", 10, &[]); // P@10 0, no recall
        let e = per_day_with_intervals(&scores, &pos, &days, 200, 1);
        assert!((e[0].value.unwrap() - 0.4 / 3.0).abs() < 1e-12, "{e:?}");
        assert_eq!(e[1].value, Some(0.75));
        let (lo, hi) = (e[0].lo.unwrap(), e[0].hi.unwrap());
        assert!(lo <= e[0].value.unwrap() && e[0].value.unwrap() <= hi && lo < hi);
        // One day: the value, no interval.
        let one = per_day_with_intervals(&scores[..12], &pos[..12], &days[..12], 200, 1);
        assert_eq!((one[0].value, one[0].lo), (Some(0.3), None));
    }

    #[test]
    fn auc_of_perfect_inverted_and_tied_rankings() {
        let pos = [true, true, false, false];
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &pos), Some(1.0));
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &pos), Some(0.0));
        assert_eq!(roc_auc(&[0.5, 0.5, 0.5, 0.5], &pos), Some(0.5));
        assert_eq!(roc_auc(&[0.9, 0.1, 0.5, 0.2], &pos), Some(0.5));
        assert_eq!(roc_auc(&[1.0], &[true]), None);
    }

    #[test]
    fn recall_and_ap() {
        let pos = [false, true, false, true];
        let scores = [0.9, 0.8, 0.1, 0.7];
        assert_eq!(recall_at_k(&scores, &pos, 2), 0.5);
        assert_eq!(recall_at_k(&scores, &pos, 3), 1.0);
        // Positives at ranks 2 and 3: (1/2 + 2/3) / 2.
        assert!((average_precision(&scores, &pos) - (0.5 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!(precision_at_k(&scores, &pos, 2), 0.5);
        assert_eq!(precision_at_k(&scores, &pos, 3), 2.0 / 3.0);
    }

    #[test]
    fn ndcg_by_hand() {
        // Gains 3 and 1 ranked 2nd and 1st: DCG = 1 + 3/log2(3); ideal = 3 + 1/log2(3).
        let got = ndcg_at_k(&[0.2, 0.9, 0.1], &[3.0, 1.0, 0.0], 10).unwrap();
        let want = (1.0 + 3.0 / 3f64.log2()) / (3.0 + 1.0 / 3f64.log2());
        assert!((got - want).abs() < 1e-12);
        assert_eq!(ndcg_at_k(&[0.9, 0.2, 0.1], &[3.0, 1.0, 0.0], 10), Some(1.0));
        assert_eq!(ndcg_at_k(&[0.9, 0.2], &[0.0, 0.0], 10), None);
        // Only the top k count.
        assert_eq!(ndcg_at_k(&[0.9, 0.2], &[0.0, 5.0], 1), Some(0.0));
    }

    #[test]
    fn rank_correlations_by_hand() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(spearman(&a, &[10.0, 20.0, 30.0, 40.0]), Some(1.0));
        assert_eq!(spearman(&a, &[4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(kendall_tau_b(&a, &[4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        // One swapped pair of 6: (5 - 1) / 6.
        let t = kendall_tau_b(&a, &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((t - 4.0 / 6.0).abs() < 1e-12);
        // Ties in the grades: tau-b = (C - D) / sqrt((C+D+Tx)(C+D+Ty)) = 5 / sqrt(6 * 5).
        let t = kendall_tau_b(&a, &[1.0, 2.0, 2.0, 3.0]).unwrap();
        assert!((t - 5.0 / 30f64.sqrt()).abs() < 1e-12, "{t}");
        assert_eq!(spearman(&a, &[1.0, 1.0, 1.0, 1.0]), None);
    }

    #[test]
    fn ties_are_not_broken_by_file_order() {
        // 50 positives first, 50 negatives after, all tied: a tie-break by index would put
        // every positive on top.
        let scores = vec![0.5f32; 100];
        let pos: Vec<bool> = (0..100).map(|i| i < 50).collect();
        let p = precision_at_k(&scores, &pos, 30);
        assert!((0.2..=0.8).contains(&p), "P@30 of a tie is {p}");
    }

    #[test]
    fn bootstrap_interval_brackets_the_estimate_and_shrinks_with_more_data() {
        let mut rng = fastrand::Rng::with_seed(7);
        let make = |n: usize, rng: &mut fastrand::Rng| {
            let pos: Vec<bool> = (0..n).map(|i| i % 5 == 0).collect();
            let scores: Vec<f32> = pos
                .iter()
                .map(|&p| rng.f32() + if p { 0.4 } else { 0.0 })
                .collect();
            (scores, pos)
        };
        let (s1, p1) = make(100, &mut rng);
        let (s2, p2) = make(2000, &mut rng);
        let auc = |s: &[f32], p: &[bool]| {
            let grades = vec![None; s.len()];
            let truth = Truth {
                selected: p,
                grades: &grades,
            };
            evaluate_with_intervals(s, truth, 500, 1)[0]
        };
        let (e1, e2) = (auc(&s1, &p1), auc(&s2, &p2));
        for e in [e1, e2] {
            let (v, lo, hi) = (e.value.unwrap(), e.lo.unwrap(), e.hi.unwrap());
            assert!(lo <= v && v <= hi, "{e:?}");
        }
        assert!(e2.hi.unwrap() - e2.lo.unwrap() < e1.hi.unwrap() - e1.lo.unwrap());
        // Same seed, same interval.
        assert_eq!(auc(&s1, &p1), e1);
        // No grades: the rank correlations are undefined, not zero.
        let no_grades = vec![None; s1.len()];
        let truth = Truth {
            selected: &p1,
            grades: &no_grades,
        };
        let all = evaluate_with_intervals(&s1, truth, 50, 1);
        assert_eq!(all[8].value, None);
    }
}
