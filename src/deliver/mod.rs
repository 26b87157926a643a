//! Delivery: tell the reader the digest is ready, through a Slack-compatible incoming
//! webhook or e-mail (SMTP).
//!
//! Both are off unless `arxrank.toml` turns them on. Secrets (the webhook URL, which lets
//! anyone holding it post; SMTP credentials) are read only from environment variables and
//! never printed: errors name the variable and the server's host, nothing more. What was
//! delivered is recorded per day in `delivered.json`, so a failed delivery is retried by the
//! next run and a successful one is never repeated.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fsutil::{write_atomic, IoError};
use crate::render::{escape_html, RenderError};
use crate::render::{read_run_json, read_scores_json, scores_path, DigestPaper};

/// Environment variable holding the webhook URL.
pub const WEBHOOK_URL_ENV: &str = "ARXRANK_WEBHOOK_URL";
/// Environment variables holding the SMTP user name and password.
pub const SMTP_USER_ENV: &str = "ARXRANK_SMTP_USER";
pub const SMTP_PASSWORD_ENV: &str = "ARXRANK_SMTP_PASSWORD";

/// The day folder's record of what was delivered.
pub const DELIVERED_FILE: &str = "delivered.json";

fn default_top() -> usize {
    10
}

/// The `[delivery]` table of `arxrank.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub webhook: Option<WebhookConfig>,
    pub email: Option<EmailConfig>,
}

/// `[delivery.webhook]`: post the top picks to `$ARXRANK_WEBHOOK_URL` (Slack's incoming
/// webhook format, which Mattermost, Rocket.Chat and Discord's `/slack` endpoint accept).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// How many picks the message lists.
    #[serde(default = "default_top")]
    pub top: usize,
    /// Where the site is published; the message links to the day's page there.
    pub site_url: Option<String>,
    /// The environment variable holding the URL, when not `$ARXRANK_WEBHOOK_URL`: each
    /// `[[profile]]` can post to its own channel.
    pub url_env: Option<String>,
    /// Refused with a message: the URL is a secret and belongs in the environment.
    url: Option<toml::Value>,
}

impl WebhookConfig {
    /// The environment variable its URL is read from.
    pub fn url_env(&self) -> &str {
        self.url_env.as_deref().unwrap_or(WEBHOOK_URL_ENV)
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine (127.0.0.1, ::1, localhost).
    None,
}

/// `[delivery.email]`: mail the top picks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub to: Vec<String>,
    pub from: String,
    pub server: String,
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: TlsMode,
    #[serde(default = "default_top")]
    pub top: usize,
    pub site_url: Option<String>,
    /// Refused with a message: credentials belong in the environment.
    password: Option<toml::Value>,
    user: Option<toml::Value>,
}

impl Delivery {
    /// Whether anything is to be delivered.
    pub fn is_on(&self) -> bool {
        self.webhook.is_some() || self.email.is_some()
    }

    /// Checks what parsing cannot: no secrets in the file, addresses that parse, no
    /// plaintext SMTP to another machine.
    pub fn check(&self) -> Result<(), String> {
        if let Some(w) = &self.webhook {
            let name_ok = |n: &str| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            };
            if let Some(n) = w.url_env.as_deref().filter(|n| !name_ok(n)) {
                return Err(format!(
                    "[delivery.webhook] url_env {n:?}: expected the name of an environment \
                     variable (A-Z, 0-9, _), such as \"ARXRANK_WEBHOOK_URL_LAB\""
                ));
            }
            if w.url.is_some() {
                return Err(format!(
                    "[delivery.webhook] url: the webhook URL is a secret (anyone holding it can \
                     post); put it in the environment variable {WEBHOOK_URL_ENV}, not in the file"
                ));
            }
        }
        if let Some(e) = &self.email {
            if e.password.is_some() || e.user.is_some() {
                return Err(format!(
                    "[delivery.email]: credentials are read only from the environment variables \
                     {SMTP_USER_ENV} and {SMTP_PASSWORD_ENV}; remove `user`/`password` from the file"
                ));
            }
            if e.to.is_empty() {
                return Err("[delivery.email] to: no recipients".into());
            }
            for a in e.to.iter().chain([&e.from]) {
                a.parse::<lettre::message::Mailbox>().map_err(|err| {
                    format!("[delivery.email]: {a:?} is not an e-mail address: {err}")
                })?;
            }
            if e.tls == TlsMode::None && !is_loopback(&e.server) {
                return Err(format!(
                    "[delivery.email] tls = \"none\" sends mail and credentials unencrypted; it is \
                     allowed only for a relay on this machine, not {:?}",
                    e.server
                ));
            }
        }
        Ok(())
    }

    /// One line per channel, for `--show-config` (no secrets: only whether they are set).
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(w) = &self.webhook {
            lines.push(format!(
                "webhook: top {} to ${} ({})",
                w.top,
                w.url_env(),
                if std::env::var_os(w.url_env()).is_some() {
                    "set"
                } else {
                    "NOT set"
                }
            ));
        }
        if let Some(e) = &self.email {
            lines.push(format!(
                "email: top {} to {} via {}:{} (tls {}; credentials from ${SMTP_USER_ENV}/${SMTP_PASSWORD_ENV}: {})",
                e.top,
                e.to.join(", "),
                e.server,
                e.port(),
                format!("{:?}", e.tls).to_lowercase(),
                if std::env::var_os(SMTP_USER_ENV).is_some() {
                    "set"
                } else {
                    "not set"
                }
            ));
        }
        if lines.is_empty() {
            lines.push("off".into());
        }
        lines
    }
}

