//! Which papers the digest asks the reader about: papers it did not pick, where a mark
//! would teach the model most. A reader who only ever marks the picks tells the model
//! about the top of its own list; the papers just below the line are where it is least
//! sure, and where a ✓ or a ✗ moves the line. Asking about five near-copies of one paper
//! would teach one thing five times, so the choice trades closeness to the line for
//! variety, greedily (maximal marginal relevance).

use ndarray::ArrayView1;

/// How much a place further from the line costs, against how much being like a paper
/// already chosen costs (a cosine, 0 to 1): the first place beats the last of the pool by
/// this much.
const NEAR: f32 = 0.5;

/// The pool looked at: this many candidates per question, from the line down.
const POOL_PER_QUESTION: usize = 4;

/// Chooses `n` of `candidates` (unit vectors of the papers that are not picks, nearest to
/// the line first) and returns their indices in that order. The first is the paper just
/// below the line; each next one is the best of the pool by `-NEAR * place / pool - its
/// greatest cosine to one already chosen`.
pub fn questions(candidates: &[ArrayView1<'_, f32>], n: usize) -> Vec<usize> {
    let pool = candidates.len().min(POOL_PER_QUESTION * n);
    let mut chosen: Vec<usize> = Vec::with_capacity(n.min(pool));
    let mut likeness = vec![0f32; pool];
    while chosen.len() < n.min(pool) {
        let value = |i: usize| -NEAR * i as f32 / pool as f32 - likeness[i];
        let best = (0..pool)
            .filter(|i| !chosen.contains(i))
            .max_by(|&a, &b| value(a).total_cmp(&value(b)).then(b.cmp(&a)))
            .expect("the pool has more papers than are chosen");
        chosen.push(best);
        for (i, l) in likeness.iter_mut().enumerate() {
            *l = l.max(candidates[best].dot(&candidates[i]).max(0.0));
        }
    }
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, Array1};

    fn unit(v: &[f32]) -> Array1<f32> {
        let a = arr1(v);
        let n = a.dot(&a).sqrt();
        a / n
    }

    #[test]
    fn the_paper_below_the_line_first_then_varied_ones() {
        // Four near-copies just below the line, then two papers unlike them and each other.
        let rows = [
            unit(&[1.0, 0.0, 0.0]),
            unit(&[1.0, 0.05, 0.0]),
            unit(&[1.0, 0.0, 0.05]),
            unit(&[1.0, 0.05, 0.05]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        let views: Vec<_> = rows.iter().map(|r| r.view()).collect();
        assert_eq!(
            questions(&views, 3),
            [0, 4, 5],
            "one of the copies, two others"
        );
        assert_eq!(questions(&views, 1), [0]);
        assert!(questions(&views, 0).is_empty());
        assert_eq!(questions(&views[..2], 5), [0, 1], "no more than there are");
        // Unlike papers: the nearest to the line win.
        let spread = [
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.0, 0.0, 1.0]),
        ];
        let views: Vec<_> = spread.iter().map(|r| r.view()).collect();
        assert_eq!(questions(&views, 2), [0, 1]);
    }
}
