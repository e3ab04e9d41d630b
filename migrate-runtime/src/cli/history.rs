//! `history`, `show` and `heads`: the chain as text, JSON or a Graphviz graph.

use std::path::Path;

use super::Format;
use crate::chain::{Chain, Position};
use crate::run::executor::format_duration;
use crate::run::ledger::{LedgerEntry, LedgerState};

/// What the ledger says of one revision, in a few words: `applied 2026-12-01
/// 23:40:03 UTC, took 12 ms`, `not applied`, `half-applied: 3 of 5 operations`.
pub(super) fn ledger_words(entry: Option<&LedgerEntry>) -> String {
    let Some(e) = entry else {
        return "not applied".into();
    };
    let took = e
        .duration
        .map(|d| format!(", took {}", format_duration(d)))
        .unwrap_or_default();
    let note = e
        .note
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    match e.state {
        LedgerState::Applied => format!("applied {} UTC{took}{note}", e.applied_at),
        LedgerState::Adopted => format!("adopted {} UTC{note}", e.applied_at),
        LedgerState::Upgrading => format!(
            "half-applied: its upgrade stopped after {} of {} operations{note}",
            e.ops_done, e.ops_total
        ),
        LedgerState::Downgrading => format!(
            "half-reverted: its downgrade stopped after {} of {} operations{note}",
            e.ops_done, e.ops_total
        ),
    }
}

pub(super) fn entry<'l>(ledger: Option<&'l [LedgerEntry]>, rev: &str) -> Option<&'l LedgerEntry> {
    ledger.and_then(|l| l.iter().find(|e| e.revision == rev))
}

pub(super) fn show_text(chain: &Chain, i: usize) -> String {
    let m = &chain.migrations()[i];
    let head = if Some(i) == chain.head_position() {
        " (head)"
    } else {
        ""
    };
    let mut s = format!(
        "Rev: {}{head}\nParent: {}\n",
        m.revision(),
        m.down_revision().unwrap_or("<base>")
    );
    if !m.file().is_empty() {
        s.push_str(&format!(
            "Path: {}\n",
            Path::new(chain.directory()).join(m.file()).display()
        ));
    }
    if !m.is_reversible() {
        s.push_str("Irreversible: yes\n");
    }
    if !m.transactional() {
        s.push_str("Transaction: no\n");
    }
    s.push_str(&format!(
        "\n    {}\n\n    Revision ID: {}\n    Revises: {}\n",
        m.message(),
        m.revision(),
        m.down_revision().unwrap_or("")
    ));
    if let Some(d) = m.create_date() {
        s.push_str(&format!("    Create Date: {d}\n"));
    }
    s.push('\n');
    s
}

use crate::run::preview::json_str;

/// What `history` shows: the range, the current position when the database
/// was asked for it, and its ledger then.
pub(super) struct View<'a> {
    pub chain: &'a Chain,
    /// Chain positions `lo..hi`, shown newest first.
    pub range: (usize, usize),
    pub verbose: bool,
    /// `Some` when the database was read: its position.
    pub current: Option<Position>,
    /// The database's ledger, when it was read.
    pub ledger: Option<&'a [LedgerEntry]>,
}

impl View<'_> {
    fn is_current(&self, i: usize) -> bool {
        self.current.is_some_and(|c| c == Some(i))
    }
}

/// The chain as `history` prints it.
pub(super) fn history(v: &View<'_>, format: Format) -> String {
    match format {
        Format::Text => text(v),
        Format::Json => json(v),
        Format::Dot => dot(v),
        Format::Mermaid => mermaid(v),
    }
}

