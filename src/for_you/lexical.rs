//! The lexical content model: tf-idf vectors over a period's papers, so that "For you" works on
//! a fresh install with no embedding model. Words are the search index's (stemmed, folded, stop
//! words dropped); a term's weight is `(1 + ln tf) · idf`, `idf = 1 + ln((1 + n) / (1 + df))`
//! over the period's papers, and every vector has unit length, so a dot product is a cosine.

use std::collections::HashMap;

use paperboy_core::SearchDocument;
use paperboy_search::analysis::{Analyzer, PROSE};

/// A unit-length sparse vector: term numbers ascending, with their weights.
#[derive(Clone, Debug, Default)]
pub struct SparseVector(pub Vec<(u32, f32)>);

/// The words of one period and every candidate's vector over them. It depends on the period's
/// papers only, never on a member, so one is built per period and shared by every member's list.
pub struct PeriodVocabulary {
    terms: HashMap<String, u32>,
    idf: Vec<f32>,
    analyzer: Analyzer,
}

/// The text a paper is compared by: its title counts twice, as a title says what a paper is
/// about in fewer, better chosen words than its abstract.
pub fn paper_text(document: &SearchDocument) -> String {
    format!("{0}. {0}. {1}", document.title, document.abstract_text)
}

impl PeriodVocabulary {
    /// The vocabulary of `documents` and each one's vector, in their order.
    pub fn build(documents: &[SearchDocument]) -> (PeriodVocabulary, Vec<SparseVector>) {
        let mut analyzer = Analyzer::new(PROSE).expect("the prose analyzer is registered");
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut document_frequency: Vec<u32> = Vec::new();
        let counted: Vec<Vec<(u32, u32)>> = documents
            .iter()
            .map(|document| {
                let mut counts: HashMap<u32, u32> = HashMap::new();
                for term in analyzer.terms(&paper_text(document)) {
                    let next = terms.len() as u32;
                    let number = *terms.entry(term).or_insert(next);
                    if number as usize == document_frequency.len() {
                        document_frequency.push(0);
                    }
                    *counts.entry(number).or_insert(0) += 1;
                }
                for &number in counts.keys() {
                    document_frequency[number as usize] += 1;
                }
                counts.into_iter().collect()
            })
            .collect();
        let n = documents.len() as f32;
        let idf = document_frequency
            .iter()
            .map(|&df| 1.0 + ((1.0 + n) / (1.0 + df as f32)).ln())
            .collect();
        let vocabulary = PeriodVocabulary { terms, idf, analyzer };
        let vectors = counted.into_iter().map(|counts| vocabulary.weigh(counts)).collect();
        (vocabulary, vectors)
    }

    /// The vector of a paper outside the period (one of the member's) over this period's words;
    /// words the period never uses cannot match anything in it and are left out.
    pub fn vector(&self, document: &SearchDocument) -> SparseVector {
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for term in self.analyzer.clone().terms(&paper_text(document)) {
            if let Some(&number) = self.terms.get(&term) {
                *counts.entry(number).or_insert(0) += 1;
            }
        }
        self.weigh(counts.into_iter().collect())
    }

    fn weigh(&self, mut counts: Vec<(u32, u32)>) -> SparseVector {
        counts.sort_unstable_by_key(|&(number, _)| number);
        let mut weights: Vec<(u32, f32)> = counts
            .into_iter()
            .map(|(number, count)| (number, (1.0 + (count as f32).ln()) * self.idf[number as usize]))
            .collect();
        let norm = weights.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (_, weight) in &mut weights {
                *weight /= norm;
            }
        }
        SparseVector(weights)
    }
}

/// The member's papers as an inverted list (term → which of them use it, how much), so that a
/// candidate's cosine with every one of them costs one pass over the candidate's own terms.
pub struct ProfileIndex {
    postings: HashMap<u32, Vec<(u32, f32)>>,
    len: usize,
}

impl ProfileIndex {
    pub fn new(vectors: &[SparseVector]) -> ProfileIndex {
        let mut postings: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
        for (position, vector) in vectors.iter().enumerate() {
            for &(term, weight) in &vector.0 {
                postings.entry(term).or_default().push((position as u32, weight));
            }
        }
        ProfileIndex {
            postings,
            len: vectors.len(),
        }
    }

    /// The candidate's cosine with each of the member's papers, written into `out`.
    pub fn cosines(&self, candidate: &SparseVector, out: &mut Vec<f32>) {
        out.clear();
        out.resize(self.len, 0.0);
        for &(term, weight) in &candidate.0 {
            if let Some(posting) = self.postings.get(&term) {
                for &(position, other) in posting {
                    out[position as usize] += weight * other;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(id: &str, title: &str, abstract_text: &str) -> SearchDocument {
        SearchDocument {
            id: id.into(),
            title: title.into(),
            abstract_text: abstract_text.into(),
            authors: Vec::new(),
            categories: Vec::new(),
            first_listed: None,
            votes: 0,
            hidden: false,
        }
    }

    #[test]
    fn a_paper_is_nearest_to_the_one_about_the_same_thing() {
        let period = [
            document("a", "Diffusion models for images", "We denoise images with diffusion."),
            document(
                "b",
                "Parsing legal contracts",
                "Language models read contracts and clauses.",
            ),
            document("c", "Robot grasping", "A gripper learns to grasp objects."),
        ];
        let (vocabulary, vectors) = PeriodVocabulary::build(&period);
        let saved = vocabulary.vector(&document("s", "Image diffusion", "Denoising diffusion for images."));
        let profile = ProfileIndex::new(&[saved]);
        let mut cosines = Vec::new();
        let similarity: Vec<f32> = vectors
            .iter()
            .map(|vector| {
                profile.cosines(vector, &mut cosines);
                cosines[0]
            })
            .collect();
        assert!(similarity[0] > 0.5, "{similarity:?}");
        assert_eq!(similarity[1], 0.0);
        assert_eq!(similarity[2], 0.0);
        let self_cosine = {
            profile.cosines(
                &vocabulary.vector(&document("s", "Image diffusion", "Denoising diffusion for images.")),
                &mut cosines,
            );
            cosines[0]
        };
        assert!((self_cosine - 1.0).abs() < 1e-5, "unit length: {self_cosine}");
    }
}
