//! `paperboy-bench load`: many people at once against a real server on this instance's data.
//!
//! Each client is a member with a session of their own and an address of their own (sent as
//! `X-Forwarded-For`, which the server trusts from localhost), so the per-client and per-member
//! limits apply as they would to people (members are made two days old, past the stricter limits
//! of new accounts). A client reads day pages, paper pages, searches and discussions, votes,
//! comments and subscribes, as fast as the server answers, until the time is up. Any answer but
//! the expected one counts as an error; the exit code is 1 when there was one.
//! `--without-comments` drives the mix from before discussion existed, as a baseline.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use paperboy_core::ArxivId;
use reqwest::StatusCode;

use paperboy::cli::Context;

/// What a client does, and how often in a hundred.
const MIX: [(Action, u32); 7] = [
    (Action::DayPage, 31),
    (Action::PaperPage, 27),
    (Action::Search, 22),
    (Action::Comments, 8),
    (Action::Vote, 9),
    (Action::Comment, 2),
    (Action::Subscribe, 1),
];

/// The mix before discussion, for a baseline in the same run.
const MIX_WITHOUT_COMMENTS: [(Action, u32); 5] = [
    (Action::DayPage, 35),
    (Action::PaperPage, 30),
    (Action::Search, 25),
    (Action::Vote, 9),
    (Action::Subscribe, 1),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    DayPage,
    PaperPage,
    Search,
    /// A paper's discussion through the API.
    Comments,
    Vote,
    /// A comment posted with the paper page's form.
    Comment,
    Subscribe,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::DayPage => "day page",
            Action::PaperPage => "paper page",
            Action::Search => "search",
            Action::Comments => "comments",
            Action::Vote => "vote",
            Action::Comment => "comment",
            Action::Subscribe => "subscribe",
        }
    }
}

/// What the clients pick from.
struct Targets {
    /// What clients do, and how often.
    mix: &'static [(Action, u32)],
    days: Vec<String>,
    papers: Vec<ArxivId>,
    queries: Vec<String>,
}

/// A member of the run: a session, and an address of their own.
pub(crate) struct Member {
    session: String,
    address: String,
}

/// `count` new members with sessions, two days old (as most are, not held to a new account's
/// stricter limits), each with an address of their own.
pub(crate) async fn members(
    store: &dyn paperboy_store::Store,
    count: usize,
    run: usize,
) -> anyhow::Result<Vec<Member>> {
    let now = paperboy::clock::now_seconds() - 2 * 86_400;
    let mut members = Vec::with_capacity(count);
    for client in 0..count {
        let email = format!("load-{run:06x}-{client:05}@example.org");
        let (session, _) = crate::runs::member_with_session(store, &email, now).await?;
        let address = (run + client) % (1 << 24);
        let address = format!("10.{}.{}.{}", address >> 16, (address >> 8) % 256, address % 256);
        members.push(Member { session, address });
    }
    Ok(members)
}

