//! The "For you" formula: how a period's papers are ordered for one member. Pure: the service
//! and `paperboy eval recs` hand it the same inputs, so the evaluation measures what members get.
//!
//! For a candidate paper c and a member m:
//!
//! ```text
//! score(c) = similarity(c, m)                      content: see `Similarity`
//!          + author   · [an author of c is followed]
//!          + search   · [c matches a followed search]
//!          + category · [c is in a followed category]
//!          + votes    · ln(1 + votes(c)) / ln(1 + most votes in the period)
//! ```
//!
//! where `similarity` aggregates the cosines between c and each of the member's papers (saved
//! count 1, upvoted [`Formula::upvoted`]). The reason shown is the largest of these terms. The
//! weights in [`FORMULA`] were picked by `paperboy eval recs` (docs/for-you.md has the runs).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;

use paperboy_core::SearchDocument;
use paperboy_search::analysis::{Analyzer, AuthorKey, NAMES};

use super::lexical::{PeriodVocabulary, ProfileIndex, SparseVector};

/// How the cosines with a member's papers become one similarity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Similarity {
    /// The cosine with the (weighted) mean of the member's papers.
    Centroid,
    /// The best cosine with any one of them.
    Max,
    /// The mean of the `k` best.
    TopMean(usize),
}

impl Similarity {
    pub fn parse(text: &str) -> Option<Similarity> {
        match text {
            "centroid" => Some(Similarity::Centroid),
            "max" => Some(Similarity::Max),
            _ => {
                let k = text.strip_prefix("top")?.parse().ok().filter(|&k| k > 0)?;
                Some(Similarity::TopMean(k))
            }
        }
    }
}

impl fmt::Display for Similarity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Similarity::Centroid => write!(f, "centroid"),
            Similarity::Max => write!(f, "max"),
            Similarity::TopMean(k) => write!(f, "top{k}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Formula {
    pub similarity: Similarity,
    pub author: f32,
    pub search: f32,
    pub category: f32,
    pub votes: f32,
    /// What an upvoted paper counts for against a saved one.
    pub upvoted: f32,
}

/// The service's formula.
pub const FORMULA: Formula = Formula {
    similarity: Similarity::TopMean(3),
    author: 1.0,
    search: 0.3,
    category: 0.05,
    votes: 0.05,
    upvoted: 0.5,
};

/// Where the instance has embeddings, each cosine is this share of the embeddings' and the
/// rest of tf-idf's (picked by `paperboy eval recs --model-dir`, docs/for-you.md).
pub const EMBEDDING_SHARE: f32 = 0.2;

/// A followed search and the period's papers it matches.
#[derive(Clone, Debug)]
pub struct SearchMatches {
    /// The search as the member wrote it.
    pub query: String,
    pub ids: HashSet<String>,
}

/// What one member has shown interest in.
#[derive(Clone, Debug, Default)]
pub struct Interests {
    /// Library papers, most recently saved first.
    pub saved: Vec<SearchDocument>,
    /// Upvoted papers, most recent first.
    pub upvoted: Vec<SearchDocument>,
    pub authors: Vec<String>,
    /// Categories (`cs.CL`) or archives (`cs`).
    pub categories: Vec<String>,
    pub searches: Vec<SearchMatches>,
}

impl Interests {
    /// Nothing to go on: the member sees the community's list instead.
    pub fn is_empty(&self) -> bool {
        self.saved.is_empty()
            && self.upvoted.is_empty()
            && self.authors.is_empty()
            && self.categories.is_empty()
            && self.searches.is_empty()
    }

    /// The ids of the member's papers, in the order content scores take them.
    pub fn profile_ids(&self) -> impl Iterator<Item = &str> {
        self.profile().map(|(d, _)| d.id.as_str())
    }

    fn profile(&self) -> impl Iterator<Item = (&SearchDocument, bool)> {
        let saved = self.saved.iter().map(|d| (d, true));
        saved.chain(self.upvoted.iter().map(|d| (d, false)))
    }
}