impl EmailConfig {
    fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
            TlsMode::None => 25,
        })
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Digest(#[from] RenderError),
    #[error("webhook: {0}")]
    Webhook(String),
    #[error("e-mail: {0}")]
    Email(String),
}

/// The day's picks as a message carries them.
#[derive(Debug, Clone)]
pub struct DayPicks {
    pub date: crate::ingest::Day,
    pub scanned: usize,
    pub picks: Vec<DigestPaper>,
}

impl DayPicks {
    /// Reads a day's digest folder (`run.json` and `scores.json`), picks in rank order.
    pub fn load(day_dir: &Path) -> Result<Self, DeliverError> {
        let run = read_run_json(&day_dir.join("run.json"))?;
        let mut picks = read_scores_json(&scores_path(day_dir, &run), |p| p.arxrank.selected)?;
        picks.sort_by_key(|p| p.arxrank.rank);
        Ok(Self {
            date: run.date,
            scanned: run.scanned,
            picks,
        })
    }

    fn headline(&self) -> String {
        format!(
            "arxrank: {} {} for {} ({} papers scanned)",
            self.picks.len(),
            if self.picks.len() == 1 {
                "pick"
            } else {
                "picks"
            },
            self.date,
            self.scanned
        )
    }

    fn day_page(&self, site_url: Option<&str>) -> Option<String> {
        site_url.map(|u| format!("{}/days/{}.html", u.trim_end_matches('/'), self.date))
    }
}

fn abs_url(p: &DigestPaper) -> String {
    format!("https://arxiv.org/abs/{}", p.id)
}

/// Slack's escaping for message text: `&`, `<` and `>` are its control characters (a
/// title holding `<https://evil|click>` would otherwise become a link).
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The webhook's JSON body: Slack's `text` (mrkdwn), which every compatible receiver shows.
pub fn webhook_body(day: &DayPicks, cfg: &WebhookConfig) -> serde_json::Value {
    let mut text = slack_escape(&day.headline());
    for p in day.picks.iter().take(cfg.top) {
        // `|` ends a link's label in Slack's syntax.
        let title = slack_escape(&p.title).replace('|', "/");
        text.push_str(&format!(
            "\n• <{}|{}> (relevance {}{})\n    {}",
            abs_url(p),
            title,
            p.relevance,
            p.novelty
                .map_or(String::new(), |n| format!(", novelty {n}")),
            slack_escape(&p.comment)
        ));
    }
    if day.picks.len() > cfg.top {
        text.push_str(&format!("\n… and {} more", day.picks.len() - cfg.top));
    }
    if let Some(page) = day.day_page(cfg.site_url.as_deref()) {
        text.push_str(&format!("\n<{page}|The whole digest>"));
    }
    serde_json::json!({ "text": text })
}

