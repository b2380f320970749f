//! Reading urlencoded forms, and the interface's words for Kobler's vocabulary.

use super::WebError;
use axum::Form;
use axum::extract::rejection::FormRejection;

/// A submitted form: every (name, value) pair in order, so repeated names (checkboxes) keep
/// all their values.
#[derive(Debug, Default)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    /// Reads the form, or answers 400.
    pub(crate) fn read(
        form: Result<Form<Vec<(String, String)>>, FormRejection>,
    ) -> Result<Self, WebError> {
        form.map(|Form(pairs)| FormData(pairs))
            .map_err(|e| WebError::BadRequest(e.body_text()))
    }

    /// The first value of a field, trimmed; empty counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value of a field.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// Percent-encodes a query parameter value.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A place to return to after signing in: only a path on this site (never `//host` or a URL,
/// which would make the sign-in page an open redirect).
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The interface's name of a focus area.
pub(crate) fn focus_label(value: &str) -> &str {
    match value {
        "helse-og-velferd" => "Helse og velferd",
        "oppvekst-og-utdanning" => "Oppvekst og utdanning",
        "byutvikling" => "Byutvikling",
        "innovasjon" => "Innovasjon",
        "smartby" => "Smartby",
        "klima-og-miljo" => "Klima og miljø",
        other => other,
    }
}

/// The interface's name of a kind of collaboration.
pub(crate) fn kind_label(value: &str) -> &str {
    match value {
        "masteroppgave" => "Masteroppgave",
        "bacheloroppgave" => "Bacheloroppgave",
        "praksis" => "Praksis",
        "offentlig-phd" => "Offentlig sektor-ph.d.",
        "forskningsprosjekt" => "Forskningsprosjekt",
        "evu" => "Etter- og videreutdanning",
        "innovasjonsprosjekt" => "Innovasjonsprosjekt",
        other => other,
    }
}

/// The interface's name of a need's status.
pub(crate) fn status_label(value: &str) -> &str {
    match value {
        "draft" => "Utkast",
        "open" => "Åpent",
        "matched" => "Koblet",
        "closed" => "Lukket",
        other => other,
    }
}

/// A Norwegian message for a field the engine refused, by field (the engine's reasons are for
/// the API; the form says what to do).
pub(crate) fn field_message(field: &str, reason: &str) -> String {
    match field {
        "title" => "Skriv en tittel.".into(),
        "description" => "Beskriv behovet: hva dere vil vite, og hvorfor.".into(),
        "focus_areas" => "Velg fokusområder fra listen.".into(),
        "kinds" => "Velg samarbeidsformer fra listen.".into(),
        "deadline" if reason.contains("before") => {
            "Fristen kan ikke være før datoen behovet ble meldt inn.".into()
        }
        "deadline" => "Skriv fristen som en dato (ÅÅÅÅ-MM-DD).".into(),
        "unit" => "Velg en kommunal enhet.".into(),
        "contact" => "Kontaktinformasjonen er ikke gyldig.".into(),
        "status" => "Velg en gyldig status.".into(),
        _ => format!("Feltet er ikke gyldig ({reason})."),
    }
}

/// The form field that shows an error of a need's JSON field.
pub(crate) fn form_field(field: &str) -> &str {
    match field {
        "title" => "tittel",
        "description" => "beskrivelse",
        "focus_areas" => "fokus",
        "kinds" => "typer",
        "deadline" => "frist",
        "unit" => "enhet",
        "contact" => "kontakt",
        "status" => "status",
        _ => "skjema",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/behov/n1")), "/behov/n1");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("/behov?q=barn hage"), "/behov%3Fq%3Dbarn%20hage");
        assert_eq!(encode("æ"), "%C3%A6");
    }
}