/// Why a paper is on a member's list: the largest term of its score.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Reason {
    Saved { id: String, title: String },
    Upvoted { id: String, title: String },
    Author { name: String },
    Search { query: String },
    Category { category: String },
    Community { votes: i64 },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Saved { title, .. } => write!(f, "Because you saved “{title}”"),
            Reason::Upvoted { title, .. } => write!(f, "Because you upvoted “{title}”"),
            Reason::Author { name } => write!(f, "By {name}, whom you follow"),
            Reason::Search { query } => write!(f, "Matches your search “{query}”"),
            Reason::Category { category } => write!(f, "New in {category}, which you follow"),
            Reason::Community { votes: 1 } => write!(f, "1 vote from the community"),
            Reason::Community { votes } => write!(f, "{votes} votes from the community"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Recommendation {
    /// The candidate's position in the period's documents.
    pub position: usize,
    pub score: f32,
    pub reason: Reason,
}

/// The content model's view of a period: each candidate's cosines with the member's papers.
pub trait ContentScores {
    /// The candidate's cosine with each of the member's papers (in [`Interests`] order).
    fn cosines(&self, candidate: usize, out: &mut Vec<f32>);
    /// The length of the weighted sum of the member's paper vectors.
    fn centroid_norm(&self, weights: &[f32]) -> f32;
}

/// A period's papers with what ranking them for any member needs: built once per period and
/// shared, so a member's list costs only what is theirs.
pub struct PeriodPapers {
    pub documents: Vec<SearchDocument>,
    vocabulary: PeriodVocabulary,
    vectors: Vec<SparseVector>,
    authors: Vec<Vec<AuthorKey>>,
}

impl PeriodPapers {
    /// The period's papers; their abstracts are dropped once read (the vectors hold what
    /// ranking needs, and a month of abstracts is tens of megabytes).
    pub fn new(mut documents: Vec<SearchDocument>) -> PeriodPapers {
        let (vocabulary, vectors) = PeriodVocabulary::build(&documents);
        for document in &mut documents {
            document.abstract_text = String::new();
        }
        let mut names = Analyzer::new(NAMES).expect("the names analyzer is registered");
        let authors = documents
            .iter()
            .map(|d| d.authors.iter().map(|a| AuthorKey::new(&mut names, a)).collect())
            .collect();
        PeriodPapers {
            documents,
            vocabulary,
            vectors,
            authors,
        }
    }
}

/// Lexical content scores: the period's tf-idf vectors against the member's papers.
pub struct LexicalScores<'a> {
    candidates: &'a [SparseVector],
    profile_vectors: Vec<SparseVector>,
    profile: ProfileIndex,
}

impl<'a> LexicalScores<'a> {
    pub fn new(period: &'a PeriodPapers, interests: &Interests) -> Self {
        let candidates = &period.vectors;
        let vocabulary = &period.vocabulary;
        let profile_vectors: Vec<SparseVector> = interests.profile().map(|(d, _)| vocabulary.vector(d)).collect();
        let profile = ProfileIndex::new(&profile_vectors);
        LexicalScores {
            candidates,
            profile_vectors,
            profile,
        }
    }
}

impl ContentScores for LexicalScores<'_> {
    fn cosines(&self, candidate: usize, out: &mut Vec<f32>) {
        self.profile.cosines(&self.candidates[candidate], out);
    }

    fn centroid_norm(&self, weights: &[f32]) -> f32 {
        let mut sum: std::collections::HashMap<u32, f32> = std::collections::HashMap::new();
        for (vector, weight) in self.profile_vectors.iter().zip(weights) {
            for &(term, value) in &vector.0 {
                *sum.entry(term).or_insert(0.0) += weight * value;
            }
        }
        sum.values().map(|v| v * v).sum::<f32>().sqrt()
    }
}

/// Content scores from sentence embeddings (unit length, so a dot product is a cosine): the
/// period's vectors in its order (`None` for a paper not embedded yet) against the member's.
pub struct EmbeddedScores<'a> {
    candidates: &'a [Option<Vec<f32>>],
    profile: Vec<Vec<f32>>,
}

