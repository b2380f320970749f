//! Researchers saying "interested" in a need, and who may see that they did.

use crate::access::{may_see, works_on};
use crate::{Engine, EngineError, RankedNeed, Result, Role};
use kobler_core::{Kind, NeedStatus, Record};
use kobler_store::User;
use serde::Serialize;

/// A researcher interested in a need, as staff of its unit and coordinators see it.
#[derive(Debug, Clone, Serialize)]
pub struct InterestedResearcher {
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// When they said so (ISO, UTC).
    pub at: String,
}

impl Engine {
    /// Marks (or unmarks) the signed-in researcher's interest in a need. Only researchers with a
    /// researcher record may; only open needs can be marked (unmarking always works).
    pub async fn set_interest(&self, user: &User, need_id: &str, interested: bool) -> Result<()> {
        let researcher = match (user.role, &user.researcher) {
            (Role::Researcher, Some(researcher)) => researcher,
            _ => {
                return Err(EngineError::Forbidden(
                    "only researchers can say they are interested".into(),
                ));
            }
        };
        let need = match self.need(need_id).await? {
            Some(need) if may_see(Some(user), &need) => need,
            _ => return Err(EngineError::unknown_need(need_id)),
        };
        if interested && need.status != NeedStatus::Open {
            return Err(EngineError::Invalid(
                "only open needs can be marked as interesting".into(),
            ));
        }
        self.store
            .set_interest(&need.id, researcher, &user.name, interested)
            .await?;
        self.derived_changed();
        Ok(())
    }

    /// Who is interested in a need: for staff of its unit, coordinators and admins only —
    /// researchers never see each other's interest.
    pub async fn interest_in(
        &self,
        user: &User,
        need_id: &str,
    ) -> Result<Vec<InterestedResearcher>> {
        let need = match self.need(need_id).await? {
            Some(need) if may_see(Some(user), &need) => need,
            _ => return Err(EngineError::unknown_need(need_id)),
        };
        if !works_on(user, &need) {
            return Err(EngineError::Forbidden(
                "only staff of the need's unit, coordinators and admins see who is interested"
                    .into(),
            ));
        }
        let marks = self.store.interest_in(&need.id).await?;
        let ids: Vec<String> = marks.iter().map(|m| m.researcher.clone()).collect();
        let names: std::collections::HashMap<String, String> = self
            .store
            .get_many(Kind::Researcher, &ids)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Researcher(r) => Some((r.id, r.name)),
                _ => None,
            })
            .collect();
        Ok(marks
            .into_iter()
            .map(|m| InterestedResearcher {
                name: names.get(&m.researcher).cloned().unwrap_or_default(),
                researcher: m.researcher,
                at: m.at,
            })
            .collect())
    }

    /// "Needs for me": the open needs that fit the signed-in researcher best (at most `top`),
    /// ranked from their own profile and works. Only researchers with a researcher record have
    /// needs for them; everyone else is refused.
    pub async fn needs_for_me(&self, user: &User, top: usize) -> Result<Vec<RankedNeed>> {
        let researcher = match (user.role, &user.researcher) {
            (Role::Researcher, Some(researcher)) => researcher.clone(),
            _ => {
                return Err(EngineError::Forbidden(
                    "only researchers have needs for them".into(),
                ));
            }
        };
        // Cached until needs or evidence change.
        let key = (researcher.clone(), top);
        let stamp = self.derived.generations();
        if let Some(needs) = self.derived.needs_for_me.get(&key, &stamp) {
            return Ok(Vec::clone(&needs));
        }
        let needs = self
            .offload(
                move |engine| async move { engine.match_researchers(&[researcher], top).await },
            )
            .await?
            .into_iter()
            .next()
            .map(|r| r.needs)
            .unwrap_or_default();
        self.derived
            .needs_for_me
            .put(key, stamp, std::sync::Arc::new(needs.clone()));
        Ok(needs)
    }

    /// The ids of the needs the signed-in researcher marked; empty for everyone else.
    pub async fn my_interest(&self, user: &User) -> Result<Vec<String>> {
        let Some(researcher) = &user.researcher else {
            return Ok(Vec::new());
        };
        if user.role != Role::Researcher {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .interest_of(researcher)
            .await?
            .into_iter()
            .map(|m| m.need)
            .collect())
    }
}
