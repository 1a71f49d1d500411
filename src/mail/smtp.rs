//! A small SMTP client (RFC 5321) with a pool of open connections, written for one guarantee
//! that off-the-shelf clients do not offer: a hook runs after the message body has reached the
//! server and before the final `.` that makes the server accept it. The digest queue records the
//! hand-over in that hook, so a crash at any moment either leaves the message unaccepted (the
//! server drops a transaction without its `.`) and it is retried, or recorded and never sent
//! twice. The only gap left is the microseconds between that commit and writing the `.`.
//!
//! URLs: `smtp://host:port` (plain; `?tls=required` for STARTTLS), `smtps://host:port`
//! (TLS from the start), with optional `user:password@` for AUTH PLAIN.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long one command may wait for its answer.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// RFC 5321 §4.5.3.2.6 lets the server take up to ten minutes over the final `.`; we give it
/// a little less and treat silence as "unknown", never as "failed".
const DATA_END_TIMEOUT: Duration = Duration::from_secs(300);
/// Idle connections older than this are closed instead of reused (servers drop them anyway).
const IDLE_LIMIT: Duration = Duration::from_secs(20);

/// What a queued message's sender records at the moment the message becomes the server's.
pub trait HandOver: Send {
    /// Runs once the body is with the server, before the `.`: answering `false` abandons the
    /// message unsent (the delivery is no longer ours).
    fn claim(&mut self) -> impl std::future::Future<Output = anyhow::Result<bool>> + Send;

    /// Runs immediately before the `.` is written, on the same thread with nothing in between,
    /// so what it records is as close to the server's acceptance as a sender can get.
    fn about_to_end(&mut self) -> anyhow::Result<()>;
}

/// Runs both steps of a hand-over, in order, as the last thing before the `.` is written.
pub(crate) async fn hand_over_now(hand_over: &mut impl HandOver) -> Result<(), SmtpError> {
    let recording_failed = |error: anyhow::Error| SmtpError::Transient(format!("recording the hand-over: {error:#}"));
    match hand_over.claim().await {
        Ok(true) => {}
        // Going no further (for SMTP: closing without the `.`) leaves nothing with the server.
        Ok(false) => return Err(SmtpError::Withdrawn),
        Err(error) => return Err(recording_failed(error)),
    }
    hand_over.about_to_end().map_err(recording_failed)
}

/// One-off mail (sign-in links, confirmations): nothing to record.
pub struct NoHandOver;

impl HandOver for NoHandOver {
    async fn claim(&mut self) -> anyhow::Result<bool> {
        Ok(true)
    }

    fn about_to_end(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Why a message did not go through, in the terms a retry policy needs.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// Try again later: a 4xx answer, a refused or broken connection, a timeout.
    #[error("{0}")]
    Transient(String),
    /// The server refused for good (5xx): retrying will not help.
    #[error("{0}")]
    Permanent(String),
    /// The hand-over hook said no (the delivery is no longer ours); nothing was sent.
    #[error("the delivery was taken away before it was handed over")]
    Withdrawn,
    /// The `.` was sent but no answer came: the server may or may not have the message.
    #[error("{0}")]
    Unknown(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    Tls,
}

#[derive(Clone)]
pub struct SmtpSettings {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, String)>,
    hello_name: String,
}

impl SmtpSettings {
    pub fn from_url(url: &str, hello_name: &str) -> anyhow::Result<SmtpSettings> {
        let invalid = |why: &str| {
            let shown = without_password(url);
            anyhow::anyhow!("smtp_url {shown:?} {why} (expected smtp://host:port or smtps://…)")
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("has no scheme"))?;
        let (authority, query) = match rest.split_once('?') {
            Some((authority, query)) => (authority.trim_end_matches('/'), query),
            None => (rest.trim_end_matches('/'), ""),
        };
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((user_info, host_port)) => {
                let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
                (Some((percent_decode(user), percent_decode(password))), host_port)
            }
            None => (None, authority),
        };
        let tls_required = query.split('&').any(|pair| pair == "tls=required");
        let (security, default_port) = match scheme {
            "smtp" if tls_required => (Security::StartTls, 587),
            "smtp" => (Security::Plain, 25),
            "smtps" => (Security::Tls, 465),
            _ => return Err(invalid("has an unknown scheme")),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().map_err(|_| invalid("has a bad port"))?),
            None => (host_port, default_port),
        };
        if host.is_empty() {
            return Err(invalid("has no host"));
        }
        Ok(SmtpSettings {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port,
            security,
            credentials,
            hello_name: hello_name.to_owned(),
        })
    }
}