impl<'a> EmbeddedScores<'a> {
    /// `profile` holds the vectors of the member's papers in [`Interests`] order (a paper not
    /// embedded gets an empty vector and counts for nothing).
    pub fn new(candidates: &'a [Option<Vec<f32>>], profile: Vec<Vec<f32>>) -> Self {
        EmbeddedScores { candidates, profile }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl ContentScores for EmbeddedScores<'_> {
    fn cosines(&self, candidate: usize, out: &mut Vec<f32>) {
        out.clear();
        match &self.candidates[candidate] {
            Some(vector) => out.extend(self.profile.iter().map(|p| dot(vector, p))),
            None => out.resize(self.profile.len(), 0.0),
        }
    }

    fn centroid_norm(&self, weights: &[f32]) -> f32 {
        let Some(dimensions) = self.profile.iter().map(Vec::len).max() else {
            return 0.0;
        };
        let mut sum = vec![0.0; dimensions];
        for (vector, weight) in self.profile.iter().zip(weights) {
            for (total, value) in sum.iter_mut().zip(vector) {
                *total += weight * value;
            }
        }
        dot(&sum, &sum).sqrt()
    }
}

/// Two content models at once: each cosine is `share` of the first's plus the rest of the
/// second's.
pub struct BlendedScores<'a> {
    pub first: &'a dyn ContentScores,
    pub second: &'a dyn ContentScores,
    pub share: f32,
}

impl ContentScores for BlendedScores<'_> {
    fn cosines(&self, candidate: usize, out: &mut Vec<f32>) {
        let mut other = Vec::with_capacity(out.capacity());
        self.first.cosines(candidate, out);
        self.second.cosines(candidate, &mut other);
        for (value, second) in out.iter_mut().zip(other) {
            *value = self.share * *value + (1.0 - self.share) * second;
        }
    }

    /// An upper bound (the norms' blend), good enough for `Similarity::Centroid` to compare
    /// candidates of one member: it scales them all alike.
    fn centroid_norm(&self, weights: &[f32]) -> f32 {
        self.share * self.first.centroid_norm(weights) + (1.0 - self.share) * self.second.centroid_norm(weights)
    }
}

