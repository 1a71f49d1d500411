//! The mail that tells a member of new comments on one paper: replies to them, or comments on a
//! paper they saved or submitted. Plain text and HTML, every value escaped; the comments are
//! shown as written (Markdown is readable as text), shortened, each with its permalink.

use askama::Template;
use paperboy_core::EmailAddress;
use paperboy_store::{ClaimedCommentMail, NotifyReason, User};

use super::Digests;
use super::message::first_sentences;
use crate::mail::Email;

/// Enough of a comment to decide whether to open it.
const EXCERPT_CHARACTERS: usize = 600;

pub struct CommentLine {
    pub author: String,
    pub when: String,
    pub is_reply: bool,
    pub excerpt: String,
    pub url: String,
}

pub struct CommentMailView {
    pub instance_name: String,
    pub heading: String,
    pub paper_title: String,
    pub paper_url: String,
    pub comments: Vec<CommentLine>,
    pub why: String,
    pub settings_url: String,
    pub unsubscribe_url: String,
}

#[derive(Template)]
#[template(path = "mail/comments.txt")]
struct CommentText<'a> {
    mail: &'a CommentMailView,
}

#[derive(Template)]
#[template(path = "mail/comments.html")]
struct CommentHtml<'a> {
    mail: &'a CommentMailView,
}

impl Digests {
    /// The RFC 8058 one-click address that turns a member's comment mails off.
    pub fn comment_mail_unsubscribe_url(&self, member: &User) -> String {
        format!(
            "{}/notifications/unsubscribe/{}",
            self.settings.public_url,
            self.links.member_token(member)
        )
    }

    /// The member an unsubscribe link stands for, if its signature holds.
    pub async fn member_for_link(&self, token: &str) -> anyhow::Result<Option<User>> {
        let Some(id) = token.split_once('-').and_then(|(id, _)| id.parse().ok()) else {
            return Ok(None);
        };
        let member = self.store.user(id).await?;
        Ok(member.filter(|member| self.links.verify_member(token, member)))
    }

    /// The mail for one claimed batch, or `None` when none of its comments can be shown any
    /// more (hidden by a moderator, deleted, the paper gone).
    pub async fn comment_email(&self, mail: &ClaimedCommentMail) -> anyhow::Result<Option<Email>> {
        let Some(paper) = self.store.paper(&mail.paper).await? else {
            return Ok(None);
        };
        let public_url = &self.settings.public_url;
        let mut comments = Vec::new();
        for &(id, reason) in &mail.comments {
            let Some(comment) = self.store.comment(id).await? else {
                continue;
            };
            if comment.deleted || comment.hidden {
                continue;
            }
            comments.push(CommentLine {
                author: comment
                    .author
                    .map_or_else(|| "a former member".to_owned(), |a| a.display_name),
                when: jiff::Timestamp::from_second(comment.created_at)
                    .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
                is_reply: reason == NotifyReason::Reply,
                excerpt: first_sentences(&comment.body, EXCERPT_CHARACTERS),
                url: format!("{public_url}/papers/{}#comment-{id}", paper.id),
            });
        }
        if comments.is_empty() {
            return Ok(None);
        }
        let title = paper.title.split_whitespace().collect::<Vec<_>>().join(" ");
        let replies = comments.iter().filter(|c| c.is_reply).count();
        let heading = match (replies, comments.len()) {
            (1, 1) => format!("{} replied to your comment", comments[0].author),
            (0, 1) => format!("A new comment by {}", comments[0].author),
            (0, n) => format!("{n} new comments"),
            (r, n) => format!("{n} new comments, {r} of them replies to you"),
        };
        let why = match mail.comments.iter().map(|&(_, reason)| reason).min_by_key(|r| *r as u8) {
            Some(NotifyReason::Reply) => "someone answered a comment of yours",
            Some(NotifyReason::Saved) => "you saved this paper",
            _ => "you submitted this paper",
        };
        let view = CommentMailView {
            instance_name: self.settings.instance_name.clone(),
            heading: heading.clone(),
            paper_title: title.clone(),
            paper_url: format!("{public_url}/papers/{}#discussion", paper.id),
            comments,
            why: why.to_owned(),
            settings_url: format!("{public_url}/account#notifications"),
            unsubscribe_url: self.comment_mail_unsubscribe_url(&mail.member),
        };
        let text = CommentText { mail: &view }.render()?;
        let html = CommentHtml { mail: &view }.render()?;
        let host = crate::config::host_of(public_url);
        Ok(Some(Email {
            to: EmailAddress::parse(&mail.member.email)?,
            subject: format!("{heading} on “{}”", shorten(&title, 80)),
            text,
            html: Some(html),
            headers: vec![
                (
                    "List-Id",
                    format!("\"{} discussion\" <comments.{host}>", self.settings.instance_name),
                ),
                ("List-Unsubscribe", format!("<{}>", view.unsubscribe_url)),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()),
                ("Auto-Submitted", "auto-generated".to_owned()),
            ],
            // The same for every attempt of this mail.
            message_id: Some(format!("comments.{}@{}", mail.id, self.mailer.domain())),
        }))
    }
}

fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let cut: String = text.chars().take(limit).collect();
    format!("{}…", cut.trim_end())
}
