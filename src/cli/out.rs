//! Output: human tables or one JSON object per line, and the error type that decides the exit status.

use std::fmt;
use std::io::Write;

use serde::Serialize;

/// Exit statuses (DESIGN.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// Bad usage or bad input; nothing was sent.
    Usage = 2,
    /// The exchange refused the request.
    Rejected = 3,
    /// Network or TLS failure (after bounded retries).
    Network = 4,
    /// Authentication failed.
    Auth = 5,
}

/// A command's failure: what to tell the user and how to exit. Messages never contain a secret.
#[derive(Debug, Clone)]
pub struct CliError {
    pub exit: Exit,
    /// The exchange's error code when it gave one, else the exit status.
    pub code: i64,
    pub message: String,
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Usage,
            code: Exit::Usage as i64,
            message: message.into(),
        }
    }
    pub fn network(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Network,
            code: Exit::Network as i64,
            message: message.into(),
        }
    }
    pub fn rejected(code: i64, message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Rejected,
            code,
            message: message.into(),
        }
    }
    pub fn auth(code: i64, message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Auth,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

pub type CliResult<T = ()> = Result<T, CliError>;

#[derive(Serialize)]
struct ErrorLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    code: i64,
    message: &'a str,
    exit: i32,
}

/// Where a command writes. Lines are flushed one by one: a script reading a pipe sees each as it happens.
#[derive(Clone, Copy, Debug)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// One JSON object per line (with `--json`).
    pub fn json_line<T: Serialize>(&self, v: &T) {
        let mut o = std::io::stdout().lock();
        if serde_json::to_writer(&mut o, v).is_ok() {
            let _ = o.write_all(b"\n");
        }
        let _ = o.flush();
    }

    /// A line already serialized as JSON.
    pub fn raw_line(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{s}");
        let _ = o.flush();
    }

    /// A human line (without `--json`).
    pub fn text(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{s}");
        let _ = o.flush();
    }

    /// A note on stderr (quantization, fallbacks); plain text in both modes so it never mixes with JSON on stdout.
    pub fn note(&self, s: &str) {
        eprintln!("note: {s}");
    }

    /// A warning on stderr: something optional failed and the command goes on with defaults.
    pub fn warn(&self, s: &str) {
        eprintln!("warning: {s}");
    }

    pub fn error(&self, e: &CliError) {
        if self.json {
            let line = ErrorLine {
                kind: "error",
                code: e.code,
                message: &e.message,
                exit: e.exit as i32,
            };
            if let Ok(s) = serde_json::to_string(&line) {
                eprintln!("{s}");
            }
        } else {
            eprintln!("error: {}", e.message);
        }
    }
}

/// Renders rows as aligned columns (numbers right-aligned when the header says so).
pub fn table(headers: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.len());
            }
        }
    }
    let mut s = String::new();
    let line = |s: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for (i, c) in cells.enumerate() {
            if !first {
                s.push_str("  ");
            }
            first = false;
            let width = w.get(i).copied().unwrap_or(0);
            if right.get(i).copied().unwrap_or(false) {
                s.push_str(&format!("{c:>width$}"));
            } else {
                s.push_str(&format!("{c:<width$}"));
            }
        }
        while s.ends_with(' ') {
            s.pop();
        }
        s.push('\n');
    };
    line(&mut s, &mut headers.iter().copied());
    for r in rows {
        line(&mut s, &mut r.iter().map(String::as_str));
    }
    s.pop();
    s
}
