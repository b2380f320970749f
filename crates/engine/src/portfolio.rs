//! The coordinators' portfolio: needs by focus area, status and municipality, and the time
//! from posting a need to its first match.
//!
//! *First match* is the earlier of two events the store records with a time:
//! - the first researcher interest in the need that is still marked (an unmarked interest
//!   leaves no trace), and
//! - the first pairing a coordinator accepted between the need's department and a researcher
//!   on or after the day the need was posted (pairings are decided per department, so one
//!   accepted pairing answers every need the department had open then).
//!
//! Days are whole calendar days (UTC) from the posting date; needs without a posting date
//! cannot be measured and are counted apart.

use crate::access::is_coordinator;
use crate::dates::{day_number, today};
use crate::{Engine, EngineError, Fresh, Result};
use kobler_core::{Kind, NeedStatus, Record};
use kobler_store::{PairingVerdict, User};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Upper bounds (inclusive, in days) of the distribution's bands; the last band is open.
pub const FIRST_MATCH_BANDS: [i64; 4] = [7, 30, 90, 180];

/// A value and how many needs have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PortfolioCount {
    /// Focus area, status or municipality id (empty: needs without one).
    pub key: String,
    /// The municipality's name, for municipalities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Needs.
    pub needs: usize,
}

/// What made a need's first match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchVia {
    /// A researcher marked interest in it.
    Interest,
    /// A coordinator accepted a pairing for its department.
    Pairing,
}

/// One need's time to first match.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct NeedFirstMatch {
    /// Need id.
    pub need: String,
    /// Title.
    pub title: String,
    /// Municipal unit.
    pub unit: Option<String>,
    /// Focus areas.
    pub focus_areas: Vec<String>,
    /// Status now.
    pub status: String,
    /// Date posted.
    pub posted: String,
    /// What came first, when anything has.
    pub via: Option<MatchVia>,
    /// When (ISO date).
    pub matched_on: Option<String>,
    /// Days from posting to the first match.
    pub days: Option<i64>,
    /// Without a match: days since posting (till today, or till it was closed — unknown, so
    /// today).
    pub waiting_days: Option<i64>,
}

/// Time to first match over a group of needs (a focus area, a posting month).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FirstMatchGroup {
    /// Focus area or `YYYY-MM`.
    pub key: String,
    /// Measured needs in the group.
    pub needs: usize,
    /// Of them, matched.
    pub matched: usize,
    /// Median days to first match of the matched ones.
    pub median_days: Option<f64>,
}

/// Matched needs by days to first match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DaysBand {
    /// From this many days (inclusive).
    pub from_days: i64,
    /// To this many days (inclusive); none: and more.
    pub to_days: Option<i64>,
    /// Matched needs in the band.
    pub needs: usize,
}

/// Time from posting to first match, over every non-draft need with a posting date.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct FirstMatch {
    /// Each measured need, matched first (fastest first), then the longest waiting.
    pub needs: Vec<NeedFirstMatch>,
    /// Needs that have been matched.
    pub matched: usize,
    /// Needs still without a match.
    pub unmatched: usize,
    /// Needs without a posting date (not measured).
    pub without_posting_date: usize,
    /// Median days of the matched needs.
    pub median_days: Option<f64>,
    /// Matched needs by days (bands ending at [`FIRST_MATCH_BANDS`], then one open band).
    pub distribution: Vec<DaysBand>,
    /// Per focus area (a need with two areas counts in both).
    pub by_focus: Vec<FirstMatchGroup>,
    /// Per month of posting, oldest first.
    pub by_month: Vec<FirstMatchGroup>,
}

/// The portfolio: every need but drafts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Portfolio {
    /// Needs counted (drafts are not).
    pub total: usize,
    /// Per focus area, most first.
    pub by_focus: Vec<PortfolioCount>,
    /// Per status, most first.
    pub by_status: Vec<PortfolioCount>,
    /// Per municipality, most first (key empty: no municipality known).
    pub by_municipality: Vec<PortfolioCount>,
    /// Time from posting to first match.
    pub first_match: FirstMatch,
}

