//! Retrieval metrics as BEIR computes them (pytrec_eval): graded nDCG with the gain equal to the
//! judgment, recall over the judged-relevant documents, reciprocal rank of the first relevant.

use std::collections::HashMap;

/// Relevance judgments of one query: document id → grade (> 0 is relevant).
pub type Judgments = HashMap<String, u32>;

pub fn ndcg_at(ranked: &[String], judged: &Judgments, k: usize) -> f64 {
    let gain = |grade: u32| f64::from(grade);
    let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(rank, id)| gain(judged.get(id).copied().unwrap_or(0)) * discount(rank))
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(rank, &g)| gain(g) * discount(rank))
        .sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

pub fn recall_at(ranked: &[String], judged: &Judgments, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|id| judged.get(*id).is_some_and(|&g| g > 0))
        .count();
    found as f64 / relevant as f64
}

pub fn mrr_at(ranked: &[String], judged: &Judgments, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|id| judged.get(id).is_some_and(|&g| g > 0))
        .map_or(0.0, |rank| 1.0 / (rank + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let judged: Judgments = [("a".to_string(), 1), ("b".to_string(), 1)].into();
        let ranked: Vec<String> = ["x", "a", "y", "b"].iter().map(|s| s.to_string()).collect();
        let ideal = 1.0 + 1.0 / 3f64.log2();
        let got = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        assert!((ndcg_at(&ranked, &judged, 10) - got / ideal).abs() < 1e-12);
        assert_eq!(recall_at(&ranked, &judged, 2), 0.5);
        assert_eq!(mrr_at(&ranked, &judged, 10), 0.5);
        assert_eq!(mrr_at(&ranked, &judged, 1), 0.0);
    }
}
