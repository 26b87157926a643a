//! `backfill`'s progress on a terminal: a bar over the bytes read, a line per checkpoint.

use indicatif::{ProgressBar, ProgressStyle};

use crate::pipeline::backfill::Event;

pub(super) fn progress_bar(total_bytes: u64) -> ProgressBar {
    ProgressBar::new(total_bytes).with_style(
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} read, {msg} [{elapsed_precise}, ETA {eta}]",
        )
        .expect("valid template"),
    )
}

/// Moves the bar as the input is read; a line per checkpoint and per skipped line.
pub(super) fn show_progress(bar: &ProgressBar) -> impl FnMut(Event) + '_ {
    move |event| match event {
        Event::Read(n) => bar.inc(n),
        Event::Skipped(e) => bar.suspend(|| eprintln!("skipped: {e}")),
        Event::Checkpoint {
            added,
            summary,
            history_papers,
            elapsed,
        } => {
            let rate = summary.added as f64 / summary.embed_seconds.max(1e-9);
            bar.set_message(format!("{} added, {rate:.1} abstracts/s", summary.added));
            bar.suspend(|| {
                eprintln!(
                    "checkpoint: +{added}, {} added this run, {history_papers} in the history \
                     ({rate:.1} abstracts/s, {elapsed:.0} s)",
                    summary.added
                )
            });
        }
        Event::Indexed(n) => bar.suspend(|| eprintln!("ANN index: +{n} papers")),
    }
}
