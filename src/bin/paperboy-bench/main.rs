//! `paperboy-bench`: the benchmarks, a binary of their own so that the shipped `paperboy` carries
//! none of them. Each prints its result against a baseline measured in the same run (machines
//! here are noisy: ratios hold, absolute times do not). It drives the `paperboy` binary that
//! sits beside it (`cargo build --release` builds both).

mod corpus;
mod for_you;
mod live;
mod load;
mod runs;
mod search;
mod vectors;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use paperboy::cli;

#[derive(Parser)]
#[command(
    name = "paperboy-bench",
    version,
    about = "Paperboy's benchmarks: each against a baseline measured in the same run"
)]
struct Arguments {
    /// Directory that holds everything of the instance measured (database, config, indexes).
    #[arg(long, global = true, env = "PAPERBOY_DATA_DIR", default_value = "./paperboy-data")]
    data_dir: PathBuf,

    /// Configuration file (default: paperboy.toml in the data directory, if present).
    #[arg(long, global = true, env = "PAPERBOY_CONFIG")]
    config: Option<PathBuf>,

    /// PostgreSQL instead of the data directory's SQLite file: postgres://user:password@host/db.
    #[arg(long, global = true)]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import FILE into a fresh data dir, against a parse-only baseline of the same file.
    Import {
        /// A file `paperboy import` reads.
        file: PathBuf,
    },
    /// Compose and deliver the daily digest for N subscribers to an SMTP server, against a
    /// baseline of plain sends (see scripts/bench-digest.sh).
    Digest {
        /// How many subscribers to compose and send for.
        #[arg(long, default_value_t = 10_000)]
        subscribers: usize,
        /// The SMTP server to deliver to, e.g. smtp://127.0.0.1:2525.
        #[arg(long)]
        smtp_url: String,
    },
    /// Import FILE, build the search index, and measure search latency (against tantivy's own
    /// query parser), embedding throughput and semantic and hybrid latency.
    Search {
        /// The papers to import and search.
        #[arg(default_value = "../shared/data/arxiv/cs-listings-2025-03_2026-07.jsonl.gz")]
        file: PathBuf,
        /// Measure an instance already built (its data directory) instead of importing FILE.
        #[arg(long)]
        instance: Option<PathBuf>,
        /// How many queries to time.
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
        /// Papers embedded to measure throughput.
        #[arg(long, default_value_t = 128)]
        embed_sample: usize,
        /// The embedding model (default: <temp data dir>/models/all-MiniLM-L6-v2, i.e. none).
        #[arg(long)]
        model_dir: Option<PathBuf>,
        /// Also write the queries measured to this file, one per line (for HTTP load tests).
        #[arg(long)]
        write_queries: Option<PathBuf>,
    },
    /// Parse FILE without storing it (the baseline; run by `import`).
    #[command(hide = true)]
    ParseOnly {
        /// The file to parse.
        file: PathBuf,
    },
    /// Write N papers made from the real records of SOURCE (new ids and list days spread over
    /// 2015-2026, titles, abstracts and authors mixed) as listings JSON lines to stdout.
    Corpus {
        /// How many papers to write.
        #[arg(long)]
        papers: usize,
        /// The random seed: the same seed writes the same corpus.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Real listings whose records are mixed.
        #[arg(default_value = "../shared/data/arxiv/cs-listings-2025-03_2026-07.jsonl.gz")]
        source: PathBuf,
    },
    /// Start a server on this instance and drive it with N clients at once for S seconds, each
    /// a member with an address of their own, reading day pages, paper pages, searches and
    /// discussions, voting, commenting and subscribing; prints p50 and p99 per kind; exit code 1 on any error.
    Load {
        /// Clients at once.
        #[arg(long, default_value_t = 200)]
        clients: usize,
        /// How long to drive the server.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Leave reading and posting comments out of the mix (the mix before discussion).
        #[arg(long)]
        without_comments: bool,
    },
    /// Start a server on this instance and read its list pages (day, week, month, trending,
    /// with sorts and categories), paper pages and search pages with wrk, one kind at a time,
    /// while members cast votes at a steady rate, then without votes: requests/s, p50/p99,
    /// timeouts, errors and the share rendered afresh per kind. Needs wrk.
    Live {
        /// How long wrk reads each kind of page.
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        /// wrk's connections.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Votes a second while the pages are read (0: only the run without votes).
        #[arg(long, default_value_t = 20)]
        votes_per_second: u32,
        /// Also run the votes with every list read from the database (`rankings_in_memory =
        /// false`): the baseline.
        #[arg(long)]
        compare_database: bool,
    },
    /// Give the instance members with libraries (and every other one a followed author), then
    /// time their "For you" lists of the latest day, week and month: the first member's builds
    /// the period's model, the others reuse it; against the month's anonymous list.
    ForYou {
        /// How many members to create and time.
        #[arg(long, default_value_t = 100)]
        members: usize,
        /// Papers each member saves, from the year before the latest month.
        #[arg(long, default_value_t = 30)]
        saved_each: usize,
        /// The day whose day, week and month are timed (default: the latest listing day).
        #[arg(long)]
        date: Option<paperboy_core::Date>,
    },
    /// Build the vector file of an instance whose papers are embedded (`paperboy embed`), then
    /// measure its neighbours against an exact scan (recall@100, latency, with filters) and
    /// hybrid search through the service.
    Vectors {
        /// The directory of the model that embedded the papers.
        #[arg(long, env = "PAPERBOY_MODEL_DIR")]
        model_dir: PathBuf,
        /// Which of its models: minilm or static.
        #[arg(long, default_value = "static")]
        embedding_model: String,
        /// How many queries to time.
        #[arg(long, default_value_t = 500)]
        queries: usize,
        /// Also write the queries measured to this file, one per line (for HTTP load tests).
        #[arg(long)]
        write_queries: Option<PathBuf>,
        /// Skip the neighbours against an exact scan (minutes at 2.8 M papers): build the file
        /// and time search through the service only.
        #[arg(long)]
        service_only: bool,
    },
    /// Give the instance members with sessions and votes on its last 30 days' papers, for
    /// benchmarks and copies that should carry a community (see scripts/bench-replicas.sh).
    SeedCommunity {
        /// How many members to create.
        #[arg(long, default_value_t = 1_000)]
        members: usize,
        /// Votes per member.
        #[arg(long, default_value_t = 20)]
        votes_each: usize,
    },
}

