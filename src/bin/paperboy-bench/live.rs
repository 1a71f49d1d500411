//! `paperboy-bench live`: list pages while votes arrive. A server on this instance's data is
//! read by wrk, one kind of page at a time (day, week, month and trending pages with their sorts
//! and two categories, paper pages, search pages), while a writer casts votes at a steady rate
//! on papers of the latest month through the upvote form, as members would; then the same
//! without the writer. For each: requests a second, p50 and p99, wrk's timeouts (2 s) and
//! errors, and the share of answers the server rendered afresh rather than from its page cache
//! (`page_renders_total` against the requests wrk made) and the list cards each render made
//! afresh (`card_renders_total`); after each phase, the server's resident memory, now and at its
//! peak. Exit code 1 on any error or timeout.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use paperboy_core::{ArxivId, Date, Period};
use paperboy_store::Store;

use paperboy::cli::Context;

/// The script that has wrk ask for a path at random from a file.
const RANDOM_PATH_SCRIPT: &str = include_str!("../../../scripts/wrk-random-path.lua");

/// Members who vote: each may cast 120 votes in 10 minutes, so 100 of them cover 20 votes a
/// second for a minute with room to spare.
const VOTERS: usize = 100;

pub struct Options {
    pub seconds: u64,
    pub connections: usize,
    pub votes_per_second: u32,
    /// Also run the votes with every list read from the database (the way before).
    pub compare_database: bool,
}

/// One kind of page, and the paths wrk picks from.
struct Kind {
    name: &'static str,
    paths: Vec<String>,
}

/// What one wrk run measured.
struct Measured {
    requests: u64,
    per_second: f64,
    p50: String,
    p99: String,
    timeouts: u64,
    errors: u64,
    fresh: f64,
    /// List cards rendered afresh per page rendered afresh (a list page shows up to 30).
    cards_per_render: f64,
    votes: u64,
    vote_errors: Vec<String>,
}

