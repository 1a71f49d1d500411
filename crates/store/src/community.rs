//! What members do to the lists: votes, submissions, and moderation (hiding papers, roles).

use async_trait::async_trait;
use paperboy_core::{ArxivId, Date};

use crate::Role;
use crate::StoreError;

#[derive(Clone, Debug)]
pub struct NewSubmission {
    pub paper: ArxivId,
    pub listing_date: Date,
    pub user_id: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitOutcome {
    Accepted,
    AlreadySubmitted,
    QuotaReached,
}

/// What a person did here: votes and submissions, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    pub votes: Vec<ArxivId>,
    pub submissions: Vec<(ArxivId, Date)>,
}

#[async_trait]
pub trait CommunityStore: Send + Sync {
    /// Casts (`true`) or withdraws (`false`) a person's vote; both are idempotent. Answers the
    /// paper's count of votes cast here afterwards, or `None` for an unknown paper.
    async fn set_vote(&self, user_id: i64, paper: &ArxivId, voted: bool) -> Result<Option<i64>, StoreError>;

    /// How many votes each paper has had on this instance, in the order asked (0 for a paper
    /// not held).
    async fn local_votes(&self, papers: &[ArxivId]) -> Result<Vec<(ArxivId, i64)>, StoreError>;

    /// The papers the member voted for, most recent vote first.
    async fn recent_votes(&self, user_id: i64, limit: u32) -> Result<Vec<ArxivId>, StoreError>;

    /// Which of these papers the person has voted for.
    async fn voted_among(&self, user_id: i64, papers: &[ArxivId]) -> Result<Vec<ArxivId>, StoreError>;

    /// Puts a paper (already stored) on a day's list for a member, unless it is there already
    /// or the member has used up the day's quota. One transaction, so two members racing for
    /// the same paper cannot both win.
    async fn submit_paper(&self, submission: &NewSubmission, daily_quota: u32) -> Result<SubmitOutcome, StoreError>;

    /// Who submitted which of these papers for days from `first` to `last` (display names).
    async fn submitters(
        &self,
        papers: &[ArxivId],
        first: Date,
        last: Date,
    ) -> Result<Vec<(ArxivId, String)>, StoreError>;

    /// The papers a person voted for and submitted, newest first.
    async fn activity(&self, user_id: i64, limit: u32) -> Result<Activity, StoreError>;

    /// Hides a paper from every list (or shows it again).
    async fn set_paper_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError>;

    /// Hides one submission from its day's list (or shows it again).
    async fn set_submission_hidden(&self, paper: &ArxivId, day: Date, hidden: bool) -> Result<bool, StoreError>;

    /// Sets the role of the account with this address; answers whether there is one.
    async fn set_role(&self, email: &str, role: Role) -> Result<bool, StoreError>;
}
