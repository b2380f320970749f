//! What every page shares (the layout's data), the home page and the error page.

use super::session::Viewer;
use super::{WebError, html, role_label};
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use kobler_engine::access::is_coordinator;
use kobler_engine::{Role, SessionUser};

/// The layout's data: title, who is signed in, their menu, and the CSRF token for the sign-out
/// form.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    pub title: String,
    pub section: &'static str,
    pub user_name: Option<String>,
    pub role_label: &'static str,
    pub csrf: String,
    pub is_staff: bool,
    pub is_researcher: bool,
    pub is_coordinator: bool,
}

impl Page {
    /// A page for someone not signed in.
    pub(crate) fn anonymous(title: &str) -> Page {
        Page {
            title: title.to_string(),
            ..Page::default()
        }
    }

    /// A page for the viewer, signed in or not.
    pub(crate) fn new(title: &str, section: &'static str, viewer: Option<&SessionUser>) -> Page {
        let mut page = Page::anonymous(title);
        page.section = section;
        if let Some(session) = viewer {
            let r = session.user.role;
            page.user_name = Some(session.user.name.clone());
            page.role_label = role_label(&session.user);
            page.csrf = session.csrf.clone();
            page.is_staff = r == Role::Staff;
            page.is_researcher = r == Role::Researcher;
            page.is_coordinator = is_coordinator(&session.user);
        }
        page
    }
}

/// Renders a template into an HTML answer (a template that fails to render is a 500).
pub(crate) fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(body) => html(body),
        Err(e) => WebError::internal(&e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub page: Page,
    pub heading: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub page: Page,
}

/// `GET /`: a welcome for visitors; the signed-in go to their role's start page.
pub(crate) async fn home(Viewer(viewer): Viewer) -> Response {
    let Some(session) = viewer else {
        return render(&HomePage {
            page: Page::new("Velkommen", "hjem", None),
        });
    };
    let target = match session.user.role {
        Role::Staff => "/mine-behov",
        Role::Researcher => "/for-meg",
        Role::Coordinator | Role::Admin => "/koordinering/forslag",
    };
    Redirect::to(target).into_response()
}