fn text(v: &View<'_>) -> String {
    let ms = v.chain.migrations();
    let head = v.chain.head_position();
    let mut s = String::new();
    for i in (v.range.0..v.range.1).rev() {
        let m = &ms[i];
        let mut marks = Vec::new();
        if Some(i) == head {
            marks.push("head");
        }
        if v.is_current(i) {
            marks.push("current");
        }
        let marks = if marks.is_empty() {
            String::new()
        } else {
            format!(" ({})", marks.join(", "))
        };
        // The ledger shows in the verbose form only: the short one stays Alembic's.
        let ledger = v.ledger.map(|l| ledger_words(entry(Some(l), m.revision())));
        if v.verbose {
            let mut shown = show_text(v.chain, i).replacen(
                &format!(
                    "Rev: {}{}",
                    m.revision(),
                    if Some(i) == head { " (head)" } else { "" }
                ),
                &format!("Rev: {}{marks}", m.revision()),
                1,
            );
            if let Some(words) = ledger {
                shown = shown.replacen("\n\n", &format!("\nHere: {words}\n\n"), 1);
            }
            s.push_str(&shown);
        } else {
            s.push_str(&format!(
                "{} -> {}{marks}, {}\n",
                m.down_revision().unwrap_or("<base>"),
                m.revision(),
                m.message()
            ));
        }
    }
    s
}

