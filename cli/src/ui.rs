//! What the operator sees: progress on stderr (only on a terminal), the
//! summary on stderr, or one JSON object on stdout with `--json`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};

/// Output settings of one run.
#[derive(Debug)]
pub(crate) struct Ui {
    json: bool,
    progress: bool,
    start: Instant,
}

impl Ui {
    pub(crate) fn new(json: bool, quiet: bool) -> Self {
        Ui {
            json,
            progress: !quiet && std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// Whether the summary is JSON.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    fn bar(&self, bar: ProgressBar) -> ProgressBar {
        if self.progress {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(120));
        } else {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar
    }

    /// A bar over `total` bytes of input (canonicalization).
    pub(crate) fn bytes(&self, message: &'static str, total: u64) -> ProgressBar {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
            .with_message(message);
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>18} [{bar:32}] {bytes}/{total_bytes} ({eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        self.bar(bar)
    }

    /// A spinner for a step the library runs in one call (blinding,
    /// comparison), with the number of items it works on.
    pub(crate) fn step(&self, message: String) -> ProgressBar {
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_message(message);
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        self.bar(bar)
    }

    /// Prints the summary (with the step's wall time, `seconds`): for people
    /// on stderr, or as one JSON object on stdout.
    pub(crate) fn summary(&self, title: &str, mut fields: Map<String, Value>) {
        fields.insert("seconds".into(), Value::from(seconds(self.start.elapsed())));
        if self.json {
            let mut all = Map::new();
            all.insert("ok".into(), Value::Bool(true));
            all.insert("step".into(), Value::String(title.to_owned()));
            all.extend(fields);
            println!("{}", Value::Object(all));
            return;
        }
        eprintln!("blindmatch {title}:");
        for (k, v) in fields {
            let shown = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            eprintln!("  {:<22} {shown}", k.replace('_', " "));
        }
    }

    /// Reports a failure: on stderr, and as JSON on stdout with `--json`.
    pub(crate) fn failure(&self, f: &crate::fail::Failure) {
        if self.json {
            let mut all = Map::new();
            all.insert("ok".into(), Value::Bool(false));
            all.insert("exit_code".into(), Value::from(f.class.code()));
            all.insert("class".into(), Value::String(f.class.name().to_owned()));
            if let Some(code) = f.code {
                all.insert("code".into(), Value::String(code.to_owned()));
            }
            all.insert("message".into(), Value::String(f.message.clone()));
            println!("{}", Value::Object(all));
        }
        eprintln!("blindmatch: error: {f}");
    }

    /// A note for people (stderr), not shown with `--json`.
    pub(crate) fn note(&self, text: &str) {
        if !self.json {
            eprintln!("note: {text}");
        }
    }
}

/// Seconds, rounded to milliseconds, for summaries.
pub(crate) fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}
