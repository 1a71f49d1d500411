//! A page of a list before its papers' text is read: which papers, in which order, with what
//! placed them, who submitted them and how many comments they have. Pages that keep each
//! paper's rendering read only the papers whose rendering changed ([`Placement::into_view`]);
//! everything else reads them all ([`Placement::with_papers`]).

use std::collections::HashMap;

use paperboy_core::{ArxivId, Date, Paper, Period, TrendingScore};
use paperboy_store::{Store, StoreError};

use super::{Entry, ListRequest, ListView, Scope, live};

/// One paper on a page of a list.
#[derive(Clone, Debug)]
pub struct Placed {
    pub id: ArxivId,
    pub score: TrendingScore,
    pub listed: Date,
    /// The member who put the paper on this list, if one did.
    pub submitted_by: Option<String>,
    /// Comments others can read on the paper.
    pub comments: i64,
    /// When the page was walked from the rankings in memory: a number that moves whenever the
    /// paper changes (its text, days, votes or links), so what was made from it can be kept
    /// until then.
    pub revision: Option<u64>,
}

/// A page of a list, its papers placed but not read.
#[derive(Clone, Debug)]
pub struct Placement {
    pub request: ListRequest,
    /// First and last day covered; `None` when the store has no listings at all.
    pub range: Option<(Date, Date)>,
    pub placed: Vec<Placed>,
    pub total: usize,
    pub previous: Option<Period>,
    pub next: Option<Period>,
}

impl Placement {
    pub fn pages(&self) -> u32 {
        super::pages(self.total, &self.request)
    }

    /// A page of ranked candidates with their comments and submitters, and the periods around it.
    pub(super) async fn of(
        store: &dyn Store,
        request: ListRequest,
        range: Option<(Date, Date)>,
        page: live::Page,
    ) -> Result<Placement, StoreError> {
        let Some((first, last)) = range else {
            return Ok(Placement {
                request,
                range,
                placed: Vec::new(),
                total: 0,
                previous: None,
                next: None,
            });
        };
        let ids: Vec<_> = page.entries.iter().map(|(candidate, _)| candidate.id.clone()).collect();
        let comments: HashMap<_, _> = store.comment_counts(&ids).await?.into_iter().collect();
        let submitters: HashMap<_, _> = store.submitters(&ids, first, last).await?.into_iter().collect();
        let placed = page
            .entries
            .into_iter()
            .enumerate()
            .map(|(at, (candidate, score))| Placed {
                comments: comments.get(&candidate.id).copied().unwrap_or(0),
                submitted_by: submitters.get(&candidate.id).cloned(),
                revision: page.revisions.get(at).copied(),
                id: candidate.id,
                score,
                listed: candidate.listed,
            })
            .collect();
        let (previous, next) = match request.scope {
            Scope::Period(period) => {
                let (before, after) = store.listing_days_around(first, last).await?;
                let same_kind = |day: Date| match period {
                    Period::Day(_) => Period::Day(day),
                    Period::Week { .. } => Period::week_of(day),
                    Period::Month { .. } => Period::month_of(day),
                };
                (before.map(same_kind), after.map(same_kind))
            }
            Scope::Trending => (None, None),
        };
        Ok(Placement {
            request,
            range,
            placed,
            total: page.total,
            previous,
            next,
        })
    }

    /// The page with every paper read in full.
    pub async fn with_papers(self, store: &dyn Store) -> Result<ListView, StoreError> {
        let ids: Vec<_> = self.placed.iter().map(|placed| placed.id.clone()).collect();
        let papers = store.papers_by_ids(&ids).await?;
        Ok(self.into_view(papers))
    }

    /// The page with the papers of `papers` (a paper deleted in between, or not read, is left
    /// out).
    pub fn into_view(self, papers: Vec<Paper>) -> ListView {
        let mut papers: HashMap<ArxivId, Paper> = papers.into_iter().map(|paper| (paper.id.clone(), paper)).collect();
        let entries = self
            .placed
            .into_iter()
            .filter_map(|placed| {
                Some(Entry {
                    paper: papers.remove(&placed.id)?,
                    score: placed.score,
                    listed: placed.listed,
                    submitted_by: placed.submitted_by,
                    comments: placed.comments,
                })
            })
            .collect();
        ListView {
            request: self.request,
            range: self.range,
            entries,
            total: self.total,
            previous: self.previous,
            next: self.next,
        }
    }
}