/// The median of some numbers (none for none).
pub fn median(values: &[i64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

fn counted(counts: BTreeMap<String, usize>) -> Vec<PortfolioCount> {
    let mut out: Vec<PortfolioCount> = counts
        .into_iter()
        .map(|(key, needs)| PortfolioCount {
            key,
            name: None,
            needs,
        })
        .collect();
    out.sort_by(|a, b| b.needs.cmp(&a.needs).then_with(|| a.key.cmp(&b.key)));
    out
}

fn group(key: String, members: &[&NeedFirstMatch]) -> FirstMatchGroup {
    let days: Vec<i64> = members.iter().filter_map(|m| m.days).collect();
    FirstMatchGroup {
        key,
        needs: members.len(),
        matched: days.len(),
        median_days: median(&days),
    }
}

/// Time to first match from the needs (id, title, unit, focus, status, posted), the first
/// interest per need and the accepted pairings per unit (ISO times), as of day `today`.
fn first_match(
    needs: &[kobler_core::Need],
    first_interest: &HashMap<String, String>,
    accepted: &HashMap<String, Vec<String>>,
    today: i64,
) -> FirstMatch {
    let mut out = FirstMatch::default();
    for need in needs {
        let Some(posted_day) = need.posted.as_deref().and_then(day_number) else {
            out.without_posting_date += 1;
            continue;
        };
        let interest = first_interest
            .get(&need.id)
            .and_then(|at| Some((day_number(at)?, at.clone(), MatchVia::Interest)));
        let pairing = need
            .unit
            .as_ref()
            .and_then(|u| accepted.get(u))
            .into_iter()
            .flatten()
            .filter_map(|at| Some((day_number(at)?, at.clone(), MatchVia::Pairing)))
            .filter(|(day, _, _)| *day >= posted_day)
            .min_by_key(|(day, _, _)| *day);
        // The earlier event wins; on the same day, interest (the researcher's own step).
        let first = [interest, pairing]
            .into_iter()
            .flatten()
            .min_by_key(|(day, _, via)| (*day, *via == MatchVia::Pairing));
        let (via, matched_on, days) = match first {
            Some((day, at, via)) => (
                Some(via),
                Some(at.get(..10).unwrap_or(&at).to_string()),
                Some((day - posted_day).max(0)),
            ),
            None => (None, None, None),
        };
        out.needs.push(NeedFirstMatch {
            need: need.id.clone(),
            title: need.title.clone(),
            unit: need.unit.clone(),
            focus_areas: need.focus_areas.clone(),
            status: need.status.as_str().to_string(),
            posted: need.posted.clone().unwrap_or_default(),
            via,
            matched_on,
            days,
            waiting_days: days.is_none().then(|| (today - posted_day).max(0)),
        });
    }
    out.needs.sort_by(|a, b| match (a.days, b.days) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.need.cmp(&b.need)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => b
            .waiting_days
            .cmp(&a.waiting_days)
            .then_with(|| a.need.cmp(&b.need)),
    });
    let days: Vec<i64> = out.needs.iter().filter_map(|n| n.days).collect();
    out.matched = days.len();
    out.unmatched = out.needs.len() - days.len();
    out.median_days = median(&days);
    let mut from = 0;
    for upper in FIRST_MATCH_BANDS.iter().copied().map(Some).chain([None]) {
        out.distribution.push(DaysBand {
            from_days: from,
            to_days: upper,
            needs: days
                .iter()
                .filter(|&&d| d >= from && upper.is_none_or(|u| d <= u))
                .count(),
        });
        from = upper.map_or(from, |u| u + 1);
    }
    let mut by_focus: BTreeMap<String, Vec<&NeedFirstMatch>> = BTreeMap::new();
    let mut by_month: BTreeMap<String, Vec<&NeedFirstMatch>> = BTreeMap::new();
    for need in &out.needs {
        for area in &need.focus_areas {
            by_focus.entry(area.clone()).or_default().push(need);
        }
        if let Some(month) = need.posted.get(..7) {
            by_month.entry(month.to_string()).or_default().push(need);
        }
    }
    let mut focus: Vec<FirstMatchGroup> = by_focus
        .into_iter()
        .map(|(key, members)| group(key, &members))
        .collect();
    // Fastest first; groups with no match yet last.
    focus.sort_by(|a, b| match (a.median_days, b.median_days) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.key.cmp(&b.key)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.key.cmp(&b.key),
    });
    out.by_focus = focus;
    out.by_month = by_month
        .into_iter()
        .map(|(key, members)| group(key, &members))
        .collect();
    out
}

