//! Harvesting Cristin and OpenAlex over HTTP, page by page, politely and resumably.
//!
//! A [`Harvest`] fetches one page at a time from a configured base URL, using each source's
//! own paging — Cristin's `page`/`per_page` with the `x-total-count` header, OpenAlex's
//! `cursor`/`meta.next_cursor` — and writes each page as files that the ordinary importers read
//! (a Cristin page as its JSON array plus one `<result id>.contributors.json` per result; an
//! OpenAlex page as JSON Lines). Where it has got to is kept in `state.json` beside the pages,
//! advanced only by [`Harvest::commit`] once the caller has stored the page, so a harvest that
//! is stopped — killed, or out of retries — resumes at the first page not stored.
//!
//! Politeness: at most one request per `min_interval`; 429 and 5xx answers and connection
//! failures are retried with exponential backoff, waiting as long as a `Retry-After` header
//! asks (seconds or an HTTP date) up to `max_retry_after`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What can go wrong while harvesting.
///
/// Each message is whole: a cause is written into it and not returned again as
/// [`std::error::Error::source`], so an error chain prints it once.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The request could not be sent or its answer not read.
    #[error("{url}: {}", with_causes(.error))]
    Http {
        /// The URL asked.
        url: String,
        /// The client's error (in the message, with its causes; not a `source()`).
        error: reqwest::Error,
    },
    /// The server refused the request (a 4xx other than 429: retrying will not help).
    #[error("{url}: the server answered {status}: {body}")]
    Status {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body.
        body: String,
    },
    /// Every retry failed; the harvest can be resumed later.
    #[error(
        "{url}: gave up after {attempts} attempts (last: {last}); run the pull again to resume"
    )]
    GaveUp {
        /// The URL asked.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The server asked to wait longer than this harvest is willing to.
    #[error(
        "{url}: the server asks to wait {seconds} s (Retry-After); run the pull again later to resume"
    )]
    WaitTooLong {
        /// The URL asked.
        url: String,
        /// Seconds asked.
        seconds: u64,
    },
    /// The answer is not what the source's API returns.
    #[error("{url}: unexpected answer: {reason}")]
    Answer {
        /// The URL asked.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The harvest directory could not be written.
    #[error("{path}: {error}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The IO error (in the message, not a `source()`).
        error: std::io::Error,
    },
    /// The options are not usable.
    #[error("{0}")]
    Options(String),
}

/// A client error and its causes on one line: reqwest's own message leaves out why (a refused
/// connection, a bad certificate), which is in its `source()` chain.
fn with_causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        let part = error.to_string();
        // Layers of the client often repeat their inner error's words.
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = error.source();
    }
    text
}

/// Which source, and which of its lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullSource {
    /// Cristin API v2: `persons`, `results` or `projects`.
    Cristin {
        /// The endpoint.
        endpoint: String,
        /// For results: also fetch each result's contributors payload.
        contributors: bool,
    },
    /// OpenAlex: `works` or `authors`.
    OpenAlex {
        /// The entity.
        entity: String,
    },
}

impl PullSource {
    /// `cristin-results`, `openalex-works`, …: the harvest's directory name.
    pub fn name(&self) -> String {
        match self {
            PullSource::Cristin { endpoint, .. } => format!("cristin-{endpoint}"),
            PullSource::OpenAlex { entity } => format!("openalex-{entity}"),
        }
    }
}

/// The source a name gives (the inverse of [`PullSource::name`]); Cristin results come with
/// their contributors.
impl std::str::FromStr for PullSource {
    type Err = String;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.split_once('-') {
            Some(("cristin", endpoint @ ("persons" | "results" | "projects"))) => {
                Ok(PullSource::Cristin {
                    endpoint: endpoint.to_string(),
                    contributors: true,
                })
            }
            Some(("openalex", entity @ ("works" | "authors"))) => Ok(PullSource::OpenAlex {
                entity: entity.to_string(),
            }),
            _ => Err(format!(
                "unknown source {name:?} (cristin-persons, cristin-results, cristin-projects, openalex-works, openalex-authors)"
            )),
        }
    }
}

