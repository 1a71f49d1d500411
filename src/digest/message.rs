//! One subscriber's digest as an e-mail: plain text and HTML (inline styles, no scripts, every
//! value escaped), with the headers mail clients need to thread, file and unsubscribe
//! (`List-Id`, RFC 2369 `List-Unsubscribe`, RFC 8058 `List-Unsubscribe-Post`).

use askama::Template;
use paperboy_core::{DigestPeriod, EmailAddress};
use paperboy_store::Subscription;

use super::Digests;
use super::compose::RankedPaper;
use crate::mail::Email;

/// Authors shown before "and N more".
const AUTHORS_SHOWN: usize = 4;
/// About two sentences: enough to decide whether to open the paper.
const SUMMARY_CHARACTERS: usize = 320;

pub struct PaperView {
    pub rank: usize,
    pub title: String,
    pub url: String,
    pub authors: String,
    pub summary: String,
    pub votes: i64,
    pub categories: String,
    pub code_label: String,
    pub code_url: String,
}

pub struct DigestView {
    pub instance_name: String,
    pub heading: String,
    pub intro: String,
    pub papers: Vec<PaperView>,
    pub period_url: String,
    pub manage_url: String,
    pub unsubscribe_url: String,
    pub topics: String,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    digest: &'a DigestView,
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    digest: &'a DigestView,
}

/// The first sentences of an abstract, cut at a sentence end (or a word) near `limit`.
pub fn first_sentences(text: &str, limit: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= limit {
        return text;
    }
    let cut: String = text.chars().take(limit).collect();
    if let Some(end) = cut.rfind(". ").filter(|&end| end > limit / 3) {
        return cut[..=end].to_owned();
    }
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |space| &cut[..space]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':']))
}

fn authors_line(authors: &[String]) -> String {
    let shown = authors
        .iter()
        .take(AUTHORS_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match authors.len().saturating_sub(AUTHORS_SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

impl Digests {
    /// The digest of `papers` for one subscriber, ready to send.
    pub fn digest_email(
        &self,
        subscription: &Subscription,
        period: &DigestPeriod,
        papers: &[&RankedPaper],
    ) -> anyhow::Result<Email> {
        let public_url = &self.settings.public_url;
        let subject = format!("Trending papers — {}", period.label());
        let topics = subscription.preferences.topics();
        let view = DigestView {
            instance_name: self.settings.instance_name.clone(),
            heading: subject.clone(),
            intro: format!(
                "The {} most upvoted new papers of {}, {topics}.",
                papers.len(),
                match period.frequency {
                    paperboy_core::Frequency::Daily => period.label(),
                    paperboy_core::Frequency::Weekly => format!("the {}", period.label()),
                }
            ),
            papers: papers
                .iter()
                .enumerate()
                .map(|(index, ranked)| {
                    let paper = &ranked.paper;
                    let code = paper.code_links.first();
                    PaperView {
                        rank: index + 1,
                        title: paper.title.split_whitespace().collect::<Vec<_>>().join(" "),
                        url: format!("{public_url}/papers/{}", paper.id),
                        authors: authors_line(&paper.authors),
                        summary: first_sentences(&paper.abstract_text, SUMMARY_CHARACTERS),
                        votes: ranked.votes,
                        categories: paper
                            .categories
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                        code_label: code.map(|link| link.host.label().to_owned()).unwrap_or_default(),
                        code_url: code.map(|link| link.url.clone()).unwrap_or_default(),
                    }
                })
                .collect(),
            period_url: format!("{public_url}{}", period.period.path()),
            manage_url: self.manage_url(subscription),
            unsubscribe_url: self.unsubscribe_url(subscription),
            topics,
        };
        let text = DigestText { digest: &view }.render()?;
        let html = DigestHtml { digest: &view }.render()?;
        let list_id = format!("{}.digest.{}", period.frequency, crate::config::host_of(public_url));
        let mailto = format!(
            "mailto:{}?subject=unsubscribe%20{}",
            self.mailer.from_address(),
            view.manage_url.rsplit('/').next().unwrap_or_default()
        );
        Ok(Email {
            to: EmailAddress::parse(&subscription.email)?,
            subject,
            text,
            html: Some(html),
            headers: vec![
                (
                    "List-Id",
                    format!(
                        "\"{} {} digest\" <{list_id}>",
                        self.settings.instance_name, period.frequency
                    ),
                ),
                ("List-Unsubscribe", format!("<{}>, <{mailto}>", view.unsubscribe_url)),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()),
                // RFC 3834: an automated message; out-of-office replies should stay away.
                ("Auto-Submitted", "auto-generated".to_owned()),
            ],
            // The same for every attempt, so a client that did get a copy twice can fold them.
            message_id: Some(format!(
                "digest.{}.{}@{}",
                period.key().replace(':', "."),
                subscription.id,
                self.mailer.domain()
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_end_at_a_sentence_or_a_word() {
        assert_eq!(first_sentences("Short.", 320), "Short.");
        let abstract_text = "We study cats. They are fluffy and very   independent. A third sentence follows here.";
        assert_eq!(
            first_sentences(abstract_text, 60),
            "We study cats. They are fluffy and very independent."
        );
        assert_eq!(first_sentences("one two three four five six", 12), "one two…");
    }

    #[test]
    fn long_author_lists_are_shortened() {
        let authors: Vec<String> = (1..=6).map(|n| format!("A{n}")).collect();
        assert_eq!(authors_line(&authors), "A1, A2, A3, A4 and 2 more");
        assert_eq!(authors_line(&authors[..2]), "A1, A2");
    }
}