impl Engine {
    /// The portfolio (see the module) as the background worker last kept it. For
    /// coordinators and admins.
    pub async fn portfolio(&self, user: &User) -> Result<Fresh<Portfolio>> {
        if !is_coordinator(user) {
            return Err(EngineError::Forbidden(
                "only coordinators and admins see the portfolio".into(),
            ));
        }
        let kept = self.derived.portfolio.get("the portfolio").await?;
        Ok(Fresh::clone(&kept))
    }

    /// Computes the portfolio over every need (the background worker's job).
    pub(crate) async fn compute_portfolio(&self) -> Result<Portfolio> {
        let mut municipality_of: HashMap<String, String> = HashMap::new();
        for record in self.store.list(Kind::Unit).await? {
            if let Record::Unit(unit) = record
                && let Some(m) = unit.municipality
            {
                municipality_of.insert(unit.id, m);
            }
        }
        let municipality_names: HashMap<String, String> = self
            .store
            .list(Kind::Municipality)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Municipality(m) => Some((m.id, m.name)),
                _ => None,
            })
            .collect();
        let needs: Vec<kobler_core::Need> = self
            .store
            .list(Kind::Need)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Need(n) if n.status != NeedStatus::Draft => Some(n),
                _ => None,
            })
            .collect();
        let mut by_focus = BTreeMap::new();
        let mut by_status = BTreeMap::new();
        let mut by_municipality = BTreeMap::new();
        for need in &needs {
            for area in &need.focus_areas {
                *by_focus.entry(area.clone()).or_insert(0) += 1;
            }
            *by_status
                .entry(need.status.as_str().to_string())
                .or_insert(0) += 1;
            let municipality = need
                .unit
                .as_ref()
                .and_then(|u| municipality_of.get(u))
                .cloned()
                .unwrap_or_default();
            *by_municipality.entry(municipality).or_insert(0) += 1;
        }
        let mut by_municipality = counted(by_municipality);
        for count in &mut by_municipality {
            count.name = municipality_names.get(&count.key).cloned();
        }
        let first_interest: HashMap<String, String> = self
            .store
            .first_interest_per_need()
            .await?
            .into_iter()
            .collect();
        let mut accepted: HashMap<String, Vec<String>> = HashMap::new();
        for decision in self.store.pairing_decisions().await? {
            if decision.decision == PairingVerdict::Accepted {
                accepted
                    .entry(decision.unit)
                    .or_default()
                    .push(decision.decided_at);
            }
        }
        let today = day_number(&today()).unwrap_or(0);
        Ok(Portfolio {
            total: needs.len(),
            by_focus: counted(by_focus),
            by_status: counted(by_status),
            by_municipality,
            first_match: first_match(&needs, &first_interest, &accepted, today),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kobler_core::parse_record;
    use serde_json::json;

    fn need(id: &str, unit: &str, focus: &[&str], posted: Option<&str>) -> kobler_core::Need {
        let mut value = json!({"type": "need", "id": id, "title": id, "description": "d",
                               "unit": unit, "focus_areas": focus});
        if let Some(p) = posted {
            value["posted"] = json!(p);
        }
        match parse_record(&value).expect("need") {
            Record::Need(n) => n,
            other => panic!("not a need: {other:?}"),
        }
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5.0));
        assert_eq!(median(&[9, 1, 4]), Some(4.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
    }

    #[test]
    fn the_first_of_interest_and_a_later_accepted_pairing_is_the_first_match() {
        let needs = [
            need("a", "u1", &["innovasjon"], Some("2026-01-01")),
            need("b", "u1", &["innovasjon", "smartby"], Some("2026-03-01")),
            need("c", "u2", &["smartby"], Some("2026-02-01")),
            need("d", "u2", &["smartby"], None),
        ];
        let interest = HashMap::from([("a".to_string(), "2026-01-21T10:00:00Z".to_string())]);
        // u1's pairing: before b was posted (does not count for b), then one after.
        let accepted = HashMap::from([(
            "u1".to_string(),
            vec![
                "2026-01-11T09:00:00Z".to_string(),
                "2026-03-31T09:00:00Z".to_string(),
            ],
        )]);
        let today = day_number("2026-04-01").expect("day");
        let fm = first_match(&needs, &interest, &accepted, today);
        assert_eq!(fm.without_posting_date, 1);
        assert_eq!((fm.matched, fm.unmatched), (2, 1));
        let by_id: HashMap<&str, &NeedFirstMatch> =
            fm.needs.iter().map(|n| (n.need.as_str(), n)).collect();
        // a: the pairing on day 10 beats the interest on day 20.
        assert_eq!(by_id["a"].days, Some(10));
        assert_eq!(by_id["a"].via, Some(MatchVia::Pairing));
        assert_eq!(by_id["a"].matched_on.as_deref(), Some("2026-01-11"));
        // b: only the pairing after its posting counts.
        assert_eq!(by_id["b"].days, Some(30));
        // c: nothing yet; waiting since February.
        assert_eq!(by_id["c"].days, None);
        assert_eq!(by_id["c"].waiting_days, Some(59));
        assert_eq!(fm.median_days, Some(20.0));
        assert_eq!(
            fm.distribution.iter().map(|b| b.needs).collect::<Vec<_>>(),
            [0, 2, 0, 0, 0]
        );
        let innovation = fm
            .by_focus
            .iter()
            .find(|g| g.key == "innovasjon")
            .expect("group");
        assert_eq!((innovation.needs, innovation.matched), (2, 2));
        assert_eq!(innovation.median_days, Some(20.0));
        let smart = fm
            .by_focus
            .iter()
            .find(|g| g.key == "smartby")
            .expect("group");
        assert_eq!((smart.needs, smart.matched), (2, 1));
        assert_eq!(
            fm.by_month
                .iter()
                .map(|g| g.key.as_str())
                .collect::<Vec<_>>(),
            ["2026-01", "2026-02", "2026-03"]
        );
        // Matched first, fastest first; then the longest waiting.
        assert_eq!(
            fm.needs.iter().map(|n| n.need.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn the_bands_cover_every_day_once() {
        let needs: Vec<kobler_core::Need> = [0, 7, 8, 30, 31, 90, 91, 180, 181, 400]
            .iter()
            .map(|d| need(&format!("n{d}"), "u", &[], Some("2026-01-01")))
            .collect();
        let start = day_number("2026-01-01").expect("day");
        let interest: HashMap<String, String> = [0i64, 7, 8, 30, 31, 90, 91, 180, 181, 400]
            .iter()
            .map(|d| {
                let (y, m, dd) = crate::dates::civil_from_days(start + d);
                (format!("n{d}"), format!("{y:04}-{m:02}-{dd:02}T12:00:00Z"))
            })
            .collect();
        let fm = first_match(&needs, &interest, &HashMap::new(), start + 500);
        assert_eq!(
            fm.distribution.iter().map(|b| b.needs).collect::<Vec<_>>(),
            [2, 2, 2, 2, 2]
        );
        assert_eq!(fm.distribution[4].to_days, None);
    }
}