/// How to harvest.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The API's base URL, e.g. `https://api.cristin.no/v2` or `https://api.openalex.org`.
    pub base_url: String,
    /// What to fetch.
    pub source: PullSource,
    /// Extra query parameters (a Cristin `institution=194`, an OpenAlex `filter=…`).
    pub query: Vec<(String, String)>,
    /// Records per page.
    pub per_page: u32,
    /// Stop after this many pages in this run (the rest is left for the next run).
    pub max_pages: Option<u32>,
    /// At least this long between two requests.
    pub min_interval: Duration,
    /// Retries of one request after a 429, a 5xx or a connection failure.
    pub max_retries: u32,
    /// The first backoff; it doubles with each retry.
    pub backoff: Duration,
    /// The longest backoff between retries.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one stops the harvest (resumable).
    pub max_retry_after: Duration,
    /// Start from the first page even if an unfinished harvest is recorded.
    pub restart: bool,
    /// OpenAlex's polite pool: a contact address sent as `mailto`.
    pub mailto: Option<String>,
}

impl PullOptions {
    /// Options with the defaults: 100 per page (200 for OpenAlex), 5 requests per second,
    /// 5 retries from 1 s backoff up to 60 s, `Retry-After` honoured up to 5 minutes.
    pub fn new(base_url: &str, source: PullSource) -> PullOptions {
        let per_page = match source {
            PullSource::Cristin { .. } => 100,
            PullSource::OpenAlex { .. } => 200,
        };
        PullOptions {
            base_url: base_url.trim_end_matches('/').to_string(),
            source,
            query: Vec::new(),
            per_page,
            max_pages: None,
            min_interval: Duration::from_millis(200),
            max_retries: 5,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            restart: false,
            mailto: None,
        }
    }

    /// What identifies a harvest: a recorded state for another key is not resumed.
    fn key(&self) -> String {
        let mut query = self.query.clone();
        query.sort();
        let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "{} {} {} {}",
            self.base_url,
            self.source.name(),
            self.per_page,
            query.join("&")
        )
    }
}

/// Where a harvest has got to, as kept in `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PullState {
    /// The harvest's key (base URL, source, page size, query).
    pub key: String,
    /// Cristin: the next page to fetch (1-based).
    pub next_page: u32,
    /// OpenAlex: the cursor of the next page (`*` for the first).
    pub cursor: Option<String>,
    /// Pages stored so far.
    pub pages: u32,
    /// Records stored so far.
    pub records: u64,
    /// The source's total, when it tells.
    pub total: Option<u64>,
    /// Whether the last page has been stored.
    pub finished: bool,
}

/// One fetched page, written to disk and not yet committed.
#[derive(Debug, Clone)]
pub struct Page {
    /// The directory holding the page's files (import it as a whole).
    pub dir: PathBuf,
    /// Its number in this harvest (1-based).
    pub number: u32,
    /// Records on the page.
    pub records: usize,
    next: Next,
}

#[derive(Debug, Clone)]
enum Next {
    Page(u32),
    Cursor(String),
    End,
}

/// A harvest in progress.
pub struct Harvest {
    client: reqwest::Client,
    options: PullOptions,
    dir: PathBuf,
    state: PullState,
    last_request: Option<Instant>,
    /// Requests sent, retries included (for reports and tests).
    pub requests: u32,
    /// Retries made after 429/5xx/connection failures.
    pub retries: u32,
}

const STATE_FILE: &str = "state.json";

impl Harvest {
    /// Opens the harvest kept under `root` (one directory per source and list), resuming a
    /// recorded unfinished harvest with the same key unless `restart` is set.
    pub fn open(options: PullOptions, root: &Path) -> Result<Harvest, PullError> {
        if options.per_page == 0 {
            return Err(PullError::Options("--per-page must be at least 1".into()));
        }
        if !(options.base_url.starts_with("http://") || options.base_url.starts_with("https://")) {
            return Err(PullError::Options(format!(
                "--base-url {:?} is not an http(s) URL",
                options.base_url
            )));
        }
        let dir = root.join(options.source.name());
        std::fs::create_dir_all(&dir).map_err(|error| PullError::Io {
            path: dir.clone(),
            error,
        })?;
        let key = options.key();
        let recorded: Option<PullState> = std::fs::read(dir.join(STATE_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let state = match recorded {
            Some(s) if s.key == key && !s.finished && !options.restart => s,
            _ => PullState {
                key,
                next_page: 1,
                cursor: Some("*".into()),
                ..Default::default()
            },
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "kobler/",
                env!("CARGO_PKG_VERSION"),
                " (expertise feed harvest)"
            ))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|error| PullError::Http {
                url: options.base_url.clone(),
                error,
            })?;
        Ok(Harvest {
            client,
            options,
            dir,
            state,
            last_request: None,
            requests: 0,
            retries: 0,
        })
    }

    /// Where the harvest stands.
    pub fn state(&self) -> &PullState {
        &self.state
    }

