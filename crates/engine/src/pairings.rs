//! The coordinator's review desk for researcher–department pairings: the queue of suggestions
//! with their evidence, decisions (append-only, audited), and what an accepted pairing shows
//! the researcher and the department. A rejected pairing is never suggested again.

use crate::access::is_coordinator;
use crate::{Engine, EngineError, Fresh, Result, Role};
use kobler_core::{Kind, Need, NeedStatus, Record, UnitKind};
use kobler_store::{PairingDecision, PairingVerdict, User};
use serde::Serialize;
use std::collections::HashMap;

/// Suggestions per department the background worker keeps for the queue: enough for the
/// largest page the API serves (50) after accepted and rejected pairings leave it.
pub(crate) const KEPT_PER_UNIT: usize = 105;

/// The longest note kept with a decision.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// The decision in force for each (unit, researcher): the latest one recorded.
pub fn verdicts_in_force(
    decisions: &[PairingDecision],
) -> HashMap<(String, String), &PairingDecision> {
    let mut latest: HashMap<(String, String), &PairingDecision> = HashMap::new();
    for decision in decisions {
        let key = (decision.unit.clone(), decision.researcher.clone());
        match latest.get(&key) {
            Some(seen) if seen.seq > decision.seq => {}
            _ => {
                latest.insert(key, decision);
            }
        }
    }
    latest
}

/// One of the department's needs a suggested researcher fits.
#[derive(Debug, Clone, Serialize)]
pub struct FittingNeed {
    /// Need id.
    pub id: String,
    /// Need title.
    pub title: String,
    /// How well the researcher fits it, relative to the need's best researcher (0..1).
    pub fit: f32,
}

/// A suggested pairing waiting for a coordinator, with the evidence behind it.
#[derive(Debug, Clone, Serialize)]
pub struct PairingSuggestion {
    /// Municipal unit id.
    pub unit: String,
    /// Unit name.
    pub unit_name: String,
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// Score; higher is better.
    pub score: f32,
    /// The department's open needs the researcher fits, best first.
    pub needs: Vec<FittingNeed>,
    /// Earlier projects the researcher did with the department: (id, title).
    pub shared_projects: Vec<(String, String)>,
    /// The decision so far, when it was deferred.
    pub deferred: Option<PairingDecision>,
}

/// A department a researcher was paired with, as the researcher sees it (no coordinator notes).
#[derive(Debug, Clone, Serialize)]
pub struct MatchedDepartment {
    /// Municipal unit id.
    pub unit: String,
    /// Unit name.
    pub unit_name: String,
    /// When the pairing was accepted (ISO, UTC).
    pub since: String,
    /// The department's open needs.
    pub needs: Vec<Need>,
}

/// A researcher paired with a department, as its staff see it (no coordinator notes).
#[derive(Debug, Clone, Serialize)]
pub struct MatchedResearcher {
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// When the pairing was accepted (ISO, UTC).
    pub since: String,
}

fn coordinator_only(user: &User) -> Result<()> {
    if is_coordinator(user) {
        Ok(())
    } else {
        Err(EngineError::Forbidden(
            "only coordinators and admins review pairings".into(),
        ))
    }
}

