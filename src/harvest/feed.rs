//! The announcement feed: which papers a day's list holds, then their full metadata from the
//! arXiv API.
//!
//! The feed only ever shows the latest announcement, so once read, what it said is kept in the
//! position (the ids still to complete) until the API has completed every one of them.

use std::collections::HashSet;

use paperboy_core::{ArxivId, Date, Paper};
use paperboy_ingest::responses::{Feed, read_api_page, read_feed};
use serde::{Deserialize, Serialize};

use super::{HarvestError, HarvestReport, Harvester};

#[derive(Debug, Default, Serialize, Deserialize)]
struct FeedPosition {
    /// The last list day whose announcement was read to its end.
    last_day: Option<Date>,
    /// An announcement read, with papers still to complete from the API.
    pending: Option<PendingDay>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PendingDay {
    day: Date,
    ids: Vec<String>,
    /// How many of `ids` are complete.
    done: usize,
}

impl Harvester {
    fn feed_url(&self) -> String {
        let codes: Vec<&str> = self.settings.categories.iter().map(|c| c.as_str()).collect();
        format!("{}/{}", self.settings.rss_url, codes.join("+"))
    }

    fn feed_position_name(&self) -> String {
        let codes: Vec<&str> = self.settings.categories.iter().map(|c| c.as_str()).collect();
        format!("feed:{}", codes.join("+"))
    }

    pub(super) async fn feed(&self, report: &mut HarvestReport) -> Result<(), HarvestError> {
        let name = self.feed_position_name();
        let mut position: FeedPosition = self.position(&name).await?;
        if position.pending.is_none() {
            let url = self.feed_url();
            let feed = self
                .arxiv
                .get(&url, &[], |body| read_feed(&url, body).map_err(|error| error.reason))
                .await?;
            match feed.day {
                Some(day) if position.last_day.is_none_or(|last| day > last) && !feed.items.is_empty() => {
                    let (papers, ids) = self.announced(feed, report).await?;
                    report.new_feed_day = Some(day);
                    position.pending = Some(PendingDay { day, ids, done: 0 });
                    self.save_page(&name, &position, papers, report).await?;
                }
                // An empty feed (Friday, Saturday, a holiday) or one already read: nothing new.
                day => tracing::info!(feed_day = ?day, last_read = ?position.last_day, "no new announcement"),
            }
        }
        while let Some(pending) = position.pending.as_mut() {
            let end = (pending.done + self.settings.api_batch).min(pending.ids.len());
            let batch = pending.ids[pending.done..end].to_vec();
            // A day of nothing but replacements of papers not held leaves nothing to complete.
            let papers = if batch.is_empty() {
                Vec::new()
            } else {
                self.complete_from_api(&batch, report).await?
            };
            pending.done = end;
            if pending.done >= pending.ids.len() {
                position.last_day = Some(pending.day);
                position.pending = None;
            }
            self.save_page(&name, &position, papers, report).await?;
        }
        Ok(())
    }

    /// The feed's papers worth keeping, and the ids to complete: everything it lists (new and
    /// cross-listed), and replacements of papers this instance holds (a replacement of a
    /// paper it never had is not news here).
    async fn announced(
        &self,
        feed: Feed,
        report: &mut HarvestReport,
    ) -> Result<(Vec<Paper>, Vec<String>), HarvestError> {
        for refused in feed.refused {
            report.problems.push(format!("feed: {refused}"));
        }
        let replaced: Vec<ArxivId> = feed
            .items
            .iter()
            .filter(|item| !item.listed)
            .map(|item| item.paper.id.clone())
            .collect();
        let held = self.held(&replaced).await?;
        let mut papers = Vec::new();
        let mut ids = Vec::new();
        for item in feed.items {
            if !item.listed && !held.contains(&item.paper.id) {
                continue;
            }
            report.feed_listed += usize::from(item.listed);
            ids.push(item.paper.id.as_str().to_owned());
            papers.push(item.paper);
        }
        Ok((papers, ids))
    }

    /// Asks the API for these papers. What the API cannot give is kept as the feed gave it.
    async fn complete_from_api(&self, ids: &[String], report: &mut HarvestReport) -> Result<Vec<Paper>, HarvestError> {
        let url = &self.settings.api_url;
        let id_list = ids.join(",");
        let max_results = ids.len().to_string();
        let query = [("id_list", id_list.as_str()), ("max_results", max_results.as_str())];
        let page = self
            .arxiv
            .get(url, &query, |body| {
                read_api_page(url, body).map_err(|error| error.reason)
            })
            .await?;
        for error in &page.errors {
            report.problems.push(format!("API, for {id_list}: {error}"));
        }
        for refused in &page.refused {
            report.problems.push(format!("API: {refused}"));
        }
        let asked: HashSet<&str> = ids.iter().map(String::as_str).collect();
        Ok(page
            .papers
            .into_iter()
            .filter(|paper| asked.contains(paper.id.as_str()))
            .collect())
    }
}
