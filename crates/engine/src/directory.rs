//! The partnership's units and municipalities by id, with their names: what nearly every page
//! names, kept in memory and read again only when the store's units or municipalities may have
//! changed, instead of listing them for each request.

use crate::{Engine, Result};
use kobler_core::{Kind, Record, UnitKind};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One unit as pages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitEntry {
    /// Its name.
    pub name: String,
    /// Municipal or academic.
    pub kind: UnitKind,
    /// For municipal units, the municipality's id.
    pub municipality: Option<String>,
}

/// Every unit and municipality, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    /// Units by id.
    pub units: HashMap<String, UnitEntry>,
    /// Municipalities' names by id.
    pub municipalities: BTreeMap<String, String>,
}

impl Directory {
    /// The municipal units, by id, with their names.
    pub fn municipal_units(&self) -> BTreeMap<String, String> {
        self.units
            .iter()
            .filter(|(_, u)| u.kind == UnitKind::Municipal)
            .map(|(id, u)| (id.clone(), u.name.clone()))
            .collect()
    }
}

impl Engine {
    /// Every unit and municipality, read from the store once and again only after records
    /// other than needs changed (units and municipalities are among them).
    pub async fn directory(&self) -> Result<Arc<Directory>> {
        let stamp = self.derived.generations().evidence;
        if let Some(kept) = self.derived.directory.get(&(), &stamp) {
            return Ok(kept);
        }
        let mut directory = Directory::default();
        for record in self.store.list(Kind::Unit).await? {
            if let Record::Unit(unit) = record {
                directory.units.insert(
                    unit.id,
                    UnitEntry {
                        name: unit.name,
                        kind: unit.kind,
                        municipality: unit.municipality,
                    },
                );
            }
        }
        for record in self.store.list(Kind::Municipality).await? {
            if let Record::Municipality(m) = record {
                directory.municipalities.insert(m.id, m.name);
            }
        }
        let directory = Arc::new(directory);
        self.derived.directory.put((), stamp, directory.clone());
        Ok(directory)
    }
}
