//! What a user may do (DESIGN.md's table), as a type: parsed once where an account is read,
//! never compared as text.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Municipal staff: post and edit their own department's needs.
    Staff,
    /// A researcher: search needs, see needs for them, say "interested".
    Researcher,
    /// A coordinator: review suggestions and overlaps.
    Coordinator,
    /// An administrator.
    Admin,
}

impl Role {
    /// The role's name as stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Researcher => "researcher",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "staff" => Ok(Role::Staff),
            "researcher" => Ok(Role::Researcher),
            "coordinator" => Ok(Role::Coordinator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?} (staff, researcher, coordinator or admin)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_as_they_are_written_and_nothing_else_is_a_role() {
        for role in [
            Role::Staff,
            Role::Researcher,
            Role::Coordinator,
            Role::Admin,
        ] {
            assert_eq!(role.as_str().parse(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
        }
        assert!("Admin".parse::<Role>().is_err());
        assert!("".parse::<Role>().is_err());
    }
}
