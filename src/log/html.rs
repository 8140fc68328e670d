//! A decoded line as HTML with GitLab's classes, so that a page styled with
//! GitLab's own job-log stylesheet shows the log as GitLab's job page does.

use super::event::LogLine;

/// The line's text as escaped HTML, each styled span in a `<span>` with its
/// GitLab classes ([`Style::gitlab_classes`]); text GitLab gives no class
/// is left bare. A line decoded without styles is escaped text alone.
///
/// ```
/// use gitlab_jobs::log::{self, LogDecoder, LogEvent};
///
/// let mut decoder = LogDecoder::new().with_styles();
/// let events = decoder.feed(b"\x1b[1;31mfailed\x1b[0m: <a> & b\n");
/// let LogEvent::Line(line) = &events[0] else { unreachable!() };
/// assert_eq!(
///     log::html(line),
///     r#"<span class="term-fg-l-red term-bold">failed</span>: &lt;a&gt; &amp; b"#
/// );
/// ```
///
/// [`Style::gitlab_classes`]: super::Style::gitlab_classes
pub fn html(line: &LogLine) -> String {
    let mut out = String::with_capacity(line.text.len() + 32 * line.spans.len());
    if line.spans.is_empty() {
        escape(&mut out, &line.text);
        return out;
    }
    for span in &line.spans {
        let text = line.text.get(span.range.clone()).unwrap_or_default();
        let classes = span.style.gitlab_classes();
        if classes.is_empty() {
            escape(&mut out, text);
        } else {
            out.push_str("<span class=\"");
            out.push_str(&classes);
            out.push_str("\">");
            escape(&mut out, text);
            out.push_str("</span>");
        }
    }
    out
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