/// Orders the period's papers for the member, given each one's votes now (in the period's
/// order). Papers the member saved or upvoted are left out: they have them already.
pub fn rank(
    period: &PeriodPapers,
    votes: &[i64],
    content: &dyn ContentScores,
    interests: &Interests,
    formula: &Formula,
) -> Vec<Recommendation> {
    let documents = &period.documents;
    let profile: Vec<(&SearchDocument, bool)> = interests.profile().collect();
    let weights: Vec<f32> = profile
        .iter()
        .map(|&(_, saved)| if saved { 1.0 } else { formula.upvoted })
        .collect();
    let centroid_norm = match formula.similarity {
        Similarity::Centroid => content.centroid_norm(&weights),
        _ => 0.0,
    };
    let known: HashSet<&str> = profile.iter().map(|(d, _)| d.id.as_str()).collect();
    let mut names = Analyzer::new(NAMES).expect("the names analyzer is registered");
    let followed: Vec<AuthorKey> = interests
        .authors
        .iter()
        .map(|name| AuthorKey::new(&mut names, name))
        .collect();
    let most_votes = votes.iter().map(|&v| v.max(0)).max().unwrap_or(0);
    let votes_scale = if most_votes > 0 {
        (1.0 + most_votes as f32).ln()
    } else {
        1.0
    };

    let mut cosines = Vec::with_capacity(profile.len());
    let mut recommendations = Vec::with_capacity(documents.len());
    for (position, document) in documents.iter().enumerate() {
        if known.contains(document.id.as_str()) || document.hidden {
            continue;
        }
        let mut terms: Vec<(f32, Reason)> = Vec::with_capacity(5);
        if !profile.is_empty() {
            content.cosines(position, &mut cosines);
            for (cosine, weight) in cosines.iter_mut().zip(&weights) {
                *cosine *= weight;
            }
            let best = cosines
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(p, &c)| (p, c))
                .unwrap_or((0, 0.0));
            let similarity = match formula.similarity {
                Similarity::Centroid if centroid_norm > 0.0 => cosines.iter().sum::<f32>() / centroid_norm,
                Similarity::Centroid => 0.0,
                Similarity::Max => best.1,
                Similarity::TopMean(k) => top_mean(&mut cosines, k),
            };
            let (paper, saved) = profile[best.0];
            let (id, title) = (paper.id.clone(), paper.title.clone());
            terms.push((
                similarity,
                if saved {
                    Reason::Saved { id, title }
                } else {
                    Reason::Upvoted { id, title }
                },
            ));
        }
        if !followed.is_empty() {
            let by = (document.authors.iter().zip(&period.authors[position]))
                .find(|(_, key)| followed.iter().any(|f| f.matches(key)))
                .map(|(written, _)| written);
            if let Some(name) = by {
                terms.push((formula.author, Reason::Author { name: name.clone() }));
            }
        }
        if let Some(search) = interests.searches.iter().find(|s| s.ids.contains(&document.id)) {
            terms.push((
                formula.search,
                Reason::Search {
                    query: search.query.clone(),
                },
            ));
        }
        if let Some(category) = document
            .categories
            .iter()
            .find(|c| interests.categories.iter().any(|f| covers(f, c)))
        {
            terms.push((
                formula.category,
                Reason::Category {
                    category: category.clone(),
                },
            ));
        }
        let votes = votes[position].max(0);
        terms.push((
            formula.votes * (1.0 + votes as f32).ln() / votes_scale,
            Reason::Community { votes },
        ));
        let score = terms.iter().map(|(s, _)| s).sum();
        let reason = terms
            .into_iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, r)| r)
            .expect("the votes term is always there");
        recommendations.push(Recommendation {
            position,
            score,
            reason,
        });
    }
    recommendations.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| votes[b.position].cmp(&votes[a.position]))
            .then_with(|| documents[a.position].id.cmp(&documents[b.position].id))
    });
    recommendations
}

fn top_mean(values: &mut [f32], k: usize) -> f32 {
    let k = k.min(values.len());
    if k == 0 {
        return 0.0;
    }
    if k < values.len() {
        values.select_nth_unstable_by(k - 1, |a, b| b.partial_cmp(a).unwrap_or(Ordering::Equal));
    }
    values[..k].iter().sum::<f32>() / k as f32
}