impl Engine {
    /// The review queue: for every department with open needs, its best `top` undecided (or
    /// deferred) researchers, with the needs and earlier projects behind each. Accepted and
    /// rejected pairings are not in it.
    ///
    /// The department matches behind it are the ones the background worker keeps; decisions
    /// are applied as they are now, so a decision leaves the queue at once.
    pub async fn pairing_queue(
        &self,
        user: &User,
        top: usize,
    ) -> Result<Fresh<Vec<PairingSuggestion>>> {
        coordinator_only(user)?;
        let decisions = self.store.pairing_decisions().await?;
        let in_force = verdicts_in_force(&decisions);
        let kept = self.derived.departments.get("the pairing queue").await?;
        let matches = &kept.value;
        let unit_ids: Vec<String> = matches.iter().map(|m| m.unit.clone()).collect();
        let units = self.names_of(Kind::Unit, &unit_ids).await?;
        let mut need_ids = Vec::new();
        let mut project_ids = Vec::new();
        for m in matches {
            for s in &m.suggestions {
                need_ids.extend(s.needs.iter().map(|(id, _)| id.clone()));
                project_ids.extend(s.shared_projects.iter().cloned());
            }
        }
        let needs = self.names_of(Kind::Need, &need_ids).await?;
        let projects = self.names_of(Kind::Project, &project_ids).await?;
        let mut queue = Vec::new();
        for m in matches {
            let mut taken = 0;
            for s in &m.suggestions {
                if taken == top {
                    break;
                }
                let key = (m.unit.clone(), s.researcher.clone());
                let deferred = match in_force.get(&key) {
                    Some(d) if d.decision == PairingVerdict::Deferred => Some((*d).clone()),
                    Some(_) => continue,
                    None => None,
                };
                taken += 1;
                let mut fitting: Vec<FittingNeed> = s
                    .needs
                    .iter()
                    .map(|(id, fit)| FittingNeed {
                        title: needs.get(id).cloned().unwrap_or_default(),
                        id: id.clone(),
                        fit: *fit,
                    })
                    .collect();
                fitting.sort_by(|a, b| b.fit.total_cmp(&a.fit));
                queue.push(PairingSuggestion {
                    unit_name: units.get(&m.unit).cloned().unwrap_or_default(),
                    unit: m.unit.clone(),
                    researcher: s.researcher.clone(),
                    name: s.name.clone(),
                    score: s.score,
                    needs: fitting,
                    shared_projects: s
                        .shared_projects
                        .iter()
                        .map(|p| (p.clone(), projects.get(p).cloned().unwrap_or_default()))
                        .collect(),
                    deferred,
                });
            }
        }
        Ok(kept.map(queue))
    }

    /// Records a coordinator's decision on a pairing (appended; never overwritten).
    pub async fn decide_pairing(
        &self,
        user: &User,
        unit: &str,
        researcher: &str,
        verdict: PairingVerdict,
        note: Option<String>,
    ) -> Result<PairingDecision> {
        coordinator_only(user)?;
        match self.store.get(Kind::Unit, unit).await? {
            Some(Record::Unit(u)) if u.kind == UnitKind::Municipal => {}
            Some(_) => {
                return Err(EngineError::Invalid(format!(
                    "{unit:?} is not a municipal unit"
                )));
            }
            None => return Err(EngineError::NotFound(format!("unknown unit {unit:?}"))),
        }
        if self
            .store
            .get(Kind::Researcher, researcher)
            .await?
            .is_none()
        {
            return Err(EngineError::NotFound(format!(
                "unknown researcher {researcher:?}"
            )));
        }
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
        {
            return Err(EngineError::Invalid(format!(
                "the note must be at most {MAX_NOTE_CHARS} characters"
            )));
        }
        let mut decision = PairingDecision {
            seq: 0,
            unit: unit.to_string(),
            researcher: researcher.to_string(),
            decision: verdict,
            note,
            decided_by: user.name.clone(),
            decided_at: String::new(),
        };
        decision.seq = self.store.add_pairing_decision(&decision).await?;
        self.derived_changed();
        // Read back for the time the store gave it.
        if let Some(stored) = self
            .store
            .pairing_decisions()
            .await?
            .into_iter()
            .find(|d| d.seq == decision.seq)
        {
            decision = stored;
        }
        Ok(decision)
    }

    /// Every pairing decision, oldest first: the audit trail (coordinators and admins).
    pub async fn pairing_decisions(&self, user: &User) -> Result<Vec<PairingDecision>> {
        coordinator_only(user)?;
        Ok(self.store.pairing_decisions().await?)
    }

    /// The (unit, researcher) pairs a coordinator rejected, in force now.
    pub(crate) async fn rejected_pairings(&self) -> Result<Vec<(String, String)>> {
        let decisions = self.store.pairing_decisions().await?;
        Ok(verdicts_in_force(&decisions)
            .into_iter()
            .filter(|(_, d)| d.decision == PairingVerdict::Rejected)
            .map(|(key, _)| key)
            .collect())
    }

