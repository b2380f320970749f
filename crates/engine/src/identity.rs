//! One researcher per person across feeds.
//!
//! A profile from a foreign feed is matched to a stored researcher by ORCID iD, then Cristin
//! person id, then OpenAlex author id. A match is merged: the researcher keeps its id (the first
//! one it was stored under) and holds each source's contribution in `extra.sources.<source>`;
//! its own fields are composed from them (name from the highest-ranked source, keywords and
//! units united, bios joined). Re-importing a source replaces only that source's contribution.
//!
//! What is not merged, but reported as a conflict: a profile whose identifiers point at two
//! different researchers, or whose ORCID or Cristin id contradicts what another source says
//! about the matched researcher. A merge whose names do not look like the same person is made
//! (the identifier decides) and reported too.
//!
//! References (authors, participants) resolve through the same identifiers. A person known
//! nowhere gets a minimal record from the reference (name, ids, units) — source `<source>-ref`,
//! ranked below every full profile — and a reference never changes a known researcher.

use crate::Result;
use kobler_core::{Kind, Record, Researcher, Unit, UnitKind};
use kobler_feeds::{PersonRef, Profile};
use kobler_store::Store;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

/// Sources in the order their word counts: the first with a name names the researcher.
const PRECEDENCE: [&str; 7] = [
    "kobler",
    "cristin",
    "orcid",
    "openalex",
    "cristin-ref",
    "orcid-ref",
    "openalex-ref",
];

fn rank(source: &str) -> usize {
    PRECEDENCE
        .iter()
        .position(|s| *s == source)
        .unwrap_or(PRECEDENCE.len())
}

/// What merging a profile decided.
pub(crate) struct Merged {
    /// The researcher to store (unchanged ones are not returned).
    pub researcher: Option<Researcher>,
    /// Whether the profile joined a researcher first stored from another source.
    pub joined: bool,
    /// Conflicts to report.
    pub conflicts: Vec<String>,
}

/// The import's view of who is who: identifiers, the researchers touched so far, and units.
pub(crate) struct Identities {
    holders: HashMap<(String, String), String>,
    people: HashMap<String, Researcher>,
    units: HashSet<String>,
    unit_names: HashMap<String, (bool, String)>,
}

impl Identities {
    /// Loads every stored identifier and unit (both small next to the works).
    pub(crate) async fn load(store: &Store) -> Result<Identities> {
        let mut holders = HashMap::new();
        for (scheme, value, researcher) in store.identities().await? {
            holders.insert((scheme, value), researcher);
        }
        let mut units = HashSet::new();
        let mut unit_names = HashMap::new();
        for record in store.list(Kind::Unit).await? {
            if let Record::Unit(u) = record {
                note_unit_name(&mut unit_names, &u);
                units.insert(u.id);
            }
        }
        Ok(Identities {
            holders,
            people: HashMap::new(),
            units,
            unit_names,
        })
    }

    fn holder(&self, scheme: &str, value: &str) -> Option<&String> {
        self.holders.get(&(scheme.to_string(), value.to_string()))
    }

    fn claim(&mut self, r: &Researcher) {
        for (scheme, value) in kobler_core::identity::researcher_identities(r) {
            self.holders
                .entry((scheme.to_string(), value))
                .or_insert_with(|| r.id.clone());
        }
    }

    async fn person(&mut self, store: &Store, id: &str) -> Result<Option<Researcher>> {
        if let Some(r) = self.people.get(id) {
            return Ok(Some(r.clone()));
        }
        match store.get(Kind::Researcher, id).await? {
            Some(Record::Researcher(r)) => {
                self.people.insert(id.to_string(), r.clone());
                Ok(Some(r))
            }
            _ => Ok(None),
        }
    }

    /// A researcher record imported as it is (Kobler JSON Lines): it becomes the current
    /// version, and claims its identifiers; one already held by another researcher is a conflict.
    pub(crate) fn native(&mut self, r: &Researcher) -> Vec<String> {
        let mut conflicts = Vec::new();
        for (scheme, value) in kobler_core::identity::researcher_identities(r) {
            if let Some(holder) = self.holder(scheme, &value)
                && *holder != r.id
            {
                conflicts.push(format!(
                    "researcher {:?} has {scheme} {value}, which researcher {holder:?} already has; kept apart",
                    r.id
                ));
            }
        }
        self.claim(r);
        if self.people.contains_key(&r.id) {
            self.people.insert(r.id.clone(), r.clone());
        }
        conflicts
    }

