//! What a careful user writes without the crate, for the benchmarks to set
//! the crate against: reqwest, one keyset page after another, following
//! `Link: <…>; rel="next"`.

#![allow(dead_code)]

/// The target of `rel="next"` in a response's `Link` header.
pub fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    let part = link.split(',').find(|part| part.contains("rel=\"next\""))?;
    Some(part[part.find('<')? + 1..part.find('>')?].to_owned())
}

/// Reads project 1's jobs over keyset pages of `per_page`, one page after
/// another, handing each body to `parse` (which returns how many jobs it
/// read); the number of jobs read. It asks for no compression: reqwest's
/// `gzip` feature, which the crate turns on, would otherwise ask for it.
pub async fn keyset_loop(base: &str, per_page: usize, parse: fn(&[u8]) -> usize) -> usize {
    let http = reqwest::Client::builder().no_gzip().build().unwrap();
    let mut url = format!("{base}/api/v4/projects/1/jobs?pagination=keyset&per_page={per_page}");
    let mut seen = 0;
    loop {
        let response = http.get(&url).header("private-token", "glpat-bench").send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        let next = next_link(response.headers());
        seen += parse(&response.bytes().await.unwrap());
        match next {
            Some(next) => url = next,
            None => return seen,
        }
    }
}

/// The typed parse, into the crate's generated types.
pub fn typed(body: &[u8]) -> usize {
    serde_json::from_slice::<Vec<gitlab_jobs::types::Job>>(body).unwrap().len()
}
