//! Who may do what with a record (DESIGN.md's roles table), as plain functions so that every
//! caller — HTTP handlers, web pages, the engine's own actions — asks the same question.

use crate::Role;
use kobler_core::{Need, NeedStatus};
use kobler_store::User;

/// Whether the user reviews for the whole partnership: coordinators and admins.
pub fn is_coordinator(user: &User) -> bool {
    matches!(user.role, Role::Coordinator | Role::Admin)
}

/// Whether `user` works on `need` for the municipality: coordinators and admins on every need,
/// staff on their own department's. They may edit it, close it, and see its drafts, its
/// suggested researchers and who is interested in it.
pub fn works_on(user: &User, need: &Need) -> bool {
    match user.role {
        Role::Coordinator | Role::Admin => true,
        Role::Staff => user.unit.is_some() && user.unit == need.unit,
        Role::Researcher => false,
    }
}

/// Whether the caller may see the need at all: everyone sees non-drafts; drafts only those who
/// work on them.
pub fn may_see(user: Option<&User>, need: &Need) -> bool {
    need.status != NeedStatus::Draft || user.is_some_and(|u| works_on(u, need))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: &str, unit: Option<&str>) -> User {
        User {
            name: "u".into(),
            role: role.parse().expect("a role"),
            unit: unit.map(str::to_string),
            researcher: None,
        }
    }

    fn need(unit: Option<&str>, status: NeedStatus) -> Need {
        Need {
            id: "n".into(),
            title: "t".into(),
            description: "d".into(),
            unit: unit.map(str::to_string),
            focus_areas: Vec::new(),
            kinds: Vec::new(),
            posted: None,
            deadline: None,
            status,
            contact: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn staff_work_on_their_own_department_only() {
        let need = need(Some("u1"), NeedStatus::Open);
        assert!(works_on(&user("staff", Some("u1")), &need));
        assert!(!works_on(&user("staff", Some("u2")), &need));
        assert!(!works_on(&user("staff", None), &need));
        assert!(works_on(&user("coordinator", None), &need));
        assert!(works_on(&user("admin", None), &need));
        assert!(!works_on(&user("researcher", None), &need));
    }

    #[test]
    fn staff_without_unit_do_not_work_on_needs_without_unit() {
        assert!(!works_on(
            &user("staff", None),
            &need(None, NeedStatus::Open)
        ));
    }

    #[test]
    fn drafts_are_hidden_from_the_public_and_researchers() {
        let draft = need(Some("u1"), NeedStatus::Draft);
        assert!(!may_see(None, &draft));
        assert!(!may_see(Some(&user("researcher", None)), &draft));
        assert!(may_see(Some(&user("staff", Some("u1"))), &draft));
        assert!(may_see(None, &need(Some("u1"), NeedStatus::Closed)));
    }

    #[test]
    fn only_coordinators_and_admins_coordinate() {
        assert!(is_coordinator(&user("coordinator", None)));
        assert!(is_coordinator(&user("admin", None)));
        assert!(!is_coordinator(&user("staff", Some("u1"))));
        assert!(!is_coordinator(&user("researcher", None)));
    }
}
