//! Hugging Face daily papers: their upvotes, for the papers this instance holds.

use paperboy_core::ArxivId;
use paperboy_ingest::Item;

use super::{HarvestReport, Harvester};

/// Hugging Face's days looked at per run: today's and yesterday's (UTC), the ones still voted on.
const DAYS_SYNCED: i64 = 2;

impl Harvester {
    pub(super) async fn sync_hugging_face(&self, report: &mut HarvestReport) -> anyhow::Result<()> {
        let Some(base) = &self.settings.hf_url else {
            return Ok(());
        };
        let now = crate::clock::now();
        let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        for days_back in 0..DAYS_SYNCED {
            let day = today.checked_sub(jiff::Span::new().days(days_back))?;
            let url = format!("{base}/api/daily_papers");
            let response = self
                .http
                .get(&url)
                .query(&[("date", day.to_string())])
                .send()
                .await?
                .error_for_status()?;
            let body = response.bytes().await?.to_vec();
            let input =
                paperboy_ingest::from_reader(format!("{url}?date={day}"), Box::new(std::io::Cursor::new(body)))?;
            let mut papers = Vec::new();
            for item in paperboy_ingest::records(input) {
                match item {
                    Item::Paper(record) => papers.push(record.paper),
                    Item::Failed(error) => report.problems.push(format!("Hugging Face: {error}")),
                    Item::Fatal(error) => anyhow::bail!(error),
                }
            }
            // Votes only: papers outside this instance's harvest are not added through them.
            let ids: Vec<ArxivId> = papers.iter().map(|paper| paper.id.clone()).collect();
            let held = self.held(&ids).await?;
            papers.retain(|paper| held.contains(&paper.id));
            for paper in &mut papers {
                for votes in &mut paper.community_votes {
                    // The live API does not say when it counted; it is now, which makes this
                    // count replace an older one.
                    votes.read_at.get_or_insert(now);
                }
            }
            let merged = self.store.merge_papers(papers).await?;
            report.hf_updated += merged.updated as usize;
            report.merged.add(merged);
        }
        Ok(())
    }
}
