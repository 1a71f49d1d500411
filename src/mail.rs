//! Sending e-mail: over SMTP when `smtp_url` is set, otherwise (the demo) as `.eml` files in
//! `<data dir>/mail/`, so that sign-in works on a machine with no mail server at all.

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use paperboy_core::EmailAddress;

/// One message to one person: plain text, optionally with an HTML alternative.
pub struct Email {
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str, data_dir: &std::path::Path) -> anyhow::Result<Mailer> {
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("mail_from {from:?} is not a mailbox"))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .with_context(|| format!("smtp_url {url:?} is not an SMTP URL (smtp://host:port or smtps://…)"))?
                    .build(),
            ),
            None => Transport::Files(data_dir.join("mail")),
        };
        Ok(Mailer { from, transport })
    }

    /// Where mail goes when there is no SMTP server, for the pages to say so.
    pub fn mail_directory(&self) -> Option<&std::path::Path> {
        match &self.transport {
            Transport::Files(directory) => Some(directory),
            Transport::Smtp(_) => None,
        }
    }

    pub async fn send(&self, email: Email) -> anyhow::Result<()> {
        let to: Mailbox = email.to.as_str().parse().context("while addressing the message")?;
        let builder = Message::builder().from(self.from.clone()).to(to).subject(email.subject);
        let message = match email.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
            ),
            None => builder.header(ContentType::TEXT_PLAIN).body(email.text),
        }
        .context("while building the message")?;
        match &self.transport {
            Transport::Smtp(transport) => {
                transport.send(message).await.context("while sending over SMTP")?;
            }
            Transport::Files(directory) => {
                tokio::fs::create_dir_all(directory)
                    .await
                    .context("while creating the mail directory")?;
                let name = format!(
                    "{}-{:08x}.eml",
                    jiff::Timestamp::now().as_millisecond(),
                    rand::random::<u32>()
                );
                tokio::fs::write(directory.join(name), message.formatted())
                    .await
                    .context("while writing the message")?;
            }
        }
        Ok(())
    }
}
