//! Progress lines from inside a data step (`Op::run_in_batches`) to whoever
//! runs the migration ([`crate::Migrator::on_progress`]). A data step gets only
//! the connection, so the sink is set for the thread while a run is going.

use std::cell::RefCell;
use std::rc::Rc;

/// What receives progress lines.
pub(crate) type Sink = Rc<RefCell<dyn FnMut(&str)>>;

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Sends a progress line to the run's sink, if it has one.
pub(crate) fn report(line: &str) {
    let sink = SINK.with(|s| s.borrow().clone());
    if let Some(sink) = sink {
        (sink.borrow_mut())(line);
    }
}

/// Runs `body` with `sink` receiving the progress lines sent meanwhile.
pub(crate) fn with_sink<T>(sink: Option<Sink>, body: impl FnOnce() -> T) -> T {
    /// Puts the sink before back, also when `body` panics.
    struct Restore(Option<Sink>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            SINK.with(|s| *s.borrow_mut() = before);
        }
    }
    let _restore = Restore(SINK.with(|s| s.replace(sink)));
    body()
}
