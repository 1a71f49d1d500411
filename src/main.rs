//! `paperboy`: one binary, one subcommand per role. Each subcommand is a small function in
//! `cli/` that builds what it needs and calls into the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use paperboy::app::ReplicaRole;
use paperboy::cli;
use paperboy_core::{Date, Frequency};
use paperboy_search::{Fusion, KeywordWeights, Mode};
use paperboy_store::Role;

#[derive(Parser)]
#[command(
    name = "paperboy",
    version,
    about = "Daily arXiv papers, ranked by the community and delivered to your inbox"
)]
struct Arguments {
    /// Directory that holds everything of this instance (database, config, indexes).
    #[arg(long, global = true, env = "PAPERBOY_DATA_DIR", default_value = "./paperboy-data")]
    data_dir: PathBuf,

    /// Configuration file (default: paperboy.toml in the data directory, if present).
    #[arg(long, global = true, env = "PAPERBOY_CONFIG")]
    config: Option<PathBuf>,

    /// PostgreSQL instead of the data directory's SQLite file: postgres://user:password@host/db
    /// (config `database_url`, env PAPERBOY_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import papers from files (`-` for stdin; gzip is undone; the format is detected).
    Import {
        /// Listing or Kaggle JSON lines, HF daily_papers JSON, arXiv API Atom, OAI-PMH, arXiv RSS/Atom.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Harvest arXiv for the configured categories: on the announcement schedule, once now
    /// (--once), or a back-fill of a date range from OAI-PMH (--from, --until).
    Harvest {
        /// One run now, then exit (0: finished; 1: stopped early, run again to resume).
        #[arg(long, conflicts_with = "from")]
        once: bool,
        /// Back-fill: OAI-PMH records with datestamps from this day…
        #[arg(long)]
        from: Option<Date>,
        /// …to this day (default: today).
        #[arg(long, requires = "from")]
        until: Option<Date>,
    },
    /// Copy this instance's SQLite database (papers, votes, accounts, sessions, subscriptions,
    /// delivery history) into PostgreSQL; resumable; verified by counting every table.
    CopyDb {
        /// The PostgreSQL database: postgres://user:password@host/database.
        #[arg(long)]
        to: String,
    },
    /// Write a consistent copy of the SQLite database to FILE, while the server runs; the copy is
    /// checked before it gets its name.
    Backup {
        /// Where to write it; never overwritten.
        file: PathBuf,
    },
    /// Put a backup in place of the SQLite database (no server may be running); the database
    /// it replaces is kept beside it, and the search index is rebuilt.
    Restore {
        /// A file written by `paperboy backup`.
        file: PathBuf,
    },
    /// Bring the database's schema up to date (every subcommand also does, on opening it).
    Migrate,
    /// Show what the instance holds.
    Stats {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run the web server.
    Serve {
        /// Address to listen on (config `addr`, env PAPERBOY_ADDR; default 127.0.0.1:8080).
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// Only answer requests; digests, harvests and embeddings are left to other replicas.
        #[arg(long, conflicts_with = "worker_only")]
        web_only: bool,
        /// Only the background work (digests, harvests, embeddings, as configured); nothing listens.
        #[arg(long)]
        worker_only: bool,
    },
    /// Import the bundled sample (February 2026) into an empty instance, then serve it.
    Demo {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        addr: Option<SocketAddr>,
    },
    /// Accounts: list them, make admins, ban.
    #[command(subcommand)]
    Users(UsersCommand),
    /// E-mail digests: compose and send them now, or preview one.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Digest subscribers.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Rebuild the search index from the database, with a progress bar (a server rebuilds a
    /// missing or outdated index by itself).
    Reindex,
    /// Embed the papers that have no embedding yet, for semantic search (needs the model:
    /// scripts/fetch-model.sh).
    Embed {
        /// Embed at most this many.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Measure search quality.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// The embedding models.
    #[command(subcommand)]
    Model(ModelCommand),
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Distill a static embedding model from all-MiniLM-L6-v2 (in the model directory) and
    /// write it beside it: thousands of papers a second instead of a few.
    Distill {
        /// Dimensions kept by PCA.
        #[arg(long, default_value_t = paperboy_embed::DEFAULT_DIMENSIONS)]
        dimensions: usize,
        /// The SIF coefficient a of a token's weight a / (a + p), p its probability by Zipf's law.
        #[arg(long, default_value_t = paperboy_embed::SIF_COEFFICIENT)]
        sif: f64,
        /// Papers (JSON lines with `title` and `abstract`, gzip or not) whose vectors by the
        /// transformer the static model learns from; the demo sample by default.
        #[arg(long, value_name = "FILE")]
        learn_from: Option<PathBuf>,
        /// How many of those papers to learn from, from the start (the transformer reads 10–16
        /// a second, cut to 128 tokens).
        #[arg(long, default_value_t = 4000)]
        learn_texts: usize,
        /// Distillation only: skip learning from abstracts.
        #[arg(long)]
        no_learn: bool,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Every account with its role.
    List,
    /// Make an account a moderator of discussions (it hides and restores comments and bans
    /// their writers).
    Moderator {
        /// The account's e-mail address.
        email: String,
    },
    /// Make an account an admin (it can hide papers and submissions, and moderates discussions).
    Promote {
        /// The account's e-mail address.
        email: String,
    },
    /// Make an admin or a moderator a member again.
    Demote {
        /// The account's e-mail address.
        email: String,
    },
    /// Ban an account: its sessions end and it cannot sign in.
    Ban {
        /// The account's e-mail address.
        email: String,
    },
    /// Lift a ban.
    Unban {
        /// The account's e-mail address.
        email: String,
    },
    /// Print everything the instance holds about an account, as JSON (what its member can
    /// download from the account page).
    Export {
        /// The account's e-mail address.
        email: String,
    },
}

#[derive(Subcommand)]
enum DigestCommand {
    /// Compose the period's digests and send every digest that is due.
    Run {
        /// Which digests: daily or weekly.
        #[arg(long, value_parser = parse_frequency)]
        frequency: Frequency,
        /// The day (daily) or a day of the week (weekly); default: the period due now.
        #[arg(long)]
        date: Option<Date>,
        /// Keep retrying until every digest of the period is sent or given up.
        #[arg(long)]
        wait: bool,
        /// Send even though public_url is unset, with links to this machine's address.
        #[arg(long)]
        allow_unset_public_url: bool,
    },
    /// Print the digest an address would get, as it would be sent.
    Preview {
        /// The subscriber whose digest to show (their categories and keywords apply).
        #[arg(long)]
        email: String,
        /// The day of the daily digest (default: the latest day with papers).
        #[arg(long)]
        date: Option<Date>,
    },
}

#[derive(Subcommand)]
enum SubscribersCommand {
    /// Subscribe the addresses in FILE (one per line, `-` for stdin) as confirmed, for lists
    /// whose consent you already hold.
    Import {
        /// One address per line; `-` reads stdin.
        file: PathBuf,
        /// daily or weekly.
        #[arg(long, value_parser = parse_frequency, default_value = "daily")]
        frequency: Frequency,
        /// Categories, e.g. "cs.CL cs.LG" (default: all).
        #[arg(long, default_value = "")]
        categories: String,
    },
}

fn parse_model_kind(text: &str) -> Result<paperboy_embed::ModelKind, String> {
    paperboy_embed::ModelKind::parse(text).ok_or_else(|| format!("the model is minilm or static, not {text:?}"))
}

fn parse_frequency(text: &str) -> Result<Frequency, String> {
    Frequency::parse(text).map_err(|error| error.to_string())
}

#[derive(Subcommand)]
enum EvalCommand {
    /// nDCG@10, Recall@100 and MRR@10 on a BEIR-format dataset (corpus.jsonl, queries.jsonl,
    /// qrels/*.tsv), ranked by the service's own code.
    Beir {
        /// The dataset's directory (corpus.jsonl, queries.jsonl, qrels/).
        dir: PathBuf,
        /// The judgments (default: qrels/test.tsv, or the only file in qrels/).
        #[arg(long)]
        qrels: Option<PathBuf>,
        /// keyword, semantic or hybrid (default: hybrid when the model is there, else keyword).
        #[arg(long, value_parser = parse_mode)]
        mode: Option<Mode>,
        /// How hybrid fuses the rankings: convex (the service's), convex:W (semantic weight W),
        /// rrf or rrf:K.
        #[arg(long, value_parser = parse_fusion)]
        fusion: Option<Fusion>,
        /// How much a title match counts against an abstract match (the service: 1.2).
        #[arg(long)]
        title_boost: Option<f32>,
        /// The share of a word's other fields added to its best field's score; 1 sums them (the
        /// service: 0.3).
        #[arg(long)]
        tie_breaker: Option<f32>,
        /// The model for semantic and hybrid search: minilm or static.
        #[arg(long, default_value = "minilm", value_parser = parse_model_kind)]
        embedding_model: paperboy_embed::ModelKind,
        /// Print {"ndcg@10": …, "recall@100": …, "mrr@10": …, "queries": …}.
        #[arg(long)]
        json: bool,
    },
    /// Recall@50 and @100 of "For you" on real listings: authors' earlier papers as a library,
    /// their papers of the month as what should be found; trending and random as baselines.
    Recs {
        /// The month to evaluate (YYYY-MM).
        #[arg(long, default_value = "2026-02")]
        month: String,
        /// How many eligible authors to sample.
        #[arg(long, default_value_t = 200)]
        authors: usize,
        /// Picks the sample of authors and the random baseline: the same seed, the same run.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// arXiv listings (JSON lines, gzip or not); repeat for several files.
        #[arg(long, default_value = "../shared/data/arxiv/cs-listings-2025-03_2026-07.jsonl.gz")]
        listings: Vec<PathBuf>,
        /// Hugging Face daily papers whose upvotes are the community's votes (default: the
        /// month's file in ../shared/data/hf, when there is one).
        #[arg(long)]
        votes: Vec<PathBuf>,
        /// How cosines with the library become one similarity: centroid, max or topK (the
        /// service: top3).
        #[arg(long)]
        similarity: Option<String>,
        /// The weight of the community's votes (the service: 0.05).
        #[arg(long)]
        votes_weight: Option<f32>,
        /// The embedding model's directory: with it, the embedding and blended content models
        /// are measured too (the month's papers and the libraries are embedded first).
        #[arg(long)]
        model_dir: Option<PathBuf>,
        /// A file that keeps the embeddings made between runs (JSON lines).
        #[arg(long)]
        embeddings_cache: Option<PathBuf>,
        /// The embeddings' share of each cosine when blended with tf-idf (the service: 0.2).
        #[arg(long)]
        embedding_share: Option<f32>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text).ok_or_else(|| format!("{text:?} is not a mode: keyword, semantic or hybrid"))
}

fn parse_fusion(text: &str) -> Result<Fusion, String> {
    Fusion::parse(text).ok_or_else(|| format!("{text:?} is not a fusion: convex, convex:W (0 to 1), rrf or rrf:K"))
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes away
    // (`paperboy stats | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
        Command::Import { files } => cli::import::run(&context, files),
        Command::Harvest { once, from, until } => {
            let mode = match (once, from) {
                (_, Some(from)) => cli::harvest::Mode::Backfill { from, until },
                (true, None) => cli::harvest::Mode::Once,
                (false, None) => cli::harvest::Mode::Schedule,
            };
            cli::harvest::run(&context, mode)
        }
        Command::Migrate => cli::stats::migrate(&context),
        Command::CopyDb { to } => cli::copy_db::run(&context, &to),
        Command::Backup { file } => cli::backup::backup(&context, &file),
        Command::Restore { file } => cli::backup::restore(&context, &file),
        Command::Stats { json } => cli::stats::run(&context, json),
        Command::Serve {
            addr,
            web_only,
            worker_only,
        } => {
            let role = match (web_only, worker_only) {
                (true, _) => ReplicaRole::WebOnly,
                (_, true) => ReplicaRole::WorkerOnly,
                _ => ReplicaRole::Everything,
            };
            cli::serve::run(&context, addr, role)
        }
        Command::Demo { addr } => cli::demo::run(&context, addr),
        Command::Users(UsersCommand::List) => cli::users::list(&context),
        Command::Users(UsersCommand::Promote { email }) => cli::users::set_role(&context, &email, Role::Admin),
        Command::Users(UsersCommand::Moderator { email }) => cli::users::set_role(&context, &email, Role::Moderator),
        Command::Users(UsersCommand::Demote { email } | UsersCommand::Unban { email }) => {
            cli::users::set_role(&context, &email, Role::Member)
        }
        Command::Users(UsersCommand::Ban { email }) => cli::users::set_role(&context, &email, Role::Banned),
        Command::Users(UsersCommand::Export { email }) => cli::users::export(&context, &email),
        Command::Digest(DigestCommand::Run {
            frequency,
            date,
            wait,
            allow_unset_public_url,
        }) => cli::digest::run(&context, frequency, date, wait, allow_unset_public_url),
        Command::Digest(DigestCommand::Preview { email, date }) => cli::digest::preview(&context, &email, date),
        Command::Subscribers(SubscribersCommand::Import {
            file,
            frequency,
            categories,
        }) => cli::digest::import_subscribers(&context, &file, frequency, &categories),
        Command::Reindex => cli::search::reindex(&context),
        Command::Embed { limit } => cli::search::embed(&context, limit),
        Command::Model(ModelCommand::Distill {
            dimensions,
            sif,
            learn_from,
            learn_texts,
            no_learn,
        }) => {
            let learning = (!no_learn).then_some(cli::search::Learning {
                from: learn_from,
                texts: learn_texts,
            });
            cli::search::distill(&context, dimensions, sif, learning)
        }
        Command::Eval(EvalCommand::Beir {
            dir,
            qrels,
            mode,
            fusion,
            title_boost,
            tie_breaker,
            embedding_model,
            json,
        }) => {
            let defaults = KeywordWeights::default();
            let weights = KeywordWeights {
                title_boost: title_boost.unwrap_or(defaults.title_boost),
                tie_breaker: tie_breaker.unwrap_or(defaults.tie_breaker),
            };
            cli::search::eval_beir(
                &context,
                &dir,
                qrels.as_deref(),
                mode,
                fusion,
                weights,
                embedding_model,
                json,
            )
        }
        Command::Eval(EvalCommand::Recs {
            month,
            authors,
            seed,
            listings,
            votes,
            similarity,
            votes_weight,
            model_dir,
            embeddings_cache,
            embedding_share,
            json,
        }) => cli::eval_recs::run(cli::eval_recs::Arguments {
            month,
            authors,
            seed,
            listings,
            votes,
            similarity,
            votes_weight,
            model_dir,
            embeddings_cache,
            embedding_share,
            json,
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// `paperboy help <command>` explains every flag and argument, in every subcommand.
    #[test]
    fn every_flag_of_every_subcommand_has_help() {
        fn walk(command: &clap::Command, path: &str, blank: &mut Vec<String>) {
            for argument in command.get_arguments() {
                let id = argument.get_id().as_str();
                if id != "help" && id != "version" && argument.get_help().is_none() {
                    blank.push(format!("{path} {id}"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    blank.push(format!("{path} {} (no description)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), blank);
            }
        }
        let mut blank = Vec::new();
        walk(&super::Arguments::command(), "paperboy", &mut blank);
        assert!(blank.is_empty(), "without help text: {blank:#?}");
    }
}