fn json(v: &View<'_>) -> String {
    let ms = v.chain.migrations();
    let head = v.chain.head_position();
    let items: Vec<String> = (v.range.0..v.range.1)
        .rev()
        .map(|i| {
            let m = &ms[i];
            let e = entry(v.ledger, m.revision());
            let here = match (v.ledger, e) {
                (None, _) => String::new(),
                (Some(_), None) => ", \"state\": \"not applied\"".into(),
                (Some(_), Some(e)) => format!(
                    ", \"state\": {}, \"applied_at\": {}, \"took_ms\": {}",
                    json_str(&ledger_words(Some(e))),
                    json_str(&e.applied_at),
                    e.duration.map_or("null".into(), |d| d.as_millis().to_string())
                ),
            };
            format!(
                "  {{\"revision\": {}, \"down_revision\": {}, \"message\": {}, \"create_date\": {}, \"file\": {}, \"is_head\": {}, \"is_current\": {}, \"reversible\": {}, \"transactional\": {}{here}}}",
                json_str(m.revision()),
                m.down_revision().map_or("null".into(), json_str),
                json_str(m.message()),
                m.create_date().map_or("null".into(), json_str),
                json_str(m.file()),
                Some(i) == head,
                v.is_current(i),
                m.is_reversible(),
                m.transactional()
            )
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

fn dot(v: &View<'_>) -> String {
    let ms = v.chain.migrations();
    let head = v.chain.head_position();
    let mut s = String::from(
        "digraph revisions {\n    rankdir=BT;\n    node [shape=box];\n    \"<base>\" [shape=ellipse];\n",
    );
    for (i, m) in ms.iter().enumerate().take(v.range.1).skip(v.range.0) {
        let mut label = format!(
            "{}\\n{}",
            m.revision(),
            m.message().replace('\\', "\\\\").replace('"', "\\\"")
        );
        if Some(i) == head {
            label.push_str("\\n(head)");
        }
        let style = if v.is_current(i) { ", style=bold" } else { "" };
        s.push_str(&format!(
            "    \"{}\" [label=\"{label}\"{style}];\n",
            m.revision()
        ));
        s.push_str(&format!(
            "    \"{}\" -> \"{}\";\n",
            m.revision(),
            m.down_revision().unwrap_or("<base>")
        ));
    }
    s.push_str("}\n");
    s
}

/// A Mermaid flowchart, base at the bottom as in `dot`. Node ids are the
/// revisions with a prefix (a revision may be a word Mermaid reserves, such
/// as `end`); labels are quoted, with Mermaid's entity codes for what would
/// end or break them.
fn mermaid(v: &View<'_>) -> String {
    let ms = v.chain.migrations();
    let head = v.chain.head_position();
    let label = |s: &str| -> String {
        let coded: String = s
            .chars()
            .map(|c| match c {
                '"' => "#quot;".to_owned(),
                '<' => "#lt;".to_owned(),
                '>' => "#gt;".to_owned(),
                '#' => "#35;".to_owned(),
                // `%%` starts a comment or a `%%{init}` directive anywhere.
                '%' => "#37;".to_owned(),
                c if c.is_control() => " ".to_owned(),
                c => c.to_string(),
            })
            .collect();
        unkeyword(&coded)
    };
    let id = |rev: Option<&str>| rev.map_or("base".to_owned(), |r| format!("r_{r}"));
    let mut s = String::from("flowchart BT\n    base([\"#lt;base#gt;\"])\n");
    let mut classes = Vec::new();
    for (i, m) in ms.iter().enumerate().take(v.range.1).skip(v.range.0) {
        let mut text = format!("{}<br/>{}", m.revision(), label(m.message()));
        if Some(i) == head {
            text.push_str("<br/>(head)");
            classes.push(format!("    class {} head\n", id(Some(m.revision()))));
        }
        if v.is_current(i) {
            text.push_str("<br/>(current)");
            classes.push(format!("    class {} current\n", id(Some(m.revision()))));
        }
        s.push_str(&format!(
            "    {}[\"{text}\"] --> {}\n",
            id(Some(m.revision())),
            id(m.down_revision())
        ));
    }
    if v.current == Some(None) {
        classes.push("    class base current\n".into());
    }
    for c in classes {
        s.push_str(&c);
    }
    s.push_str("    classDef head stroke-width:2px\n    classDef current fill:#cfc,stroke:#080,stroke-width:3px\n");
    s
}

/// `text` with each `direction` (any case) written with an entity code for
/// its `t`: Mermaid's lexer takes `direction LR` (or TB, BT, RL) for its
/// keyword even inside a quoted label, and the diagram no longer parses.
fn unkeyword(text: &str) -> String {
    const WORD: &str = "direction";
    // ASCII lowercasing keeps every byte where it was, so offsets carry over.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(i) = lower[at..].find(WORD) {
        let start = at + i;
        out.push_str(&text[at..start + 5]);
        out.push_str(&format!("#{};", u32::from(text.as_bytes()[start + 5])));
        at = start + 6;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Migration;
    use crate::ops::Op;

    fn noop(_: &mut Op) -> crate::error::Result<()> {
        Ok(())
    }

    #[test]
    fn mermaid_marks_head_and_current_and_escapes_labels() {
        let chain = Chain::new(vec![
            Migration::new("end", None, "create \"users\" <tables>", noop, Some(noop)),
            Migration::new("b2", Some("end"), "add # email", noop, Some(noop)),
        ])
        .unwrap();
        let mut view = View {
            chain: &chain,
            range: (0, 2),
            verbose: false,
            current: Some(Some(0)),
            ledger: None,
        };
        let m = mermaid(&view);
        assert_eq!(
            m,
            "flowchart BT\n    base([\"#lt;base#gt;\"])\n    r_end[\"end<br/>create #quot;users#quot; #lt;tables#gt;<br/>(current)\"] --> base\n    r_b2[\"b2<br/>add #35; email<br/>(head)\"] --> r_end\n    class r_end current\n    class r_b2 head\n    classDef head stroke-width:2px\n    classDef current fill:#cfc,stroke:#080,stroke-width:3px\n"
        );
        view.current = Some(None);
        assert!(mermaid(&view).contains("    class base current\n"));
        view.current = None;
        assert!(!mermaid(&view).contains("current\n    class"));
        assert!(!mermaid(&view).contains("(current)"));
    }

    #[test]
    fn mermaid_labels_cannot_hold_its_keywords_or_directives() {
        let chain = Chain::new(vec![Migration::new(
            "a1",
            None,
            "Direction LR for 100% %%{init: {}}%% redirection",
            noop,
            Some(noop),
        )])
        .unwrap();
        let view = View {
            chain: &chain,
            range: (0, 1),
            verbose: false,
            current: None,
            ledger: None,
        };
        let m = mermaid(&view);
        assert!(
            m.contains("Direc#116;ion LR for 100#37; #37;#37;{init: {}}#37;#37; redirec#116;ion"),
            "{m}"
        );
        assert!(!m.to_ascii_lowercase().contains("direction"), "{m}");
        assert!(!m.contains("%%"), "{m}");
        assert_eq!(unkeyword("DIRECTION"), "DIREC#84;ION");
        assert_eq!(unkeyword("é direction é"), "é direc#116;ion é");
    }

    #[test]
    fn json_escaping() {
        // The short escape for a newline, \u00XX for the other control characters.
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