    /// Fetches the next page and writes its files; `None` when the harvest is complete or
    /// this run's `max_pages` are done.
    pub async fn next_page(&mut self, fetched_this_run: u32) -> Result<Option<Page>, PullError> {
        if self.state.finished
            || self
                .options
                .max_pages
                .is_some_and(|m| fetched_this_run >= m)
        {
            return Ok(None);
        }
        let number = self.state.pages + 1;
        let page_dir = self.dir.join(format!("page-{number:06}"));
        // A page left over from a run that stopped before committing it is fetched again.
        let _ = std::fs::remove_dir_all(&page_dir);
        std::fs::create_dir_all(&page_dir).map_err(|error| PullError::Io {
            path: page_dir.clone(),
            error,
        })?;
        let (records, next) = match self.options.source.clone() {
            PullSource::Cristin {
                endpoint,
                contributors,
            } => {
                self.cristin_page(&endpoint, contributors, &page_dir)
                    .await?
            }
            PullSource::OpenAlex { entity } => self.openalex_page(&entity, &page_dir).await?,
        };
        if records == 0 && matches!(next, Next::End) {
            let _ = std::fs::remove_dir_all(&page_dir);
            self.state.finished = true;
            self.save()?;
            return Ok(None);
        }
        Ok(Some(Page {
            dir: page_dir,
            number,
            records,
            next,
        }))
    }

    /// Records that `page` is stored: the next run starts after it.
    pub fn commit(&mut self, page: &Page) -> Result<(), PullError> {
        self.state.pages = page.number;
        self.state.records += page.records as u64;
        match &page.next {
            Next::Page(n) => self.state.next_page = *n,
            Next::Cursor(c) => self.state.cursor = Some(c.clone()),
            Next::End => self.state.finished = true,
        }
        self.save()
    }

