//! OAI-PMH `ListRecords`: completeness (papers announced while nobody harvested), updates
//! (new versions, journal references) and back-fills of a date range.
//!
//! The position holds the resumption token after every page, so a run resumes mid-list. arXiv's
//! tokens expire; an expired one restarts the list from its datestamp, which re-reads pages
//! already merged (harmless: merging is idempotent) rather than leaving a gap.

use jiff::ToSpan;
use paperboy_core::{ArxivId, Category, Date, Paper};
use paperboy_ingest::responses::read_oai_page;
use serde::{Deserialize, Serialize};

use super::{HarvestError, HarvestReport, Harvester};

/// arXiv's richest format: every version with its submission time, authors as written.
const METADATA_PREFIX: &str = "arXivRaw";
/// Restarts after expired tokens in one run before it gives up (and the next run tries again).
const MAX_RESTARTS: usize = 3;
/// Papers first submitted this long before a list's start are updates of papers this instance
/// never had, not news: they are taken only when already held. (Moderation can hold a paper
/// for days, hence not zero.)
const NEW_PAPER_WINDOW_DAYS: i64 = 7;

#[derive(Debug, Default, Serialize, Deserialize)]
struct OaiPosition {
    /// Where the next list starts (inclusive: the newest datestamp the last list reached).
    next_from: Option<Date>,
    /// The list being read: where it started and its resumption token.
    list_from: Option<Date>,
    token: Option<String>,
    /// The newest datestamp seen in the list being read.
    newest: Option<Date>,
}

/// The OAI-PMH sets that hold these categories: `cs`, `math`, `stat`, … and `physics:hep-th`.
pub fn sets_of(categories: &[Category]) -> Vec<String> {
    const OWN_SETS: &[&str] = &["cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"];
    let mut sets: Vec<String> = Vec::new();
    for category in categories {
        let archive = category.archive();
        let set = if OWN_SETS.contains(&archive) {
            archive.to_owned()
        } else {
            format!("physics:{archive}")
        };
        if !sets.contains(&set) {
            sets.push(set);
        }
    }
    sets
}

impl Harvester {
    /// Reads each set's list from where the last one ended.
    pub(super) async fn oai_since_last(&self, report: &mut HarvestReport) -> Result<(), HarvestError> {
        for set in sets_of(&self.settings.categories) {
            let name = format!("oai:{set}");
            let mut position: OaiPosition = self.position(&name).await?;
            if position.list_from.is_none() {
                let today = crate::clock::today_utc();
                let first = today
                    .checked_sub(i64::from(self.settings.oai_first_days).days())
                    .unwrap_or(today);
                position.list_from = Some(position.next_from.unwrap_or(first));
            }
            self.read_list(&name, &set, None, position, report).await?;
        }
        Ok(())
    }

    /// Reads one set's records with datestamps from `from` to `until`, then forgets the position.
    pub(super) async fn oai_backfill(
        &self,
        set: &str,
        from: Date,
        until: Date,
        report: &mut HarvestReport,
    ) -> Result<(), HarvestError> {
        let name = format!("backfill:{set}:{from}:{until}");
        let mut position: OaiPosition = self.position(&name).await?;
        position.list_from.get_or_insert(from);
        self.read_list(&name, set, Some(until), position, report).await?;
        self.store.delete_harvest_checkpoint(&name).await?;
        Ok(())
    }