    /// Whether a unit id is stored or created in this import; notes it as created.
    pub(crate) fn new_unit(&mut self, unit: &Unit) -> bool {
        if self.units.contains(&unit.id) {
            return false;
        }
        note_unit_name(&mut self.unit_names, unit);
        self.units.insert(unit.id.clone());
        true
    }

    /// A unit a spreadsheet names: a stored unit with that id or name (municipal first), or a
    /// new municipal unit `enhet:<slug>` to create.
    pub(crate) fn unit_by_name(&mut self, name: &str) -> (String, Option<Unit>) {
        let name = name.trim();
        if self.units.contains(name) {
            return (name.to_string(), None);
        }
        if let Some((_, id)) = self.unit_names.get(&name.to_lowercase()) {
            return (id.clone(), None);
        }
        let mut extra = Map::new();
        extra.insert("source".into(), json!("csv"));
        let unit = Unit {
            id: format!("enhet:{}", slug(name)),
            name: name.to_string(),
            kind: UnitKind::Municipal,
            municipality: None,
            institution: None,
            parent: None,
            extra,
        };
        if !self.new_unit(&unit) {
            return (unit.id, None);
        }
        (unit.id.clone(), Some(unit))
    }

    /// Merges a profile with what is known of the same person.
    pub(crate) async fn merge(&mut self, store: &Store, profile: Profile) -> Result<Merged> {
        let Profile {
            source,
            researcher: contribution,
            ids,
        } = profile;
        let own_id = contribution.id.clone();
        let mut conflicts = Vec::new();
        let hits: Vec<(&'static str, String, String)> = ids
            .pairs()
            .into_iter()
            .filter_map(|(scheme, value)| {
                self.holder(scheme, value)
                    .map(|h| (scheme, value.to_string(), h.clone()))
            })
            .collect();
        let mut target = hits.first().map(|(_, _, h)| h.clone());
        // Identifiers pointing at two researchers: the person is stored twice already.
        if let Some((s1, v1, h1)) = hits.first()
            && let Some((s2, v2, h2)) = hits.iter().find(|(_, _, h)| h != h1)
        {
            conflicts.push(format!(
                "{s1} {v1} is researcher {h1:?}, but {s2} {v2} is researcher {h2:?}; not merged"
            ));
            target = hits
                .iter()
                .find(|(_, _, h)| *h == own_id)
                .map(|(_, _, h)| h.clone());
        }
        let existing = match &target {
            Some(id) => self.person(store, id).await?,
            None => self.person(store, &own_id).await?,
        };
        let mut base = existing;
        if let Some(b) = &base
            && b.id != own_id
        {
            // Does another source contradict this profile's identifiers?
            let mut contradictions = Vec::new();
            for (label, mine, theirs) in [
                (
                    "ORCID",
                    ids.orcid.as_deref(),
                    other_value(b, &own_id, "orcid"),
                ),
                (
                    "Cristin id",
                    ids.cristin.as_deref(),
                    other_value(b, &own_id, "cristin_id"),
                ),
            ] {
                if let (Some(mine), Some(theirs)) = (mine, theirs)
                    && kobler_core::identity::normalize_cristin(&theirs).as_deref() != Some(mine)
                    && kobler_core::identity::normalize_orcid(&theirs).as_deref() != Some(mine)
                {
                    contradictions.push(format!("{label} {mine} here, {theirs} there"));
                }
            }
            if !contradictions.is_empty() {
                conflicts.push(format!(
                    "{source} profile {own_id:?} matches researcher {:?} but {}; not merged",
                    b.id,
                    contradictions.join(", ")
                ));
                base = self.person(store, &own_id).await?;
            } else if !names_agree(&b.name, &contribution.name) {
                conflicts.push(format!(
                    "{source} profile {own_id:?} merged into researcher {:?} on {}, but the names differ ({:?} / {:?})",
                    b.id,
                    hits.first().map_or("its id".to_string(), |(s, v, _)| format!("{s} {v}")),
                    b.name,
                    contribution.name
                ));
            }
        }
        let joined = base.as_ref().is_some_and(|b| {
            b.id != own_id
                || sources_of(b)
                    .iter()
                    .any(|s| s != source && !s.ends_with("-ref"))
        });
        let composed = compose(base.as_ref(), source, &contribution);
        let changed = base.as_ref() != Some(&composed);
        self.claim(&composed);
        self.people.insert(composed.id.clone(), composed.clone());
        Ok(Merged {
            researcher: changed.then_some(composed),
            joined: joined && changed,
            conflicts,
        })
    }

    /// The researcher id a reference names, and a minimal record to create when the person is
    /// known nowhere and the reference names them.
    pub(crate) fn resolve(&mut self, person: &PersonRef) -> (String, Option<Researcher>) {
        for (scheme, value) in person.ids.pairs() {
            if let Some(holder) = self.holder(scheme, value) {
                return (holder.clone(), None);
            }
        }
        if self.people.contains_key(&person.fallback_id) {
            return (person.fallback_id.clone(), None);
        }
        let Some(name) = &person.name else {
            return (person.fallback_id.clone(), None);
        };
        let stub = Researcher {
            id: person.fallback_id.clone(),
            name: name.clone(),
            units: person.units.clone(),
            keywords: Vec::new(),
            bio: None,
            orcid: person.ids.orcid.clone(),
            cristin_id: person.ids.cristin.clone(),
            email: None,
            extra: {
                let mut extra = Map::new();
                if let Some(openalex) = &person.ids.openalex {
                    extra.insert("openalex_id".into(), json!(openalex));
                }
                extra
            },
        };
        let composed = compose(None, &format!("{}-ref", person.source), &stub);
        self.claim(&composed);
        self.people.insert(composed.id.clone(), composed.clone());
        (composed.id.clone(), Some(composed))
    }
}

fn note_unit_name(names: &mut HashMap<String, (bool, String)>, unit: &Unit) {
    let municipal = unit.kind == UnitKind::Municipal;
    let entry = names
        .entry(unit.name.trim().to_lowercase())
        .or_insert((municipal, unit.id.clone()));
    if municipal && !entry.0 {
        *entry = (true, unit.id.clone());
    }
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().to_lowercase().chars() {
        match c {
            'æ' => out.push_str("ae"),
            'ø' => out.push('o'),
            'å' => out.push('a'),
            c if c.is_alphanumeric() => out.push(c),
            _ if !out.ends_with('-') && !out.is_empty() => out.push('-'),
            _ => {}
        }
    }
    out.trim_end_matches('-').to_string()
}

fn sources_of(r: &Researcher) -> Vec<String> {
    r.extra
        .get("sources")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// A field's value as the other source records merged into `r` give it (the first that does):
/// not this profile's own earlier contribution, which it may correct.
fn other_value(r: &Researcher, own_id: &str, field: &str) -> Option<String> {
    match r.extra.get("sources").and_then(Value::as_object) {
        Some(sources) => sources
            .values()
            .filter(|c| c.get("id").and_then(Value::as_str) != Some(own_id))
            .find_map(|c| c.get(field).and_then(Value::as_str).map(str::to_string)),
        // A researcher stored as it is: its own fields are the other source's word.
        None => match field {
            "orcid" => r.orcid.clone(),
            "cristin_id" => r.cristin_id.clone(),
            _ => None,
        },
    }
}

/// Whether two spellings of a name may be the same person: the same family name (last word),
/// and given names that agree at least in their first letter. Accents and case are ignored.
fn names_agree(a: &str, b: &str) -> bool {
    let fold = |s: &str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == '.' || c == ',' || c == '-')
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.to_lowercase()
                    .chars()
                    .map(|c| match c {
                        'é' | 'è' | 'ë' => 'e',
                        'ö' => 'ø',
                        'ä' => 'æ',
                        'ü' => 'u',
                        c => c,
                    })
                    .collect()
            })
            .collect()
    };
    let (a, b) = (fold(a), fold(b));
    let (Some(last_a), Some(last_b)) = (a.last(), b.last()) else {
        return false;
    };
    if last_a != last_b {
        return false;
    }
    match (a.first(), b.first()) {
        (Some(x), Some(y)) => x.chars().next() == y.chars().next(),
        _ => true,
    }
}