    /// "Matched with you": the departments a researcher's accepted pairings are with, and their
    /// open needs. Only for the researcher themself.
    pub async fn matched_departments(&self, user: &User) -> Result<Vec<MatchedDepartment>> {
        let researcher = match (user.role, &user.researcher) {
            (Role::Researcher, Some(r)) => r.clone(),
            _ => return Err(EngineError::Forbidden("only for researchers".into())),
        };
        let decisions = self.store.pairing_decisions().await?;
        let mut accepted: Vec<&PairingDecision> = verdicts_in_force(&decisions)
            .into_values()
            .filter(|d| d.researcher == researcher && d.decision == PairingVerdict::Accepted)
            .collect();
        accepted.sort_by_key(|d| std::cmp::Reverse(d.seq));
        let unit_ids: Vec<String> = accepted.iter().map(|d| d.unit.clone()).collect();
        let units = self.names_of(Kind::Unit, &unit_ids).await?;
        let mut out = Vec::new();
        for d in accepted {
            let needs = self
                .unit_needs(&d.unit)
                .await?
                .into_iter()
                .filter(|n| n.status == NeedStatus::Open)
                .collect();
            out.push(MatchedDepartment {
                unit: d.unit.clone(),
                unit_name: units.get(&d.unit).cloned().unwrap_or_default(),
                since: d.decided_at.clone(),
                needs,
            });
        }
        Ok(out)
    }

    /// The researchers paired with a unit (accepted pairings in force), for its staff and
    /// coordinators.
    pub async fn matched_researchers(&self, unit: &str) -> Result<Vec<MatchedResearcher>> {
        let decisions = self.store.pairing_decisions().await?;
        let mut accepted: Vec<&PairingDecision> = verdicts_in_force(&decisions)
            .into_values()
            .filter(|d| d.unit == unit && d.decision == PairingVerdict::Accepted)
            .collect();
        accepted.sort_by_key(|d| d.seq);
        let ids: Vec<String> = accepted.iter().map(|d| d.researcher.clone()).collect();
        let names = self.names_of(Kind::Researcher, &ids).await?;
        Ok(accepted
            .into_iter()
            .map(|d| MatchedResearcher {
                name: names.get(&d.researcher).cloned().unwrap_or_default(),
                researcher: d.researcher.clone(),
                since: d.decided_at.clone(),
            })
            .collect())
    }

    /// Display names (title or name) of records by id.
    pub async fn names_of(&self, kind: Kind, ids: &[String]) -> Result<HashMap<String, String>> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        Ok(self
            .store
            .get_many(kind, &ids)
            .await?
            .into_iter()
            .map(|r| {
                let name = match &r {
                    Record::Municipality(m) => m.name.clone(),
                    Record::Unit(u) => u.name.clone(),
                    Record::Researcher(r) => r.name.clone(),
                    Record::Work(w) => w.title.clone(),
                    Record::Project(p) => p.title.clone(),
                    Record::Need(n) => n.title.clone(),
                };
                (r.id().to_string(), name)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(
        seq: i64,
        unit: &str,
        researcher: &str,
        verdict: PairingVerdict,
    ) -> PairingDecision {
        PairingDecision {
            seq,
            unit: unit.into(),
            researcher: researcher.into(),
            decision: verdict,
            note: None,
            decided_by: "k".into(),
            decided_at: String::new(),
        }
    }

    #[test]
    fn the_latest_decision_per_pair_is_in_force() {
        let decisions = vec![
            decision(1, "u1", "r1", PairingVerdict::Deferred),
            decision(2, "u1", "r2", PairingVerdict::Rejected),
            decision(3, "u1", "r1", PairingVerdict::Accepted),
            decision(4, "u2", "r1", PairingVerdict::Rejected),
        ];
        let in_force = verdicts_in_force(&decisions);
        assert_eq!(in_force.len(), 3);
        let verdict = |u: &str, r: &str| in_force[&(u.to_string(), r.to_string())].decision;
        assert_eq!(verdict("u1", "r1"), PairingVerdict::Accepted);
        assert_eq!(verdict("u1", "r2"), PairingVerdict::Rejected);
        assert_eq!(verdict("u2", "r1"), PairingVerdict::Rejected);
    }
}
