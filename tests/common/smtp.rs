//! A local SMTP sink on 127.0.0.1: speaks enough ESMTP (EHLO, AUTH PLAIN/LOGIN, MAIL,
//! RCPT, DATA, QUIT) for a real client, and keeps every message with its envelope and the
//! credentials it was sent with.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;

#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed.
    pub data: String,
    /// `user\0password` decoded from AUTH, if the client authenticated.
    pub auth: Option<String>,
}

pub struct Sink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Sink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let log = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = session(stream, &log);
                });
            }
        });
        Self { port, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

fn b64(s: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn session(stream: std::net::TcpStream, log: &Mutex<Vec<Mail>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    let mut say = |s: &str| out.write_all(format!("{s}\r\n").as_bytes());
    say("220 localhost ESMTP arxrank-test-sink")?;
    let mut mail = Mail::default();
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            say("250-localhost")?;
            say("250-AUTH PLAIN LOGIN")?;
            say("250 8BITMIME")?;
        } else if upper.starts_with("AUTH PLAIN") {
            let arg = cmd[10..].trim();
            let creds = if arg.is_empty() {
                say("334 ")?;
                line.clear();
                input.read_line(&mut line)?;
                b64(&line)
            } else {
                b64(arg)
            };
            mail.auth = Some(creds.trim_start_matches('\0').to_owned());
            say("235 2.7.0 Authentication successful")?;
        } else if upper.starts_with("AUTH LOGIN") {
            say("334 VXNlcm5hbWU6")?;
            line.clear();
            input.read_line(&mut line)?;
            let user = b64(&line);
            say("334 UGFzc3dvcmQ6")?;
            line.clear();
            input.read_line(&mut line)?;
            mail.auth = Some(format!("{user}\0{}", b64(&line)));
            say("235 2.7.0 Authentication successful")?;
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = cmd[10..].trim().to_owned();
            say("250 OK")?;
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(cmd[8..].trim().to_owned());
            say("250 OK")?;
        } else if upper == "DATA" {
            say("354 End data with <CR><LF>.<CR><LF>")?;
            let mut data = String::new();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            mail.data = data;
            log.lock().unwrap().push(mail.clone());
            say("250 OK queued")?;
        } else if upper == "QUIT" {
            say("221 Bye")?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            say("250 OK")?;
        } else {
            say("502 Command not implemented")?;
        }
    }
}