/// Everything but the password, for logs and errors.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("hello_name", &self.hello_name)
            .finish()
    }
}

/// `url` with the password in it, if any, blanked out: `smtp://user:…@host`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user_info, _)) => {
            let user = user_info.split_once(':').map_or(user_info, |(user, _)| user);
            format!("{scheme}://{user}:…@{}", &rest[user_info.len() + 1..])
        }
        None => url.to_owned(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(value) = text
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(value);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

struct Connection {
    stream: BufReader<Box<dyn Stream>>,
    eight_bit_mime: bool,
    last_used: Instant,
}

/// One reply: its code and text (all lines joined).
struct Reply {
    code: u16,
    text: String,
}

impl Reply {
    fn error(&self, during: &str) -> SmtpError {
        let message = format!("{during}: {} {}", self.code, self.text);
        if self.code >= 500 {
            SmtpError::Permanent(message)
        } else {
            SmtpError::Transient(message)
        }
    }
}

fn broken(during: &str, error: impl std::fmt::Display) -> SmtpError {
    SmtpError::Transient(format!("{during}: {error}"))
}

impl Connection {
    async fn open(settings: &SmtpSettings) -> Result<Connection, SmtpError> {
        let address = (settings.host.as_str(), settings.port);
        let tcp = tokio::time::timeout(COMMAND_TIMEOUT, TcpStream::connect(address))
            .await
            .map_err(|_| broken("connecting", "timed out"))?
            .map_err(|error| broken(&format!("connecting to {}:{}", settings.host, settings.port), error))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match settings.security {
            Security::Tls => Box::new(tls(tcp, &settings.host).await?),
            Security::Plain | Security::StartTls => Box::new(tcp),
        };
        let mut connection = Connection {
            stream: BufReader::new(stream),
            eight_bit_mime: false,
            last_used: Instant::now(),
        };
        connection.expect(2, "greeting", COMMAND_TIMEOUT).await?;
        let mut features = connection.hello(settings).await?;
        if settings.security == Security::StartTls {
            if !features.iter().any(|f| f == "STARTTLS") {
                return Err(SmtpError::Permanent(
                    "the server does not offer STARTTLS, which smtp_url requires".to_owned(),
                ));
            }
            connection.command("STARTTLS", "STARTTLS").await?;
            // Nothing follows the 220 before the handshake, so the buffer is empty here.
            let plain = connection.stream.into_inner();
            let upgraded = tls(plain, &settings.host).await?;
            connection.stream = BufReader::new(Box::new(upgraded));
            features = connection.hello(settings).await?;
        }
        connection.eight_bit_mime = features.iter().any(|f| f == "8BITMIME");
        if let Some((user, password)) = &settings.credentials {
            let secret = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
            connection.command(&format!("AUTH PLAIN {secret}"), "AUTH").await?;
        }
        Ok(connection)
    }

    /// EHLO, answering the extensions the server offers (upper-cased keywords).
    async fn hello(&mut self, settings: &SmtpSettings) -> Result<Vec<String>, SmtpError> {
        let reply = self.command(&format!("EHLO {}", settings.hello_name), "EHLO").await?;
        Ok(reply
            .text
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next())
            .map(str::to_ascii_uppercase)
            .collect())
    }

    async fn write(&mut self, bytes: &[u8], during: &str) -> Result<(), SmtpError> {
        let stream = self.stream.get_mut();
        tokio::time::timeout(COMMAND_TIMEOUT, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await
        .map_err(|_| broken(during, "timed out"))?
        .map_err(|error| broken(during, error))
    }

    async fn read_reply(&mut self, during: &str, timeout: Duration) -> Result<Reply, std::io::Error> {
        let read = async {
            let mut text = String::new();
            loop {
                let mut line = String::new();
                if self.stream.read_line(&mut line).await? == 0 {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ));
                }
                if line.len() > 4096 || text.len() > 65_536 {
                    return Err(std::io::Error::other("the server's reply is too long"));
                }
                let code = line
                    .get(..3)
                    .and_then(|code| code.parse::<u16>().ok())
                    .ok_or_else(|| std::io::Error::other(format!("not an SMTP reply: {:?}", line.trim_end())))?;
                let last = line.as_bytes().get(3) != Some(&b'-');
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(line.get(4..).unwrap_or("").trim_end());
                if last {
                    return Ok(Reply { code, text });
                }
            }
        };
        tokio::time::timeout(timeout, read).await.unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{during}: timed out"),
            ))
        })
    }

    async fn expect(&mut self, class: u16, during: &str, timeout: Duration) -> Result<Reply, SmtpError> {
        let reply = self
            .read_reply(during, timeout)
            .await
            .map_err(|error| broken(during, error))?;
        if reply.code / 100 == class {
            Ok(reply)
        } else {
            Err(reply.error(during))
        }
    }

    async fn command(&mut self, command: &str, during: &str) -> Result<Reply, SmtpError> {
        self.write(format!("{command}\r\n").as_bytes(), during).await?;
        let class = if command == "DATA" { 3 } else { 2 };
        self.expect(class, during, COMMAND_TIMEOUT).await
    }
}