pub fn live(context: &Context, options: Options) -> anyhow::Result<u8> {
    anyhow::ensure!(
        options.seconds > 0 && options.connections > 0,
        "--seconds and --connections must be at least 1"
    );
    which_wrk()?;
    let runtime = paperboy::cli::runtime()?;
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos() as usize
        % (1 << 24);
    let (kinds, voters, targets) = runtime.block_on(prepare(context, run))?;
    let work = std::env::temp_dir().join(format!("paperboy-bench-live-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let script = work.join("random-path.lua");
    std::fs::write(&script, RANDOM_PATH_SCRIPT)?;
    println!(
        "bench live: {} connections, {} s a kind of page; votes on {} papers of the latest month; latest day page {}",
        options.connections,
        options.seconds,
        targets.len(),
        kinds[0].paths[0]
    );
    println!(
        "| rankings | pages | votes/s | requests/s | p50 | p99 | timeouts | errors | rendered afresh | cards rendered a render |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let voters = Arc::new(voters);
    let targets = Arc::new(targets);
    // (rankings in memory, votes a second): with votes, without, then the baseline.
    let mut phases = vec![(true, options.votes_per_second), (true, 0)];
    if options.compare_database {
        phases.push((false, options.votes_per_second));
    }
    phases.dedup();
    let mut failed = false;
    for (in_memory, rate) in phases {
        // No read limit (wrk is one client asking far more than a person); no log line a vote.
        let mut server = crate::load::start_server(
            context,
            &[
                ("PAPERBOY_READS_PER_CLIENT", "0"),
                ("RUST_LOG", "warn"),
                ("PAPERBOY_RANKINGS_IN_MEMORY", if in_memory { "true" } else { "false" }),
            ],
        )?;
        let first_month = runtime.block_on(warm_up(&server.base, &kinds))?;
        println!(
            "| {} | the first month page after a start: {:.0} ms |  |  |  |  |  |  |  |  |",
            if in_memory { "memory" } else { "database" },
            first_month.as_secs_f64() * 1e3
        );
        for kind in &kinds {
            let paths = work.join(format!("{}.txt", kind.name));
            std::fs::write(&paths, kind.paths.join("\n") + "\n")?;
            let measured = runtime.block_on(measure(
                &server.base,
                &script,
                &paths,
                &options,
                rate,
                Arc::clone(&voters),
                Arc::clone(&targets),
                run,
            ))?;
            failed |= measured.timeouts > 0 || measured.errors > 0 || !measured.vote_errors.is_empty();
            let votes = if rate == 0 {
                "0".to_owned()
            } else {
                let failures = match measured.vote_errors.first() {
                    Some(first) => format!(" ({} failed, first: {first})", measured.vote_errors.len()),
                    None => String::new(),
                };
                format!("{:.1}{failures}", measured.votes as f64 / options.seconds as f64)
            };
            println!(
                "| {} | {} | {votes} | {:.0} | {} | {} | {} | {} | {:.1} % of {} | {:.1} |",
                if in_memory { "memory" } else { "database" },
                kind.name,
                measured.per_second,
                measured.p50,
                measured.p99,
                measured.timeouts,
                measured.errors,
                measured.fresh * 100.0,
                measured.requests,
                measured.cards_per_render
            );
        }
        if let Some(memory) = server.memory() {
            println!(
                "| {} | the server's memory after these: {memory} |  |  |  |  |  |  |  |  |",
                if in_memory { "memory" } else { "database" },
            );
        }
        server.stop();
    }
    std::fs::remove_dir_all(&work)?;
    Ok(u8::from(failed))
}

/// Asks once for every list page and a few of the others, so that what is measured is a server
/// that has been up for a while; returns how long the first month page took, the first page
/// after a start.
async fn warm_up(base: &str, kinds: &[Kind]) -> anyhow::Result<Duration> {
    let http = reqwest::Client::new();
    let month = kinds
        .iter()
        .find(|kind| kind.name == "month")
        .and_then(|kind| kind.paths.first())
        .context("no month page to read")?;
    let started = Instant::now();
    http.get(format!("{base}{month}")).send().await?.error_for_status()?;
    let first_month = started.elapsed();
    for kind in kinds {
        let few = if matches!(kind.name, "paper" | "search") {
            10
        } else {
            kind.paths.len()
        };
        for path in kind.paths.iter().take(few) {
            http.get(format!("{base}{path}")).send().await?.error_for_status()?;
        }
    }
    Ok(first_month)
}

fn which_wrk() -> anyhow::Result<()> {
    let found = std::process::Command::new("wrk").arg("--version").output().is_ok();
    anyhow::ensure!(found, "wrk is not installed (apt-get install wrk)");
    Ok(())
}

/// The pages to read, the voters, and the papers they vote on.
async fn prepare(context: &Context, run: usize) -> anyhow::Result<(Vec<Kind>, Vec<crate::load::Member>, Vec<ArxivId>)> {
    let store = context.open_store().await?;
    let latest = store
        .latest_listing_day()
        .await?
        .context("the instance holds no listed papers: import some first")?;
    // Corpora made by `paperboy-bench corpus` list papers up to the end of the year: the pages
    // of days that have not come are 404s.
    let tomorrow = paperboy::clock::today_utc().tomorrow()?;
    let latest = if latest < tomorrow {
        latest
    } else {
        store
            .listing_days_around(tomorrow, tomorrow)
            .await?
            .0
            .context("no papers were listed before today")?
    };
    let categories = top_categories(store.as_ref(), 2).await?;
    let filters: Vec<Option<&str>> = std::iter::once(None)
        .chain(categories.iter().map(|c| Some(c.as_str())))
        .collect();
    let with = |path: String, sorts: &[&str]| -> Vec<String> {
        let mut paths = Vec::new();
        for sort in sorts {
            for category in &filters {
                let mut query: Vec<String> = Vec::new();
                if !sort.is_empty() {
                    query.push(format!("sort={sort}"));
                }
                if let Some(category) = category {
                    query.push(format!("cat={category}"));
                }
                paths.push(if query.is_empty() {
                    path.clone()
                } else {
                    format!("{path}?{}", query.join("&"))
                });
            }
        }
        paths
    };
    let days = listing_days(store.as_ref(), latest, 10).await?;
    let sorts = ["", "new", "top"];
    let day_paths = days
        .iter()
        .flat_map(|day| with(Period::Day(*day).path(), &sorts))
        .collect();
    let weeks: Vec<Period> = dedup(days.iter().map(|day| Period::week_of(*day)));
    let week_paths = weeks
        .iter()
        .flat_map(|week| with(week.path(), &["", "trending", "new"]))
        .collect();
    let last_month = Period::month_of(latest);
    let (month_start, _) = last_month.bounds();
    let previous = Period::month_of(month_start.yesterday()?);
    let month_paths = [last_month, previous]
        .iter()
        .flat_map(|month| with(month.path(), &["", "trending", "new"]))
        .collect();
    let trending_paths = with("/papers/trending".into(), &sorts);
    let (first, last) = last_month.bounds();
    let targets: Vec<ArxivId> = store
        .listing_candidates(first, last, None)
        .await?
        .into_iter()
        .map(|candidate| candidate.id)
        .take(5_000)
        .collect();
    anyhow::ensure!(!targets.is_empty(), "the latest month lists no papers to vote on");
    let sample: Vec<ArxivId> = targets.iter().step_by((targets.len() / 200).max(1)).cloned().collect();
    let papers = store.papers_by_ids(&sample).await?;
    let paper_paths = papers.iter().map(|paper| format!("/papers/{}", paper.id)).collect();
    let search_paths = papers
        .iter()
        .map(|paper| crate::load::typed_query(&paper.title))
        .filter(|query| !query.is_empty())
        .map(|query| format!("/search?q={}", query.replace(' ', "+")))
        .collect();
    let voters = crate::load::members(store.as_ref(), VOTERS, run).await?;
    let kinds = vec![
        Kind {
            name: "day",
            paths: day_paths,
        },
        Kind {
            name: "week",
            paths: week_paths,
        },
        Kind {
            name: "month",
            paths: month_paths,
        },
        Kind {
            name: "trending",
            paths: trending_paths,
        },
        Kind {
            name: "paper",
            paths: paper_paths,
        },
        Kind {
            name: "search",
            paths: search_paths,
        },
    ];
    Ok((kinds, voters, targets))
}

/// The `count` categories with the most papers.
async fn top_categories(store: &dyn Store, count: usize) -> anyhow::Result<Vec<String>> {
    let stats = store.stats().await?;
    Ok(stats
        .by_primary_category
        .into_iter()
        .map(|(category, _)| category)
        .filter(|category| !category.is_empty())
        .take(count)
        .collect())
}

/// The `count` latest days with listings, up to `latest`.
async fn listing_days(store: &dyn Store, latest: Date, count: usize) -> anyhow::Result<Vec<Date>> {
    let mut days = vec![latest];
    while days.len() < count {
        let oldest = *days.last().expect("one day at least");
        match store.listing_days_around(oldest, oldest).await?.0 {
            Some(before) => days.push(before),
            None => break,
        }
    }
    Ok(days)
}

fn dedup<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut kept: Vec<T> = Vec::new();
    for item in items {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    kept
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    base: &str,
    script: &Path,
    paths: &Path,
    options: &Options,
    rate: u32,
    voters: Arc<Vec<crate::load::Member>>,
    targets: Arc<Vec<ArxivId>>,
    run: usize,
) -> anyhow::Result<Measured> {
    let before = renders(base).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let votes = Arc::new(AtomicU64::new(0));
    let vote_errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let writer = (rate > 0).then(|| {
        let (base, stop, votes, vote_errors) = (
            base.to_owned(),
            Arc::clone(&stop),
            Arc::clone(&votes),
            Arc::clone(&vote_errors),
        );
        tokio::spawn(async move {
            write_votes(&base, rate, &voters, &targets, run, &stop, &votes, &vote_errors).await;
        })
    });
    let mut command = std::process::Command::new("wrk");
    command
        .args(["-t2", &format!("-c{}", options.connections)])
        .arg(format!("-d{}s", options.seconds))
        .args(["--timeout", "2s", "--latency", "-s"])
        .arg(script)
        .arg(base)
        .env("PATHS", paths);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await?
        .context("while running wrk")?;
    stop.store(true, Ordering::Relaxed);
    if let Some(writer) = writer {
        writer.await?;
    }
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |label: &str| -> Option<String> {
        report.lines().find_map(|line| {
            line.trim()
                .strip_prefix(label)
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
        })
    };
    let requests: u64 = report
        .lines()
        .find_map(|line| {
            line.trim()
                .split_once(" requests in ")
                .and_then(|(n, _)| n.trim().parse().ok())
        })
        .context("wrk printed no request count")?;
    let timeouts = report
        .lines()
        .find_map(|line| line.split_once("timeout ").and_then(|(_, n)| n.trim().parse().ok()))
        .unwrap_or(0);
    // wrk counts no timeout on a connection that never got an answer: then every one did.
    let timeouts = if requests == 0 {
        options.connections as u64
    } else {
        timeouts
    };
    let errors = field("Non-2xx or 3xx responses:")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let per_second = field("Requests/sec:").and_then(|n| n.parse().ok()).unwrap_or(0.0);
    let after = renders(base).await?;
    Ok(Measured {
        requests,
        per_second,
        p50: field("50%").unwrap_or_default(),
        p99: field("99%").unwrap_or_default(),
        timeouts,
        errors,
        fresh: (after.pages - before.pages) as f64 / requests.max(1) as f64,
        cards_per_render: (after.cards - before.cards) as f64 / (after.pages - before.pages).max(1) as f64,
        votes: votes.load(Ordering::Relaxed),
        vote_errors: std::mem::take(&mut *vote_errors.lock().expect("errors lock")),
    })
}

/// What the server has rendered afresh so far, from its metrics.
struct Renders {
    /// Pages, over every route.
    pages: u64,
    /// List cards.
    cards: u64,
}

async fn renders(base: &str) -> anyhow::Result<Renders> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await?
        .error_for_status()?
        .text()
        .await?;
    let sum = |name: &str| -> u64 {
        text.lines()
            .filter(|line| line.starts_with(name))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    };
    Ok(Renders {
        pages: sum("page_renders_total"),
        cards: sum("card_renders_total"),
    })
}

/// Votes at `rate` a second until `stop`, each by the next voter on the next paper (a vote
/// toggles: the second pass withdraws the first's). Each is sent on time, whether or not the
/// one before has been answered.
#[allow(clippy::too_many_arguments)]
async fn write_votes(
    base: &str,
    rate: u32,
    voters: &[crate::load::Member],
    targets: &[ArxivId],
    run: usize,
    stop: &AtomicBool,
    votes: &Arc<AtomicU64>,
    errors: &Arc<std::sync::Mutex<Vec<String>>>,
) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    let mut sent = tokio::task::JoinSet::new();
    let started = Instant::now();
    let mut number = (started.elapsed().as_nanos() as usize + run) % targets.len();
    while !stop.load(Ordering::Relaxed) {
        ticks.tick().await;
        number += 1;
        let voter = &voters[number % voters.len()];
        let paper = &targets[number % targets.len()];
        let request = crate::load::as_member(
            http.post(format!("{base}/papers/{paper}/upvote"))
                .form(&[("next", format!("/papers/{paper}"))]),
            voter,
            base,
        );
        let (votes, errors) = (Arc::clone(votes), Arc::clone(errors));
        sent.spawn(async move {
            let failure = match request.send().await {
                Ok(answer) if answer.status() == reqwest::StatusCode::SEE_OTHER => {
                    votes.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Ok(answer) => answer.status().to_string(),
                Err(error) if error.is_timeout() => "no answer within 10 s".to_owned(),
                Err(error) => format!("{error:?}"),
            };
            errors.lock().expect("errors lock").push(failure);
        });
    }
    while sent.join_next().await.is_some() {}
}