/// Whether a followed category (`cs.CL`, or a whole archive `cs`) covers a paper's category.
fn covers(followed: &str, category: &str) -> bool {
    followed.eq_ignore_ascii_case(category)
        || category
            .split_once('.')
            .is_some_and(|(archive, _)| archive.eq_ignore_ascii_case(followed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper(id: &str, title: &str, authors: &[&str], categories: &[&str], votes: i64) -> SearchDocument {
        SearchDocument {
            id: id.into(),
            title: title.into(),
            abstract_text: title.into(),
            authors: authors.iter().map(|a| a.to_string()).collect(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            first_listed: None,
            votes,
            hidden: false,
        }
    }

    fn ranked(documents: &[SearchDocument], interests: &Interests) -> Vec<(String, String)> {
        let period = PeriodPapers::new(documents.to_vec());
        let content = LexicalScores::new(&period, interests);
        let votes: Vec<i64> = documents.iter().map(|d| d.votes).collect();
        rank(&period, &votes, &content, interests, &FORMULA)
            .into_iter()
            .map(|r| (documents[r.position].id.clone(), r.reason.to_string()))
            .collect()
    }

    fn period() -> Vec<SearchDocument> {
        vec![
            paper(
                "1",
                "Protein folding with graph networks",
                &["Ada Lovelace"],
                &["q-bio.BM"],
                0,
            ),
            paper(
                "2",
                "Denoising diffusion for image synthesis",
                &["Grace Hopper"],
                &["cs.CV"],
                3,
            ),
            paper(
                "3",
                "Speech recognition at scale",
                &["Alan Turing"],
                &["cs.CL", "eess.AS"],
                40,
            ),
            paper("4", "A survey of everything", &["Kurt Gödel"], &["cs.AI"], 10),
        ]
    }

    #[test]
    fn similar_papers_come_first_and_say_which_saved_paper_they_resemble() {
        let interests = Interests {
            saved: vec![paper("s", "Latent diffusion models for image generation", &[], &[], 0)],
            ..Interests::default()
        };
        let list = ranked(&period(), &interests);
        assert_eq!(list[0].0, "2");
        assert_eq!(
            list[0].1,
            "Because you saved “Latent diffusion models for image generation”"
        );
        assert_eq!(list[1].1, "40 votes from the community");
    }

    #[test]
    fn follows_lift_papers_and_name_themselves() {
        let interests = Interests {
            authors: vec!["K. Godel".into()],
            categories: vec!["eess".into()],
            searches: vec![SearchMatches {
                query: "protein".into(),
                ids: HashSet::from(["1".to_string()]),
            }],
            ..Interests::default()
        };
        let list = ranked(&period(), &interests);
        assert_eq!(list[0], ("4".into(), "By Kurt Gödel, whom you follow".into()));
        assert_eq!(list[1], ("1".into(), "Matches your search “protein”".into()));
        assert_eq!(list[2].0, "3");
    }

    #[test]
    fn papers_the_member_has_are_left_out() {
        let mut documents = period();
        let interests = Interests {
            upvoted: vec![documents[2].clone()],
            ..Interests::default()
        };
        documents[3].hidden = true;
        let ids: Vec<String> = ranked(&documents, &interests).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids.len(), 2);
        assert!(!ids.contains(&"3".to_string()) && !ids.contains(&"4".to_string()));
    }

    #[test]
    fn embeddings_find_what_words_miss_and_blend_with_them() {
        // "Speech recognition" shares no word with the saved "automatic transcription of audio";
        // the (made-up, unit-length) embeddings know they are about the same thing.
        let documents = period();
        let interests = Interests {
            saved: vec![paper("s", "Automatic transcription of audio", &[], &[], 0)],
            ..Interests::default()
        };
        let unit = |v: [f32; 3]| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.map(|x| x / n).to_vec()
        };
        let candidates = vec![
            Some(unit([0.0, 0.0, 1.0])),
            Some(unit([0.0, 1.0, 0.2])),
            Some(unit([1.0, 0.1, 0.0])),
            None,
        ];
        let embedded = EmbeddedScores::new(&candidates, vec![unit([1.0, 0.0, 0.0])]);
        let model = PeriodPapers::new(documents.clone());
        let votes: Vec<i64> = documents.iter().map(|d| d.votes).collect();
        let ranked = rank(&model, &votes, &embedded, &interests, &FORMULA);
        assert_eq!(documents[ranked[0].position].id, "3", "speech, by meaning");
        assert_eq!(
            ranked[0].reason.to_string(),
            "Because you saved “Automatic transcription of audio”"
        );
        let lexical = LexicalScores::new(&model, &interests);
        let blended = BlendedScores {
            first: &embedded,
            second: &lexical,
            share: EMBEDDING_SHARE,
        };
        let mut cosines = Vec::new();
        blended.cosines(2, &mut cosines);
        let mut alone = Vec::new();
        embedded.cosines(2, &mut alone);
        assert!(
            (cosines[0] - EMBEDDING_SHARE * alone[0]).abs() < 1e-6,
            "no shared words: half"
        );
        embedded.cosines(3, &mut alone);
        assert_eq!(alone, [0.0], "a paper without a vector scores nothing by meaning");
    }

    #[test]
    fn similarity_names_parse() {
        assert_eq!(Similarity::parse("top3"), Some(Similarity::TopMean(3)));
        assert_eq!(Similarity::parse("max"), Some(Similarity::Max));
        assert_eq!(Similarity::parse("top0"), None);
        assert_eq!(Similarity::TopMean(5).to_string(), "top5");
    }
}
