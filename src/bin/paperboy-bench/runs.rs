//! `paperboy bench …`: benchmarks kept with the code. Each measures its subject and a baseline
//! in the same run, as separate processes, and reports the ratio; absolute times on a shared
//! machine are noise, ratios are not.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use paperboy_ingest::Item;

/// `bench import FILE`: parse-only baseline, then a full import into a fresh data dir.
pub fn import(file: &Path) -> anyhow::Result<u8> {
    anyhow::ensure!(file.is_file(), "{} is not a file", file.display());
    let executable = crate::paperboy_binary()?;
    let this = std::env::current_exe().context("while locating paperboy-bench")?;
    let data_dir = std::env::temp_dir().join(format!("paperboy-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);

    println!("bench import: {}", file.display());
    let baseline = measure(Command::new(&this).arg("parse-only").arg(file))?;
    println!(
        "  baseline  parse only          {:>7.2} s  peak RSS {:>6.0} MB  ({})",
        seconds(baseline.wall),
        baseline.peak_rss_mb(),
        baseline.stdout.trim()
    );
    let imported = measure(
        Command::new(&executable)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("import")
            .arg(file),
    )?;
    println!(
        "  import    into fresh SQLite   {:>7.2} s  peak RSS {:>6.0} MB  ({})",
        seconds(imported.wall),
        imported.peak_rss_mb(),
        imported.stdout.trim()
    );
    let database_bytes: u64 = std::fs::read_dir(&data_dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!(
        "  ratio     import / parse      {:>7.2}×",
        seconds(imported.wall) / seconds(baseline.wall).max(1e-9)
    );
    println!("  database  {:.0} MB on disk", database_bytes as f64 / 1e6);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(0)
}

/// `bench parse-only FILE`: reads and parses every record, stores nothing.
pub fn parse_only(file: &Path) -> anyhow::Result<u8> {
    let input = paperboy_ingest::open(file)?;
    let (mut papers, mut failed) = (0u64, 0u64);
    for item in paperboy_ingest::records(input) {
        match item {
            Item::Paper(_) => papers += 1,
            Item::Failed(_) | Item::Fatal(_) => failed += 1,
        }
    }
    println!("parsed {papers} records, {failed} failed");
    Ok(0)
}

struct Measurement {
    wall: Duration,
    peak_rss_kb: i64,
    stdout: String,
}

impl Measurement {
    fn peak_rss_mb(&self) -> f64 {
        self.peak_rss_kb as f64 / 1024.0
    }
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// Runs a child to completion and reads its wall time and peak resident set size.
fn measure(command: &mut Command) -> anyhow::Result<Measurement> {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("while starting the benchmark child")?;
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout)
            .context("while reading the child's output")?;
    }
    let (status, peak_rss_kb) = wait_with_rusage(child.id())?;
    let wall = started.elapsed();
    if status != 0 {
        bail!("benchmark child exited with status {status}: {}", stdout.trim());
    }
    Ok(Measurement {
        wall,
        peak_rss_kb,
        stdout,
    })
}

/// `wait4` gives the child's own peak RSS (`ru_maxrss`, in KiB on Linux), which `Child::wait` does not.
fn wait_with_rusage(pid: u32) -> anyhow::Result<(i32, i64)> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data that wait4 fills; zeroed is a valid initial value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unwaited child; the pointers are valid for the duration of the call.
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if waited < 0 {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((exit_code, usage.ru_maxrss))
}

/// `bench seed-community`: `members` accounts, each signed in once (a session) and voting for
/// up to `votes_each` of the papers listed in the last 30 days, spread so that some papers get many votes.
/// Through the store trait, as the web would, so both backends get the same rows.
pub fn seed_community(context: &paperboy::cli::Context, members: usize, votes_each: usize) -> anyhow::Result<u8> {
    paperboy::cli::runtime()?.block_on(async {
        let store = context.open_store().await?;
        let Some(last) = store.latest_listing_day().await? else {
            bail!("the instance holds no listed papers to vote for");
        };
        let first = last.checked_sub(jiff::Span::new().days(30))?;
        let papers: Vec<paperboy_core::ArxivId> = store
            .listing_candidates(first, last, None)
            .await?
            .into_iter()
            .map(|candidate| candidate.id)
            .collect();
        anyhow::ensure!(!papers.is_empty(), "no papers listed from {first} to {last}");
        let now = paperboy::clock::now_seconds();
        let mut votes = 0;
        for member in 0..members {
            let email = format!("member{member:05}@example.org");
            let (_, user) = member_with_session(store.as_ref(), &email, now).await?;
            // Quadratic spread: low positions are picked by many members, high ones by few.
            let positions: std::collections::BTreeSet<usize> = (0..votes_each)
                .map(|vote| (vote * vote + member * (vote + 1)) % papers.len())
                .collect();
            for position in positions {
                store.set_vote(user.id, &papers[position], true).await?;
                votes += 1;
            }
        }
        println!(
            "{members} members, {votes} votes on {} papers of {first} to {last}",
            papers.len()
        );
        Ok(0)
    })
}

/// Signs `email` in as a person would (an account is made on first sign-in), with a session
/// for 30 days: the session's secret (the cookie's value) and the member.
pub(crate) async fn member_with_session(
    store: &dyn paperboy_store::Store,
    email: &str,
    now: i64,
) -> anyhow::Result<(String, paperboy_store::User)> {
    let token = paperboy::secrets::random_token();
    store
        .save_login_token(email, &paperboy::secrets::hash_token(&token), now + 600)
        .await?;
    let user = store
        .redeem_login_token(&paperboy::secrets::hash_token(&token), now)
        .await?
        .context("a fresh sign-in token is redeemed")?;
    let session = paperboy::secrets::random_token();
    store
        .create_session(&paperboy_store::NewSession {
            token_hash: paperboy::secrets::hash_token(&session),
            user_id: user.id,
            csrf_token: paperboy::secrets::random_token(),
            expires_at: now + 30 * 86_400,
        })
        .await?;
    Ok((session, user))
}

/// `bench digest --subscribers N --smtp-url URL`: the daily digest of the demo's latest day for
/// N confirmed subscribers, composed and delivered to the SMTP server at URL (start one that
/// discards, e.g. `scripts/bench-digest.sh`). The baseline sends N copies of one ready-made
/// digest over the same connections with no database: the floor the server and network set.
pub fn digest(subscribers: usize, smtp_url: &str) -> anyhow::Result<u8> {
    use paperboy::digest::{DigestSettings, Digests};
    use paperboy_core::{DigestPeriod, DigestPreferences, EmailAddress, Frequency};
    use paperboy_store::Store;
    use std::sync::Arc;

    let data_dir = std::env::temp_dir().join(format!("paperboy-bench-digest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir).context("while creating the benchmark's data dir")?;
    let mut config = paperboy::config::Config::default();
    config.mail.smtp_url = Some(smtp_url.to_owned());
    config.server.public_url = Some("https://paperboy.example".to_owned());
    let result = paperboy::cli::runtime()?.block_on(async {
        let store: Arc<dyn Store> =
            Arc::new(paperboy_store::SqliteStore::open(&data_dir.join(paperboy::config::DATABASE_FILE_NAME)).await?);
        let mut quiet = paperboy::import::Silent;
        paperboy::import::import(Arc::clone(&store), paperboy::demo::sample_sources(), 2000, &mut quiet).await?;
        let day = store
            .latest_listing_day()
            .await?
            .context("the demo sample has no listings")?;
        let started = Instant::now();
        for n in 0..subscribers {
            store
                .subscribe_confirmed(&format!("reader{n:05}@example.org"), &DigestPreferences::default(), 0)
                .await?;
        }
        println!("bench digest: {subscribers} subscribers, daily digest of {day}, SMTP {smtp_url}");
        println!(
            "  setup     subscribing             {:>7.2} s",
            seconds(started.elapsed())
        );
        let mailer = Arc::new(paperboy::mail::Mailer::from_config(&config, &data_dir)?);
        let digests = Arc::new(
            Digests::new(
                store,
                Arc::clone(&mailer),
                DigestSettings::from_config(&config)?,
                &data_dir,
            )
            .await?,
        );
        let period = DigestPeriod::containing(Frequency::Daily, day);

        // Baseline: one rendered digest, sent N times over the same number of connections.
        let papers = paperboy::digest::compose::PeriodPapers::load(&digests, &period).await?;
        let sample = digests
            .store
            .subscription_by_email("reader00000@example.org")
            .await?
            .context("the first subscriber is missing")?;
        let picked = papers.pick(&sample.preferences, None, None);
        let started = Instant::now();
        for _ in 0..subscribers {
            mailer.build(digests.digest_email(&sample, &period, &picked)?)?;
        }
        println!(
            "  render    {subscribers} messages, no SMTP {:>7.2} s",
            seconds(started.elapsed())
        );
        let message = Arc::new(mailer.build(digests.digest_email(&sample, &period, &picked)?)?);
        println!("  message   {} bytes", message.len());
        let to = EmailAddress::parse(&sample.email)?;
        let connections = digests.settings.connections as usize;
        let started = Instant::now();
        let mut senders = tokio::task::JoinSet::new();
        for worker in 0..connections {
            let (mailer, message, to) = (Arc::clone(&mailer), Arc::clone(&message), to.clone());
            let share = subscribers / connections + usize::from(worker < subscribers % connections);
            senders.spawn(async move {
                for _ in 0..share {
                    mailer
                        .deliver(&to, &message, &mut paperboy::mail::NoHandOver)
                        .await
                        .map_err(|error| anyhow::anyhow!("baseline send failed: {error}"))?;
                }
                anyhow::Ok(())
            });
        }
        while let Some(done) = senders.join_next().await {
            done??;
        }
        let baseline = started.elapsed();
        println!(
            "  baseline  SMTP only, no database  {:>7.2} s  {:>6.0} messages/s",
            seconds(baseline),
            subscribers as f64 / seconds(baseline)
        );

        let started = Instant::now();
        let composed = digests.compose(&period, paperboy::clock::now_seconds()).await?;
        let compose_time = started.elapsed();
        let report = digests.deliver_due().await?;
        let total = started.elapsed();
        anyhow::ensure!(
            report.sent as usize == subscribers,
            "only {} of {subscribers} digests were sent ({report:?})",
            report.sent
        );
        println!(
            "  digest    compose + queue         {:>7.2} s  ({} queued)",
            seconds(compose_time),
            composed.queued
        );
        println!(
            "  digest    compose + deliver       {:>7.2} s  {:>6.0} messages/s",
            seconds(total),
            subscribers as f64 / seconds(total)
        );
        println!(
            "  ratio     digest / baseline       {:>7.2}×",
            seconds(total) / seconds(baseline).max(1e-9)
        );
        anyhow::Ok(())
    });
    let _ = std::fs::remove_dir_all(&data_dir);
    result?;
    Ok(0)
}
