//! Requests GitLab would refuse, refused before they are sent.
//!
//! The spec gives each integer parameter GitLab validates its range
//! (`minimum`/`maximum`: `per_page` 1 to 100, `byte_limit` 1 to 512,000, …).
//! build.rs turns those into a table instead of handing them to progenitor,
//! whose `NonZeroU32` setters would be awkward to call; the request hook
//! checks every request against it, so an out-of-range value is an
//! `Error::InvalidRequest` that names the parameter and the range, and no
//! request leaves the client. (Its tests are the table's, in `mod.rs`, which
//! is where operation ids are spelled.)

use reqwest::Url;

use crate::generated::parameter_ranges::RANGES;

/// Checks the query of a request of `operation` against the spec's ranges.
pub(crate) fn check(operation: &str, url: &Url) -> Result<(), String> {
    for (name, value) in url.query_pairs() {
        let Some((_, parameter, minimum, maximum)) =
            RANGES.iter().find(|(op, parameter, _, _)| *op == operation && *parameter == name)
        else {
            continue;
        };
        // A value that is no integer cannot come from the typed setters.
        let Ok(number) = value.parse::<i64>() else { continue };
        let below = minimum.is_some_and(|min| number < min);
        let above = maximum.is_some_and(|max| number > max);
        if below || above {
            let range = match (minimum, maximum) {
                (Some(min), Some(max)) => format!("from {min} to {max}"),
                (Some(min), None) => format!("{min} or more"),
                (None, Some(max)) => format!("up to {max}"),
                (None, None) => "any value".to_owned(),
            };
            return Err(format!(
                "{parameter} = {number} is out of range for {operation}: GitLab accepts {range}; nothing was sent"
            ));
        }
    }
    Ok(())
}