    async fn read_list(
        &self,
        name: &str,
        set: &str,
        until: Option<Date>,
        mut position: OaiPosition,
        report: &mut HarvestReport,
    ) -> Result<(), HarvestError> {
        let url = &self.settings.oai_url;
        let mut restarts = 0;
        loop {
            let list_from = position.list_from.expect("a list being read has a start").to_string();
            let until_text = until.map(|day| day.to_string());
            let mut query = vec![("verb", "ListRecords")];
            match &position.token {
                Some(token) => query.push(("resumptionToken", token.as_str())),
                None => {
                    query.extend([
                        ("metadataPrefix", METADATA_PREFIX),
                        ("set", set),
                        ("from", list_from.as_str()),
                    ]);
                    if let Some(until) = &until_text {
                        query.push(("until", until.as_str()));
                    }
                }
            }
            let page = self
                .arxiv
                .get(url, &query, |body| {
                    read_oai_page(url, body).map_err(|error| error.reason)
                })
                .await?;
            report.oai_pages += 1;
            if let Some(error) = &page.error {
                match error.code.as_str() {
                    // arXiv forgot the token (they expire): read the list again from its start.
                    "badResumptionToken" if position.token.is_some() && restarts < MAX_RESTARTS => {
                        restarts += 1;
                        report.expired_tokens += 1;
                        tracing::warn!(set, "resumption token expired; reading the list again from {list_from}");
                        position.token = None;
                        self.save_page(name, &position, Vec::new(), report).await?;
                        continue;
                    }
                    // Nothing changed since `from`: the list is complete, and empty.
                    "noRecordsMatch" => {}
                    _ => {
                        return Err(HarvestError::Oai {
                            code: error.code.clone(),
                            message: error.message.clone(),
                        });
                    }
                }
            }
            let horizon = position
                .list_from
                .and_then(|from| from.checked_sub(NEW_PAPER_WINDOW_DAYS.days()).ok());
            for refused in &page.refused {
                report.problems.push(format!("OAI-PMH: {refused}"));
            }
            position.newest = position
                .newest
                .max(page.records.iter().filter_map(|r| r.datestamp).max());
            position.token = page.resumption_token;
            // Deleted records carry nothing to merge.
            let records = page
                .records
                .into_iter()
                .filter_map(|record| record.paper.map(|paper| (paper, record.submitted)))
                .collect();
            let papers = self.records_to_take(records, horizon, report).await?;
            let finished = position.token.is_none();
            if finished {
                position.next_from = position.newest.or(position.list_from).max(position.next_from);
                position.list_from = None;
                position.newest = None;
            }
            self.save_page(name, &position, papers, report).await?;
            if finished {
                return Ok(());
            }
        }
    }

    /// The records to merge: papers in the chosen categories that this instance holds (an
    /// update), or that are new enough to be news; new ones are put on the list arXiv's
    /// calendar puts them on, since OAI-PMH does not say which day listed them.
    async fn records_to_take(
        &self,
        records: Vec<(Paper, Option<jiff::Timestamp>)>,
        horizon: Option<Date>,
        report: &mut HarvestReport,
    ) -> Result<Vec<Paper>, HarvestError> {
        let (wanted, unwanted): (Vec<_>, Vec<_>) =
            records.into_iter().partition(|(paper, _)| self.settings.wants(paper));
        report.oai_skipped += unwanted.len();
        let ids: Vec<ArxivId> = wanted.iter().map(|(paper, _)| paper.id.clone()).collect();
        let held = self.held(&ids).await?;
        let mut taken = Vec::new();
        for (mut paper, submitted) in wanted {
            if !held.contains(&paper.id) {
                let expected = submitted.map(|at| self.settings.calendar.expected_listing_day(at));
                match expected {
                    Some(day) if horizon.is_none_or(|horizon| day >= horizon) => {
                        paper.listing_dates.insert(day);
                    }
                    _ => {
                        report.oai_skipped += 1;
                        continue;
                    }
                }
            }
            taken.push(paper);
        }
        report.oai_taken += taken.len();
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_map_to_their_sets() {
        let categories: Vec<Category> = ["cs.AI", "cs.CL", "stat.ML", "hep-th", "physics.optics"]
            .iter()
            .map(|code| Category::parse(code).unwrap())
            .collect();
        assert_eq!(
            sets_of(&categories),
            ["cs", "stat", "physics:hep-th", "physics:physics"]
        );
    }
}