/// The `paperboy` binary beside this one, which the benchmarks run as a user would.
pub(crate) fn paperboy_binary() -> anyhow::Result<PathBuf> {
    let this = std::env::current_exe().context("while locating paperboy-bench")?;
    let paperboy = this.with_file_name(format!("paperboy{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        paperboy.is_file(),
        "there is no paperboy binary beside {} (cargo build --release builds both)",
        this.display()
    );
    Ok(paperboy)
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    if let Err(error) = paperboy::clock::set_from_environment() {
        eprintln!("error: {error:#}");
        return ExitCode::from(2);
    }
    let context = cli::Context {
        data_dir: arguments.data_dir,
        config_file: arguments.config,
        database_url: arguments.database_url,
    };
    let result = match arguments.command {
        Command::Import { file } => runs::import(&file),
        Command::Digest { subscribers, smtp_url } => runs::digest(subscribers, &smtp_url),
        Command::Search {
            file,
            instance,
            queries,
            embed_sample,
            model_dir,
            write_queries,
        } => search::search(
            &file,
            instance.as_deref(),
            queries,
            embed_sample,
            model_dir,
            write_queries.as_deref(),
        ),
        Command::ParseOnly { file } => runs::parse_only(&file),
        Command::Corpus { papers, seed, source } => corpus::corpus(&source, papers, seed),
        Command::Load {
            clients,
            seconds,
            without_comments,
        } => load::load(&context, clients, seconds, without_comments),
        Command::Vectors {
            model_dir,
            embedding_model,
            queries,
            write_queries,
            service_only,
        } => match paperboy_embed::ModelKind::parse(&embedding_model) {
            Some(kind) => vectors::vectors(
                &context,
                &model_dir,
                kind,
                vectors::Measure {
                    queries,
                    write_queries: write_queries.as_deref(),
                    neighbours: !service_only,
                },
            ),
            None => Err(anyhow::anyhow!(
                "--embedding-model is minilm or static, not {embedding_model:?}"
            )),
        },
        Command::Live {
            seconds,
            connections,
            votes_per_second,
            compare_database,
        } => live::live(
            &context,
            live::Options {
                seconds,
                connections,
                votes_per_second,
                compare_database,
            },
        ),
        Command::SeedCommunity { members, votes_each } => runs::seed_community(&context, members, votes_each),
        Command::ForYou {
            members,
            saved_each,
            date,
        } => for_you::for_you(&context, members, saved_each, date),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
