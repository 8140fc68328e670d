//! Where the next page of a list is, read from GitLab's headers: the keyset
//! cursor of `Link: <…>; rel="next"` (RFC 8288), or the offset page of
//! `X-Next-Page` (an empty string on the last page) or of `Link`.

use reqwest::{Url, header::HeaderMap};

/// Which page to ask for next.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Next {
    KeysetFirst,
    Keyset(String),
    Offset(u32),
    Done,
}

/// What `Link` targets are resolved against. GitLab sends absolute URLs, and
/// only their query (`cursor`, `page`) is read, so a relative target needs no
/// more than some base to resolve against.
pub(super) fn link_base() -> Url {
    Url::parse("http://gitlab.invalid/").unwrap_or_else(|_| unreachable!("a constant URL parses"))
}

/// Where the page after this one is, from the response headers, or why
/// the headers make no sense. A keyset cursor is taken as it is (the stream
/// tells one it has read before); an offset page must be the one after this
/// one: going back would read pages again, and skipping ahead would drop
/// the pages between without a sign.
pub(super) fn next_page(current: &Next, headers: &HeaderMap, base: &Url) -> Result<Next, String> {
    let next_link = link_with_rel(headers, "next", base);
    if matches!(current, Next::KeysetFirst | Next::Keyset(_)) {
        if let Some(cursor) = next_link.as_ref().and_then(|url| query_value(url, "cursor")) {
            return Ok(Next::Keyset(cursor));
        }
        // A server that ignores `pagination=keyset` answers with offset
        // pages: go on with those from page 2.
        if next_link.is_none() && header_page(headers, "x-next-page")?.is_none() {
            return Ok(Next::Done);
        }
    }
    let current_page = match current {
        Next::Offset(page) => *page,
        _ => 1,
    };
    let following = match header_page(headers, "x-next-page")? {
        Some(page) => Some(("X-Next-Page", page)),
        None => match next_link.as_ref().and_then(|url| query_value(url, "page")) {
            Some(page) => Some(("Link", page_number("Link", &page)?)),
            None => None,
        },
    };
    match following {
        None => Ok(Next::Done),
        Some((_, page)) if page == u64::from(current_page) + 1 => {
            u32::try_from(page).map(Next::Offset).map_err(|_| format!("page {page} is past any list GitLab pages"))
        }
        Some((header, page)) if page <= u64::from(current_page) => Err(format!(
            "its {header} says page {page} follows page {current_page}: the list would go back to a page already read"
        )),
        Some((header, page)) => Err(format!(
            "its {header} says page {page} follows page {current_page}: the pages between would be skipped"
        )),
    }
}

/// A page number header. GitLab sends an empty string where there is no
/// page; anything else that is not a page number is an error.
pub(super) fn header_page(headers: &HeaderMap, name: &str) -> Result<Option<u64>, String> {
    let Some(value) = headers.get(name) else { return Ok(None) };
    let text = value.to_str().map_err(|_| format!("its {name} header is not text"))?.trim();
    if text.is_empty() {
        return Ok(None);
    }
    page_number(name, text).map(Some)
}

fn page_number(name: &str, text: &str) -> Result<u64, String> {
    let shown: String = text.chars().take(24).collect();
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("its {name} header `{shown}` is not a page number"));
    }
    text.parse().map_err(|_| format!("its {name} header `{shown}` is not a page number any list has"))
}

fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// The first `Link` target with relation `rel`, resolved against `base`.
fn link_with_rel(headers: &HeaderMap, rel: &str, base: &Url) -> Option<Url> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(parse_link)
        .find(|link| link.rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
        .and_then(|link| base.join(&link.target).ok())
}

/// One entry of a `Link` header (RFC 8288).
#[derive(Debug, PartialEq)]
struct Link {
    target: String,
    rels: Vec<String>,
}

