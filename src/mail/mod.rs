//! Outgoing e-mail: messages are built here (lettre's builder: MIME, encodings, headers) and sent
//! over SMTP by our own client ([`smtp`]) when `smtp_url` is set, otherwise (the demo) written as
//! `.eml` files to `<data dir>/mail/`, so that sign-in works on a machine with no mail server.

pub mod smtp;

use std::path::PathBuf;

use anyhow::Context;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use paperboy_core::EmailAddress;

pub use smtp::{HandOver, NoHandOver, SmtpError};
use smtp::{SmtpClient, SmtpSettings};

/// One message to one person: plain text, optionally with an HTML alternative.
pub struct Email {
    pub to: EmailAddress,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// Extra headers (`List-Unsubscribe`, `List-Id`, …), names as registered.
    pub headers: Vec<(&'static str, String)>,
    /// Without angle brackets; one is made up when `None`.
    pub message_id: Option<String>,
}

impl Email {
    pub fn text(to: EmailAddress, subject: String, text: String) -> Email {
        Email {
            to,
            subject,
            text,
            html: None,
            headers: Vec::new(),
            message_id: None,
        }
    }
}

pub enum Transport {
    Smtp(SmtpClient),
    Files(PathBuf),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        data_dir: &std::path::Path,
        hello_name: &str,
    ) -> anyhow::Result<Mailer> {
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("mail_from {from:?} is not a mailbox"))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(SmtpClient::new(SmtpSettings::from_url(url, hello_name)?)),
            None => Transport::Files(data_dir.join("mail")),
        };
        Ok(Mailer { from, transport })
    }

    /// The mailer an instance's configuration asks for.
    pub fn from_config(config: &crate::config::Config, data_dir: &std::path::Path) -> anyhow::Result<Mailer> {
        let public_url = config.public_url();
        let host = crate::config::host_of(&public_url);
        // RFC 5321 §4.1.3: an address in EHLO is written as a literal, `[127.0.0.1]`.
        let hello_name = if host.parse::<std::net::IpAddr>().is_ok() {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        Mailer::new(
            config.mail.smtp_url.as_deref(),
            &config.mail.mail_from,
            data_dir,
            &hello_name,
        )
    }

    /// Where mail goes when there is no SMTP server, for the pages to say so.
    pub fn mail_directory(&self) -> Option<&std::path::Path> {
        match &self.transport {
            Transport::Files(directory) => Some(directory),
            Transport::Smtp(_) => None,
        }
    }

    /// The sender's address, for `mailto:` links that reach this instance's operator.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// The domain Message-IDs are made in.
    pub fn domain(&self) -> String {
        self.from.email.domain().to_owned()
    }

    /// Builds the whole message, headers and all, as it goes on the wire.
    pub fn build(&self, email: Email) -> anyhow::Result<Vec<u8>> {
        let to: Mailbox = email.to.as_str().parse().context("while addressing the message")?;
        let message_id = email.message_id.unwrap_or_else(|| {
            format!(
                "{:016x}.{}@{}",
                rand::random::<u64>(),
                crate::clock::now_seconds(),
                self.domain()
            )
        });
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .date_now()
            .message_id(Some(format!("<{message_id}>")));
        for (name, value) in email.headers {
            builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str(name), value));
        }
        let message = match email.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
            ),
            None => builder.header(ContentType::TEXT_PLAIN).body(email.text),
        }
        .context("while building the message")?;
        Ok(message.formatted())
    }

    /// Sends a one-off message (sign-in links, confirmations).
    pub async fn send(&self, email: Email) -> anyhow::Result<()> {
        let to = email.to.clone();
        let message = self.build(email)?;
        self.deliver(&to, &message, &mut NoHandOver)
            .await
            .context("while sending the message")
    }

    /// Delivers a built message; see [`HandOver`] for when `hand_over` runs.
    pub async fn deliver(
        &self,
        to: &EmailAddress,
        message: &[u8],
        hand_over: &mut impl HandOver,
    ) -> Result<(), SmtpError> {
        match &self.transport {
            Transport::Smtp(client) => client.send(&self.from_address(), to.as_str(), message, hand_over).await,
            Transport::Files(directory) => {
                let transient = |error: std::io::Error| {
                    SmtpError::Transient(format!("writing to {}: {error}", directory.display()))
                };
                tokio::fs::create_dir_all(directory).await.map_err(transient)?;
                smtp::hand_over_now(hand_over).await?;
                let name = format!(
                    "{}-{:08x}.eml",
                    crate::clock::now().as_millisecond(),
                    rand::random::<u32>()
                );
                tokio::fs::write(directory.join(name), message).await.map_err(transient)
            }
        }
    }
}
