//! Eval: how well a ranking puts the papers a judge selected above the rest.
//!
//! Only the metrics live here so far; labelled-set readers, rankers and reports build on
//! them.

/// Area under the ROC curve: the probability that a random positive outscores a random
/// negative, ties counting half. `None` unless both classes are present.
pub fn roc_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), positive.len());
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Rank-sum (Mann-Whitney U) with average ranks for ties.
    let mut ranks = vec![0.0f64; scores.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = avg;
        }
        i = j + 1;
    }
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

/// Indices ordered by descending score, ties by index, so results are reproducible.
pub fn ranking(scores: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    idx
}

/// Fraction of all positives found in the top `k`.
pub fn recall_at_k(scores: &[f32], positive: &[bool], k: usize) -> f64 {
    let total = positive.iter().filter(|&&p| p).count();
    if total == 0 {
        return 0.0;
    }
    let hits = ranking(scores)
        .into_iter()
        .take(k)
        .filter(|&i| positive[i])
        .count();
    hits as f64 / total as f64
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
    }
}
