//! Quality metrics of `kobler eval` (definitions also in docs/evaluation.md).
//!
//! Grades are 0..=3; a researcher not judged for a need counts as grade 0. "Relevant" means
//! grade ≥ 1 for MAP and P@5.

use std::collections::{HashMap, HashSet};

/// nDCG@k with gain `2^grade − 1` and a `log2(rank + 1)` discount; the ideal ranking is the
/// judged grades sorted. A need with no positive grade scores 0.
pub fn ndcg_at(ranking: &[String], grades: &HashMap<String, u8>, k: usize) -> f64 {
    let gain = |g: u8| 2f64.powi(i32::from(g)) - 1.0;
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, r)| gain(grades.get(r).copied().unwrap_or(0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u8> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| gain(g) / ((i + 2) as f64).log2())
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Average precision over the whole ranking, relevant = grade ≥ 1, divided by the number of
/// relevant judged researchers (so relevant ones never retrieved count as misses).
pub fn average_precision(ranking: &[String], grades: &HashMap<String, u8>) -> f64 {
    let relevant = grades.values().filter(|&&g| g >= 1).count();
    if relevant == 0 {
        return 0.0;
    }
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (i, r) in ranking.iter().enumerate() {
        if grades.get(r).copied().unwrap_or(0) >= 1 {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / relevant as f64
}

/// Share of the first `k` ranks held by researchers with at least `min_grade`; ranks beyond
/// the ranking's end count as misses.
pub fn precision_at(
    ranking: &[String],
    grades: &HashMap<String, u8>,
    k: usize,
    min_grade: u8,
) -> f64 {
    let hits = ranking
        .iter()
        .take(k)
        .filter(|r| grades.get(*r).copied().unwrap_or(0) >= min_grade)
        .count();
    hits as f64 / k as f64
}

/// Precision, recall and F1 of flagged overlap pairs against labelled pairs (CONTRACT §2):
/// only labelled pairs count; pairs are unordered.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct OverlapQuality {
    /// Flagged pairs labelled true.
    pub true_positives: usize,
    /// Flagged pairs labelled false.
    pub false_positives: usize,
    /// Pairs labelled true that were not flagged.
    pub false_negatives: usize,
    /// tp / (tp + fp), 0 when nothing labelled was flagged.
    pub precision: f64,
    /// tp / (tp + fn), 0 when no pair is labelled true.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Scores flagged pairs against labels `(a, b, overlap)`.
pub fn overlap_quality(
    flagged: &[(String, String)],
    labels: &[(String, String, bool)],
) -> OverlapQuality {
    let key = |a: &str, b: &str| {
        if a <= b {
            (a.to_string(), b.to_string())
        } else {
            (b.to_string(), a.to_string())
        }
    };
    let flagged: HashSet<(String, String)> = flagged.iter().map(|(a, b)| key(a, b)).collect();
    let mut q = OverlapQuality::default();
    for (a, b, overlap) in labels {
        match (flagged.contains(&key(a, b)), overlap) {
            (true, true) => q.true_positives += 1,
            (true, false) => q.false_positives += 1,
            (false, true) => q.false_negatives += 1,
            (false, false) => {}
        }
    }
    let ratio = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    q.precision = ratio(q.true_positives, q.true_positives + q.false_positives);
    q.recall = ratio(q.true_positives, q.true_positives + q.false_negatives);
    q.f1 = if q.precision + q.recall > 0.0 {
        2.0 * q.precision * q.recall / (q.precision + q.recall)
    } else {
        0.0
    };
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grades(pairs: &[(&str, u8)]) -> HashMap<String, u8> {
        pairs.iter().map(|(r, g)| (r.to_string(), *g)).collect()
    }

    fn ranking(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn perfect_ranking_has_ndcg_one_and_reversed_less() {
        let g = grades(&[("a", 3), ("b", 1), ("c", 0)]);
        assert!((ndcg_at(&ranking(&["a", "b", "c"]), &g, 10) - 1.0).abs() < 1e-9);
        let reversed = ndcg_at(&ranking(&["c", "b", "a"]), &g, 10);
        // DCG = 1/log2(3) + 7/log2(4) = 0.6309 + 3.5; IDCG = 7 + 1/log2(3) = 7.6309.
        assert!(
            (reversed - (0.630_929_75 + 3.5) / 7.630_929_75).abs() < 1e-6,
            "{reversed}"
        );
    }

    #[test]
    fn unjudged_researchers_count_as_zero() {
        let g = grades(&[("a", 3)]);
        assert_eq!(ndcg_at(&ranking(&["x", "y"]), &g, 10), 0.0);
        assert_eq!(precision_at(&ranking(&["x", "a"]), &g, 5, 1), 0.2);
    }

    #[test]
    fn average_precision_counts_missed_relevant() {
        let g = grades(&[("a", 2), ("b", 1)]);
        assert!((average_precision(&ranking(&["a", "x"]), &g) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn overlap_quality_counts_labelled_pairs_only() {
        let labels = vec![
            ("n1".into(), "n2".into(), true),
            ("n1".into(), "p1".into(), false),
            ("n3".into(), "p2".into(), true),
        ];
        let flagged = vec![
            ("n2".into(), "n1".into()),
            ("n1".into(), "p1".into()),
            ("n9".into(), "p9".into()),
        ];
        let q = overlap_quality(&flagged, &labels);
        assert_eq!(
            (q.true_positives, q.false_positives, q.false_negatives),
            (1, 1, 1)
        );
        assert!((q.f1 - 0.5).abs() < 1e-9);
    }
}