/// The researcher made from `base` (if any) with `source`'s contribution replaced.
fn compose(base: Option<&Researcher>, source: &str, contribution: &Researcher) -> Researcher {
    let mut sources: Map<String, Value> = match base {
        Some(b) => match b.extra.get("sources").and_then(Value::as_object) {
            Some(s) => s.clone(),
            None => {
                // A researcher stored as it is keeps its fields as the `kobler` contribution.
                let mut s = Map::new();
                s.insert("kobler".into(), contribution_json(b));
                s
            }
        },
        None => Map::new(),
    };
    sources.insert(source.to_string(), contribution_json(contribution));
    let mut order: Vec<(&String, &Value)> = sources.iter().collect();
    order.sort_by_key(|(s, _)| (rank(s), (*s).clone()));
    let texts = |field: &str| -> Vec<String> {
        order
            .iter()
            .filter_map(|(_, c)| c.get(field).and_then(Value::as_str))
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    let lists = |field: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, c) in &order {
            for v in c.get(field).and_then(Value::as_array).into_iter().flatten() {
                if let Some(s) = v.as_str()
                    && !out.iter().any(|o| o.to_lowercase() == s.to_lowercase())
                {
                    out.push(s.to_string());
                }
            }
        }
        out
    };
    let mut bios = texts("bio");
    bios.dedup();
    let mut extra = base.map(|b| b.extra.clone()).unwrap_or_default();
    // Fields a native record carried at top level now live in its `kobler` contribution.
    if let Some(openalex) = texts("openalex_id").first() {
        extra.insert("openalex_id".into(), json!(openalex));
    }
    extra.insert("sources".into(), Value::Object(sources.clone()));
    Researcher {
        id: base.map_or_else(|| contribution.id.clone(), |b| b.id.clone()),
        name: texts("name")
            .into_iter()
            .next()
            .unwrap_or_else(|| contribution.name.clone()),
        units: lists("units"),
        keywords: lists("keywords"),
        bio: (!bios.is_empty()).then(|| bios.join("\n\n")),
        orcid: texts("orcid").into_iter().next(),
        cristin_id: texts("cristin_id").into_iter().next(),
        email: texts("email").into_iter().next(),
        extra,
    }
}

