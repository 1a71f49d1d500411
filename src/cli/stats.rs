//! `paperboy stats [--json]`

use serde_json::json;

use crate::cli::{Context, init_logging, runtime};

pub fn run(context: &Context, as_json: bool) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let stats = runtime()?.block_on(async { anyhow::Ok(context.open_store().await?.stats().await?) })?;
    if as_json {
        let by_category: Vec<_> = stats
            .by_primary_category
            .iter()
            .map(|(category, papers)| json!({"category": category, "papers": papers}))
            .collect();
        let document = json!({
            "papers": stats.papers,
            "by_primary_category": by_category,
            "first_listing_date": stats.first_listing_date.map(|d| d.to_string()),
            "last_listing_date": stats.last_listing_date.map(|d| d.to_string()),
            "papers_with_votes": stats.papers_with_votes,
            "papers_with_code": stats.papers_with_code,
        });
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(0);
    }
    let date = |date: Option<paperboy_core::Date>| date.map_or("-".to_owned(), |d| d.to_string());
    println!("papers            {}", stats.papers);
    println!("first listing     {}", date(stats.first_listing_date));
    println!("last listing      {}", date(stats.last_listing_date));
    println!("with votes        {}", stats.papers_with_votes);
    println!("with code links   {}", stats.papers_with_code);
    if !stats.by_primary_category.is_empty() {
        println!("by primary category");
        for (category, papers) in &stats.by_primary_category {
            let name = paperboy_core::Category::parse(category)
                .ok()
                .and_then(|c| c.name())
                .unwrap_or("");
            let label = if category.is_empty() { "(none)" } else { category };
            println!("  {label:<18} {papers:>8}  {name}");
        }
    }
    Ok(0)
}

/// `paperboy migrate`: opening the store applies what migrations are missing.
pub fn migrate(context: &Context) -> anyhow::Result<u8> {
    runtime()?.block_on(async {
        let store = context.open_store().await?;
        store.ping().await?;
        println!("the database schema is up to date");
        Ok(0)
    })
}
