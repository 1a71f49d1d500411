//! `paperboy-bench for-you`: what a member's "For you" list costs on an instance, against the
//! anonymous list of the same month read in the same run.

use std::time::{Duration, Instant};

use anyhow::bail;
use paperboy::for_you::ForYou;
use paperboy::lists::{self, ListRequest, Scope, ScoredAt};
use paperboy_core::{ArxivId, Period};
use paperboy_store::{FollowKind, Shelf};

use crate::runs::member_with_session;

fn percentile(times: &mut [Duration], share: f64) -> f64 {
    times.sort();
    let index = ((times.len() as f64 - 1.0) * share).round() as usize;
    times[index].as_secs_f64() * 1e3
}

pub fn for_you(
    context: &paperboy::cli::Context,
    members: usize,
    saved_each: usize,
    date: Option<paperboy_core::Date>,
) -> anyhow::Result<u8> {
    paperboy::cli::runtime()?.block_on(async {
        let store = context.open_store().await?;
        let trending = context.config()?.trending();
        let Some(last) = date.or(store.latest_listing_day().await?) else {
            bail!("the instance holds no listed papers");
        };
        let month = Period::month_of(last);
        let (month_first, _) = month.bounds();
        // Libraries come from the year before the month, as a reader's would.
        let before = month_first.yesterday()?;
        let year_before = before.checked_sub(jiff::Span::new().days(365))?;
        let pool: Vec<ArxivId> = store
            .listing_candidates(year_before, before, None)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        anyhow::ensure!(pool.len() >= saved_each, "too few papers before {month_first} to save");
        let month_ids: Vec<ArxivId> = store
            .listing_candidates(month_first, last, None)
            .await?
            .into_iter()
            .take(members)
            .map(|c| c.id)
            .collect();
        let month_papers = store.papers_by_ids(&month_ids).await?;
        let now = paperboy::clock::now_seconds();
        let started = Instant::now();
        let mut users = Vec::with_capacity(members);
        for member in 0..members {
            let (_, user) = member_with_session(store.as_ref(), &format!("reader{member:05}@example.org"), now).await?;
            for k in 0..saved_each {
                let position = (member * 7919 + k * k * 104_729 + k) % pool.len();
                store.file_paper(user.id, Shelf::Default, &pool[position], now - k as i64).await?;
            }
            // Every other member follows an author of the month.
            if member % 2 == 0
                && let Some(author) = month_papers.get(member).and_then(|p| p.authors.first())
            {
                store.follow(user.id, FollowKind::Author, author, now).await?;
            }
            users.push(user.id);
        }
        eprintln!(
            "{members} members with {saved_each} saved papers each, made in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        // The baseline: the month's anonymous list, as its page reads it.
        let mut baseline = Vec::new();
        for _ in 0..20 {
            let request = ListRequest {
                scope: Scope::Period(month),
                sort: Scope::Period(month).default_sort(),
                category: None,
                page: 1,
                page_size: 30,
                by_hugging_face_day: false,
                scored_at: ScoredAt::PeriodEndOrNow,
            };
            let timer = Instant::now();
            lists::load(store.as_ref(), None, &trending, request).await?;
            baseline.push(timer.elapsed());
        }
        let baseline_p50 = percentile(&mut baseline, 0.5);
        println!("instance: day {last}; the month's anonymous list p50 {baseline_p50:.1} ms (baseline)");
        println!("| period | candidates | first member (builds the period model) | each further member p50 / p99 | p50 / baseline | cached list p50 |");
        println!("|---|---|---|---|---|---|");
        let for_you = ForYou::new(std::sync::Arc::clone(&store), trending);
        for (label, period) in [
            ("day", Period::Day(last)),
            ("week", Period::week_of(last)),
            ("month", month),
        ] {
            let (first, end) = period.bounds();
            let candidates = store.listing_candidates(first, end.min(last), None).await?.len();
            let timer = Instant::now();
            for_you.page(users[0], period, 1, 30).await?;
            let cold = timer.elapsed().as_secs_f64() * 1e3;
            let mut each = Vec::new();
            for &user in &users[1..] {
                let timer = Instant::now();
                for_you.page(user, period, 1, 30).await?;
                each.push(timer.elapsed());
            }
            let mut cached = Vec::new();
            for _ in 0..20 {
                let timer = Instant::now();
                for_you.page(users[1], period, 1, 30).await?;
                cached.push(timer.elapsed());
            }
            let p50 = percentile(&mut each, 0.5);
            println!(
                "| {label} | {candidates} | {cold:.0} ms | {p50:.1} / {:.1} ms | {:.2} | {:.1} ms |",
                percentile(&mut each, 0.99),
                p50 / baseline_p50,
                percentile(&mut cached, 0.5)
            );
        }
        Ok(0)
    })
}
