//! Combining a keyword ranking with a semantic one.
//!
//! Two ways are implemented so that `paperboy eval beir --fusion` can compare them on the same
//! run; the service uses [`DEFAULT_FUSION`], chosen by those numbers (see the README).

use std::collections::HashMap;

use crate::index::Hit;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: Σ 1/(k + rank). Ignores score scales; only order counts.
    Reciprocal { k: f32 },
    /// Scores scaled to [0, 1] within each list, then `semantic_weight`·semantic +
    /// (1 − `semantic_weight`)·keyword. Keeps how far apart the scores are.
    Convex { semantic_weight: f32 },
}

pub const DEFAULT_FUSION: Fusion = Fusion::Convex { semantic_weight: 0.5 };

/// The fusion for a static model's vectors, which rank worse alone than MiniLM's. On SciFact
/// (train), a model that learned from the corpus it serves is best at 0.3–0.4 (0.710, against
/// keywords' 0.688); one that only saw the bundled cs sample is best at 0.25 (0.698) and loses
/// 0.003 at 0.3; at 0.5 both fall below keywords alone (docs/performance.md).
pub const STATIC_MODEL_FUSION: Fusion = Fusion::Convex { semantic_weight: 0.3 };

impl Fusion {
    /// `convex` (the default weight), `convex:W` (semantic weight W in [0, 1]), `rrf` (k = 60)
    /// or `rrf:K`.
    pub fn parse(text: &str) -> Option<Fusion> {
        let (name, parameter) = match text.split_once(':') {
            Some((name, value)) => (name, Some(value.parse::<f32>().ok()?)),
            None => (text, None),
        };
        match (name, parameter) {
            ("rrf", k) => Some(Fusion::Reciprocal { k: k.unwrap_or(60.0) }).filter(|_| k.is_none_or(|k| k > 0.0)),
            ("convex", None) => Some(DEFAULT_FUSION),
            ("convex", Some(w)) => (0.0..=1.0)
                .contains(&w)
                .then_some(Fusion::Convex { semantic_weight: w }),
            _ => None,
        }
    }

    /// One ranking from two, best first.
    pub fn fuse(self, keyword: &[Hit], semantic: &[Hit]) -> Vec<Hit> {
        let mut scores: HashMap<&str, f32> = HashMap::new();
        match self {
            Fusion::Reciprocal { k } => {
                for list in [keyword, semantic] {
                    for (rank, hit) in list.iter().enumerate() {
                        *scores.entry(&hit.id).or_default() += 1.0 / (k + rank as f32 + 1.0);
                    }
                }
            }
            Fusion::Convex { semantic_weight } => {
                for (list, weight) in [(keyword, 1.0 - semantic_weight), (semantic, semantic_weight)] {
                    let (low, high) = list.iter().fold((f32::MAX, f32::MIN), |(low, high), hit| {
                        (low.min(hit.score), high.max(hit.score))
                    });
                    let span = if high > low { high - low } else { 1.0 };
                    for hit in list {
                        *scores.entry(&hit.id).or_default() += weight * (hit.score - low) / span;
                    }
                }
            }
        }
        let mut fused: Vec<Hit> = scores
            .into_iter()
            .map(|(id, score)| Hit {
                id: id.to_string(),
                score,
            })
            .collect();
        fused.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        fused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(list: &[(&str, f32)]) -> Vec<Hit> {
        list.iter()
            .map(|(id, score)| Hit {
                id: id.to_string(),
                score: *score,
            })
            .collect()
    }

    #[test]
    fn papers_both_rankings_like_come_first() {
        let keyword = hits(&[("a", 12.0), ("b", 11.0), ("c", 3.0)]);
        let semantic = hits(&[("b", 0.8), ("d", 0.7), ("a", 0.2)]);
        for fusion in [Fusion::Reciprocal { k: 60.0 }, Fusion::Convex { semantic_weight: 0.5 }] {
            let fused = fusion.fuse(&keyword, &semantic);
            assert_eq!(fused[0].id, "b", "{fusion:?}");
            assert_eq!(fused.len(), 4);
        }
        assert_eq!(Fusion::Convex { semantic_weight: 0.0 }.fuse(&keyword, &[])[0].id, "a");
        assert_eq!(
            Fusion::parse("convex:0.3"),
            Some(Fusion::Convex { semantic_weight: 0.3 })
        );
        assert_eq!(Fusion::parse("rrf"), Some(Fusion::Reciprocal { k: 60.0 }));
        assert_eq!(Fusion::parse("rrf:10"), Some(Fusion::Reciprocal { k: 10.0 }));
        assert_eq!(Fusion::parse("convex:2"), None);
        assert_eq!(Fusion::parse("magic"), None);
    }
}