/// Posts the day's picks to the webhook in `$ARXRANK_WEBHOOK_URL` (or the variable
/// `url_env` names).
pub fn send_webhook(day: &DayPicks, cfg: &WebhookConfig) -> Result<(), DeliverError> {
    let var = cfg.url_env();
    let url = std::env::var(var).map_err(|_| {
        DeliverError::Webhook(format!(
            "the environment variable {var} (the webhook's URL) is not set"
        ))
    })?;
    let host = redacted(&url);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .user_agent(&crate::net::user_agent(None))
        .build();
    match agent.post(&url).send_json(webhook_body(day, cfg)) {
        Ok(_) => Ok(()),
        Err(ureq::Error::Status(code, r)) => Err(DeliverError::Webhook(format!(
            "{host} answered {code} {}",
            r.status_text()
        ))),
        Err(ureq::Error::Transport(t)) => Err(DeliverError::Webhook(format!(
            "cannot reach {host}: {}",
            t.kind()
        ))),
    }
}

/// A URL shown without its path and query, where webhook secrets live.
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or(host);
            format!("{scheme}://{host}/…")
        }
        None => "the webhook URL".into(),
    }
}

/// The e-mail: a plain-text part and an HTML part, every paper field escaped in the latter.
pub fn email_message(day: &DayPicks, cfg: &EmailConfig) -> Result<lettre::Message, DeliverError> {
    use lettre::message::{header::ContentType, MultiPart, SinglePart};
    let bad = |e: String| DeliverError::Email(e);
    let mut plain = format!("{}\n", day.headline());
    let mut html = format!("<h2>{}</h2>\n<ol>\n", escape_html(&day.headline()));
    for p in day.picks.iter().take(cfg.top) {
        let novelty = p
            .novelty
            .map_or(String::new(), |n| format!(", novelty {n}"));
        plain.push_str(&format!(
            "\n* {} (relevance {}{novelty})\n  {}\n  {}\n",
            p.title,
            p.relevance,
            abs_url(p),
            p.comment
        ));
        html.push_str(&format!(
            "<li><a href=\"{}\">{}</a> (relevance {}{novelty})<br><small>{}</small></li>\n",
            escape_html(&abs_url(p)),
            escape_html(&p.title),
            p.relevance,
            escape_html(&p.comment)
        ));
    }
    html.push_str("</ol>\n");
    if day.picks.len() > cfg.top {
        let more = format!("… and {} more.", day.picks.len() - cfg.top);
        plain.push_str(&format!("\n{more}\n"));
        html.push_str(&format!("<p>{more}</p>\n"));
    }
    if let Some(page) = day.day_page(cfg.site_url.as_deref()) {
        plain.push_str(&format!("\nThe whole digest: {page}\n"));
        html.push_str(&format!(
            "<p><a href=\"{0}\">The whole digest</a></p>\n",
            escape_html(&page)
        ));
    }
    let mut builder = lettre::Message::builder()
        .from(
            cfg.from
                .parse()
                .map_err(|e| bad(format!("from {:?}: {e}", cfg.from)))?,
        )
        .subject(day.headline());
    for to in &cfg.to {
        builder = builder.to(to.parse().map_err(|e| bad(format!("to {to:?}: {e}")))?);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(plain),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )
        .map_err(|e| bad(e.to_string()))
}

/// Sends the day's picks by SMTP, credentials from the environment when both are set.
pub fn send_email(day: &DayPicks, cfg: &EmailConfig) -> Result<(), DeliverError> {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    use lettre::Transport;
    let server = format!("{}:{}", cfg.server, cfg.port());
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        DeliverError::Email(format!("{server}: {what}: {e}"))
    };
    let message = email_message(day, cfg)?;
    let tls = match cfg.tls {
        TlsMode::None => Tls::None,
        mode => {
            let params =
                TlsParameters::new(cfg.server.clone()).map_err(|e| fail("TLS setup", &e))?;
            if mode == TlsMode::Tls {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            }
        }
    };
    let mut builder = lettre::SmtpTransport::builder_dangerous(&cfg.server)
        .port(cfg.port())
        .tls(tls)
        .timeout(Some(Duration::from_secs(60)));
    match (
        std::env::var(SMTP_USER_ENV),
        std::env::var(SMTP_PASSWORD_ENV),
    ) {
        (Ok(user), Ok(password)) => builder = builder.credentials(Credentials::new(user, password)),
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
            return Err(DeliverError::Email(format!(
                "set both {SMTP_USER_ENV} and {SMTP_PASSWORD_ENV}, or neither"
            )))
        }
        _ => {}
    }
    builder
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|e| fail("sending failed", &e))
}

/// What was delivered for a day: channel name → when.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Delivered {
    #[serde(flatten)]
    pub channels: std::collections::BTreeMap<String, String>,
}