async fn tls<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    host: &str,
) -> Result<tokio_rustls::client::TlsStream<S>, SmtpError> {
    static CONFIG: std::sync::OnceLock<Arc<rustls::ClientConfig>> = std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Arc::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    });
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|error| SmtpError::Permanent(format!("{host:?} cannot be checked against a certificate: {error}")))?;
    tokio_rustls::TlsConnector::from(Arc::clone(config))
        .connect(name, stream)
        .await
        .map_err(|error| broken("TLS handshake", error))
}

/// Escapes lines that start with `.` (RFC 5321 §4.5.2) and makes every line end in CRLF.
fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 50);
    for line in message.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Sends messages over a pool of reusable connections to one server.
pub struct SmtpClient {
    settings: SmtpSettings,
    idle: std::sync::Mutex<Vec<Connection>>,
}

impl SmtpClient {
    pub fn new(settings: SmtpSettings) -> SmtpClient {
        SmtpClient {
            settings,
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(connection) = idle.pop() {
            if connection.last_used.elapsed() < IDLE_LIMIT {
                return Some(connection);
            }
        }
        None
    }

    fn put_idle(&self, mut connection: Connection) {
        connection.last_used = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < 16 {
            idle.push(connection);
        }
    }

    /// Sends `message` (a whole RFC 5322 message) from `from` to `to`, calling `hand_over` once
    /// the body is with the server (see [`HandOver`]).
    pub async fn send(
        &self,
        from: &str,
        to: &str,
        message: &[u8],
        hand_over: &mut impl HandOver,
    ) -> Result<(), SmtpError> {
        let body = dot_stuffed(message);
        // A pooled connection the server has quietly closed fails on its first command; that is
        // no reason to give up, so one fresh connection is tried before reporting the error.
        let mut reused = true;
        loop {
            let (mut connection, fresh) = match self.take_idle() {
                Some(connection) if reused => (connection, false),
                _ => (Connection::open(&self.settings).await?, true),
            };
            match self.envelope(&mut connection, from, to, message.is_ascii()).await {
                Ok(()) => {}
                Err(SmtpError::Transient(_)) if !fresh => {
                    reused = false;
                    continue;
                }
                Err(SmtpError::Permanent(reason)) => {
                    // The connection is fine; only this recipient or sender was refused.
                    if connection.command("RSET", "RSET").await.is_ok() {
                        self.put_idle(connection);
                    }
                    return Err(SmtpError::Permanent(reason));
                }
                Err(error) => return Err(error),
            }
            connection.write(&body, "sending the message").await?;
            hand_over_now(hand_over).await?;
            // Straight after `about_to_end`, with no await in between: the socket is writable
            // (it just took the body), so the `.` leaves in this same step.
            connection.write(b".\r\n", "ending the message").await?;
            return match connection.read_reply("ending the message", DATA_END_TIMEOUT).await {
                Ok(reply) if reply.code / 100 == 2 => {
                    self.put_idle(connection);
                    Ok(())
                }
                Ok(reply) => {
                    self.put_idle(connection);
                    Err(reply.error("ending the message"))
                }
                Err(error) => Err(SmtpError::Unknown(format!(
                    "no answer after the message was sent ({error}); it may or may not have been delivered"
                ))),
            };
        }
    }

    async fn envelope(&self, connection: &mut Connection, from: &str, to: &str, ascii: bool) -> Result<(), SmtpError> {
        let body_parameter = if !ascii && connection.eight_bit_mime {
            " BODY=8BITMIME"
        } else {
            ""
        };
        connection
            .command(&format!("MAIL FROM:<{from}>{body_parameter}"), "MAIL FROM")
            .await?;
        connection.command(&format!("RCPT TO:<{to}>"), "RCPT TO").await?;
        connection.command("DATA", "DATA").await?;
        Ok(())
    }

    /// Opens a connection and says hello, to check the settings at start-up.
    pub async fn check(&self) -> anyhow::Result<()> {
        let connection = Connection::open(&self.settings)
            .await
            .with_context(|| format!("while connecting to {}:{}", self.settings.host, self.settings.port))?;
        self.put_idle(connection);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_server_security_and_credentials() {
        let plain = SmtpSettings::from_url("smtp://127.0.0.1:2525", "paperboy.test").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("127.0.0.1", 2525, Security::Plain)
        );
        let relay = SmtpSettings::from_url("smtps://me%40example.org:p%3Ass@mail.example.org", "x").unwrap();
        assert_eq!((relay.port, relay.security), (465, Security::Tls));
        assert_eq!(
            relay.credentials,
            Some(("me@example.org".to_owned(), "p:ss".to_owned()))
        );
        let starttls = SmtpSettings::from_url("smtp://mail.example.org?tls=required", "x").unwrap();
        assert_eq!((starttls.port, starttls.security), (587, Security::StartTls));
        for bad in ["mail.example.org", "http://x", "smtp://:25", "smtp://host:port"] {
            assert!(SmtpSettings::from_url(bad, "x").is_err(), "{bad} is refused");
        }
    }

    #[test]
    fn passwords_stay_out_of_errors_and_debug_output() {
        let error = SmtpSettings::from_url("smtps://me:hunter2@mail.example.org:bad", "x").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(
            error.to_string().contains("smtps://me:…@mail.example.org:bad"),
            "{error}"
        );
        let relay = SmtpSettings::from_url("smtps://me:hunter2@mail.example.org", "x").unwrap();
        assert!(!format!("{relay:?}").contains("hunter2"), "{relay:?}");
        assert_eq!(
            without_password("smtp://mail.example.org/x@y"),
            "smtp://mail.example.org/x@y"
        );
    }

    #[test]
    fn bodies_are_dot_stuffed_with_crlf() {
        assert_eq!(dot_stuffed(b"a\n.b\r\n..c\nd"), b"a\r\n..b\r\n...c\r\nd\r\n");
    }
}