/// `request` as `member` sends it, from their page on `base`.
pub(crate) fn as_member(request: reqwest::RequestBuilder, member: &Member, base: &str) -> reqwest::RequestBuilder {
    request
        .header("x-forwarded-for", &member.address)
        .header("origin", base)
        .header(
            "cookie",
            format!("{}={}", paperboy::web::SESSION_COOKIE, member.session),
        )
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

pub fn load(context: &Context, clients: usize, seconds: u64, without_comments: bool) -> anyhow::Result<u8> {
    anyhow::ensure!(clients > 0 && seconds > 0, "--clients and --seconds must be at least 1");
    let runtime = paperboy::cli::runtime()?;
    // Members and addresses of this run's own: the per-member and per-address limits count by
    // the hour, so a run soon after another on the same instance must not inherit its counts.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos() as usize
        % (1 << 24);
    let (mut targets, members) = runtime.block_on(prepare(context, clients, run))?;
    if without_comments {
        targets.mix = &MIX_WITHOUT_COMMENTS;
    }
    let mut server = start_server(context, &[])?;
    let base = server.base.clone();
    println!(
        "bench load: {clients} clients for {seconds} s against {base}: {} days, {} papers, {} queries{}",
        targets.days.len(),
        targets.papers.len(),
        targets.queries.len(),
        if without_comments { ", without comments" } else { "" }
    );
    let outcome = runtime.block_on(drive(&base, targets, members, run, Duration::from_secs(seconds)));
    server.stop();
    let (tallies, elapsed) = outcome?;
    Ok(report(&tallies, elapsed))
}

async fn prepare(context: &Context, clients: usize, run: usize) -> anyhow::Result<(Targets, Vec<Member>)> {
    let store = context.open_store().await?;
    let last = store
        .latest_listing_day()
        .await?
        .context("the instance holds no listed papers: import some first")?;
    let first = last.checked_sub(jiff::Span::new().days(30))?;
    let papers: Vec<ArxivId> = store
        .listing_candidates(first, last, None)
        .await?
        .into_iter()
        .map(|candidate| candidate.id)
        .take(5_000)
        .collect();
    let mut days = Vec::new();
    let mut day = last;
    while day >= first {
        days.push(day.to_string());
        day = day.yesterday()?;
    }
    let sample: Vec<ArxivId> = papers.iter().step_by((papers.len() / 200).max(1)).cloned().collect();
    let queries: Vec<String> = store
        .papers_by_ids(&sample)
        .await?
        .iter()
        .map(|paper| typed_query(&paper.title))
        .filter(|query| !query.is_empty())
        .collect();
    anyhow::ensure!(
        !queries.is_empty(),
        "no paper of {first} to {last} has a title word longer than three letters to search for"
    );
    let members = members(store.as_ref(), clients, run).await?;
    Ok((
        Targets {
            mix: &MIX,
            days,
            papers,
            queries,
        },
        members,
    ))
}

/// Two plain words of a title, longer than three letters: what people type, never a syntax
/// error. Empty if the title has none.
pub(crate) fn typed_query(title: &str) -> String {
    let words: Vec<&str> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.len() > 3)
        .take(2)
        .collect();
    words.join(" ")
}

/// The server under load, started from this same binary on the same data.
pub(crate) struct RunningServer {
    child: Child,
    pub base: String,
}