/// Parses a `Link` header value. Targets sit between `<` and `>` and may hold
/// commas and semicolons; parameter values may be quoted. Malformed entries
/// are skipped rather than failing the whole header.
fn parse_link(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else { break };
        let target = rest[open + 1..open + close].trim().to_owned();
        rest = &rest[open + close + 1..];
        // The parameters run to the next comma outside quotes.
        let mut in_quotes = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == ',' && !in_quotes
            })
            .map_or(rest.len(), |(i, _)| i);
        let rels = rest[..end]
            .split(';')
            .filter_map(|param| param.split_once('='))
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("rel"))
            .flat_map(|(_, value)| {
                value.trim().trim_matches('"').split_whitespace().map(str::to_owned).collect::<Vec<_>>()
            })
            .collect();
        links.push(Link { target, rels });
        rest = &rest[end..];
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn base() -> Url {
        Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs").unwrap()
    }

    #[test]
    fn link_targets_may_hold_commas_and_rels_may_be_lists() {
        let links = parse_link(
            r#"<https://x/jobs?a=1,2&cursor=eyJ9%3D>; rel="next last", <https://x/jobs?page=1>; title="a, b"; rel=first"#,
        );
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].target, "https://x/jobs?a=1,2&cursor=eyJ9%3D");
        assert_eq!(links[0].rels, ["next", "last"]);
        assert_eq!(links[1].rels, ["first"]);
        assert!(parse_link("garbage, <unclosed").is_empty());
    }

    #[test]
    fn keyset_follows_the_decoded_cursor_of_rel_next() {
        let h = headers(&[(
            "link",
            "<https://gitlab.example.com/api/v4/projects/1/jobs?cursor=eyJpZCI6IjEwIn0%3D&pagination=keyset&per_page=100>; rel=\"next\"",
        )]);
        assert_eq!(next_page(&Next::KeysetFirst, &h, &base()), Ok(Next::Keyset("eyJpZCI6IjEwIn0=".into())));
        // The last keyset page has no `next`.
        let last =
            headers(&[("link", "<https://gitlab.example.com/api/v4/projects/1/jobs?per_page=100>; rel=\"first\"")]);
        assert_eq!(next_page(&Next::Keyset("c".into()), &last, &base()), Ok(Next::Done));
        // A cursor that does not move is the stream's to tell (it knows every
        // cursor it has read).
        assert_eq!(
            next_page(&Next::Keyset("eyJpZCI6IjEwIn0=".into()), &h, &base()),
            Ok(Next::Keyset("eyJpZCI6IjEwIn0=".into()))
        );
    }

    #[test]
    fn offset_follows_x_next_page_and_its_empty_string() {
        let h = headers(&[("x-page", "1"), ("x-next-page", "2"), ("x-prev-page", "")]);
        assert_eq!(next_page(&Next::Offset(1), &h, &base()), Ok(Next::Offset(2)));
        let last = headers(&[("x-page", "3"), ("x-next-page", ""), ("x-prev-page", "2")]);
        assert_eq!(next_page(&Next::Offset(3), &last, &base()), Ok(Next::Done));
        // Without X-Next-Page (a proxy dropped it), the Link header still leads.
        let link_only = headers(&[("link", "</api/v4/projects/1/jobs?page=4&per_page=100>; rel=\"next\"")]);
        assert_eq!(next_page(&Next::Offset(3), &link_only, &base()), Ok(Next::Offset(4)));
        // Headers that point backwards would loop; ahead, they would skip pages.
        assert!(next_page(&Next::Offset(5), &h, &base()).unwrap_err().contains("go back to a page already read"));
        let jump = headers(&[("x-next-page", "7")]);
        assert!(next_page(&Next::Offset(1), &jump, &base()).unwrap_err().contains("pages between would be skipped"));
    }

    #[test]
    fn page_numbers_that_make_no_sense_are_errors_and_never_overflow() {
        for (value, current) in [("4294967295", 1), ("18446744073709551615", 1), ("4294967296", u32::MAX)] {
            let h = headers(&[("x-next-page", value)]);
            assert!(next_page(&Next::Offset(current), &h, &base()).is_err(), "{value} after {current}");
        }
        let h = headers(&[("x-next-page", "99999999999999999999999")]);
        assert!(next_page(&Next::Offset(1), &h, &base()).unwrap_err().contains("not a page number any list has"));
        let h = headers(&[("x-next-page", "two")]);
        assert!(next_page(&Next::Offset(1), &h, &base()).unwrap_err().contains("not a page number"));
        assert_eq!(header_page(&headers(&[("x-total-pages", " 12 ")]), "x-total-pages"), Ok(Some(12)));
    }

    #[test]
    fn a_server_ignoring_keyset_continues_with_offset_pages() {
        let h = headers(&[("x-page", "1"), ("x-next-page", "2"), ("link", "<https://x/jobs?page=2>; rel=\"next\"")]);
        assert_eq!(next_page(&Next::KeysetFirst, &h, &base()), Ok(Next::Offset(2)));
    }
}
