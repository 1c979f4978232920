//! Progress bars on stderr for the long steps (reading input files, decoding partitions,
//! writing, bucketing, deleting files, indexing, reading footers).
//!
//! A bar exists only when stderr is a terminal and `--quiet` is not given, so pipes, files
//! and CI logs never see bar output. The bar is driven by the parallel front end's
//! [`Progress`] reports; one bar is reused for every step of a command and cleared when the
//! command ends, so only the command's summary line remains.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plateau_io_parallel::progress::{Progress, Step};

const TEMPLATE: &str = "{msg:>20} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}";

/// The progress bar of one command (possibly not drawn at all).
pub struct Bar {
    bar: ProgressBar,
    /// Where to draw, handed to the bar when the first step starts, so that it never draws
    /// a bar without a message and length.
    target: Mutex<Option<ProgressDrawTarget>>,
}

impl Bar {
    /// A bar on stderr when stderr is a terminal and `quiet` is false; otherwise none.
    pub fn for_stderr(quiet: bool) -> Option<Arc<Bar>> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        Some(Arc::new(Self::with_target(ProgressDrawTarget::stderr())))
    }

    /// A bar drawing to `target`.
    pub fn with_target(target: ProgressDrawTarget) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        // The template is a constant; should it ever fail to parse, the default style is
        // still a usable bar.
        if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
            bar.set_style(style.progress_chars("=> "));
        }
        Bar {
            bar,
            target: Mutex::new(Some(target)),
        }
    }

    /// Starts a step of the command itself (not of the parallel front end).
    pub fn start(&self, what: &'static str, total: u64) {
        self.bar.reset();
        self.bar.set_length(total);
        self.bar.set_message(what);
        let target = self.target.lock().ok().and_then(|mut target| target.take());
        if let Some(target) = target {
            self.bar.set_draw_target(target);
        }
    }

    /// One more unit of the current step.
    pub fn tick(&self) {
        self.bar.inc(1);
    }

    /// Removes the bar from the terminal (it is drawn again by the next report).
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }

    /// Units done and the total of the current step.
    #[cfg(test)]
    pub fn state(&self) -> (u64, Option<u64>) {
        (self.bar.position(), self.bar.length())
    }
}

impl Progress for Bar {
    fn begin(&self, step: Step, total: u64) {
        self.start(step.describe(), total);
    }

    fn advance(&self, units: u64) {
        self.bar.inc(units);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_steps_reported() {
        let bar = Bar::with_target(ProgressDrawTarget::hidden());
        bar.begin(Step::ReadGroups, 10);
        bar.advance(3);
        bar.advance(4);
        assert_eq!(bar.state(), (7, Some(10)));
        // A new step starts from zero.
        bar.begin(Step::DeleteFiles, 2);
        assert_eq!(bar.state(), (0, Some(2)));
        bar.start("reading inputs", 5);
        bar.tick();
        assert_eq!(bar.state(), (1, Some(5)));
    }

    #[test]
    fn no_bar_without_a_terminal_or_when_quiet() {
        // Under `cargo test` stderr is captured, so it is not a terminal.
        if !std::io::stderr().is_terminal() {
            assert!(Bar::for_stderr(false).is_none());
        }
        assert!(Bar::for_stderr(true).is_none());
    }
}