impl Delivered {
    fn path(day_dir: &Path) -> PathBuf {
        day_dir.join(DELIVERED_FILE)
    }

    /// The day's record; none yet is an empty one.
    pub fn load(day_dir: &Path) -> Result<Self, DeliverError> {
        let path = Self::path(day_dir);
        match fs_err::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                DeliverError::Digest(RenderError::Invalid {
                    path: path.clone(),
                    what: e.to_string(),
                })
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(IoError::read(&path)(e).into()),
        }
    }

    fn save(&self, day_dir: &Path) -> Result<(), DeliverError> {
        let path = Self::path(day_dir);
        let text = serde_json::to_string_pretty(self).expect("a map of strings serialises");
        write_atomic(&path, text.as_bytes())?;
        Ok(())
    }
}

/// What [`deliver_day`] did, per channel.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sent: Vec<&'static str>,
    pub already: Vec<&'static str>,
    pub failed: Vec<DeliverError>,
}

/// One channel's send, deferred until the record says it is still pending.
type Sender<'a> = Box<dyn Fn() -> Result<(), DeliverError> + 'a>;

/// Delivers the day on every configured channel not yet delivered, recording each success
/// at once, so that one channel's failure neither loses the digest nor repeats the others.
pub fn deliver_day(day_dir: &Path, delivery: &Delivery) -> Result<Outcome, DeliverError> {
    let mut out = Outcome::default();
    if !delivery.is_on() {
        return Ok(out);
    }
    let mut record = Delivered::load(day_dir)?;
    let day = DayPicks::load(day_dir)?;
    let mut channels: Vec<(&'static str, Sender<'_>)> = Vec::new();
    if let Some(w) = &delivery.webhook {
        channels.push(("webhook", Box::new(|| send_webhook(&day, w))));
    }
    if let Some(e) = &delivery.email {
        channels.push(("email", Box::new(|| send_email(&day, e))));
    }
    for (name, send) in channels {
        if record.channels.contains_key(name) {
            out.already.push(name);
            continue;
        }
        match send() {
            Ok(()) => {
                record.channels.insert(
                    name.to_owned(),
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                );
                record.save(day_dir)?;
                out.sent.push(name);
            }
            Err(e) => out.failed.push(e),
        }
    }
    Ok(out)
}

/// Checks that `address` is an e-mail address (`a@b.org` or `Name <a@b.org>`), as a
/// mailbox is parsed when mail is sent; the error says what is wrong with it.
pub fn parse_mailbox(address: &str) -> Result<(), String> {
    address
        .parse::<lettre::message::Mailbox>()
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_file_are_refused() {
        let d: Delivery =
            toml::from_str("[webhook]\nurl = \"https://hooks.example/T/B/x\"\n").unwrap();
        assert!(d.check().unwrap_err().contains(WEBHOOK_URL_ENV));
        let d: Delivery = toml::from_str(
            "[email]\nto = [\"a@b.org\"]\nfrom = \"c@d.org\"\nserver = \"smtp.d.org\"\npassword = \"hunter2\"\n",
        )
        .unwrap();
        let e = d.check().unwrap_err();
        assert!(
            e.contains(SMTP_PASSWORD_ENV) && !e.contains("hunter2"),
            "{e}"
        );
    }

    #[test]
    fn plaintext_smtp_only_to_this_machine() {
        let mk = |server: &str| -> Delivery {
            toml::from_str(&format!(
                "[email]\nto = [\"a@b.org\"]\nfrom = \"c@d.org\"\nserver = \"{server}\"\ntls = \"none\"\n"
            ))
            .unwrap()
        };
        assert!(mk("127.0.0.1").check().is_ok());
        assert!(mk("localhost").check().is_ok());
        assert!(mk("smtp.d.org")
            .check()
            .unwrap_err()
            .contains("unencrypted"));
    }

    #[test]
    fn urls_are_shown_without_their_secret_path() {
        assert_eq!(
            redacted("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            redacted("http://user:pw@127.0.0.1:8080/x?t=1"),
            "http://127.0.0.1:8080/…"
        );
    }

    #[test]
    fn slack_control_characters_are_escaped() {
        assert_eq!(
            slack_escape("<https://evil|click> & <!channel>"),
            "&lt;https://evil|click&gt; &amp; &lt;!channel&gt;"
        );
    }
}