/// Starts the server, with these environment variables besides.
pub(crate) fn start_server(context: &Context, environment: &[(&str, &str)]) -> anyhow::Result<RunningServer> {
    let executable = crate::paperboy_binary()?;
    let mut command = Command::new(executable);
    command.arg("--data-dir").arg(&context.data_dir);
    if let Some(config) = &context.config_file {
        command.arg("--config").arg(config);
    }
    if let Some(url) = &context.database_url {
        command.arg("--database-url").arg(url);
    }
    let mut child = command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("PAPERBOY_ACCESS_LOG", "false")
        .env("PAPERBOY_HARVEST_SCHEDULE", "false")
        .env("PAPERBOY_DIGEST_SCHEDULE", "false")
        .envs(environment.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("while starting the server")?;
    let stdout = child.stdout.take().context("the server's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        match lines.next() {
            Some(line) => {
                if let Some(url) = line?.strip_prefix("paperboy listening on ") {
                    break url.to_owned();
                }
            }
            None => anyhow::bail!("the server stopped before it listened"),
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(RunningServer { child, base })
}

impl RunningServer {
    /// The server's resident memory now and at its peak, from /proc (Linux), e.g.
    /// "166 MB resident, 201 MB at the peak".
    pub(crate) fn memory(&self) -> Option<String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kilobytes = |field: &str| -> Option<f64> {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        };
        let (now, peak) = (kilobytes("VmRSS:")?, kilobytes("VmHWM:")?);
        Some(format!(
            "{:.0} MB resident, {:.0} MB at the peak",
            now / 1024.0,
            peak / 1024.0
        ))
    }

    pub(crate) fn stop(&mut self) {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn drive(
    base: &str,
    targets: Targets,
    members: Vec<Member>,
    run: usize,
    duration: Duration,
) -> anyhow::Result<(BTreeMap<Action, Tally>, Duration)> {
    let targets = std::sync::Arc::new(targets);
    let started = Instant::now();
    let deadline = started + duration;
    let mut clients = tokio::task::JoinSet::new();
    for (number, member) in members.into_iter().enumerate() {
        let targets = std::sync::Arc::clone(&targets);
        let base = base.to_owned();
        clients.spawn(async move { client(number, run, &member, &base, &targets, deadline).await });
    }
    let mut tallies: BTreeMap<Action, Tally> = BTreeMap::new();
    while let Some(done) = clients.join_next().await {
        for (action, tally) in done?? {
            let total = tallies.entry(action).or_default();
            total.latencies.extend(tally.latencies);
            total.errors.extend(tally.errors);
        }
    }
    Ok((tallies, started.elapsed()))
}

async fn client(
    number: usize,
    run: usize,
    member: &Member,
    base: &str,
    targets: &Targets,
    deadline: Instant,
) -> anyhow::Result<BTreeMap<Action, Tally>> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut random = (number as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut pick = |n: usize| -> usize {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        (random % n.max(1) as u64) as usize
    };
    let mut tallies: BTreeMap<Action, Tally> = BTreeMap::new();
    let mut subscriptions = 0;
    while Instant::now() < deadline {
        let mut roll = pick(100) as u32;
        let action = targets
            .mix
            .iter()
            .find(|(_, share)| {
                let here = roll < *share;
                roll = roll.saturating_sub(*share);
                here
            })
            .map_or(Action::DayPage, |(action, _)| *action);
        let paper = &targets.papers[pick(targets.papers.len())];
        let request = match action {
            Action::DayPage => http.get(format!("{base}/papers/date/{}", targets.days[pick(targets.days.len())])),
            Action::PaperPage => http.get(format!("{base}/papers/{paper}")),
            Action::Search => http
                .get(format!("{base}/search"))
                .query(&[("q", &targets.queries[pick(targets.queries.len())])]),
            Action::Comments => http.get(format!("{base}/api/papers/{paper}/comments")),
            Action::Vote => http
                .post(format!("{base}/papers/{paper}/upvote"))
                .form(&[("next", format!("/papers/{paper}"))]),
            Action::Comment => http.post(format!("{base}/papers/{paper}/comments")).form(&[
                (
                    "body",
                    format!("Load comment by client {number}: does $x^2$ hold here?"),
                ),
                ("next", format!("/papers/{paper}")),
            ]),
            Action::Subscribe => {
                subscriptions += 1;
                http.post(format!("{base}/subscribe")).form(&[(
                    "email",
                    format!("load-{run:06x}-{number:05}-{subscriptions}@example.org"),
                )])
            }
        };
        let request = as_member(request, member, base);
        let sent = Instant::now();
        let answer = request.send().await;
        let latency = sent.elapsed();
        let expected = if matches!(action, Action::Vote | Action::Comment) {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::OK
        };
        let tally = tallies.entry(action).or_default();
        tally.latencies.push(latency);
        match answer {
            Ok(response) if response.status() == expected => {
                // Read the whole page, as a browser would.
                if let Err(error) = response.bytes().await {
                    tally.errors.push(format!("{}: {error}", action.name()));
                }
            }
            Ok(response) => tally.errors.push(format!("{}: {}", action.name(), response.status())),
            Err(error) => tally.errors.push(format!("{}: {error}", action.name())),
        }
    }
    Ok(tallies)
}

/// Prints a line per action and one for all; 0 when nothing failed, else 1.
fn report(tallies: &BTreeMap<Action, Tally>, elapsed: Duration) -> u8 {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for (action, tally) in tallies {
        let (p50, p99) = percentiles(&tally.latencies);
        println!(
            "  {:<11} {:>8} requests  {:>5} errors  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms",
            action.name(),
            tally.latencies.len(),
            tally.errors.len()
        );
        all.extend(&tally.latencies);
        errors.extend(&tally.errors);
    }
    let (p50, p99) = percentiles(&all);
    println!(
        "  all         {:>8} requests  {:>5} errors  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  {:.0} requests/s",
        all.len(),
        errors.len(),
        all.len() as f64 / elapsed.as_secs_f64()
    );
    for error in errors.iter().take(10) {
        println!("  error: {error}");
    }
    u8::from(!errors.is_empty())
}

/// (p50, p99) in milliseconds; zeros for no samples.
fn percentiles(samples: &[Duration]) -> (f64, f64) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    let (p50, p99, _) = crate::search::percentiles(samples.to_vec());
    (p50, p99)
}
