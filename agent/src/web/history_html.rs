//! The history on the page: one row per entry (when, cause, commit, the worst state of
//! each target, counts), each expandable (`<details>`, no script) to its items and
//! diffs, paginated with plain links; and `/history/ID`, one entry on its own page.

use super::html::Html;
use super::page_data::PageData;
use crate::history::{time, Entry, EntryState, ItemKind, Rollup};
use crate::mask::Masker;

fn rollup_class(r: Rollup) -> &'static str {
    match r {
        Rollup::Ready => "ok",
        Rollup::Drifted => "warn",
        Rollup::Applying => "run",
        Rollup::Failed => "bad",
    }
}

fn summary(h: &mut Html<'_>, e: &Entry) {
    h.raw("<span class=\"when\">")
        .text(&time::format_ms(e.started))
        .raw("</span>");
    match e.state {
        EntryState::Running => h.raw("<span class=\"badge run\">running</span>"),
        EntryState::Interrupted => h.raw("<span class=\"badge bad\">interrupted</span>"),
        EntryState::Finished => h,
    };
    h.raw("<span class=\"badge idle\">")
        .text(e.cause.as_str())
        .raw("</span>");
    match e.source {
        crate::history::Source::Apply => {
            h.raw("<span class=\"badge idle\">agent apply</span>");
        }
        crate::history::Source::Drill => {
            h.raw("<span class=\"badge idle\">agent drill</span>");
        }
        crate::history::Source::Run => {}
    }
    h.raw("<code>")
        .text(&e.commit.chars().take(12).collect::<String>())
        .raw("</code>");
    for (t, r) in &e.targets {
        h.raw("<span class=\"badge ")
            .raw(rollup_class(*r))
            .raw("\">")
            .text(&format!("{t}: {}", r.as_str()))
            .raw("</span>");
    }
    h.raw("<span class=\"mute\">");
    h.num(e.applied)
        .raw(" applied · ")
        .num(e.drift)
        .raw(" drift · ")
        .num(e.errors)
        .raw(" failed");
    if let Some(ms) = e.duration_ms {
        h.raw(" · ").num(ms).raw(" ms");
    }
    if e.repeats > 1 {
        h.raw(" · ×")
            .num(e.repeats)
            .raw(" until ")
            .text(&e.finished.map(time::format_ms).unwrap_or_default());
    }
    h.raw("</span>");
}

/// An entry's items: changes with their diffs, host steps, errors, health.
pub fn items(h: &mut Html<'_>, e: &Entry) {
    if e.items.is_empty() {
        h.raw("<p class=\"empty\">");
        h.raw(match e.state {
            EntryState::Interrupted => "The agent was stopped mid-cycle (killed): what it did is not recorded; the next cycle compares again and converges.",
            EntryState::Running => "Running now.",
            EntryState::Finished => "Nothing to do: every target in sync.",
        });
        h.raw("</p>");
        return;
    }
    for i in &e.items {
        let class = match (i.kind, i.action.as_str()) {
            (ItemKind::Applied, _)
            | (ItemKind::Step, "applied")
            | (ItemKind::Health, "healthy") => "ok",
            (ItemKind::Drift, _) => "warn",
            _ => "bad",
        };
        h.raw("<div class=\"obj\"><span class=\"badge ")
            .raw(class)
            .raw("\">")
            .text(i.kind.as_str())
            .raw("</span> <span class=\"mute\">")
            .text(&i.target)
            .raw("</span> <b>")
            .text(i.host.as_deref().unwrap_or("(cluster)"))
            .raw("</b> <span class=\"path\">")
            .text(&i.object)
            .raw("</span> <span class=\"mute\">")
            .text(&i.action)
            .raw("</span>");
        if !i.message.is_empty() {
            h.raw("<div>").text(&i.message).raw("</div>");
        }
        for n in &i.notes {
            h.raw("<div class=\"mute\">note: ").text(n).raw("</div>");
        }
        if let Some(d) = &i.diff {
            h.diff(d);
        }
        h.raw("</div>");
    }
}

pub fn list(h: &mut Html<'_>, d: &PageData<'_>) {
    h.raw("<section id=\"history\"><h2>History <small>");
    h.num(d.total)
        .raw(" entries · newest first · click an entry for its diffs</small></h2>");
    if d.history.is_empty() {
        h.raw("<p class=\"empty\">No history yet.</p>");
    }
    for e in d.history {
        h.raw("<details><summary>");
        summary(h, e);
        h.raw(" <a href=\"/history/")
            .num(e.id)
            .raw("\">#")
            .num(e.id)
            .raw("</a></summary><div class=\"body\">");
        items(h, e);
        h.raw("</div></details>");
    }
    let pages = d.total.div_ceil(u64::from(d.per_page.max(1))).max(1);
    h.raw("<div class=\"pager\">");
    if d.page > 1 {
        h.raw("<a href=\"/?page=")
            .num(d.page - 1)
            .raw("#history\">← newer</a>");
    }
    h.raw("<span class=\"mute\">page ")
        .num(d.page)
        .raw(" of ")
        .num(pages)
        .raw("</span>");
    if u64::from(d.page) < pages {
        h.raw("<a href=\"/?page=")
            .num(d.page + 1)
            .raw("#history\">older →</a>");
    }
    h.raw("</div></section>");
}

/// `/history/ID`: one entry, its items expanded; no refresh.
pub fn entry_page(e: &Entry, masker: &Masker) -> String {
    let mut h = Html::new(masker);
    h.raw(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>agent — history #",
    );
    h.num(e.id).raw("</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body><header><h1>agent</h1><span class=\"kv\"><a href=\"/\">← platform</a></span></header><main><section><h2>History entry #");
    h.num(e.id).raw("</h2><p>");
    summary(&mut h, e);
    h.raw("</p>");
    items(&mut h, e);
    h.raw("</section></main></body></html>");
    h.finish()
}
