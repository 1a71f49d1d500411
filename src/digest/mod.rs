//! E-mail digests: composing each period's digests into the delivery queue ([`compose`]),
//! rendering one subscriber's message ([`message`]), sending what is due ([`deliver`]), and the
//! clock that does both inside `paperboy serve` ([`schedule`]).
//!
//! The queue is the database: one row per (subscription, period) under a unique constraint,
//! so reruns, restarts and several workers cannot send a second copy.

pub mod claim;
pub mod comment_mail;
pub mod compose;
pub mod deliver;
pub mod journal;
pub mod message;
pub mod schedule;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use hmac::{Hmac, Mac};
use paperboy_core::TrendingParameters;
use paperboy_store::{Store, Subscription, User};
use sha2::Sha256;

use crate::config::Config;
use crate::for_you::ForYou;
use crate::mail::Mailer;

/// What digests need from the configuration, resolved once.
#[derive(Clone, Debug)]
pub struct DigestSettings {
    pub instance_name: String,
    pub public_url: String,
    pub trending: TrendingParameters,
    pub check_interval: std::time::Duration,
    pub daily_time: jiff::civil::Time,
    pub weekly_day: jiff::civil::Weekday,
    pub connections: u32,
    pub retry_seconds: u32,
    pub max_attempts: u32,
    pub bounce_limit: u32,
    pub lease_seconds: u32,
}

impl DigestSettings {
    pub fn from_config(config: &Config) -> anyhow::Result<DigestSettings> {
        Ok(DigestSettings {
            instance_name: config.server.instance_name.clone(),
            public_url: config.public_url(),
            trending: config.trending(),
            check_interval: std::time::Duration::from_secs(u64::from(config.digest.digest_check_seconds)),
            daily_time: config.digest_daily_time()?,
            weekly_day: config.digest_weekly_day()?,
            connections: config.digest.digest_connections,
            retry_seconds: config.digest.digest_retry_seconds,
            max_attempts: config.digest.digest_max_attempts,
            bounce_limit: config.digest.digest_bounce_limit,
            lease_seconds: config.digest.digest_lease_seconds,
        })
    }
}

/// Everything digests need, shared by the web server, the scheduler and the CLI.
pub struct Digests {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<Mailer>,
    pub settings: DigestSettings,
    links: LinkSigner,
    journal: journal::HandOverJournal,
    /// Makes this process's claims, which say whose journal settles them after a crash.
    claims: claim::ClaimMaker,
    /// Papers of the periods being delivered, loaded once per period rather than per message.
    period_papers: tokio::sync::Mutex<HashMap<String, Arc<compose::PeriodPapers>>>,
    /// Members' lists, for digests that follow "For you" (shared with the web's pages).
    pub for_you: Arc<ForYou>,
}

impl Digests {
    /// `data_dir` holds the hand-over journal.
    pub async fn new(
        store: Arc<dyn Store>,
        mailer: Arc<Mailer>,
        settings: DigestSettings,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Digests> {
        let links = LinkSigner::load(store.as_ref()).await?;
        let journal_dir = data_dir.join("digest-journal");
        let claims = claim::ClaimMaker::new(&journal_dir);
        Ok(Digests {
            for_you: Arc::new(ForYou::new(Arc::clone(&store), settings.trending)),
            store,
            mailer,
            settings,
            links,
            journal: journal::HandOverJournal::new(&journal_dir),
            claims,
            period_papers: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The page where a subscriber changes or ends the subscription, no account needed.
    pub fn manage_url(&self, subscription: &Subscription) -> String {
        format!(
            "{}/subscription/{}",
            self.settings.public_url,
            self.links.token(subscription)
        )
    }

    /// The RFC 8058 one-click address: a POST here unsubscribes at once.
    pub fn unsubscribe_url(&self, subscription: &Subscription) -> String {
        format!(
            "{}/unsubscribe/{}",
            self.settings.public_url,
            self.links.token(subscription)
        )
    }

    /// The subscription a manage or unsubscribe link stands for, if its signature holds.
    pub async fn subscription_for_link(&self, token: &str) -> anyhow::Result<Option<Subscription>> {
        let Some(id) = LinkSigner::subscription_id(token) else {
            return Ok(None);
        };
        let subscription = self.store.subscription(id).await?;
        Ok(subscription.filter(|subscription| self.links.verify(token, subscription)))
    }
}

/// Signs manage links: `<subscription id>-<HMAC-SHA256 of the id and mailbox>`. The key lives in
/// the database, so every replica signs alike, and links need no table of their own.
struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    async fn load(store: &dyn Store) -> anyhow::Result<LinkSigner> {
        let fresh = crate::secrets::random_token();
        let key = store
            .instance_secret("digest-links", &fresh)
            .await
            .context("while loading the key that signs digest links")?;
        Ok(LinkSigner { key: key.into_bytes() })
    }

    /// The first 128 bits of HMAC-SHA256 over `message`, in hex.
    fn mac(&self, message: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(message.as_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn signature(&self, id: i64, email: &str) -> String {
        self.mac(&format!("manage\0{id}\0{}", email.to_lowercase()))
    }

    fn token(&self, subscription: &Subscription) -> String {
        format!(
            "{}-{}",
            subscription.id,
            self.signature(subscription.id, &subscription.email)
        )
    }

    fn member_signature(&self, member: &User) -> String {
        self.mac(&format!("comments\0{}\0{}", member.id, member.email.to_lowercase()))
    }

    /// A member's link to turn comment mails off: `<user id>-<signature>`.
    fn member_token(&self, member: &User) -> String {
        format!("{}-{}", member.id, self.member_signature(member))
    }

    fn verify_member(&self, token: &str, member: &User) -> bool {
        crate::secrets::same_secret(token, &self.member_token(member))
    }

    fn subscription_id(token: &str) -> Option<i64> {
        token.split_once('-')?.0.parse().ok()
    }

    fn verify(&self, token: &str, subscription: &Subscription) -> bool {
        crate::secrets::same_secret(token, &self.token(subscription))
    }
}

/// A small instance for the digest modules' tests: papers listed on 11, 12 and 13 February
/// 2026, one daily subscriber, mail written as files under the given directory.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use jiff::civil::date;
    use paperboy_core::DigestPreferences;
    use paperboy_store::{PaperStore, SqliteStore, SubscriptionStore};

    use super::{DigestSettings, Digests};
    use crate::mail::Mailer;

    pub async fn instance_with_a_week_of_papers(mail: &std::path::Path) -> Arc<Digests> {
        let store = Arc::new(SqliteStore::in_memory().await.expect("store"));
        let papers = [("2602.00011", 11), ("2602.00012", 12), ("2602.00013", 13)].map(|(id, day)| {
            let mut paper = paperboy_store::conformance::full_paper(id);
            paper.listing_dates = [date(2026, 2, day)].into();
            paper
        });
        store.merge_papers(papers.to_vec()).await.expect("merge");
        store
            .subscribe_confirmed("ada@example.org", &DigestPreferences::default(), 0)
            .await
            .expect("subscribe");
        let mailer = Mailer::new(None, "Paperboy <paperboy@localhost>", mail, "localhost").expect("mailer");
        let settings = DigestSettings::from_config(&crate::config::Config::default()).expect("settings");
        Arc::new(
            Digests::new(store, Arc::new(mailer), settings, mail)
                .await
                .expect("digests"),
        )
    }

    pub fn sent(mail: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(mail.join("mail"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| std::fs::read_to_string(entry.path()).expect("readable"))
                    .collect()
            })
            .unwrap_or_default()
    }
}