    fn save(&self) -> Result<(), PullError> {
        let path = self.dir.join(STATE_FILE);
        let tmp = self.dir.join("state.json.tmp");
        let io = |error| PullError::Io {
            path: path.clone(),
            error,
        };
        let bytes = serde_json::to_vec_pretty(&self.state)
            .map_err(|e| PullError::Options(e.to_string()))?;
        // Write then rename, so a kill leaves the old state or the new one, never half.
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    async fn cristin_page(
        &mut self,
        endpoint: &str,
        contributors: bool,
        page_dir: &Path,
    ) -> Result<(usize, Next), PullError> {
        let page = self.state.next_page.max(1);
        let url = format!("{}/{endpoint}", self.options.base_url);
        let mut query = self.options.query.clone();
        query.push(("page".into(), page.to_string()));
        query.push(("per_page".into(), self.options.per_page.to_string()));
        let response = self.get(&url, &query).await?;
        let total = response
            .headers()
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = response.bytes().await.map_err(|error| PullError::Http {
            url: url.clone(),
            error,
        })?;
        let items = match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Array(items)) => items,
            Ok(_) => {
                return Err(PullError::Answer {
                    url,
                    reason: "a Cristin list page must be a JSON array".into(),
                });
            }
            Err(e) => {
                return Err(PullError::Answer {
                    url,
                    reason: format!("invalid JSON: {e}"),
                });
            }
        };
        if total.is_some() {
            self.state.total = total;
        }
        let count = items.len();
        write(&page_dir.join("page.json"), &bytes)?;
        if endpoint == "results" && contributors {
            for item in &items {
                let Some(id) = item
                    .get("cristin_result_id")
                    .and_then(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .or_else(|| v.as_u64().map(|n| n.to_string()))
                    })
                    .and_then(|id| kobler_core::identity::normalize_cristin(&id))
                else {
                    continue;
                };
                let url = format!("{}/results/{id}/contributors", self.options.base_url);
                let query = vec![("per_page".to_string(), "1000".to_string())];
                let response = self.get(&url, &query).await?;
                let body = response.bytes().await.map_err(|error| PullError::Http {
                    url: url.clone(),
                    error,
                })?;
                write(
                    &page_dir.join(format!("{id}{}", crate::cristin::CONTRIBUTORS_SUFFIX)),
                    &body,
                )?;
            }
        }
        let seen = u64::from(page) * u64::from(self.options.per_page);
        let more = match total {
            Some(total) => seen < total && count > 0,
            None => count as u32 >= self.options.per_page,
        };
        Ok((
            count,
            if more {
                Next::Page(page + 1)
            } else {
                Next::End
            },
        ))
    }

    async fn openalex_page(
        &mut self,
        entity: &str,
        page_dir: &Path,
    ) -> Result<(usize, Next), PullError> {
        let cursor = self.state.cursor.clone().unwrap_or_else(|| "*".into());
        let url = format!("{}/{entity}", self.options.base_url);
        let mut query = self.options.query.clone();
        query.push(("per-page".into(), self.options.per_page.to_string()));
        query.push(("cursor".into(), cursor));
        if let Some(mailto) = &self.options.mailto {
            query.push(("mailto".into(), mailto.clone()));
        }
        let response = self.get(&url, &query).await?;
        let body: Value = response.json().await.map_err(|error| PullError::Http {
            url: url.clone(),
            error,
        })?;
        let Some(results) = body.get("results").and_then(Value::as_array) else {
            return Err(PullError::Answer {
                url,
                reason: "no `results` list".into(),
            });
        };
        if let Some(count) = body.pointer("/meta/count").and_then(Value::as_u64) {
            self.state.total = Some(count);
        }
        let next = body
            .pointer("/meta/next_cursor")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty());
        let mut lines = Vec::new();
        for item in results {
            lines.extend_from_slice(item.to_string().as_bytes());
            lines.push(b'\n');
        }
        write(&page_dir.join("page.jsonl"), &lines)?;
        let next = match next {
            Some(c) if !results.is_empty() => Next::Cursor(c.to_string()),
            _ => Next::End,
        };
        Ok((results.len(), next))
    }

    /// Waits for this harvest's turn, so requests are at least `min_interval` apart.
    async fn wait_turn(&mut self) {
        if let Some(last) = self.last_request {
            let since = last.elapsed();
            if since < self.options.min_interval {
                tokio::time::sleep(self.options.min_interval - since).await;
            }
        }
        self.last_request = Some(Instant::now());
    }

    /// GET with retries on 429, 5xx and connection failures.
    async fn get(
        &mut self,
        url: &str,
        query: &[(String, String)],
    ) -> Result<reqwest::Response, PullError> {
        let mut attempt = 0;
        loop {
            self.wait_turn().await;
            self.requests += 1;
            let result = self.client.get(url).query(query).send().await;
            let (failure, retry_after) = match result {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    if status.as_u16() != 429 && !status.is_server_error() {
                        let body = response.text().await.unwrap_or_default();
                        return Err(PullError::Status {
                            url: url.to_string(),
                            status: status.as_u16(),
                            body: body.chars().take(200).collect(),
                        });
                    }
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    (format!("HTTP {status}"), retry_after)
                }
                Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                    (e.to_string(), None)
                }
                Err(error) => {
                    return Err(PullError::Http {
                        url: url.to_string(),
                        error,
                    });
                }
            };
            attempt += 1;
            if attempt > self.options.max_retries {
                return Err(PullError::GaveUp {
                    url: url.to_string(),
                    attempts: attempt,
                    last: failure,
                });
            }
            let backoff = self
                .options
                .backoff
                .saturating_mul(1u32 << (attempt - 1).min(16))
                .min(self.options.max_backoff);
            let wait = match retry_after {
                Some(asked) if asked > self.options.max_retry_after => {
                    return Err(PullError::WaitTooLong {
                        url: url.to_string(),
                        seconds: asked.as_secs(),
                    });
                }
                // The server's wish, but never less than our own backoff.
                Some(asked) => asked.max(backoff),
                None => backoff,
            };
            tracing::warn!(
                "{url}: {failure}; retry {attempt} of {} in {wait:?}",
                self.options.max_retries
            );
            self.retries += 1;
            tokio::time::sleep(wait).await;
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PullError> {
    std::fs::write(path, bytes).map_err(|error| PullError::Io {
        path: path.to_path_buf(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Server {
        /// Requests seen, as "path?page" strings.
        log: Arc<Mutex<Vec<String>>>,
        /// Failures still to answer before succeeding, per page.
        failures: Arc<Mutex<HashMap<String, Vec<StatusCode>>>>,
    }

    async fn cristin_results(
        State(server): State<Server>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let page: u64 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let per_page: u64 = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(10);
        server
            .log
            .lock()
            .unwrap()
            .push(format!("results?page={page}"));
        if let Some(status) = server
            .failures
            .lock()
            .unwrap()
            .get_mut(&page.to_string())
            .and_then(|f| f.pop())
        {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", "0".parse().unwrap());
            return (status, headers, "busy").into_response();
        }
        let total = 5u64;
        let start = (page - 1) * per_page;
        let items: Vec<Value> = (start..(start + per_page).min(total))
            .map(|i| serde_json::json!({"cristin_result_id": format!("{}", 100 + i), "title": {"nb": format!("Resultat {i}")}}))
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert("x-total-count", total.to_string().parse().unwrap());
        (headers, axum::Json(Value::Array(items))).into_response()
    }

    async fn contributors(
        State(server): State<Server>,
        axum::extract::Path(id): axum::extract::Path<String>,
    ) -> Response {
        server
            .log
            .lock()
            .unwrap()
            .push(format!("contributors/{id}"));
        axum::Json(serde_json::json!([{"cristin_person_id": "7", "first_name": "Kari", "surname": "Berg", "order": 1}])).into_response()
    }

    async fn start(server: Server) -> String {
        let app = axum::Router::new()
            .route("/v2/results", get(cristin_results))
            .route("/v2/results/{id}/contributors", get(contributors))
            .with_state(server);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/v2")
    }

    fn options(base: &str) -> PullOptions {
        let mut o = PullOptions::new(
            base,
            PullSource::Cristin {
                endpoint: "results".into(),
                contributors: true,
            },
        );
        o.per_page = 2;
        o.min_interval = Duration::ZERO;
        o.backoff = Duration::from_millis(10);
        o
    }

    #[tokio::test]
    async fn cristin_pages_follow_the_total_count_and_fetch_contributors() {
        let server = Server::default();
        let base = start(server.clone()).await;
        let root = tempfile::tempdir().unwrap();
        let mut harvest = Harvest::open(options(&base), root.path()).unwrap();
        let mut pages = 0;
        while let Some(page) = harvest.next_page(pages).await.unwrap() {
            assert!(page.dir.join("page.json").exists());
            pages += 1;
            harvest.commit(&page).unwrap();
        }
        assert_eq!(pages, 3, "5 results, 2 per page");
        assert_eq!(harvest.state().records, 5);
        assert!(harvest.state().finished);
        assert!(
            root.path()
                .join("cristin-results/page-000003/104.contributors.json")
                .exists()
        );
        let log = server.log.lock().unwrap();
        assert_eq!(log.iter().filter(|l| l.starts_with("results")).count(), 3);
        assert_eq!(
            log.iter().filter(|l| l.starts_with("contributors")).count(),
            5
        );
    }

    #[tokio::test]
    async fn retries_429_and_503_then_resumes_where_it_stopped() {
        let server = Server::default();
        server.failures.lock().unwrap().insert(
            "2".into(),
            vec![
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::TOO_MANY_REQUESTS,
            ],
        );
        let base = start(server.clone()).await;
        let root = tempfile::tempdir().unwrap();
        let mut o = options(&base);
        o.max_pages = Some(2);
        let mut harvest = Harvest::open(o.clone(), root.path()).unwrap();
        let mut n = 0;
        while let Some(page) = harvest.next_page(n).await.unwrap() {
            n += 1;
            harvest.commit(&page).unwrap();
        }
        assert_eq!((n, harvest.retries), (2, 2));
        assert!(!harvest.state().finished);
        // A new run resumes at page 3 without asking for pages 1 and 2 again.
        server.log.lock().unwrap().clear();
        o.max_pages = None;
        let mut harvest = Harvest::open(o, root.path()).unwrap();
        let page = harvest.next_page(0).await.unwrap().unwrap();
        assert_eq!((page.number, page.records), (3, 1));
        assert_eq!(
            server.log.lock().unwrap().first().map(String::as_str),
            Some("results?page=3")
        );
    }

    #[tokio::test]
    async fn gives_up_after_the_retries_and_keeps_the_state() {
        let server = Server::default();
        server
            .failures
            .lock()
            .unwrap()
            .insert("1".into(), vec![StatusCode::BAD_GATEWAY; 10]);
        let base = start(server.clone()).await;
        let root = tempfile::tempdir().unwrap();
        let mut o = options(&base);
        o.max_retries = 2;
        let mut harvest = Harvest::open(o, root.path()).unwrap();
        let err = harvest.next_page(0).await.unwrap_err();
        assert!(
            matches!(err, PullError::GaveUp { attempts: 3, .. }),
            "{err}"
        );
        assert_eq!(harvest.state().next_page, 1);
    }

    #[test]
    fn source_names_read_back() {
        for name in [
            "cristin-persons",
            "cristin-results",
            "cristin-projects",
            "openalex-works",
            "openalex-authors",
        ] {
            let source: PullSource = name.parse().unwrap();
            assert_eq!(source.name(), name);
        }
        assert!("cristin-works".parse::<PullSource>().is_err());
    }

    #[test]
    fn an_io_error_is_told_once() {
        let error = write(Path::new("/no/such/dir/state.json"), b"{}").unwrap_err();
        assert!(error.to_string().contains("(os error 2)"), "{error}");
        assert!(std::error::Error::source(&error).is_none());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
