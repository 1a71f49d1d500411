//! `paperboy copy-db --to postgres://…`: the data directory's SQLite database into PostgreSQL.

use paperboy_store::{PgStore, SqliteStore};

use crate::cli::{Context, runtime};
use crate::config::DataDir;

/// Exit code 0: every table holds as many rows on both sides; 1: some do not (run it again; it
/// resumes); 2: it could not run.
pub fn run(context: &Context, to: &str) -> anyhow::Result<u8> {
    anyhow::ensure!(
        to.starts_with("postgres://") || to.starts_with("postgresql://"),
        "--to must be a postgres:// URL"
    );
    let data_dir = DataDir::create(context.data_dir.clone())?;
    anyhow::ensure!(
        data_dir.database().exists(),
        "no SQLite database in {} to copy",
        data_dir.root.display()
    );
    runtime()?.block_on(async {
        let from = SqliteStore::open(&data_dir.database()).await?;
        let to = PgStore::connect(to).await?;
        let counts = paperboy_store::copy::copy_database(&from, &to, &mut |table, copied| {
            eprint!("\rcopying {table}: {copied} rows          ");
        })
        .await?;
        eprintln!();
        println!("{:<22} {:>10} {:>10}", "table", "sqlite", "postgres");
        let mut same = true;
        for count in &counts {
            let mark = if count.sqlite == count.postgres {
                ""
            } else {
                "  ← differs"
            };
            same &= count.sqlite == count.postgres;
            println!("{:<22} {:>10} {:>10}{mark}", count.table, count.sqlite, count.postgres);
        }
        if same {
            println!("copied: every table holds the same number of rows on both sides");
            Ok(0)
        } else {
            println!("some tables differ: run copy-db again to resume");
            Ok(1)
        }
    })
}