/// A researcher's own fields as one source's contribution, with the id it has in that source
/// (without type or sources).
fn contribution_json(r: &Researcher) -> Value {
    let mut value = Record::Researcher(r.clone()).to_json();
    if let Value::Object(map) = &mut value {
        for key in ["type", "sources"] {
            map.remove(key);
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn researcher(id: &str, name: &str, keywords: &[&str]) -> Researcher {
        Researcher {
            id: id.into(),
            name: name.into(),
            units: vec![],
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            bio: None,
            orcid: None,
            cristin_id: None,
            email: None,
            extra: Map::new(),
        }
    }

    #[test]
    fn names_agree_on_family_name_and_initial() {
        assert!(names_agree("Ingrid Solberg", "I. Solberg"));
        assert!(names_agree("Ingrid M. Solberg", "ingrid solberg"));
        assert!(!names_agree("Ingrid Solberg", "Ingrid Hansen"));
        assert!(!names_agree("Ingrid Solberg", "Kari Solberg"));
    }

    #[test]
    fn composing_unites_keywords_and_replaces_only_the_sources_own_contribution() {
        let cristin = researcher(
            "cristin:1",
            "Ingrid Solberg",
            &["eldre", "hverdagsmestring"],
        );
        let first = compose(None, "cristin", &cristin);
        let openalex = researcher("openalex:A1", "I. Solberg", &["Reablement", "eldre"]);
        let both = compose(Some(&first), "openalex", &openalex);
        assert_eq!(both.id, "cristin:1");
        assert_eq!(both.name, "Ingrid Solberg", "Cristin ranks above OpenAlex");
        assert_eq!(both.keywords, ["eldre", "hverdagsmestring", "Reablement"]);
        let changed = researcher("openalex:A1", "I. Solberg", &["Rehabilitation"]);
        let again = compose(Some(&both), "openalex", &changed);
        assert_eq!(
            again.keywords,
            ["eldre", "hverdagsmestring", "Rehabilitation"]
        );
        assert_eq!(
            compose(Some(&again), "openalex", &changed),
            again,
            "re-importing changes nothing"
        );
    }

    #[test]
    fn a_native_record_becomes_the_kobler_contribution_when_a_feed_joins_it() {
        let mut native = researcher("r7", "Kari Berg", &["skole"]);
        native.orcid = Some("0000-0002-1825-009X".into());
        let joined = compose(
            Some(&native),
            "orcid",
            &researcher("orcid:x", "Kari Berg", &["lesing"]),
        );
        assert_eq!(joined.id, "r7");
        assert_eq!(joined.keywords, ["skole", "lesing"]);
        assert_eq!(joined.orcid.as_deref(), Some("0000-0002-1825-009X"));
        assert!(joined.extra["sources"].get("kobler").is_some());
    }
}
