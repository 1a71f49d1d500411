//! `paperboy digest run | preview` and `paperboy subscribers import`: the digest queue by hand.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use paperboy_core::{Date, DigestPeriod, DigestPreferences, EmailAddress, Frequency};

use crate::cli::{Context, init_logging, runtime};
use crate::config::Config;
use crate::digest::compose::PeriodPapers;
use crate::digest::schedule::{due_daily, due_weekly};
use crate::digest::{DigestSettings, Digests};
use crate::mail::Mailer;

async fn open_digests(context: &Context, config: &Config) -> anyhow::Result<Arc<Digests>> {
    let store = context.open_store().await?;
    let mailer = Arc::new(Mailer::from_config(config, &context.data_dir)?);
    Ok(Arc::new(
        Digests::new(store, mailer, DigestSettings::from_config(config)?, &context.data_dir).await?,
    ))
}

/// The period `--date` names, or the one the schedule says is due now.
fn period_for(frequency: Frequency, date: Option<Date>, settings: &DigestSettings) -> DigestPeriod {
    match date {
        Some(date) => DigestPeriod::containing(frequency, date),
        None => {
            let now = jiff::tz::TimeZone::UTC.to_datetime(crate::clock::now());
            match frequency {
                Frequency::Daily => due_daily(now, settings.daily_time),
                Frequency::Weekly => due_weekly(now, settings.weekly_day, settings.daily_time),
            }
        }
    }
}

/// Composes the period's digests and sends what is due; with `wait`, keeps retrying until
/// every digest of the period is sent or given up.
pub fn run(
    context: &Context,
    frequency: Frequency,
    date: Option<Date>,
    wait: bool,
    allow_unset_public_url: bool,
) -> anyhow::Result<u8> {
    let config = context.config()?;
    if config.server.public_url.is_none() && !allow_unset_public_url {
        bail!(
            "public_url is not set, so every link in these mails (unsubscribe links too) would point at {}, \
             this machine, not where readers reach the site. Set it in paperboy.toml (public_url = \"https://papers.example.org\") \
             or with PAPERBOY_PUBLIC_URL, or pass --allow-unset-public-url if that address is right.",
            config.public_url()
        );
    }
    let _log_guard = init_logging(&config);
    runtime()?.block_on(async {
        let digests = open_digests(context, &config).await?;
        let period = period_for(frequency, date, &digests.settings);
        let composed = digests.compose(&period, crate::clock::now_seconds()).await?;
        if composed.papers == 0 {
            println!("{}: no papers were listed, so there is no digest", composed.period);
        } else {
            println!(
                "{}: {} papers; {} digests queued for {} subscribers ({} had nothing new)",
                composed.period, composed.papers, composed.queued, composed.subscribers, composed.nothing_new
            );
        }
        let mut report = digests.deliver_due().await?;
        loop {
            let counts = digests.store.delivery_counts(Some(&period.key())).await?;
            if !wait || counts.outstanding() == 0 {
                println!(
                    "sent {}, retrying {}, failed {}, unconfirmed {}; this period: {} sent, {} waiting, {} failed",
                    report.sent,
                    report.retrying,
                    report.failed,
                    report.unconfirmed,
                    counts.sent + counts.handed_over,
                    counts.outstanding(),
                    counts.failed
                );
                if counts.outstanding() > 0 {
                    println!("waiting digests are retried by `paperboy serve`, or rerun with --wait");
                }
                return anyhow::Ok(if counts.failed > 0 { 1 } else { 0 });
            }
            let due = digests.store.next_delivery_due().await?.unwrap_or(0);
            let pause = (due - crate::clock::now_seconds()).clamp(1, 5);
            tokio::time::sleep(Duration::from_secs(pause as u64)).await;
            report.add(&digests.deliver_due().await?);
        }
    })
}

/// Prints the digest `email` would get for the period (the due one, or `--date`'s), as sent.
pub fn preview(context: &Context, email: &str, date: Option<Date>) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    runtime()?.block_on(async {
        let digests = open_digests(context, &config).await?;
        let Some(subscription) = digests.store.subscription_by_email(email).await? else {
            bail!("{email} has no subscription");
        };
        if config.server.public_url.is_none() {
            eprintln!(
                "note: public_url is not set, so the links below point at {}; set public_url (or PAPERBOY_PUBLIC_URL) to where readers reach the site",
                config.public_url()
            );
        }
        let frequency = subscription.preferences.frequency;
        let period = match date {
            Some(date) => DigestPeriod::containing(frequency, date),
            // The latest period with papers, not today's (an instance fed by hand or the demo
            // sample has none today).
            None => match digests.store.latest_listing_day().await? {
                Some(latest) => {
                    let period = DigestPeriod::containing(frequency, latest);
                    eprintln!("previewing {}, the latest period with papers (--date picks another)", period.key());
                    period
                }
                None => bail!("there are no papers yet: import or harvest some first"),
            },
        };
        let papers = PeriodPapers::load(&digests, &period).await?;
        let order = match subscription.preferences.for_you {
            true => digests.personal_order(&subscription.email, &period).await?,
            false => None,
        };
        let picked = papers.pick(&subscription.preferences, None, order.as_deref());
        if picked.is_empty() {
            eprintln!(
                "{}: nothing for {email} ({}), so no digest would be sent",
                period.key(),
                subscription.status.as_str()
            );
            return Ok(1);
        }
        let message = digests
            .mailer
            .build(digests.digest_email(&subscription, &period, &picked)?)?;
        println!("{}", String::from_utf8_lossy(&message));
        Ok(0)
    })
}

/// Subscribes the addresses in `file` (one per line) as confirmed: for operators moving a list
/// whose consent they already hold. Bad lines are reported by number; the rest go in.
pub fn import_subscribers(
    context: &Context,
    file: &Path,
    frequency: Frequency,
    categories: &str,
) -> anyhow::Result<u8> {
    let config = context.config()?;
    let _log_guard = init_logging(&config);
    let preferences = DigestPreferences::parse(frequency.as_str(), categories, "", "")?;
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
        ))
    };
    let mut addresses = Vec::new();
    let mut errors = 0;
    for (number, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("while reading {}", file.display()))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match EmailAddress::parse(line) {
            Ok(address) => addresses.push(address),
            Err(error) => {
                errors += 1;
                eprintln!("{}: line {}: {error}", file.display(), number + 1);
            }
        }
    }
    let imported = runtime()?.block_on(async {
        let store = context.open_store().await?;
        let now = crate::clock::now_seconds();
        for address in &addresses {
            store.subscribe_confirmed(address.as_str(), &preferences, now).await?;
        }
        anyhow::Ok(addresses.len())
    })?;
    println!("{imported} subscribers imported, {errors} lines refused");
    Ok(if errors > 0 { 1 } else { 0 })
}
